"""`drun-conformance validate` against a `jsonschema` script doing the same job, side by side.

The input is a JSON-lines file of mixed payloads (by default 40,000 lines, 70% invalid,
cycling through distinct payloads drawn from the strategies: `runs()` for the valid ones,
`invalid_runs()` for the rest, bytes that are not JSON among them). Neither side caches by
content. Measured, interleaved, in one run:

- whole process, full findings, `--rounds` interleaved rounds (medians): `drun-conformance
  validate --json FILE` (every finding with pointer and message), both by default (chunks
  judged side by side, one worker process per CPU) and with `--jobs 1` (in turn, one
  process), against `python BASELINE FILE`, a script that reads each line with `json.loads`
  and writes every `Draft202012Validator(..., format_checker=...).iter_errors` error with
  its pointer and message as JSON. The default's CPU time is its workers' too: side by side
  it spends more CPU than in turn, for less wall time;
- in process, the same two paths without start-up: drun's findings (`validate_inputs` then
  the `--json` bytes) against `iter_errors`; drun's verdict alone (`payload_conforms`, one
  line) against `is_valid`;
- start-up: `drun-conformance --help`, and `validate` of one payload, against `python -c pass`.

Wall time and CPU time (user + system) are both shown: the machine is shared, and CPU time is
what each process itself spent. Ratios are jsonschema's time over drun's.

    python bench/bench_validate.py [--lines 40000] [--distinct 4000] [--seed 1] [--rounds 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import orjson
from hypothesis import HealthCheck, Phase, given, seed, settings

from drun_conformance import spec, validate_inputs
from drun_conformance.recorded import payload_conforms
from drun_conformance.recorded._jobs import jobs_for
from drun_conformance.recorded._validate import read_inputs
from drun_conformance.strategies import invalid_runs, runs

BASELINE = '''"""jsonschema, doing what `drun-conformance validate --json FILE` does."""
import json, sys
from jsonschema import Draft202012Validator

with open(sys.argv[1], "rb") as schema_file:
    schema = json.load(schema_file)
validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
results, conforming = [], 0
with open(sys.argv[2], "rb") as lines:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            errors = [
                {"pointer": "".join("/" + str(p).replace("~", "~0").replace("/", "~1")
                                    for p in error.absolute_path),
                 "message": error.message}
                for error in validator.iter_errors(json.loads(line))
            ]
        except ValueError as exc:
            errors = [{"pointer": "", "message": f"not JSON: {exc}"}]
        conforming += not errors
        results.append({"source": f"{sys.argv[2]}:{number}", "conforms": not errors, "violations": errors})
summary = {"payloads": len(results), "conforming": conforming, "violating": len(results) - conforming}
sys.stdout.write(json.dumps({"summary": summary, "results": results}) + "\\n")
sys.exit(0 if conforming == len(results) else 1)
'''


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


def one_line(payload: Any) -> bytes:
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    return body.replace(b"\n", b" ").replace(b"\r", b" ")  # one payload, one line


def write_input(folder: Path, lines: int, distinct: int, random_seed: int) -> tuple[Path, list[bool]]:
    """The JSON-lines file (70% invalid) and each line's label, cached in `folder`."""
    data, labels = folder / f"mixed-{lines}-{distinct}-{random_seed}.jsonl", folder / "labels.json"
    if data.exists() and labels.exists():
        return data, json.loads(labels.read_text())
    started = time.perf_counter()
    valid_count = max(1, distinct * 3 // 10)
    valid = [one_line(p) for p in generate(valid_count, runs(), random_seed)]
    invalid = [one_line(p.payload) for p in generate(distinct - valid_count, invalid_runs(), random_seed)]
    print(
        f"drew {len(valid)} valid + {len(invalid)} invalid payloads in {time.perf_counter() - started:.0f} s"
    )
    out, label = [], []
    for number in range(lines):
        is_valid = number % 10 < 3
        pool = valid if is_valid else invalid
        out.append(pool[(number * 7919) % len(pool)])
        label.append(is_valid)
    data.write_bytes(b"\n".join(out) + b"\n")
    labels.write_text(json.dumps(label))
    return data, label


def run_process(command: list[str]) -> tuple[float, float, bytes]:
    """Wall seconds, CPU seconds (user + system) and standard output of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def in_process(function: Callable[[], object]) -> tuple[float, float, object]:
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - started_wall, time.process_time() - started_cpu, result


def median_run(runs: list[tuple[float, float, bytes]]) -> tuple[float, float, bytes]:
    """The run of median CPU time (its wall time and output with it)."""
    return sorted(runs, key=lambda run: run[1])[len(runs) // 2]


def best(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return min(s[0] for s in samples), min(s[1] for s in samples)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=40000)
    parser.add_argument("--distinct", type=int, default=4000, help="distinct payloads drawn (default 4000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="whole-process rounds (default 3)")
    parser.add_argument("--keep", metavar="DIR", help="cache the input file here between runs")
    args = parser.parse_args()

    load = os.getloadavg()[0]  # before anything of ours runs: others' work, which slows either path
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-validate-"))
    folder.mkdir(parents=True, exist_ok=True)
    data, labels = write_input(folder, args.lines, args.distinct, args.seed)
    schema_path, baseline_path = folder / "schema.json", folder / "baseline.py"
    schema_path.write_text(json.dumps(spec.load_schema()))
    baseline_path.write_text(BASELINE)
    one = folder / "one.jsonl"
    one.write_bytes(data.read_bytes().split(b"\n", 1)[0] + b"\n")
    drun = shutil.which("drun-conformance") or str(Path(sys.executable).parent / "drun-conformance")
    python = sys.executable
    print(
        f"input: {data} ({args.lines:,} lines, {labels.count(False):,} invalid),"
        f" python {sys.version.split()[0]}"
    )

    # Whole process, full findings: --rounds interleaved rounds, drun first; the median of each.
    drun_runs, drun_one_runs, base_runs = [], [], []
    for _ in range(args.rounds):
        drun_runs.append(run_process([drun, "validate", "--json", str(data)]))
        drun_one_runs.append(run_process([drun, "validate", "--json", "--jobs", "1", str(data)]))
        base_runs.append(run_process([python, str(baseline_path), str(schema_path), str(data)]))
    drun_run, drun_one_run, base_run = median_run(drun_runs), median_run(drun_one_runs), median_run(base_runs)
    if any(run[2] != drun_one_run[2] for run in drun_runs + drun_one_runs):
        raise SystemExit("validate --json wrote different bytes by default and with --jobs 1")
    jobs = jobs_for(list(read_inputs([str(data)])), None)
    drun_out, base_out = orjson.loads(drun_run[2]), orjson.loads(base_run[2])
    wrong = sum(r["conforms"] != label for r, label in zip(drun_out["results"], labels, strict=True))
    base_wrong = sum(r["conforms"] != label for r, label in zip(base_out["results"], labels, strict=True))
    findings = sum(len(r["violations"]) for r in drun_out["results"])
    base_errors = sum(len(r["violations"]) for r in base_out["results"])

    # In process: the same file, the two paths, interleaved.
    lines = [line for line in data.read_bytes().split(b"\n") if line.strip()]
    validator = jsonschema.Draft202012Validator(
        spec.load_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )

    def jsonschema_errors() -> int:
        count = 0
        for line in lines:
            try:
                count += sum(1 for _ in validator.iter_errors(json.loads(line)))
            except ValueError:
                count += 1
        return count

    def jsonschema_verdicts() -> list[bool]:
        verdicts = []
        for line in lines:
            try:
                verdicts.append(validator.is_valid(json.loads(line)))
            except ValueError:
                verdicts.append(False)
        return verdicts

    payload_conforms(lines[0])  # the pre-filter built once, as the command builds it once
    findings_path = in_process(lambda: validate_inputs([str(data)]).to_json_bytes())
    base_findings = in_process(jsonschema_errors)
    verdict_path = in_process(lambda: [payload_conforms(line) for line in lines])
    base_verdicts = in_process(jsonschema_verdicts)
    verdict_wrong = sum(v != label for v, label in zip(verdict_path[2], labels, strict=True))  # type: ignore[call-overload]

    # Start-up, best of five each, interleaved.
    samples: dict[str, list[tuple[float, float]]] = {"help": [], "one": [], "python": [], "base_one": []}
    for _ in range(5):
        samples["python"].append(run_process([python, "-c", "pass"])[:2])
        samples["help"].append(run_process([drun, "--help"])[:2])
        samples["one"].append(run_process([drun, "validate", "--json", str(one)])[:2])
        samples["base_one"].append(run_process([python, str(baseline_path), str(schema_path), str(one)])[:2])

    n = len(lines)
    print(f"\n{'':52} {'wall s':>8} {'cpu s':>8} {'lines/s (cpu)':>14} {'x (cpu)':>8} {'x (wall)':>8}")

    def row(name: str, mine: tuple[float, float], theirs: tuple[float, float] | None, count: int = n) -> None:
        ratio = f"{theirs[1] / mine[1]:8.1f} {theirs[0] / mine[0]:8.1f}" if theirs else ""
        print(f"{name:52} {mine[0]:8.2f} {mine[1]:8.2f} {count / mine[1]:14,.0f} {ratio}")

    print(f"whole process, full findings (--json), median of {args.rounds}:")
    row(f"  drun-conformance validate --json FILE ({jobs} jobs)", drun_run[:2], base_run[:2])
    row("  drun-conformance validate --json --jobs 1 FILE", drun_one_run[:2], base_run[:2])
    row("  python baseline.py FILE (jsonschema iter_errors)", base_run[:2], None)
    print("in process, full findings:")
    row("  validate_inputs + --json bytes", findings_path[:2], base_findings[:2])
    row("  jsonschema iter_errors", base_findings[:2], None)
    print("in process, verdict only:")
    row("  payload_conforms", verdict_path[:2], base_verdicts[:2])
    row("  jsonschema is_valid", base_verdicts[:2], None)
    print("start-up (best of 5):")
    for key, name in (
        ("python", "  python -c pass"),
        ("help", "  drun-conformance --help"),
        ("one", "  drun-conformance validate --json ONE.jsonl"),
        ("base_one", "  python baseline.py ONE.jsonl"),
    ):
        wall, cpu = best(samples[key])
        print(f"{name:52} {wall:8.3f} {cpu:8.3f}")
    print(
        f"\nthe default and --jobs 1 wrote the same bytes; CPUs here: {os.cpu_count()}, load average"
        f" {load:.2f} at the start (work of other processes: it slows the side-by-side path most)"
    )
    print(
        f"verdicts against the labels: drun {wrong} wrong, payload_conforms {verdict_wrong} wrong, "
        f"jsonschema {base_wrong} wrong (its date-time checker rejects leap seconds and lowercase t/z)"
    )
    print(
        f"findings written: drun {findings:,} (requirement, pointer, message),"
        f" jsonschema {base_errors:,} errors"
    )
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
