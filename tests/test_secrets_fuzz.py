"""No key the proxy sees reaches a file or the console, wherever it is put.

A drawn key is presented as a credential (x-api-key, Authorization Bearer or Basic, a
key-named query parameter, a key-named JSON body member) and also placed in other parts of
that exchange and of a later one that does not present it: the path, the query, the
User-Agent, another header, the request body, the upstream's answer (body and headers), an
error message. The exchanges go to the proxy's judge as its forwarder hands them over, then
through `drun-conformance proxy`'s own ending (summary on the console, results.json,
junit.xml, report.html); the key must be in none of them. Keys are drawn with and without
the Anthropic shape (`sk-ant-...`, replaced by shape alone), so the known-key scrubbing is
exercised on its own too. A key seen before it is ever presented cannot be known for one
(unless shaped like one): every draw presents it first.

In-process, for speed; one subprocess case each for the command line and the pytest plugin.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.types import Receive, Scope, Send

from drun_conformance.cli._proxy import finish
from drun_conformance.proxy import Judge, Lost, Seen
from drun_conformance.server.reference import REQUIRED_BETA, serve_in_thread

from .conftest import VALID_RUN, drun_command

pytest_plugins = ["pytester"]

UPSTREAM = "http://127.0.0.1:9"
REPORTS = ("results.json", "junit.xml", "report.html")
PRESENTED = ("x-api-key", "bearer", "basic", "query", "json-body")
PLACES = (
    "path",
    "query",
    "user-agent",
    "header",
    "request-body",
    "response-body",
    "response-header",
    "error",
)
OPERATIONS = ("run-now", "read-back", "listing", "other")

_TAIL = st.from_regex(r"[A-Za-z0-9_-]{8,60}", fullmatch=True)
KEYS = st.one_of(st.builds("sk-ant-{}".format, _TAIL), st.builds("sk-test-{}".format, _TAIL))


def _request(
    key: str, operation: str, places: set[str], presented: str | None
) -> tuple[str, dict[str, str], bytes]:
    """The target, headers and body of one request carrying `key` where told."""
    where = key if "path" in places else "depl_ok"
    target = {
        "run-now": f"/v1/deployments/{where}/run",
        "read-back": f"/v1/deployment_runs/{where if 'path' in places else 'drun_1'}",
        "listing": "/v1/deployment_runs" + (f"?deployment_id={key}" if "path" in places else ""),
        "other": f"/v1/files/{where}",
    }[operation]
    query = [f"note={key}"] if "query" in places else []
    query += [f"api_key={key}"] if presented == "query" else []
    if query:
        target += ("&" if "?" in target else "?") + "&".join(query)
    headers = {"anthropic-beta": REQUIRED_BETA, "anthropic-version": "2023-06-01", "user-agent": "fuzz/1.0"}
    if presented == "x-api-key":
        headers["x-api-key"] = key
    elif presented == "bearer":
        headers["authorization"] = f"Bearer {key}"
    elif presented == "basic":
        headers["authorization"] = "Basic " + base64.b64encode(f"user:{key}".encode()).decode()
    if "user-agent" in places:
        headers["user-agent"] = f"fuzz/1.0 ({key})"
    if "header" in places:
        headers["x-trace"] = f"trace {key} end"
    members: dict[str, Any] = {}
    if "request-body" in places:
        members["note"] = f"see {key}"
    if presented == "json-body":
        members["auth"] = {"api_key": key}
    body = json.dumps(members).encode() if members else b""
    if body:
        headers["content-type"] = "application/json"
    headers["content-length"] = str(len(body))
    return target, headers, body


def _answer(key: str, operation: str, places: set[str], status: int) -> tuple[bytes, dict[str, str]]:
    """An answer breaking a requirement (so counterexamples are written), holding `key` where told."""
    said = key if "response-body" in places else "no key here"
    if status >= 400:
        body: Any = {"type": "error", "error": {"type": "api_error", "message": f"refused: {said}"}}
    else:
        run = {**VALID_RUN, "error": {"type": "unknown_error", "message": said}}  # and a session: both
        body = {"data": [run], "next_page": None} if operation == "listing" else run
    headers = {"content-type": "application/json"}
    if "response-header" in places:
        headers["x-echo"] = key
    return json.dumps(body).encode(), headers


def _exchange(
    key: str, operation: str, places: set[str], presented: str | None, status: int, lost: bool
) -> Seen | Lost:
    target, headers, body = _request(key, operation, places, presented)
    if lost:
        detail = f"answered 502: ClientConnectorError: {UPSTREAM}{target}" + (
            f" ({key})" if "error" in places else ""
        )
        return Lost("POST", target, headers, body, "unreachable", detail, 0.01)
    answer, answer_headers = _answer(key, operation, places, status)
    method = "POST" if operation == "run-now" else "GET"
    return Seen(method, target, headers, body, False, status, answer_headers, answer, False, 0.01)


EXCHANGES = st.tuples(
    st.sampled_from(OPERATIONS),
    st.sets(st.sampled_from(PLACES)),
    st.sampled_from([200, 400, 500]),
    st.booleans(),  # no whole answer (an error message instead)
)


def _outputs(judge: Judge) -> dict[str, str]:
    """Every output of `drun-conformance proxy` once it stops: console and the three files."""
    console = io.StringIO()
    with tempfile.TemporaryDirectory() as folder:
        with contextlib.redirect_stdout(console), contextlib.redirect_stderr(console):
            finish(
                judge,
                argv=["proxy", "--upstream", UPSTREAM],
                strict=False,
                report_dir=Path(folder),
                allow_incomplete=True,
            )
        files = {name: (Path(folder) / name).read_text() for name in REPORTS}
    assert isinstance(judge.console.out, io.StringIO)
    return {"judge's lines": judge.console.out.getvalue(), "summary": console.getvalue(), **files}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=KEYS, presented=st.sampled_from(PRESENTED), first=EXCHANGES, later=st.lists(EXCHANGES, max_size=2))
def test_a_key_never_reaches_a_file_or_the_console(
    key: str,
    presented: str,
    first: tuple[str, set[str], int, bool],
    later: list[tuple[str, set[str], int, bool]],
) -> None:
    judge = Judge(UPSTREAM, out=io.StringIO())
    judge(_exchange(key, first[0], first[1], presented, first[2], first[3]))
    for operation, places, status, lost in later:  # these do not present it
        judge(_exchange(key, operation, places | {"path"}, None, status, lost))
    outputs = _outputs(judge)
    assert judge.received == 1 + len(later)
    for name, text in outputs.items():
        assert key not in text, name


# --- the other routes, end to end --------------------------------------------------------

KEY = "sk-test-Route0123456789_abcdefXYZ"
SHAPED = "sk-ant-api03-Route0123456789_abcdef"


async def _echo(scope: Scope, receive: Receive, send: Send) -> None:
    """An upstream answering every request 500, quoting its path, query and User-Agent."""
    if scope["type"] != "http":
        return
    agent = dict(scope["headers"]).get(b"user-agent", b"").decode()
    said = f"{scope['path']}?{scope['query_string'].decode()} from {agent}"
    body = json.dumps({"type": "error", "error": {"type": "api_error", "message": said}}).encode()
    headers = [(b"content-type", b"application/json"), (b"x-echo", agent.encode())]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _send_the_key(base_url: str) -> None:
    """Two requests presenting KEY (and SHAPED in the second), each also elsewhere."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        client.post(
            f"/v1/deployments/{KEY}/run?note={KEY}",
            headers={"x-api-key": KEY, "user-agent": f"route/1 {KEY}", "x-trace": KEY},
        )
        client.get(
            f"/v1/deployment_runs/{SHAPED}?api_key={SHAPED}",
            headers={"authorization": f"Bearer {KEY}", "user-agent": f"route/1 {SHAPED}"},
        )


@pytest.mark.slow
def test_the_command_line_route(tmp_path: Path) -> None:
    with serve_in_thread(_echo) as url:
        command = [*drun_command(), "proxy", "--upstream", url, "--max-exchanges", "2", "--duration", "60"]
        process = subprocess.Popen(
            [*command, "--report-dir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            assert process.stdout is not None
            listening = [process.stdout.readline().decode() for _ in range(2)][1].split()[1]
            _send_the_key(listening)
            stdout, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 1, stderr.decode()  # a 500: non-conformant
    outputs = {"stdout": stdout.decode(), "stderr": stderr.decode()}
    outputs |= {name: (tmp_path / name).read_text() for name in REPORTS}
    assert "drun proxy #2" in outputs["stdout"]
    for name, text in outputs.items():
        assert KEY not in text and SHAPED not in text, name


@pytest.mark.slow
def test_the_pytest_plugin_route(pytester: pytest.Pytester) -> None:
    suite = f"""
import os, httpx
def test_it():
    base = os.environ["ANTHROPIC_BASE_URL"]
    with httpx.Client(base_url=base, timeout=30) as client:
        client.post("/v1/deployments/{KEY}/run?note={KEY}",
                    headers={{"x-api-key": "{KEY}", "user-agent": "route/1 {KEY}"}})
        client.get("/v1/deployment_runs/{SHAPED}?api_key={SHAPED}",
                   headers={{"authorization": "Bearer {KEY}"}})
"""
    pytester.makepyfile(test_user=suite)
    report = pytester.path / "report"
    with serve_in_thread(_echo) as url:
        result = pytester.runpytest_subprocess("--drun-proxy", url, "--drun-report-dir", str(report))
    assert result.ret == 1  # the test passed; the 500s make the session fail
    outputs = {"stdout": result.stdout.str(), "stderr": result.stderr.str()}
    outputs |= {name: (report / name).read_text() for name in REPORTS}
    for name, text in outputs.items():
        assert KEY not in text and SHAPED not in text, name
