"""What the plugin's fixtures give a user's tests: the embedded reference server on loopback.

    def test_my_client_runs_a_deployment(drun_reference_server):
        server = drun_reference_server
        client = MyClient(base_url=server.base_url, api_key=server.api_key)
        assert_conforms(client.run(server.healthy_deployment_id))

        with server.use_scenario({"api_keys": ["k"], ...}):   # a state of your own
            ...

Imports only the standard library at load time; the server and its scenario when started.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from drun_conformance.server.reference import ExpectedRun, Scenario

__all__ = ["ReferenceServer", "serve_reference"]


class _Switch:
    """An ASGI app that forwards to the current reference app, so a scenario can be swapped
    while the server keeps its port."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class ReferenceServer:
    """The embedded reference server for the test session (the `drun_reference_server` fixture).

    `base_url`, `api_key` (the current scenario's first key) and `headers` (the key and the
    beta the operation needs) are what a client needs; `expected` lists each deployment with
    the error type its first run answers (None: a session); `use_scenario` serves another
    state for the length of a `with` block, and `reset` forgets every run.
    """

    def __init__(self, base_url: str, switch: _Switch, scenario: Scenario) -> None:
        self.base_url = base_url
        self._switch = switch
        self.scenario = scenario

    @property
    def api_key(self) -> str:
        return self.scenario.api_keys[0]

    @property
    def headers(self) -> dict[str, str]:
        from drun_conformance.server.reference import REQUIRED_BETA

        return {"x-api-key": self.api_key, "anthropic-beta": REQUIRED_BETA}

    @property
    def expected(self) -> tuple[ExpectedRun, ...]:
        from drun_conformance.server.reference import expected_outcomes

        return expected_outcomes(self.scenario)

    @property
    def deployment_ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.scenario.deployments)

    @property
    def healthy_deployment_id(self) -> str:
        """A deployment whose run creates a session (the first one, in scenario order)."""
        for expected in self.expected:
            if expected.error_type is None:
                return expected.deployment_id
        raise LookupError("no deployment of the current scenario creates a session")

    def reset(self) -> None:
        """Serve the current scenario afresh: runs answered so far are forgotten."""
        from drun_conformance.server.reference import create_app

        self._switch.app = create_app(self.scenario)

    @contextmanager
    def use_scenario(self, scenario: Scenario | Mapping[str, Any] | str | Path) -> Iterator[ReferenceServer]:
        """Serve `scenario` (a Scenario, its YAML/JSON as a mapping, or a file) inside the block,
        then the previous state again, runs included."""
        from drun_conformance.server.reference import Scenario, load_scenario, parse_scenario

        if isinstance(scenario, str | Path):
            scenario = load_scenario(scenario)
        elif not isinstance(scenario, Scenario):
            scenario = parse_scenario(dict(scenario))
        previous_app, previous_scenario = self._switch.app, self.scenario
        self.scenario = scenario
        self.reset()
        try:
            yield self
        finally:
            self._switch.app, self.scenario = previous_app, previous_scenario


@contextmanager
def serve_reference() -> Iterator[ReferenceServer]:
    """The reference server over its shipped scenario, on a free loopback port, until exit."""
    from drun_conformance.server.reference import create_app, default_scenario, serve_in_thread

    scenario = default_scenario()
    switch = _Switch(create_app(scenario))
    with serve_in_thread(switch) as base_url:
        yield ReferenceServer(base_url, switch, scenario)
