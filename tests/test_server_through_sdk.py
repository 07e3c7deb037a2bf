"""`server --through-sdk NAME`: every run-now answer the server gave, read again by a shipped SDK
harness through the scripted mock, and judged as the SDK gate judges a parse. A server the
runner passes, whose answers the Java SDK misreads, is caught, and the finding names the answer
and the SDK; the reference server's answers are read clean. No request reaches the server.

Without a JDK or Maven the reading is an unreached target and these tests skip with the
reason, unless DRUN_REQUIRE_SDKS=1 (CI sets it), where they fail instead.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from drun_conformance.results import TargetResult
from drun_conformance.server import ServerOptions, check_server
from drun_conformance.server._replay import AnswerLog, read_through_sdk
from drun_conformance.server.reference import DEFAULT_API_KEY, create_app, serve_in_thread

from .conftest import run_cli
from .mutant_kit import FaultInjector, Mutant
from .probe_mutants import ONLY_AN_SDK_MISREADS

pytestmark = pytest.mark.slow
SDK = "java@3.14.0"


def _reached(reading: TargetResult) -> None:
    if not reading.identity["reached"] and os.environ.get("DRUN_REQUIRE_SDKS") != "1":
        pytest.skip(f"{SDK} cannot run here: {'; '.join(reading.notes)}")
    assert reading.identity["reached"], reading.notes


def test_the_reference_servers_answers_are_read_clean_with_no_request_more(tmp_path: Path) -> None:
    result = run_cli("server", "--profile", "quick", "--through-sdk", SDK, "--report-dir", str(tmp_path))
    targets = {t["id"]: t for t in json.loads((tmp_path / "results.json").read_text())["targets"]}
    (reading,) = [TargetResult.model_validate(t) for i, t in targets.items() if i.startswith("reads:")]
    _reached(reading)
    assert result.returncode == 0, result.stdout + result.stderr
    server = targets["server:embedded"]
    assert (server["verdict"], reading.verdict) == ("conformant", "conformant")
    assert reading.requests == 0 and reading.identity["reads"] == "server:embedded"
    assert reading.identity["answers"] > 0
    assert b"your answers, as this SDK reads them" in (tmp_path / "report.html").read_bytes()


@pytest.mark.parametrize("mutant", ONLY_AN_SDK_MISREADS, ids=lambda m: m.name)
def test_a_server_only_an_sdk_misreads_is_caught_naming_the_answer_and_the_sdk(mutant: Mutant) -> None:
    log = AnswerLog()
    with serve_in_thread(FaultInjector(create_app(), mutant)) as url:
        options = ServerOptions(base_url=url, api_key=DEFAULT_API_KEY, deployment_ids=("depl_ok",), seed=2)
        server = check_server(options, answers=log)
    assert [r.id for r in server.requirements if r.status == "failed"] == []  # the runner passes it
    reading = read_through_sdk(log, SDK)
    _reached(reading)
    failed = {r.id: r for r in reading.requirements if r.status == "failed"}
    assert set(failed) == {mutant.requirement} and reading.verdict == "non-conformant"
    message = failed[mutant.requirement].message or ""
    # the smallest failing answer is shown: which one it is depends on the bodies the server drew
    named = re.match(r"your answer #(\d+) \(POST /v1/deployments/depl_ok/run -> 200\) is read by ", message)
    assert named, message
    assert int(named[1]) in {a.number for a in log.answers if a.status == 200}
    assert "anthropic-java 3.14.0 as agent.version=" in message
