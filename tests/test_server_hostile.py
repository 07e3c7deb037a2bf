"""Hostile and broken targets: every run ends in time, with a finding and an exit status,
never a traceback; and no flag makes the runner exceed its request budget. A target that
answers, but breaks an answer on the wire, is non-conformant (exit 1); one that never
answers anything is unreachable (exit 3)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from drun_conformance.server import ServerOptions, check_server, default_budget, is_loopback
from drun_conformance.server._transport import Prober, TransportFault
from drun_conformance.server.reference import DEFAULT_API_KEY, create_app, serve_in_thread

from .conftest import drun_command, run_cli
from .mutants import WIRE_MUTANTS, FaultInjector, Mutant

pytestmark = pytest.mark.slow

# A success head promising 1000 bytes of body, then 12 of them.
_PARTIAL = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"id": "drun'


def _read_head(conn: socket.socket) -> None:
    conn.settimeout(5)
    data = b""
    with contextlib.suppress(OSError):
        while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
            data += chunk


def _trickle_head(conn: socket.socket) -> None:
    """A status line, then a header a byte at a time, never ending: each read is quick."""
    _read_head(conn)
    with contextlib.suppress(OSError):
        conn.sendall(b"HTTP/1.1 200 OK\r\nx-slow: ")
        while True:
            conn.sendall(b"a")
            time.sleep(0.2)


@contextmanager
def raw_tcp_server(behaviour: str, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """A TCP server on loopback that accepts and then hangs ("silent"), hangs up ("reset"),
    stops mid-body ("stall-body"), closes before its content-length ("short-body") or never
    ends its head ("trickle-head"); with `tls`, a TLS server that answers like "short-body"
    once a handshake succeeds."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            if tls is not None:
                try:
                    conn.settimeout(5)
                    conn = tls.wrap_socket(conn, server_side=True)
                except OSError:  # a plain client: the handshake fails, the connection closes
                    conn.close()
                    continue
            if behaviour == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                conn.close()
            elif behaviour in ("stall-body", "short-body"):
                _read_head(conn)
                with contextlib.suppress(OSError):
                    conn.sendall(_PARTIAL)
                if behaviour == "short-body":
                    conn.close()
                else:
                    held.append(conn)
            elif behaviour == "trickle-head":
                held.append(conn)
                threading.Thread(target=_trickle_head, args=(conn,), daemon=True).start()
            else:
                held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


async def _flood(request: Request) -> Response:
    async def endless() -> Iterator[bytes]:  # type: ignore[misc]
        chunk = b"{" * 65536
        while not await request.is_disconnected():  # endless for the client; the server may stop
            yield chunk

    return StreamingResponse(endless(), media_type="application/json")


async def _redirect(request: Request) -> Response:
    return Response(status_code=307, headers={"location": request.scope["raw_path"].decode("latin-1")})


def _app(endpoint: Callable[[Request], Awaitable[Response]]) -> ASGIApp:
    """Every request, whatever its method or path, goes to `endpoint` (no router to 404 it)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = await endpoint(Request(scope, receive))
        await response(scope, receive, send)

    return app


def _cli(base_url: str, tmp_path: Path, *extra: str) -> tuple[int, float, str]:
    started = time.monotonic()
    result = run_cli(
        "server",
        "--base-url",
        base_url,
        "--deployment-id",
        "depl_ok",
        "--timeout",
        "2",
        "--report-dir",
        str(tmp_path),
        *extra,
    )
    elapsed = time.monotonic() - started
    assert b"Traceback" not in result.stderr + result.stdout
    for name in ("report.html", "results.json", "junit.xml"):
        assert (tmp_path / name).is_file(), name
    return result.returncode, elapsed, (tmp_path / "results.json").read_text()


@pytest.mark.parametrize("behaviour", ["silent", "reset"])
def test_a_target_that_hangs_or_hangs_up_ends_the_run_with_exit_3(behaviour: str, tmp_path: Path) -> None:
    with raw_tcp_server(behaviour) as url:
        status, elapsed, results = _cli(url, tmp_path)
    assert status == 3 and elapsed < 120
    notes = json.loads(results)["targets"][0]["notes"]
    assert any(word in n for n in notes for word in ("no usable answer", "could not be reached")), notes


@pytest.mark.parametrize(
    ("behaviour", "requirement"), [("stall-body", "http.answer.in-time"), ("short-body", "http.answer.whole")]
)
def test_a_body_that_stalls_or_stops_short_is_a_transport_failure(
    behaviour: str, requirement: str, tmp_path: Path
) -> None:
    """A status line came: the target answers, and what it answers breaks (exit 1, not 3)."""
    with raw_tcp_server(behaviour) as url:
        status, elapsed, results = _cli(url, tmp_path, "--allow-incomplete")
    assert status == 1 and elapsed < 120
    target = json.loads(results)["targets"][0]
    assert target["verdict"] == "non-conformant" and target["requests"] == 1
    assert [r["id"] for r in target["requirements"] if r["status"] == "failed"] == [requirement]


def test_a_head_that_never_ends_is_cut_at_the_timeout(tmp_path: Path) -> None:
    """A trickle of header bytes resets every read timeout: the request's own deadline ends it.
    No head ever completes, so nothing answered: unreachable."""
    with raw_tcp_server("trickle-head") as url:
        status, elapsed, results = _cli(url, tmp_path)
    assert status == 3 and elapsed < 30  # two requests of --timeout 2, and start-up
    assert "no complete answer within the timeout" in results


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a self-signed certificate for 127.0.0.1 and its key, made by the openssl CLI."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed: no self-signed certificate to serve TLS with")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return folder


@pytest.fixture(scope="module")
def tls_context(tls_files: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files / "cert.pem", tls_files / "key.pem")
    return context


def test_a_tls_head_that_never_ends_is_cut_at_the_timeout(
    tls_files: Path, tls_context: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under TLS too the request's own deadline ends a trickle (it shuts the wrapped socket)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files / "cert.pem"))  # trusted for this test only
    with raw_tcp_server("trickle-head", tls=tls_context) as url:
        with Prober(url.replace("http://", "https://"), max_requests=1, timeout_s=1.5) as prober:
            started = time.monotonic()
            _, got = prober.send("POST", "/v1/deployments/depl_ok/run", {})
            elapsed = time.monotonic() - started
    assert isinstance(got, TransportFault) and got.kind == "stalled" and elapsed < 10, got


def test_https_to_a_plain_server_is_unreachable_not_a_crash(tmp_path: Path) -> None:
    with serve_in_thread() as url:
        status, elapsed, results = _cli(url.replace("http://", "https://"), tmp_path)
    assert status == 3 and elapsed < 120
    assert "could not be reached" in results and "SSL" in results


def test_plain_http_to_a_tls_server_is_unreachable_not_a_crash(
    tls_context: ssl.SSLContext, tmp_path: Path
) -> None:
    with raw_tcp_server("short-body", tls=tls_context) as url:
        status, elapsed, results = _cli(url, tmp_path)
    assert status == 3 and elapsed < 120
    assert "no usable answer" in results


def test_https_to_a_self_signed_server_is_refused_not_trusted(
    tls_context: ssl.SSLContext, tmp_path: Path
) -> None:
    with raw_tcp_server("short-body", tls=tls_context) as url:
        status, elapsed, results = _cli(url.replace("http://", "https://"), tmp_path)
    assert status == 3 and elapsed < 120
    assert "CERTIFICATE_VERIFY_FAILED" in results


def test_an_unreachable_target_exits_3(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    status, elapsed, results = _cli(f"http://127.0.0.1:{port}", tmp_path)
    assert status == 3 and elapsed < 30
    assert json.loads(results)["verdict"] == "incomplete"


def test_a_flood_of_bytes_is_cut_at_the_cap(tmp_path: Path) -> None:
    with serve_in_thread(_app(_flood)) as url:
        status, elapsed, results = _cli(url, tmp_path, "--max-response-bytes", "1000000")
    assert status == 1 and elapsed < 120
    target = json.loads(results)["targets"][0]
    assert any("passed 1000000 bytes" in n for n in target["notes"])
    assert [r["id"] for r in target["requirements"] if r["status"] == "failed"] == ["http.answer.within-cap"]


def test_a_redirect_loop_is_not_followed_and_fails_the_run(tmp_path: Path) -> None:
    with serve_in_thread(_app(_redirect)) as url:
        status, elapsed, results = _cli(url, tmp_path, "--allow-incomplete")
    assert status == 1 and elapsed < 120
    data = json.loads(results)
    assert data["verdict"] == "non-conformant" and data["targets"][0]["requests"] == 1
    assert any("redirect loop" in (r["message"] or "") for r in data["targets"][0]["requirements"])


@pytest.mark.parametrize("mutant", WIRE_MUTANTS, ids=lambda m: m.name)
def test_a_target_that_breaks_its_run_now_answers_fails_even_with_allow_incomplete(
    mutant: Mutant, tmp_path: Path
) -> None:
    """The other probes are answered whole: the broken run-now answer is a MUST failure named on
    the console, the run stops there, and --allow-incomplete does not make it a pass."""
    with serve_in_thread(FaultInjector(create_app(), mutant)) as url:
        args = ("--api-key", DEFAULT_API_KEY, "--max-response-bytes", "100000", "--allow-incomplete")
        result = run_cli(
            "server",
            "--base-url",
            url,
            "--deployment-id",
            "depl_ok",
            "--timeout",
            "2",
            *args,
            "--report-dir",
            str(tmp_path),
        )
    out = result.stdout.decode()
    assert result.returncode == 1 and "Traceback" not in out + result.stderr.decode(), out
    assert f"FAILED MUST   {mutant.requirement}:" in out
    target = json.loads((tmp_path / "results.json").read_text())["targets"][0]
    assert target["verdict"] == "non-conformant" and target["requests"] <= 2, target["notes"]
    assert [r["id"] for r in target["requirements"] if r["status"] == "failed"] == [mutant.requirement]
    assert f"stopped at the first answer that broke {mutant.requirement}" in target["notes"][-1]
    # What the stop left unexercised says so, and asks for no larger budget.
    unexercised = [r for r in target["requirements"] if r["level"] == "MUST" and r["status"] == "skipped"]
    assert unexercised and all("transport failure" in r["remedy"] for r in unexercised if r["applicable"])


class _Counter:
    """ASGI middleware counting every request that reaches the reference server."""

    def __init__(self) -> None:
        self.app = create_app()
        self.count = 0

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http":
            self.count += 1
        await self.app(scope, receive, send)


@pytest.mark.parametrize("max_requests", [1, 4, 10, 37])
@pytest.mark.parametrize("profile", ["quick", "thorough"])
@pytest.mark.parametrize(
    "ids", [(), ("depl_ok",), ("depl_ok", "depl_unknown_error", "depl_vault_archived_error")]
)
def test_the_budget_is_never_exceeded(max_requests: int, profile: str, ids: tuple[str, ...]) -> None:
    counter = _Counter()
    with serve_in_thread(counter) as url:  # type: ignore[arg-type]
        result = check_server(
            ServerOptions(
                base_url=url,
                api_key=DEFAULT_API_KEY,
                deployment_ids=ids,
                max_requests=max_requests,
                profile=profile,
                seed=3,
            )
        )  # type: ignore[arg-type]
    assert counter.count == result.requests <= max_requests
    if max_requests < 5 and ids:
        assert any(r.status == "skipped" and "budget" in (r.reason or "") for r in result.requirements)


def test_live_endpoints_get_a_small_default_budget() -> None:
    assert (
        is_loopback("http://127.0.0.1:8000")
        and is_loopback("http://[::1]:1")
        and is_loopback("http://localhost")
    )
    assert not is_loopback("https://api.anthropic.com")
    assert default_budget("https://api.anthropic.com") == 10
    assert default_budget("http://127.0.0.1:8000") == 300


class _AnswersThenHangs:
    """The reference server for its first `n` requests; after that it never answers."""

    def __init__(self, n: int) -> None:
        self.app, self.left = create_app(), n

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http":
            self.left -= 1
            if self.left < 0:
                await asyncio.sleep(3600)
        await self.app(scope, receive, send)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_writes_the_partial_reports_and_keeps_what_was_checked(
    stop: signal.Signals, tmp_path: Path
) -> None:
    app = _AnswersThenHangs(3)
    with serve_in_thread(app) as url:  # type: ignore[arg-type]
        command = [*drun_command(), "server", "--base-url", url, "--api-key", DEFAULT_API_KEY]
        process = subprocess.Popen(
            [*command, "--deployment-id", "depl_ok", "--report-dir", str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while app.left >= 0 and time.monotonic() < deadline:  # until the 4th request hangs
            time.sleep(0.05)
        process.send_signal(stop)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 4 and b"Traceback" not in out + err  # cut short: incomplete
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["partial"] and results["verdict"] == "incomplete"
    target = results["targets"][0]
    assert target["notes"][-1] == "interrupted" and target["requests"] == 4
    assert any(r["status"] == "passed" for r in target["requirements"])  # nothing checked is lost
    assert "partial" in (tmp_path / "report.html").read_text().lower()


class _RateLimits:
    """The reference server, except that requests number `limited` (1-based) get a 429."""

    def __init__(self, limited: set[int], retry_after: str | None) -> None:
        self.app, self.limited, self.retry_after, self.seen = create_app(), limited, retry_after, 0

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http":
            self.seen += 1
            if self.seen in self.limited:
                headers = {"retry-after": self.retry_after} if self.retry_after else {}
                body = b'{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}'
                await Response(body, 429, headers, media_type="application/json")(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _ids() -> tuple[str, ...]:
    from drun_conformance.server.reference import expected_outcomes

    return tuple(e.deployment_id for e in expected_outcomes())[:2]


def test_a_429_is_waited_out_once_and_the_request_sent_again() -> None:
    server = _RateLimits({3}, retry_after="0")
    with serve_in_thread(server) as url:  # type: ignore[arg-type]
        options = ServerOptions(base_url=url, api_key=DEFAULT_API_KEY, deployment_ids=_ids(), seed=1)
        result = check_server(options)
    assert any("429" in note and "retry-after" in note for note in result.notes), result.notes
    assert result.requests == server.seen  # the retried request counts against the budget too
    assert not [r.id for r in result.requirements if r.status == "failed"]


def test_a_second_429_stops_the_run_and_what_it_left_is_not_passed() -> None:
    server = _RateLimits(set(range(3, 1000)), retry_after="0")
    with serve_in_thread(server) as url:  # type: ignore[arg-type]
        options = ServerOptions(base_url=url, api_key=DEFAULT_API_KEY, deployment_ids=_ids(), seed=1)
        result = check_server(options)
    assert server.seen == 4  # two answered, one 429 waited out, the second 429 ends it
    assert "429 again" in result.notes[-1] and result.verdict == "incomplete"
    assert result.gate == "incomplete"


def test_retry_after_is_read_as_seconds_or_a_date_and_capped() -> None:
    from drun_conformance.server._transport import retry_after_seconds

    assert retry_after_seconds("2") == 2 and retry_after_seconds(None) == 1
    assert retry_after_seconds("86400") == 60 and retry_after_seconds("-3") == 0
    assert retry_after_seconds("soon") == 1 and retry_after_seconds("nan") == 1
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # a date in the past
