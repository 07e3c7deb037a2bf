"""Pydantic models of DeploymentRun: the typed view the runner and the reports use.

They accept exactly what the oracle's MUST verdict accepts (a test holds them to it): strict
types, open objects, an integer written as a float (3.0) refused as the oracle refuses it (an
SDK does: anthropic-java), RFC 3339 strings kept as written (a leap second has no `datetime`),
the 16 error types read from spec/, `session_id` and `error` present as keys (null allowed).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from drun_conformance import spec
from drun_conformance.oracle import Timestamp, parse_rfc3339
from drun_conformance.oracle._structural import INT64_MAX, INT64_MIN

__all__ = [
    "AgentReference",
    "DeploymentRun",
    "ManualTriggerContext",
    "RunError",
    "ScheduleTriggerContext",
]

ERROR_TYPES: frozenset[str] = frozenset(spec.load_schema()["$defs"]["Error"]["properties"]["type"]["enum"])


def _rfc3339(value: str) -> str:
    if parse_rfc3339(value) is None:
        raise ValueError("not an RFC 3339 date-time")
    return value


def _known_error_type(value: str) -> str:
    if value not in ERROR_TYPES:
        raise ValueError(f"not one of the {len(ERROR_TYPES)} run error types")
    return value


Int64 = Annotated[int, Field(strict=True, ge=INT64_MIN, le=INT64_MAX)]
Rfc3339 = Annotated[str, AfterValidator(_rfc3339)]


class _Open(BaseModel):
    # Strict: "3" is no integer. Open: the API adds fields over time.
    model_config = ConfigDict(strict=True, extra="allow", frozen=True)


class AgentReference(_Open):
    id: str
    type: Literal["agent"]
    version: Int64


class RunError(_Open):
    message: str
    type: Annotated[str, AfterValidator(_known_error_type)]


class ScheduleTriggerContext(_Open):
    type: Literal["schedule"]
    scheduled_at: Rfc3339


class ManualTriggerContext(_Open):
    type: Literal["manual"]


class DeploymentRun(_Open):
    id: str
    agent: AgentReference
    created_at: Rfc3339
    deployment_id: str
    error: RunError | None  # a required key (the SDKs require it), null on success
    session_id: str | None  # a required key, null on failure
    trigger_context: Annotated[ScheduleTriggerContext | ManualTriggerContext, Field(discriminator="type")]
    type: Literal["deployment_run"]

    @model_validator(mode="after")
    def _exactly_one_outcome(self) -> DeploymentRun:
        if (self.session_id is None) == (self.error is None):
            raise ValueError("exactly one of session_id and error must be non-null")
        return self

    @property
    def created(self) -> Timestamp:
        stamp = parse_rfc3339(self.created_at)
        assert stamp is not None  # validated above
        return stamp
