"""Oracle exactness, proven with the strategies: 2,000 examples per property.

- every runs() payload conforms (and hits no EDGE class); every edge_runs() payload conforms
  except the unknown-variant classes, which are flagged by exactly their `known-variant`
  requirement; every invalid_runs() payload is flagged with exactly its requirement;
- on every generated payload, the pre-filter in front of the oracle agrees with the full run
  (`PreFilter.accepts` is "no MUST finding", a plain body has no payload finding, and the
  recorded-body door finds the same with the requirements it rules out left unrun);
- the reference implementation, `jsonschema` with its format checker, agrees with the
  oracle on every generated payload except where it is wrong, each such place listed in
  `DIVERGENCES` with a test of its own below.

The profile "drun-exactness" sets the size: 2,000 examples (`DRUN_EXACTNESS_EXAMPLES`
overrides it), derandomized when `CI` is set so a CI run is reproducible.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drun_conformance import spec
from drun_conformance.oracle import UNPARSED, Evaluation, Oracle, parse_body, parse_rfc3339
from drun_conformance.recorded import PreFilter
from drun_conformance.strategies import (
    UNKNOWN_VARIANT_CLASSES,
    edge_runs,
    invalid_runs,
    requirement_operators,
    runs,
)
from drun_conformance.strategies._contract import contract
from drun_conformance.strategies._edges import VERSION_BOUNDS
from drun_conformance.strategies._paths import MISSING, get, with_value

from .conftest import prefiltered

settings.register_profile(
    "drun-exactness",
    max_examples=int(os.environ.get("DRUN_EXACTNESS_EXAMPLES", "2000")),
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
EXACTNESS = settings.get_profile("drun-exactness")

ORACLE = Oracle.default()
PREFILTER = PreFilter.default()
REFERENCE = jsonschema.Draft202012Validator(
    spec.load_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
CATALOG = spec.load_catalog()
# The only SHOULDs a runs() payload may hit: both triggers are asked for, and a schedule
# trigger answers Run Deployment Now only in a SHOULD-breaking way.
RUNS_MAY_BREAK = {
    "run.trigger_context.manual-on-run-now",
    "run.trigger_context.scheduled-not-after-created",
}


def _must(evaluation: Evaluation) -> set[str]:
    return {f.requirement for f in evaluation.findings if f.level == "MUST"}


def _keys(evaluation: Evaluation) -> set[tuple[str, str, str]]:
    return {(f.requirement, f.level, f.pointer) for f in evaluation.findings}


def _body(payload: Any) -> tuple[Any, bytes | None]:
    """A generated payload as the recorded-body door takes it: the value (UNPARSED for bytes
    that are not I-JSON) and the bytes, when it is bytes (so that the door says why)."""
    return (parse_body(payload), payload) if isinstance(payload, bytes) else (payload, None)


# --- the oracle's verdicts ---------------------------------------------------------------------


@EXACTNESS
@given(runs())
def test_every_run_conforms(payload: dict[str, Any]) -> None:
    evaluation = ORACLE.judge_recorded(payload)
    assert not _must(evaluation), evaluation.findings
    assert not evaluation.edges, evaluation.edges
    assert {f.requirement for f in evaluation.violations} <= RUNS_MAY_BREAK
    assert json.loads(json.dumps(payload)) == payload  # plain JSON data, round-trips


# What each of the package's own edge classes (not in the catalog) must have put in.
OWN_EDGE_CLASSES: dict[str, Callable[[Any], bool]] = {
    "edge.timestamp.offset-extremes": lambda v: parse_rfc3339(v) is not None and v[-6] in "+-",
    "edge.timestamp.year-bounds": lambda v: parse_rfc3339(v) is not None and v[:4] in ("0001", "9999"),
    "edge.timestamp.leap-day": lambda v: parse_rfc3339(v) is not None and v[4:10] == "-02-29",
    "edge.version.bounds": lambda v: v in VERSION_BOUNDS and type(v) is int,
    "edge.string.empty": lambda v: v == "",
    "edge.string.json-escapes": lambda v: isinstance(v, str) and "\\" in json.dumps(v),
    "edge.object.shuffled-keys": lambda v: isinstance(v, dict),
}


def _at(payload: Any, pointer: str) -> Any:
    return get(payload, pointer.split("/")[1:]) if pointer else payload


@EXACTNESS
@given(edge_runs())
def test_every_edge_run_conforms_except_unknown_variants(edge: Any) -> None:
    evaluation = ORACLE.judge_recorded(edge.payload)
    expected = (
        {UNKNOWN_VARIANT_CLASSES[edge.edge_class]} if edge.edge_class in UNKNOWN_VARIANT_CLASSES else set()
    )
    assert _must(evaluation) == expected, evaluation.findings
    labels = {(f.requirement, f.pointer) for f in evaluation.edges}
    if edge.edge_class in CATALOG:  # the oracle labels it, at the place the strategy says, and
        # nothing else: a value rare in two ways, mishandled, could not be charged to either
        assert labels == {(edge.edge_class, edge.pointer)}, (edge.pointer, evaluation.edges)
    else:
        assert OWN_EDGE_CLASSES[edge.edge_class](_at(edge.payload, edge.pointer)), edge
        assert len(labels) <= 1, evaluation.edges  # JSON escapes may hold U+2028: non-ASCII too


@EXACTNESS
@given(invalid_runs())
def test_every_invalid_run_is_flagged_with_exactly_its_requirement(invalid: Any) -> None:
    body, raw = _body(invalid.payload)
    evaluation = ORACLE.judge_recorded(body, body=raw)
    assert _must(evaluation) == {invalid.requirement}, (invalid.operator, evaluation.findings)
    assert _must(prefiltered(body, raw)) == {invalid.requirement}  # the fast path too


REGISTRY_PAIRS = [(rid, op) for rid, ops in requirement_operators().items() for op in ops]


@pytest.mark.parametrize(
    ("requirement", "operator"), REGISTRY_PAIRS, ids=[f"{r}:{o}" for r, o in REGISTRY_PAIRS]
)
def test_each_registry_entry_breaks_exactly_its_requirement(requirement: str, operator: str) -> None:
    """Every (requirement, operator) pair on its own, so none hides behind the others."""

    @settings(EXACTNESS, max_examples=15)
    @given(invalid_runs(requirements=[requirement], operators=[operator]))
    def check(invalid: Any) -> None:
        assert (invalid.requirement, invalid.operator) == (requirement, operator)
        body, raw = _body(invalid.payload)
        assert _must(ORACLE.judge_recorded(body, body=raw)) == {requirement}

    check()


# --- jsonschema, the reference implementation, and where it is wrong ----------------------------


@dataclass(frozen=True)
class Divergence:
    """A kind of date-time string on which jsonschema's format checker is wrong."""

    name: str
    applies: Callable[[str], bool]
    valid: bool  # what RFC 3339 (and the oracle) says of such a string


def _leap_second(text: str) -> bool:
    stamp = parse_rfc3339(text)
    return stamp is not None and stamp.leap_second


DIVERGENCES = (
    # RFC 3339 section 5.7 allows :60 at 23:59 UTC; rfc3339-validator has no leap seconds.
    Divergence("leap-second", _leap_second, valid=True),
    # rfc3339-validator's regex ends in `$`, which also matches before a final newline.
    Divergence("trailing-newline", lambda t: t.endswith("\n") and parse_rfc3339(t[:-1]) is not None, False),
    # RFC 3339's date-fullyear is 4DIGIT: 0000 is a year; rfc3339-validator refuses it.
    Divergence("year-zero", lambda t: t.startswith("0000-") and parse_rfc3339(t) is not None, True),
)
_STAND_INS = {True: "2000-01-01T00:00:00Z", False: "not a date-time"}


def _checked_timestamps(payload: Any) -> list[tuple[str, ...]]:
    """The date-time fields of `payload` that the schema and the oracle check."""
    paths = []
    for path in contract().timestamp_paths:
        if path[0] == "trigger_context" and get(payload, ("trigger_context", "type")) != "schedule":
            continue
        if isinstance(get(payload, path), str):
            paths.append(path)
    return paths


def explain_disagreement(payload: Any, oracle_conforms: bool) -> list[str]:
    """The documented divergences behind a jsonschema/oracle disagreement on `payload` ([]
    when they agree); fails when none explains it, or when replacing the divergent values by
    plain stand-ins of the same validity does not make jsonschema agree."""
    if REFERENCE.is_valid(payload) == oracle_conforms:
        return []
    hits = []
    normalized = payload
    for path in _checked_timestamps(payload):
        text = get(payload, path)
        for divergence in DIVERGENCES:
            if divergence.applies(text):
                hits.append(divergence.name)
                normalized = with_value(normalized, path, _STAND_INS[divergence.valid])
    assert hits, (
        f"jsonschema says {not oracle_conforms}, the oracle {oracle_conforms}, unexplained: {payload!r}"
    )
    assert ORACLE.judge_recorded(normalized).conforms == oracle_conforms
    assert REFERENCE.is_valid(normalized) == oracle_conforms, (hits, payload)
    return hits


GENERATED: dict[str, Callable[[], st.SearchStrategy[Any]]] = {
    "runs": runs,
    "edge_runs": lambda: edge_runs().map(lambda edge: edge.payload),
    "invalid_runs": lambda: invalid_runs().map(lambda invalid: invalid.payload),
}


@pytest.mark.parametrize("generator", GENERATED)
def test_validators_agree_on_every_generated_payload(generator: str) -> None:
    """The fast paths' licence and the reference implementation, on one sample each."""
    seen: set[str] = set()

    @EXACTNESS
    @given(GENERATED[generator]())
    def check(payload: Any) -> None:
        body, raw = _body(payload)
        full = ORACLE.judge_recorded(body, body=raw)
        # The pre-filter: the schema's verdict is the MUST verdict of the full run...
        assert PREFILTER.accepts(body) == full.conforms, full.findings
        # ...a plain body gets no finding at all from the full run...
        if body is not UNPARSED and PREFILTER.is_plain(body):
            assert not full.findings, full.findings
        # ...and what it rules out changes nothing in what the oracle reports.
        assert _keys(prefiltered(body, raw)) == _keys(full)
        if body is not UNPARSED:  # jsonschema validates values; bytes that are not JSON have none
            seen.update(explain_disagreement(body, full.conforms))

    check()
    assert seen <= {d.name for d in DIVERGENCES}


def _with_created_at(valid_run: dict[str, Any], text: str) -> dict[str, Any]:
    return with_value(valid_run, ("created_at",), text)


def test_divergence_jsonschema_rejects_a_valid_leap_second(valid_run: dict[str, Any]) -> None:
    """RFC 3339 5.7 (and the JSON-Schema-Test-Suite) accept 23:59:60Z; jsonschema does not."""
    payload = _with_created_at(valid_run, "1998-12-31T23:59:60Z")
    assert ORACLE.judge_recorded(payload).conforms
    assert not REFERENCE.is_valid(payload)
    assert explain_disagreement(payload, True) == ["leap-second"]


def test_divergence_jsonschema_accepts_a_trailing_newline(valid_run: dict[str, Any]) -> None:
    """ "...Z\\n" is not RFC 3339 syntax; jsonschema's `$` matches before the newline."""
    payload = _with_created_at(valid_run, "2026-11-27T18:11:19Z\n")
    assert _must(ORACLE.judge_recorded(payload)) == {"run.created_at.rfc3339"}
    assert REFERENCE.is_valid(payload)
    assert explain_disagreement(payload, False) == ["trailing-newline"]


def test_divergence_jsonschema_rejects_year_zero(valid_run: dict[str, Any]) -> None:
    """date-fullyear is 4DIGIT, so 0000-01-01 is an RFC 3339 date; jsonschema refuses it.
    (edge_runs() stops at year 0001, so this one is documented rather than generated.)"""
    payload = _with_created_at(valid_run, "0000-01-01T00:00:00Z")
    assert ORACLE.judge_recorded(payload).conforms
    assert not REFERENCE.is_valid(payload)
    assert explain_disagreement(payload, True) == ["year-zero"]


def test_no_divergence_on_lowercase_t_and_z(valid_run: dict[str, Any]) -> None:
    """Once a divergence, no more: jsonschema upper-cases the string before its check."""
    payload = _with_created_at(valid_run, "2026-11-27t18:11:19z")
    assert ORACLE.judge_recorded(payload).conforms
    assert REFERENCE.is_valid(payload)


def test_a_missing_value_is_not_a_timestamp() -> None:
    assert _checked_timestamps({"trigger_context": {"type": "manual", "scheduled_at": "x"}}) == []
    assert get({}, ("created_at",)) is MISSING
