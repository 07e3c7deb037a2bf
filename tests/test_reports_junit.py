"""junit.xml: one testsuite per target, one testcase per requirement, parsed by junitparser."""

from __future__ import annotations

from pathlib import Path

from junitparser import Error, Failure, JUnitXml, Skipped

from drun_conformance.reports import write_reports
from tests._report_data import SECRET, four_targets


def _suites(path: Path) -> dict[str, object]:
    xml = JUnitXml.fromfile(str(path))
    return {suite.name: suite for suite in xml}


def test_one_suite_per_target_and_one_case_per_requirement(tmp_path: Path) -> None:
    results = four_targets()
    write_reports(results, tmp_path, secrets=[SECRET])
    xml = JUnitXml.fromfile(str(tmp_path / "junit.xml"))
    suites = {suite.name: suite for suite in xml}
    assert list(suites) == [t.id for t in results.targets]
    for target in results.targets:
        suite = suites[target.id]
        cases = list(suite)
        assert [(c.classname, c.name) for c in cases] == [(target.id, r.id) for r in target.requirements]
        counts = target.counts()
        assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (
            len(target.requirements),
            counts["failed"],
            counts["errored"],
            counts["skipped"],
        )


def test_outcomes_carry_message_counterexample_and_reason(tmp_path: Path) -> None:
    write_reports(four_targets(), tmp_path, secrets=[SECRET])
    suite = _suites(tmp_path / "junit.xml")["server:https://staging.example.test"]
    cases = {c.name: c for c in suite}  # type: ignore[attr-defined]

    (failure,) = cases["run.outcome.exactly-one"].result
    assert isinstance(failure, Failure)
    assert failure.type == "MUST" and failure.message == "MUST: session_id and error both set"
    assert "counterexample: run.outcome.exactly-one" in failure.text
    assert "expected:" in failure.text and "agent_archived_error" in failure.text
    assert "curl -sS -i -X POST" in failure.text and SECRET not in failure.text

    (skip,) = cases["run.id.unique"].result
    assert isinstance(skip, Skipped) and skip.message == "budget spent: --max-requests 10"

    (error,) = cases["http.auth.no-run"].result
    assert isinstance(error, Error) and error.message == "read-back failed: connection reset"

    assert cases["run.id.prefix"].result == []  # passed


def test_a_partial_run_adds_an_error_to_every_suite(tmp_path: Path) -> None:
    write_reports(four_targets(partial=True), tmp_path)
    for suite in _suites(tmp_path / "junit.xml").values():
        cases = {c.name: c for c in suite}  # type: ignore[attr-defined]
        (error,) = cases["drun.run-complete"].result
        assert isinstance(error, Error) and "cut short" in (error.message or "")


def test_control_characters_from_a_target_keep_the_xml_readable(tmp_path: Path) -> None:
    results = four_targets()
    requirement = results.targets[1].requirements[0]
    requirement.status, requirement.message = "failed", "body had \x00\x1b[31m bytes"
    write_reports(results, tmp_path)
    suite = _suites(tmp_path / "junit.xml")["server:https://staging.example.test"]
    case = next(iter(suite))  # type: ignore[call-overload]
    assert "\\x00\\x1b[31m" in case.result[0].message


def test_a_known_failure_is_skipped_with_its_listed_reason(tmp_path: Path) -> None:
    results = four_targets()
    sdk = next(t for t in results.targets if t.id == "sdk:typescript")
    known = next(r for r in sdk.requirements if r.id == "client.parse.version-exact")
    known.expected = "JavaScript numbers lose int64 precision"
    write_reports(results, tmp_path)
    cases = {c.name: c for c in _suites(tmp_path / "junit.xml")["sdk:typescript"]}  # type: ignore[attr-defined]
    (skip,) = cases["client.parse.version-exact"].result
    assert isinstance(skip, Skipped) and skip.type == "known-failure"
    assert "JavaScript numbers lose int64 precision" in (skip.message or "")
    html = (tmp_path / "report.html").read_text()
    assert "known failure" in html and "JavaScript numbers lose int64 precision" in html
