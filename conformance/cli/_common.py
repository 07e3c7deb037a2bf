"""What the checking commands share: the flags of a gate, the report folder, and the one run
that turns their targets' checks into results, reports and an exit status."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeAlias

from drun_conformance._errors import UsageError

from ._flags import MAX_SEED, int_from

__all__ = ["Commands", "checked_server", "execute", "gate_flags", "note", "report_dir", "run_flags"]

Commands: TypeAlias = (
    "argparse._SubParsersAction[argparse.ArgumentParser]"  # what each command adds itself to
)


def run_flags(parser: argparse.ArgumentParser) -> None:
    """A checking command's flags: a seed, then a gate's."""
    parser.add_argument(
        "--seed", type=int_from(0, MAX_SEED), help="reproduce a run (default: a fresh one, printed)"
    )
    gate_flags(parser)


def gate_flags(parser: argparse.ArgumentParser) -> None:
    """What every command that ends in a gate takes: strictness, reports, incomplete allowed."""
    parser.add_argument("--strict", action="store_true", help="SHOULD failures gate too")
    parser.add_argument("--report-dir", metavar="DIR", help="write report.html, results.json, junit.xml")
    parser.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="exit 0, not 4, when a MUST was never exercised (the verdict stays incomplete)",
    )


def execute(
    args: argparse.Namespace, argv: Sequence[str], checks: list[Callable[[], Any]], **how: Any
) -> int:
    """Run the targets' checks as one run: results, reports and the exit status (`how`: jobs, secrets)."""
    from drun_conformance._session import execute as run

    options = {"seed": args.seed, "strict": args.strict, "allow_incomplete": args.allow_incomplete}
    return run(checks, argv=argv, report_dir=report_dir(args), **options, **how)


def checked_server(options: Any, **how: Any) -> Any:
    """check_server with live progress on standard error (`how`: its other keywords)."""
    from drun_conformance.reports import progress
    from drun_conformance.server import budget_of, check_server

    label = f"server {options.base_url or 'embedded'}"
    with progress(total=budget_of(options), label=label) as bar:
        return check_server(options, progress=bar, **how)


def note(text: str, *, label: str | None = None) -> None:
    """A progress note; with several targets at once, each says whose it is."""
    print(f"  … [{label}] {text}" if label else f"  … {text}", file=sys.stderr, flush=True)


def report_dir(args: argparse.Namespace) -> Path | None:
    """`--report-dir`, made and checked writable (None: no reports asked for)."""
    if args.report_dir is None:
        return None
    path = Path(args.report_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--report-dir: cannot create the folder {path}: {exc.strerror}") from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"--report-dir: cannot write into {path}")
    return path
