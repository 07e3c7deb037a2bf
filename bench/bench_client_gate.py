"""SDK gate benchmark: examples per second per SDK, against the bare HTTP round trip, one run.

0. Drawing a case: the gate's strategy under `@given` as the gate draws (each example afresh,
   `EXPLORATION_BACKEND`), under `@given` with Hypothesis's default engine (novelty tree and
   mutator, as the gate drew until 2026-12-07), and by Hypothesis's ConjectureData alone (no
   engine), ms a case.
1. Baseline: the bare HTTP round trip to the scripted mock server (arm a case, one POST with
   httpx from this process, take the recorded request), with the same drawn cases: what the
   gate could do with a free SDK and a free oracle.
2. The gate's exploration phase (a Hypothesis draw, the harness call, the oracle's judgement,
   the tally) per harness: the model SDK of tests/harnesses (httpx in a subprocess), with the
   default engine too, then the four shipped SDKs (Python, TypeScript, Java in one JVM, Go).
   Harness start-up is timed apart; so is a first build of the Java or Go harness (done
   before the clock starts).

    python bench/bench_client_gate.py [--examples N] [--seed N]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis.strategies import SearchStrategy  # noqa: E402

from drun_conformance._errors import SdkUnavailable  # noqa: E402
from drun_conformance.client import _gate  # noqa: E402
from drun_conformance.client._cases import GateCase, gate_cases, run_cases  # noqa: E402
from drun_conformance.client._check import ClientOptions, harness_command  # noqa: E402
from drun_conformance.client._gate import EXPLORATION_BACKEND, Gate  # noqa: E402
from drun_conformance.client._mock import ScriptedServer  # noqa: E402
from drun_conformance.server.reference import run_path, serve_in_thread  # noqa: E402
from tests.client_mutants import faithful_command  # noqa: E402


def drawn_cases(examples: int, at: int) -> list[GateCase]:
    """The run calls (the bare round trip is a POST), drawn as the gate draws."""
    return drawn(run_cases(), examples, at)


def drawn(strategy: SearchStrategy[T], examples: int, at: int, backend: str = EXPLORATION_BACKEND) -> list[T]:
    """`examples` values of `strategy` drawn under @given with seed `at`."""
    values: list[T] = []

    @seed(at)
    @settings(
        max_examples=examples,
        phases=(Phase.generate,),
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        backend=backend,
    )
    @given(strategy)
    def draw(value: T) -> None:
        values.append(value)

    draw()
    return values


def draw_cost(examples: int, at: int) -> tuple[float, float, float]:
    """ms a case of gate_cases(): under @given as the gate draws, under @given with the default
    engine, drawn by a ConjectureData alone."""
    from hypothesis.control import BuildContext
    from hypothesis.internal.conjecture.data import ConjectureData

    strategy = gate_cases()

    def draw_alone(count: int) -> float:
        rng = random.Random(at)
        started = time.perf_counter()
        for _ in range(count):
            data = ConjectureData(random=rng)
            with BuildContext(data, is_final=False, wrapped_test=lambda: None):
                data.draw(strategy)
        return (time.perf_counter() - started) / count

    def under_given(backend: str) -> float:
        started = time.perf_counter()
        count = len(drawn(strategy, examples, at, backend))
        return (time.perf_counter() - started) / count

    draw_alone(20)  # the strategies compiled, before any clock starts
    drawn(strategy, 10, at)  # and Hypothesis's first @given run, which scans the loaded modules once
    return (
        under_given(EXPLORATION_BACKEND) * 1000,
        under_given("hypothesis") * 1000,
        draw_alone(examples) * 1000,
    )


def baseline(cases: list[GateCase]) -> float:
    """Examples/s of the HTTP round trip alone, the same cases."""
    mock = ScriptedServer()
    with serve_in_thread(mock) as url, httpx.Client(base_url=url) as client:
        started = time.perf_counter()
        for case in cases:
            mock.arm(case.deployment_id, case.served.scripted())
            client.post(run_path(case.deployment_id))
            mock.take(case.deployment_id)
        return len(cases) / (time.perf_counter() - started)


def gate_rate(options: ClientOptions, backend: str = EXPLORATION_BACKEND) -> tuple[float, float, int]:
    """(examples/s of the exploration phase, harness start-up in s, cases run)."""
    gate = Gate(options, harness_command(options), None)
    _gate.EXPLORATION_BACKEND = backend  # read by _explore; the default engine for the "before" row
    with gate.harness, serve_in_thread(gate.mock) as gate.base_url:
        started = time.perf_counter()
        gate.harness.start()
        start_up = time.perf_counter() - started
        started = time.perf_counter()
        gate._explore()  # the Hypothesis property, as the gate runs it
        elapsed = time.perf_counter() - started
    _gate.EXPLORATION_BACKEND = EXPLORATION_BACKEND
    return gate.cases / elapsed, start_up, gate.cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    gate_draw, engine_draw, alone = draw_cost(args.examples, args.seed)
    print(
        f"## drawing a case: {gate_draw:.2f} ms as the gate draws, {engine_draw:.2f} ms with Hypothesis's"
        f" default engine, {alone:.2f} ms without the engine"
    )
    cases = drawn_cases(args.examples, args.seed)
    print(f"## SDK gate, {len(cases)} drawn cases (seed {args.seed}), examples per second")
    print(f"  {'bare HTTP round trip (baseline)':38} {baseline(cases):8.0f} /s")
    model = faithful_command()
    targets = [
        ("model SDK (httpx, tests/harnesses)", ClientOptions(harness=model), EXPLORATION_BACKEND),
        ("model SDK, default engine (before)", ClientOptions(harness=model), "hypothesis"),
        ("python: anthropic 2.10.0", ClientOptions(sdk="python"), EXPLORATION_BACKEND),
        ("typescript: @anthropic-ai/sdk 1.10.0", ClientOptions(sdk="typescript"), EXPLORATION_BACKEND),
        ("java: anthropic-java 3.14.0", ClientOptions(sdk="java"), EXPLORATION_BACKEND),
        ("go: anthropic-sdk-go v2.15.0", ClientOptions(sdk="go"), EXPLORATION_BACKEND),
    ]
    for label, options, backend in targets:
        options = ClientOptions(
            sdk=options.sdk, harness=options.harness, examples=args.examples, seed=args.seed, coverage=False
        )
        try:
            rate, start_up, ran = gate_rate(options, backend)
        except SdkUnavailable as exc:
            print(f"  {label:38} unavailable: {exc}")
            continue
        print(f"  {label:38} {rate:8.0f} /s   ({ran} cases; harness start {start_up:.2f} s)")


if __name__ == "__main__":
    main()
