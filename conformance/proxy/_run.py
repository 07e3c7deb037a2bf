"""Running the proxy: on a background thread for tests and the pytest plugin (the command
line's `proxy` runs it in the foreground); either way the results come from the Judge's tallies."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

import uvicorn

from drun_conformance._errors import TargetUnreachable, UsageError
from drun_conformance._values import base_url_problem
from drun_conformance.results import TargetResult
from drun_conformance.server.reference._protocol import BoundedH11Protocol
from drun_conformance.server.reference._serve import base_url_of, bind_socket

from ._bounds import Bounds
from ._forward import ForwardingApp, Limits
from ._judge import Judge

__all__ = ["JUDGE_CAP", "RunningProxy", "check_upstream", "proxy_config", "proxy_in_thread"]

JUDGE_CAP = 10 * 1024 * 1024  # bytes of a body kept for judging; the rest only streams through
_MAX_HEAD = 1 << 20  # long deployment ids must pass: h11's default caps a request head at 16 KiB
_STOP_WAIT = 10.0  # seconds: requests in flight get 2 (timeout_graceful_shutdown), then they end


def check_upstream(url: str) -> str:
    """`url` if it is an http(s) base URL with a host, else a UsageError naming --upstream."""
    problem = base_url_problem(url)
    if problem:
        raise UsageError(f"--upstream: {problem}")
    return url.rstrip("/")


def proxy_config(app: ForwardingApp, log_level: str) -> uvicorn.Config:
    """uvicorn for the proxy: h11 on asyncio whatever else is installed (the same proxy
    everywhere), with the reference server's request deadline (a client that never finishes
    its request is closed, as an idle one is); the lifespan on, so the upstream connections
    close with the server; no header of its own (`server`, `date`) added to the upstream's
    answers, no X-Forwarded-* reading, no access log."""
    return uvicorn.Config(
        app,
        http=BoundedH11Protocol,
        loop="asyncio",
        lifespan="on",
        log_level=log_level,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=2,
        h11_max_incomplete_event_size=_MAX_HEAD,
    )


@dataclass(frozen=True, slots=True)
class RunningProxy:
    """A proxy serving on `base_url`: point a client there; `judge` holds what it saw."""

    base_url: str
    judge: Judge
    app: ForwardingApp

    @property
    def forwarded(self) -> int:
        """Requests the upstream answered so far (one per request received: the proxy adds none)."""
        return self.app.forwarded

    def results(self, *, strict: bool = False) -> list[TargetResult]:
        """Every exchange whose answer a client has is in them (the judge catches up first)."""
        return self.judge.results(strict=strict)


@contextmanager
def proxy_in_thread(
    upstream: str,
    *,
    out: TextIO | None = None,
    limits: Limits | None = None,
    bounds: Bounds | None = None,
    timeout: float = 10.0,
    keep_answers: bool = False,
) -> Iterator[RunningProxy]:
    """A proxy to `upstream` on 127.0.0.1 (a free port), on a background thread until exit;
    `keep_answers`: its run-now answers kept in `judge.answers`, to read through SDKs."""
    judge = Judge(check_upstream(upstream), out=out or sys.stdout, bounds=bounds, keep_answers=keep_answers)
    app = ForwardingApp(judge.upstream, judge, judge_cap=JUDGE_CAP, limits=limits or Limits())
    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn.Server(proxy_config(app, "error"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="drun-proxy", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise TargetUnreachable(f"the proxy did not start within {timeout:g} s")
            time.sleep(0.005)
        yield RunningProxy(base_url_of(sock), judge, app)
    finally:
        server.should_exit = True
        thread.join(_STOP_WAIT)
        if not thread.is_alive():  # else uvicorn still holds it; closing under it would crash the loop
            sock.close()
        judge.close()
