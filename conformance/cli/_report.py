"""`drun-conformance report diff | merge | render | summary`: what got better and what regressed
between two runs (exit 1 on a regression), one run from its shards (exit: its gate), a run's
reports written again, or a run as Markdown for a CI job summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from drun_conformance._errors import UsageError

from ._common import Commands

__all__ = ["add_parser"]


def add_parser(commands: Commands) -> None:
    report = commands.add_parser("report", help="diff, merge shards of, render or summarise results.json")
    report.add_argument("action", choices=["diff", "merge", "render", "summary"])
    report.add_argument("files", nargs="+", metavar="RESULTS_JSON", help="diff: OLD NEW; merge: SHARD...")
    report.add_argument("--report-dir", metavar="DIR", help="merge: where to; render: default beside it")
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    if args.action == "diff":
        if len(args.files) != 2:
            raise UsageError("report diff takes two results files: OLD.json NEW.json")
        return _diff(Path(args.files[0]), Path(args.files[1]))
    if args.action == "merge":
        return _merge(args)
    if len(args.files) != 1:
        raise UsageError(f"report {args.action} takes one results file")
    from drun_conformance.reports import load_results, render_summary, write_reports

    if args.action == "summary":
        if args.report_dir is not None:
            raise UsageError("report summary takes no --report-dir: it prints Markdown (redirect it)")
        sys.stdout.write(render_summary(load_results(args.files[0])))
        return 0
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


def _merge(args: argparse.Namespace) -> int:
    """Write the merged run's reports; the exit status is its gate, as a whole run's would be."""
    from drun_conformance._session import exit_status
    from drun_conformance.reports import load_results, merge_results, write_reports
    from drun_conformance.reports._merge import NO_CASE_RECORDS

    if args.report_dir is None:
        raise UsageError("report merge needs --report-dir DIR (where the merged report goes)")
    merged = merge_results([(path, load_results(path)) for path in args.files])
    out = Path(args.report_dir)
    write_reports(merged, out)
    for target in merged.targets:
        if NO_CASE_RECORDS in target.notes:
            print(f"report merge: {target.id}: {NO_CASE_RECORDS}", file=sys.stderr)
    found = merged.differential
    differs = f"; differential: {found.disagreeing} of {found.compared} cases differ" if found else ""
    print(
        f"merged {len(args.files)} results files, {len(merged.targets)} targets: gate {merged.gate},"
        f" verdict {merged.verdict}{differs}"
    )
    print(f"wrote {out}/report.html, results.json, junit.xml")
    return exit_status(merged)
