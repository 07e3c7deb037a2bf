"""`report`'s subcommands on results.json a run never writes: a lone surrogate, counts out of range,
a target or requirement named twice, a FIFO. Each is an input error naming the file (exit 2),
alike in every subcommand, never a traceback or a wait."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from drun_conformance._errors import InputError
from drun_conformance.reports import load_results
from tests._report_data import four_targets

from .conftest import drun_command, run_cli


def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(four_targets().model_dump_json())
    return data


def _surrogate(data: dict[str, Any]) -> None:
    data["targets"][0]["notes"] = ["\ud800"]  # written by json.dumps as the escape "\ud800"


def _negative_cases(data: dict[str, Any]) -> None:
    data["targets"][0]["requirements"][0]["cases"] = -5


def _too_many_failures(data: dict[str, Any]) -> None:
    data["targets"][0]["requirements"][0]["failures"] = 10**30


def _target_twice(data: dict[str, Any]) -> None:
    data["targets"].append(data["targets"][0])


def _requirement_twice(data: dict[str, Any]) -> None:
    data["targets"][1]["requirements"].append(data["targets"][1]["requirements"][0])


_BROKEN: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "surrogate": (_surrogate, "is not valid results at /targets/0/notes/0: a lone surrogate in a string"),
    "negative-cases": (_negative_cases, "/targets/0/requirements/0/cases: -5 is less than the minimum of 0"),
    "failures-past-int64": (_too_many_failures, "/targets/0/requirements/0/failures: 10000000000"),
    "target-twice": (_target_twice, "is not valid results at /targets/4/id: target "),
    "requirement-twice": (_requirement_twice, "/requirements/"),
}


def _write(folder: Path, case: str) -> Path:
    data = _data()
    _BROKEN[case][0](data)
    path = folder / f"{case}.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("case", list(_BROKEN))
def test_results_a_run_never_writes_are_input_errors(case: str, tmp_path: Path) -> None:
    path = _write(tmp_path, case)
    with pytest.raises(InputError) as caught:
        load_results(path)
    assert str(caught.value).startswith(str(path)) and _BROKEN[case][1] in str(caught.value)
    assert caught.value.exit_status == 2


def test_a_surrogate_pair_is_text_not_a_fault(tmp_path: Path) -> None:
    data = _data()
    data["targets"][0]["notes"] = ["\U0001f600 \ud83d\ude00"]  # json.dumps escapes both as a pair
    path = tmp_path / "pair.json"
    path.write_text(json.dumps(data))
    assert load_results(path).targets[0].notes == ["\U0001f600 \U0001f600"]


def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "results.json"
    os.mkfifo(fifo)
    unblock = threading.Timer(10, lambda: os.close(os.open(fifo, os.O_WRONLY)))  # a reader that waits fails
    unblock.start()
    try:
        with pytest.raises(InputError, match=r"results.json: a named pipe \(FIFO\), not a regular file"):
            load_results(fifo)  # before: blocked until a writer came
    finally:
        unblock.cancel()


def _subcommand(action: str, path: Path, good: Path, out: Path) -> list[str]:
    return {
        "summary": ["report", "summary", str(path)],
        "render": ["report", "render", str(path), "--report-dir", str(out)],
        "diff": ["report", "diff", str(good), str(path)],
        "merge": ["report", "merge", str(path), "--report-dir", str(out)],
    }[action]


@pytest.mark.slow
@pytest.mark.parametrize("action", ["summary", "render", "diff", "merge"])
def test_every_subcommand_refuses_them_alike(action: str, tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_data()))
    for case in _BROKEN:
        result = run_cli(*_subcommand(action, _write(tmp_path, case), good, tmp_path / "out"))
        err = result.stderr.decode()
        assert result.returncode == 2, (case, err)
        assert err.startswith(f"drun-conformance: {tmp_path}/{case}.json") and err.count("\n") == 1, err
        assert _BROKEN[case][1] in err


@pytest.mark.slow
def test_summary_of_a_fifo_does_not_wait(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.json")
    result = subprocess.run(
        [*drun_command(), "report", "summary", str(tmp_path / "fifo.json")], capture_output=True, timeout=30
    )
    assert result.returncode == 2
    expected = (
        f"drun-conformance: cannot read {tmp_path}/fifo.json: a named pipe (FIFO), not a regular file\n"
    )
    assert result.stderr == expected.encode()
