"""The differential of a run with several SDK targets, and targets checked side by side (--jobs).

Real harnesses on loopback: the shipped Python SDK harness, the model SDK and its mutants.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from drun_conformance._differential import (
    MAX_GROUPS,
    SHOWN_PER_GROUP,
    CaseAnswer,
    CaseRecord,
    differential,
)
from drun_conformance._session import check_targets
from drun_conformance.client._check import ClientOptions, check_client
from drun_conformance.reports._html import render_html
from drun_conformance.results import RunResults, TargetResult

from ._processes import command_line, descendants, running
from .client_mutants import CLIENT_MUTANTS, MODEL_SDK, faithful_command
from .conftest import drun_command

REQUIRED = os.environ.get("DRUN_REQUIRE_SDKS") == "1"
INT64 = next(m for m in CLIENT_MUTANTS if m.name == "version-through-float")


def checks(*options: ClientOptions) -> list[Any]:
    return [functools.partial(check_client, o) for o in options]


def run(*options: ClientOptions, jobs: int = 1) -> RunResults:
    return check_targets(
        checks(*options), command=["drun-conformance", "client"], seed=3, strict=False, jobs=jobs
    )


def reached(results: RunResults) -> RunResults:
    for target in results.targets:
        if not target.identity["reached"]:
            reason = f"{target.id} cannot run here: {' '.join(target.notes)}"
            pytest.fail(reason) if REQUIRED else pytest.skip(reason)
    return results


def keys(result: TargetResult) -> list[str]:
    return [record.key for record in result.case_records]


# --- the same cases for every target ------------------------------------------------------------


@pytest.mark.slow
def test_the_same_seed_serves_every_target_the_same_cases_in_the_same_order() -> None:
    options = {"examples": 25, "seed": 11}
    faithful = check_client(ClientOptions(harness=faithful_command(), **options))  # type: ignore[arg-type]
    faulty = check_client(ClientOptions(harness=INT64.command, **options))  # type: ignore[arg-type]
    assert keys(faithful) == keys(faulty) and len(set(keys(faithful))) > 40  # coverage cases and draws
    other_seed = check_client(ClientOptions(harness=faithful_command(), examples=25, seed=12))
    assert keys(other_seed) != keys(faithful)


# --- what the differential shows --------------------------------------------------------------


@pytest.mark.slow
def test_a_faulty_harness_differs_from_the_python_sdk_on_the_same_bytes() -> None:
    results = reached(
        run(
            ClientOptions(sdk="python", examples=10, seed=3),
            ClientOptions(harness=INT64.command, examples=10, seed=3),
        )
    )
    found = results.differential
    assert found is not None and found.targets == ["sdk:python", f"sdk:{INT64.command}"]
    # A float is no integer type either: the same read fails client.parse.version-type.
    faulty_read = "ok; failed client.parse.int64, client.parse.version-type"
    pattern = {"sdk:python": "ok", f"sdk:{INT64.command}": faulty_read}
    group = next(g for g in found.groups if g.pattern == pattern)
    case = next(c for c in group.shown if c.served.startswith("version 2^53 + 1"))
    assert "9007199254740993" in case.body and case.differs_in == ["failed"]
    python, faulty = case.answers["sdk:python"], case.answers[f"sdk:{INT64.command}"]
    assert python.failed == [] and faulty.failed == ["client.parse.int64", "client.parse.version-type"]
    assert "9007199254740992.0" in faulty.excerpt  # what the faulty harness read back
    html = render_html(results)
    assert 'id="differential"' in html and "9007199254740992.0" in html


@pytest.mark.slow
def test_two_clean_targets_that_answer_alike_have_an_empty_differential() -> None:
    started_otherwise = shlex.join([sys.executable, "-u", str(MODEL_SDK)])  # the same harness
    results = run(
        ClientOptions(harness=faithful_command(), examples=15, seed=3),
        ClientOptions(harness=started_otherwise, examples=15, seed=3),
    )
    found = results.differential
    assert found is not None and found.compared > 40
    assert found.disagreeing == found.left_out == 0 and found.groups == []
    assert "answered each of the" in render_html(results)


@pytest.mark.slow
def test_one_target_has_no_differential() -> None:
    results = run(ClientOptions(harness=faithful_command(), examples=0))
    assert results.differential is None
    assert "differential" not in json.loads(results.model_dump_json(exclude_none=True))


def _record(key: str, outcome: str, failed: list[str], parsed: Any = None) -> CaseRecord:
    answer = CaseAnswer(outcome=outcome, failed=failed)  # type: ignore[arg-type]
    return CaseRecord(key=key, served=f"case {key}", body="{}", answer=answer, parsed=parsed)


def test_the_differential_keeps_the_first_cases_of_each_way_and_counts_the_rest() -> None:
    one = [_record(f"k{i}", "ok", []) for i in range(10)] + [_record("only-here", "ok", [])]
    other = [_record(f"k{i}", "ok", ["r.a"] if i < 5 else []) for i in range(10)]
    for i in range(5, 10):  # other outcomes, other requirements: a way of their own each
        other[i] = _record(f"k{i}", "client_error", [f"r.{i}"])
    found = differential([("a", one), ("b", other)], timestamps=())
    assert found is not None and found.compared == 10 and found.disagreeing == 10
    first, *rest = found.groups
    assert first.pattern == {"a": "ok", "b": "ok; failed r.a"} and first.cases == 5
    assert [c.key for c in first.shown] == ["k0", "k1", "k2"] and len(first.shown) == SHOWN_PER_GROUP
    assert len(rest) == 5 and found.left_out == 2
    many = [_record(f"m{i}", "ok", [f"r.{i}"]) for i in range(MAX_GROUPS + 4)]
    found = differential([("a", [_record(r.key, "ok", []) for r in many]), ("b", many)], timestamps=())
    assert found is not None and len(found.groups) == MAX_GROUPS and found.left_out == 4


def test_values_read_back_differently_count_only_in_meaning() -> None:
    instant = {"created_at": "2026-11-27T18:11:19Z"}
    same = {"created_at": "2026-11-27T19:11:19+01:00"}
    later = {"created_at": "2026-11-27T18:11:20Z"}
    for other, differs in ((same, False), (later, True)):
        found = differential(
            [("a", [_record("k", "ok", [], instant)]), ("b", [_record("k", "ok", [], other)])],
            timestamps=[("created_at",)],
        )
        assert found is not None and found.disagreeing == int(differs)
        assert [c.differs_in for g in found.groups for c in g.shown] == ([["parsed"]] if differs else [])


# --- side by side: --jobs -----------------------------------------------------------------------


def _found(results: RunResults) -> Any:
    """What a run found per requirement, and its differential. Not the counterexamples, the
    request counts or the notes: shrinking draws at random, unseeded, in any mode."""
    targets = [
        (t.id, t.verdict, t.gate, [(r.id, r.status, r.cases, r.failures) for r in t.requirements])
        for t in results.targets
    ]
    return targets, results.differential, results.verdict, results.gate


# The run of test_jobs_1_and_jobs_2_find_the_same, in a process of its own: argv is the harness
# command and the jobs; standard output, the results as JSON.
_RUN_ALONE = """
import functools, sys
from drun_conformance._session import check_targets
from drun_conformance.client._check import ClientOptions, check_client

harness, jobs = sys.argv[1], int(sys.argv[2])
options = [ClientOptions(sdk=sdk, harness=harness if sdk is None else None, examples=15, seed=8)
           for sdk in ("python", None)]
checks = [functools.partial(check_client, o) for o in options]
results = check_targets(checks, command=["drun-conformance", "client"], seed=3, strict=False, jobs=jobs)
sys.stdout.write(results.model_dump_json())
"""


def _run_alone(jobs: int) -> RunResults:
    """Each run in a fresh process importing the same modules: Hypothesis draws constants from
    the local modules a process has imported, so a run in this one would depend on what the test
    session imported before (and workers side by side import only drun_conformance's)."""
    done = subprocess.run(
        [sys.executable, "-c", _RUN_ALONE, INT64.command, str(jobs)],
        capture_output=True,
        timeout=600,
        check=True,
    )
    return RunResults.model_validate_json(done.stdout)


@pytest.mark.slow
def test_jobs_1_and_jobs_2_find_the_same() -> None:
    in_turn, side_by_side = reached(_run_alone(1)), reached(_run_alone(2))
    assert in_turn.differential is not None and in_turn.differential.disagreeing > 0
    assert _found(side_by_side) == _found(in_turn)
    assert [keys(t) for t in side_by_side.targets] == [keys(t) for t in in_turn.targets]


@pytest.mark.slow
def test_sigterm_stops_targets_side_by_side_with_partial_reports(tmp_path: Path) -> None:
    args = ["client", "--sdk", "python", "--sdk", "python@0.109.0", "--jobs", "2", "--examples", "100000"]
    process = subprocess.Popen(
        [*drun_command(), *args, "--report-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            seen |= descendants(process.pid)
            if len(seen) >= 5:  # the forkserver, two workers and their two harnesses
                break
            time.sleep(0.2)
        time.sleep(1.0)
        seen |= descendants(process.pid)
        assert process.poll() is None, "it ended before it was stopped"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=90)
    finally:
        process.kill()
    assert process.returncode == 4, out + err
    assert b"interrupted; writing what was checked so far" in err and b"Traceback" not in err
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["partial"] is True and results["verdict"] == "incomplete"
    time.sleep(1.0)
    assert not [command_line(pid)[:120] for pid in seen if running(pid)]  # none left


@pytest.mark.slow
def test_notes_of_targets_side_by_side_say_whose_they_are() -> None:
    done = subprocess.run(
        [
            *drun_command(),
            "client",
            "--sdk",
            "python",
            "--sdk",
            "python@0.109.0",
            "--examples",
            "0",
            "--seed",
            "1",
        ],
        capture_output=True,
        timeout=240,
        check=False,
    )
    if b"cannot" in done.stdout and not REQUIRED:
        pytest.skip(done.stdout.decode())
    err, out = done.stderr.decode(), done.stdout.decode()
    assert "  … [python] " in err and "  … [python@0.109.0] " in err, err
    assert re.search(
        r"^differential: \d+ of \d+ cases served to all 2 targets answered differently", out, re.M
    )
