"""The release sweep's publishing, offline: shards' results merged with `report merge` into the
releases index, the kept report and the dashboard, then a second, incremental sweep on top.

The shards are a run of the model SDK harness (tests/harnesses/model_sdk.py), faithful and with
its int64 fault, relabelled as releases of an SDK; a Go release whose build failed is a target
that never started. No registry is asked.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from drun_conformance.cli import main as drun
from drun_conformance.client._check import ClientOptions, _not_installed
from drun_conformance.results import DriftDifference, TargetDrift
from tests.conftest import REPO

from .client_mutants import CLIENT_MUTANTS, faithful_command

sys.path.insert(0, str(REPO / "scripts"))

import sweep_sdks
from sweep.failures import Failures
from sweep.index import Index
from sweep.plan import Release

pytestmark = pytest.mark.slow

INT64 = next(m for m in CLIENT_MUTANTS if m.name == "version-as-double")  # int64 alone
BUILD_FAILED = (
    "cannot build the go harness against github.com/anthropics/anthropic-sdk-go/v2 v2.5.0: undefined"
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """One results.json per harness: the faithful model SDK and its int64 fault."""
    found = {}
    for name, harness in (("faithful", faithful_command()), ("int64", INT64.command)):
        folder = tmp_path_factory.mktemp(name)
        drun(["client", "--harness", harness, "--examples", "5", "--seed", "3", "--report-dir", str(folder)])
        found[name] = json.loads((folder / "results.json").read_text())
    return found


def as_release(results: dict[str, Any], version: str, drift: tuple[int, int] | None = None) -> dict[str, Any]:
    """A model SDK target relabelled as anthropic `version`, with `drift`: (differences, not listed)."""
    (target,) = results["targets"]
    identity = {**target["identity"], "version": version}
    relabelled = {**target, "id": f"sdk:python@{version}", "identity": identity}
    if drift is None:
        return relabelled
    count, unlisted = drift
    differences = [
        DriftDifference(
            id=f"f{i}: type", subject=f"f{i}", aspect="type", sdk="", contract="", file="", line=""
        )
        for i in range(count)
    ]
    for known in differences[unlisted:]:
        known.expected = "listed"
    found = TargetDrift(given=f"python@{version}", differences=differences, unexpected=unlisted)
    return {**relabelled, "drift": found.model_dump()}


def shard_file(folder: Path, base: dict[str, Any], targets: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps({**base, "targets": targets}))
    return folder / "results.json"


def publish(files: list[Path], tmp_path: Path, index: Index, plan: dict[str, Any] | None = None) -> None:
    sweep_sdks.publish(
        files,
        index,
        out=tmp_path / "out",
        work=tmp_path / "work",
        command="python scripts/sweep_sdks.py",
        the_plan=plan,
    )


def test_shards_are_published_and_a_second_sweep_adds_what_is_new(
    runs: dict[str, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures = Failures(tmp_path / "cache" / "sweep-failures.json")
    monkeypatch.setattr(sweep_sdks, "Failures", lambda: failures)
    faithful, int64 = runs["faithful"], runs["int64"]
    not_built = _not_installed(ClientOptions(sdk="go@v2.5.0"), BUILD_FAILED).model_dump(mode="json")
    files = [
        shard_file(tmp_path / "shard-1", faithful, [as_release(faithful, "1.0.0", (5, 0))]),
        shard_file(tmp_path / "shard-2", faithful, [as_release(int64, "1.1.0", (7, 1)), not_built]),
    ]
    left_out = [{"reason": "the shipped harness is for v2.6.0 on", "releases": ["v2.0.0"]}]
    plan = {"sdks": {"go": {"first": "v2.0.0", "with_operation": ["v2.0.0", "v2.5.0"], "left_out": left_out}}}
    index = Index()
    publish(files, tmp_path, index, plan)
    out = tmp_path / "out"

    entries = json.loads((out / "releases.json").read_text())["sdks"]
    assert list(entries["python"]["releases"]) == ["1.0.0", "1.1.0"]
    assert entries["python"]["releases"]["1.1.0"]["failed"] == {"client.parse.int64": "MUST"}
    assert entries["python"]["releases"]["1.1.0"]["unlisted"] == ["client.parse.int64"]  # no expectations
    assert entries["python"]["releases"]["1.0.0"]["drift"] == 5  # from the gate's results.json
    assert entries["python"]["releases"]["1.1.0"]["drift_unlisted"] == 1
    not_started = entries["go"]["releases"]["v2.5.0"]
    assert not_started == {"swept": not_started["swept"], "reached": False, "reason": BUILD_FAILED}
    assert failures.held({"go": _digest("go")}) == {Release("go", "v2.5.0"): BUILD_FAILED}

    page = (out / "README.md").read_text()
    assert (
        "| 1.0.0 |  | 5 |" in page
        and "| 1.1.0 | **broke** | 7 (1 not listed) |" in page
        and "python 1.1.0: broke `client.parse.int64`" in page
    )
    assert "- go, the shipped harness is for v2.6.0 on: v2.0.0" in page
    svg = ElementTree.parse(out / "sweep.svg").getroot()
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    titles = {
        r.findtext("{http://www.w3.org/2000/svg}title") for r in svg.iter("{http://www.w3.org/2000/svg}rect")
    }
    assert "1.1.0, still fails" in texts and "did not start: v2.5.0" in titles  # the did-not-start row
    kept = json.loads((out / "results.json").read_text())
    assert [t["id"] for t in kept["targets"]] == ["sdk:python@1.0.0", "sdk:python@1.1.0", "sdk:go@v2.5.0"]
    assert "/tmp" not in " ".join(kept["command"]) and "--report-dir" not in kept["command"]
    assert kept["command"][-6:] == ["--sdk", "python@1.0.0", "--sdk", "python@1.1.0", "--sdk", "go@v2.5.0"]
    assert (out / "report.html").is_file() and not (out / "junit.xml").exists()

    # A second sweep gates one new release, which fixes the fault: the rest comes from the index.
    again = [shard_file(tmp_path / "shard-3", faithful, [as_release(faithful, "1.2.0")])]
    publish(again, tmp_path, Index.load(out / "releases.json"))
    entries = json.loads((out / "releases.json").read_text())["sdks"]
    assert list(entries["python"]["releases"]) == ["1.0.0", "1.1.0", "1.2.0"]
    assert "| 1.2.0 | **fixed** |  |" in (out / "README.md").read_text()
    kept = json.loads((out / "results.json").read_text())
    ids = ["sdk:python@1.0.0", "sdk:python@1.1.0", "sdk:python@1.2.0", "sdk:go@v2.5.0"]
    assert [t["id"] for t in kept["targets"]] == ids  # all but 1.2.0 from the report published before
    assert kept["differential"]["compared"] > 40  # computed across old and new: both have case records


def _digest(name: str) -> str:
    from sweep.failures import harness_digest

    return harness_digest(name)


def test_a_release_that_did_not_start_breaks_and_fixes_nothing() -> None:
    from sweep.dashboard import _sdk_section

    int64 = {"client.parse.int64": "MUST"}
    releases = {
        "2.42.0": {"swept": "2026-12-01", "reached": True, "failed": int64, "unlisted": []},
        "2.43.0": {"swept": "2026-12-01", "reached": False, "reason": "okhttp-2.43.0.jar was not found"},
        "2.44.0": {"swept": "2026-12-02", "reached": True, "failed": int64, "unlisted": []},
    }
    index = Index({"format": 1, "sweep": None, "sweeps": [], "sdks": {}})
    index.data["sdks"]["java"] = {"first": "2.42.0", "left_out": [], "releases": releases}
    lines, changes = _sdk_section(index, "java")
    page = "\n".join(lines)
    rows = [line for line in lines if line.startswith("| 2.")]
    assert rows == [
        "| 2.42.0 | fails |  |  |",
        "| 2.43.0 |  | did not start |  |",
        "| 2.44.0 | fails |  |  |",
    ]
    assert "## java: 2 releases gated, 2.42.0 to 2.44.0" in page
    assert changes == ["java 2.43.0: did not start (okhttp-2.43.0.jar was not found)"]
    assert "Gated on 2026-12-01 (1), 2026-12-02 (1)" in page  # the gated ones' days alone
    releases["2.44.0"]["swept"] = "2026-12-01"
    releases["2.43.0"]["swept"] = "2026-11-30"
    assert not any(line.startswith("Gated on") for line in _sdk_section(index, "java")[0])
