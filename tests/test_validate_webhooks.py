"""`validate` judges a webhook event of the family as one (told by its `type`), a run as a run,
and each payload mutant by its requirement alone; `webhook_events()` generates events that
pass; an offset beyond 18:00 is labelled, never gating."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from drun_conformance.oracle import Oracle
from drun_conformance.recorded._validate import WEBHOOK_EVENT, is_webhook_event
from drun_conformance.server.reference._webhooks import events_for
from drun_conformance.strategies import runs, webhook_event_types, webhook_events

from .conftest import VALID_RUN, run_cli
from .family_mutants import EDGE_PAYLOADS, WEBHOOK_MUTANTS, PayloadMutant

ORACLE = Oracle.default()
EVENTS = events_for(VALID_RUN, organization_id="org_1", workspace_id="wrkspc_1")  # started, succeeded
EVENT = EVENTS[0]


def _requirements(evaluation: Any) -> set[str]:
    return {f.requirement for f in evaluation.findings}


def test_the_reference_servers_events_pass() -> None:
    failed = events_for(
        {**VALID_RUN, "error": {"type": "unknown_error", "message": "m"}},
        organization_id="o",
        workspace_id="w",
    )
    for event in [*EVENTS, *failed]:
        assert is_webhook_event(event)
        assert ORACLE.judge_webhook_event(event).findings == []
    assert [e["data"]["type"] for e in [*EVENTS, *failed]] == [
        "deployment_run.started",
        "deployment_run.succeeded",
        "deployment_run.started",
        "deployment_run.failed",
    ]


@pytest.mark.parametrize("mutant", WEBHOOK_MUTANTS, ids=lambda m: m.name)
def test_each_webhook_mutant_is_found_by_its_requirement_only(mutant: PayloadMutant) -> None:
    assert _requirements(ORACLE.judge_webhook_event(mutant.fault(EVENT))) == {mutant.requirement}


@settings(max_examples=200, deadline=None, database=None)
@given(webhook_events())
def test_generated_events_pass_and_are_told_from_runs(event: dict[str, Any]) -> None:
    assert is_webhook_event(event)
    assert ORACLE.judge_webhook_event(event).findings == []


@settings(max_examples=200, deadline=None, database=None)
@given(runs())
def test_a_run_is_never_taken_for_an_event(run: dict[str, Any]) -> None:
    assert not is_webhook_event(run)
    assert not is_webhook_event({**run, "type": "event"})  # a run with a broken type stays a run


@pytest.mark.parametrize("event_type", webhook_event_types())
def test_each_event_type_can_be_asked_for(event_type: str) -> None:
    @settings(max_examples=20, deadline=None, database=None)
    @given(webhook_events(event_type=event_type, extra_fields=False))
    def check(event: dict[str, Any]) -> None:
        assert event["data"]["type"] == event_type and set(event) == {"id", "type", "created_at", "data"}

    check()


@pytest.mark.slow
def test_validate_judges_events_by_their_type_and_runs_as_runs(tmp_path: Path) -> None:
    """One file: valid events, every webhook mutant `validate` can tell for an event (all but
    the one that is no object), a run, and a run holding an offset beyond 18:00."""
    told = [m for m in WEBHOOK_MUTANTS if is_webhook_event(m.fault(EVENT))]
    assert {m.name for m in WEBHOOK_MUTANTS} - {m.name for m in told} == {"event-as-array"}
    payloads = [
        *EVENTS,
        *(m.fault(EVENT) for m in told),
        VALID_RUN,
        *(m.fault(VALID_RUN) for m in EDGE_PAYLOADS),
    ]
    path = tmp_path / "payloads.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in payloads))
    result = run_cli("validate", "--json", str(path))
    assert result.returncode == 1, result.stderr
    results = json.loads(result.stdout)["results"]
    events, mutants, run, edges = (
        results[:2],
        results[2 : 2 + len(told)],
        results[-1 - len(EDGE_PAYLOADS)],
        results[-len(EDGE_PAYLOADS) :],
    )
    assert all(r["conforms"] and r["judged_as"] == WEBHOOK_EVENT and not r["violations"] for r in events)
    for mutant, got in zip(told, mutants, strict=True):
        assert got["judged_as"] == WEBHOOK_EVENT and not got["conforms"], mutant.name
        assert {v["requirement"] for v in got["violations"]} == {mutant.requirement}, mutant.name
    assert run == {
        "source": f"{path}:{len(payloads) - len(EDGE_PAYLOADS)}",
        "conforms": True,
        "violations": [],
    }
    for mutant, got in zip(EDGE_PAYLOADS, edges, strict=True):
        assert got["conforms"] and "judged_as" not in got, mutant.name
        assert {e["requirement"] for e in got["edges"]} == {mutant.requirement}, mutant.name


@pytest.mark.slow
def test_the_text_output_says_an_event_was_judged_as_one(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(copy.deepcopy(EVENT)))
    result = run_cli("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert f"{path}: conforms (as a webhook_event)\n".encode() in result.stdout


def test_an_offset_of_18_hours_is_no_edge() -> None:
    at_limit = {**VALID_RUN, "created_at": "2026-11-28T12:11:19+18:00"}
    assert "edge.timestamp.offset-beyond-18h" not in _requirements(ORACLE.judge_recorded(at_limit))
    for mutant in EDGE_PAYLOADS:
        assert _requirements(ORACLE.judge_recorded(mutant.fault(VALID_RUN))) == {mutant.requirement}
