"""The SDK gate's drift: the same table `spec drift` prints, carried in results.json and shown in
report.html, each difference marked known or not; a difference not listed never gates the gate
(`spec drift` is its gate), and a model that cannot be read is said, not raised."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from drun_conformance.client._drift import drift_note, gate_drift
from drun_conformance.contract._sdk_reports import drift_report
from drun_conformance.contract._sdk_sources import parse_sdk_source
from drun_conformance.reports import render_html, results_schema
from drun_conformance.results import TargetDrift

from ._report_data import four_targets
from .conftest import run_cli

JAVA = Path(__file__).resolve().parent / "fixtures" / "sdks" / "java"
SHIPPED = Path(__file__).resolve().parents[1] / "conformance" / "client" / "expectations"


def test_the_gate_carries_the_same_table_as_spec_drift() -> None:
    drift = gate_drift(f"java@{JAVA}", None)
    table = drift_report(parse_sdk_source(f"java@{JAVA}"))
    assert drift.error is None and drift.given == f"java@{JAVA}"
    assert [d.model_dump() for d in drift.differences] == table["differences"]
    assert drift.unexpected == table["unexpected"] > 0  # the fixture lacks 14 of the 16 run error types
    version = next(d for d in drift.differences if d.id == "agent.version: type")
    assert version.expected and "int32" in version.line  # known: listed in expectations/java.yaml
    note = drift_note(drift)
    assert f"{drift.unexpected} not listed: reported here, gated by" in note
    assert f"`drun-conformance spec drift --sdk java@{JAVA}`" in note


def test_the_expectations_file_in_use_decides_what_is_known(tmp_path: Path) -> None:
    listed = tmp_path / "mine.yaml"
    entry = {"difference": "agent.version: type", "reason": "known here"}
    listed.write_text(yaml.safe_dump({"drift": [entry]}))
    drift = gate_drift(f"java@{JAVA}", listed)
    known = {d.id: d.expected for d in drift.differences if d.expected}
    assert known == {"agent.version: type": "known here"}
    assert drift.expectations == f"{tmp_path.name}/mine.yaml"
    # a file --record-expectations has yet to write: the shipped list marks them
    assert gate_drift(f"java@{JAVA}", tmp_path / "absent.yaml").expectations == "expectations/java.yaml"


def test_a_model_that_cannot_be_read_is_said_not_raised(tmp_path: Path) -> None:
    drift = gate_drift(f"java@{tmp_path}", None)
    assert drift.error and "not a package of" in drift.error and not drift.differences
    assert drift_note(drift).startswith("drift from the contract not read (")


def test_results_json_and_report_html_show_the_drift() -> None:
    results = four_targets()
    sdk = results.targets[2]
    sdk.drift = gate_drift(f"java@{JAVA}", None)
    document = json.loads(results.model_dump_json())
    jsonschema.validate(document, results_schema())
    assert document["targets"][0]["drift"] is None  # a server has none
    html = render_html(results)
    assert (
        f"Drift from the contract ({len(sdk.drift.differences)}, {sdk.drift.unexpected} not listed)" in html
    )
    assert (
        "agent.version: int32 in com/anthropic/models/beta/agents/BetaManagedAgentsAgentReference.kt" in html
    )
    assert html.count("<b>not listed</b>") == sdk.drift.unexpected


def test_a_result_written_before_reads_without_drift() -> None:
    document = json.loads(four_targets().model_dump_json())
    for target in document["targets"]:
        del target["drift"]
    jsonschema.validate(document, results_schema())
    assert TargetDrift.model_fields["error"].default is None


@pytest.mark.slow
def test_a_gated_release_reports_its_drift_and_an_unlisted_difference_does_not_gate(tmp_path: Path) -> None:
    shipped = yaml.safe_load((SHIPPED / "python.yaml").read_text(encoding="utf-8"))
    dropped = shipped["drift"].pop(0)["difference"]  # one known difference made unknown
    mine = tmp_path / "python.yaml"
    mine.write_text(yaml.safe_dump(shipped), encoding="utf-8")
    done = run_cli(
        "client", "--sdk", "python@2.10.0", "--examples", "0", "--seed", "1",
        "--expectations", str(mine), "--report-dir", str(tmp_path / "out"),
    )  # fmt: skip
    out = done.stdout.decode() + done.stderr.decode()
    assert done.returncode == 0, out  # the gate passes: `spec drift` gates the model, not this run
    (target,) = json.loads((tmp_path / "out" / "results.json").read_text())["targets"]
    drift = target["drift"]
    assert drift["given"] == "python@2.10.0" and drift["release"] == "2.10.0"
    unlisted = [d["id"] for d in drift["differences"] if d["expected"] is None]
    assert unlisted == [dropped] and drift["unexpected"] == 1
    assert len(drift["differences"]) >= 2
    assert "1 not listed: reported here, gated by `drun-conformance spec drift --sdk python@2.10.0`" in out
    assert target["gate"] == "passed"
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert f"Drift from the contract ({len(drift['differences'])}, 1 not listed)" in html
