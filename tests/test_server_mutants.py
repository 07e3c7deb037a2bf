"""The suite proves its power: each faulty server is caught by its requirement, and only by it;
the reference server passes clean."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from drun_conformance import spec
from drun_conformance.server import ServerOptions, check_server
from drun_conformance.server.reference import DEFAULT_API_KEY, create_app, expected_outcomes, serve_in_thread

from ._reference import HEADERS
from .conftest import REPO, run_cli
from .mutant_kit import FaultInjector, Mutant
from .server_mutants import SERVER_MUTANTS as MUTANTS  # every catalog: core, family, probes

IDS = tuple(e.deployment_id for e in expected_outcomes())
SERVER_REQUIREMENTS = {r.id for r in spec.load_catalog().on("server")}


def _failed(base_url: str, profile: str = "quick") -> set[str]:
    options = ServerOptions(
        base_url=base_url, api_key=DEFAULT_API_KEY, deployment_ids=IDS, profile=profile, seed=7
    )
    result = check_server(options)
    assert result.identity["reached"]
    return {r.id for r in result.requirements if r.status == "failed"}


@pytest.fixture
def mutant_url(request: pytest.FixtureRequest) -> Iterator[str]:
    with serve_in_thread(FaultInjector(create_app(), request.param)) as url:
        yield url


def test_every_server_requirement_is_backed_by_a_mutant() -> None:
    assert SERVER_REQUIREMENTS - {m.requirement for m in MUTANTS} == set()
    assert len(MUTANTS) >= 24 and len({m.name for m in MUTANTS}) == len(MUTANTS)


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["quick", "default"])
def test_the_reference_server_passes_clean(profile: str) -> None:
    with serve_in_thread() as url:
        assert _failed(url, profile) == set()


@pytest.mark.slow
@pytest.mark.parametrize("mutant_url", MUTANTS, ids=lambda m: m.name, indirect=True)
def test_each_mutant_is_caught_by_its_requirement_only(
    mutant_url: str, request: pytest.FixtureRequest
) -> None:
    mutant: Mutant = request.node.callspec.params["mutant_url"]
    failed = _failed(mutant_url)
    assert mutant.requirement in failed, f"{mutant.name} escaped: failed {sorted(failed)}"
    assert failed - {mutant.requirement} <= mutant.also, (
        f"{mutant.name} also broke {sorted(failed - mutant.also)}"
    )


@pytest.mark.slow
def test_the_cli_names_the_requirement_and_exits_1(tmp_path: Path) -> None:
    mutant = next(m for m in MUTANTS if m.name == "both-outcomes")
    with serve_in_thread(FaultInjector(create_app(), mutant)) as url:
        args = ["server", "--base-url", url, "--api-key", DEFAULT_API_KEY, "--profile", "quick"]
        args += [a for i in IDS[:3] for a in ("--deployment-id", i)]
        result = run_cli(*args, "--report-dir", str(tmp_path))
    assert result.returncode == 1, result.stderr
    assert b"FAILED MUST   run.outcome.exactly-one" in result.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["verdict"] == "non-conformant"
    for name in ("report.html", "results.json", "junit.xml"):
        assert DEFAULT_API_KEY not in (tmp_path / name).read_text(), name


@pytest.mark.slow
def test_the_default_target_covers_every_server_requirement_and_every_error_type() -> None:
    result = check_server(ServerOptions(seed=3))
    assert result.verdict == "conformant"
    assert {r.id: r.status for r in result.requirements if r.status != "passed"} == {}
    assert set(result.coverage["error_types"].values()) == {"observed"}
    assert len(result.coverage["error_types"]) == 16
    assert result.coverage["triggers"] == {"schedule": "observed", "manual": "observed"}


@pytest.mark.slow
def test_the_server_command_on_the_embedded_default_exits_0(tmp_path: Path) -> None:
    result = run_cli("server", "--report-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    target = json.loads((tmp_path / "results.json").read_text())["targets"][0]
    assert target["verdict"] == "conformant" and target["requests"] <= 300


@pytest.mark.slow
def test_one_mutant_is_served_for_a_person_to_point_a_tool_at() -> None:
    """`python -m tests.server_mutants NAME` serves that fault, here one only an SDK misreads."""
    command = [sys.executable, "-m", "tests.server_mutants", "version-past-int32"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split(" at ")[1].split(",")[0]
        answer = httpx.post(f"{url}/v1/deployments/depl_ok/run", headers=HEADERS, timeout=10)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert line.startswith("version-past-int32 (client.parse.int64) at http://127.0.0.1:"), line
    assert answer.status_code == 200 and answer.json()["agent"]["version"] > 2**31 - 1
    refused = subprocess.run([*command[:-1], "no-such-mutant"], cwd=REPO, capture_output=True, text=True)
    assert refused.returncode == 1 and "usage: python -m tests.server_mutants NAME" in refused.stderr
