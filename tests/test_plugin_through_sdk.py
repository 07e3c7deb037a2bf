"""`--drun-through-sdk NAME` (ini `drun_through_sdk`): each server target's run-now answers read
again by a shipped SDK harness, one `reads:NAME:SERVER` target each, judged on the client-parse
requirements only; a bad value is a usage error naming the option. Collection and options run
in-process and contact nothing; the one live run is marked slow."""

from __future__ import annotations

import json

import pytest

from drun_conformance import spec

pytest_plugins = ["pytester"]

DUMP = """
import json
from pathlib import Path

def test_dump(drun_settings):
    Path("settings.json").write_text(json.dumps(list(drun_settings.through_sdks)))
"""


@pytest.mark.parametrize("where", ["flag", "ini"])
def test_the_option_by_flag_and_by_ini_key(pytester: pytest.Pytester, where: str) -> None:
    pytester.makepyfile(test_dump=DUMP)
    if where == "flag":
        result = pytester.runpytest(
            "-k", "test_dump", "--drun-through-sdk", "python", "--drun-through-sdk", "java@3.14.0"
        )
    else:
        pytester.makeini("[pytest]\ndrun_through_sdk = python java@3.14.0")
        result = pytester.runpytest("-k", "test_dump")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str() + result.stderr.str()
    assert json.loads((pytester.path / "settings.json").read_text()) == ["python", "java@3.14.0"]


def test_each_server_target_gets_a_reads_target_per_sdk_judged_on_the_parse(
    pytester: pytest.Pytester,
) -> None:
    args = ["--drun-target", "embedded", "--drun-target", "http://127.0.0.1:9", "--drun-sdk", "python"]
    result = pytester.runpytest(*args, "--drun-through-sdk", "python", "--collect-only", "-q")
    by_target: dict[str, list[str]] = {}
    for line in result.stdout.lines:
        if line.startswith("drun::"):
            _, target, requirement = line.split("::")
            by_target.setdefault(target, []).append(requirement)
    parse = [r.id for r in spec.load_catalog().on("client-parse")]
    assert by_target["reads:python:embedded"] == parse
    assert by_target["reads:python:http://127.0.0.1:9"] == parse
    assert list(by_target) == [
        "server:embedded",
        "server:http://127.0.0.1:9",
        "sdk:python",
        "reads:python:embedded",
        "reads:python:http://127.0.0.1:9",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("selected", ["both", "reads only"])
def test_the_reference_servers_answers_read_clean_by_python(pytester: pytest.Pytester, selected: str) -> None:
    """With the server target deselected (-k reads), its check still runs, unreported, to
    give the reading its answers."""
    args = ["--drun-target", "embedded", "--drun-profile", "quick", "--drun-through-sdk", "python"]
    args += ["--drun-report-dir", "out", "-p", "no:cacheprovider"]
    if selected == "reads only":
        args += ["-k", "reads"]
    # A process of its own: run in this one, the check would import httpcore for the first time
    # and pytester's sys.modules restore would drop it, leaving httpx's exception map stale.
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    targets = json.loads((pytester.path / "out" / "results.json").read_text())["targets"]
    reads = targets[-1]
    assert len(targets) == (2 if selected == "both" else 1)
    assert reads["id"] == "reads:python" and reads["identity"]["reads"] == "server:embedded"
    assert reads["identity"]["answers"] > 0 and reads["verdict"] == "conformant"
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] >= 1 and "failed" not in outcomes


def test_help_lists_the_flag_and_its_ini_key(pytester: pytest.Pytester) -> None:
    text = pytester.runpytest("--help").stdout.str()
    group = text[text.index("conformance of Run Deployment Now (drun-conformance):") :]
    assert "--drun-through-sdk" in group and "drun_through_sdk " in text
