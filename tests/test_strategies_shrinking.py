"""Shrinking: against a deliberately broken oracle, the counterexample users see is minimal.

Each broken oracle is the real one plus one bug. A property "every payload conforms" then
fails, and the payload Hypothesis reports must be the smallest that shows the bug: no unknown
fields, ids of zeros, the plainest timestamp, and a size bound in characters.

The search runs in a fresh interpreter: Hypothesis draws some values from the constants of
every local module loaded, so in a test worker the search, and how far its shrink gets, hang
on which tests ran there first. `bench/bench_shrinking.py` measures the same searches over
many seeds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from drun_conformance import spec
from drun_conformance.oracle import Oracle
from drun_conformance.strategies import edge_runs, runs

from .conftest import in_a_fresh_interpreter

ORACLE = Oracle.default()
ZEROS = "0" * 24
# The smallest runs() payload is about 320 characters of JSON (both outcome keys are required,
# one null); allow little more.
MAX_CHARS = 360
FORGOTTEN = "mcp_egress_blocked_error"
JSONSCHEMA = jsonschema.Draft202012Validator(
    spec.load_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def _assert_plain(payload: dict[str, Any]) -> None:
    """Nothing in `payload` that the failure does not need."""
    text = json.dumps(payload)
    assert len(text) <= MAX_CHARS, (len(text), text)
    assert set(payload) <= {
        "id",
        "agent",
        "created_at",
        "deployment_id",
        "error",
        "session_id",
        "trigger_context",
        "type",
    }
    assert set(payload["agent"]) == {"id", "type", "version"}


def _assert_zeros(payload: dict[str, Any]) -> None:
    assert payload["id"] == "drun_" + ZEROS and payload["agent"]["id"] == "agent_" + ZEROS, payload


def _int32_bound(payload: dict[str, Any]) -> bool:  # the bug: version read as int32
    return ORACLE.judge_recorded(payload).conforms and -(2**31) <= payload["agent"]["version"] < 2**31


def _first_version_past_int32(found: dict[str, Any]) -> None:
    _assert_plain(found)
    _assert_zeros(found)
    assert found["agent"]["version"] in (2**31, -(2**31) - 1)
    assert found["created_at"] == "2000-01-01T00:00:00Z"


def _fifteen_variants(payload: dict[str, Any]) -> bool:  # the bug: the 16th variant is missing
    error = payload.get("error")
    return ORACLE.judge_recorded(payload).conforms and not (error and error["type"] == FORGOTTEN)


def _plain_error_run(found: dict[str, Any]) -> None:
    _assert_plain(found)
    _assert_zeros(found)
    assert found["error"]["type"] == FORGOTTEN and len(found["error"]["message"]) == 1
    assert set(found["error"]) == {"type", "message"}
    assert found.get("session_id") is None


def _jsonschema_agrees(payload: dict[str, Any]) -> bool:  # the bug: leap seconds rejected
    return bool(JSONSCHEMA.is_valid(payload)) == ORACLE.judge_recorded(payload).conforms


def _plainest_leap_second(found: dict[str, Any]) -> None:
    _assert_plain(found)  # (ids not all zeros: Hypothesis stops after 500 improvements)
    assert found["created_at"] == "1972-06-30T23:59:60Z"


@dataclass(frozen=True)
class Search:
    """A property that a broken oracle makes fail, and what its counterexample must be."""

    payloads: Callable[[], st.SearchStrategy[Any]]
    conforms: Callable[[Any], bool]
    assert_minimal: Callable[[Any], None]


SEARCHES = {
    "an int32 version bound: the first version past it": Search(
        runs, _int32_bound, _first_version_past_int32
    ),
    "a forgotten error type: a plain error run": Search(runs, _fifteen_variants, _plain_error_run),
    # jsonschema's format checker rejects leap seconds: among all the edge classes, the
    # counterexample is a leap second and nothing else.
    "jsonschema as the oracle: the plainest leap second": Search(
        lambda: edge_runs().map(lambda edge: edge.payload), _jsonschema_agrees, _plainest_leap_second
    ),
}


def counterexample(name: str, seed_value: int | None = None) -> Any:
    """The example Hypothesis reports for `@given(payloads) assert conforms(x)`: derandomized,
    or drawn from `seed_value`."""
    search = SEARCHES[name]
    failures: list[Any] = []

    @settings(
        max_examples=1000,
        database=None,
        derandomize=seed_value is None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        print_blob=False,
    )
    @given(search.payloads())
    def property_(value: Any) -> None:
        if not search.conforms(value):
            failures.append(value)
            raise AssertionError("broken oracle rejects a valid payload")

    if seed_value is not None:
        property_ = seed(seed_value)(property_)
    with pytest.raises(AssertionError, match="broken oracle"):
        property_()
    return failures[-1]  # Hypothesis replays the example it reports last


@pytest.mark.slow
@pytest.mark.parametrize("name", SEARCHES)
def test_a_broken_oracles_counterexample_is_minimal(name: str) -> None:
    SEARCHES[name].assert_minimal(in_a_fresh_interpreter(counterexample, name))
