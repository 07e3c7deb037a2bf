"""`pytest --drun-proxy URL`: an existing suite, run through the proxy, ends with the report."""

from __future__ import annotations

import json

import pytest

from drun_conformance.server.reference import DEFAULT_API_KEY, create_app, serve_in_thread

from .mutants import MUTANTS, FaultInjector

pytestmark = pytest.mark.slow

pytest_plugins = ["pytester"]

# A user's suite: it builds its client from the environment, as the SDKs do by default.
USER_SUITE = f"""
import os
import httpx

HEADERS = {{"x-api-key": "{DEFAULT_API_KEY}", "anthropic-beta": "managed-agents-2026-04-01",
           "anthropic-version": "2023-06-01", "user-agent": "user-suite/1.0"}}

def test_runs_now():
    answer = httpx.post(os.environ["ANTHROPIC_BASE_URL"] + "/v1/deployments/depl_ok/run", headers=HEADERS)
    assert answer.status_code == 200

def test_lists_two_a_page():
    base = os.environ["TEST_API_BASE_URL"]
    page = httpx.get(base + "/v1/deployment_runs", params={{"limit": 2}}, headers=HEADERS).json()
    while page["next_page"]:
        page = httpx.get(base + "/v1/deployment_runs", params={{"limit": 2, "page": page["next_page"]}},
                         headers=HEADERS).json()

def test_the_fixture(drun_proxy):
    assert drun_proxy.base_url == os.environ["ANTHROPIC_BASE_URL"]
"""


def test_a_suite_through_the_proxy_ends_with_the_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_SUITE)
    report = pytester.path / "report"
    with serve_in_thread(create_app()) as url:
        flags = ("--drun-proxy", url, "--drun-report-dir", str(report))
        strict = pytester.runpytest_subprocess(*flags)
        result = pytester.runpytest_subprocess(*flags, "--drun-allow-incomplete")
    # The suite's runs all succeed: what only a failed run shows stays unexercised, so the
    # verdict is incomplete, which fails the session unless allowed.
    strict.assert_outcomes(passed=3)
    assert strict.ret == 1
    result.assert_outcomes(passed=3)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["*drun-conformance proxy*", "verdict: incomplete (* requests forwarded, none added)"]
    )
    results = json.loads((report / "results.json").read_text())
    assert [t["id"] for t in results["targets"]] == [f"server:{url}", "client:user-suite/1.0"]
    passed = {r["id"] for r in results["targets"][0]["requirements"] if r["status"] == "passed"}
    assert {"run.outcome.exactly-one", "listing.walk.no-repeat", "listing.page.limit"} <= passed
    assert DEFAULT_API_KEY not in (report / "report.html").read_text()


def test_a_faulty_server_fails_the_session_though_every_test_passed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_SUITE)
    failing = next(m for m in MUTANTS if m.name == "both-outcomes")
    with serve_in_thread(FaultInjector(create_app(), failing)) as url:
        result = pytester.runpytest_subprocess("--drun-proxy", url)
    result.assert_outcomes(passed=3)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["verdict: non-conformant*", "*FAILED MUST run.outcome.exactly-one*"])


def test_without_the_option_the_fixture_skips_and_nothing_starts(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(drun_proxy):\n    pass\n")
    result = pytester.runpytest_subprocess("-rs")
    result.assert_outcomes(skipped=1)
    assert "drun-conformance proxy" not in result.stdout.str()


def test_a_bad_url_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--drun-proxy", "ftp://nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--drun-proxy" in result.stderr.str()
