"""Running the proxy: `drun-conformance proxy` in the foreground, or on a background thread
for tests and the pytest plugin; either way the reports come from the Judge's tallies."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TextIO

import uvicorn

from drun_conformance._errors import TargetUnreachable, UsageError
from drun_conformance._session import execute
from drun_conformance.results import TargetResult
from drun_conformance.server.reference._serve import base_url_of, bind_socket

from ._bounds import Bounds
from ._forward import ForwardingApp, Limits
from ._judge import Judge

__all__ = [
    "JUDGE_CAP",
    "RunningProxy",
    "check_upstream",
    "cmd_proxy",
    "finish",
    "proxy_config",
    "proxy_in_thread",
]

JUDGE_CAP = 10 * 1024 * 1024  # bytes of a body kept for judging; the rest only streams through
_MAX_HEAD = 1 << 20  # long deployment ids must pass: h11's default caps a request head at 16 KiB
_STOP_WAIT = 10.0  # seconds: requests in flight get 2 (timeout_graceful_shutdown), then they end


def check_upstream(url: str) -> str:
    """`url` if it is an http(s) base URL with a host, else a UsageError naming --upstream."""
    from drun_conformance._flags import base_url

    try:
        return base_url(url).rstrip("/")
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"--upstream: {exc}") from None


def proxy_config(app: ForwardingApp, log_level: str) -> uvicorn.Config:
    """uvicorn for the proxy: h11 on asyncio whatever else is installed (the same proxy
    everywhere); the lifespan on, so the upstream connections close with the server; no
    header of its own (`server`, `date`) added to the upstream's answers, no X-Forwarded-*
    reading, no access log."""
    return uvicorn.Config(
        app,
        http="h11",
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
) -> Iterator[RunningProxy]:
    """A proxy to `upstream` on 127.0.0.1 (a free port), on a background thread until exit."""
    judge = Judge(check_upstream(upstream), out=out or sys.stdout, bounds=bounds)
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


def _result(target: TargetResult) -> TargetResult:
    return target


def cmd_proxy(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """`drun-conformance proxy`: forward and judge until Ctrl-C/SIGTERM, --max-exchanges or
    --duration, then write the report (exit status as every checking command)."""
    upstream = check_upstream(args.upstream)
    report_dir = Path(args.report_dir) if args.report_dir else None  # checked and made by the CLI
    server: uvicorn.Server | None = None

    def stop(judged: int | None = None) -> None:
        if server is not None and (judged is None or judged >= args.max_exchanges):
            server.should_exit = True

    limits = Limits(args.connect_timeout, args.read_timeout, args.max_connections)
    judge = Judge(upstream, on_exchange=stop if args.max_exchanges else None)
    app = ForwardingApp(upstream, judge, judge_cap=JUDGE_CAP, limits=limits)
    sock = bind_socket(args.host, args.port)
    server = uvicorn.Server(proxy_config(app, "warning"))
    until = [f"{args.max_exchanges} exchanges judged"] if args.max_exchanges else []
    until += [f"{args.duration:g} s"] if args.duration else []
    print(
        "drun-conformance proxy\n"
        f"  listening: {base_url_of(sock)} (point the client's base URL here)\n"
        f"  upstream: {upstream} (connect within {limits.connect_timeout:g} s, silent at most"
        f" {limits.read_timeout:g} s, {limits.connections} connections at most)\n"
        f"  stops on Ctrl-C or SIGTERM{''.join(', or after ' + u for u in until)}; then writes the report",
        flush=True,
    )
    timer = threading.Timer(args.duration, stop) if args.duration else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    # uvicorn re-raises the signal it stopped on once it is down: both become KeyboardInterrupt.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
        if timer is not None:
            timer.cancel()
    judge.close()
    print(
        f"drun-conformance proxy: stopped; {app.received} requests received, {app.forwarded} forwarded"
        f" and answered, {judge.judged} judged",
        flush=True,
    )
    return finish(
        judge, argv=argv, strict=args.strict, report_dir=report_dir, allow_incomplete=args.allow_incomplete
    )


def finish(
    judge: Judge, *, argv: Sequence[str], strict: bool, report_dir: Path | None, allow_incomplete: bool
) -> int:
    """The end of `drun-conformance proxy`: the results of what the judge saw, the summary, the
    reports (the final pass replacing every key the judge remembers), and the exit status."""
    return execute(
        [partial(_result, target) for target in judge.results(strict=strict)],
        argv=argv,
        seed=None,
        strict=strict,
        report_dir=report_dir,
        allow_incomplete=allow_incomplete,
        secrets=judge.secrets,
    )
