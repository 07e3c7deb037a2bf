"""Server runner benchmarks, each measured side by side in one run.

1. Wall time of `drun-conformance server --profile quick|default|thorough` on the embedded server.
2. Requests needed to cover every server MUST requirement with one ok and one failing id.
3. Kill rate and wall time on the mutant catalog: drun-conformance server against
   `schemathesis run` with the same spec/openapi.yaml (and both on the clean reference).

    python bench/bench_server.py [--schemathesis-examples N]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from drun_conformance import spec  # noqa: E402
from drun_conformance.server._runner import ServerOptions, check_server  # noqa: E402
from drun_conformance.server.reference import DEFAULT_API_KEY, create_app, expected_outcomes, serve_in_thread  # noqa: E402
from tests.mutants import MUTANTS, FaultInjector  # noqa: E402

IDS = tuple(e.deployment_id for e in expected_outcomes())
MUST = {
    e["id"]
    for e in spec.load_requirements()["requirements"]
    if e["side"] == "server" and e["level"] == "MUST"
}


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


def kill_rates(examples: int) -> None:
    print(f"## mutant catalog: {len(MUTANTS)} faulty servers")
    tool = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
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
                    str(spec.OPENAPI_PATH),
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
    print(f"  drun-conformance: {ours_killed}/{len(MUTANTS)} killed in {ours_time:.1f} s")
    print(
        f"  schemathesis run: {theirs_killed}/{len(MUTANTS)} flagged in {theirs_time:.1f} s "
        f"(--checks all, --max-examples {examples})"
    )
    print("  (a FLAG on the clean reference is a false alarm; schemathesis' verdicts name no requirement)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schemathesis-examples", type=int, default=100)
    args = parser.parse_args()
    profiles()
    requests_to_cover()
    kill_rates(args.schemathesis_examples)


if __name__ == "__main__":
    main()
