"""Two judgements per target, never mixed, and the run's from its targets'.

    target_verdict(target.requirements, strict=False)   # "conformant", "non-conformant", "incomplete"
    target_gate(target.requirements, strict=False)      # "passed", "failed", "incomplete"
    describe_gate(target)   # "gate passed: non-conformant, 1 known MUST failure (client.parse.int64, ...)"

The `verdict` says what was found: `conformant` only when every applicable MUST was exercised
and none failed; `non-conformant` when one failed, listed in an expectations file or not; else
`incomplete`. The `gate` says what the exit status does with it: `failed` on a failure not
listed, `incomplete`, else `passed`. With `strict`, SHOULDs count as MUSTs both ways: a SHOULD
failure fails, and a SHOULD never exercised (that could have been) leaves the verdict incomplete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from ._models import Gate, RequirementResult, TargetResult, Verdict

__all__ = ["describe_gate", "run_gate", "run_verdict", "target_gate", "target_verdict"]


def _gating(strict: bool) -> set[str]:
    return {"MUST", "SHOULD"} if strict else {"MUST"}


def _short(requirements: list[RequirementResult], gating: set[str]) -> bool:
    """A gating requirement was never exercised (and could have been), or no MUST was at all."""
    must = [r for r in requirements if r.level == "MUST"]
    exercised = any(r.status in ("passed", "failed") for r in must)
    return not exercised or any(r.unexercised for r in requirements if r.level in gating)


def _unexercised(target: TargetResult, gating: set[str]) -> list[RequirementResult]:
    return [r for r in target.requirements if r.level in gating and r.unexercised]


def target_verdict(requirements: Iterable[RequirementResult], *, strict: bool) -> Verdict:
    """What was found: a failure (known or not) is non-conformant; an unexercised MUST, incomplete."""
    requirements = list(requirements)
    gating = _gating(strict)
    if any(r.status == "failed" and r.level in gating for r in requirements):
        return "non-conformant"
    return "incomplete" if _short(requirements, gating) else "conformant"


def target_gate(requirements: Iterable[RequirementResult], *, strict: bool) -> Gate:
    """What the exit status makes of it: only a failure not listed in expectations fails."""
    requirements = list(requirements)
    gating = _gating(strict)
    if any(r.status == "failed" and r.level in gating and r.expected is None for r in requirements):
        return "failed"
    # Known failures aside, what was never exercised is no pass.
    return "incomplete" if _short(requirements, gating) else "passed"


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
    for level in ("MUST", "SHOULD"):
        unexercised = _unexercised(target, gating & {level})
        if unexercised:
            shown = ", ".join(r.id for r in unexercised[:4]) + (", ..." if len(unexercised) > 4 else "")
            parts.append(f"{len(unexercised)} {level} never exercised ({shown})")
    said = "; ".join(part for part in parts if part)
    return f"gate {target.gate}: {target.verdict}" + (f", {said}" if said else "")


def _counted(failed: list[RequirementResult], known: str, name: Callable[[RequirementResult], str]) -> str:
    if not failed:
        return ""
    levels = {r.level for r in failed}
    level = levels.pop() if len(levels) == 1 else "MUST/SHOULD"
    plural = "s" if len(failed) != 1 else ""
    return f"{len(failed)} {known}{level} failure{plural} ({'; '.join(name(r) for r in failed)})"
