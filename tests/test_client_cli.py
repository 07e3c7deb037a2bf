"""`drun-conformance client`: exit status, the printed verdict, the reports, and no secret."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .client_mutants import CLIENT_MUTANTS, MISBEHAVING, faithful_command, misbehaving_command
from .conftest import drun_command, run_cli


def client(*args: str) -> tuple[int, str, str]:
    done = run_cli("client", "--examples", "5", "--seed", "3", *args)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


@pytest.mark.slow
def test_a_faithful_harness_is_conformant_and_the_reports_are_written(tmp_path: Path) -> None:
    status, out, err = client("--harness", faithful_command(), "--report-dir", str(tmp_path))
    assert status == 0, out + err
    assert "sdk:" in out and ": conformant" in out and "verdict: conformant" in out
    results = json.loads((tmp_path / "results.json").read_text())
    (target,) = results["targets"]
    assert target["kind"] == "client" and target["identity"]["name"] == "model-sdk"
    assert results["command"][:2] == ["drun-conformance", "client"] and "--seed" in results["command"]
    for name in ("report.html", "results.json", "junit.xml"):
        assert "drun-gate-test-key" not in (tmp_path / name).read_text(encoding="utf-8"), name


@pytest.mark.slow
def test_a_faulty_harness_exits_1_naming_the_requirement(tmp_path: Path) -> None:
    mutant = next(m for m in CLIENT_MUTANTS if m.name == "version-through-float")
    status, out, _ = client("--harness", mutant.command, "--report-dir", str(tmp_path))
    assert status == 1
    assert (
        "FAILED MUST   client.parse.int64: Received: 9007199254740992.0 / Expected: 9007199254740993" in out
    )
    results = json.loads((tmp_path / "results.json").read_text())
    int64 = next(r for r in results["targets"][0]["requirements"] if r["id"] == "client.parse.int64")
    example = int64["counterexample"]
    assert example["request"]["method"] == "POST" and example["answer"]["outcome"] == "ok"
    assert example["response"]["status"] == 200 and example["payload"]["agent"]["version"] == 2**53 + 1
    assert example["request"]["headers"]["x-api-key"] == "<redacted>"


@pytest.mark.slow
def test_an_edge_fault_is_reported_and_does_not_gate() -> None:
    mutant = next(m for m in CLIENT_MUTANTS if m.name == "crash-on-leap-second")
    status, out, _ = client("--harness", mutant.command)
    assert status == 0
    assert "FAILED EDGE   edge.timestamp.leap-second" in out


@pytest.mark.slow
def test_a_harness_that_cannot_start_exits_3() -> None:
    status, out, err = client("--harness", misbehaving_command("no-start"))
    assert status == 3, out + err
    assert "did not start" in out and "Traceback" not in err
    status, _, err = client("--harness", "/nonexistent/harness --flag")
    assert status == 3 and "could not start" in err + _


@pytest.mark.slow
def test_a_harness_that_hangs_is_a_finding_not_a_hang() -> None:
    status, out, err = client("--harness", misbehaving_command("hang"), "--timeout", "0.5", "--examples", "0")
    assert status == 1, out + err
    assert "client.harness.protocol" in out and "no answer to run within 0.5 s" in out
    assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([], "one of the arguments --sdk --harness is required"),
        (["--sdk", "python", "--harness", "x"], "not allowed with"),
        (["--sdk", "go@latest"], "'latest' is not a release number such as v2.15.0"),
        (["--sdk", "kotlin"], "the shipped harnesses are python, typescript, java, go"),
        (["--sdk", "go", "--sdk", "go"], "the same SDK release is named twice"),
        (["--sdk", "python@0.100.0"], "appeared in 0.109.0"),
        (["--sdk", "typescript@0.103.0"], "appeared in 0.104.0"),
        (["--sdk", "java@2.39.0"], "appeared in 2.40.0"),
        (["--sdk", "go@v1.49.0"], "appeared in v1.50.0"),
        (["--harness", faithful_command(), "--examples", "-1"], "argument --examples: must be at least 0"),
        (["--harness", faithful_command(), "--timeout", "0"], "argument --timeout: must be more than 0"),
        (["--harness", "'unclosed"], "--harness"),
    ],
)
def test_usage_errors_exit_2(args: list[str], words: str) -> None:
    done = run_cli("client", *args)
    assert done.returncode == 2, done.stderr
    assert words in done.stderr.decode()


def test_the_misbehaving_harness_is_a_real_file() -> None:
    assert MISBEHAVING.is_file() and shlex.split(misbehaving_command("die"))[0] == sys.executable


@pytest.mark.slow
def test_an_sdk_that_cannot_be_installed_is_unreached_with_reports(tmp_path: Path) -> None:
    env_path = tmp_path / "bin"
    env_path.mkdir()  # a PATH with no node and no npm
    done = subprocess.run(
        [*drun_command(), "client", "--sdk", "typescript", "--report-dir", str(tmp_path / "rep")],
        capture_output=True,
        timeout=120,
        env={**os.environ, "PATH": str(env_path), "DRUN_CACHE_DIR": str(tmp_path / "cache")},
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert b"needs Node.js" in done.stdout and b"Traceback" not in done.stderr
    results = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert results["targets"][0]["identity"]["reached"] is False
