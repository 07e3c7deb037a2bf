"""The results of a run, as `results.json` holds them: what every runner produces and every
report renders.

    results = RunResults.model_validate_json(Path("drun-report/results.json").read_text())
    for target in results.targets:
        print(target.id, target.verdict, target.gate)
        for requirement in target.requirements:
            if requirement.status == "failed":
                print(" ", requirement.id, requirement.message, requirement.counterexample)

`results.json` is `RunResults` dumped as JSON (each SDK target with its case records); its JSON
Schema ships in `drun_conformance.reports` (`RESULTS_SCHEMA_VERSION` names its version).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from drun_conformance._differential import CaseRecord, Differential

from ._policy import run_gate, target_gate

__all__ = [
    "RESULTS_SCHEMA_VERSION",
    "Counterexample",
    "DriftDifference",
    "Gate",
    "Interrupted",
    "RequirementResult",
    "RunResults",
    "Status",
    "TargetDrift",
    "TargetResult",
    "Verdict",
]

RESULTS_SCHEMA_VERSION = 2
Status = Literal["passed", "failed", "skipped", "errored"]
Verdict = Literal["conformant", "non-conformant", "incomplete"]
Gate = Literal["passed", "failed", "incomplete"]
_MOST = 2**63 - 1  # a count past an int64 was never counted: a results file holding one is refused


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Counterexample(_Model):
    """The smallest case that broke a requirement, as the user needs it to reproduce it."""

    summary: str
    pointer: str = ""
    expected: str = ""
    observed: str = ""
    payload: Any = None  # the body served or received, as JSON (None when not JSON)
    payload_text: str | None = None  # the body as text, when it was not JSON
    request: dict[str, Any] | None = None  # method, url, headers (secrets redacted), body
    response: dict[str, Any] | None = None  # status, headers, body
    answer: dict[str, Any] | None = None  # what an SDK harness answered
    curl: str | None = None

    @property
    def size(self) -> int:
        return len(json.dumps(self.model_dump(mode="json"), ensure_ascii=False, default=str))


class RequirementResult(_Model):
    id: str
    level: Literal["MUST", "SHOULD", "EDGE"]
    side: str
    area: str
    title: str
    source: dict[str, Any]
    status: Status
    cases: int = Field(default=0, ge=0, le=_MOST)  # cases that exercised the requirement
    failures: int = Field(default=0, ge=0, le=_MOST)
    reason: str | None = None  # why skipped or errored
    applicable: bool = True  # False: no input could exercise it on this target (blocks nothing)
    remedy: str | None = None  # unexercised: what would exercise it
    message: str | None = None  # the first failure's message
    counterexample: Counterexample | None = None
    expected: str | None = None  # a known failure: the reason its SDK's expectations file gives
    expected_in: str | None = None  # ... and that file, e.g. "expectations/typescript.yaml"

    @property
    def unexercised(self) -> bool:
        """Never exercised though other inputs or more budget would have: no pass, no N/A."""
        return self.status in ("skipped", "errored") and self.applicable


class DriftDifference(_Model):
    """One difference between the SDK's own model and the contract, as `spec drift --json` has it."""

    id: str  # "agent.version: type", the id an expectations file lists under `drift:`
    subject: str
    aspect: str
    sdk: str
    contract: str
    file: str  # the SDK file that shows it
    line: str  # the difference in words, as `spec drift` prints it
    expected: str | None = None  # known: the reason the SDK's expectations file gives


class TargetDrift(_Model):
    """An SDK target's drift from the contract: `spec drift` on the release the gate ran. It is
    reported, never gating here: `spec drift` is its gate (exit 1 on a difference not listed)."""

    given: str  # what `spec drift --sdk` takes for this release: "python@2.10.0"
    package: str = ""
    release: str = ""  # "local" for a local build
    version: str | None = None  # the release whose expectations apply: a local build's own, if it says
    expectations: str | None = None  # the file whose `drift:` list marks differences known
    unexpected: int = 0  # differences that list does not name
    differences: list[DriftDifference] = Field(default_factory=list)
    stale: list[str] = Field(default_factory=list)  # listed, but this release does not show them
    error: str | None = None  # why the SDK's model could not be read (then no differences)


class TargetResult(_Model):
    id: str  # "server:http://127.0.0.1:8000", "sdk:python"
    kind: Literal["server", "client"]
    identity: dict[str, Any]
    verdict: Verdict
    gate: Gate
    requirements: list[RequirementResult]
    requests: int = Field(default=0, ge=0, le=_MOST)
    coverage: dict[str, dict[str, str]] = Field(default_factory=dict)  # e.g. error type -> observed
    notes: list[str] = Field(default_factory=list)
    # An SDK gate's cases, for the run's differential; written, so `report merge` can compute it again.
    case_records: list[CaseRecord] = Field(
        default_factory=list,
        description="An SDK target's cases in the order served, each a fingerprint of the bytes served"
        " and what the target made of them: `report merge` computes the differential of many shards"
        " from them. Absent from results written before (the merge then cannot compute it).",
    )
    drift: TargetDrift | None = Field(
        default=None,
        description="An SDK target's drift from the contract (`spec drift` on the release gated), each"
        " difference marked known or not; it never gates the SDK gate. Null for servers, harnesses given"
        " by command, and results written before.",
    )

    @model_validator(mode="before")
    @classmethod
    def _gate_when_missing(cls, data: Any) -> Any:
        """A caller that gives no gate gets the one its requirements say (strictness aside)."""
        if isinstance(data, dict) and "gate" not in data:
            requirements = [RequirementResult.model_validate(r) for r in data.get("requirements", [])]
            data = {**data, "gate": target_gate(requirements, strict=False)}
        return data

    def counts(self) -> dict[str, int]:
        counts = {"passed": 0, "failed": 0, "skipped": 0, "errored": 0}
        for requirement in self.requirements:
            counts[requirement.status] += 1
        return counts

    def known_failures(self) -> list[RequirementResult]:
        return [r for r in self.requirements if r.status == "failed" and r.expected is not None]

    def unexercised_must(self) -> list[RequirementResult]:
        return [r for r in self.requirements if r.level == "MUST" and r.unexercised]


class RunResults(_Model):
    schema_version: int = RESULTS_SCHEMA_VERSION
    tool: dict[str, str]
    command: list[str]
    started_at: datetime
    duration_s: float
    seed: int | None = None
    strict: bool = False
    spec: dict[str, Any]
    partial: bool = False  # cut short: interrupted, out of time; never reads as passed
    verdict: Verdict
    gate: Gate
    targets: list[TargetResult]
    differential: Differential | None = None  # SDK targets that answered the same bytes differently

    @model_validator(mode="before")
    @classmethod
    def _gate_when_missing(cls, data: Any) -> Any:
        if isinstance(data, dict) and "gate" not in data:
            targets = [TargetResult.model_validate(t) for t in data.get("targets", [])]
            data = {**data, "gate": run_gate(targets, partial=bool(data.get("partial")))}
        return data


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a target's check, carrying what that target had checked so far."""

    def __init__(self, result: TargetResult) -> None:
        super().__init__()
        self.result = result
