"""`drun-conformance proxy --upstream URL`: forward traffic unchanged and judge what passes,
until Ctrl-C/SIGTERM, `--max-exchanges` or `--duration`; then the report and the gate."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ._common import Commands, gate_flags, note
from ._flags import base_url, int_from, seconds
from ._server import through_sdk_flag, through_sdks

if TYPE_CHECKING:
    from drun_conformance._session import Started
    from drun_conformance.proxy import Judge
    from drun_conformance.results import TargetResult

__all__ = ["add_parser", "finish"]


def add_parser(commands: Commands) -> None:
    proxy = commands.add_parser("proxy", help="forward traffic to a server and judge what passes")
    proxy.add_argument(
        "--upstream", required=True, type=base_url, metavar="URL", help="the server to forward to"
    )
    proxy.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    proxy.add_argument("--port", type=int_from(0, 65535), default=0, help="default: 0, a free port (printed)")
    proxy.add_argument("--max-exchanges", type=int_from(1), metavar="N", help="stop after N judged exchanges")
    proxy.add_argument("--duration", type=seconds, metavar="S", help="stop after S seconds")
    proxy.add_argument(
        "--connect-timeout", type=seconds, default=10.0, metavar="S", help="to connect; then 504 (default 10)"
    )
    proxy.add_argument(
        "--read-timeout",
        type=seconds,
        default=60.0,
        metavar="S",
        help="silent upstream: 504 (default 60); each exchange ends within --connect-timeout + 2 x this",
    )
    proxy.add_argument(
        "--max-connections", type=int_from(1, 10_000), default=100, metavar="N", help="upstream (default 100)"
    )
    through_sdk_flag(proxy, "the upstream gave through the proxy, once forwarding is over,")
    gate_flags(proxy)
    proxy.set_defaults(handler=_proxy, wants_argv=True, seed=None)


def _proxy(args: argparse.Namespace, argv: Sequence[str]) -> int:
    import threading

    import uvicorn

    from drun_conformance._session import now
    from drun_conformance.proxy import JUDGE_CAP, ForwardingApp, Judge, Limits, check_upstream, proxy_config
    from drun_conformance.server.reference._serve import base_url_of, bind_socket, serve_until_stopped

    upstream = check_upstream(args.upstream)
    sdks = through_sdks(args.through_sdk)
    report_dir = Path(args.report_dir) if args.report_dir else None  # checked and made by main
    server: uvicorn.Server | None = None

    def stop(judged: int | None = None) -> None:
        if server is not None and (judged is None or judged >= args.max_exchanges):
            server.should_exit = True

    limits = Limits(args.connect_timeout, args.read_timeout, args.max_connections)
    judge = Judge(upstream, on_exchange=stop if args.max_exchanges else None, keep_answers=bool(sdks))
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
    started = now()  # the run is the forwarding: the report's start and duration are its
    timer = threading.Timer(args.duration, stop) if args.duration else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        serve_until_stopped(server, sock)
    finally:
        if timer is not None:
            timer.cancel()
    judge.close()
    print(
        f"drun-conformance proxy: stopped; {app.received} requests received, {app.forwarded} forwarded"
        f" and answered, {judge.judged} judged",
        flush=True,
    )
    return finish(
        judge,
        argv=argv,
        strict=args.strict,
        report_dir=report_dir,
        allow_incomplete=args.allow_incomplete,
        through=sdks,
        started=started,
    )


def finish(
    judge: Judge,
    *,
    argv: Sequence[str],
    strict: bool,
    report_dir: Path | None,
    allow_incomplete: bool,
    through: Sequence[str] = (),
    started: Started | None = None,
) -> int:
    """The end of `drun-conformance proxy`: the results of what the judge saw, then the run-now
    answers it kept read through each SDK in `through` (forwarding is over: off its path), the
    summary, the reports (the final pass replacing every key the judge remembers), and the exit
    status."""
    from drun_conformance._session import execute
    from drun_conformance.server._replay import read_through_sdk

    checks: list[Callable[[], TargetResult]] = [partial(_result, t) for t in judge.results(strict=strict)]
    if judge.answers is not None:
        log = judge.answers
        checks += [
            partial(read_through_sdk, log, sdk, strict=strict, note=partial(note, label=sdk))
            for sdk in through
        ]
    return execute(
        checks,
        argv=argv,
        seed=None,
        strict=strict,
        report_dir=report_dir,
        allow_incomplete=allow_incomplete,
        secrets=judge.secrets,
        started=started,
    )


def _result(target: TargetResult) -> TargetResult:
    return target
