"""JSON as every client reads it: a body with a name twice or a lone surrogate is no I-JSON
(RFC 7493) and fails its own MUST, in every path (the oracle's doors, validate, the verdict
alone); a body nested past the reader's limit says so; a 2xx labelled with another charset
than UTF-8 fails http.success.charset."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from drun_conformance.oracle import UNPARSED, Exchange, Oracle, parse_body
from drun_conformance.oracle._body import MAX_DEPTH, why_unparsed
from drun_conformance.recorded import payload_conforms, validate_inputs
from drun_conformance.recorded._jobs import validate_output

ORACLE = Oracle.default()
RUN: dict[str, Any] = {
    "id": "drun_01HZX3K4M5N6P7Q8R9S0T1U2V3",
    "type": "deployment_run",
    "deployment_id": "depl_011CZkYqphY8vELVzwCUpqiQ",
    "agent": {"type": "agent", "id": "agent_011CZkYqphY8vELVzwCUpqiQ", "version": 3},
    "created_at": "2026-11-27T18:11:19.117456Z",
    "trigger_context": {"type": "manual"},
    "session_id": "sesn_011CZkYqphY8vELVzwCUpqiQ",
    "error": None,
}
CLEAN = json.dumps(RUN).encode()
# The outcome twice: last-wins readers see an error run, first-wins readers a session.
TWICE = CLEAN[:-1] + b', "session_id": null, "error": {"type": "unknown_error", "message": "x"}}'
NESTED_TWICE = CLEAN.replace(b'"version": 3', b'"version": 3, "version": 4')
LONE = CLEAN.replace(b'"sesn_011', b'"\\ud800sesn_011')
DEEP = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)


def failed(body: bytes) -> set[str]:
    return {f.requirement for f in ORACLE.judge_recorded(parse_body(body), body=body).violations}


def test_a_name_twice_fails_unique_names_alone_wherever_the_object_is() -> None:
    assert failed(TWICE) == {"payload.json.unique-names"}
    assert failed(NESTED_TWICE) == {"payload.json.unique-names"}
    assert why_unparsed(NESTED_TWICE)[1][0] == "/agent/version"
    assert parse_body(TWICE) is UNPARSED and not payload_conforms(TWICE)


def test_a_lone_surrogate_fails_its_requirement_and_a_pair_is_a_character() -> None:
    assert failed(LONE) == {"payload.json.no-lone-surrogate"}
    requirement, (pointer, message) = why_unparsed(LONE)
    assert (requirement, pointer) == ("payload.json.no-lone-surrogate", "/session_id")
    assert "\\ud800" in message and not payload_conforms(LONE)
    pair = CLEAN.replace(b'"sesn_011', b'"\\ud83d\\ude00sesn_011')
    assert parse_body(pair)["session_id"].startswith("\U0001f600") and failed(pair) == set()
    key = b'{"\\udc00": 1}'
    assert why_unparsed(key)[0] == "payload.json.no-lone-surrogate"


def test_colons_inside_strings_and_escaped_colons_are_no_names() -> None:
    body = json.dumps({**RUN, "error": None, "x:y": "a:b:c", "z": "\u003a"}, ensure_ascii=True).encode()
    escaped = body.replace(b'"x:y"', b'"x\\u003ay"')
    assert parse_body(body) == parse_body(escaped) == {**RUN, "x:y": "a:b:c", "z": ":"}
    # A colon escaped in the name of a member written twice: the colon count alone is unsure.
    twice = b'{"a\\u003Ab": 1, "a:b": 2}'
    assert parse_body(twice) is UNPARSED and why_unparsed(twice)[1][0] == "/a:b"


def test_integers_past_64_bits_are_read_exactly_and_still_as_i_json() -> None:
    big = CLEAN.replace(b'"version": 3', b'"version": 99999999999999999999999')
    assert parse_body(big)["agent"]["version"] == 99999999999999999999999
    assert parse_body(big.replace(b'"type": "agent"', b'"type": "agent", "type": "agent"')) is UNPARSED


def test_an_integer_past_pythons_digit_limit_is_out_of_range_not_a_traceback(tmp_path: Any) -> None:
    digits = "9" * 5000  # past Python's 4300 digits for reading an integer
    huge = CLEAN.replace(b'"version": 3', b'"version": -' + digits.encode())
    [finding] = ORACLE.judge_recorded(parse_body(huge), body=huge).violations
    assert finding.requirement == "run.agent.version.int64"
    assert "-9999999" in finding.message and "an integer of 5000 digits" in finding.message
    path = tmp_path / "huge.json"
    path.write_bytes(huge)
    document, conforms = validate_output([str(path)], as_json=True, jobs=1)
    assert not conforms and json.loads(document)["summary"]["violating"] == 1


def test_a_body_nested_past_the_limit_is_reported_as_that_limit() -> None:
    evaluation = ORACLE.judge_recorded(parse_body(DEEP), body=DEEP)
    [finding] = evaluation.violations
    assert finding.requirement == "payload.json"
    assert f"deeper than this reader holds ({MAX_DEPTH} levels)" in finding.message
    assert "RFC 8259 section 9" in finding.message
    assert "bytes that are not JSON" in why_unparsed(b"{")[1][1]


def test_validate_judges_them_in_both_outputs_without_a_traceback(tmp_path: Any) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"\n".join([CLEAN, TWICE, LONE, DEEP]) + b"\n")
    text, conforms = validate_output([str(path)], as_json=False, jobs=1)
    document, _ = validate_output([str(path)], as_json=True, jobs=1)
    assert not conforms and text.count(b"VIOLATES") == 3
    results = json.loads(document)["results"]
    assert [r["violations"][0]["requirement"] if r["violations"] else None for r in results] == [
        None,
        "payload.json.unique-names",
        "payload.json.no-lone-surrogate",
        "payload.json",
    ]
    conforming = [r.evaluation.conforms for r in validate_inputs([str(path)]).results]
    assert conforming == [True, False, False, False]


def test_an_error_envelope_no_client_reads_alike_is_no_envelope_and_says_why() -> None:
    body = b'{"type": "error", "error": {"type": "not_found_error", "message": "x"}, "type": "error"}'
    exchange = _exchange(404, {"content-type": "application/json", "request-id": "req_1"}, body)
    [finding] = ORACLE.judge_run_now(exchange, parse_body(body), seen_run_ids=()).violations
    assert finding.requirement == "http.error.envelope" and 'the member "type" twice' in finding.message


def _exchange(status: int, headers: dict[str, str], body: bytes) -> Exchange:
    return Exchange(
        method="POST",
        deployment_id=RUN["deployment_id"],
        request_headers={"x-api-key": "k", "anthropic-beta": "managed-agents-2026-04-01"},
        status=status,
        response_headers=headers,
        body=body,
        received_at=datetime(2026, 11, 27, 18, 11, 20, tzinfo=UTC),
        deployment_known=True,
    )


def test_a_success_labelled_with_another_charset_fails_http_success_charset() -> None:
    def charset_failures(content_type: str) -> list[str]:
        exchange = _exchange(200, {"content-type": content_type, "request-id": "req_1"}, CLEAN)
        evaluation = ORACLE.judge_run_now(exchange, parse_body(CLEAN))
        assert "http.success.charset" in evaluation.exercised
        return [f.message for f in evaluation.violations if f.requirement == "http.success.charset"]

    for fine in ("application/json", "application/json; charset=utf-8", 'application/json;Charset="UTF-8"'):
        assert charset_failures(fine) == [], fine
    for wrong in ("application/json; charset=latin-1", "application/json;charset=utf-16", "text/x;charset=x"):
        assert charset_failures(wrong), wrong


# Any JSON a client may write: no value read as I-JSON by one parser is refused by this one.
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.sampled_from(':"\\a\u00e9\u2028x ')),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(alphabet=":ab\u00e9"), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(value=_VALUES, ascii_only=st.booleans())
def test_i_json_is_read_as_written_and_a_name_added_twice_never_is(value: Any, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert parse_body(body) == value
    if isinstance(value, dict) and value:
        name = next(iter(value))
        twice = body[:-1] + b", " + json.dumps(name, ensure_ascii=ascii_only).encode() + b": null}"
        assert parse_body(twice) is UNPARSED
        assert why_unparsed(twice)[0] == "payload.json.unique-names"
