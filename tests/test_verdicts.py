"""Verdicts that never overstate: the verdict (what was found) apart from the gate (the exit
status), unexercised MUST requirements named with what would exercise them, and exit 4."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from drun_conformance import spec
from drun_conformance.client._expectations import Expectations, KnownFailure, Ledger
from drun_conformance.oracle import Evaluation, Finding, Oracle
from drun_conformance.reports import write_reports
from drun_conformance.results import (
    Counterexample,
    RunResults,
    TargetTally,
    describe_gate,
    run_gate,
    run_verdict,
)
from drun_conformance.server import ServerOptions, check_server
from drun_conformance.server.reference import DEFAULT_API_KEY, create_app, default_scenario, serve_in_thread
from drun_conformance.spec import Side

from .conftest import run_cli
from .mutants import FaultInjector, Mutant, Reply

CLIENT_SIDES: set[Side] = {"client-request", "client-parse"}
MISBEHAVING = Path(__file__).parent / "harnesses" / "misbehaving.py"
ERROR_MUSTS = {
    "run.error.type.required",
    "run.error.type.known-variant",
    "run.error.message.required",
    "run.error.message.json-type",
}


def _ids(*sides: Side, level: str = "MUST") -> set[str]:
    return {r.id for r in spec.load_catalog().on(*sides) if r.level == level}


def _every_client_must_exercised() -> TargetTally:
    tally = TargetTally(spec.load_catalog(), sides=CLIENT_SIDES)
    tally.record(Evaluation([], frozenset(_ids(*CLIENT_SIDES))))
    return tally


def test_a_known_failure_is_non_conformant_and_passes_the_gate(tmp_path: Path) -> None:
    tally = _every_client_must_exercised()
    finding = Finding("client.parse.int64", "MUST", "/agent/version", "Received: 1 / Expected: 2")
    tally.fail(finding)
    result = tally.result(target_id="sdk:typescript", kind="client", identity={}, strict=False)
    assert (result.verdict, result.gate) == ("non-conformant", "failed")
    entry = KnownFailure("client.parse.int64", "doubles", frozenset({"version 2^53 + 1"}))
    known = Expectations(
        "expectations/typescript.yaml", tmp_path / "typescript.yaml", None, {entry.requirement: entry}, (), ""
    )
    ledger = Ledger(known, Oracle(spec.load_catalog()).facts)
    # The gate records a known failure in the ledger, not the tally: the settled result shows it.
    example = Counterexample(summary="x")
    assert ledger.split([finding], label="version 2^53 + 1", served={}, types={}, example=example) == []
    applied = ledger.settle(
        _every_client_must_exercised().result(
            target_id="sdk:typescript", kind="client", identity={}, strict=False
        ),
        strict=False,
    )
    assert (applied.verdict, applied.gate) == ("non-conformant", "passed")
    line = (
        "gate passed: non-conformant, 1 known MUST failure (client.parse.int64, expectations/typescript.yaml)"
    )
    assert describe_gate(applied) == line
    results = RunResults(
        tool={"name": "drun-conformance", "version": "0"},
        command=["drun-conformance", "client", "--sdk", "typescript"],
        started_at=datetime(2026, 11, 30, tzinfo=UTC),
        duration_s=1.0,
        spec={},
        verdict=run_verdict([applied]),
        gate=run_gate([applied]),
        targets=[applied],
    )
    write_reports(results, tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert "<h1>Non-conformant</h1>" in html and 'id="gate">gate passed</span>' in html and line in html
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    facts = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert (facts["verdict"], facts["gate"], facts["gate.summary"]) == ("non-conformant", "passed", line)


def test_an_unexercised_must_is_incomplete_unless_not_applicable() -> None:
    tally = TargetTally(spec.load_catalog(), sides=CLIENT_SIDES)
    tally.record(Evaluation([], frozenset(_ids(*CLIENT_SIDES) - {"client.parse.trigger"})))
    result = tally.result(
        target_id="sdk:x", kind="client", identity={}, strict=False, remedy=lambda rid: f"exercise {rid}"
    )
    assert (result.verdict, result.gate) == ("incomplete", "incomplete")
    (missing,) = result.unexercised_must()
    assert (missing.id, missing.remedy) == ("client.parse.trigger", "exercise client.parse.trigger")
    tally.not_applicable("client.parse.trigger", "no such input here")
    result = tally.result(target_id="sdk:x", kind="client", identity={}, strict=False)
    assert (result.verdict, result.gate) == ("conformant", "passed")
    trigger = next(r for r in result.requirements if r.id == "client.parse.trigger")
    assert trigger.status == "skipped" and not trigger.applicable and trigger.reason
    assert trigger.reason.startswith("not applicable: ")


def _results(report: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((report / "results.json").read_text())
    return data


@pytest.fixture
def no_failed_run_listed() -> Iterator[str]:
    """The reference server, with no failed run on record (the default lists a failing
    deployment's scheduled runs, which would exercise the error requirements)."""
    scenario = default_scenario()
    healthy = tuple(
        d.model_copy(update={"schedule": None}) if d.id != "depl_ok" else d for d in scenario.deployments
    )
    with serve_in_thread(create_app(scenario.model_copy(update={"deployments": healthy}))) as url:
        yield url


@pytest.mark.slow
def test_a_server_with_only_a_healthy_id_is_incomplete(tmp_path: Path, no_failed_run_listed: str) -> None:
    args = ["server", "--base-url", no_failed_run_listed, "--api-key", DEFAULT_API_KEY]
    args += ["--profile", "quick", "--seed", "1", "--deployment-id", "depl_ok"]
    done = run_cli(*args, "--report-dir", str(tmp_path / "a"))
    assert done.returncode == 4, done.stdout.decode() + done.stderr.decode()
    (target,) = _results(tmp_path / "a")["targets"]
    assert (target["verdict"], target["gate"]) == ("incomplete", "incomplete")
    unexercised = {
        r["id"]: r for r in target["requirements"] if r["level"] == "MUST" and r["status"] != "passed"
    }
    assert set(unexercised) == ERROR_MUSTS
    for requirement in unexercised.values():
        assert requirement["applicable"] and requirement["remedy"] == "give a --deployment-id whose runs fail"
        assert requirement["reason"] == "no run answered carried an error"
        assert f"UNEXERCISED MUST {requirement['id']}" in done.stdout.decode()
    junit = ET.parse(tmp_path / "a" / "junit.xml").getroot()
    skipped = junit.find(".//testcase[@name='run.error.type.required']/skipped")
    assert skipped is not None and "whose runs fail" in skipped.get("message", "")
    # --allow-incomplete passes the gate knowingly; the verdict still says incomplete.
    done = run_cli(*args, "--allow-incomplete", "--report-dir", str(tmp_path / "b"))
    assert done.returncode == 0
    assert (_results(tmp_path / "b")["verdict"], _results(tmp_path / "b")["gate"]) == (
        "incomplete",
        "incomplete",
    )


@pytest.mark.slow
def test_with_a_failing_id_too_the_embedded_server_is_conformant(tmp_path: Path) -> None:
    args = ["server", "--profile", "quick", "--seed", "1", "--deployment-id", "depl_ok"]
    done = run_cli(*args, "--deployment-id", "depl_vault_archived_error", "--report-dir", str(tmp_path))
    assert done.returncode == 0, done.stdout.decode()
    results = _results(tmp_path)
    assert (results["verdict"], results["gate"]) == ("conformant", "passed")
    assert "gate passed: conformant" in done.stdout.decode()


@pytest.mark.slow
def test_a_harness_that_skips_everything_is_incomplete(tmp_path: Path) -> None:
    harness = f"{sys.executable} {MISBEHAVING} --mode skip-all"
    done = run_cli("client", "--harness", harness, "--examples", "3", "--report-dir", str(tmp_path))
    assert done.returncode == 4, done.stdout.decode() + done.stderr.decode()
    (target,) = _results(tmp_path)["targets"]
    assert (target["verdict"], target["gate"]) == ("incomplete", "incomplete")
    unexercised = {
        r["id"]
        for r in target["requirements"]
        if r["level"] == "MUST" and r["status"] == "skipped" and r["applicable"]
    }
    # It did answer, validly; and no baseline release was given (not applicable: blocks nothing).
    assert unexercised == _ids(*CLIENT_SIDES) - {"client.harness.protocol", "client.baseline.same"}
    for requirement in unexercised:
        assert f"UNEXERCISED MUST {requirement}: the harness answered skipped" in done.stdout.decode()
    assert f"{len(unexercised)} MUST never exercised" in (tmp_path / "report.html").read_text()


def _no_listing(reply: Reply) -> None:
    if reply.method == "GET" and reply.path == "/v1/deployment_runs":  # the path, without the query
        reply.status = 404
        reply.set_json({"type": "error", "error": {"type": "not_found_error", "message": "no route"}})


def _no_listing_nor_read_back(reply: Reply) -> None:
    if reply.method == "GET":
        reply.status = 404
        reply.set_json({"type": "error", "error": {"type": "not_found_error", "message": "no route"}})


def _check(fault: Any) -> Any:
    ids = ("depl_ok", "depl_vault_archived_error")
    with serve_in_thread(FaultInjector(create_app(), Mutant("x", "x", fault))) as url:
        options = ServerOptions(
            base_url=url, api_key=DEFAULT_API_KEY, deployment_ids=ids, profile="quick", seed=2
        )
        return check_server(options)


@pytest.mark.slow
def test_no_listing_of_scheduled_runs_makes_the_schedule_requirements_not_applicable() -> None:
    result = _check(_no_listing)
    assert (result.verdict, result.gate) == ("conformant", "passed")
    scheduled = [r for r in result.requirements if r.id.startswith("run.trigger_context.scheduled")]
    assert len(scheduled) == 3 and all(r.status == "skipped" and not r.applicable for r in scheduled)
    back = next(r for r in result.requirements if r.id == "run.read-back.same-record")
    assert back.status == "passed"  # read back by id all the same


@pytest.mark.slow
def test_no_read_back_by_id_is_incomplete() -> None:
    result = _check(_no_listing_nor_read_back)
    assert (result.verdict, result.gate) == ("incomplete", "incomplete")
    (back,) = result.unexercised_must()
    assert (
        back.id == "run.read-back.same-record" and back.reason == "GET /v1/deployment_runs/{id} answered 404"
    )
    assert back.remedy and "GET /v1/deployment_runs/{id}" in back.remedy


def test_the_shrunk_counterexample_replaces_a_shorter_hand_made_one() -> None:
    tally = _every_client_must_exercised()
    coverage = Counterexample(summary="version 2^53 + 1", payload={"agent": {"version": 2**53 + 1}})
    shrunk = Counterexample(summary="generated", payload={"agent": {"id": "agent_0", "version": 2**31}})
    assert coverage.size < shrunk.size
    tally.fail(Finding("client.parse.int64", "MUST", "/agent/version", "Received: 2^53"), coverage)
    tally.shrunk(Finding("client.parse.int64", "MUST", "/agent/version", "Received: 2^31"), shrunk)
    result = tally.result(target_id="sdk:java", kind="client", identity={}, strict=False)
    (int64,) = [r for r in result.requirements if r.id == "client.parse.int64"]
    assert int64.counterexample is not None and int64.counterexample.payload["agent"]["version"] == 2**31
    assert int64.message == "Received: 2^31"


@pytest.mark.slow
def test_a_run_past_its_deadline_asks_for_no_larger_budget() -> None:
    """The deadline and the budget are two reasons to stop: each names its own remedy."""
    with serve_in_thread() as url:
        options = ServerOptions(
            base_url=url, api_key=DEFAULT_API_KEY, deployment_ids=("depl_ok",), deadline_s=1e-9
        )
        result = check_server(options)
    assert result.requests == 0 and result.verdict == "incomplete"
    assert result.notes[-1] == "the run's deadline passed (no request starts after it)"
    for requirement in result.unexercised_must():
        assert requirement.reason == "not reached: " + result.notes[-1]
        assert (
            requirement.remedy
            and "--max-requests" not in requirement.remedy
            and "faster" in requirement.remedy
        )


def test_what_would_exercise_follows_why_the_run_stopped() -> None:
    from drun_conformance.server._remedies import what_would_exercise

    def remedy(stopped: Any) -> str:
        return what_would_exercise("run.id.required", stopped=stopped, budget=10, with_ids=True)

    assert remedy("budget") == "a larger --max-requests (all 10 were spent)"
    assert "transport failure" in remedy("transport") and "--max-requests" not in remedy("transport")
    assert "deadline" in remedy("deadline") and "--max-requests" not in remedy("deadline")
    assert remedy("early") == "a target that answers every request (the run stopped early)"
    assert remedy(None) == "give deployment ids whose runs succeed and fail, or a larger --max-requests"


@pytest.mark.slow
def test_a_transport_failure_is_non_conformant_and_exits_1_even_with_allow_incomplete(tmp_path: Path) -> None:
    """A MUST failed: whatever was left unexercised, the verdict is non-conformant, not incomplete."""

    def cut_run_now(reply: Reply) -> None:
        if reply.is_run and reply.status == 200:
            reply.wire = "cut"

    with serve_in_thread(FaultInjector(create_app(), Mutant("x", "x", cut_run_now))) as url:
        args = ["server", "--base-url", url, "--api-key", DEFAULT_API_KEY, "--deployment-id", "depl_ok"]
        done = run_cli(*args, "--allow-incomplete", "--report-dir", str(tmp_path))
    assert done.returncode == 1, done.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    assert (results["verdict"], results["gate"]) == ("non-conformant", "failed")
    assert "gate failed: non-conformant, 1 MUST failure (http.answer.whole)" in done.stdout.decode()
