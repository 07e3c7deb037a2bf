"""A target's results as they accumulate: each evaluation counted per requirement, with the
smallest counterexample of each failure, until `result()` freezes them into a TargetResult.

    tally = TargetTally(spec.load_catalog(), sides={"server"})
    tally.record(oracle.judge_run_now(exchange, run), example)
    result = tally.result(target_id="server:http://127.0.0.1:8000", kind="server", identity={}, strict=False)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

from drun_conformance.oracle import Evaluation, Finding
from drun_conformance.spec import Catalog, Requirement, Side

from ._models import Counterexample, RequirementResult, Status, TargetResult
from ._policy import target_gate, target_verdict

__all__ = ["Remedy", "TargetTally"]

Remedy = Callable[[str], str | None]  # a requirement left unexercised -> what would exercise it


class TargetTally:
    """Accumulates evaluations for one target; `result()` freezes them.

    `catalog` is the requirement catalog; `sides` limits which requirements this target is
    judged on (a server target is not judged on client-parse requirements).
    """

    def __init__(self, catalog: Catalog, *, sides: Iterable[Side]) -> None:
        self._entries = {r.id: r for r in catalog.on(*sides)}
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
        self, rid: str, entry: Requirement, default_skip: str, remedy: Remedy | None
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
            level=entry.level,
            side=entry.side,
            area=entry.area,
            title=entry.title,
            source=entry.source.to_json(),
            status=status,
            cases=cases,
            failures=failures,
            reason=reason,
            applicable=applicable,
            remedy=remedy(rid) if unexercised and remedy is not None else None,
            message=self._messages.get(rid),
            counterexample=self._examples.get(rid),
        )
