"""Benchmark: how often a counterexample shrinks all the way, over many seeds.

    .venv/bin/python bench/bench_shrinking.py [--seeds 10] [--jobs 2]

For each broken-oracle search of `tests/test_strategies_shrinking.py` (the test runs one
derandomized search), it runs the search with seeds 0 to N-1 and counts the counterexamples
that pass the test's minimality assertions; each one that does not is printed. How far the
shrink gets, and which failing example Hypothesis reports, vary with the seed: this is the
rate behind the test's single path.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.test_strategies_shrinking import SEARCHES, counterexample


def _search(job: tuple[str, int]) -> tuple[str, int, bool, Any, float]:
    name, seed_value = job
    started = time.perf_counter()
    found = counterexample(name, seed_value)
    try:
        SEARCHES[name].assert_minimal(found)
        is_minimal = True
    except AssertionError:
        is_minimal = False
    return name, seed_value, is_minimal, found, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    options = parser.parse_args()
    jobs = [(name, s) for name in SEARCHES for s in range(options.seeds)]
    minimal = dict.fromkeys(SEARCHES, 0)
    with multiprocessing.get_context("spawn").Pool(options.jobs) as pool:
        for name, seed_value, is_minimal, found, seconds in pool.imap(_search, jobs):
            minimal[name] += is_minimal
            verdict = "minimal" if is_minimal else "NOT minimal"
            print(f"{name}, seed {seed_value}: {verdict} ({seconds:.0f} s)")
            if not is_minimal:
                print(f"  {json.dumps(found)}", flush=True)
    print("\n| search | minimal counterexamples |\n|---|---|")
    for name, count in minimal.items():
        print(f"| {name} | {count} of {options.seeds} seeds |")


if __name__ == "__main__":
    main()
