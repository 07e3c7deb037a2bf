"""`proxy --through-sdk NAME`: the run-now answers the proxy judged, kept (bounded, see Bounds)
and read through a shipped SDK harness once forwarding is over, one `reads:NAME` target each in
the proxy's report. A server only the Java SDK misreads is caught through the proxy, naming the
answer by the number the proxy printed; the reference server is read clean.

Without a JDK the Java reading is an unreached target and its test skips with the reason,
unless DRUN_REQUIRE_SDKS=1 (CI sets it)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from drun_conformance.proxy import Bounds, Judge, proxy_in_thread
from drun_conformance.results import TargetResult
from drun_conformance.server._replay import read_through_sdk
from drun_conformance.server.reference import DEFAULT_API_KEY, REQUIRED_BETA, create_app, serve_in_thread

from ._proxy_exchanges import read_back, run, run_now
from .conftest import drun_command
from .mutant_kit import FaultInjector
from .probe_mutants import ONLY_AN_SDK_MISREADS

HEADERS = {"x-api-key": DEFAULT_API_KEY, "anthropic-beta": REQUIRED_BETA, "anthropic-version": "2023-06-01"}
UPSTREAM = "http://127.0.0.1:9"


def test_the_judge_keeps_each_run_now_answer_and_no_other_only_when_asked() -> None:
    judge = Judge(UPSTREAM, out=io.StringIO(), keep_answers=True)
    judge(run_now(run(1)))
    judge(read_back(run(1)))
    judge(run_now(run(2)))
    assert judge.answers is not None and judge.answers.server == f"server:{UPSTREAM}"
    assert [(a.number, a.request, a.status) for a in judge.answers.answers] == [
        (1, "POST /v1/deployments/depl_ok/run", 200),
        (3, "POST /v1/deployments/depl_ok/run", 200),
    ]
    assert json.loads(judge.answers.answers[1].body)["id"] == run(2)["id"]
    assert Judge(UPSTREAM, out=io.StringIO()).answers is None  # nothing kept without --through-sdk


def test_the_answers_kept_are_bounded_and_the_rest_counted() -> None:
    judge = Judge(UPSTREAM, out=io.StringIO(), bounds=Bounds(answers=2), keep_answers=True)
    for n in range(5):
        judge(run_now(run(n)))
    assert judge.answers is not None
    assert len(judge.answers.answers) == 2 and judge.answers.left_out == 3
    size = len(judge.answers.answers[0].body)
    by_bytes = Judge(UPSTREAM, out=io.StringIO(), bounds=Bounds(answer_bytes=size * 3), keep_answers=True)
    for n in range(5):
        by_bytes(run_now(run(n)))
    assert by_bytes.answers is not None
    assert len(by_bytes.answers.answers) == 3 and by_bytes.answers.left_out == 2


@pytest.mark.slow
def test_a_server_only_java_misreads_is_caught_through_the_proxy() -> None:
    with serve_in_thread(FaultInjector(create_app(), ONLY_AN_SDK_MISREADS[0])) as url:
        with proxy_in_thread(url, out=io.StringIO(), keep_answers=True) as proxy:
            with httpx.Client(base_url=proxy.base_url, headers=HEADERS, timeout=10) as client:
                run_id = client.post("/v1/deployments/depl_ok/run").json()["id"]
                client.get(f"/v1/deployment_runs/{run_id}")
                client.post("/v1/deployments/depl_ok/run")
            server = next(t for t in proxy.results() if t.kind == "server")
    assert [r.id for r in server.requirements if r.status == "failed"] == []  # the proxy passes it
    assert proxy.judge.answers is not None
    reading = read_through_sdk(proxy.judge.answers, "java@3.14.0")
    if not reading.identity["reached"] and os.environ.get("DRUN_REQUIRE_SDKS") != "1":
        pytest.skip(f"java cannot run here: {'; '.join(reading.notes)}")
    failed = {r.id: r for r in reading.requirements if r.status == "failed"}
    assert set(failed) == {"client.parse.int64"} and reading.requests == 0
    assert reading.identity["answers"] == 2 and reading.identity["reads"] == f"server:{url}"
    message = failed["client.parse.int64"].message or ""
    # Both run-now answers (#1 and #3: the read-back is #2) are misread; either may be named first.
    named = r"your answer #[13] \(POST /v1/deployments/depl_ok/run -> 200\) is read by "
    assert re.match(named, message), message
    assert "anthropic-java 3.14.0 as agent.version=" in message


@pytest.mark.slow
def test_the_command_reads_the_reference_servers_answers_clean_after_forwarding(tmp_path: Path) -> None:
    with serve_in_thread(create_app()) as url:
        command = [
            "proxy",
            "--upstream",
            url,
            "--max-exchanges",
            "3",
            "--duration",
            "60",
            "--allow-incomplete",
        ]
        process = subprocess.Popen(
            [*drun_command(), *command, "--through-sdk", "python", "--report-dir", str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert process.stdout is not None
            listening = [process.stdout.readline().decode() for _ in range(2)][1].split()[1]
            with httpx.Client(base_url=listening, headers=HEADERS, timeout=10) as client:
                for _ in range(3):
                    assert client.post("/v1/deployments/depl_ok/run").status_code == 200
            _, stderr = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, stderr.decode()
    targets = json.loads((tmp_path / "results.json").read_text())["targets"]
    (reading,) = [TargetResult.model_validate(t) for t in targets if t["id"].startswith("reads:")]
    assert reading.id == "reads:python" and reading.identity["reads"] == f"server:{url}"
    assert reading.identity["answers"] == 3 and reading.verdict == "conformant" and reading.requests == 0
    assert "Your answers, as each SDK reads them" in (tmp_path / "report.html").read_text()
