"""Schemathesis over spec/openapi.yaml: case generation for the runner, and our oracle as a
Schemathesis check for people who run `schemathesis run` themselves (its public home is
`drun_conformance.schemathesis`, the module SCHEMATHESIS_HOOKS names). The check judges each of
the family's operations by its own door: Run Deployment Now, retrieve, and list."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import unquote, urlencode

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

from drun_conformance import spec
from drun_conformance.oracle import Exchange, Finding, Oracle, parse_body

__all__ = ["LIST", "OPERATIONS", "RETRIEVE", "RUN_NOW", "drun_conformance", "generated_requests", "operation"]

RUN_NOW = ("/v1/deployments/{deployment_id}/run", "POST")
RETRIEVE = ("/v1/deployment_runs/{deployment_run_id}", "GET")
LIST = ("/v1/deployment_runs", "GET")
OPERATIONS = (RUN_NOW, RETRIEVE, LIST)


@cache
def operation(path: str, method: str) -> Any:
    """One operation of spec/openapi.yaml as Schemathesis loads it (`RUN_NOW`, `RETRIEVE`, `LIST`)."""
    schema = schemathesis.openapi.from_path(str(spec.OPENAPI_PATH))
    return schema[path][method]


def generated_requests(
    count: int, *, seed: int | None = None, of: tuple[str, str] = RUN_NOW
) -> list[tuple[str, dict[str, str]]]:
    """`count` (path, headers) pairs Schemathesis generates from the schema of operation `of`;
    the path carries the query string the case generated (the listing's filters)."""
    cases: list[tuple[str, dict[str, str]]] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        derandomize=seed is None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation(*of).as_strategy())
    def collect(case: Any) -> None:
        if len(cases) < count:
            query = f"?{urlencode(case.query, doseq=True)}" if case.query else ""
            cases.append((case.formatted_path + query, {k: str(v) for k, v in (case.headers or {}).items()}))

    (hypothesis_seed(seed)(collect) if seed is not None else collect)()
    return cases


@schemathesis.check
def drun_conformance(ctx: Any, response: Any, case: Any) -> bool | None:
    """Fail a Schemathesis case on any MUST finding of the drun-conformance oracle: an answer to
    Run Deployment Now as `judge_run_now` judges it, a run retrieved as `judge_read_back` does
    (the run first answered unknown), a listing page and each run it lists as
    `judge_listing_page` does."""
    exchange = Exchange(
        method=case.method.upper(),
        deployment_id=unquote(str((case.path_parameters or {}).get("deployment_id", ""))),
        request_headers={k.lower(): str(v) for k, v in response.request.headers.items()},
        status=response.status_code,
        response_headers={k.lower(): ", ".join(v) for k, v in response.headers.items()},
        body=response.content,
        received_at=datetime.now(UTC),
    )
    findings = _findings(exchange, parse_body(response.content), str(getattr(case, "path", RUN_NOW[0])))
    failures = [f for f in findings if f.level == "MUST"]
    if failures:
        raise AssertionError(
            "\n".join(f"{f.requirement} at {f.pointer or '/'}: {f.message}" for f in failures)
        )
    return None


def _findings(exchange: Exchange, body: Any, path: str) -> list[Finding]:
    """What the oracle found in one answer, by the door of the operation at `path`."""
    oracle = Oracle.default()
    if path == RETRIEVE[0]:
        return list(oracle.judge_read_back(exchange, body, original=None).findings)
    if path == LIST[0]:
        judged = oracle.judge_listing_page(exchange, body)
        listed = [f for index, (_, run) in enumerate(judged.runs) for f in _in_item(run.findings, index)]
        return [*judged.page.findings, *listed]
    return list(oracle.judge_run_now(exchange, body).findings)


def _in_item(findings: Iterable[Finding], index: int) -> list[Finding]:
    """A listed run's findings, their pointers into the page (`/data/{index}...`)."""
    return [replace(f, pointer=f"/data/{index}{f.pointer}") for f in findings]
