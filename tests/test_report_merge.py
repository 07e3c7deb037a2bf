"""`report merge`: shards of one run merged are that run; one seed gives one result; shards of
other runs are refused; results written before case records were still merge.

Real harnesses on loopback: the model SDK (tests/harnesses/model_sdk.py), faithful and with a
fault whose counterexample shrinks, and the shipped Python SDK (two releases).
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from drun_conformance._session import execute
from drun_conformance.cli import main
from drun_conformance.client._check import ClientOptions, check_client
from drun_conformance.reports._merge import NO_CASE_RECORDS, merged_command
from drun_conformance.results import TargetResult

from .client_mutants import CLIENT_MUTANTS, faithful_command
from .conftest import drun_command

pytestmark = pytest.mark.slow

REQUIRED = os.environ.get("DRUN_REQUIRE_SDKS") == "1"
SHRINKS = next(m for m in CLIENT_MUTANTS if m.name == "micros-to-millis")  # shrinks over 100+ calls
SEED, EXAMPLES = 1, 25
# What differs between any two runs: when and how long, the command, the mock server's port.
VOLATILE = ("started_at", "duration_s", "command")


def comparable(path: Path) -> str:
    """results.json without times, durations, command and loopback ports."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for key in VOLATILE:
        data.pop(key)
    text = json.dumps(data, indent=2, ensure_ascii=False)
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    return re.sub(r"requests, \d+\.\d s\b", "requests, T s", text)  # the gate's note says how long


def client(report_dir: Path, *targets: str) -> int:
    """`drun-conformance client` with the shared seed; targets are flags (--sdk X, --harness X)."""
    argv = ["client", *targets, "--examples", str(EXAMPLES), "--seed", str(SEED)]
    return main([*argv, "--report-dir", str(report_dir)])


def merge(report_dir: Path, *files: Path) -> int:
    return main(["report", "merge", *map(str, files), "--report-dir", str(report_dir)])


def whole_run(report_dir: Path, *harnesses: str) -> int:
    """One run of several --harness targets, as `client` runs several --sdk ones (its own code)."""
    checks = [
        functools.partial(check_client, ClientOptions(harness=h, examples=EXAMPLES, seed=SEED))
        for h in harnesses
    ]
    argv = ["client", "--examples", str(EXAMPLES), "--seed", str(SEED)]
    return execute(checks, argv=argv, seed=SEED, strict=False, report_dir=report_dir)


def records(path: Path) -> dict[str, list[str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {t["id"]: [r["key"] for r in t["case_records"]] for t in data["targets"]}


# --- shards merged are the whole run ---------------------------------------------------------


def test_shards_merged_equal_one_whole_run_with_the_same_seed(tmp_path: Path) -> None:
    faithful, faulty = faithful_command(), SHRINKS.command
    assert whole_run(tmp_path / "whole", faithful, faulty) == 1  # the fault fails the gate
    assert client(tmp_path / "one", "--harness", faithful) == 0
    assert client(tmp_path / "two", "--harness", faulty) == 1
    assert merge(tmp_path / "merged", tmp_path / "one/results.json", tmp_path / "two/results.json") == 1

    whole, merged = tmp_path / "whole/results.json", tmp_path / "merged/results.json"
    assert records(merged) == records(whole) and all(len(keys) > 40 for keys in records(whole).values())
    differential = json.loads(merged.read_text())["differential"]
    assert differential["disagreeing"] > 0  # the faulty target read some cases otherwise
    assert comparable(merged) == comparable(whole)


def test_two_runs_of_one_seed_give_the_same_results(tmp_path: Path) -> None:
    """Shrinking included: the counterexample of a failure that shrinks is the same case."""
    assert client(tmp_path / "a", "--harness", SHRINKS.command) == 1
    assert client(tmp_path / "b", "--harness", SHRINKS.command) == 1
    first = json.loads((tmp_path / "a/results.json").read_text())
    failed = {r["id"] for r in first["targets"][0]["requirements"] if r["status"] == "failed"}
    shrinking = re.search(r"(\d+) more calls shrinking", first["targets"][0]["notes"][0])
    assert SHRINKS.requirement in failed and shrinking and int(shrinking[1]) > 20
    assert comparable(tmp_path / "a/results.json") == comparable(tmp_path / "b/results.json")


def test_the_python_sdk_split_in_two_shards_is_the_whole_run(tmp_path: Path) -> None:
    """Each run its own `drun-conformance` process, as CI shards are: Hypothesis draws constants
    from the local modules a process has imported, so an in-process run would depend on what the
    test session imported before."""
    releases = ["python", "python@0.109.0"]

    def cli(report_dir: Path, *args: str) -> None:
        argv = [*drun_command(), *args, "--examples", str(EXAMPLES), "--seed", str(SEED)]
        subprocess.run(
            [*argv, "--report-dir", str(report_dir)], capture_output=True, timeout=900, check=False
        )

    cli(tmp_path / "whole", "client", *(f for r in releases for f in ("--sdk", r)))
    whole = json.loads((tmp_path / "whole/results.json").read_text())
    if not all(t["identity"]["reached"] for t in whole["targets"]):
        reason = f"the Python SDK cannot run here: {whole['targets'][0]['notes']}"
        pytest.fail(reason) if REQUIRED else pytest.skip(reason)
    shards = [tmp_path / f"shard-{i}" for i in range(2)]
    for shard, release in zip(shards, releases, strict=True):
        cli(shard, "client", "--sdk", release)
    merge(tmp_path / "merged", *(s / "results.json" for s in shards))
    merged = tmp_path / "merged/results.json"
    assert comparable(merged) == comparable(tmp_path / "whole/results.json")
    command = json.loads(merged.read_text())["command"]
    assert command == ["drun-conformance", "client", "--examples", "25", "--seed", "1",
                       "--sdk", "python", "--sdk", "python@0.109.0"]  # fmt: skip


# --- what cannot be one run ------------------------------------------------------------------


@pytest.fixture(scope="module")
def shard(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("shard")
    assert client(folder, "--harness", faithful_command()) == 0
    data: dict[str, Any] = json.loads((folder / "results.json").read_text())
    return data


def _write(path: Path, data: dict[str, Any], **changes: Any) -> Path:
    path.write_text(json.dumps({**data, **changes}), encoding="utf-8")
    return path


def _renamed(data: dict[str, Any], tid: str) -> list[dict[str, Any]]:
    return [{**data["targets"][0], "id": tid}]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"seed": SEED + 1}, f"has seed {SEED} and "),
        ({"spec": {"sha256": "0" * 64, "catalog_version": 1}}, "were checked against different specs"),
        ({"strict": True}, "was run with --strict and"),
        ({}, "is in both"),  # the same target twice
    ],
    ids=["seed", "spec", "strict", "target-twice"],
)
def test_shards_of_different_runs_are_refused(
    shard: dict[str, Any],
    changes: dict[str, Any],
    words: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = {**shard, "targets": shard["targets"] if not changes else _renamed(shard, "sdk:other")}
    files = [_write(tmp_path / "a.json", shard), _write(tmp_path / "b.json", other, **changes)]
    assert merge(tmp_path / "merged", *files) == 2
    err = capsys.readouterr().err
    assert err.startswith("drun-conformance: report merge: ") and words in err, err
    assert not (tmp_path / "merged").exists()


def test_results_without_case_records_merge_and_say_the_differential_is_not_computed(
    shard: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = {
        **shard,
        "targets": [{k: v for k, v in t.items() if k != "case_records"} for t in shard["targets"]],
    }
    files = [
        _write(tmp_path / "new.json", shard),
        _write(tmp_path / "old.json", old, targets=_renamed(old, "sdk:x")),
    ]
    assert merge(tmp_path / "merged", *files) == 0
    merged = json.loads((tmp_path / "merged/results.json").read_text())
    assert merged["differential"] is None and merged["gate"] == "passed"
    assert [NO_CASE_RECORDS in t["notes"] for t in merged["targets"]] == [False, True]
    assert f"sdk:x: {NO_CASE_RECORDS}" in capsys.readouterr().err
    # With records on both sides, the same two targets have a differential.
    files[1] = _write(tmp_path / "old.json", shard, targets=_renamed(shard, "sdk:x"))
    assert merge(tmp_path / "again", *files) == 0
    assert json.loads((tmp_path / "again/results.json").read_text())["differential"]["compared"] > 40


def test_the_merged_command_names_every_target_and_no_report_folder() -> None:
    def target(tid: str) -> TargetResult:
        return TargetResult(id=tid, kind="client", identity={}, verdict="conformant", requirements=[])

    first = ["drun-conformance", "client", "--sdk", "go@v2.6.0", "--seed", "1", "--report-dir=/tmp/x/1"]
    targets = [target("sdk:go@v2.6.0"), target("sdk:python"), target("sdk:./harness --flag")]
    assert merged_command(first, targets) == [
        "drun-conformance", "client", "--seed", "1",
        "--sdk", "go@v2.6.0", "--sdk", "python", "--harness", "./harness --flag",
    ]  # fmt: skip


# --- report summary ----------------------------------------------------------------------------


def test_the_summary_is_one_table_row_per_target_and_per_failure_whatever_the_messages_hold() -> None:
    from drun_conformance.reports import render_summary

    from ._report_data import four_targets

    results = four_targets()
    failed = next(r for t in results.targets for r in t.requirements if r.status == "failed")
    failed.message = "Received: a | b\nacross lines | `ticks` / Expected: " + "x" * 500
    summary = render_summary(results)
    tables: list[list[str]] = [[]]
    for line in summary.splitlines():
        if line.startswith("|"):
            tables[-1].append(line)
        elif tables[-1]:
            tables.append([])
    tables = [table for table in tables if table]
    assert len(tables) >= 2  # the targets, the failures (and the MUST never exercised)
    for table in tables:  # every row of a table has its header's columns, escaped bars aside
        assert {re.sub(r"\\\|", "", row).count("|") for row in table} == {table[0].count("|")}
    assert len(tables[0]) == 2 + len(results.targets)
    (row,) = (r for r in tables[1] if failed.id in r and "Received: a" in r)
    assert "a \\| b across lines \\| `ticks`" in row and len(row) < 400 and row.endswith("… |")
