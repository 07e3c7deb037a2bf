"""scripts/screenshot_report.py: the README's picture comes from real findings of the oracle."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest

from drun_conformance.reports import results_schema
from tests._png import distinct_colours
from tests.conftest import needs_chromium

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "fixtures" / "labelled_payloads.jsonl"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "screenshot_report", REPO / "scripts" / "screenshot_report.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_corpus_results_are_the_oracles_findings() -> None:
    results = _script().corpus_results(CORPUS, ["python", "scripts/screenshot_report.py", "--corpus", "x"])
    jsonschema.Draft202012Validator(results_schema()).validate(json.loads(results.model_dump_json()))
    (target,) = results.targets
    status = {r.id: r for r in target.requirements}
    assert results.verdict == "non-conformant"
    assert status["run.outcome.exactly-one"].status == "failed"
    assert status["run.outcome.exactly-one"].counterexample is not None
    assert status["http.request-id"].status == "skipped"  # offline: no exchange to judge
    assert target.coverage["error_types"]["agent_archived_error"] == "observed"


@pytest.mark.slow
@needs_chromium()
def test_the_script_writes_a_picture(tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    assert (
        _script().main(["--corpus", str(CORPUS), "--out", str(png), "--width", "800", "--height", "600"]) == 0
    )
    assert distinct_colours(png) > 50
