"""runs(): valid DeploymentRun payloads, compiled from spec/deployment_run.schema.json."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from drun_conformance import spec

from ._compiler import from_schema
from ._contract import contract
from ._validation import check_bool, check_choice
from ._values import evenly, messages, prefixed_ids

__all__ = ["OUTCOMES", "runs"]

Outcome = Literal["success", "error"]
OUTCOMES: tuple[Outcome, ...] = ("success", "error")
# An error run holds one of 16 types, a success run one shape: three error runs to a success
# (in 600 runs, the fewest of a type over seeds 0 to 9 went from 1 to 9 up to 2 to 19).
_OUTCOME_DRAWS: tuple[Outcome, ...] = ("success", "error", "error", "error")

# Realistic ids, keyed by where they sit in the payload. The prefixes follow the API's
# conventions (the catalog's SHOULD for run ids is `drun_`); the schema only says "string".
_REALISTIC_IDS = {"/id": "drun_", "/agent/id": "agent_", "/deployment_id": "depl_", "/session_id": "sesn_"}


@cache
def _realistic_strings() -> dict[str, st.SearchStrategy[str]]:
    strings: dict[str, st.SearchStrategy[str]] = {
        where: prefixed_ids(prefix) for where, prefix in _REALISTIC_IDS.items()
    }
    strings["/error/message"] = messages()
    return strings


def _narrowed_schema(outcome: Outcome, trigger: str | None, error_type: str | None) -> dict[str, Any]:
    """The spec's schema, intersected (`allOf`) with the outcome, trigger and error type asked for."""
    session_field, error_field = contract().outcome_fields
    field = session_field if outcome == "success" else error_field
    constraints: list[dict[str, Any]] = [
        {"required": [field], "properties": {field: {"not": {"type": "null"}}}}
    ]
    if trigger is not None:
        constraints.append({"properties": {"trigger_context": {"properties": {"type": {"const": trigger}}}}})
    if error_type is not None:
        constraints.append({"properties": {"error": {"properties": {"type": {"const": error_type}}}}})
    return {"allOf": [spec.load_schema(), *constraints]}


@cache
def _runs(
    outcome: Outcome, trigger: str | None, extra_fields: bool, error_type: str | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    return from_schema(
        _narrowed_schema(outcome, trigger, error_type),
        strings=_realistic_strings(),
        extra_fields=extra_fields,
        within=spec.load_schema(),
    )


def runs(
    *,
    outcome: Outcome | None = None,
    trigger: str | None = None,
    error_type: str | None = None,
    extra_fields: bool = True,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid DeploymentRun payloads: every one meets every MUST requirement of the catalog.

    Compiled from `spec/deployment_run.schema.json` by `from_schema`: realistic ids
    (`drun_…`, `agent_…`, `depl_…`, `sesn_…`), `version` over the whole int64 range,
    ordinary RFC 3339 timestamps, three error runs to a success and every error type on the
    page about alike (fair bits pick a union's branch, drawn before the other fields; 600
    examples held every type in 199 of 200 seeds, at least 2 of each in seeds 0 to 9:
    `error_type` asks for one),
    both trigger contexts, the null member of the outcome pair present as null (the SDKs
    require both keys), and (unless `extra_fields=False`) unknown extra fields in about half
    of the objects. Strings are printable
    ASCII and timestamps ordinary, so no EDGE class is hit: the rare kinds are edge_runs()'s.
    A schedule trigger is a SHOULD finding for Run Deployment Now and its `scheduled_at` may
    fall after `created_at` (another SHOULD); nothing else is.

    - `outcome`: "success" (a `session_id`, no error) or "error" (an error, no session).
    - `trigger`: one of the trigger types on the page ("schedule", "manual").
    - `error_type`: one of the error types on the page (then the outcome is "error").

    >>> runs(outcome="error", trigger="manual").example()
    {'id': 'drun_00000000000000000000Qx3Z', 'agent': {'id': 'agent_0000000000000000000000b1',
     'type': 'agent', 'version': -3198}, 'created_at': '2000-01-01T00:00:13.52+05:15',
     'deployment_id': 'depl_000000000000000000000Z7Q', 'trigger_context': {'type': 'manual'},
     'type': 'deployment_run', 'error': {'type': 'vault_archived_error', 'message': 'M',
     'region': 7}}

    Compiled once per argument combination and cached. Shrinks towards the fewest choices,
    then the smallest: a success run with a null `error`, a manual trigger, ids of
    zeros (`drun_000…0`), version 0, 2000-01-01T00:00:00Z, the first error type with a
    one-character message, and no unknown fields.
    """
    check_choice(outcome, OUTCOMES, "outcome")
    check_choice(trigger, contract().trigger_types, "trigger")
    check_choice(error_type, contract().error_types, "error_type")
    if error_type is not None and outcome == "success":
        raise InvalidArgument(f"error_type={error_type!r} is an error run: outcome must be 'error' or None")
    check_bool(extra_fields, "extra_fields")
    if error_type is not None:
        return _runs("error", trigger, extra_fields, error_type)
    if outcome == "success":
        return _runs("success", trigger, extra_fields)
    return _type_then_outcome(outcome, trigger, extra_fields)


@cache
def _type_then_outcome(
    outcome: Outcome | None, trigger: str | None, extra_fields: bool
) -> st.SearchStrategy[dict[str, Any]]:
    """An error type, then the outcome (unless given: a success in a quarter of the draws), then
    the run. The type is drawn even for a success run, so that the run's other choices sit in
    the same places whatever its outcome: the shrinker can turn an error run into a success
    one, or one error type into the first, and keep the rest. Both come first, where
    Hypothesis varies its first examples' choices."""
    outcomes = st.just(outcome) if outcome is not None else evenly(_OUTCOME_DRAWS)
    return st.tuples(evenly(contract().error_types), outcomes).flatmap(
        lambda drawn: _runs(drawn[1], trigger, extra_fields, drawn[0] if drawn[1] == "error" else None)
    )
