"""A loopback server for the plugin's tests that counts what it is sent: the reference app,
or the reference app with one mutant's fault (tests/mutants.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send

from drun_conformance.server.reference import create_app, serve_in_thread
from tests.mutants import MUTANTS, FaultInjector

# Every run of the server runner sends exactly one run of a made-up unknown deployment.
_UNKNOWN_PROBE = "depl_drun_unknown_"


@dataclass
class Counted:
    app: ASGIApp
    paths: list[str] = field(default_factory=list)  # the raw path of each request, in order

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.paths.append(scope.get("raw_path", scope["path"].encode()).decode("latin-1"))
        await self.app(scope, receive, send)

    @property
    def runs(self) -> int:
        """How many times the suite ran against this server."""
        return sum(_UNKNOWN_PROBE in path for path in self.paths)


@contextmanager
def upstream(mutant: str | None = None) -> Iterator[tuple[str, Counted]]:
    """(base URL, counter) of a reference server on loopback; `mutant` names a fault to tell."""
    app: ASGIApp = create_app()
    if mutant is not None:
        app = FaultInjector(app, next(m for m in MUTANTS if m.name == mutant))
    counted = Counted(app)
    with serve_in_thread(counted) as base_url:
        yield base_url, counted
