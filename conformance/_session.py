"""One invocation of a checking command: run its targets, build RunResults, write reports,
and pick the exit status. An interrupted run still writes its (partial) reports.

Exit status, from the gate: 0 passed, 1 a failure not listed in expectations, 3 no target
could be reached, 4 incomplete (0 with `allow_incomplete`; the verdict stays incomplete).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from drun_conformance import spec
from drun_conformance.results import (
    Interrupted,
    RunResults,
    TargetResult,
    describe_gate,
    run_gate,
    run_verdict,
)

from ._differential import Differential, differential
from ._interrupt import stopping_on_signals
from ._parallel import TargetCheck, check_side_by_side
from ._secrets import SECRET_FLAGS, Redactor

__all__ = [
    "EXIT_INCOMPLETE",
    "Started",
    "check_targets",
    "execute",
    "exit_status",
    "now",
    "reproduce_command",
]

EXIT_INCOMPLETE = 4
Started = tuple[datetime, float]  # when a run began: the wall clock, and time.monotonic()

_GROUPS_PRINTED = 5


def now() -> Started:
    return datetime.now(UTC), time.monotonic()


def reproduce_command(argv: Sequence[str], *, seed: int | None) -> list[str]:
    """The command line to run again: secrets dropped (read from the environment), seed pinned."""
    command, skip = ["drun-conformance"], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in SECRET_FLAGS:
            skip = True
            continue
        if any(arg.startswith(flag + "=") for flag in SECRET_FLAGS):
            continue
        command.append(arg)
    if seed is not None and "--seed" not in command and not any(a.startswith("--seed=") for a in command):
        command += ["--seed", str(seed)]
    return command


def execute(
    checks: Sequence[TargetCheck],
    *,
    argv: Sequence[str],
    seed: int | None,
    strict: bool,
    report_dir: Path | None,
    allow_incomplete: bool = False,
    jobs: int = 1,
    secrets: Iterable[str] = (),
    started: Started | None = None,
) -> int:
    """Check the targets, write the reports (free of `secrets`, the keys the run used or saw),
    print the summary, and answer the exit status. `started`: when the run began, if before the
    checks (the proxy judges as it forwards, and checks only what it saw once stopped)."""
    command = reproduce_command(argv, seed=seed)
    results = check_targets(checks, command=command, seed=seed, strict=strict, jobs=jobs, started=started)
    if report_dir is not None:
        from drun_conformance.reports import write_reports

        write_reports(results, report_dir, secrets=secrets)
    _print_summary(results, report_dir, Redactor(secrets))
    return exit_status(results, allow_incomplete=allow_incomplete)


def exit_status(results: RunResults, *, allow_incomplete: bool = False) -> int:
    """The gate as an exit status: 0 passed, 1 failed, 3 nothing reached, 4 incomplete."""
    if results.targets and all(not t.identity.get("reached", True) for t in results.targets):
        return 3
    if results.gate == "failed":
        return 1
    if results.gate == "incomplete":
        return 0 if allow_incomplete else EXIT_INCOMPLETE
    return 0


def check_targets(
    checks: Sequence[TargetCheck],
    *,
    command: list[str],
    seed: int | None,
    strict: bool,
    jobs: int = 1,
    started: Started | None = None,
) -> RunResults:
    """Run the targets' checks into one RunResults, in turn or `jobs` at a time (then each check
    must pickle: see _parallel); the results are in the order of `checks` either way. Ctrl-C
    keeps what was checked."""
    began, clock = started or now()
    targets: list[TargetResult] = []
    partial = False
    try:
        with stopping_on_signals():
            if jobs > 1 and len(checks) > 1:
                targets, partial = check_side_by_side(checks, jobs=jobs)
            else:
                for check in checks:
                    if (result := check()) is not None:
                        targets.append(result)
    except KeyboardInterrupt as interrupt:
        partial = True
        if isinstance(interrupt, Interrupted):  # what the interrupted target had checked is kept
            targets.append(interrupt.result)
    if partial:
        print("drun-conformance: interrupted; writing what was checked so far", file=sys.stderr)
    return RunResults(
        tool={"name": "drun-conformance", "version": _version()},
        command=command,
        started_at=began,
        duration_s=round(time.monotonic() - clock, 3),
        seed=seed,
        strict=strict,
        spec={
            "sha256": spec.load_catalog().page_sha256,
            "catalog_version": spec.load_catalog().version,
        },
        partial=partial,
        verdict=run_verdict(targets, partial=partial),
        gate=run_gate(targets, partial=partial),
        targets=targets,
        differential=_differential(targets),
    )


def _differential(targets: Sequence[TargetResult]) -> Differential | None:
    from .oracle import Oracle

    records = [(t.id, t.case_records) for t in targets if t.case_records]
    return differential(records, timestamps=Oracle.default().facts.timestamp_paths)


def _print_summary(results: RunResults, report_dir: Path | None, redactor: Redactor) -> None:
    def say(line: str) -> None:  # a finding may quote what a target reflected of the key
        print(redactor.text(line))

    for target in results.targets:
        counts = target.counts()
        say(
            f"{target.id}: {describe_gate(target, strict=results.strict)} ({counts['passed']} passed, "
            f"{counts['failed']} failed, {counts['skipped']} skipped, {counts['errored']} errored; "
            f"{target.requests} requests)"
        )
        for requirement in target.requirements:
            if requirement.status == "failed":
                known = f" (known: {requirement.expected_in})" if requirement.expected else ""
                say(f"  FAILED{known} {requirement.level:6} {requirement.id}: {requirement.message}")
        for requirement in target.unexercised_must():
            remedy = f"; to exercise it: {requirement.remedy}" if requirement.remedy else ""
            say(f"  UNEXERCISED MUST {requirement.id}: {requirement.reason}{remedy}")
        for note in target.notes:
            say(f"  note: {note}")
    if results.differential is not None:
        _print_differential(results.differential, say)
    partial = " (partial run)" if results.partial else ""
    say(f"gate: {results.gate}; verdict: {results.verdict}{partial}")
    if report_dir is not None:
        say(f"report: {report_dir / 'report.html'}")


def _print_differential(found: Differential, say: Callable[[str], None] = print) -> None:
    """A line per way the targets disagreed; the cases themselves are in the reports."""
    alike = found.compared - found.disagreeing
    say(
        f"differential: {found.disagreeing} of {found.compared} cases served to all {len(found.targets)}"
        f" targets answered differently ({alike} alike)"
    )
    for group in found.groups[:_GROUPS_PRINTED]:
        answers = " / ".join(f"{target} {pattern}" for target, pattern in group.pattern.items())
        example = f", e.g. {group.shown[0].served}" if group.shown else ""
        say(f"  {group.cases} case{'s' if group.cases != 1 else ''}: {answers}{example}")
    if len(found.groups) > _GROUPS_PRINTED:
        say(f"  ... {len(found.groups) - _GROUPS_PRINTED} more ways, in the report")


def _version() -> str:
    try:
        return version("drun-conformance")
    except PackageNotFoundError:
        return "0+unknown"
