"""`drun-conformance report diff | merge | render | summary`: the handler behind the CLI's `report`
command (its flags are declared in drun_conformance.cli, so building the parser imports nothing
from here)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from drun_conformance._errors import UsageError

from ._diff import cmd_report_diff
from ._merge import NO_CASE_RECORDS, merge_results
from ._schema import load_results
from ._summary import cmd_report_summary
from ._write import write_reports

__all__ = ["cmd_report"]


def cmd_report(args: argparse.Namespace) -> int:
    if args.action == "diff":
        if len(args.files) != 2:
            raise UsageError("report diff takes two results files: OLD.json NEW.json")
        return cmd_report_diff(args)
    if args.action == "merge":
        return _merge(args)
    if len(args.files) != 1:
        raise UsageError(f"report {args.action} takes one results file")
    if args.action == "summary":
        return cmd_report_summary(args)
    source = Path(args.files[0])
    results = load_results(source)
    out = Path(args.report_dir) if args.report_dir else source.parent
    write_reports(results, out)
    print(f"wrote {out}/report.html, results.json, junit.xml")
    return 0


def _merge(args: argparse.Namespace) -> int:
    """Write the merged run's reports; the exit status is its gate, as a whole run's would be."""
    from drun_conformance._session import exit_status

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
