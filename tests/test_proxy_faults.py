"""The proxy under upstream faults, on loopback: an upstream that never answers, a pool with
no free connection, a client that leaves in the middle of a large answer. No timing is
asserted: each test asserts what happened (the status, what the upstream saw), within
generous bounds only so that a regression fails rather than hangs."""

from __future__ import annotations

import asyncio
import io
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from drun_conformance.proxy import Limits, RunningProxy, proxy_in_thread
from drun_conformance.results import TargetResult
from drun_conformance.server.reference import (
    DEFAULT_API_KEY,
    REQUIRED_BETA,
    _protocol,
    create_app,
    serve_in_thread,
)

from .conftest import eventually

pytestmark = pytest.mark.slow

HEADERS = {"x-api-key": DEFAULT_API_KEY, "anthropic-beta": REQUIRED_BETA, "anthropic-version": "2023-06-01"}
RUN = "/v1/deployments/depl_ok/run"


@dataclass
class Hanging:
    """ASGI: a path under /hang is never answered (its request is counted when it comes and
    when its client, the proxy, leaves); anything else goes to the reference app."""

    app: ASGIApp
    started: int = 0
    left: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/hang"):
            self.started += 1
            while (await receive())["type"] != "http.disconnect":
                pass
            self.left += 1
            return
        await self.app(scope, receive, send)


@dataclass
class Endless:
    """ASGI: a 200 of `size` bytes in 64 KiB chunks, counting the bytes handed to the server
    before its client (the proxy) left."""

    size: int
    sent: int = 0
    over: threading.Event = field(default_factory=threading.Event)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        gone = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.create_task(watch())
        headers = [
            (b"content-type", b"application/octet-stream"),
            (b"content-length", str(self.size).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        chunk = b"x" * 65536
        while self.sent < self.size and not gone.is_set():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            self.sent += len(chunk)
            await asyncio.sleep(0)  # the watcher hears of a disconnect
        watcher.cancel()
        self.over.set()


def _server(results: list[TargetResult]) -> TargetResult:
    return next(t for t in results if t.kind == "server")


@pytest.fixture
def hanging() -> Iterator[tuple[str, Hanging]]:
    app = Hanging(create_app())
    with serve_in_thread(app) as url:
        yield url, app


def _give_up(proxy: RunningProxy, clients: int, after: float) -> list[BaseException | httpx.Response]:
    """`clients` requests at once to a hanging path, each on its own connection, each giving
    up after `after` seconds."""

    async def one(client: httpx.AsyncClient, number: int) -> httpx.Response:
        return await client.get(f"/hang/{number}", headers=HEADERS)

    async def all_of_them() -> list[BaseException | httpx.Response]:
        limits = httpx.Limits(max_connections=clients)
        async with httpx.AsyncClient(base_url=proxy.base_url, timeout=after, limits=limits) as client:
            return await asyncio.gather(*(one(client, n) for n in range(clients)), return_exceptions=True)

    return asyncio.run(all_of_them())


def test_clients_that_give_up_on_a_hung_upstream_never_block_the_next_one(
    hanging: tuple[str, Hanging],
) -> None:
    url, app = hanging
    # Ten upstream connections for a hundred clients: only closing abandoned requests frees them
    # (the read timeout is far away); the healthy request waits for one up to 30 s, then 504
    # (on a loaded machine closing the ten abandoned ones can take seconds).
    limits = Limits(connect_timeout=30.0, read_timeout=600.0, connections=10)
    with proxy_in_thread(url, out=io.StringIO(), limits=limits) as proxy:
        answers = _give_up(proxy, clients=100, after=0.5)
        assert all(isinstance(a, httpx.TimeoutException) for a in answers), answers[:3]
        healthy = httpx.post(proxy.base_url + RUN, headers=HEADERS, timeout=60)
        assert healthy.status_code == 200, healthy.text
        # Every request that reached the upstream was closed by the proxy when its client left.
        assert eventually(lambda: app.left == app.started), (app.started, app.left)
        results = proxy.results()
        received = proxy.judge.received
        assert 0 < app.started <= 100
    server = _server(results)
    assert server.requests == 1
    # Every client the proxy heard from left (on a loaded machine one may give up before its
    # request reaches the proxy at all).
    assert 90 <= received - 1 <= 100
    left = f"not judged: {received - 1} x the client left before the answer was complete"
    assert left in server.notes, server.notes


def test_an_upstream_silent_past_the_read_timeout_is_504_in_the_envelope(
    hanging: tuple[str, Hanging],
) -> None:
    url, app = hanging
    out = io.StringIO()
    with proxy_in_thread(url, out=out, limits=Limits(read_timeout=0.3)) as proxy:
        answer = httpx.get(proxy.base_url + "/hang/silent", headers=HEADERS, timeout=60)
        assert eventually(lambda: app.left == 1)  # and the upstream request is closed
        results = proxy.results()
    assert answer.status_code == 504
    error = answer.json()
    assert error["type"] == "error" and error["error"]["type"] == "api_error"
    assert (
        error["error"]["message"]
        == "drun-conformance proxy: upstream timed out: no answer within 0.3 s (--read-timeout)"
    )
    assert "not judged: 1 x the upstream did not answer in time (answered 504)" in _server(results).notes
    assert (
        "GET /hang/silent: the upstream did not answer in time (answered 504) (no answer within 0.3 s"
        in out.getvalue()
    )


def test_a_request_with_no_free_upstream_connection_is_504_not_a_wait_forever(
    hanging: tuple[str, Hanging],
) -> None:
    url, app = hanging
    with proxy_in_thread(url, out=io.StringIO(), limits=Limits(connect_timeout=0.3, connections=1)) as proxy:
        hold = partial(httpx.get, proxy.base_url + "/hang/holder", headers=HEADERS, timeout=5.0)
        holder = threading.Thread(target=_swallow, args=(hold,))
        holder.start()
        assert eventually(lambda: app.started == 1)  # the one connection is taken, and held
        answer = httpx.post(proxy.base_url + RUN, headers=HEADERS, timeout=60)
        holder.join(30)
    assert answer.status_code == 504
    assert "no connection to the upstream within 0.3 s" in answer.json()["error"]["message"]


def _swallow(call: Callable[[], object]) -> None:
    try:
        call()
    except httpx.HTTPError:
        pass


def test_a_client_leaving_a_large_answer_stops_the_proxy_reading_it() -> None:
    size = 256 << 20
    endless = Endless(size)
    with serve_in_thread(endless) as url, proxy_in_thread(url, out=io.StringIO()) as proxy:
        with httpx.Client(base_url=proxy.base_url, timeout=30) as client:
            with client.stream("GET", "/v1/files/big", headers=HEADERS) as answer:
                read = 0
                for chunk in answer.iter_raw():
                    read += len(chunk)
                    if read >= 1 << 20:
                        break  # the client leaves: the connection closes with the answer unread
        assert endless.over.wait(60), "the upstream was never told its client left"
        results = proxy.results()
    # What the kernel and the two hops buffer, not the whole answer (as it was: all 256 MiB).
    assert endless.sent < size // 4, endless.sent
    assert "not judged: 1 x the client left before the answer was complete" in _server(results).notes


def test_client_connections_that_never_finish_a_request_are_closed_and_others_served(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_protocol, "REQUEST_SECONDS", 1.5)  # the mechanism, without waiting 10 s
    with serve_in_thread(create_app()) as url, proxy_in_thread(url, out=io.StringIO()) as proxy:
        host, port = proxy.base_url.removeprefix("http://").rsplit(":", 1)
        silent = [socket.create_connection((host, int(port))) for _ in range(100)]
        slowloris = socket.create_connection((host, int(port)))
        slowloris.sendall(b"POST " + RUN.encode() + b" HTTP/1.1\r\nhost: p\r\n")  # the head never ends
        with httpx.Client(base_url=proxy.base_url, headers=HEADERS, timeout=10) as client:
            assert [client.post(RUN).status_code for _ in range(5)] == [200] * 5  # while they are held
        for sock in [*silent, slowloris]:
            sock.settimeout(1.5 + 10)  # the deadline, and room for a busy machine
            assert sock.recv(1) == b"", "the proxy still holds a connection that sent no whole request"
            sock.close()


# The wire mutants a passive observer can see: the answer broke off, went silent past the
# proxy's read timeout, or redirected. (A trickle is no silence, and an answer over the judging
# cap is forwarded unjudged: only the client's own limits can judge those.)
SEEN_BY_A_PROXY = (
    "truncated-body",
    "chunked-body-cut-off",
    "silent-run-now",
    "stall-mid-body",
    "redirect-loop",
)


@pytest.mark.parametrize("name", SEEN_BY_A_PROXY)
def test_an_upstream_answer_broken_on_the_wire_fails_the_requirement_it_breaks(name: str) -> None:
    from tests.mutants import MUTANTS, FaultInjector

    mutant = next(m for m in MUTANTS if m.name == name)
    with serve_in_thread(FaultInjector(create_app(), mutant)) as url:
        with proxy_in_thread(url, out=io.StringIO(), limits=Limits(read_timeout=0.5)) as proxy:
            with httpx.Client(base_url=proxy.base_url, headers=HEADERS, timeout=10) as client:
                try:
                    client.post(RUN).read()
                except httpx.HTTPError:
                    pass  # the client saw its answer end short, as the upstream broke it
            server = _server(proxy.results())
    failed = {r.id for r in server.requirements if r.status == "failed"}
    assert failed == {mutant.requirement}, (failed, server.notes)
    assert server.verdict == "non-conformant"


def test_whole_answers_through_the_proxy_meet_every_transport_requirement() -> None:
    with serve_in_thread(create_app()) as url, proxy_in_thread(url, out=io.StringIO()) as proxy:
        with httpx.Client(base_url=proxy.base_url, headers=HEADERS) as client:
            client.post(RUN).raise_for_status()
        server = _server(proxy.results())
    transport = {r.id: r.status for r in server.requirements if r.id.startswith("http.answer.")}
    # An answer that came whole says nothing of a stall it never had, nor of the cap.
    assert transport == {
        "http.answer.whole": "passed",
        "http.answer.in-time": "passed",
        "http.answer.within-cap": "passed",
        "http.answer.no-redirect": "passed",
    }, transport
