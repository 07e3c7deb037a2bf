"""Schemathesis over spec/openapi.yaml: case generation for the runner, and our oracle as a
Schemathesis check for people who run `schemathesis run` themselves (its public home is
`drun_conformance.schemathesis`, the module SCHEMATHESIS_HOOKS names)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import unquote

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

from drun_conformance import spec
from drun_conformance.oracle import Exchange, Oracle, parse_body

__all__ = ["drun_conformance", "generated_requests"]

_OPERATION = ("/v1/deployments/{deployment_id}/run", "POST")


@cache
def _operation() -> Any:
    schema = schemathesis.openapi.from_path(str(spec.OPENAPI_PATH))
    return schema[_OPERATION[0]][_OPERATION[1]]


def generated_requests(count: int, *, seed: int | None = None) -> list[tuple[str, dict[str, str]]]:
    """`count` (path, headers) pairs Schemathesis generates from the operation's schema."""
    cases: list[tuple[str, dict[str, str]]] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        derandomize=seed is None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_operation().as_strategy())
    def collect(case: Any) -> None:
        if len(cases) < count:
            cases.append((case.formatted_path, {k: str(v) for k, v in (case.headers or {}).items()}))

    (hypothesis_seed(seed)(collect) if seed is not None else collect)()
    return cases


@schemathesis.check
def drun_conformance(ctx: Any, response: Any, case: Any) -> bool | None:
    """Fail a Schemathesis case on any MUST finding of the drun-conformance oracle."""
    exchange = Exchange(
        method=case.method.upper(),
        deployment_id=unquote(str((case.path_parameters or {}).get("deployment_id", ""))),
        request_headers={k.lower(): str(v) for k, v in response.request.headers.items()},
        status=response.status_code,
        response_headers={k.lower(): ", ".join(v) for k, v in response.headers.items()},
        body=response.content,
        received_at=datetime.now(UTC),
    )
    evaluation = Oracle.default().judge_run_now(exchange, parse_body(response.content))
    failures = [f for f in evaluation.findings if f.level == "MUST"]
    if failures:
        raise AssertionError(
            "\n".join(f"{f.requirement} at {f.pointer or '/'}: {f.message}" for f in failures)
        )
    return None
