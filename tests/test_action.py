"""The GitHub Action (action.yml), run here: its own scripts, step by step, with a faked GitHub
environment (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_WORKSPACE, GITHUB_ACTION_PATH), as the
runner runs a composite action's `shell: bash` steps. The steps that `uses:` another action
(setup-python, upload-artifact...) are GitHub's; here, which of them would run is checked.

The target is the model SDK harness (tests/harnesses/model_sdk.py), faithful or with a fault.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

from .client_mutants import CLIENT_MUTANTS, faithful_command

pytestmark = pytest.mark.slow  # every step runs in bash

ACTION: dict[str, Any] = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
STEPS = {step.get("id"): step for step in ACTION["runs"]["steps"]}
INT64 = next(m for m in CLIENT_MUTANTS if m.name == "version-through-float")
EXPRESSION = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")


def run_step(step_id: str, workspace: Path, **inputs: str) -> tuple[int, dict[str, str], str]:
    """Run one `run:` step as the runner does; (exit status, its outputs, the job summary)."""
    step = STEPS[step_id]
    given = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()} | inputs
    env = {name: EXPRESSION.sub(lambda m: given[m[1]], value) for name, value in step.get("env", {}).items()}
    assert not any("${{" in value for value in env.values()) and "${{" not in step["run"], "inputs only"
    output, summary = workspace / "github_output", workspace / "step_summary"
    output.touch()
    summary.touch()
    bin_dir = str(Path(sys.executable).parent)  # drun-conformance, as the Install step leaves it
    github = {
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(REPO),
        "GITHUB_ACTIONS": "true",
        "PATH": bin_dir + os.pathsep + os.environ["PATH"],
    }
    script = workspace / f"{step_id}.sh"
    script.write_text(step["run"], encoding="utf-8")
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=workspace,
        env={**os.environ, **env, **github},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return done.returncode, outputs, summary.read_text() + done.stdout + done.stderr


def test_the_gate_step_fails_on_a_fault_and_the_summary_step_tables_it(tmp_path: Path) -> None:
    status, outputs, _ = run_step("gate", tmp_path, harness=INT64.command, examples="10", seed="7")
    assert status == 1 and outputs == {"exit-code": "1"}
    assert sorted(p.name for p in (tmp_path / "drun-report").iterdir()) == [
        "junit.xml",
        "report.html",
        "results.json",
    ]

    status, _, summary = run_step("summary", tmp_path)
    assert status == 0
    assert summary.startswith("## drun-conformance: Non-conformant, gate failed\n")
    assert "--examples 10 --report-dir drun-report --harness" in summary and "--seed 7" in summary
    assert "| target | verdict | gate | passed | failed | skipped | errored |" in summary
    assert re.search(
        r"\| `sdk:[^|]*--fault version-through-float` \| non-conformant \| failed \| \d+ \| 2 \|", summary
    )
    assert "### Failures" in summary
    assert re.search(
        r"\| `client\.parse\.int64` \| MUST \| no \| Received: 9007199254740992\.0 / Expected", summary
    )
    # A float is no integer type either.
    assert re.search(r"\| `client\.parse\.version-type` \| MUST \| no \| Received: \"float\"", summary)


def test_a_passing_gate_summarises_as_conformant(tmp_path: Path) -> None:
    status, outputs, _ = run_step("gate", tmp_path, harness=faithful_command(), examples="5", strict="true")
    assert status == 0 and outputs == {"exit-code": "0"}
    status, _, summary = run_step("summary", tmp_path)
    assert (
        summary.startswith("## drun-conformance: Conformant, gate passed\n") and "### Failures" not in summary
    )
    assert "--strict" in summary


def test_the_summary_says_when_the_gate_wrote_nothing(tmp_path: Path) -> None:
    status, _, summary = run_step("summary", tmp_path)
    assert status == 0 and "## drun-conformance: no results" in summary


@pytest.mark.parametrize(
    ("sdk", "toolchains"),
    [
        ("python@.", set()),
        ("typescript@./pkg.tgz", {"node"}),
        ("java@3.17.0", {"java"}),
        ("go@v2.18.0", {"go"}),
    ],
)
def test_only_the_toolchain_the_sdk_needs_is_set_up(sdk: str, toolchains: set[str], tmp_path: Path) -> None:
    status, outputs, _ = run_step("toolchain", tmp_path, sdk=sdk)
    assert status == 0 and {name for name, value in outputs.items() if value == "true"} == toolchains
    # Each setup step runs on its toolchain's output, Python's always.
    conditions = {
        step["uses"].split("@")[0]: step.get("if") for step in ACTION["runs"]["steps"] if "uses" in step
    }
    assert conditions["actions/setup-python"] is None
    assert conditions["actions/setup-node"] == "steps.toolchain.outputs.node == 'true'"
    assert conditions["actions/setup-java"] == "steps.toolchain.outputs.java == 'true'"
    assert conditions["actions/setup-go"] == "steps.toolchain.outputs.go == 'true'"
    assert conditions["actions/upload-artifact"] == "${{ !cancelled() }}"  # the report, even on failure
    assert STEPS["summary"]["if"] == "${{ !cancelled() }}"


@pytest.mark.parametrize(
    "inputs", [{"sdk": "cobol@1"}, {}, {"sdk": "python@.", "harness": "x"}], ids=["unknown", "none", "both"]
)
def test_a_wrong_target_is_refused_before_anything_is_installed(
    inputs: dict[str, str], tmp_path: Path
) -> None:
    status, _, said = run_step("toolchain", tmp_path, **inputs)
    assert status == 2 and "::error title=drun-conformance::" in said


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("expectations", "absent.yaml", "--expectations: no such file: absent.yaml"),
        ("baseline", "cobol@1", "--baseline 'cobol@1': the shipped harnesses are"),
    ],
)
def test_the_baseline_and_expectations_inputs_reach_the_gate(
    flag: str, value: str, words: str, tmp_path: Path
) -> None:
    status, outputs, said = run_step("gate", tmp_path, harness=faithful_command(), **{flag: value})
    assert status == 2 and outputs == {"exit-code": "2"} and words in said
