"""The results of a run: what every runner produces and every report renders.

`results.json` is `RunResults` dumped as JSON; its JSON Schema ships in `reports/`. A runner
feeds each evaluation to a `TargetTally`, which keeps per requirement the counts and the
smallest counterexample, then freezes into a `TargetResult`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .oracle import Evaluation, Finding

__all__ = [
    "RESULTS_SCHEMA_VERSION",
    "Counterexample",
    "Interrupted",
    "RequirementResult",
    "RunResults",
    "TargetResult",
    "TargetTally",
    "redact",
    "run_verdict",
    "target_verdict",
]

RESULTS_SCHEMA_VERSION = 1
Status = Literal["passed", "failed", "skipped", "errored"]
Verdict = Literal["conformant", "non-conformant", "incomplete"]
_SECRET_HEADERS = frozenset({"x-api-key", "authorization"})


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
    planned: bool = False  # a probe was meant to exercise it: unexercised, the run is incomplete
    message: str | None = None  # the first failure's message
    counterexample: Counterexample | None = None
    expected: str | None = None  # a known failure: the reason its SDK's expectations file gives


class TargetResult(_Model):
    id: str  # "server:http://127.0.0.1:8000", "sdk:python"
    kind: Literal["server", "client"]
    identity: dict[str, Any]
    verdict: Verdict
    requirements: list[RequirementResult]
    requests: int = 0
    coverage: dict[str, dict[str, str]] = Field(default_factory=dict)  # e.g. error type -> observed
    notes: list[str] = Field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {"passed": 0, "failed": 0, "skipped": 0, "errored": 0}
        for requirement in self.requirements:
            counts[requirement.status] += 1
        return counts


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
    targets: list[TargetResult]


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a target's check, carrying what that target had checked so far."""

    def __init__(self, result: TargetResult) -> None:
        super().__init__()
        self.result = result


def redact(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers safe to write anywhere: credentials replaced by a marker."""
    return {k: ("<redacted>" if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()}


def target_verdict(requirements: Iterable[RequirementResult], *, strict: bool) -> Verdict:
    requirements = list(requirements)
    gating = {"MUST", "SHOULD"} if strict else {"MUST"}
    # A known failure (listed in the SDK's expectations file) is reported, not gated on.
    if any(r.status == "failed" and r.level in gating and r.expected is None for r in requirements):
        return "non-conformant"
    must = [r for r in requirements if r.level == "MUST"]
    if must and not any(r.status in ("passed", "failed") for r in must):
        return "incomplete"  # MUST checks were planned and none could run
    if any(r.planned and r.status in ("skipped", "errored") for r in must):
        return "incomplete"  # a probe meant for a MUST got no usable answer
    return "conformant"


def run_verdict(targets: Iterable[TargetResult], *, partial: bool = False) -> Verdict:
    verdicts = {t.verdict for t in targets}
    if "non-conformant" in verdicts:
        return "non-conformant"
    if "incomplete" in verdicts or partial or not verdicts:
        return "incomplete"
    return "conformant"


class TargetTally:
    """Accumulates evaluations for one target; `result()` freezes them.

    `catalog` is the requirement catalog; `sides` limits which requirements this target is
    judged on (a server target is not judged on client-parse requirements).
    """

    def __init__(self, catalog: Mapping[str, Any], *, sides: Iterable[str]) -> None:
        sides = set(sides)
        self._entries = {e["id"]: e for e in catalog["requirements"] if e["side"] in sides}
        self._cases: dict[str, int] = dict.fromkeys(self._entries, 0)
        self._failures: dict[str, int] = dict.fromkeys(self._entries, 0)
        self._messages: dict[str, str] = {}
        self._examples: dict[str, Counterexample] = {}
        self._skips: dict[str, str] = {}
        self._errors: dict[str, str] = {}
        self._planned: set[str] = set()

    def record(self, evaluation: Evaluation, example: Counterexample | None = None) -> None:
        """Count one evaluation; `example` describes the case, should any finding fail it."""
        for rid in evaluation.exercised:
            if rid in self._cases:
                self._cases[rid] += 1
        for rid, reason in evaluation.skipped.items():
            self._skips.setdefault(rid, reason)
        for finding in evaluation.violations:  # EDGE findings label the case; they fail nothing
            self.fail(finding, example)

    def fail(self, finding: Finding, example: Counterexample | None = None) -> None:
        rid = finding.requirement
        if rid not in self._entries:
            return
        self._failures[rid] += 1
        self._cases[rid] = max(self._cases[rid], self._failures[rid])
        if example is None:
            self._messages.setdefault(rid, finding.message)
            return
        candidate = example.model_copy(
            update={"pointer": finding.pointer, "summary": f"{rid}: {finding.message}"}
        )
        best = self._examples.get(rid)
        if best is None or candidate.size < best.size:
            self._examples[rid] = candidate
            self._messages[rid] = finding.message

    def shrunk(self, finding: Finding, example: Counterexample) -> None:
        """A shrunk counterexample for a failure already counted: kept unless the one on
        record is smaller (a hand-made case may be)."""
        rid = finding.requirement
        if rid not in self._entries or not self._failures[rid]:
            return
        candidate = example.model_copy(
            update={"pointer": finding.pointer, "summary": f"{rid}: {finding.message}"}
        )
        best = self._examples.get(rid)
        if best is None or candidate.size <= best.size:
            self._examples[rid] = candidate
            self._messages[rid] = finding.message

    def skip(self, requirement: str, reason: str) -> None:
        self._skips[requirement] = reason

    def plan(self, requirements: Iterable[str]) -> None:
        """These requirements were meant to be exercised: not reaching them is no "does not apply"."""
        self._planned.update(requirements)

    def error(self, requirement: str, reason: str) -> None:
        self._errors.setdefault(requirement, reason)

    def exercised(self, requirement: str) -> int:
        return self._cases.get(requirement, 0)

    def result(
        self,
        *,
        target_id: str,
        kind: Literal["server", "client"],
        identity: dict[str, Any],
        strict: bool,
        requests: int = 0,
        coverage: dict[str, dict[str, str]] | None = None,
        notes: list[str] | None = None,
        default_skip: str = "no case exercised it",
    ) -> TargetResult:
        requirements = [self._requirement(rid, entry, default_skip) for rid, entry in self._entries.items()]
        return TargetResult(
            id=target_id,
            kind=kind,
            identity=identity,
            verdict=target_verdict(requirements, strict=strict),
            requirements=requirements,
            requests=requests,
            coverage=coverage or {},
            notes=notes or [],
        )

    def _requirement(self, rid: str, entry: Mapping[str, Any], default_skip: str) -> RequirementResult:
        cases, failures = self._cases[rid], self._failures[rid]
        status: Status
        reason = None
        if failures:
            status = "failed"
        elif rid in self._errors and not cases:
            status, reason = "errored", self._errors[rid]
        elif cases:
            status = "passed"
        else:
            status, reason = "skipped", self._skips.get(rid, default_skip)
        return RequirementResult(
            id=rid,
            level=entry["level"],
            side=entry["side"],
            area=entry["area"],
            title=entry["title"],
            source=entry["source"],
            status=status,
            cases=cases,
            failures=failures,
            reason=reason,
            planned=rid in self._planned,
            message=self._messages.get(rid),
            counterexample=self._examples.get(rid),
        )
