"""The proxy judges what it sees over time, as the server runner does: a run the upstream has
served by its id must go on being served, the same record (runs are append-only)."""

from __future__ import annotations

import io

import httpx
import pytest
from starlette.types import ASGIApp

from drun_conformance.proxy import proxy_in_thread
from drun_conformance.server.reference import DEFAULT_API_KEY, REQUIRED_BETA, create_app, serve_in_thread
from tests.mutant_kit import FaultInjector
from tests.probe_mutants import MUTANTS

pytestmark = pytest.mark.slow

HEADERS = {"x-api-key": DEFAULT_API_KEY, "anthropic-beta": REQUIRED_BETA, "anthropic-version": "2023-06-01"}
LATER = ("run-forgotten-after-read-back", "record-changes-later")


def _failed_through_the_proxy(app: ASGIApp) -> set[str]:
    """A run, then its read-back three times, through a proxy in front of `app`: the server
    requirements the proxy failed."""
    with serve_in_thread(app) as url, proxy_in_thread(url, out=io.StringIO()) as proxy:
        with httpx.Client(base_url=proxy.base_url, headers=HEADERS, timeout=10) as client:
            run_id = client.post("/v1/deployments/depl_ok/run").json()["id"]
            statuses = [client.get(f"/v1/deployment_runs/{run_id}").status_code for _ in range(3)]
        server = next(t for t in proxy.results() if t.kind == "server")
    assert statuses[0] == 200, statuses  # the first read-back is as answered, in every case here
    return {r.id for r in server.requirements if r.status == "failed"}


@pytest.mark.parametrize("name", LATER)
def test_a_run_served_then_lost_or_changed_fails_the_read_back(name: str) -> None:
    mutant = next(m for m in MUTANTS if m.name == name)
    assert _failed_through_the_proxy(FaultInjector(create_app(), mutant)) == {mutant.requirement}


def test_a_run_served_again_and_again_passes() -> None:
    assert _failed_through_the_proxy(create_app()) == set()
