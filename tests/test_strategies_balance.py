"""runs() draws three error runs to a success and the 16 error types about alike, and 600 runs
hold every error type (st.one_of drew the first type in 28 to 35% of error runs; fair bits drawn
after the other fields, 19%, and 6 seeds of 100 missed a type; drawn first, 9%, 1 of 200; with
three error runs to a success, still 1 of 200, and the fewest of a type in seeds 0 to 9 went
from 1 to 9 up to 2 to 19). Run with `-s` to see the counts per seed.

Hypothesis mutates each generated example up to five times, and a mutation keeps the error
type four times in five: of 600 examples, only about 120 draw a type afresh, which is why a
seed in a few hundred still misses one (the counts are in the CHANGELOG for issue #21).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import InvalidArgument

from drun_conformance.strategies import runs
from drun_conformance.strategies._contract import contract

from .conftest import in_a_fresh_interpreter

_EXAMPLES = 600


def _counts(seed_value: int) -> tuple[int, list[int]]:
    """Of `_EXAMPLES` runs() drawn with `seed_value`: how many are error runs, and how many of
    those hold each error type (in the page's order)."""
    types: Counter[str] = Counter()

    @seed(seed_value)
    @settings(
        max_examples=_EXAMPLES,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(runs())
    def draw(run: dict[str, Any]) -> None:
        if isinstance(run["error"], dict):
            types[run["error"]["type"]] += 1

    draw()
    counts = [types[t] for t in contract().error_types]
    return sum(counts), counts


_SEEDS = range(3)


def _counts_per_seed() -> list[tuple[int, list[int]]]:
    return [_counts(s) for s in _SEEDS]


@pytest.mark.slow
def test_outcomes_and_error_types_are_drawn_alike() -> None:
    counted = in_a_fresh_interpreter(_counts_per_seed)
    per_type = [0] * len(contract().error_types)
    for seed_value, (errors, counts) in zip(_SEEDS, counted, strict=True):
        print(f"seed {seed_value}: {errors} error runs of {_EXAMPLES}, per type {counts}")
        assert 0.65 * _EXAMPLES <= errors <= 0.85 * _EXAMPLES  # three error runs to a success
        assert min(counts) > 0, counts
        per_type = [a + b for a, b in zip(per_type, counts, strict=True)]
    assert max(per_type) <= 0.15 * sum(per_type), per_type  # the first type: 34%, then 19%


def test_an_error_type_can_be_asked_for() -> None:
    wanted = contract().error_types[-1]

    @settings(max_examples=30, database=None, deadline=None)
    @given(runs(error_type=wanted))
    def check(run: dict[str, Any]) -> None:
        assert run["error"]["type"] == wanted and run["session_id"] is None

    check()
    with pytest.raises(InvalidArgument, match="outcome must be 'error'"):
        runs(outcome="success", error_type=wanted)
    with pytest.raises(InvalidArgument, match="error_type"):
        runs(error_type="no_such_error")
