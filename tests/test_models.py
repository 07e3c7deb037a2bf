"""The pydantic models accept exactly what the schema accepts."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from drun_conformance import DeploymentRun
from drun_conformance.recorded import PreFilter
from drun_conformance.strategies import edge_runs, invalid_runs, runs

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
    assert _model_accepts(payload) is PreFilter.default().accepts(payload) is record["conforms"]


def test_the_typed_view_reads_the_fields() -> None:
    record = next(r for r in CORPUS if r["label"] == "valid-base")
    run = DeploymentRun.model_validate(record["payload"])
    assert run.agent.version == 3 and run.trigger_context.type == "manual"
    assert run.created.utc.microsecond == 117456


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    payload=st.one_of(
        runs(),
        edge_runs().map(lambda edge: edge.payload),
        invalid_runs().filter(lambda bad: not isinstance(bad.payload, bytes)).map(lambda bad: bad.payload),
    )
)
def test_models_and_schema_agree_on_generated_payloads(payload: object) -> None:
    assert _model_accepts(payload) is PreFilter.default().accepts(payload)
