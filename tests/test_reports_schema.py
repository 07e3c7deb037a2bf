"""results.json: its shipped JSON Schema is current, files validate, bad files are clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from drun_conformance._errors import InputError
from drun_conformance.reports import RESULTS_SCHEMA_PATH, load_results, results_schema, write_reports
from drun_conformance.reports._schema import build_results_schema
from tests._report_data import four_targets


def test_shipped_schema_is_current() -> None:
    assert RESULTS_SCHEMA_PATH.read_text(encoding="utf-8") == build_results_schema(), (
        "reports/results.schema.json is stale: run `python scripts/build_results_schema.py`"
    )


def test_schema_is_versioned() -> None:
    schema = results_schema()
    assert schema["$id"] == "urn:drun-conformance:results:2"
    assert schema["properties"]["schema_version"]["const"] == 2
    assert "schema_version" in schema["required"]
    jsonschema.Draft202012Validator.check_schema(schema)


def test_written_results_validate_and_load_back(tmp_path: Path) -> None:
    results = four_targets(partial=True)
    write_reports(results, tmp_path)
    data = json.loads((tmp_path / "results.json").read_text())
    jsonschema.Draft202012Validator(results_schema()).validate(data)
    loaded = load_results(tmp_path / "results.json")
    assert loaded.partial and loaded.verdict == "incomplete"
    assert [t.id for t in loaded.targets] == [t.id for t in results.targets]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", r"is not JSON \(line 1"),
        ('{"log": {"entries": []}}', "is not a drun-conformance results file"),
        ("[1, 2]", "is not a drun-conformance results file"),
        ('{"schema_version": 99, "targets": []}', "has results schema version 99"),
    ],
    ids=["not-json", "a-har-file", "an-array", "future-version"],
)
def test_foreign_or_broken_files_are_input_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "results.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message) as excinfo:
        load_results(path)
    assert excinfo.value.exit_status == 2


def test_a_schema_violation_names_where(tmp_path: Path) -> None:
    data = json.loads(four_targets().model_dump_json())
    data["targets"][1]["requirements"][0]["status"] = "sort-of"
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"at /targets/1/requirements/0/status: 'sort-of' is not one of"):
        load_results(path)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_results(tmp_path / "absent.json")
    binary = tmp_path / "results.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="not UTF-8"):
        load_results(binary)
