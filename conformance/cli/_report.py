"""`drun-conformance report diff OLD.json NEW.json | render RESULTS.json`: what got better and what
regressed between two runs (exit 1 on a regression), or a run's reports written again."""

from __future__ import annotations

import argparse
from pathlib import Path

from drun_conformance._errors import UsageError

from ._common import Commands

__all__ = ["add_parser"]


def add_parser(commands: Commands) -> None:
    report = commands.add_parser("report", help="compare two results.json (diff), or render one again")
    report.add_argument("action", choices=["diff", "render"])
    report.add_argument("files", nargs="+", metavar="RESULTS_JSON", help="diff: OLD NEW; render: RESULTS")
    report.add_argument("--report-dir", metavar="DIR", help="render: where to write (default: beside it)")
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    if args.action == "diff":
        if len(args.files) != 2:
            raise UsageError("report diff takes two results files: OLD.json NEW.json")
        return _diff(Path(args.files[0]), Path(args.files[1]))
    if len(args.files) != 1:
        raise UsageError("report render takes one results file")
    from drun_conformance.reports import load_results, write_reports

    source = Path(args.files[0])
    results = load_results(source)
    out = Path(args.report_dir) if args.report_dir else source.parent
    write_reports(results, out)
    print(f"wrote {out}/report.html, results.json, junit.xml")
    return 0


def _diff(old_path: Path, new_path: Path) -> int:
    """Print the diff; exit 1 on a regression."""
    from drun_conformance.reports import diff_results, load_results

    diff = diff_results(load_results(old_path), load_results(new_path))
    print(f"report diff: {old_path} -> {new_path}")
    for line in diff.lines():
        print(line)
    return 1 if diff.regressions else 0
