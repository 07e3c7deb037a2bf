"""Shared by the reference server's tests: requests in-process and their check by the oracle."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from drun_conformance.oracle import Evaluation, Exchange, Oracle
from drun_conformance.server.reference import DEFAULT_API_KEY, REQUIRED_BETA, Scenario, parse_scenario

HEADERS = {"x-api-key": DEFAULT_API_KEY, "anthropic-beta": REQUIRED_BETA}


def asgi_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reference")


def exchange_of(
    response: httpx.Response, deployment_id: str, known: bool | None, *, key_wrong: bool = False
) -> Exchange:
    return Exchange(
        method=response.request.method,
        deployment_id=deployment_id,
        request_headers={k.lower(): v for k, v in response.request.headers.items()},
        status=response.status_code,
        response_headers={k.lower(): v for k, v in response.headers.items()},
        body=response.content,
        received_at=datetime.now(UTC),
        deployment_known=known,
        key_wrong=key_wrong,
    )


def assert_clean(
    response: httpx.Response,
    deployment_id: str,
    *,
    known: bool | None = True,
    seen: set[str] | None = None,
    key_wrong: bool = False,
) -> Evaluation:
    """The oracle, every check on (coverage), finds no MUST or SHOULD fault in the exchange."""
    body = json.loads(response.content)
    exchange = exchange_of(response, deployment_id, known, key_wrong=key_wrong)
    evaluation = Oracle.default().judge_run_now(exchange, body, seen_run_ids=seen or ())
    assert evaluation.violations == [], [f.to_json() for f in evaluation.violations]
    return evaluation


def assert_envelope(response: httpx.Response, status: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == error_type
    assert body["error"]["message"]
    assert body["request_id"] == response.headers["request-id"]
    return body


class FakeClock:
    """A clock the test moves by hand; starts at a fixed instant with microseconds."""

    def __init__(self, start: datetime = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def small_scenario(**deployment: Any) -> Scenario:
    """One healthy agent and cloud environment, and one deployment `depl` with `deployment`'s fields."""
    return parse_scenario(
        {
            "agents": [{"id": "agent_a", "version": 4}],
            "environments": [{"id": "env_a"}],
            "deployments": [{"id": "depl", "agent": {"id": "agent_a"}, "environment": "env_a", **deployment}],
        }
    )
