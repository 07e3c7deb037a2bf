"""Server runner benchmarks, each measured side by side in one run.

1. Wall time of `drun-conformance server --profile quick|default|thorough` on the embedded server.
2. Requests needed to cover every server MUST requirement with one ok and one failing id.
3. Kill rate and wall time on the mutant catalog: drun-conformance server against
   `schemathesis run --checks all`, both given what a user would give them: the deployment ids
   (to Schemathesis as an `enum` in a copy of spec/openapi.yaml) and the key header. Both also
   run on the clean reference server, where anything flagged is a false alarm.

    python bench/bench_server.py [--part profiles|cover|kills] [--schemathesis-examples N]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from drun_conformance import spec  # noqa: E402
from drun_conformance.server import ServerOptions, check_server  # noqa: E402
from drun_conformance.server.reference import DEFAULT_API_KEY, create_app, expected_outcomes, serve_in_thread  # noqa: E402
from tests.mutants import MUTANTS, FaultInjector  # noqa: E402

IDS = tuple(e.deployment_id for e in expected_outcomes())
MUST = {r.id for r in spec.load_catalog().on("server") if r.level == "MUST"}


def profiles() -> None:
    print("## wall time per profile, embedded server (3 runs each, best)")
    command = [sys.executable, "-m", "drun_conformance", "server", "--seed", "1", "--profile"]
    for profile in ("quick", "default", "thorough"):
        best = min(_timed([*command, profile]) for _ in range(3))
        print(f"  {profile:9} {best:6.2f} s")


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False, cwd=REPO)
    return time.perf_counter() - started


def requests_to_cover() -> None:
    print("## requests to cover every server MUST requirement (ids: depl_ok, depl_vault_archived_error)")
    ids = ("depl_ok", "depl_vault_archived_error")
    for budget in range(1, 16):
        with serve_in_thread() as url:
            result = check_server(
                ServerOptions(
                    base_url=url,
                    api_key=DEFAULT_API_KEY,
                    deployment_ids=ids,
                    max_requests=budget,
                    profile="quick",
                    seed=1,
                )
            )
        covered = {r.id for r in result.requirements if r.status == "passed" and r.id in MUST}
        if covered == MUST:
            print(f"  {budget} requests cover all {len(MUST)} MUST requirements (target: 8 or fewer)")
            return
    print(f"  not covered within 15 requests: missing {sorted(MUST - covered)}")


def openapi_with_ids(folder: Path) -> Path:
    """A copy of spec/openapi.yaml whose deployment_id is an enum of the scenario's ids, as a
    user would write to point Schemathesis at deployments that exist."""
    document = yaml.safe_load(spec.OPENAPI_PATH.read_text(encoding="utf-8"))
    document["components"]["parameters"]["DeploymentId"]["schema"] = {"type": "string", "enum": list(IDS)}
    path = folder / "openapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def kill_rates(examples: int) -> None:
    print(f"## mutant catalog: {len(MUTANTS)} faulty servers; both tools given the {len(IDS)} deployment ids")
    tool = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    openapi = openapi_with_ids(Path(tempfile.mkdtemp(prefix="drun-bench-")))
    ours_killed = theirs_killed = 0
    ours_time = theirs_time = 0.0
    rows = []
    for mutant in (None, *MUTANTS):
        app = create_app() if mutant is None else FaultInjector(create_app(), mutant)
        with serve_in_thread(app) as url:
            started = time.perf_counter()
            result = check_server(
                ServerOptions(
                    base_url=url, api_key=DEFAULT_API_KEY, deployment_ids=IDS, profile="default", seed=1
                )
            )
            ours = time.perf_counter() - started
            failed = {r.id for r in result.requirements if r.status == "failed"}
        with serve_in_thread(create_app() if mutant is None else FaultInjector(create_app(), mutant)) as url:
            started = time.perf_counter()
            st = subprocess.run(
                [
                    tool,
                    "run",
                    str(openapi),
                    "--url",
                    url,
                    "-H",
                    f"x-api-key: {DEFAULT_API_KEY}",
                    "--checks",
                    "all",
                    "--max-examples",
                    str(examples),
                    "--seed",
                    "1",
                    "--workers",
                    "1",
                ],
                capture_output=True,
                check=False,
            )
            theirs = time.perf_counter() - started
        name = "(clean reference)" if mutant is None else mutant.name
        caught = bool(failed) if mutant is None else mutant.requirement in failed
        flagged = st.returncode != 0
        if mutant is not None:
            ours_killed += caught
            theirs_killed += flagged
            ours_time += ours
            theirs_time += theirs
        rows.append((name, caught, ours, flagged, theirs))
    print(f"  {'mutant':34} {'drun':>5} {'s':>6} {'schemathesis':>13} {'s':>6}")
    for name, caught, ours, flagged, theirs in rows:
        verdicts = (
            f"{'KILL' if caught else '-':>5} {ours:6.2f} {'FLAG' if flagged else '-':>13} {theirs:6.2f}"
        )
        print(f"  {name:34} {verdicts}")
    clean = rows[0]
    print(
        f"  drun-conformance: {ours_killed}/{len(MUTANTS)} killed in {ours_time:.1f} s; "
        f"false alarm on the clean reference: {'yes' if clean[1] else 'none'}"
    )
    print(
        f"  schemathesis run: {theirs_killed}/{len(MUTANTS)} flagged in {theirs_time:.1f} s "
        f"(--checks all, --max-examples {examples}, ids as an enum, -H x-api-key); "
        f"false alarm on the clean reference: {'yes' if clean[3] else 'none'}"
    )
    print("  (a kill is the mutant's own requirement failed; a FLAG is any schemathesis failure)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schemathesis-examples", type=int, default=100)
    parser.add_argument("--part", choices=["profiles", "cover", "kills"], help="run one part (default: all)")
    args = parser.parse_args()
    if args.part in (None, "profiles"):
        profiles()
    if args.part in (None, "cover"):
        requests_to_cover()
    if args.part in (None, "kills"):
        kill_rates(args.schemathesis_examples)


if __name__ == "__main__":
    main()
