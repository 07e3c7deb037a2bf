"""Render a report and screenshot it with headless Chromium (docs/report.png in the README).

    python scripts/screenshot_report.py RESULTS_JSON [--out docs/report.png]
    python scripts/screenshot_report.py --corpus tests/fixtures/labelled_payloads.jsonl

With `--corpus`, the results come from running the oracle over a labelled payload corpus
(every line a recorded payload), so the report shows real findings without a live target.
The first failure is shown opened, so the picture has a counterexample in it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from drun_conformance import spec
from drun_conformance.oracle import UNPARSED, Evaluation, Oracle
from drun_conformance.reports import load_results, write_reports
from drun_conformance.reports._chromium import chromium_path, screenshot
from drun_conformance.results import Counterexample, RunResults, TargetTally, run_gate, run_verdict

REPO = Path(__file__).resolve().parents[1]


def corpus_results(path: Path, command: list[str]) -> RunResults:
    """RunResults for one target: the payloads of a labelled corpus, judged by the oracle."""
    started, clock = datetime.now(UTC), time.monotonic()
    catalog = spec.load_catalog()
    oracle = Oracle.default()
    tally = TargetTally(catalog, sides={"server"})
    seen: dict[str, dict[str, str]] = {"error_types": {}, "triggers": {}}
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in lines:
        entry = json.loads(line)
        payload = entry["payload"] if "payload" in entry else _parse(entry["raw"])
        evaluation = oracle.judge_recorded(payload)
        tally.record(Evaluation([], evaluation.exercised, evaluation.skipped))
        for finding in evaluation.violations:
            expected, observed = _split(finding.message)
            example = Counterexample(
                summary=entry["label"],
                expected=expected,
                observed=observed,
                payload=None if payload is UNPARSED else payload,
                payload_text=entry.get("raw") if payload is UNPARSED else None,
            )
            tally.fail(finding, example)
        _note_variants(payload, seen)
    target = tally.result(
        target_id=f"recorded:{path.name}",
        kind="server",
        identity={"source": _display(path), "payloads": len(lines)},
        strict=False,
        coverage=seen,
        notes=["Offline payloads: the HTTP requirements need a live exchange and are skipped."],
        default_skip="no payload in the corpus exercised it",
    )
    return RunResults(
        tool={"name": "drun-conformance", "version": version("drun-conformance")},
        command=command,
        started_at=started,
        duration_s=time.monotonic() - clock,
        seed=None,
        spec={"sha256": catalog.page_sha256, "catalog_version": catalog.version},
        verdict=run_verdict([target]),
        gate=run_gate([target]),
        targets=[target],
    )


def _parse(raw: str) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return UNPARSED


def _split(message: str) -> tuple[str, str]:
    """'Received: X / Expected: Y' (the oracle's message form) as (Y, X)."""
    if message.startswith("Received: ") and " / Expected: " in message:
        observed, expected = message.removeprefix("Received: ").split(" / Expected: ", 1)
        return expected, observed
    return "", ""


def _note_variants(payload: object, seen: dict[str, dict[str, str]]) -> None:
    if not isinstance(payload, dict):
        return
    for key, group in (("error", "error_types"), ("trigger_context", "triggers")):
        value = payload.get(key)
        if isinstance(value, dict) and isinstance(value.get("type"), str):
            seen[group][value["type"]] = "observed"


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def _showcase(results: RunResults) -> str | None:
    """The failure to show opened: the first whose counterexample is a whole payload (an object
    with several fields), so the picture shows a body, the diff and the page's line."""
    from drun_conformance.reports._view import build_view

    failures = [f for t in build_view(results).targets for f in t.failures]
    for failure in failures:
        example = failure.requirement.counterexample
        if example is not None and isinstance(example.payload, dict) and len(example.payload) >= 3:
            return failure.anchor
    return failures[0].anchor if failures else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("results", nargs="?", type=Path, help="a results.json to render")
    source.add_argument("--corpus", type=Path, help="a labelled payload corpus (JSON lines)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "report.png")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1700)
    args = parser.parse_args(argv)
    if chromium_path() is None:
        print("chromium is not installed: apt-get install chromium", file=sys.stderr)
        return 2
    if args.corpus:
        command = ["python", "scripts/screenshot_report.py", "--corpus", _display(args.corpus)]
        results = corpus_results(args.corpus, command)
    else:
        results = load_results(args.results)
    with tempfile.TemporaryDirectory() as tmp:
        write_reports(results, Path(tmp))
        page = Path(tmp) / "report.html"
        html = page.read_text(encoding="utf-8")
        anchor = _showcase(results)
        if anchor:  # open one failure, as a reader's click would
            html = html.replace(
                f'<details class="failure" id="{anchor}">', f'<details open class="failure" id="{anchor}">'
            )
        page.write_text(html, "utf-8")
        screenshot(page.as_uri(), args.out, width=args.width, height=args.height)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
