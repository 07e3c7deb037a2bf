"""The pydantic models accept exactly what the schema accepts."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from conformance import DeploymentRun, Oracle

from .conftest import FIXTURES

CORPUS = [
    json.loads(line) for line in (FIXTURES / "labelled_payloads.jsonl").read_text("utf-8").split("\n") if line
]


def _model_accepts(payload: object) -> bool:
    try:
        DeploymentRun.model_validate(payload)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("record", [r for r in CORPUS if "payload" in r], ids=lambda r: r["label"])
def test_models_and_schema_agree_on_the_labelled_corpus(record: dict[str, object]) -> None:
    payload = record["payload"]
    assert _model_accepts(payload) is Oracle.default().schema_accepts(payload) is record["conforms"]


def test_the_typed_view_reads_the_fields() -> None:
    record = next(r for r in CORPUS if r["label"] == "valid-base")
    run = DeploymentRun.model_validate(record["payload"])
    assert run.agent.version == 3 and run.trigger_context.type == "manual"
    assert run.created.utc.microsecond == 117456
