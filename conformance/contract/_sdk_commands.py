"""`spec drift --sdk NAME[@VERSION|@PATH]... [--json]` and `spec sources refresh [--sdk ...]`.

`drift` reads each SDK's own model from its package and prints every difference from the contract
(spec/ as it stands); exit 1 when one is not listed under `drift:` in the SDK's expectations file,
0 when all are, 2 for bad input, 3 when a release cannot be fetched. `--json` prints:

    {"format": 1, "contract": ["spec/deployment_run.schema.json", ...], "unexpected": 0,
     "sdks": [{"sdk": "java", "package": "com.anthropic:anthropic-java-core", "release": "3.17.0",
               "given": "java@3.17.0", "expectations": "expectations/java.yaml", "unexpected": 0,
               "differences": [{"id": "agent.version: type", "subject": "agent.version",
                                "aspect": "type", "sdk": "int32", "contract": "int64",
                                "file": "com/anthropic/.../BetaManagedAgentsAgentReference.kt",
                                "line": "agent.version: int32 in ..., contract int64",
                                "expected": "the reason the expectations file gives, or null"}],
               "stale": ["a listed difference this SDK no longer shows"]}]}

`sources refresh` writes each SDK's facts to spec/source/sdks/<sdk>-<release>.json (default: the
four newest releases), where the next `spec build` may read them as the contract's second source.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from drun_conformance._errors import UsageError

from ._contract_facts import CONTRACT_FILES, contract_facts
from ._drift import Difference, compare_facts, load_drift_expectations
from ._sdk_facts import FactSheet
from ._sdk_sources import NEWEST, SdkSource, parse_sdk_source, read_sheet

__all__ = ["DRIFT_FORMAT", "cmd_spec_sdks", "drift_report"]

DRIFT_FORMAT = 1


def cmd_spec_sdks(args: argparse.Namespace) -> int:
    """The `spec drift` and `spec sources refresh` actions (and the refusal of their flags elsewhere)."""
    if args.action not in ("drift", "sources"):
        raise UsageError(
            f"spec {args.action} takes no --sdk or --json (spec drift and spec sources refresh do)"
        )
    if args.action == "sources":
        if args.pages != ["refresh"]:
            raise UsageError(
                "spec sources takes one action: spec sources refresh [--sdk NAME[@VERSION|@PATH]]..."
            )
        if args.json:
            raise UsageError("--json is for spec drift")
        return _refresh(_sources(args.sdk or list(NEWEST)), args.out)
    if args.pages:
        raise UsageError("spec drift takes no PAGE; name the SDKs with --sdk NAME[@VERSION|@PATH]")
    if not args.sdk:
        raise UsageError("spec drift needs --sdk NAME[@VERSION|@PATH] (python, typescript, java, go)")
    if args.out or args.source:
        raise UsageError("spec drift takes no --out or --source: it compares with spec/ as installed")
    reports = [drift_report(source) for source in _sources(args.sdk)]
    unexpected = sum(r["unexpected"] for r in reports)
    if args.json:
        document = {
            "format": DRIFT_FORMAT,
            "contract": list(CONTRACT_FILES),
            "unexpected": unexpected,
            "sdks": reports,
        }
        sys.stdout.write(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write("".join(_table(r) for r in reports))
    return 1 if unexpected else 0


def _sources(given: list[str]) -> list[SdkSource]:
    sources = [parse_sdk_source(text) for text in given]  # every one checked before any is fetched
    labels = [(s.sdk, s.label) for s in sources]
    if len(set(labels)) < len(labels):
        raise UsageError("--sdk: the same SDK release is named twice")
    return sources


def _note(text: str) -> None:
    print(f"  … {text}", file=sys.stderr, flush=True)


def drift_report(source: SdkSource) -> dict[str, Any]:
    """One SDK's drift table, with what its expectations file knows, as the JSON above has it."""
    from drun_conformance import spec
    from drun_conformance.client._sdks import SDKS, cache_dir

    sheet = read_sheet(source, cache_dir(), note=_note)
    expectations = load_drift_expectations(SDKS[source.sdk].expectations, version=source.release)
    differences = [
        replace(d, expected=expectations.known.get(d.id))
        for d in compare_facts(sheet.facts, contract_facts(spec.SPEC_DIR))
    ]
    shown = {d.id for d in differences}
    return {
        "sdk": sheet.sdk,
        "package": sheet.package,
        "release": sheet.release,
        "given": source.given,
        "expectations": expectations.source,
        "unexpected": sum(d.expected is None for d in differences),
        "differences": [d.to_json() for d in differences],
        "stale": sorted(set(expectations.known) - shown),
    }


def _table(report: dict[str, Any]) -> str:
    differences = [Difference(**_fields(d)) for d in report["differences"]]
    release = report["release"] if report["release"] != "local" else report["given"]
    known = len(differences) - report["unexpected"]
    lines = [
        f"{report['sdk']} {release} ({report['package']}): {len(differences)} differences from the contract,"
        f" {known} known ({report['expectations']}), {report['unexpected']} new"
    ]
    lines += [f"  {'known' if d.expected else 'NEW  '}  {d.line}" for d in differences]
    lines += [
        f"  note: {report['expectations']} lists {stale!r}, which this release does not show"
        for stale in report["stale"]
    ]
    return "\n".join(lines) + "\n\n"


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in ("subject", "aspect", "sdk", "contract", "file", "expected")}


def _refresh(sources: list[SdkSource], out: str | None) -> int:
    from drun_conformance.client._sdks import cache_dir

    from ._builder import checkout_spec_dir, spec_out_dir

    if out is None and checkout_spec_dir(Path.cwd()) is None:
        raise UsageError(
            "spec sources refresh: not inside a drun-conformance checkout; name spec/ with --out DIR"
        )
    folder = spec_out_dir(Path(out) if out else None, cwd=Path.cwd()) / "source" / "sdks"
    sheets: list[FactSheet] = [read_sheet(source, cache_dir(), note=_note) for source in sources]
    folder.mkdir(parents=True, exist_ok=True)
    for sheet in sheets:
        (folder / sheet.file_name).write_bytes(sheet.render())
        print(
            f"wrote {folder / sheet.file_name} ({len(sheet.facts)} facts of {sheet.package} {sheet.release})"
        )
    return 0
