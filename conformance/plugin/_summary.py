"""What both plugin paths (the targets it runs, and the proxy) write at the end of a session,
and the one rule for failing a session whose own tests passed: the gate, as every checking
command has it (a failure not listed, or an incomplete run unless allowed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from drun_conformance.results import RunResults, TargetResult

__all__ = ["fail_session_by_gate", "summary_lines"]


def fail_session_by_gate(session: pytest.Session, results: RunResults, *, allow_incomplete: bool) -> None:
    gated = results.gate == "failed" or (results.gate == "incomplete" and not allow_incomplete)
    if gated and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def summary_lines(results: RunResults, *, allow_incomplete: bool) -> list[str]:
    """What follows the verdict line: each target's lines, indented, then the gate."""
    lines = [f"  {line}" for target in results.targets for line in _target_lines(target)]
    return [*lines, _gate_line(results, allow_incomplete=allow_incomplete)]


def _target_lines(target: TargetResult) -> list[str]:
    """The target's gate and verdict, then each failure, each MUST not exercised, each note."""
    from drun_conformance.results import describe_gate

    counts = ", ".join(f"{n} {status}" for status, n in target.counts().items() if n)
    lines = [f"{target.id}: {describe_gate(target)} ({counts}; {target.requests} requests)"]
    for r in target.requirements:
        if r.status == "failed":
            known = f" (known: {r.expected_in or 'an expectations file'})" if r.expected is not None else ""
            lines.append(f"  FAILED {r.level} {r.id}{known}: {r.message}")
    lines += [
        f"  not exercised: {r.id} ({r.status}: {r.reason or 'no reason recorded'})"
        for r in target.unexercised_must()
    ]
    lines += [f"  note: {note}" for note in target.notes]
    return lines


def _gate_line(results: RunResults, *, allow_incomplete: bool) -> str:
    if results.gate != "incomplete":
        return f"gate: {results.gate}"
    if allow_incomplete:
        return "gate: incomplete; incomplete: allowed by --drun-allow-incomplete"
    return "gate: incomplete; incomplete fails the session (--drun-allow-incomplete accepts it)"
