"""What regressed and what got fixed between two runs (`report diff OLD.json NEW.json`).

A regression is a requirement now failing that was not failing before (passed, skipped or
errored -> failed), one that passed and now errors, or a verdict that got worse (for the
run or for a target). Targets are matched by id, requirements by id within a target.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from drun_conformance.results import RequirementResult, RunResults, TargetResult

__all__ = ["Change", "ResultsDiff", "TargetDiff", "diff_results"]

_VERDICT_RANK = {"conformant": 0, "incomplete": 1, "non-conformant": 2}


@dataclass(frozen=True)
class Change:
    kind: str  # regressed, fixed, new, removed, unexercised, changed
    requirement: RequirementResult  # the new one (the old one for "removed")
    old_status: str | None
    new_status: str | None

    def line(self) -> str:
        r = self.requirement
        if self.kind == "new":
            what = f"new ({self.new_status})"
        elif self.kind == "removed":
            what = f"removed (was {self.old_status})"
        else:
            what = f"{self.old_status} -> {self.new_status}"
        message = f": {r.message}" if self.kind == "regressed" and r.message else ""
        return f"  {self.kind:<11} {r.level:<6} {r.id}  {what}{message}"


@dataclass
class TargetDiff:
    id: str
    old_verdict: str | None  # None: the target is new
    new_verdict: str | None  # None: the target was removed
    changes: list[Change] = field(default_factory=list)

    @property
    def verdict_worse(self) -> bool:
        if self.old_verdict is None or self.new_verdict is None:
            return False
        return _VERDICT_RANK[self.new_verdict] > _VERDICT_RANK[self.old_verdict]

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]


@dataclass
class ResultsDiff:
    old_verdict: str
    new_verdict: str
    targets: list[TargetDiff]

    @property
    def verdict_worse(self) -> bool:
        return _VERDICT_RANK[self.new_verdict] > _VERDICT_RANK[self.old_verdict]

    @property
    def regressions(self) -> int:
        requirement_level = sum(len(t.of("regressed")) for t in self.targets)
        return requirement_level + sum(t.verdict_worse for t in self.targets) + self.verdict_worse

    def count(self, kind: str) -> int:
        return sum(len(t.of(kind)) for t in self.targets)

    def lines(self) -> Iterator[str]:
        marker = "  (worse)" if self.verdict_worse else ""
        yield f"verdict: {self.old_verdict} -> {self.new_verdict}{marker}"
        for t in self.targets:
            if t.old_verdict is None:
                yield f"{t.id}: new target ({t.new_verdict})"
            elif t.new_verdict is None:
                yield f"{t.id}: removed target (was {t.old_verdict})"
            else:
                worse = "  (worse)" if t.verdict_worse else ""
                change = (
                    f"{t.old_verdict} -> {t.new_verdict}" if t.old_verdict != t.new_verdict else t.new_verdict
                )
                yield f"{t.id}: {change}{worse}{'' if t.changes else ', no requirement changed'}"
            for kind in ("regressed", "fixed", "new", "removed", "unexercised", "changed"):
                for c in t.of(kind):
                    yield c.line()
        yield (
            f"{self.regressions} regression{'s' if self.regressions != 1 else ''}, "
            f"{self.count('fixed')} fixed, {self.count('new')} new, {self.count('removed')} removed"
        )


def diff_results(old: RunResults, new: RunResults) -> ResultsDiff:
    old_targets = {t.id: t for t in old.targets}
    new_targets = {t.id: t for t in new.targets}
    targets = [_target_diff(old_targets.get(tid), new_targets.get(tid), tid) for tid in new_targets]
    targets += [_target_diff(old_targets[tid], None, tid) for tid in old_targets if tid not in new_targets]
    return ResultsDiff(_effective(old), _effective(new), targets)


def _effective(results: RunResults) -> str:
    # A partial run is at best incomplete, whatever its verdict field says.
    return "incomplete" if results.partial and results.verdict == "conformant" else results.verdict


def _target_diff(old: TargetResult | None, new: TargetResult | None, tid: str) -> TargetDiff:
    diff = TargetDiff(tid, old.verdict if old else None, new.verdict if new else None)
    if old is None or new is None:
        return diff  # whole-target changes are named on the target line, not per requirement
    before = {r.id: r for r in old.requirements}
    after = {r.id: r for r in new.requirements}
    for rid, r in after.items():
        if rid not in before:
            diff.changes.append(Change("new", r, None, r.status))
            continue
        was = before[rid].status
        kind = _classify(was, r.status)
        if kind:
            diff.changes.append(Change(kind, r, was, r.status))
    diff.changes += [Change("removed", r, r.status, None) for rid, r in before.items() if rid not in after]
    return diff


def _classify(was: str, now: str) -> str | None:
    if was == now:
        return None
    if now == "failed" or (was == "passed" and now == "errored"):
        return "regressed"
    if now == "passed":
        return "fixed"
    if now == "skipped":
        return "unexercised"  # lost coverage: not a regression, but never silent
    return "changed"
