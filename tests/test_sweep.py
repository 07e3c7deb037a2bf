"""The release sweep's planning, offline: the split into shards, the cache of failed builds, the
incremental choice of releases and the CI matrix, against fake registries (small functions)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "scripts"))

import sweep_sdks
from sweep import registries
from sweep.failures import Failures, harness_digest
from sweep.index import Index
from sweep.plan import COST_S, Release, matrix, newest, parse_shard, select, shard, shard_cost

GO = [Release("go", f"v2.{i}.0") for i in range(6, 19)]
PYTHON = [Release("python", f"2.{i}.0") for i in range(18)]


# --- shards -------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8])
def test_shards_split_the_releases_once_each_in_their_order(count: int) -> None:
    releases = PYTHON + GO
    shards = [shard(releases, i, count) for i in range(1, count + 1)]
    assert sorted(r.spec for s in shards for r in s) == sorted(r.spec for r in releases)  # each once
    for part in shards:
        assert part == [r for r in releases if r in part]  # in the order planned
    assert shards == [shard(list(releases), i, count) for i in range(1, count + 1)]  # the same split again


def test_shards_are_balanced_by_what_a_release_costs() -> None:
    """13 Go builds and 18 Python installs in 4: no shard has more than one release's worth of
    work over another; a split by count would put 7 or 8 Go builds in one shard."""
    loads = [sum(map(shard_cost, shard(PYTHON + GO, i, 4))) for i in range(1, 5)]
    assert max(loads) - min(loads) <= max(COST_S.values())
    go_builds = [sum(r.name == "go" for r in shard(PYTHON + GO, i, 4)) for i in range(1, 5)]
    assert max(go_builds) <= 4
    # One Go build (4.5 min) and four Python installs (1.5 min each) in two: by count, or taken in
    # turn, the Go shard gets two installs too; by cost, one (6.2 min against 4.8).
    with_go, without = sorted(
        (shard([GO[0], *PYTHON[:4]], i, 2) for i in (1, 2)), key=lambda s: GO[0] not in s
    )
    assert len(with_go) == 2 and len(without) == 3


@pytest.mark.parametrize("text", ["0/3", "4/3", "1", "a/b", "1/0", "-1/2"])
def test_a_shard_is_i_of_n(text: str) -> None:
    with pytest.raises(Exception, match="I/N"):
        parse_shard(text)


def test_the_matrix_gives_each_sdk_enough_jobs_for_the_budget() -> None:
    jobs = matrix(PYTHON + GO, budget_s=20 * 60)
    assert jobs == [
        {"sdk": "python", "shard": "1/2"},
        {"sdk": "python", "shard": "2/2"},
        *({"sdk": "go", "shard": f"{i}/3"} for i in range(1, 4)),
    ]
    assert matrix([Release("java", "3.17.0")]) == [{"sdk": "java", "shard": "1/1"}]
    assert matrix([]) == []


# --- what is due --------------------------------------------------------------------------------


def test_releases_done_or_known_to_fail_are_not_due_unless_asked() -> None:
    planned = PYTHON[:4]
    done, failed = {PYTHON[0]}, {PYTHON[1]: "cannot build"}
    assert select(planned, done=done, failed=failed) == (PYTHON[2:4], {PYTHON[1]: "cannot build"})
    assert select(planned, done=done, failed=failed, redo_all=True)[0] == [PYTHON[0], *PYTHON[2:4]]
    assert select(planned, done=done, failed=failed, retry_failed=True) == (PYTHON[1:4], {})
    assert newest(PYTHON[:3] + GO[:3], 1) == [PYTHON[2], GO[2]]


# --- the cache of failed builds -----------------------------------------------------------------


def test_a_failed_build_is_held_with_its_reason_until_its_harness_changes(tmp_path: Path) -> None:
    failures = Failures(tmp_path / "sweep-failures.json")
    go, java = Release("go", "v2.5.0"), Release("java", "2.75.0")
    failures.update(
        [(go, "cannot build: undefined: Error.Message"), (java, "no javac")], {"go": "a", "java": "b"}
    )
    assert failures.held({"go": "a", "java": "b"}) == {
        go: "cannot build: undefined: Error.Message",
        java: "no javac",
    }
    assert failures.held({"go": "changed", "java": "b"}) == {java: "no javac"}  # a new harness retries
    failures.update([(java, None)], {"java": "b"})  # it started this time: forgotten
    assert failures.held({"go": "a", "java": "b"}) == {go: "cannot build: undefined: Error.Message"}
    stored = json.loads((tmp_path / "sweep-failures.json").read_text())
    assert stored["format"] == 1 and list(stored["failures"]) == ["go@v2.5.0"]


def test_the_harness_digest_changes_with_that_sdks_harness_only(tmp_path: Path) -> None:
    import shutil

    from drun_conformance.client._sdks import HARNESS_DIR

    copy = tmp_path / "harnesses"
    shutil.copytree(HARNESS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = {name: harness_digest(name, copy) for name in ("python", "go", "java")}
    (copy / "anthropic_go" / "main.go").write_text("package main // changed\n")
    (copy / "anthropic_go_v1").mkdir()  # a variant for older releases counts as the Go harness
    (copy / "anthropic_go_v1" / "main.go").write_text("package main\n")
    after = {name: harness_digest(name, copy) for name in ("python", "go", "java")}
    assert after["go"] != before["go"] and after["python"] == before["python"]
    assert after["java"] == before["java"]


# --- the plan, from fake registries ---------------------------------------------------------------


def fake_sdk(name: str, served: list[str]) -> registries.Sdk:
    return registries.Sdk(name, lambda: served, str, str, b"")


SERVED = {
    "python": ["0.108.0", "0.109.0", "2.16.0", "2.17.0", "2.17.0rc1"],
    "java": ["2.39.0", "2.40.0", "2.75.0", "3.0.0", "3.17.0"],
    "go": ["v1.49.0", "v1.50.0", "v2.0.0", "v2.5.0", "v2.6.0", "v2.18.0"],
}
FIRST = {"python": "0.109.0", "java": "2.40.0", "go": "v1.50.0"}


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fake registries; yields the releases whose package was read (the bisection's probes)."""
    probed: list[str] = []

    def probe(sdk: registries.Sdk, version: str) -> bool:
        probed.append(f"{sdk.name}@{version}")
        return registries.version_key(version) >= registries.version_key(FIRST[sdk.name])

    fakes = {name: fake_sdk(name, served) for name, served in SERVED.items()}
    monkeypatch.setattr(sweep_sdks, "SDKS", fakes)
    original = registries.with_operation
    monkeypatch.setattr(
        sweep_sdks, "with_operation", lambda sdk, releases: original(sdk, releases, probe=probe)
    )
    monkeypatch.setattr(sweep_sdks, "harness_digest", lambda name: "h")
    yield probed


def run_plan(
    tmp_path: Path, *flags: str, index: Index | None = None, failures: Failures | None = None
) -> Any:
    """The plan `main` makes with these flags (the defaults filled in as it fills them)."""
    args = sweep_sdks._parser().parse_args(list(flags))
    args.sdk, args.seed, args.examples = args.sdk or list(SERVED), args.seed or 1, args.examples or 25
    return sweep_sdks.plan(args, index or Index(), failures or Failures(tmp_path / "failures.json"))


def test_the_plan_starts_at_the_first_release_with_the_operation_and_says_what_it_leaves_out(
    registry: list[str], tmp_path: Path
) -> None:
    plan = run_plan(tmp_path)
    python, java, go = (plan["sdks"][n] for n in ("python", "java", "go"))
    assert python["first"] == "0.109.0" and python["due"] == ["0.109.0", "2.16.0", "2.17.0"]  # no rc
    assert java["with_operation"] == ["2.40.0", "2.75.0", "3.0.0", "3.17.0"]
    assert java["due"] == java["with_operation"] and not java["left_out"]  # 2.x too: a harness variant
    assert go["first"] == "v1.50.0" and go["due"] == ["v1.50.0", "v2.0.0", "v2.5.0", "v2.6.0", "v2.18.0"]
    assert not go["left_out"]  # both modules, every release with the operation
    assert len(registry) <= 3 * 4  # bisection: a few packages read an SDK, not every one
    assert plan["matrix"]["include"][0] == {"sdk": "python", "shard": "1/1"}


def test_an_incremental_plan_gates_only_what_is_new(registry: list[str], tmp_path: Path) -> None:
    index = Index()
    key = {"seed": 1, "examples": 25, "spec": sweep_sdks._spec()}
    index.data["sweep"] = key
    for name, version, reached in [("python", "2.16.0", True), ("go", "v2.6.0", False)]:
        index.sdk(name)["first"] = FIRST[name]
        index.sdk(name)["releases"][version] = {"reached": reached, "failed": {}, "unlisted": []}
    failures = Failures(tmp_path / "failures.json")
    failures.update([(Release("java", "3.0.0"), "cannot build")], {"java": "h"})
    registry.clear()

    plan = run_plan(tmp_path, index=index, failures=failures)
    assert plan["sdks"]["python"]["due"] == ["0.109.0", "2.17.0"] and plan["sdks"]["python"]["done"] == 1
    assert plan["sdks"]["go"]["due"] == [
        "v1.50.0",
        "v2.0.0",
        "v2.5.0",
        "v2.6.0",
        "v2.18.0",
    ]  # v2.6.0 did not start
    assert plan["sdks"]["java"]["due"] == ["2.40.0", "2.75.0", "3.17.0"]
    assert plan["sdks"]["java"]["held"] == {"3.0.0": "cannot build"}
    assert not any(p.startswith(("python", "go")) for p in registry)  # the first release is known

    assert run_plan(tmp_path, "--redo-all", index=index, failures=failures)["sdks"]["python"]["due"][-2:] == [
        "2.16.0",
        "2.17.0",
    ]
    assert run_plan(tmp_path, "--retry-failed", index=index, failures=failures)["sdks"]["java"]["due"] == [
        "2.40.0",
        "2.75.0",
        "3.0.0",
        "3.17.0",
    ]
    other_seed = run_plan(tmp_path, "--seed", "2", index=index, failures=failures)
    assert "2.16.0" in other_seed["sdks"]["python"]["due"]  # done under another seed is not done


def test_a_dry_run_lists_the_plan_and_gates_nothing(
    registry: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweep_sdks, "gate", _never)
    monkeypatch.setattr(sweep_sdks, "Failures", lambda: Failures(tmp_path / "failures.json"))
    out = ["--out", str(tmp_path / "out"), "--work", str(tmp_path / "work")]
    assert sweep_sdks.main(["--dry-run", "--sdk", "go", "--shard", "2/2", *out]) == 0
    said = capsys.readouterr().out
    assert "go: 6 final releases served, 5 with the operation (from v1.50.0)" in said
    assert "to gate now: go@v2.0.0 go@v2.6.0" in said  # shard 2 of 2 of v1.50.0 to v2.18.0 (five)
    assert sweep_sdks.main(["--dry-run", "--json", *out]) == 0
    plan = json.loads(capsys.readouterr().out)
    go = [{"sdk": "go", "shard": f"{i}/2"} for i in (1, 2)]  # five cold Go builds: two jobs
    assert plan["matrix"]["include"] == [{"sdk": n, "shard": "1/1"} for n in ("python", "java")] + go
    assert not (tmp_path / "work").exists() and not (tmp_path / "out").exists()


def _never(*args: Any, **kwargs: Any) -> Callable[..., Any]:
    raise AssertionError("a dry run gated something")


# --- the picture --------------------------------------------------------------------------------


def test_the_picture_says_where_each_failure_began_and_ended() -> None:
    from xml.etree import ElementTree

    from sweep.heatmap import Column, Panel, render_svg

    int64 = {"client.parse.int64": "MUST"}
    columns = [
        Column("2.40.0", "not swept", note="no harness"),
        Column("3.0.0", "gated", int64, drift=11),
        Column("3.1.0", "due"),  # not gated yet: it neither breaks nor ends the stretch
        Column("3.2.0", "gated", int64, frozenset(int64)),
        Column("3.3.0", "gated", drift=10),
        Column("3.4.0", "not started", note="cannot build"),
        Column("3.5.0", "gated", {"edge.timestamp.leap-second": "EDGE"}),
    ]
    svg = ElementTree.fromstring(render_svg([Panel("java", columns)], heading="sweep"))
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in svg.iter(f"{ns}text")]
    assert "3.0.0 to 3.2.0, fixed in 3.3.0" in texts  # one stretch over the release not gated
    assert "3.5.0, still fails" in texts  # EDGE
    titles = {r.findtext(f"{ns}title") for r in svg.iter(f"{ns}rect")}
    assert "did not start: 3.4.0" in titles  # named, and no "fixed in": nothing was judged
    assert ["client.parse.int64", "edge.timestamp.leap-second", "did not start"] == [
        t for t in texts if t in ("client.parse.int64", "edge.timestamp.leap-second", "did not start")
    ]  # MUST first, EDGE after, the harness that did not start last
    bars = {
        r.findtext(f"{ns}title"): r.get("stroke")
        for r in svg.iter(f"{ns}rect")
        if r.get("stroke") in ("#000", "none")
    }
    assert bars["client.parse.int64: 3.0.0 to 3.2.0, fixed in 3.3.0"] == "#000"  # 3.2.0's is listed nowhere
    assert bars["edge.timestamp.leap-second: 3.5.0, still fails"] == "none"
    assert {"11", "10"} <= set(texts)  # the drift row


def test_the_drift_column_says_how_many_differences_no_expectations_file_lists() -> None:
    from xml.etree import ElementTree

    from sweep.dashboard import _sdk_section
    from sweep.heatmap import Column, Panel, render_svg
    from sweep.index import entry_of

    def target(version: str, drift: dict[str, Any] | None) -> dict[str, Any]:
        base = {"identity": {}, "verdict": "conformant", "gate": "passed", "requirements": []}
        return {**base, "id": f"sdk:java@{version}", "drift": drift}

    def drift(count: int, unlisted: int) -> dict[str, Any]:
        return {"differences": [{}] * count, "unexpected": unlisted, "error": None}

    index = Index()
    gated = {
        "3.0.0": target("3.0.0", drift(10, 0)),
        "3.1.0": target("3.1.0", drift(11, 0)),
        "3.2.0": target("3.2.0", drift(11, 1)),
        "3.3.0": target("3.3.0", {"differences": [], "unexpected": 0, "error": "no Maven"}),
    }
    for version, found in gated.items():
        index.sdk("java")["releases"][version] = entry_of(found, swept="2026-12-06")
    assert "drift" not in index.sdk("java")["releases"]["3.3.0"]  # not read: no count, not a zero
    lines, _ = _sdk_section(index, "java")
    assert lines[-1] == "| 3.0.0 to 3.3.0 (4) | 10 to 11 (1 not listed) |"
    columns = [
        Column("3.0.0", "gated", drift=10, drift_unlisted=0),
        Column("3.2.0", "gated", drift=11, drift_unlisted=1),
    ]
    svg = ElementTree.fromstring(render_svg([Panel("java", columns)], heading="sweep"))
    fills = {t.text: t.get("fill") for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert fills["10"] == "#546e7a" and fills["11"] == "#c62828"  # red: one is listed nowhere
