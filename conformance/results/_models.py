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
    "Gate",
    "Interrupted",
    "RequirementResult",
    "RunResults",
    "Status",
    "TargetResult",
    "Verdict",
]

RESULTS_SCHEMA_VERSION = 2
Status = Literal["passed", "failed", "skipped", "errored"]
Verdict = Literal["conformant", "non-conformant", "incomplete"]
Gate = Literal["passed", "failed", "incomplete"]


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
    cases: int = 0  # cases that exercised the requirement
    failures: int = 0
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


class TargetResult(_Model):
    id: str  # "server:http://127.0.0.1:8000", "sdk:python"
    kind: Literal["server", "client"]
    identity: dict[str, Any]
    verdict: Verdict
    gate: Gate
    requirements: list[RequirementResult]
    requests: int = 0
    coverage: dict[str, dict[str, str]] = Field(default_factory=dict)  # e.g. error type -> observed
    notes: list[str] = Field(default_factory=list)
    # An SDK gate's cases, for the run's differential; written, so `report merge` can compute it again.
    case_records: list[CaseRecord] = Field(
        default_factory=list,
        description="An SDK target's cases in the order served, each a fingerprint of the bytes served"
        " and what the target made of them: `report merge` computes the differential of many shards"
        " from them. Absent from results written before (the merge then cannot compute it).",
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
