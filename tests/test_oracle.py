"""The oracle: one check per requirement, exact RFC 3339, and the HTTP conventions."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from drun_conformance import spec
from drun_conformance.oracle import UNPARSED, Exchange, Oracle, Registry, parse_rfc3339
from drun_conformance.oracle._answers import READ_BACK, RUN_NOW
from drun_conformance.oracle._http import HTTP
from drun_conformance.oracle._labels import LABELS
from drun_conformance.oracle._rules import BODY, RECORD
from drun_conformance.recorded import PreFilter
from drun_conformance.spec import Catalog

from .conftest import FIXTURES, prefiltered

ORACLE = Oracle.default()
PREFILTER = PreFilter.default()
DATE_TIMES = json.loads((FIXTURES / "date_time_cases.json").read_text())["cases"]


def _ids(findings: list[Any], level: str | None = None) -> set[str]:
    return {f.requirement for f in findings if level is None or f.level == level}


def test_every_requirement_has_exactly_one_check_and_every_check_a_requirement() -> None:
    catalog_ids = [r.id for r in spec.load_catalog()]
    assert len(catalog_ids) == len(set(catalog_ids))
    assert sorted(c.requirement for c in ORACLE.checks) == sorted(catalog_ids)


def test_the_registry_refuses_a_second_check_for_one_requirement() -> None:
    registry = Registry[Any]()
    registry.register("run.x")(lambda case: [])
    with pytest.raises(ValueError, match="two checks"):
        registry.register("run.x")(lambda case: [])


def test_an_oracle_refuses_a_catalog_without_a_check() -> None:
    catalog = copy.deepcopy(spec.load_requirements())
    catalog["requirements"].append({**catalog["requirements"][-1], "id": "run.unchecked"})
    with pytest.raises(Exception, match=r"no check for \['run.unchecked'\]"):
        Oracle(Catalog.from_json(catalog))


def test_rule_checks_are_named_after_what_they_check() -> None:
    for registry in (BODY, RECORD, RUN_NOW, READ_BACK, HTTP):
        assert all(check.name.startswith("check_") for check in registry), registry
    assert all(check.name.startswith("label_") for check in LABELS)


@pytest.mark.parametrize("case", DATE_TIMES, ids=lambda c: c["description"])
def test_rfc3339_agrees_with_the_json_schema_test_suite(case: dict[str, Any]) -> None:
    assert (parse_rfc3339(case["data"]) is not None) is case["valid"]


@pytest.mark.parametrize("case", DATE_TIMES, ids=lambda c: c["description"])
def test_the_fast_path_validator_agrees_on_date_times(case: dict[str, Any]) -> None:
    """The schema verdict (jsonschema-rs) licenses the fast path: it must be exact too."""
    validator = jsonschema_rs.validator_for({"format": "date-time"}, validate_formats=True)
    assert validator.is_valid(case["data"]) is case["valid"]


@pytest.mark.parametrize(
    ("text", "edges"),
    [
        ("1998-12-31T23:59:60Z", {"leap_second"}),
        ("1998-12-31T15:59:60.123-08:00", {"leap_second"}),
        ("2026-11-27t18:11:19.1234567z", {"lowercase", "sub_microsecond"}),
        ("2026-11-27T18:11:19-00:00", {"unknown_offset"}),
        ("0000-02-29T00:00:00Z", set()),
        ("9999-12-31T23:59:59.999999999999999-23:59", {"sub_microsecond"}),
    ],
)
def test_rfc3339_edge_classes(text: str, edges: set[str]) -> None:
    stamp = parse_rfc3339(text)
    assert stamp is not None
    flags = {"leap_second", "lowercase", "unknown_offset", "sub_microsecond"}
    assert {flag for flag in flags if getattr(stamp, flag)} == edges


def test_instants_compare_past_the_microsecond_and_through_leap_seconds() -> None:
    def instant(text: str) -> Any:
        stamp = parse_rfc3339(text)
        assert stamp is not None
        return stamp.instant

    assert instant("2026-01-01T00:00:00.1234561Z") > instant("2026-01-01T00:00:00.123456Z")
    assert instant("2026-01-01T00:00:00.10Z") == instant("2026-01-01T00:00:00.1Z")
    assert instant("2026-01-01T01:00:00+01:00") == instant("2026-01-01T00:00:00Z")
    assert instant("1998-12-31T23:59:60Z") > instant("1998-12-31T23:59:59.999999999Z")


def test_labels_edges_without_calling_them_violations(valid_run: dict[str, Any]) -> None:
    valid_run["created_at"] = "1998-12-31t23:59:60.1234567z"
    valid_run["deployment_id"] = "depl_é" + "x" * 1001
    evaluation = prefiltered(valid_run)
    assert evaluation.conforms and not evaluation.violations
    assert _ids(evaluation.edges) == {
        "edge.timestamp.leap-second",
        "edge.timestamp.lowercase",
        "edge.timestamp.sub-microsecond",
        "edge.string.long",
        "edge.string.non-ascii",
    }


def test_unknown_future_variants_are_must_for_servers_and_labelled_edge(valid_run: dict[str, Any]) -> None:
    valid_run["session_id"] = None
    valid_run["error"] = {"type": "quota_exhausted_error", "message": "m"}
    evaluation = prefiltered(valid_run)
    assert _ids(evaluation.findings, "MUST") == {"run.error.type.known-variant"}
    assert _ids(evaluation.edges) == {"edge.variant.unknown-error-type"}


def test_the_fast_path_and_the_full_run_agree_on_the_corpus() -> None:
    for line in (FIXTURES / "labelled_payloads.jsonl").read_text(encoding="utf-8").split("\n"):
        if not line or "raw" in json.loads(line):
            continue
        payload = json.loads(line)["payload"]
        full = ORACLE.judge_recorded(payload)
        fast = prefiltered(payload)
        assert PREFILTER.accepts(payload) == full.conforms, line[:80]
        assert fast.findings == full.findings, line[:80]


def test_offline_evaluation_skips_exchange_checks_with_a_reason(valid_run: dict[str, Any]) -> None:
    evaluation = prefiltered(valid_run)
    assert "run.deployment_id.echo" in evaluation.skipped
    assert "http.request-id" in evaluation.skipped
    assert "run.deployment_id.echo" not in evaluation.exercised


# --- the exchange checks --------------------------------------------------------------------

NOW = datetime(2026, 11, 27, 18, 11, 20, tzinfo=UTC)
GOOD_HEADERS = {"x-api-key": "k", "anthropic-beta": "managed-agents-2026-04-01"}


def _exchange(status: int = 200, body: Any = None, raw: bytes | None = None, **overrides: Any) -> Exchange:
    fields: dict[str, Any] = {
        "method": "POST",
        "deployment_id": "depl_011CZkYqphY8vELVzwCUpqiQ",
        "request_headers": dict(GOOD_HEADERS),
        "status": status,
        "response_headers": {"content-type": "application/json", "request-id": "req_1"},
        "body": json.dumps(body).encode() if raw is None else raw,
        "received_at": NOW,
        "deployment_known": True,
    }
    fields.update(overrides)
    return Exchange(**fields)


def _envelope(error_type: str, message: str = "m") -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}, "request_id": "req_1"}


def _http_findings(exchange: Exchange, body: Any, **kwargs: Any) -> set[str]:
    return _ids(ORACLE.judge_run_now(exchange, body, **kwargs).violations)


def test_a_clean_exchange_has_no_finding(valid_run: dict[str, Any]) -> None:
    assert _http_findings(_exchange(body=valid_run), valid_run) == set()


@pytest.mark.parametrize(
    ("status", "body", "overrides", "expected"),
    [
        (
            200,
            "run",
            {"response_headers": {"content-type": "text/plain", "request-id": "r"}},
            {"http.success.content-type"},
        ),
        (200, "run", {"response_headers": {"content-type": "application/json"}}, {"http.request-id"}),
        (200, "run", {"deployment_id": "depl_other"}, {"run.deployment_id.echo"}),
        (
            404,
            "<html>nope</html>",
            {"deployment_known": False},
            {"http.error.envelope", "http.unknown-deployment.404"},
        ),
        (500, _envelope("api_error"), {}, {"http.no-server-error"}),
        (529, _envelope("overloaded_error"), {}, set()),
        (
            200,
            "run",
            {"deployment_known": False},
            {"http.unknown-deployment.no-run", "http.unknown-deployment.404"},
        ),
        (
            400,
            _envelope("invalid_request_error"),
            {"deployment_known": False},
            {"http.unknown-deployment.404"},
        ),
        (
            200,
            "run",
            {"request_headers": {"anthropic-beta": "managed-agents-2026-04-01"}},
            {"http.auth.no-run", "http.auth.401"},
        ),
        (403, _envelope("permission_error"), {"request_headers": {}}, {"http.auth.401"}),
        (
            401,
            _envelope("authentication_error"),
            {"request_headers": {"authorization": "Bearer k"}},
            {"http.beta.400"},
        ),
        (
            400,
            _envelope("invalid_request_error", ""),
            {"request_headers": {"x-api-key": "k"}},
            {"http.error.message.non-empty"},
        ),
    ],
)
def test_http_conventions(
    status: int, body: Any, overrides: dict[str, Any], expected: set[str], valid_run: dict[str, Any]
) -> None:
    if body == "run":
        body = valid_run
    if isinstance(body, str):  # not JSON at all
        exchange, body = _exchange(status, raw=body.encode(), **overrides), UNPARSED
    else:
        exchange = _exchange(status, body, **overrides)
    assert _http_findings(exchange, body) == expected


def test_repeated_run_ids_and_clock_skew_are_caught(valid_run: dict[str, Any]) -> None:
    exchange = _exchange(body=valid_run)
    assert _http_findings(exchange, valid_run, seen_run_ids={valid_run["id"]}) == {"run.id.unique"}
    late = _exchange(body=valid_run, received_at=NOW + timedelta(hours=1))
    assert _http_findings(late, valid_run) == {"run.created_at.within-skew"}
    assert _http_findings(late, valid_run, skew=timedelta(hours=2)) == set()


def test_payload_checks_do_not_judge_error_bodies() -> None:
    body = _envelope("not_found_error")
    exchange = _exchange(404, body, deployment_known=False)
    assert _http_findings(exchange, body) == set()


def test_findings_carry_the_catalogs_level(valid_run: dict[str, Any]) -> None:
    valid_run["id"] = "run_1"
    valid_run["session_id"] = ""
    findings = prefiltered(valid_run).violations
    assert {(f.requirement, f.level) for f in findings} == {
        ("run.id.prefix", "SHOULD"),
        ("run.session_id.non-empty", "SHOULD"),
    }
    assert all("Received:" in f.message and "Expected:" in f.message for f in findings)


def test_the_shipped_spec_loads_from_an_installed_package() -> None:
    assert Path(spec.SCHEMA_PATH).is_file() and Path(spec.REQUIREMENTS_PATH).is_file()


def test_the_plain_filter_covers_every_payload_requirement() -> None:
    """A payload requirement the filter does not stand in for would be skipped unseen."""
    from drun_conformance.recorded._prefilter import covered

    # The checks of a recorded body that need nothing but the body (payload.json: it is JSON).
    payload_ids = {
        c.requirement for registry in (RECORD, LABELS, RUN_NOW) for c in registry if c.needs is None
    }
    in_schema = {r.id for r in spec.load_catalog() if r.in_schema}
    assert payload_ids - in_schema <= covered()


def test_a_plain_body_gets_no_finding_from_the_full_run() -> None:
    plain = 0
    for line in (FIXTURES / "labelled_payloads.jsonl").read_text(encoding="utf-8").split("\n"):
        if not line or "raw" in json.loads(line):
            continue
        payload = json.loads(line)["payload"]
        if PREFILTER.is_plain(payload):
            plain += 1
            assert ORACLE.judge_recorded(payload).findings == [], line[:80]
    assert plain >= 20  # the corpus exercises the filter's accepting side too


def _faulty(valid: dict[str, Any], *faults: tuple[tuple[str, ...], Any]) -> dict[str, Any]:
    run = copy.deepcopy(valid)
    for path, value in faults:
        node = run
        for key in path[:-1]:
            node = node[key]
        if value is _DROP:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return run


_DROP = object()
# Faults in several parts of one body (the body's own shape, agent, error, trigger_context):
# the part shortcuts skip a part's checks only where its own schema accepts it.
MULTI_FAULTS = {
    "agent and root": ((("agent", "version"), "7"), (("id",), _DROP)),
    "agent, trigger and root": (
        (("agent", "type"), "robot"),
        (("trigger_context",), {"type": "schedule", "scheduled_at": "2026-13-01T00:00:00Z"}),
        (("created_at",), "yesterday"),
    ),
    "error and session": ((("error",), {"type": 7}), (("session_id",), None)),
    "inexact int64 and a bad literal": ((("agent", "version"), 2.0**60), (("type",), "run")),
    "the root alone": ((("deployment_id",), 5),),
    "a whole part of the wrong type": ((("trigger_context",), []), (("agent",), "agent_1")),
}


@pytest.mark.parametrize("name", MULTI_FAULTS)
def test_the_part_shortcuts_hide_no_finding(valid_run: dict[str, Any], name: str) -> None:
    body = _faulty(valid_run, *MULTI_FAULTS[name])
    full = ORACLE.judge_recorded(body)
    assert len(_ids(full.findings, "MUST")) >= len(MULTI_FAULTS[name])  # each fault is seen
    assert prefiltered(body).findings == full.findings
