"""Exchanges as the proxy's forwarder hands them to its judge (`Seen`), made by hand: runs now,
read-backs and listing pages, for testing the judge in-process without a network."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urlencode

from drun_conformance.proxy import Seen
from drun_conformance.server.reference import REQUIRED_BETA

from .conftest import VALID_RUN

KEY = "sk-judge-test-key-0123456789"


def run(number: int, *, deployment: str = "depl_ok") -> dict[str, Any]:
    """A valid run of `deployment`, its id made from `number`."""
    made = copy.deepcopy(VALID_RUN)
    made["id"] = f"drun_{number:026d}"
    made["deployment_id"] = deployment
    return made


def headers(*, user_agent: str = "tests/1.0", key: str = KEY) -> dict[str, str]:
    return {
        "x-api-key": key,
        "anthropic-beta": REQUIRED_BETA,
        "anthropic-version": "2023-06-01",
        "user-agent": user_agent,
        "content-length": "0",
    }


def seen(
    method: str,
    target: str,
    status: int,
    body: Any,
    *,
    request_headers: dict[str, str] | None = None,
    request_body: bytes = b"",
    response_headers: dict[str, str] | None = None,
) -> Seen:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Seen(
        method=method,
        target=target,
        request_headers=request_headers or headers(),
        request_body=request_body,
        request_truncated=False,
        status=status,
        response_headers={
            "content-type": "application/json",
            "request-id": "req_1",
            **(response_headers or {}),
        },
        response_body=raw,
        response_truncated=False,
        elapsed_s=0.001,
    )


def run_now(answer: dict[str, Any], **request: Any) -> Seen:
    return seen("POST", f"/v1/deployments/{answer['deployment_id']}/run", 200, answer, **request)


def read_back(answer: dict[str, Any]) -> Seen:
    return seen("GET", f"/v1/deployment_runs/{answer['id']}", 200, answer)


def page(
    runs: list[dict[str, Any]], *, following: str | None, cursor: str | None = None, **query: str
) -> Seen:
    """A listing page answered with `runs` and `next_page` `following`, asked with `cursor`."""
    params = {**query, **({"page": cursor} if cursor else {})}
    target = "/v1/deployment_runs" + ("?" + urlencode(params) if params else "")
    return seen("GET", target, 200, {"data": runs, "next_page": following})
