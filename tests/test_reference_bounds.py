"""The reference server's bounds over real sockets: connections that never finish a request are
closed, healthy clients are still served, and oversize ids, heads and bodies are answered with
the API's error envelope (read by the client, never a reset in its place)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import quote

import httpx
import pytest

from drun_conformance.server.reference import (
    DEFAULT_API_KEY,
    REQUIRED_BETA,
    _protocol,
    create_app,
    run_path,
    serve_in_thread,
)
from drun_conformance.server.reference._app import MAX_BODY, MAX_HEAD
from drun_conformance.server.reference._scenario import MAX_ID_LENGTH

from ._reference import HEADERS, assert_envelope

pytestmark = pytest.mark.slow

DEADLINE = 1.5  # REQUEST_SECONDS for these tests: the mechanism, without waiting 10 s
HEAD = f"x-api-key: {DEFAULT_API_KEY}\r\nanthropic-beta: {REQUIRED_BETA}\r\nhost: reference\r\n"
PAD = "x-pad: p\r\n"


@pytest.fixture
def url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(_protocol, "REQUEST_SECONDS", DEADLINE)
    with serve_in_thread(create_app()) as base_url:
        yield base_url


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)))
    sock.settimeout(0.1)
    return sock


def _closed_within(sock: socket.socket, seconds: float, feed: Callable[[], bytes] = lambda: b"") -> bytes:
    """What the server sent before closing, feeding `feed()` between reads; fails if it is
    still open after `seconds`."""
    received = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if chunk := feed():
                sock.sendall(chunk)
            got = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return received
        if not got:
            return received
        received += got
    raise AssertionError(f"still open after {seconds:g} s; received {received[:200]!r}")


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (with a bound)."""
    sock.settimeout(10)
    out = b""
    while chunk := sock.recv(65536):
        out += chunk
    return out


def _served(url: str, clients: int) -> list[int]:
    """`clients` keep-alive clients at once, five runs each: every status they got."""
    statuses: list[int] = []

    def client() -> None:
        with httpx.Client(base_url=url, headers=HEADERS, timeout=30) as http:
            for _ in range(5):
                statuses.append(http.post(run_path("depl_ok")).status_code)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


def test_connections_that_never_finish_a_request_are_closed_and_others_served(url: str) -> None:
    silent = [_connect(url) for _ in range(100)]
    slowloris, trickle, idle = _connect(url), _connect(url), _connect(url)
    head = iter([b"GET /v1/deployment_runs HTTP/1.1\r\n", *(b"x-pad: 1\r\n" for _ in range(10_000))])
    body = iter(
        [
            f"POST {run_path('depl_ok')} HTTP/1.1\r\n{HEAD}content-length: 5000\r\n\r\n".encode(),
            *[b"x"] * 5000,
        ]
    )
    idle.sendall(f"GET /v1/deployment_runs HTTP/1.1\r\n{HEAD}\r\n".encode())
    assert _served(url, 32) == [200] * 32 * 5  # while 100 silent connections are held
    bound = DEADLINE + 5  # the deadline, and room for a busy machine
    assert _closed_within(silent[0], bound) == b""
    assert all(_closed_within(sock, 1) == b"" for sock in silent[1:])
    assert _closed_within(slowloris, bound, lambda: next(head)) == b""  # a byte a read, never done
    assert _closed_within(trickle, bound, lambda: next(body)) == b""
    answered = _closed_within(idle, bound)  # its answer, then the next request never came
    assert answered.startswith(b"HTTP/1.1 200 ") and answered.endswith(b"}")
    for sock in [*silent, slowloris, trickle, idle]:
        sock.close()
    assert _served(url, 32) == [200] * 32 * 5


def test_an_over_long_id_is_a_400(url: str) -> None:
    with httpx.Client(base_url=url, headers=HEADERS) as client:
        assert client.post(run_path("é" * MAX_ID_LENGTH)).status_code == 404  # the longest taken
        over = "é" * (MAX_ID_LENGTH + 1)
        for response in (
            client.post(run_path(over)),
            client.get(f"/v1/deployment_runs/{quote(over, safe='')}"),
            client.get("/v1/deployment_runs", params={"deployment_id": over}),
        ):
            body = assert_envelope(response, 400, "invalid_request_error")
            assert f"at most {MAX_ID_LENGTH} characters" in body["error"]["message"]
        assert client.post(run_path("depl_ok")).status_code == 200  # the same connection goes on


def test_a_head_over_the_bound_is_a_400(url: str) -> None:
    with httpx.Client(base_url=url, headers=HEADERS) as client:
        assert client.post(run_path("depl_ok"), headers={"x-pad": "p" * (MAX_HEAD // 2)}).status_code == 200
        big = client.post(run_path("depl_ok"), headers={"x-pad": "p" * MAX_HEAD})
        assert_envelope(big, 400, "invalid_request_error")
        assert client.post(run_path("depl_ok")).status_code == 200


@pytest.mark.parametrize(
    "head",
    [
        f"POST /v1/deployments/{'z' * 500_000}/run HTTP/1.1\r\n{HEAD}\r\n",
        f"GET /v1/deployment_runs HTTP/1.1\r\n{HEAD}x-pad: {'p' * 1_000_000}\r\n\r\n",
        f"GET /v1/deployment_runs HTTP/1.1\r\n{HEAD}{PAD * 100_000}\r\n",
    ],
    ids=["500,000-character id", "1 MB header", "100,000 headers"],
)
def test_a_head_h11_refuses_is_answered_in_the_envelope_then_closed(url: str, head: str) -> None:
    sock = _connect(url)
    sock.settimeout(10)
    sock.sendall(head.encode())  # all of it: the server reads what it refuses, never resets
    answer = _answer(sock)
    status, _, rest = answer.partition(b"\r\n")
    assert status == b"HTTP/1.1 400 Bad Request"
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in headers and b"connection: close" in headers
    assert httpx.Response(400, content=body, headers={"content-type": "application/json"}).json()[
        "error"
    ] == {
        "type": "invalid_request_error",
        "message": f"Invalid HTTP/1.1 request: a malformed head, or one over {MAX_HEAD} bytes.",
    }


def test_a_body_over_the_bound_is_a_413_and_the_connection_goes_on(url: str) -> None:
    with httpx.Client(base_url=url, headers=HEADERS, timeout=60) as client:
        assert client.post(run_path("depl_ok"), content=b"{" * (3 << 20)).status_code == 200
        before = client.get("/v1/deployment_runs", params={"limit": 1000}).json()["data"]
        too_large = client.post(run_path("depl_ok"), content=b"x" * 50_000_000)
        body = assert_envelope(too_large, 413, "request_too_large")
        assert str(MAX_BODY) in body["error"]["message"]
        assert client.get("/v1/deployment_runs", params={"limit": 1000}).json()["data"] == before  # no run


def test_a_body_over_the_bound_is_read_before_the_413_then_closed(url: str) -> None:
    # The client asks to close after the answer: an answer sent before the body is read, then
    # the close, would reset the upload under way (a client that does not read early answers
    # never sees the 413).
    sock = _connect(url)
    sock.settimeout(30)
    size = 50_000_000
    head = f"POST {run_path('depl_ok')} HTTP/1.1\r\n{HEAD}connection: close\r\ncontent-length: {size}\r\n\r\n"
    sock.sendall(head.encode())
    chunk = b"x" * (1 << 20)
    for _ in range(size // len(chunk)):
        sock.sendall(chunk)
    sock.sendall(b"x" * (size % len(chunk)))
    answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 413 ") and b'"type":"request_too_large"' in answer
