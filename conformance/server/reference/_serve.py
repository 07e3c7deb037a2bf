"""Serving the reference app with uvicorn: in a background thread, or in the foreground (`serve`)."""

from __future__ import annotations

import argparse
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from pydantic import ValidationError
from starlette.types import ASGIApp

from drun_conformance._errors import TargetUnreachable, UsageError

from ._app import MAX_HEAD, REQUIRED_BETA, create_app
from ._protocol import BoundedH11Protocol
from ._scenario import Scenario, default_scenario, load_scenario

__all__ = ["base_url_of", "bind_socket", "cmd_serve", "serve_in_thread", "uvicorn_config"]

_STOP_WAIT = 10.0  # seconds: requests in flight get 2 (timeout_graceful_shutdown), then it closes


def uvicorn_config(app: ASGIApp, log_level: str) -> uvicorn.Config:
    """h11 always (its bound on a head holds whatever else is installed), with the request
    deadline and the graceful close of BoundedH11Protocol."""
    return uvicorn.Config(
        app,
        lifespan="off",
        log_level=log_level,
        timeout_graceful_shutdown=2,
        http=BoundedH11Protocol,
        h11_max_incomplete_event_size=MAX_HEAD,
    )


def bind_socket(host: str, port: int) -> socket.socket:
    """A socket bound before uvicorn starts, so the port is known and taken without a race."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(socket.SOMAXCONN)  # connections queue from here on, before uvicorn is up
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


def base_url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextmanager
def serve_in_thread(
    app: ASGIApp | None = None, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 10.0
) -> Iterator[str]:
    """Serve `app` (default: a fresh reference app) with uvicorn on a background thread.

    Yields the base URL (`http://127.0.0.1:PORT`; port 0 picks a free one) once the server
    answers, and stops it on exit, waiting for requests in flight.
    """
    sock = bind_socket(host, port)
    server = uvicorn.Server(uvicorn_config(app or create_app(), "error"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="drun-reference-server", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise TargetUnreachable(f"the reference server did not start within {timeout:g} s")
            time.sleep(0.005)
        yield base_url_of(sock)
    finally:
        server.should_exit = True
        thread.join(_STOP_WAIT)
        if not thread.is_alive():  # else uvicorn still holds it; closing under it would crash the loop
            sock.close()


def _with_keys(scenario: Scenario, keys: list[str]) -> Scenario:
    """`scenario` accepting exactly `keys` (validated as a scenario's keys are)."""
    try:
        return Scenario.model_validate({**scenario.model_dump(), "api_keys": keys})
    except ValidationError:
        raise UsageError("--api-key must be printable ASCII without spaces") from None


def cmd_serve(args: argparse.Namespace) -> int:
    """`drun-conformance serve`: the reference server in the foreground until Ctrl-C (exit 0)."""
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be from 0 to 65535, got {args.port}")
    scenario = load_scenario(Path(args.scenario)) if args.scenario else default_scenario()
    if args.api_key:
        scenario = _with_keys(scenario, args.api_key)
    app = create_app(scenario, database=args.database or ":memory:", any_deployment=args.any_deployment)
    sock = bind_socket(args.host, args.port)
    ids = ", ".join(d.id for d in scenario.deployments) or "(none)"
    if args.any_deployment:
        ids += "; any other id is created healthy on its first run (--any-deployment)"
    # Keys given on the command line are the user's: never echoed.
    keys = f"{len(args.api_key)} given with --api-key" if args.api_key else scenario.api_keys[0]
    print(
        "drun-conformance reference server\n"
        f"  base url: {base_url_of(sock)}\n"
        f"  api key: {keys} (x-api-key or Authorization: Bearer)\n"
        f"  beta: {REQUIRED_BETA} (anthropic-beta)\n"
        f"  deployments: {ids}\n"
        "  Ctrl-C stops it",
        flush=True,
    )
    # uvicorn re-raises the signal it stopped on once it is down: both become KeyboardInterrupt.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        uvicorn.Server(uvicorn_config(app, "info")).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
        app.state.store.close()  # commits what is queued, checkpoints the WAL
    print("drun-conformance: reference server stopped", flush=True)
    return 0
