"""The oracle at the edges: instants at the ends of the calendar, JSON's one encoding, and
one rule for integral floats in every path."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drun_conformance.oracle import Exchange, Oracle, differences, parse_body, parse_rfc3339
from drun_conformance.recorded import PreFilter, payload_conforms

from .conftest import VALID_RUN

ORACLE = Oracle.default()
TIMESTAMPS = (("created_at",),)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _instant(text: str) -> Any:
    stamp = parse_rfc3339(text)
    assert stamp is not None, text
    return stamp.instant


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59-01:00"),  # past datetime.max
        ("0001-01-01T00:30:00+01:00", "0001-01-01T00:00:00Z"),  # before datetime.min
        ("0000-01-01T00:00:00Z", "0000-01-01T00:00:01Z"),  # year 0000, outside datetime
        ("0000-12-31T23:59:59Z", "0001-01-01T00:00:00Z"),
        ("0000-02-29T00:00:00+23:59", "0000-02-29T00:00:00Z"),
        ("9999-12-31T23:59:59.9999999999Z", "9999-12-31T00:01:00-23:59"),
        ("2026-01-01T00:00:00.0000001Z", "2026-01-01T00:00:00.0000002Z"),  # past the microsecond
        ("1998-12-31T23:59:59.999999999Z", "1998-12-31T23:59:60Z"),
        ("1998-12-31T23:59:60.5Z", "1999-01-01T00:00:00Z"),
    ],
)
def test_instants_are_exact_at_every_instant_rfc3339_can_write(earlier: str, later: str) -> None:
    assert _instant(earlier) < _instant(later)
    assert list(differences({"created_at": earlier}, {"created_at": later}, timestamps=TIMESTAMPS)) == [
        "/created_at"
    ]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("9999-12-31T23:59:59-01:00", "9999-12-31T22:59:59-02:00"),  # in year 10000 UTC
        ("0001-01-01T00:30:00+01:00", "0000-12-31T23:30:00Z"),
        ("1998-12-31T15:59:60.120-08:00", "1998-12-31T23:59:60.12Z"),
        ("2026-11-27T18:11:19.1234567+00:00", "2026-11-27t18:11:19.12345670z"),
        ("2026-11-27T18:11:19Z", "2026-11-27T18:11:19-00:00"),
    ],
)
def test_one_instant_written_two_ways_is_one_instant(one: str, other: str) -> None:
    assert _instant(one) == _instant(other)
    assert not list(differences({"created_at": one}, {"created_at": other}, timestamps=TIMESTAMPS))


@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)),
    st.integers(-1439, 1439),
)
def test_the_integer_key_agrees_with_datetime_where_datetime_holds(moment: datetime, offset: int) -> None:
    local = moment + timedelta(minutes=offset)
    sign = "+" if offset >= 0 else "-"
    text = (
        f"{local.year:04}-{local.month:02}-{local.day:02}T{local.hour:02}:{local.minute:02}:"
        f"{local.second:02}.{local.microsecond:06}{sign}{abs(offset) // 60:02}:{abs(offset) % 60:02}"
    )
    stamp = parse_rfc3339(text)
    assert stamp is not None
    since_epoch = moment - datetime(1970, 1, 1, tzinfo=UTC)
    assert stamp.microseconds == since_epoch // timedelta(microseconds=1)
    assert stamp.utc == moment


def test_clock_skew_is_judged_exactly_at_the_end_of_the_calendar(valid_run: dict[str, Any]) -> None:
    valid_run["created_at"] = "9999-12-31T23:59:59-01:00"  # an hour past datetime.max
    received = datetime.max.replace(tzinfo=UTC)
    exchange = Exchange("POST", valid_run["deployment_id"], {}, 200, {}, b"", received_at=received)
    late = ORACLE.judge_run_now(exchange, valid_run).findings
    assert "run.created_at.within-skew" in {f.requirement for f in late}
    found = ORACLE.judge_run_now(exchange, valid_run, skew=timedelta(hours=1, seconds=1)).findings
    assert "run.created_at.within-skew" not in {f.requirement for f in found}


# --- JSON is UTF-8 without a byte order mark (RFC 8259 section 8.1) ---------------------------


@pytest.mark.parametrize(
    ("encode", "named"),
    [
        (lambda text: b"\xef\xbb\xbf" + text.encode(), "a UTF-8 byte order mark"),
        (lambda text: text.encode("utf-16"), "a UTF-16LE byte order mark"),
        (lambda text: text.encode("utf-16-be"), "UTF-16BE text"),
        (lambda text: text.encode("utf-16-le"), "UTF-16LE text"),
        (lambda text: text.encode("utf-32"), "a UTF-32LE byte order mark"),
        (lambda text: text.encode("utf-32-be"), "UTF-32BE text"),
        (lambda text: text.encode("latin-1"), "bytes that are not UTF-8"),
    ],
)
def test_json_in_another_encoding_is_a_must_finding_naming_rfc_8259(
    valid_run: dict[str, Any], encode: Any, named: str
) -> None:
    valid_run["agent"]["id"] = "agent_é"
    body = encode(json.dumps(valid_run, ensure_ascii=False))
    run = parse_body(body)
    assert not payload_conforms(body)
    request = {"x-api-key": "k", "anthropic-beta": "managed-agents-2026-04-01"}
    headers = {"content-type": "application/json", "request-id": "req_1"}
    for evaluation in (
        ORACLE.judge_recorded(run, body=body),  # validate, offline
        ORACLE.judge_run_now(Exchange("POST", "d", request, 200, headers, body), run),  # a server's answer
    ):
        (finding,) = evaluation.violations
        assert finding.requirement == "payload.json" and finding.level == "MUST"
        assert named in finding.message and "RFC 8259 section 8.1" in finding.message


def test_utf8_without_a_bom_still_reads_with_the_exact_reader(valid_run: dict[str, Any]) -> None:
    valid_run["agent"]["version"] = INT64_MAX
    valid_run["unknown"] = 10**30  # past 64 bits: read by the stdlib, exactly
    valid_run["agent"]["id"] = "agent_é"
    body = json.dumps(valid_run, ensure_ascii=False).encode()
    assert parse_body(body) == valid_run
    assert ORACLE.judge_recorded(parse_body(body), body=body).conforms


# --- one rule for integers written as floats, in every path -----------------------------------

_BOUNDS = (
    float(INT64_MIN),
    float(INT64_MAX),
    float(2**53 - 1),
    float(2**53),
    -float(2**53 - 1),
    -float(2**53),
    float(INT64_MIN) + 2048.0,
    float(INT64_MIN) - 2048.0,
    3.0,
    -0.0,
)
_VERSIONS = st.one_of(
    st.sampled_from(_BOUNDS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**64), 2**64),
    st.sampled_from([INT64_MIN, INT64_MAX, INT64_MIN - 1, INT64_MAX + 1]),
)
# Ways to write a number: as Python does, with a ".0" fraction, in exponent form.
_WRITINGS = st.sampled_from(["plain", "fraction", "exponent"])


def _written(version: int | float, writing: str) -> str:
    if isinstance(version, int) and writing == "fraction":
        return f"{version}.0"
    if isinstance(version, int) and writing == "exponent":
        return f"{version}e0"
    return json.dumps(version)


@settings(max_examples=300, deadline=None)
@given(_VERSIONS, _WRITINGS)
def test_integral_floats_get_one_verdict_in_every_path(version: int | float, writing: str) -> None:
    body = orjson.dumps({**VALID_RUN, "agent": {**VALID_RUN["agent"], "version": 0}}).replace(
        b'"version":0', b'"version":' + _written(version, writing).encode()
    )
    run = parse_body(body)
    read = run["agent"]["version"]
    full = ORACLE.judge_recorded(run, body=body)
    verdicts = {
        "pre-filtered": ORACLE.judge_recorded(
            run, body=body, ruled_out=PreFilter.default().cannot_fire(run)
        ).conforms,
        "every check": full.conforms,
        "PreFilter.accepts": PreFilter.default().accepts(run),
        "payload_conforms": payload_conforms(body),
    }
    assert len(set(verdicts.values())) == 1, (body, verdicts)
    # The rule: a JSON integer within int64; never a number written with a fraction or exponent.
    if isinstance(read, int):
        assert full.conforms == (INT64_MIN <= read <= INT64_MAX)
    else:
        assert not full.conforms
        assert {f.requirement for f in full.violations} == {"run.agent.version.int64"}


@pytest.mark.parametrize(
    ("written", "conforms"),
    [
        ("3", True),
        ("3.0", False),  # anthropic-java refuses it
        ("3e0", False),
        ("-0", True),
        ("9007199254740991.0", False),
        ("9007199254740992.0", False),
        ("9223372036854775807", True),
        ("9223372036854775807.0", False),
        ("-9223372036854775808", True),
        ("-9223372036854775808.0", False),
        ("-9223372036854775809", False),
        ("3.5", False),
    ],
)
def test_the_integral_float_rule_by_example(valid_run: dict[str, Any], written: str, conforms: bool) -> None:
    body = orjson.dumps(valid_run).replace(b'"version":3', b'"version":' + written.encode())
    assert payload_conforms(body) is conforms
    assert ORACLE.judge_recorded(parse_body(body)).conforms is conforms
