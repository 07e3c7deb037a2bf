"""Coverage: one default-sized sample holds every error type, both triggers, every edge class
and every mutation operator. `pytest -s` prints the table.

A *default-sized sample* is Hypothesis's default number of examples, 100, per strategy,
drawn independently. It is drawn as four test cases of 25 `data.draw`s each rather than as
100 `@given` examples: after each fresh example Hypothesis's engine tries about six
mutations of it, which keep its top-level choice (the edge class, the operator), so 100
`@given` examples hold only about 15 fresh choices. Independent draws test the strategies'
own distribution. Measured over 30 seeds, 29 samples held every category (the one miss:
an edge class drawn 0 times of an expected 6.7); the seeds here are fixed and the sample is
drawn in a fresh interpreter, so the test is reproducible (in a test worker, the constants
of the modules other tests loaded changed the draws, and one seed here missed an edge class).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from drun_conformance.strategies import EDGE_CLASSES, MUTATION_OPERATORS, edge_runs, invalid_runs, runs
from drun_conformance.strategies._contract import contract

from .conftest import in_a_fresh_interpreter

SAMPLE_SIZE = 100  # Hypothesis's default max_examples
_PER_CASE = 25  # draws per test case: more overrun Hypothesis's per-case choice budget


def _independent_draws(strategy: st.SearchStrategy[Any], count: int, case_seed: int) -> list[Any]:
    """`count` independent draws: the last of two generated test cases (the first is
    Hypothesis's simplest-possible case)."""
    cases: list[list[Any]] = []

    @seed(case_seed)
    @settings(
        max_examples=2,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def draw(data: st.DataObject) -> None:
        cases.append([data.draw(strategy) for _ in range(count)])

    draw()
    return cases[-1]


def default_sample(strategy: st.SearchStrategy[Any], salt: int) -> list[Any]:
    return [
        value
        for case in range(SAMPLE_SIZE // _PER_CASE)
        for value in _independent_draws(strategy, _PER_CASE, 1000 * salt + case)
    ]


def _error_type(payload: Any) -> str | None:
    error = payload.get("error") if isinstance(payload, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    return kind if isinstance(kind, str) else None


def _counts() -> dict[str, dict[str, int]]:
    """How often each category came up in one default-sized sample of each strategy."""
    valid = default_sample(runs(), 1)
    edges = default_sample(edge_runs(), 2)
    invalid = default_sample(invalid_runs(), 3)
    payloads = valid + [e.payload for e in edges] + [i.payload for i in invalid]
    return {
        "error type": Counter(t for p in payloads if (t := _error_type(p)) in contract().error_types),
        "trigger (runs)": Counter(p["trigger_context"]["type"] for p in valid),
        "edge class": Counter(e.edge_class for e in edges),
        "mutation operator": Counter(i.operator for i in invalid),
        "requirement broken": Counter(i.requirement for i in invalid),
    }


@pytest.mark.slow
def test_one_default_sized_sample_covers_every_category() -> None:
    counts = in_a_fresh_interpreter(_counts)
    wanted = {
        "error type": contract().error_types,
        "trigger (runs)": contract().trigger_types,
        "edge class": EDGE_CLASSES,
        "mutation operator": tuple(MUTATION_OPERATORS),
    }
    print(f"\ncoverage of one default-sized sample ({SAMPLE_SIZE} draws of each strategy)")
    for kind, counter in counts.items():
        print(f"\n{kind:<22} {'count':>5}")
        for name in wanted.get(kind, tuple(sorted(counter))):
            print(f"  {name:<44} {counter.get(name, 0):>5}")
    missing = {kind: [n for n in names if not counts[kind].get(n)] for kind, names in wanted.items()}
    assert not any(missing.values()), missing
