"""The oracle as an assertion for users' own tests: `assert_conforms(response)`.

response = httpx.post(f"{base_url}/v1/deployments/depl_ok/run", headers=...)
run = assert_conforms(response)          # AssertionError listing each violation
assert run.session_id is not None        # a DeploymentRun model
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from .contract import DeploymentRun
from .oracle import UNPARSED, Exchange, Finding, Oracle, parse_body

__all__ = ["assert_conforms"]

_RUN_PATH_PREFIX, _RUN_PATH_SUFFIX = "/v1/deployments/", "/run"


class _Response(Protocol):
    """What httpx.Response and requests.Response share and the oracle needs."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Any: ...

    @property
    def content(self) -> bytes: ...


def assert_conforms(
    response_or_body: Any, *, deployment_id: str | None = None, strict: bool = False
) -> DeploymentRun | None:
    """Check one answer of Run Deployment Now (or a run read back by id) against the contract.

    `response_or_body` is an httpx or requests response (judged with its request: status,
    headers, body; a GET as a run read back), raw bytes or str (the body as received), or an
    already parsed body (judged as a DeploymentRun payload; checks that need the HTTP exchange
    do not apply). `deployment_id` is the deployment that was run: a run-now answer must echo
    it (for a response it defaults to the id in the request's path).

    Raises AssertionError listing every violated requirement, one a line, with its level,
    JSON Pointer and message: MUST ones, and SHOULD ones too with `strict=True`. Otherwise
    returns the run as a DeploymentRun model, or None for an error answer (4xx/5xx) that
    conforms.
    """
    oracle = Oracle.default()
    exchange = _exchange(response_or_body, deployment_id) if _is_response(response_or_body) else None
    if exchange is not None:
        body = parse_body(exchange.body)
        if exchange.method.upper() == "POST":
            evaluation = oracle.judge_run_now(exchange, body)
        else:
            evaluation = oracle.judge_read_back(exchange, body, original=None)
    else:
        raw = None
        if isinstance(response_or_body, bytes | bytearray | memoryview | str):
            raw = response_or_body.encode() if isinstance(response_or_body, str) else bytes(response_or_body)
        body = parse_body(raw) if raw is not None else response_or_body
        evaluation = oracle.judge_recorded(body, body=raw, deployment_id=deployment_id)
    gating = ("MUST", "SHOULD") if strict else ("MUST",)
    failed = [f for f in evaluation.violations if f.level in gating]
    if failed:
        raise AssertionError(_describe(failed))
    if exchange is not None and not 200 <= exchange.status < 300:
        return None
    if body is UNPARSED or not isinstance(body, dict):  # the oracle reports this; kept for types
        raise AssertionError("the body is no DeploymentRun object")
    return DeploymentRun.model_validate(body)


def _is_response(value: Any) -> bool:
    return all(hasattr(value, name) for name in ("status_code", "headers", "content"))


def _exchange(response: _Response, deployment_id: str | None) -> Exchange:
    request = _request_of(response)
    path = urlsplit(str(request.url)).path
    if deployment_id is None and path.startswith(_RUN_PATH_PREFIX) and path.endswith(_RUN_PATH_SUFFIX):
        deployment_id = unquote(path[len(_RUN_PATH_PREFIX) : -len(_RUN_PATH_SUFFIX)])
    return Exchange(
        method=str(request.method),
        deployment_id=deployment_id or "",
        request_headers={str(k).lower(): str(v) for k, v in request.headers.items()},
        status=response.status_code,
        response_headers={str(k).lower(): str(v) for k, v in response.headers.items()},
        body=response.content,
        received_at=datetime.now(UTC),
    )


def _request_of(response: _Response) -> Any:
    try:
        request = response.request  # type: ignore[attr-defined]
    except (AttributeError, RuntimeError):  # httpx raises RuntimeError for a hand-made response
        request = None
    if request is None or not hasattr(request, "url"):
        raise TypeError(
            "assert_conforms needs the request a response answers (a client's response has it); "
            "for a hand-made response pass its body: assert_conforms(response.content)"
        )
    return request


def _describe(findings: list[Finding]) -> str:
    lines = [f"{len(findings)} requirement(s) of Run Deployment Now violated:"]
    for finding in findings:
        pointer = json.dumps(finding.pointer)
        lines.append(f"  {finding.level} {finding.requirement} at pointer {pointer}: {finding.message}")
    return "\n".join(lines)
