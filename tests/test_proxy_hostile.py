"""The proxy in front of a hostile upstream, and under hostile requests, on loopback: a target
naming another host, a body framed two ways, an upstream with credentials in its URL, a status
no server can send, an answer that stalls or breaks off before a byte was sent on, one never
silent (interim answers for ever, a trickle), a key reflected in a redirect. Each answer is the
proxy's own in the API's error envelope, the upstream's fault is a finding, and no key is printed.
Timings are generous bounds only, so that a regression fails rather than hangs."""

from __future__ import annotations

import asyncio
import io
import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from drun_conformance._errors import UsageError
from drun_conformance._secrets import MARK
from drun_conformance.proxy import Limits, proxy_in_thread
from drun_conformance.results import TargetResult
from drun_conformance.server.reference import REQUIRED_BETA

from .conftest import VALID_RUN, drun_command, run_cli

pytestmark = pytest.mark.slow

KEY = "sk-hostile-test-KEY-0123456789"
HEADERS = {"x-api-key": KEY, "anthropic-beta": REQUIRED_BETA, "anthropic-version": "2023-06-01"}
_RUN = json.dumps({**VALID_RUN, "deployment_id": "m_ok"}).encode()  # the hostile upstream's own deployment

Writer = asyncio.StreamWriter


def _head(status: bytes, *extra: bytes) -> bytes:
    return b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\n" + b"".join(extra) + b"\r\n"


async def _ok(w: Writer, head: bytes) -> None:
    w.write(_head(b"200 OK", b"content-length: %d\r\nconnection: close\r\n" % len(_RUN)) + _RUN)


async def _status999(w: Writer, head: bytes) -> None:
    w.write(_head(b"999 Weird", b"content-length: %d\r\nconnection: close\r\n" % len(_RUN)) + _RUN)


async def _hang_body(w: Writer, head: bytes) -> None:
    w.write(_head(b"200 OK", b"content-length: 1000\r\n") + _RUN[:50])
    await asyncio.sleep(3600)


async def _close_mid(w: Writer, head: bytes) -> None:
    w.write(_head(b"200 OK", b"content-length: %d\r\n" % len(_RUN)) + _RUN[: len(_RUN) // 2])


async def _info_flood(w: Writer, head: bytes) -> None:
    while True:  # 103 Early Hints for ever: never silent, never an answer
        w.write(b"HTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n")
        await w.drain()
        await asyncio.sleep(0.02)


async def _drip(w: Writer, head: bytes) -> None:
    w.write(_head(b"200 OK", b"transfer-encoding: chunked\r\n"))
    while True:  # a byte every 0.1 s: never silent for the read timeout
        w.write(b"1\r\n \r\n")
        await w.drain()
        await asyncio.sleep(0.1)


async def _reflect_loc(w: Writer, head: bytes) -> None:
    key = re.search(rb"(?im)^x-api-key:\s*(\S+)", head)
    location = b"http://127.0.0.1:1/login?next=" + (key[1] if key else b"")
    w.write(
        b"HTTP/1.1 302 Found\r\nlocation: " + location + b"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )


MODES: dict[bytes, Callable[[Writer, bytes], Awaitable[None]]] = {
    b"ok": _ok,
    b"status999": _status999,
    b"hang_body": _hang_body,
    b"close_mid": _close_mid,
    b"info_flood": _info_flood,
    b"drip": _drip,
    b"reflect_loc": _reflect_loc,
}


class Hostile:
    """A raw HTTP/1.1 upstream: the `m_<mode>` segment of the path picks its answer (ok by
    default); it keeps every request head it receives."""

    def __init__(self) -> None:
        self.heads: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.heads.append(head)
            if length := re.search(rb"(?im)^content-length:\s*(\d+)", head):
                await reader.readexactly(int(length[1]))
            mode = re.search(rb"/m_(\w+)", head.split(b"\r\n", 1)[0])
            await MODES[mode[1] if mode else b"ok"](writer, head)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@contextmanager
def hostile() -> Iterator[tuple[str, Hostile]]:
    """A Hostile upstream on 127.0.0.1 (a free port), on its own thread and loop."""
    upstream, loop = Hostile(), asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(upstream.handle, "127.0.0.1", 0))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def stop() -> None:
        server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", upstream
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()


def _raw(base_url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """`request` sent as is; the answer's status, headers and body, read until the proxy closes."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict((k.strip().lower(), v.strip()) for k, v in (line.split(":", 1) for line in lines[1:]))
    return int(lines[0].split()[1]), headers, body


def _envelope(body: bytes, kind: str) -> str:
    error = json.loads(body)
    assert error["type"] == "error" and error["error"]["type"] == kind, error
    message: str = error["error"]["message"]
    return message


def _server(results: list[TargetResult]) -> TargetResult:
    return next(t for t in results if t.kind == "server")


def _failed(target: TargetResult) -> set[str]:
    return {r.id for r in target.requirements if r.status == "failed"}


@pytest.mark.parametrize("target", ["@127.0.0.1:{port}/v1/deployments/m_ok/run", "http://127.0.0.1:{port}/x"])
def test_a_target_that_is_not_a_path_is_400_and_reaches_no_host(target: str) -> None:
    with hostile() as (url, upstream), hostile() as (other_url, other):
        other_port = other_url.rsplit(":", 1)[1]
        out = io.StringIO()
        with proxy_in_thread(url, out=out) as proxy:
            line = f"POST {target.format(port=other_port)} HTTP/1.1\r\n".encode()
            status, headers, body = _raw(
                proxy.base_url,
                line + f"host: p\r\nx-api-key: {KEY}\r\ncontent-length: 0\r\n\r\n".encode(),
            )
            results = proxy.results()
    assert status == 400 and headers["connection"] == "close", (status, headers)
    assert "not a path" in _envelope(body, "invalid_request_error")
    assert other.heads == [] and upstream.heads == []  # sent nowhere, the key least of all
    assert "not judged: 1 x the proxy refused the request (answered 400)" in _server(results).notes
    assert KEY not in out.getvalue()


def test_a_request_framed_two_ways_is_400_and_not_forwarded() -> None:
    smuggled = b"AAAAAPOST /v1/deployments/m_smuggled/run HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n"
    request = (
        b"POST /v1/deployments/m_ok/run HTTP/1.1\r\nhost: p\r\ncontent-length: 5\r\n"
        b"transfer-encoding: chunked\r\n\r\n" + b"%x\r\n" % len(smuggled) + smuggled + b"\r\n0\r\n\r\n"
    )
    with hostile() as (url, upstream), proxy_in_thread(url, out=io.StringIO()) as proxy:
        status, headers, body = _raw(proxy.base_url, request)
        healthy = httpx.post(proxy.base_url + "/v1/deployments/m_ok/run", headers=HEADERS, timeout=30)
    assert status == 400 and headers["connection"] == "close", (status, headers)
    assert "Content-Length and Transfer-Encoding" in _envelope(body, "invalid_request_error")
    assert healthy.status_code == 200
    assert [h.split(b" ", 2)[1] for h in upstream.heads] == [b"/v1/deployments/m_ok/run"]  # the healthy one


def test_an_upstream_url_with_credentials_is_refused_at_start() -> None:
    result = run_cli("proxy", "--upstream", "http://user:PASS-0123456789@127.0.0.1:1", "--duration", "5")
    assert result.returncode == 2, result.stderr
    assert b"--upstream: must not carry a user or password" in result.stderr
    assert b"PASS-0123456789" not in result.stderr + result.stdout
    assert b"Traceback" not in result.stderr
    with pytest.raises(UsageError, match="a user or password"), proxy_in_thread("http://k@127.0.0.1:1"):
        pass


def test_a_status_no_server_can_send_is_502_to_the_client_and_a_finding() -> None:
    with hostile() as (url, _), proxy_in_thread(url, out=io.StringIO()) as proxy:
        answer = httpx.post(proxy.base_url + "/v1/deployments/m_status999/run", headers=HEADERS, timeout=30)
        server = _server(proxy.results())
    assert answer.status_code == 502, answer.text
    assert "status 999" in _envelope(answer.content, "api_error")
    assert "http.no-server-error" in _failed(server) and server.verdict == "non-conformant"


@pytest.mark.parametrize(
    ("mode", "status", "said", "breaks"),
    [
        ("hang_body", 504, "upstream timed out: its answer stopped: silent for 0.5 s", "http.answer.in-time"),
        ("close_mid", 502, "upstream broke off its answer", "http.answer.whole"),
    ],
)
def test_an_answer_that_stalls_or_breaks_before_a_byte_went_on_is_the_proxys_own(
    mode: str, status: int, said: str, breaks: str
) -> None:
    with (
        hostile() as (url, _),
        proxy_in_thread(url, out=io.StringIO(), limits=Limits(read_timeout=0.5)) as proxy,
    ):
        answer = httpx.post(proxy.base_url + f"/v1/deployments/m_{mode}/run", headers=HEADERS, timeout=30)
        server = _server(proxy.results())
    assert answer.status_code == status and answer.headers["content-type"] == "application/json"
    assert said in _envelope(answer.content, "api_error")
    assert _failed(server) == {breaks}


def test_interim_answers_for_ever_meet_the_exchange_deadline_504() -> None:
    limits = Limits(connect_timeout=0.5, read_timeout=0.5)  # a deadline of 0.5 + 2 x 0.5 s
    with hostile() as (url, _), proxy_in_thread(url, out=io.StringIO(), limits=limits) as proxy:
        answer = httpx.post(proxy.base_url + "/v1/deployments/m_info_flood/run", headers=HEADERS, timeout=30)
        server = _server(proxy.results())
    assert answer.status_code == 504
    assert "no whole answer within 1.5 s (the deadline of an exchange" in _envelope(
        answer.content, "api_error"
    )
    assert _failed(server) == {"http.answer.in-time"}


def test_a_trickled_answer_ends_at_the_exchange_deadline() -> None:
    limits = Limits(connect_timeout=0.5, read_timeout=0.5)
    with hostile() as (url, _), proxy_in_thread(url, out=io.StringIO(), limits=limits) as proxy:
        began = time.monotonic()
        run = proxy.base_url + "/v1/deployments/m_drip/run"
        # Its head went on with the first bytes: the client sees the answer end short, not trickle on.
        with httpx.stream("POST", run, headers=HEADERS, timeout=30) as answer, pytest.raises(httpx.HTTPError):
            for _ in answer.iter_raw():
                assert time.monotonic() - began < 20, "the trickle outlived the deadline"
        server = _server(proxy.results())
    assert _failed(server) == {"http.answer.in-time"}


def _proxy_command(url: str, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    """`drun-conformance proxy` to `url`, and the base URL it listens on."""
    process = subprocess.Popen(
        [*drun_command(), "proxy", "--upstream", url, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    return process, [process.stdout.readline().decode() for _ in range(2)][1].split()[1]


def test_a_key_the_upstream_reflects_is_printed_nowhere(tmp_path: Path) -> None:
    with hostile() as (url, _):
        process, listening = _proxy_command(url, "--max-exchanges", "1", "--report-dir", str(tmp_path))
        try:
            answer = httpx.post(listening + "/v1/deployments/m_reflect_loc/run", headers=HEADERS, timeout=30)
            stdout, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert answer.status_code == 302 and KEY in answer.headers["location"]  # passed on unchanged
    assert f"login?next={MARK}".encode() in stdout  # the finding, said without the key
    assert KEY.encode() not in stdout + stderr
    for name in ("report.html", "results.json", "junit.xml"):
        assert KEY not in (tmp_path / name).read_text(), name


def test_the_reports_say_when_the_proxy_started_and_how_long_it_ran(tmp_path: Path) -> None:
    with hostile() as (url, _):
        before = datetime.now(UTC)
        process, _ = _proxy_command(url, "--duration", "3", "--report-dir", str(tmp_path))
        process.communicate(timeout=60)
    results = json.loads((tmp_path / "results.json").read_text())
    started = datetime.fromisoformat(results["started_at"])
    assert abs(started - before) < timedelta(seconds=2), (before, results["started_at"])
    assert results["duration_s"] >= 2.5, results["duration_s"]
