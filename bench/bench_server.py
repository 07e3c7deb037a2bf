"""Server runner benchmarks, each measured side by side in one run.

1. Wall time of `drun-conformance server --profile quick|default|thorough` on the embedded server.
2. Requests needed to cover every server MUST requirement with one ok and one failing id.
3. Kill rate and wall time on the mutant catalog: drun-conformance server against
   `schemathesis run --checks all` (but `positive_data_acceptance`, which flags the clean
   reference: an opaque cursor it never issued is rightly refused), both given what a user would
   give them: the deployment ids (to Schemathesis as an `enum` in a copy of spec/openapi.yaml)
   and the key header. Both also run on the clean reference server, where anything flagged is a
   false alarm.

    python bench/bench_server.py [--part profiles|cover|kills] [--schemathesis-examples N]
        [--only MUTANT ...] [--schemathesis-timeout S]

Every catalog's mutants (core, family, probes: tests/server_mutants.py), or `--only` these by
name. A Schemathesis run past `--schemathesis-timeout` (default 600 s) is stopped and counted
as not flagged, marked `timeout` (a faulty server that stalls can hold it for long).
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
from tests.mutant_kit import FaultInjector, Mutant  # noqa: E402
from tests.server_mutants import SERVER_MUTANTS  # noqa: E402

IDS = tuple(e.deployment_id for e in expected_outcomes())
MUST = {r.id for r in spec.load_catalog().on("server") if r.level == "MUST"}
_MOST = 80  # the cover search stops here


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
    for budget in range(1, _MOST + 1):
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
            print(f"  {budget} requests cover all {len(MUST)} MUST requirements")
            return
    print(f"  not covered within {_MOST} requests: missing {sorted(MUST - covered)}")


def openapi_with_ids(folder: Path) -> Path:
    """A copy of spec/openapi.yaml whose deployment_id is an enum of the scenario's ids, as a
    user would write to point Schemathesis at deployments that exist."""
    document = yaml.safe_load(spec.OPENAPI_PATH.read_text(encoding="utf-8"))
    document["components"]["parameters"]["DeploymentId"]["schema"] = {"type": "string", "enum": list(IDS)}
    path = folder / "openapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def kill_rates(examples: int, mutants: tuple[Mutant, ...], timeout: float) -> None:
    print(f"## mutant catalog: {len(mutants)} faulty servers; both tools given the {len(IDS)} deployment ids")
    tool = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    openapi = openapi_with_ids(Path(tempfile.mkdtemp(prefix="drun-bench-")))
    ours_killed = theirs_killed = 0
    ours_time = theirs_time = 0.0
    rows = []
    for mutant in (None, *mutants):
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
            flagged: bool | None = _schemathesis_flags(
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
                    # Its "schema-valid request rejected" flags the clean reference: a `page` cursor
                    # the server never issued is rightly a 400 (the SDKs document it); a user
                    # seeing that false alarm turns the check off.
                    "--exclude-checks",
                    "positive_data_acceptance",
                    "--max-examples",
                    str(examples),
                    "--seed",
                    "1",
                    "--workers",
                    "1",
                ],
                timeout,
            )
            theirs = time.perf_counter() - started
        name = "(clean reference)" if mutant is None else mutant.name
        caught = bool(failed) if mutant is None else mutant.requirement in failed
        if mutant is not None:
            ours_killed += caught
            theirs_killed += bool(flagged)
            ours_time += ours
            theirs_time += theirs
        rows.append((name, caught, ours, flagged, theirs))
    print(f"  {'mutant':34} {'drun':>5} {'s':>6} {'schemathesis':>13} {'s':>6}")
    for name, caught, ours, flagged, theirs in rows:
        theirs_said = "timeout" if flagged is None else "FLAG" if flagged else "-"
        verdicts = f"{'KILL' if caught else '-':>5} {ours:6.2f} {theirs_said:>13} {theirs:6.2f}"
        print(f"  {name:34} {verdicts}")
    clean = rows[0]
    print(
        f"  drun-conformance: {ours_killed}/{len(mutants)} killed in {ours_time:.1f} s; "
        f"false alarm on the clean reference: {'yes' if clean[1] else 'none'}"
    )
    print(
        f"  schemathesis run: {theirs_killed}/{len(mutants)} flagged in {theirs_time:.1f} s "
        f"(--checks all but positive_data_acceptance, --max-examples {examples}, ids as an enum,"
        " -H x-api-key); "
        f"false alarm on the clean reference: {'yes' if clean[3] else 'none'}"
    )
    print("  (a kill is the mutant's own requirement failed; a FLAG is any schemathesis failure)")


def _schemathesis_flags(command: list[str], timeout: float) -> bool | None:
    """Whether the run flagged anything (None: stopped at `timeout`)."""
    try:
        return subprocess.run(command, capture_output=True, check=False, timeout=timeout).returncode != 0
    except subprocess.TimeoutExpired:
        return None


def _mutants(names: list[str] | None) -> tuple[Mutant, ...]:
    if not names:
        return SERVER_MUTANTS
    every = {m.name: m for m in SERVER_MUTANTS}
    unknown = [n for n in names if n not in every]
    if unknown:
        raise SystemExit(f"no mutant named {', '.join(unknown)}")
    return tuple(every[n] for n in names)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schemathesis-examples", type=int, default=100)
    parser.add_argument("--part", choices=["profiles", "cover", "kills"], help="run one part (default: all)")
    parser.add_argument("--only", action="append", metavar="MUTANT", help="kills: these alone")
    parser.add_argument("--schemathesis-timeout", type=float, default=600.0, metavar="S")
    args = parser.parse_args()
    if args.part in (None, "profiles"):
        profiles()
    if args.part in (None, "cover"):
        requests_to_cover()
    if args.part in (None, "kills"):
        kill_rates(args.schemathesis_examples, _mutants(args.only), args.schemathesis_timeout)


if __name__ == "__main__":
    main()
