"""`validate` throughput from bytes, on 20,000 generated payloads (half valid), side by side:

- the parse-only ceiling: `orjson.loads` alone;
- drun's verdict (`conforms`: parse, then the schema's MUST verdict in jsonschema-rs);
- drun's full validation (every finding, with pointers and messages, as `validate --json`);
- `jsonschema.Draft202012Validator` with format checking, on the same schema.

Targets: the verdict at least 50x jsonschema and at least 40% of the parse-only ceiling, with
verdicts identical to the labels (generated and hand-labelled alike).

    python bench/bench_validate.py [--payloads 20000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import orjson
from hypothesis import HealthCheck, Phase, given, seed, settings

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from drun_conformance import (  # noqa: E402
    Oracle,
    parse_body,
    spec,
)
from drun_conformance.oracle import payload_conforms  # noqa: E402
from drun_conformance.strategies import invalid_runs, runs  # noqa: E402


def generate(count: int, strategy: Any, random_seed: int) -> list[Any]:
    found: list[Any] = []

    @seed(random_seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(example: Any) -> None:
        found.append(example)

    collect()
    return found[:count]


def to_bytes(payload: Any) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()


def rate(function: Callable[[bytes], object], bodies: list[bytes]) -> tuple[float, list[object]]:
    started = time.perf_counter()
    out = [function(body) for body in bodies]
    return len(bodies) / (time.perf_counter() - started), out


def orjson_or_none(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--payloads", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    half = args.payloads // 2
    started = time.perf_counter()
    valid = [to_bytes(p) for p in generate(half, runs(), args.seed)]
    invalid = [to_bytes(p.payload) for p in generate(half, invalid_runs(), args.seed)]
    took = time.perf_counter() - started
    print(f"generated {len(valid)} valid + {len(invalid)} invalid payloads in {took:.0f} s")
    bodies = [b for pair in zip(valid, invalid, strict=True) for b in pair]
    labels = [True, False] * half

    oracle = Oracle.default()
    validator = jsonschema.Draft202012Validator(
        spec.load_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )

    def jsonschema_verdict(body: bytes) -> bool:
        data = orjson_or_none(body)
        return data is not None and validator.is_valid(data)

    # Rounds interleave the contenders, best of each kept: a busy machine slows all alike.
    sample = bodies[:2000]
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        ceiling, _ = rate(orjson_or_none, bodies)
        verdict_rate, verdicts = rate(payload_conforms, bodies)
        full_rate, evaluations = rate(lambda b: oracle.evaluate(parse_body(b)), bodies)
        reference_rate, reference = rate(jsonschema_verdict, sample)
        for name, value in (
            ("ceiling", ceiling),
            ("verdict", verdict_rate),
            ("full", full_rate),
            ("reference", reference_rate),
        ):
            best[name] = max(best.get(name, 0.0), value)
    ceiling, verdict_rate, full_rate, reference_rate = (
        best["ceiling"],
        best["verdict"],
        best["full"],
        best["reference"],
    )

    wrong = sum(v != label for v, label in zip(verdicts, labels, strict=True))
    full_wrong = sum(e.conforms != label for e, label in zip(evaluations, labels, strict=True))  # type: ignore[attr-defined]
    reference_wrong = sum(v != label for v, label in zip(reference, labels, strict=False))
    corpus = [
        json.loads(line)
        for line in (REPO / "tests/fixtures/labelled_payloads.jsonl").read_text("utf-8").split("\n")
        if line
    ]
    corpus_wrong = [
        r["label"]
        for r in corpus
        if payload_conforms(r["raw"].encode() if "raw" in r else to_bytes(r["payload"])) != r["conforms"]
    ]

    print(f"{'':34} {'payloads/s':>12} {'x jsonschema':>13} {'% of ceiling':>13} {'wrong verdicts':>15}")
    table = (
        ("orjson.loads (parse-only ceiling)", ceiling, ""),
        ("drun verdict (conforms)", verdict_rate, str(wrong)),
        ("drun full validation (findings)", full_rate, str(full_wrong)),
        ("jsonschema Draft202012 + formats", reference_rate, f"{reference_wrong}*"),
    )
    for name, value, errors in table:
        ratios = f"{value / reference_rate:13.1f} {100 * value / ceiling:12.0f}%"
        print(f"{name:34} {value:12,.0f} {ratios} {errors:>15}")
    print(f"  * of the first {len(sample)}: its date-time checker rejects leap seconds and lowercase t/z")
    print(f"hand-labelled corpus: {len(corpus)} payloads, {len(corpus_wrong)} wrong verdicts {corpus_wrong}")


if __name__ == "__main__":
    main()
