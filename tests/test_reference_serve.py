"""The reference server on real sockets: uvicorn in a thread, and `drun-conformance serve`."""

from __future__ import annotations

import json
import re
import signal
import socket
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from drun_conformance import UsageError
from drun_conformance.server.reference import (
    DEFAULT_API_KEY,
    create_app,
    expected_outcomes,
    parse_scenario,
    run_path,
    serve_in_thread,
)
from drun_conformance.server.reference._scenario import MAX_ID_LENGTH

from ._reference import HEADERS, assert_clean, assert_envelope, small_scenario
from .conftest import drun_command

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_in_thread() as url:
        yield url


def test_every_outcome_over_uvicorn(base_url: str) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
    with httpx.Client(base_url=base_url, headers=HEADERS) as client:
        seen: set[str] = set()
        for expected in expected_outcomes():
            response = client.post(run_path(expected.deployment_id))
            assert response.status_code == 200
            assert_clean(response, expected.deployment_id, seen=seen)
            body = response.json()
            seen.add(body["id"])
            assert (body["error"] or {}).get("type") == expected.error_type
            assert client.get(f"/v1/deployment_runs/{body['id']}").json() == body
        unknown = client.post(run_path("depl_nope"))
        assert_envelope(unknown, 404, "not_found_error")
        assert_clean(unknown, "depl_nope", known=False)
        assert_envelope(
            client.post(run_path("depl_ok"), headers={"x-api-key": ""}), 401, "authentication_error"
        )


def test_raw_paths_over_uvicorn() -> None:
    # The longest ids the server takes; the last one's path is 48 KiB, percent-encoded.
    ids = [
        "a/b",
        "a?b#c",
        "100%",
        "with space",
        "ünïcødé/日本",
        "..",
        "y" * MAX_ID_LENGTH,
        "😀" * MAX_ID_LENGTH,
    ]
    scenario = parse_scenario(
        {
            "agents": [{"id": "agent_a", "version": 1}],
            "environments": [{"id": "env_a"}],
            "deployments": [{"id": i, "agent": {"id": "agent_a"}, "environment": "env_a"} for i in ids],
        }
    )
    with serve_in_thread(create_app(scenario)) as url, httpx.Client(base_url=url, headers=HEADERS) as client:
        for deployment_id in ids:
            response = client.post(run_path(deployment_id))
            assert response.status_code == 200 and response.json()["deployment_id"] == deployment_id
            assert_clean(response, deployment_id)
        assert_envelope(client.post("/v1/deployments/a/b/run"), 404, "not_found_error")
        assert_envelope(client.request("FROBNICATE", run_path("a/b")), 405, "invalid_request_error")


def test_concurrent_runs_are_all_stored_once() -> None:
    app = create_app()
    on_record = app.state.store.count()  # the scheduled firings of the scenario
    with serve_in_thread(app) as url:

        def worker(ids: list[str]) -> None:
            with httpx.Client(base_url=url, headers=HEADERS) as client:
                ids += [client.post(run_path("depl_ok")).json()["id"] for _ in range(25)]

        results: list[list[str]] = [[] for _ in range(8)]
        threads = [threading.Thread(target=worker, args=(r,)) for r in results]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ids = [i for r in results for i in r]
        assert len(ids) == 200 == len(set(ids)) == app.state.store.count() - on_record
        with httpx.Client(base_url=url, headers=HEADERS) as client:
            manual = {"limit": 1000, "trigger_type": "manual"}
            listed = client.get("/v1/deployment_runs", params=manual).json()
        assert sorted(r["id"] for r in listed["data"]) == sorted(ids)


def test_the_thread_server_stops_and_frees_its_port() -> None:
    with serve_in_thread(create_app(small_scenario())) as url:
        port = int(url.rsplit(":", 1)[1])
        assert httpx.post(url + run_path("depl"), headers=HEADERS).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.post(url + run_path("depl"), headers=HEADERS, timeout=2)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # free again


def test_a_taken_port_is_a_usage_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        with (
            pytest.raises(UsageError, match=r"cannot listen on 127\.0\.0\.1"),
            serve_in_thread(port=sock.getsockname()[1]),
        ):
            pass


def _start_serve(*args: str) -> tuple[subprocess.Popen[str], str, str]:
    process = subprocess.Popen(
        [*drun_command(), "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    banner = "".join(process.stdout.readline() for _ in range(6))
    match = re.search(r"base url: (http://\S+)", banner)
    assert match, banner + (process.stderr.read() if process.stderr else "")
    return process, match.group(1), banner


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_answers_and_stops_cleanly(stop: signal.Signals) -> None:
    process, url, banner = _start_serve()
    try:
        assert f"api key: {DEFAULT_API_KEY}" in banner and "managed-agents-2026-04-01" in banner
        assert "depl_ok" in banner and "depl_unknown_error" in banner
        response = httpx.post(url + run_path("depl_ok"), headers=HEADERS, timeout=10)
        assert response.status_code == 200 and response.json()["session_id"]
        assert_clean(response, "depl_ok")
    finally:
        process.send_signal(stop)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "reference server stopped" in out and "Traceback" not in err


def test_serve_with_a_scenario_and_a_database(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    data = small_scenario().model_dump(mode="json")
    data["api_keys"] = ["sk-mine"]
    scenario.write_text(json.dumps(data))
    database = tmp_path / "runs.sqlite"
    process, url, banner = _start_serve(
        "--scenario", str(scenario), "--database", str(database), "--port", "0"
    )
    try:
        assert "api key: sk-mine" in banner
        headers = {**HEADERS, "x-api-key": "sk-mine"}
        assert httpx.post(url + run_path("depl_ok"), headers=headers).status_code == 404
        answered = httpx.post(url + run_path("depl"), headers=headers).json()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)
    assert process.returncode == 0
    with sqlite3.connect(database) as db:
        assert json.loads(db.execute("SELECT body FROM runs").fetchone()[0]) == answered
