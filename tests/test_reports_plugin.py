"""The pytest plugin, driven with pytester: items, outcomes, options, and the report written.

The plugin's results come through its `pytest_drun_results` hook, implemented here by a
conftest.py that returns RunResults built by hand (tests/_report_data.py), so every outcome
mapping is exercised without a live target; one slow test runs the real embedded server.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from drun_conformance import spec
from drun_conformance.results import RunResults
from tests._report_data import BASE_URL, SECRET, embedded_server, four_targets, judged, one_target

pytest_plugins = ["pytester"]

TARGET_FLAGS = [
    "--drun-target",
    "embedded",
    "--drun-target",
    BASE_URL,
    "--drun-sdk",
    "python",
    "--drun-sdk",
    "typescript",
]
CONFTEST = """
from pathlib import Path

from drun_conformance.results import RunResults


def pytest_drun_results(config, targets):
    with Path(__file__).with_name("calls.txt").open("a") as calls:
        calls.write(" ".join(t.id for t in targets) + "\\n")
    fed = RunResults.model_validate_json(Path(__file__).with_name("fed.json").read_text())
    asked = [t.id for t in targets]  # only the targets with a selected item are asked for
    return fed.model_copy(update={"targets": [t for t in fed.targets if t.id in asked]})
"""


def _feed(pytester: pytest.Pytester, results: RunResults) -> None:
    pytester.makeconftest(CONFTEST)
    (pytester.path / "fed.json").write_text(results.model_dump_json())


def _sides(*sides: str) -> list[str]:
    return [r.id for r in spec.load_catalog().on(*sides)]


def test_inactive_without_a_target(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one(): pass")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert "drun-conformance:" not in result.stdout.str()  # no header line, no summary section
    assert "= drun-conformance =" not in result.stdout.str()


def test_options_in_one_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    text = result.stdout.str()
    group = text[text.index("conformance of Run Deployment Now (drun-conformance):") :]
    for option in (
        "--drun-target",
        "--drun-sdk",
        "--drun-max-requests",
        "--drun-report-dir",
        "--drun-api-key",
        "--drun-strict",
    ):
        assert option in group
    assert SECRET not in text


def test_one_item_per_requirement_per_target(pytester: pytest.Pytester) -> None:
    _feed(pytester, four_targets())
    result = pytester.runpytest("--collect-only", "-q", *TARGET_FLAGS)
    ids = [line for line in result.stdout.lines if line.startswith("drun::")]
    server, client = _sides("server"), _sides("client-request", "client-parse")
    assert ids == [
        *(f"drun::server:embedded::{r}" for r in server),
        *(f"drun::server:{BASE_URL}::{r}" for r in server),
        *(f"drun::sdk:python::{r}" for r in client),
        *(f"drun::sdk:typescript::{r}" for r in client),
    ]
    assert not (pytester.path / "calls.txt").exists()  # collecting does not run the suite


def test_outcomes_map_honestly(pytester: pytest.Pytester) -> None:
    results = four_targets()
    _feed(pytester, results)
    result = pytester.runpytest("-rA", *TARGET_FLAGS)
    counts = {"passed": 0, "skipped": 0, "errored": 0}
    for target in results.targets:
        for requirement in target.requirements:
            if requirement.status in counts and requirement.id in _sides(
                "server", "client-request", "client-parse"
            ):
                counts[requirement.status] += 1
    # MUST failures fail; a SHOULD (not --drun-strict) and an EDGE failure are xfailed, not passed.
    result.assert_outcomes(
        passed=counts["passed"], failed=2, xfailed=2, skipped=counts["skipped"], errors=counts["errored"]
    )
    out = result.stdout.str()
    assert f"FAILED drun::server:{BASE_URL}::run.outcome.exactly-one" in out
    assert "counterexample: run.outcome.exactly-one" in out and "expected:" in out  # the longrepr
    assert f"XFAIL drun::server:{BASE_URL}::http.unknown-deployment.404" in out
    assert "SHOULD: gating only with --drun-strict" in out
    assert "budget spent: --max-requests 10" in out  # the skip's reason
    assert "read-back failed: connection reset" in out  # the error's reason
    assert "reported without a test item: sdk:python::client.parse.version-exact" in out
    assert SECRET not in out
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_strict_makes_should_failures_fail(pytester: pytest.Pytester) -> None:
    _feed(pytester, four_targets())
    result = pytester.runpytest("--drun-strict", *TARGET_FLAGS)
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 3 and outcomes["xfailed"] == 1  # the EDGE one never gates


def test_k_selects_and_the_suite_runs_once(pytester: pytest.Pytester) -> None:
    _feed(pytester, four_targets())
    result = pytester.runpytest("-k", "outcome or leap", *TARGET_FLAGS)
    # outcome: passed on embedded, failed on staging; leap second: xfailed on python, passed on TS
    result.assert_outcomes(passed=2, failed=1, xfailed=1)
    calls = (pytester.path / "calls.txt").read_text().splitlines()
    assert calls == [f"server:embedded server:{BASE_URL} sdk:python sdk:typescript"]


def test_report_written_without_the_key(pytester: pytest.Pytester) -> None:
    _feed(pytester, four_targets())
    report = pytester.path / "drun-report"
    pytester.runpytest("--drun-report-dir", str(report), "--drun-api-key", SECRET, *TARGET_FLAGS)
    assert sorted(p.name for p in report.iterdir()) == ["junit.xml", "report.html", "results.json"]
    for path in report.iterdir():
        assert SECRET not in path.read_text(), path.name
    assert json.loads((report / "results.json").read_text())["verdict"] == "non-conformant"


def test_an_incomplete_run_fails_even_when_nothing_failed(pytester: pytest.Pytester) -> None:
    target = embedded_server()
    for requirement in target.requirements:
        requirement.status, requirement.reason = "skipped", "not reached"
    _feed(pytester, one_target(judged(target)))
    result = pytester.runpytest("--drun-target", "embedded")
    result.assert_outcomes(skipped=len(target.requirements))
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "verdict: incomplete" in result.stdout.str()


def test_a_run_that_cannot_produce_results_errors_every_item(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "def pytest_drun_results(config, targets):\n"
        "    from drun_conformance import TargetUnreachable\n"
        "    raise TargetUnreachable('connection refused')\n"
    )
    result = pytester.runpytest("--drun-target", "https://down.example.test")
    result.assert_outcomes(errors=len(_sides("server")))
    assert "TargetUnreachable: connection refused" in result.stdout.str()


def test_bad_options_are_usage_errors(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--drun-target", "embedded", "--drun-max-requests", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--drun-max-requests must be at least 1" in result.stderr.str()


def _modules_after_pytest(tmp_path: Path, *plugin_flags: str) -> set[str]:
    """The top-level modules a fresh pytest process holds after running one empty test."""
    (tmp_path / "test_one.py").write_text("def test_one():\n    pass\n")
    (tmp_path / "conftest.py").write_text(
        "import sys\n"
        "def pytest_sessionfinish(session):\n"
        "    with open('modules.txt', 'w') as out:\n"
        "        out.write('\\n'.join(sorted({m.partition('.')[0] for m in sys.modules})))\n"
    )
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin_flags]
    subprocess.run(argv, cwd=tmp_path, capture_output=True, check=True)
    return set((tmp_path / "modules.txt").read_text().split())


@pytest.mark.slow
def test_the_idle_plugin_imports_only_the_standard_library(tmp_path: Path) -> None:
    without = _modules_after_pytest(tmp_path, "-p", "no:drun")
    with_plugin = _modules_after_pytest(tmp_path)
    assert "drun_conformance" in with_plugin and "drun_conformance" not in without
    added = with_plugin - without - {"drun_conformance"}
    assert not added - sys.stdlib_module_names, f"the idle plugin imported {sorted(added)}"


@pytest.mark.slow
def test_the_real_embedded_server(pytester: pytest.Pytester) -> None:
    report = pytester.path / "report"
    result = pytester.runpytest_subprocess("--drun-target", "embedded", "--drun-report-dir", str(report))
    result.assert_outcomes(passed=len(_sides("server")))
    assert "verdict: conformant" in result.stdout.str()
    assert (report / "report.html").is_file()


def test_a_known_failure_is_xfailed_with_its_reason(pytester: pytest.Pytester) -> None:
    results = four_targets()
    live = results.targets[1]
    for requirement in live.requirements:
        if requirement.status == "failed":
            requirement.expected = "tracked upstream"
    _feed(pytester, results)
    result = pytester.runpytest("-rx", "-k", "staging", *TARGET_FLAGS)
    outcomes = result.parseoutcomes()
    assert "failed" not in outcomes and outcomes["xfailed"] == 3
    assert "known failure (tracked upstream)" in result.stdout.str()
