"""The results of a run: what every runner produces and every report renders.

`results.json` is `RunResults` dumped as JSON (each SDK target with its case records); its JSON
Schema ships in `drun_conformance.reports`. A runner feeds each evaluation to a `TargetTally`,
which keeps per requirement the counts and the smallest counterexample, then freezes into a
`TargetResult`.

Two judgements per target, never mixed: the `verdict` says what was found (`conformant` only
when every applicable MUST was exercised and none failed; `non-conformant` when one failed,
listed in an expectations file or not; else `incomplete`), the `gate` says what the exit
status does with it (`failed` on a failure not listed, `incomplete`, else `passed`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._differential import CaseRecord, Differential
from .oracle import Evaluation, Finding

__all__ = [
    "RESULTS_SCHEMA_VERSION",
    "Counterexample",
    "Interrupted",
    "RequirementResult",
    "RunResults",
    "TargetResult",
    "TargetTally",
    "describe_gate",
    "run_gate",
    "run_verdict",
    "target_gate",
    "target_verdict",
]

RESULTS_SCHEMA_VERSION = 2
Status = Literal["passed", "failed", "skipped", "errored"]
Verdict = Literal["conformant", "non-conformant", "incomplete"]
Gate = Literal["passed", "failed", "incomplete"]
Remedy = Callable[[str], str | None]


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


def _gating(strict: bool) -> set[str]:
    return {"MUST", "SHOULD"} if strict else {"MUST"}


def _short_of_must(requirements: list[RequirementResult]) -> bool:
    """A MUST was never exercised (and could have been), or none was exercised at all."""
    must = [r for r in requirements if r.level == "MUST"]
    return not any(r.status in ("passed", "failed") for r in must) or any(r.unexercised for r in must)


def target_verdict(requirements: Iterable[RequirementResult], *, strict: bool) -> Verdict:
    """What was found: a failure (known or not) is non-conformant; an unexercised MUST, incomplete."""
    requirements = list(requirements)
    gating = _gating(strict)
    if any(r.status == "failed" and r.level in gating for r in requirements):
        return "non-conformant"
    return "incomplete" if _short_of_must(requirements) else "conformant"


def target_gate(requirements: Iterable[RequirementResult], *, strict: bool) -> Gate:
    """What the exit status makes of it: only a failure not listed in expectations fails."""
    requirements = list(requirements)
    gating = _gating(strict)
    if any(r.status == "failed" and r.level in gating and r.expected is None for r in requirements):
        return "failed"
    # Known failures aside, what was never exercised is no pass.
    return "incomplete" if _short_of_must(requirements) else "passed"


def run_verdict(targets: Iterable[TargetResult], *, partial: bool = False) -> Verdict:
    return _worst({t.verdict for t in targets}, ("non-conformant", "incomplete", "conformant"), partial)


def run_gate(targets: Iterable[TargetResult], *, partial: bool = False) -> Gate:
    return _worst({t.gate for t in targets}, ("failed", "incomplete", "passed"), partial)


_Judgement = TypeVar("_Judgement", bound=str)


def _worst(
    found: set[_Judgement], order: tuple[_Judgement, _Judgement, _Judgement], partial: bool
) -> _Judgement:
    """The run's judgement from its targets': (bad, short, good) in that order; a run cut short
    or with no target is at best short."""
    bad, short, good = order
    if bad in found:
        return bad
    return short if short in found or partial or not found else good


def describe_gate(target: TargetResult, *, strict: bool = False) -> str:
    """Both judgements on one line, e.g. "gate passed: non-conformant, 1 known MUST failure
    (client.parse.int64, expectations/typescript.yaml)"."""
    gating = _gating(strict)
    failed = [r for r in target.requirements if r.status == "failed" and r.level in gating]
    parts = [
        _counted([r for r in failed if r.expected is None], "", lambda r: r.id),
        _counted(
            [r for r in failed if r.expected is not None],
            "known ",
            lambda r: f"{r.id}, {r.expected_in or 'an expectations file'}",
        ),
    ]
    unexercised = target.unexercised_must()
    if unexercised:
        shown = ", ".join(r.id for r in unexercised[:4]) + (", ..." if len(unexercised) > 4 else "")
        parts.append(f"{len(unexercised)} MUST never exercised ({shown})")
    said = "; ".join(part for part in parts if part)
    return f"gate {target.gate}: {target.verdict}" + (f", {said}" if said else "")


def _counted(failed: list[RequirementResult], known: str, name: Callable[[RequirementResult], str]) -> str:
    if not failed:
        return ""
    levels = {r.level for r in failed}
    level = levels.pop() if len(levels) == 1 else "MUST/SHOULD"
    plural = "s" if len(failed) != 1 else ""
    return f"{len(failed)} {known}{level} failure{plural} ({'; '.join(name(r) for r in failed)})"


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
        self._not_applicable: dict[str, str] = {}

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
        """A shrunk counterexample for a failure already counted replaces the one on record:
        a hand-made case may be shorter, but the minimal draw shows the boundary (a version
        just past the `int` range, where the coverage case has 2^53+1)."""
        rid = finding.requirement
        if rid not in self._entries or not self._failures[rid]:
            return
        self._examples[rid] = example.model_copy(
            update={"pointer": finding.pointer, "summary": f"{rid}: {finding.message}"}
        )
        self._messages[rid] = finding.message

    def skip(self, requirement: str, reason: str) -> None:
        self._skips[requirement] = reason

    def not_applicable(self, requirement: str, reason: str) -> None:
        """No input could exercise it on this target: unexercised, it does not make it incomplete."""
        self._not_applicable[requirement] = reason

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
        remedy: Remedy | None = None,
    ) -> TargetResult:
        """`remedy(requirement_id)` says what would exercise a requirement left unexercised."""
        requirements = [
            self._requirement(rid, entry, default_skip, remedy) for rid, entry in self._entries.items()
        ]
        return TargetResult(
            id=target_id,
            kind=kind,
            identity=identity,
            verdict=target_verdict(requirements, strict=strict),
            gate=target_gate(requirements, strict=strict),
            requirements=requirements,
            requests=requests,
            coverage=coverage or {},
            notes=notes or [],
        )

    def _requirement(
        self, rid: str, entry: Mapping[str, Any], default_skip: str, remedy: Remedy | None
    ) -> RequirementResult:
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
        applicable = status == "passed" or status == "failed" or rid not in self._not_applicable
        if not applicable:
            reason = f"not applicable: {self._not_applicable[rid]}"
        unexercised = status in ("skipped", "errored") and applicable
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
            applicable=applicable,
            remedy=remedy(rid) if unexercised and remedy is not None else None,
            message=self._messages.get(rid),
            counterexample=self._examples.get(rid),
        )
