"""Serving an app with uvicorn (the reference server's, the proxy's): in a background thread, or
in the foreground until stopped."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from drun_conformance._errors import TargetUnreachable, UsageError

from ._app import MAX_HEAD, create_app
from ._protocol import BoundedH11Protocol

__all__ = ["base_url_of", "bind_socket", "serve_in_thread", "serve_until_stopped", "uvicorn_config"]

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


def serve_until_stopped(server: uvicorn.Server, sock: socket.socket) -> None:
    """Serve on `sock` in the foreground until Ctrl-C or SIGTERM (`drun-conformance serve` and
    `proxy`), then close it."""
    # uvicorn re-raises the signal it stopped on once it is down: both become KeyboardInterrupt.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
