"""Shrinking: against a deliberately broken oracle, the counterexample users see is minimal.

Each broken oracle is the real one plus one bug. A property "every runs() payload conforms"
then fails, and the payload Hypothesis reports must be the smallest that shows the bug:
no unknown fields, ids of zeros, the plainest timestamp, and a size bound in characters.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drun_conformance import spec
from drun_conformance.oracle import Oracle
from drun_conformance.strategies import edge_runs, runs

ORACLE = Oracle.default()
ZEROS = "0" * 24
# The smallest runs() payload is about 320 characters of JSON (both outcome keys are required,
# one null); allow little more.
MAX_CHARS = 360


def minimal_counterexample(strategy: st.SearchStrategy[Any], conforms: Callable[[Any], bool]) -> Any:
    """The example Hypothesis reports for `@given(strategy) assert conforms(x)`."""
    failures: list[Any] = []

    @settings(
        max_examples=1000,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        print_blob=False,
    )
    @given(strategy)
    def property_(value: Any) -> None:
        if not conforms(value):
            failures.append(value)
            raise AssertionError("broken oracle rejects a valid payload")

    with pytest.raises(AssertionError, match="broken oracle"):
        property_()
    return failures[-1]  # Hypothesis replays the shrunk example last


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
    assert payload["id"] == "drun_" + ZEROS and payload["agent"]["id"] == "agent_" + ZEROS


def test_an_int32_version_bound_shrinks_to_the_first_version_past_it() -> None:
    def int32_oracle(payload: dict[str, Any]) -> bool:  # the bug: version read as int32
        return ORACLE.judge_recorded(payload).conforms and -(2**31) <= payload["agent"]["version"] < 2**31

    found = minimal_counterexample(runs(), int32_oracle)
    _assert_plain(found)
    _assert_zeros(found)
    assert found["agent"]["version"] in (2**31, -(2**31) - 1)
    assert found["created_at"] == "2000-01-01T00:00:00Z"


def test_a_forgotten_error_type_shrinks_to_a_plain_error_run() -> None:
    forgotten = "mcp_egress_blocked_error"  # the bug: the 16th variant is missing

    def fifteen_variants(payload: dict[str, Any]) -> bool:
        error = payload.get("error")
        return ORACLE.judge_recorded(payload).conforms and not (error and error["type"] == forgotten)

    found = minimal_counterexample(runs(), fifteen_variants)
    _assert_plain(found)
    _assert_zeros(found)
    assert found["error"] == {"type": forgotten, "message": "0"} or len(found["error"]["message"]) == 1
    assert set(found["error"]) == {"type", "message"}
    assert found.get("session_id") is None


def test_jsonschema_as_a_broken_oracle_shrinks_to_the_plainest_leap_second() -> None:
    """jsonschema's format checker rejects leap seconds: among all the edge classes, the
    counterexample is a leap second and nothing else."""
    reference = jsonschema.Draft202012Validator(
        spec.load_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )

    def agrees(payload: dict[str, Any]) -> bool:
        return bool(reference.is_valid(payload)) == ORACLE.judge_recorded(payload).conforms

    found = minimal_counterexample(edge_runs().map(lambda edge: edge.payload), agrees)
    _assert_plain(found)  # (ids not all zeros: Hypothesis stops after 500 improvements)
    assert found["created_at"] == "1972-06-30T23:59:60Z"
