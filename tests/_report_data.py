"""RunResults built by hand for the report tests: four targets, every status, planted secrets.

The ids come from the shipped catalog where one exists (server and EDGE requirements); the
client-request ones are written out here, as the SDK gate will report them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from drun_conformance import spec
from drun_conformance.results import (
    Counterexample,
    RequirementResult,
    RunResults,
    TargetResult,
    target_gate,
    target_verdict,
)
from drun_conformance.spec import Requirement, Side

SECRET = "sk-ant-api03-PLANTED-0123456789abcdefghij"
BASE_URL = "https://staging.example.test"
ERROR_TYPES_OBSERVED = ["agent_archived_error", "environment_archived_error", "vault_not_found_error"]


def _entries(side: Side) -> tuple[Requirement, ...]:
    return spec.load_catalog().on(side)


def _req(entry: Requirement, status: str, **extra: Any) -> RequirementResult:
    cases = extra.pop("cases", 0 if status in ("skipped", "errored") else 12)
    return RequirementResult(
        id=entry.id,
        level=entry.level,
        side=entry.side,
        area=entry.area,
        title=entry.title,
        source=entry.source.to_json(),
        status=status,  # type: ignore[arg-type]
        cases=cases,
        **extra,
    )


def _server_target(
    tid: str, identity: dict[str, Any], statuses: dict[str, tuple[str, dict[str, Any]]]
) -> TargetResult:
    requirements = []
    for entry in _entries("server"):
        status, extra = statuses.get(entry.id, ("passed", {}))
        requirements.append(_req(entry, status, **extra))
    return TargetResult(
        id=tid,
        kind="server",
        identity=identity,
        verdict=target_verdict(requirements, strict=False),
        requirements=requirements,
        requests=10,
        coverage={
            "error_types": dict.fromkeys(ERROR_TYPES_OBSERVED, "observed"),
            "triggers": {"manual": "observed"},
        },
    )


def live_server() -> TargetResult:
    request = {
        "method": "POST",
        "url": f"{BASE_URL}/v1/deployments/depl_011CZ/run",
        "headers": {
            "x-api-key": SECRET,
            "Authorization": f"Bearer {SECRET}",
            "anthropic-version": "2023-06-01",
            "anthropic-beta": "managed-agents-2026-04-01",
        },
        "body": None,
    }
    both = {
        "id": "drun_01HZX3K4M5N6P7Q8R9S0T1U2V3",
        "agent": {"id": "agent_011", "type": "agent", "version": 3},
        "created_at": "2026-11-27T18:11:19.117456Z",
        "deployment_id": "depl_011CZ",
        "error": {"type": "agent_archived_error", "message": "archived"},
        "session_id": "sesn_011",
        "trigger_context": {"type": "manual"},
        "type": "deployment_run",
    }
    outcome = Counterexample(
        summary="run.outcome.exactly-one: session_id and error both non-null",
        pointer="",
        expected='"session_id": "sesn_011",\n"error": null',
        observed='"session_id": "sesn_011",\n"error": {"type": "agent_archived_error", "message": "..."}',
        payload=both,
        request=request,
        response={"status": 200, "headers": {"content-type": "application/json"}, "body": both},
        curl=f"curl -X POST {BASE_URL}/v1/deployments/depl_011CZ/run -H 'x-api-key: {SECRET}'",
    )
    unknown = Counterexample(
        summary="http.unknown-deployment.404: answered 500",
        expected="404 not_found_error",
        observed="500 api_error",
        request={**request, "url": f"{BASE_URL}/v1/deployments/depl_unknown%2F%3F/run"},
        response={"status": 500, "headers": {"content-type": "text/html"}, "body": "<h1>Internal error</h1>"},
        payload_text="<h1>Internal error</h1><script>alert(1)</script>",
    )
    return _server_target(
        f"server:{BASE_URL}",
        {"url": BASE_URL},
        {
            "run.outcome.exactly-one": (
                "failed",
                {"failures": 3, "message": "session_id and error both set", "counterexample": outcome},
            ),
            "http.unknown-deployment.404": (
                "failed",
                {"failures": 1, "message": "answered 500", "counterexample": unknown},
            ),
            "http.no-server-error": ("failed", {"failures": 1, "message": "a 5xx for a well-formed request"}),
            "run.id.unique": ("skipped", {"reason": "budget spent: --max-requests 10"}),
            "http.auth.no-run": ("errored", {"reason": "read-back failed: connection reset"}),
        },
    )


def embedded_server() -> TargetResult:
    return _server_target(
        "server:embedded",
        {"url": "http://127.0.0.1:40321", "embedded": True},
        {"run.created_at.within-skew": ("skipped", {"reason": "the target sends no date header"})},
    )


def _client_target(name: str, version: str, language: str, edge_status: dict[str, str]) -> TargetResult:
    requirements = [
        RequirementResult(
            id="client.request.managed-beta",
            level="MUST",
            side="client-request",
            area="request",
            title="anthropic-beta carries managed-agents-2026-04-01.",
            source={"page": "spec/source/run-deployment-now.md", "line": 31},
            status="passed",
            cases=40,
        ),
        RequirementResult(
            id="client.parse.version-exact",
            level="MUST",
            side="client-parse",
            area="parse",
            title="agent.version is read back exactly over the int64 range.",
            source={"page": "spec/source/run-deployment-now.md", "line": 95},
            status="failed" if language == "typescript" else "passed",
            cases=40,
            failures=2 if language == "typescript" else 0,
            message="9007199254740993 read as 9007199254740992" if language == "typescript" else None,
            counterexample=Counterexample(
                summary="version past 2^53",
                pointer="/agent/version",
                expected="9007199254740993",
                observed="9007199254740992",
                payload={"agent": {"id": "agent_1", "type": "agent", "version": 9007199254740993}},
                answer={
                    "seq": 7,
                    "outcome": "ok",
                    "run": {"agent": {"version": 9007199254740992}},
                    "note": f"key used: {SECRET}",
                },
            )
            if language == "typescript"
            else None,
        ),
    ]
    for entry in _entries("client-request") + _entries("client-parse"):
        status = edge_status.get(entry.id, "passed")
        reason = "the SDK cannot express this case" if status == "skipped" else None
        requirements.append(_req(entry, status, reason=reason))
    return TargetResult(
        id=f"sdk:{language}",
        kind="client",
        identity={"name": name, "version": version, "language": language},
        verdict=target_verdict(requirements, strict=False),
        requirements=requirements,
        requests=40,
        coverage={
            "error_types": dict.fromkeys(spec.load_catalog().conventions.error_types.values(), "synthesised"),
            "triggers": {"manual": "synthesised", "schedule": "synthesised"},
        },
    )


def four_targets(*, partial: bool = False) -> RunResults:
    """Two servers and two SDKs: failures, skips, an error, EDGE cells, secrets to redact."""
    targets = [
        embedded_server(),
        live_server(),
        _client_target("anthropic", "2.10.0", "python", {"edge.timestamp.leap-second": "failed"}),
        _client_target("@anthropic-ai/sdk", "1.10.0", "typescript", {"edge.string.long": "skipped"}),
    ]
    return RunResults(
        tool={"name": "drun-conformance", "version": "0.1.0"},
        command=["drun-conformance", "server", "--base-url", BASE_URL, "--api-key", SECRET, "--seed", "42"],
        started_at=datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC),
        duration_s=83.4,
        seed=42,
        spec={"sha256": spec.load_catalog().page_sha256},
        partial=partial,
        verdict="incomplete" if partial else "non-conformant",
        targets=targets,
    )


def judged(target: TargetResult) -> TargetResult:
    """`target` with its verdict and gate worked out again, by the suite's own functions, from
    requirements a test has changed."""
    target.verdict = target_verdict(target.requirements, strict=False)
    target.gate = target_gate(target.requirements, strict=False)
    return target


def one_target(target: TargetResult, *, verdict: str | None = None) -> RunResults:
    return RunResults(
        tool={"name": "drun-conformance", "version": "0.1.0"},
        command=["drun-conformance", "run"],
        started_at=datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC),
        duration_s=1.5,
        seed=7,
        spec={"sha256": spec.load_catalog().page_sha256},
        verdict=verdict or target.verdict,  # type: ignore[arg-type]
        targets=[target],
    )
