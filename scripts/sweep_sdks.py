"""Sweep every served release of each official SDK through the SDK gate: which release fixed or
broke what. Run on demand (or by .github/workflows/sweep.yml), never part of the test run.

    python scripts/sweep_sdks.py [--sdk NAME]... [--examples N] [--seed S] [--step N] [--newest N]
        [--shard I/N] [--retry-failed] [--redo-all] [--dry-run [--json]] [--plan PLAN.json]
        [--out docs/sweep] [--work DIR]
    python scripts/sweep_sdks.py --publish SHARD/results.json... [--plan PLAN.json]
    python scripts/sweep_sdks.py --render

Plan: each SDK's registry lists its final releases (PyPI, npm, Maven Central, the Go module
proxy: both Go modules); the first with Run Deployment Now is found by bisection once and kept in
OUT/releases.json; of the releases from there, those a shipped harness takes are planned
(`--step` samples the Python and TypeScript minor lines), the others are listed with why. A
planned release is due unless OUT/releases.json has it from a sweep of the same seed, examples
and contract (`--redo-all` gates it again), or its install or build failed before with the same
harness (cached with the reason in the drun-conformance cache folder; `--retry-failed`).
`--newest N` keeps the N newest due releases of each SDK; `--shard I/N` one of N shards of them,
balanced by what each costs to install or build. `--dry-run` prints the plan (`--json`: as JSON
with the CI matrix, which `--plan` takes back so that every CI job gates the same plan).

Gate: one `drun-conformance client --sdk NAME@VERSION ...` run over the releases (the same seed,
so the same cases), into WORK/<shard>/ (results.json, with each release's drift from the contract as
`spec drift` finds it, report.html, junit.xml). Unsharded, it then publishes.

Publish: `drun-conformance report merge` of the shards' results.json; every release into
OUT/releases.json; OUT/results.json and OUT/report.html for the releases where something changed
(the first, each change, the newest: every release's report would be megabytes); the dashboard
OUT/README.md with its picture OUT/sweep.svg. `--render` draws the dashboard again from
OUT/releases.json alone.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sweep.dashboard import kept_releases, write_dashboard
from sweep.failures import Failures, harness_digest
from sweep.index import Index, entry_of, release_of, sweep_key
from sweep.plan import Release, matrix, newest, parse_shard, select, shard
from sweep.registries import SDKS, sampled, served_releases, version_key, with_operation

from drun_conformance import spec
from drun_conformance._errors import UsageError
from drun_conformance.client._sdks import parse_sdk

REPO = Path(__file__).resolve().parents[1]
WORK = Path(tempfile.gettempdir()) / "drun-sweep"
SAMPLED = ("python", "typescript")  # dozens of releases each: --step samples them
DRUN = [sys.executable, "-m", "drun_conformance"]
PLAN_FORMAT = 1
Results = dict[str, Any]


def plan(args: argparse.Namespace, index: Index, failures: Failures) -> dict[str, Any]:
    """Per SDK: what the registry serves, what has the operation, what is due and why not the rest."""
    key = {"seed": args.seed, "examples": args.examples, "spec": _spec()}
    done = index.done(key)
    digests = {name: harness_digest(name) for name in args.sdk}
    held_before = failures.held(digests)
    sdks: dict[str, Any] = {}
    for name in args.sdk:
        served = served_releases(SDKS[name])
        first = None if args.redo_all else index.sdk(name)["first"]
        found = [v for v in served if version_key(v) >= version_key(first)] if first else None
        found = found or with_operation(SDKS[name], served)
        refused = {v: why for v in found if (why := _refusal(name, v))}
        taken = [v for v in found if v not in refused]
        planned = sampled(taken, args.step if name in SAMPLED else 1)
        if sampled_out := [v for v in taken if v not in planned]:
            refused.update(dict.fromkeys(sampled_out, f"sampled out by --step {args.step}"))
        due, held = select(
            [Release(name, v) for v in planned],
            done=done,
            failed=held_before,
            redo_all=args.redo_all,
            retry_failed=args.retry_failed,
        )
        sdks[name] = {
            "served": len(served),
            "first": found[0] if found else None,
            "with_operation": found,
            "left_out": [
                {"reason": why, "releases": [v for v in found if refused.get(v) == why]}
                for why in dict.fromkeys(refused.values())
            ],
            "due": [r.version for r in due],
            "held": {r.version: why for r, why in held.items()},
            "done": sum(Release(name, v) in done for v in planned),
        }
    due_all = [Release(n, v) for n, s in sdks.items() for v in s["due"]]
    return {
        "format": PLAN_FORMAT,
        "seed": args.seed,
        "examples": args.examples,
        "sdks": sdks,
        "matrix": {"include": matrix(due_all)},
    }


def _refusal(name: str, version: str) -> str | None:
    """Why `--sdk NAME@VERSION` is refused (no shipped harness for it), or None."""
    try:
        parse_sdk(f"{name}@{version}")
    except UsageError as exc:
        return re.sub(r"^.*cannot be gated: ", "", str(exc))
    return None


def _spec() -> dict[str, Any]:
    requirements = spec.load_requirements()
    return {"sha256": requirements["source"]["sha256"], "catalog_version": requirements["catalog_version"]}


def print_plan(the_plan: dict[str, Any], chosen: list[Release]) -> None:
    for name, sdk in the_plan["sdks"].items():
        found = sdk["with_operation"]
        print(f"{name}: {sdk['served']} final releases served, {len(found)} with the operation", end="")
        print(f" (from {sdk['first']})" if sdk["first"] else "")
        print(f"  in the published results: {sdk['done']}; due: {' '.join(sdk['due']) or 'none'}")
        for version, why in sdk["held"].items():
            print(f"  held back, its install or build failed before (--retry-failed): {version}: {why}")
        for part in sdk["left_out"]:
            print(f"  not swept, {part['reason']}: {' '.join(part['releases'])}")
    print(f"to gate now: {' '.join(r.spec for r in chosen) or 'nothing'}")


def gate(releases: list[Release], *, examples: int, seed: int, work: Path) -> Path:
    """One `client` run over `releases` into `work` (each release's drift included); results.json."""
    command = [*DRUN, "client", "--examples", str(examples), "--seed", str(seed), "--report-dir", str(work)]
    command += [arg for release in releases for arg in ("--sdk", release.spec)]
    started = time.monotonic()
    status = subprocess.run(command, check=False).returncode
    if status not in (0, 1, 3, 4):  # 1, 3, 4: a new failure, a release that did not start: findings
        raise SystemExit(f"the gate run ended with exit status {status}")
    print(f"gated {len(releases)} releases in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return work / "results.json"


def remember_failures(results: Results, failures: Failures) -> None:
    outcomes = [(release_of(t), entry_of(t, swept="").get("reason")) for t in results["targets"]]
    failures.update(outcomes, {name: harness_digest(name) for name in {r.name for r, _ in outcomes}})


def publish(
    files: Sequence[Path],
    index: Index,
    *,
    out: Path,
    work: Path,
    command: str,
    the_plan: dict[str, Any] | None,
) -> None:
    merged = _merge(files, work / "merged")
    results: Results = json.loads(merged.read_text(encoding="utf-8"))
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    gated = index.record(results, swept=today)
    for name, sdk in (the_plan or {}).get("sdks", {}).items():
        index.sdk(name).update({k: sdk[k] for k in ("first", "with_operation", "left_out")})
    remember_failures(results, Failures())
    index.data["sweeps"].append({"date": today, "command": command, "gated": len(gated)})
    out.mkdir(parents=True, exist_ok=True)
    index.save(out / "releases.json")
    keep(index, merged, out=out, work=work)
    changes = write_dashboard(index, out)
    print("\n".join(changes) or "nothing broke or got fixed")
    print(f"wrote {out}/releases.json, README.md, sweep.svg, results.json, report.html")


def _merge(files: Sequence[Path], into: Path) -> Path:
    done = subprocess.run(
        [*DRUN, "report", "merge", *map(str, files), "--report-dir", str(into)], check=False
    )
    if done.returncode == 2:
        raise SystemExit("report merge refused the results (above)")
    return into / "results.json"


def keep(index: Index, merged: Path, *, out: Path, work: Path) -> None:
    """OUT/results.json and OUT/report.html: the kept releases, from these results or the ones
    published before (of the same seed, examples and contract; a release gated again is taken
    from these), merged again by `report merge` (verdicts, gate and differential of these only)."""
    kept = set(kept_releases(index))
    new: Results = json.loads(merged.read_text(encoding="utf-8"))
    targets = [t for t in new["targets"] if release_of(t) in kept]
    if (out / "results.json").is_file():
        old: Results = json.loads((out / "results.json").read_text(encoding="utf-8"))
        regated = {release_of(t) for t in new["targets"]}
        before = [t for t in old["targets"] if release_of(t) in kept and release_of(t) not in regated]
        if before and sweep_key({**old, "targets": before}) == sweep_key(new):
            targets += before
    if not targets:
        return
    targets.sort(key=lambda t: (list(SDKS).index(release_of(t).name), version_key(release_of(t).version)))
    part = work / "kept-releases.json"
    part.write_text(json.dumps({**new, "targets": targets}), encoding="utf-8")
    report = _merge([part], work / "kept")
    if missing := sorted(
        kept - {release_of(t) for t in targets}, key=lambda r: (r.name, version_key(r.version))
    ):
        print(f"not in the kept report (gated before, not kept then): {' '.join(r.spec for r in missing)}")
    for name in ("results.json", "report.html"):
        (out / name).write_bytes((report.parent / name).read_bytes())


def bootstrap(published: Path) -> Index:
    """An index from a results.json published before the index was: each release the sweep named
    takes the entry of the kept release that starts its run (the releases kept are the first of
    each run, each change and the newest)."""
    results: Results = json.loads(published.read_text(encoding="utf-8"))
    index = Index()
    date = results["started_at"][:10]
    kept = {release_of(t): entry_of(t, swept=date) for t in results["targets"]}
    command = results["command"]
    asked = [Release.parse(command[i + 1]) for i, arg in enumerate(command) if arg == "--sdk"]
    for release in asked:
        starts = [
            r
            for r in kept
            if r.name == release.name and version_key(r.version) <= version_key(release.version)
        ]
        index.sdk(release.name)["releases"][release.version] = kept[
            max(starts, key=lambda r: version_key(r.version))
        ]
    index.data["sweep"] = sweep_key(results)
    key = index.data["sweep"]
    sweep = f"python scripts/sweep_sdks.py --examples {key['examples']} --seed {key['seed']}"
    index.data["sweeps"].append({"date": date, "command": sweep, "gated": len(asked)})
    return index


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = shlex.join(["python", "scripts/sweep_sdks.py", *(sys.argv[1:] if argv is None else argv)])
    index_file = args.out / "releases.json"
    index = Index.load(index_file)
    if not index_file.is_file() and (args.out / "results.json").is_file():
        index = bootstrap(args.out / "results.json")
    the_plan = json.loads(args.plan.read_text(encoding="utf-8")) if args.plan else None
    if the_plan:
        args.seed, args.examples = the_plan["seed"], the_plan["examples"]
    args.seed = 1 if args.seed is None else args.seed
    args.examples = 25 if args.examples is None else args.examples
    args.sdk = args.sdk or list(SDKS)
    if args.render or args.publish:
        if args.publish:
            publish(args.publish, index, out=args.out, work=args.work, command=command, the_plan=the_plan)
        else:
            write_dashboard(index, args.out)
        return 0
    failures = Failures()
    the_plan = the_plan or plan(args, index, failures)
    due = [Release(n, v) for n in args.sdk for v in the_plan["sdks"].get(n, {}).get("due", [])]
    chosen = newest(due, args.newest) if args.newest else due
    if args.shard:
        chosen = shard(chosen, *args.shard)
    if args.dry_run:
        if args.json:
            print(json.dumps(the_plan, indent=1))
        else:
            print_plan(the_plan, chosen)
        return 0
    print_plan(the_plan, chosen)
    if not chosen:
        return 0
    work = args.work / (f"shard-{args.shard[0]}-of-{args.shard[1]}" if args.shard else "all")
    results = gate(chosen, examples=args.examples, seed=args.seed, work=work)
    remember_failures(json.loads(results.read_text(encoding="utf-8")), failures)
    if not args.shard:
        publish([results], index, out=args.out, work=args.work, command=command, the_plan=the_plan)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--sdk", action="append", choices=list(SDKS), help="limit to these SDKs")
    parser.add_argument("--examples", type=int, metavar="N", help="drawn cases a release (default 25)")
    parser.add_argument("--seed", type=int, metavar="S", help="one seed for all (default 1)")
    parser.add_argument(
        "--step", type=int, metavar="N", default=1, help="python, typescript: every N-th minor line's newest"
    )
    parser.add_argument("--newest", type=int, metavar="N", help="only the N newest due releases of each SDK")
    parser.add_argument(
        "--shard", type=parse_shard, metavar="I/N", help="gate shard I of N of the due releases"
    )
    parser.add_argument("--retry-failed", action="store_true", help="gate releases whose build failed before")
    parser.add_argument(
        "--redo-all", action="store_true", help="gate releases already in the published results"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan only")
    parser.add_argument("--json", action="store_true", help="--dry-run: the plan as JSON, with the CI matrix")
    parser.add_argument(
        "--plan", type=Path, metavar="FILE", help="the plan of a --dry-run --json (CI shards)"
    )
    parser.add_argument("--publish", type=Path, nargs="+", metavar="RESULTS", help="merge shards into --out")
    parser.add_argument("--render", action="store_true", help="draw the dashboard again from releases.json")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "sweep", help="default: docs/sweep")
    parser.add_argument("--work", type=Path, default=WORK, help=f"every run's reports (default {WORK})")
    return parser


if __name__ == "__main__":
    sys.exit(main())
