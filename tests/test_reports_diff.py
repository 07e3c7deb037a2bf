"""`drun-conformance report diff OLD NEW`: regressions, fixes, new and removed; exit 1 on regression."""

from __future__ import annotations

from pathlib import Path

import pytest

from drun_conformance.reports import diff_results, write_reports
from drun_conformance.results import RunResults
from tests._report_data import embedded_server, one_target
from tests.conftest import run_cli


def _results(**statuses: str) -> RunResults:
    target = embedded_server()
    for requirement in target.requirements:
        if requirement.id in statuses:
            requirement.status = statuses[requirement.id]  # type: ignore[assignment]
            requirement.reason = "budget" if requirement.status == "skipped" else None
    from drun_conformance.results import target_verdict

    target.verdict = target_verdict(target.requirements, strict=False)
    return one_target(target)


def _write(tmp_path: Path, name: str, results: RunResults) -> Path:
    write_reports(results, tmp_path / name)
    return tmp_path / name / "results.json"


@pytest.mark.slow
def test_regression_exits_1_and_names_it(tmp_path: Path) -> None:
    old = _write(tmp_path, "old", _results())
    new = _write(tmp_path, "new", _results(**{"run.outcome.exactly-one": "failed"}))
    done = run_cli("report", "diff", str(old), str(new))
    out = done.stdout.decode()
    assert done.returncode == 1, out
    assert "verdict: conformant -> non-conformant  (worse)" in out
    assert "regressed   MUST   run.outcome.exactly-one  passed -> failed" in out
    assert out.rstrip().endswith("3 regressions, 0 fixed, 0 new, 0 removed")  # requirement, target, run


@pytest.mark.slow
def test_fix_exits_0(tmp_path: Path) -> None:
    old = _write(tmp_path, "old", _results(**{"run.id.prefix": "failed"}))
    new = _write(tmp_path, "new", _results())
    done = run_cli("report", "diff", str(old), str(new))
    out = done.stdout.decode()
    assert done.returncode == 0, out
    assert "fixed       SHOULD run.id.prefix  failed -> passed" in out


@pytest.mark.slow
def test_no_change_exits_0(tmp_path: Path) -> None:
    path = _write(tmp_path, "same", _results())
    done = run_cli("report", "diff", str(path), str(path))
    out = done.stdout.decode()
    assert done.returncode == 0
    assert "server:embedded: conformant, no requirement changed" in out
    assert "0 regressions, 0 fixed, 0 new, 0 removed" in out


@pytest.mark.slow
def test_unreadable_input_exits_2(tmp_path: Path) -> None:
    good = _write(tmp_path, "good", _results())
    bad = tmp_path / "bad.json"
    bad.write_text("{]")
    for args in ([str(bad), str(good)], [str(good), str(tmp_path / "absent.json")]):
        done = run_cli("report", "diff", *args)
        assert done.returncode == 2
        assert b"Traceback" not in done.stderr and done.stderr.startswith(b"drun-conformance: ")
    assert run_cli("report", "diff", str(good)).returncode == 2  # one file: usage error


def test_new_removed_and_lost_coverage() -> None:
    old, new = _results(**{"run.id.unique": "passed"}), _results(**{"run.id.unique": "skipped"})
    gone = new.targets[0].requirements.pop(0)
    added = new.targets[0].requirements[1].model_copy(update={"id": "run.future.check"})
    new.targets[0].requirements.append(added)
    diff = diff_results(old, new)
    (target,) = diff.targets
    assert [c.requirement.id for c in target.of("new")] == ["run.future.check"]
    assert [c.requirement.id for c in target.of("removed")] == [gone.id]
    assert [c.requirement.id for c in target.of("unexercised")] == ["run.id.unique"]
    # No requirement regressed, but a MUST no longer exercised makes the verdicts incomplete.
    assert (diff.new_verdict, target.new_verdict) == ("incomplete", "incomplete")
    assert diff.regressions == 2
    lines = "\n".join(diff.lines())
    assert f"removed     MUST   {gone.id}  removed (was passed)" in lines
    assert "new         MUST   run.future.check  new (passed)" in lines


@pytest.mark.parametrize(
    ("was", "now"), [("passed", "errored"), ("skipped", "failed"), ("errored", "failed")]
)
def test_what_counts_as_a_regression(was: str, now: str) -> None:
    diff = diff_results(_results(**{"run.id.prefix": was}), _results(**{"run.id.prefix": now}))
    assert [c.kind for c in diff.targets[0].changes] == ["regressed"]


def test_a_partial_run_is_worse_than_a_complete_one() -> None:
    old = _results()
    new = _results().model_copy(update={"partial": True})
    diff = diff_results(old, new)
    assert diff.new_verdict == "incomplete" and diff.regressions == 1


@pytest.mark.slow
def test_render_writes_the_report_again(tmp_path: Path) -> None:
    source = _write(tmp_path, "run", _results(**{"run.id.prefix": "failed"}))
    done = run_cli("report", "render", str(source), "--report-dir", str(tmp_path / "again"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "again" / "report.html").read_text() == (tmp_path / "run" / "report.html").read_text()
