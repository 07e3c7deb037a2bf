"""The Schemathesis bridge over the whole family: cases Schemathesis generates from
spec/openapi.yaml for retrieve and list reach the reference server, and the `drun_conformance`
check judges each answer by its operation's door: clean on the reference server, a MUST
finding on a server that leaves `error` out."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from starlette.types import ASGIApp

from drun_conformance.schemathesis import drun_conformance as check
from drun_conformance.server._schemathesis import LIST, RETRIEVE, generated_requests, operation
from drun_conformance.server.reference import DEFAULT_API_KEY, REQUIRED_BETA, create_app, serve_in_thread

from .family_mutants import MUTANTS
from .mutant_kit import FaultInjector, Mutant, on_listing_items

pytestmark = pytest.mark.slow

_CASES = 40
_HEADERS = {"x-api-key": DEFAULT_API_KEY, "anthropic-beta": REQUIRED_BETA}


def _drop_null_error(item: dict[str, Any]) -> None:
    if item.get("error", "") is None:
        del item["error"]


_LEFT_OUT_ON_READ = next(m for m in MUTANTS if m.name == "error-key-left-out-on-success")
_LEFT_OUT_IN_LISTING = Mutant(
    "error-key-left-out-in-listing", "run.error.required", on_listing_items(_drop_null_error)
)


def _exercise(app: ASGIApp, of: tuple[str, str]) -> tuple[Counter[int], list[str]]:
    """Each generated case of operation `of` sent to `app` (credentials and the beta set so
    that answers other than 401 and 400 come back), and judged by the check: the statuses
    seen, and the check's complaints."""
    statuses: Counter[int] = Counter()
    complaints: list[str] = []

    @hypothesis_seed(21)
    @settings(
        max_examples=_CASES,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation(*of).as_strategy())
    def send(case: Any) -> None:
        case.headers = {**(case.headers or {}), **_HEADERS}
        response = case.call(base_url=url)
        statuses[response.status_code] += 1
        try:
            check(None, response, case)
        except AssertionError as failure:
            complaints.append(str(failure))

    with serve_in_thread(app) as url:
        send()
    return statuses, complaints


@pytest.mark.parametrize("of", [RETRIEVE, LIST], ids=["retrieve", "list"])
def test_generated_cases_pass_on_the_reference_server(of: tuple[str, str]) -> None:
    statuses, complaints = _exercise(create_app(any_run=True), of)
    assert complaints == []
    assert statuses[200] >= 5, statuses  # runs read and pages listed, not only refusals


@pytest.mark.parametrize(
    ("of", "mutant"),
    [(RETRIEVE, _LEFT_OUT_ON_READ), (LIST, _LEFT_OUT_IN_LISTING)],
    ids=["retrieve", "list"],
)
def test_a_server_leaving_error_out_fails_the_check(of: tuple[str, str], mutant: Mutant) -> None:
    _, complaints = _exercise(FaultInjector(create_app(any_run=True), mutant), of)
    assert complaints and all("run.error.required" in c for c in complaints), complaints[:3]
    if of == LIST:
        assert any(re.search(r"at /data/[0-9]+/error:", c) for c in complaints), complaints[:3]


@pytest.mark.parametrize("of", [RETRIEVE, LIST], ids=["retrieve", "list"])
def test_the_runner_can_draw_requests_of_each_operation(of: tuple[str, str]) -> None:
    requests = generated_requests(20, seed=3, of=of)
    assert len(requests) == 20 and all(path.startswith("/v1/deployment_runs") for path, _ in requests)
    if of == LIST:
        assert any("?" in path for path, _ in requests)  # the filters travel in the query
