"""`drun-conformance report diff | render`: the handler behind the CLI's `report` command (its
flags are declared in drun_conformance.cli, so building the parser imports nothing from here)."""

from __future__ import annotations

import argparse
from pathlib import Path

from drun_conformance._errors import UsageError

from ._diff import cmd_report_diff
from ._schema import load_results
from ._write import write_reports

__all__ = ["cmd_report"]


def cmd_report(args: argparse.Namespace) -> int:
    if args.action == "diff":
        if len(args.files) != 2:
            raise UsageError("report diff takes two results files: OLD.json NEW.json")
        return cmd_report_diff(args)
    if len(args.files) != 1:
        raise UsageError("report render takes one results file")
    source = Path(args.files[0])
    results = load_results(source)
    out = Path(args.report_dir) if args.report_dir else source.parent
    write_reports(results, out)
    print(f"wrote {out}/report.html, results.json, junit.xml")
    return 0
