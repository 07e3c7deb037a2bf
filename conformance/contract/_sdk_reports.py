"""What `spec drift --sdk NAME[@VERSION|@PATH]... [--json]` and `spec sources refresh [--sdk ...]`
do (their flags are read in drun_conformance.cli).

`drift` reads each SDK's own model from its package and prints every difference from the contract
(spec/ as it stands); exit 1 when one is not listed under `drift:` in the SDK's expectations file,
0 when all are, 2 for bad input, 3 when a release cannot be fetched. A local build (`release`
"local") is held to the entries of the release it declares itself (`version`, read from its
package; null when it declares none, and then only the unversioned entries apply). `--json` prints:

    {"format": 1, "contract": ["spec/deployment_run.schema.json", ...], "unexpected": 0,
     "sdks": [{"sdk": "java", "package": "com.anthropic:anthropic-java-core", "release": "3.17.0",
               "version": "3.17.0", "given": "java@3.17.0", "expectations": "expectations/java.yaml",
               "unexpected": 0,
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

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from drun_conformance._errors import UsageError

from ._contract_facts import CONTRACT_FILES, contract_facts
from ._drift import Difference, compare_facts, load_drift_expectations
from ._sdk_facts import FactSheet
from ._sdk_sources import SdkSource, parse_sdk_source, read_sheet

__all__ = [
    "DRIFT_FORMAT",
    "drift_document",
    "drift_report",
    "drift_reports",
    "drift_table",
    "refresh_sources",
]

DRIFT_FORMAT = 1


def drift_reports(given: list[str]) -> list[dict[str, Any]]:
    """The drift report of each SDK release named (`NAME[@VERSION|@PATH]`), all named checked first."""
    return [drift_report(source) for source in _sources(given)]


def drift_document(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """What `spec drift --json` prints (the JSON above)."""
    return {
        "format": DRIFT_FORMAT,
        "contract": list(CONTRACT_FILES),
        "unexpected": sum(r["unexpected"] for r in reports),
        "sdks": reports,
    }


def _sources(given: list[str]) -> list[SdkSource]:
    sources = [parse_sdk_source(text) for text in given]  # every one checked before any is fetched
    labels = [(s.sdk, s.label) for s in sources]
    if len(set(labels)) < len(labels):
        raise UsageError("--sdk: the same SDK release is named twice")
    return sources


def _note(text: str) -> None:
    print(f"  … {text}", file=sys.stderr, flush=True)


def drift_report(source: SdkSource, *, expectations_file: Path | None = None) -> dict[str, Any]:
    """One SDK's drift table, with what its expectations file knows (`expectations_file`, else the
    shipped SDK's), as the JSON above has it."""
    from drun_conformance import spec
    from drun_conformance.client._sdks import SDKS, cache_dir

    sheet = read_sheet(source, cache_dir(), note=_note)
    version = source.release or sheet.own_release
    listed = expectations_file or SDKS[source.sdk].expectations
    expectations = load_drift_expectations(listed, version=version)
    differences = [
        replace(d, expected=expectations.known.get(d.id))
        for d in compare_facts(sheet.facts, contract_facts(spec.SPEC_DIR))
    ]
    shown = {d.id for d in differences}
    return {
        "sdk": sheet.sdk,
        "package": sheet.package,
        "release": sheet.release,
        "version": version,
        "given": source.given,
        "expectations": expectations.source,
        "unexpected": sum(d.expected is None for d in differences),
        "differences": [d.to_json() for d in differences],
        "stale": sorted(set(expectations.known) - shown),
    }


def drift_table(report: dict[str, Any]) -> str:
    """One SDK's drift report as `spec drift` prints it."""
    differences = [Difference(**_fields(d)) for d in report["differences"]]
    local = report["release"] == "local"
    release = report["given"] if local else report["release"]
    declared = report.get("version") if local else None
    package = f"{report['package']} {declared}" if declared else report["package"]
    known = len(differences) - report["unexpected"]
    lines = [
        f"{report['sdk']} {release} ({package}): {len(differences)} differences from the contract,"
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


def refresh_sources(given: list[str], out: str | None) -> int:
    """Each SDK release's facts written to spec/source/sdks/ (`out`: the spec/ to write)."""
    from drun_conformance.client._sdks import cache_dir

    from ._builder import checkout_spec_dir, spec_out_dir

    sources = _sources(given)  # every one checked before anything else
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
