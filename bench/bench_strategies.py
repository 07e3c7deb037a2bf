"""Benchmark: examples/s of runs() inside @given, against a hand-written
`st.fixed_dictionaries` strategy of the same shape, in the same run.

    /work/venv/bin/python bench/bench_strategies.py [--examples 2000] [--rounds 5]

"Same shape": the same fields, both outcomes with the other member null or absent, the
16 error types, both triggers, unknown fields at every object level, and the same leaf
strategies (ids, messages, timestamps, unknown fields), so the ratio measures what the
schema compiler's composition costs against composing by hand. The two alternate, round
by round, and the median of each is reported. Target: runs() at 0.8x or better.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drun_conformance import spec
from drun_conformance.strategies import runs
from drun_conformance.strategies._compiler import _property_names
from drun_conformance.strategies._contract import contract
from drun_conformance.strategies._timestamps import timestamps
from drun_conformance.strategies._values import INT64_MAX, INT64_MIN, extra_fields, messages, prefixed_ids

RESERVED = frozenset(_property_names(spec.load_schema()))


def _merge(known: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any]:
    if extras:
        known.update(extras)
    return known


def _open(
    fields: dict[str, Any], optional: dict[str, Any] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    known = frozenset(fields) | frozenset(optional or {}) | RESERVED
    return st.builds(_merge, st.fixed_dictionaries(fields, optional=optional), extra_fields(known))


def hand_written() -> st.SearchStrategy[dict[str, Any]]:
    """What one would write by hand for a DeploymentRun, with the same leaves."""
    agent = _open(
        {"id": prefixed_ids("agent_"), "type": st.just("agent"), "version": st.integers(INT64_MIN, INT64_MAX)}
    )
    error = _open({"type": st.sampled_from(contract().error_types), "message": messages()})
    trigger = st.one_of(
        _open({"type": st.just("schedule"), "scheduled_at": timestamps()}),
        _open({"type": st.just("manual")}),
    )
    common = {
        "id": prefixed_ids("drun_"),
        "agent": agent,
        "created_at": timestamps(),
        "deployment_id": prefixed_ids("depl_"),
        "trigger_context": trigger,
        "type": st.just("deployment_run"),
    }
    success = _open({**common, "session_id": prefixed_ids("sesn_")}, optional={"error": st.none()})
    failure = _open({**common, "error": error}, optional={"session_id": st.none()})
    return st.one_of(success, failure)


def examples_per_second(strategy: st.SearchStrategy[Any], examples: int) -> float:
    count = 0

    @settings(
        max_examples=examples,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def consume(payload: dict[str, Any]) -> None:
        nonlocal count
        count += 1

    start = time.perf_counter()
    consume()
    return count / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    start = time.perf_counter()
    compiled = runs()
    compile_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    assert runs() is compiled
    cached_us = (time.perf_counter() - start) * 1e6
    by_hand = hand_written()
    examples_per_second(compiled, 50)  # warm both up (imports, caches)
    examples_per_second(by_hand, 50)

    rates: dict[str, list[float]] = {
        "runs() (compiled from the schema)": [],
        "hand-written fixed_dictionaries": [],
    }
    for _ in range(args.rounds):
        rates["runs() (compiled from the schema)"].append(examples_per_second(compiled, args.examples))
        rates["hand-written fixed_dictionaries"].append(examples_per_second(by_hand, args.examples))

    print(f"{args.examples} examples x {args.rounds} rounds each, alternating; medians")
    print(f"runs() compile: {compile_ms:.1f} ms once; a cached call: {cached_us:.1f} us")
    print(f"{'strategy':<36} {'examples/s':>10}   rounds")
    medians = {}
    for name, values in rates.items():
        medians[name] = statistics.median(values)
        print(f"{name:<36} {medians[name]:>10.0f}   {', '.join(f'{v:.0f}' for v in values)}")
    compiled_rate, hand_rate = medians.values()
    ratio = compiled_rate / hand_rate
    print(
        f"ratio runs() / hand-written: {ratio:.2f}x (target >= 0.80x): {'met' if ratio >= 0.8 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
