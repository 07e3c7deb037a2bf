"""What both plugin paths (the targets it runs, and the proxy) write at the end of a session,
and the one rule for failing a session whose own tests passed: the gate, as every checking
command has it (a failure not listed, or an incomplete run unless allowed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drun_conformance._verdict import RunResults, TargetResult

__all__ = ["gate_line", "session_fails", "target_lines"]


def session_fails(results: RunResults, *, allow_incomplete: bool) -> bool:
    return results.gate == "failed" or (results.gate == "incomplete" and not allow_incomplete)


def target_lines(target: TargetResult) -> list[str]:
    """The target's gate and verdict, then each failure, each MUST not exercised, each note."""
    from drun_conformance._verdict import describe_gate

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


def gate_line(results: RunResults, *, allow_incomplete: bool) -> str:
    if results.gate != "incomplete":
        return f"gate: {results.gate}"
    if allow_incomplete:
        return "gate: incomplete; incomplete: allowed by --drun-allow-incomplete"
    return "gate: incomplete; incomplete fails the session (--drun-allow-incomplete accepts it)"
