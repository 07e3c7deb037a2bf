"""The reference server's state model, scenario files and run store, without HTTP."""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from drun_conformance import InputError
from drun_conformance.server.reference import (
    PRECEDENCE,
    create_app,
    default_scenario,
    expected_outcomes,
    load_scenario,
    parse_scenario,
    run_error_types,
)
from drun_conformance.server.reference._ids import new_run_id, rfc3339
from drun_conformance.server.reference._store import RunQuery, RunStore, _commit, _row
from drun_conformance.server.reference._world import World

from ._reference import FakeClock, small_scenario
from .conftest import run_cli

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)

# One deployment broken in every way the model knows; each fix below mends the cause that
# wins, in precedence order, so the outcomes walk the whole precedence list.
BROKEN: dict[str, Any] = {
    "organizations": [{"id": "org", "state": "disabled"}],
    "workspaces": [{"id": "ws", "organization": "org", "state": "archived"}],
    "agents": [
        {"id": "agent", "version": 2, "state": "archived", "skills": ["skill"], "mcp_hosts": ["mcp.example"]}
    ],
    "environments": [{"id": "env", "state": "deleted", "hosting": "self_hosted", "allowed_hosts": []}],
    "vaults": [{"id": "vault_gone", "state": "deleted"}, {"id": "vault_old", "state": "archived"}],
    "files": [{"id": "file", "state": "deleted"}],
    "memory_stores": [{"id": "memstore", "state": "archived"}],
    "skills": [{"id": "skill", "state": "deleted"}],
    "deployments": [
        {
            "id": "depl",
            "workspace": "ws",
            "agent": {"id": "agent", "version": 1},
            "environment": "env",
            "vaults": ["vault_old", "vault_gone"],
            "resources": [
                {"type": "memory_store", "id": "memstore"},
                {"type": "github_repository", "id": "repo"},
                {"type": "file", "id": "file"},
            ],
            "session_rate_limit": {"sessions": 0, "window_seconds": 60},
            "reject_session_creation": True,
            "inject_unexpected_failure": True,
        }
    ],
}


def _set(table: str, index: int, **fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda s: s[table][index].update(fields)


def _deployment(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return _set("deployments", 0, **fields)


FIXES = [
    _set("organizations", 0, state="active"),
    _set("workspaces", 0, state="active"),
    _set("agents", 0, state="active"),
    _set("environments", 0, state="archived"),
    _set("environments", 0, state="active"),
    _set("environments", 0, hosting="cloud"),
    _set("vaults", 0, state="active"),
    _set("vaults", 1, state="active"),
    _set("files", 0, state="active"),
    _set("memory_stores", 0, state="active"),
    lambda s: s["deployments"][0]["resources"].pop(1),
    _set("skills", 0, state="active"),
    _set("environments", 0, allowed_hosts=["MCP.example"]),
    _deployment(session_rate_limit=None),
    _deployment(reject_session_creation=False),
    _deployment(inject_unexpected_failure=False),
]


def _outcome(data: dict[str, Any]) -> str | None:
    world = World(parse_scenario(data))
    outcome = world.run(world.deployments["depl"], NOW)
    assert (outcome.session_id is None) != (outcome.error_type is None)
    assert outcome.error_type is None or (outcome.message or "").strip()
    return outcome.error_type


def test_precedence_is_a_permutation_of_the_contract_s_error_types() -> None:
    assert sorted(PRECEDENCE) == sorted(run_error_types()) and len(PRECEDENCE) == 16


def test_fixing_the_winning_cause_walks_the_precedence_in_order() -> None:
    data = copy.deepcopy(BROKEN)
    seen = []
    for fix in FIXES:
        seen.append(_outcome(data))
        fix(data)
    seen.append(_outcome(data))
    assert seen == [*PRECEDENCE, None]


# The opposite of FIXES: each breaks one cause of a healthy deployment, in precedence order.
BREAKS = [
    _set("organizations", 0, state="disabled"),
    _set("workspaces", 0, state="archived"),
    _set("agents", 0, state="archived"),
    _set("environments", 0, state="deleted"),
    _set("environments", 0, state="archived"),
    _set("environments", 0, hosting="self_hosted"),
    _set("vaults", 0, state="deleted"),
    _set("vaults", 1, state="archived"),
    _set("files", 0, state="deleted"),
    _set("memory_stores", 0, state="archived"),
    lambda s: s["deployments"][0]["resources"].append({"type": "git_repository", "id": "r"}),
    _set("skills", 0, state="deleted"),
    _set("environments", 0, allowed_hosts=["other.example"]),
    _deployment(session_rate_limit={"sessions": 0, "window_seconds": 1}),
    _deployment(reject_session_creation=True),
    _deployment(inject_unexpected_failure=True),
]


@pytest.mark.parametrize(("error_type", "index"), [(t, i) for i, t in enumerate(PRECEDENCE)])
def test_each_cause_alone_yields_its_error(error_type: str, index: int) -> None:
    healthy = copy.deepcopy(BROKEN)
    for fix in FIXES:
        fix(healthy)
    assert _outcome(healthy) is None
    BREAKS[index](healthy)
    assert _outcome(healthy) == error_type


def test_a_deleted_memory_store_has_no_error_of_its_own() -> None:
    data = {
        "agents": [{"id": "agent_a", "version": 1}],
        "environments": [{"id": "env_a"}],
        "memory_stores": [{"id": "m", "state": "deleted"}],
        "deployments": [
            {
                "id": "depl",
                "agent": {"id": "agent_a"},
                "environment": "env_a",
                "resources": [{"type": "memory_store", "id": "m"}],
            }
        ],
    }
    assert _outcome(data) == "session_resource_not_found_error"


def test_an_unrestricted_environment_lets_every_mcp_host_through() -> None:
    data = {
        "agents": [{"id": "agent_a", "version": 1, "mcp_hosts": ["anything.example"]}],
        "environments": [{"id": "env_a"}],
        "deployments": [{"id": "depl", "agent": {"id": "agent_a"}, "environment": "env_a"}],
    }
    assert _outcome(data) is None
    data["environments"][0]["allowed_hosts"] = ["other.example"]
    assert _outcome(data) == "mcp_egress_blocked_error"


def test_the_agent_version_is_the_pinned_one_or_the_latest() -> None:
    world = World(small_scenario(agent={"id": "agent_a", "version": 2}))
    assert world.run(world.deployments["depl"], NOW).agent_version == 2
    world = World(small_scenario())
    assert world.run(world.deployments["depl"], NOW).agent_version == 4


def test_the_rate_limit_counts_created_sessions_in_a_sliding_window() -> None:
    clock = FakeClock()
    world = World(small_scenario(session_rate_limit={"sessions": 3, "window_seconds": 10}), clock=clock)
    depl = world.deployments["depl"]
    outcomes = []
    for _ in range(5):  # t = 0, 2, 4, 6, 8: three sessions, then limited
        outcomes.append(world.run(depl).error_type)
        clock.advance(2)
    assert outcomes == [None, None, None, "session_rate_limited_error", "session_rate_limited_error"]
    clock.now = FakeClock().now + timedelta(seconds=10)  # the first session leaves the window
    assert world.run(depl).error_type is None
    assert world.run(depl).error_type == "session_rate_limited_error"
    clock.advance(4.5)  # t = 14.5: the sessions of t = 2 and 4 have left, t = 10 remains
    assert [world.run(depl).error_type for _ in range(3)] == [None, None, "session_rate_limited_error"]


def test_a_failed_run_does_not_count_towards_the_rate_limit() -> None:
    world = World(
        small_scenario(session_rate_limit={"sessions": 1, "window_seconds": 60}, reject_session_creation=True)
    )
    depl = world.deployments["depl"]
    assert [world.run(depl, NOW).error_type for _ in range(3)] == ["session_creation_rejected_error"] * 3
    assert world.sessions_in_window(depl, NOW) == 0


def test_expected_outcomes_of_another_scenario() -> None:
    scenario = small_scenario(inject_unexpected_failure=True)
    assert [tuple(e) for e in expected_outcomes(scenario)] == [("depl", "unknown_error")]
    assert expected_outcomes() == expected_outcomes(default_scenario())


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda s: s["deployments"][0].update(colour="red"), "deployments[0].colour", "Extra inputs"),
        (lambda s: s["agents"][0].update(version="three"), "agents[0].version", "integer"),
        (lambda s: s["agents"][0].update(version=0), "agents[0].version", "greater than or equal to 1"),
        (lambda s: s["agents"][0].update(version=2**63), "agents[0].version", "less than or equal"),
        (lambda s: s["environments"][0].update(state="gone"), "environments[0].state", "'deleted'"),
        (lambda s: s["environments"][0].update(hosting="moon"), "environments[0].hosting", "self_hosted"),
        (
            lambda s: s["deployments"][0].update(environment="env_typo"),
            "deployments[0].environment",
            "env_typo",
        ),
        (lambda s: s["deployments"][0].update(workspace="ws_nope"), "deployments[0].workspace", "ws_nope"),
        (lambda s: s["deployments"][0].update(vaults=["v"]), "deployments[0].vaults[0]", "not declared"),
        (lambda s: s["deployments"][0].update(agent={"id": "ghost"}), "deployments[0].agent.id", "ghost"),
        (
            lambda s: s["deployments"][0].update(agent={"id": "agent_a", "version": 9}),
            "deployments[0].agent.version",
            "above the latest",
        ),
        (
            lambda s: s["deployments"][0].update(resources=[{"type": "file", "id": "f"}]),
            "deployments[0].resources[0].id",
            "not declared in files",
        ),
        (
            lambda s: s["deployments"][0].update(session_rate_limit={"sessions": -1, "window_seconds": 1}),
            "deployments[0].session_rate_limit.sessions",
            "greater than or equal to 0",
        ),
        (
            lambda s: s["deployments"][0].update(session_rate_limit={"sessions": 1, "window_seconds": 0}),
            "deployments[0].session_rate_limit.window_seconds",
            "greater than 0",
        ),
        (lambda s: s["deployments"].append(dict(s["deployments"][0])), "deployments[1].id", "declared twice"),
        (lambda s: s["deployments"][0].update(id=""), "deployments[0].id", "at least 1 character"),
        (lambda s: s.update(api_keys=[]), "api_keys", "at least 1 item"),
        (lambda s: s.update(api_keys=["has space"]), "api_keys[0]", "pattern"),
        (lambda s: s["agents"][0].update(skills=["skill_x"]), "agents[0].skills[0]", "skill_x"),
        (
            lambda s: s.update(workspaces=[{"id": "w", "organization": "org_x"}]),
            "workspaces[0].organization",
            "org_x",
        ),
    ],
)
def test_scenario_errors_name_the_field(
    change: Callable[[dict[str, Any]], None], field: str, words: str
) -> None:
    data = {
        "agents": [{"id": "agent_a", "version": 4}],
        "environments": [{"id": "env_a"}],
        "deployments": [{"id": "depl", "agent": {"id": "agent_a"}, "environment": "env_a"}],
    }
    change(data)
    with pytest.raises(InputError) as caught:
        parse_scenario(data, source="my.yaml")
    message = str(caught.value)
    assert message.startswith("my.yaml") and field in message and words in message, message
    assert caught.value.exit_status == 2


@pytest.mark.parametrize("every", [1e-7, 1e-300, 0.5, 0, -1, 4e7, 1e20, 1e308, float("inf"), float("nan")])
def test_a_schedule_out_of_range_is_not_a_valid_scenario(every: float) -> None:
    """Before: 1e-7 crashed `serve` at start (two firings, one instant), 1e20 and 1e308 overflowed."""
    data = {
        "agents": [{"id": "agent_a", "version": 4}],
        "environments": [{"id": "env_a"}],
        "deployments": [
            {
                "id": "depl",
                "agent": {"id": "agent_a"},
                "environment": "env_a",
                "schedule": {"every_seconds": every, "history": 3},
            }
        ],
    }
    with pytest.raises(InputError) as caught:
        parse_scenario(data, source="my.yaml")
    assert str(caught.value) == (
        "my.yaml is not a valid scenario:\n  deployments[0].schedule.every_seconds: expected from 1 to"
        f" 31,622,400 seconds (a year), got {float(every)}"
    )


@pytest.mark.parametrize("every", [1, 31_622_400])
def test_a_schedule_at_either_bound_starts(every: float) -> None:
    """The bounds are sane: 1,000 firings a second or a year apart are all recorded at start."""
    schedule = {"every_seconds": every, "history": 1000, "latency_ms": 31_622_400_000}
    create_app(small_scenario(schedule=schedule))


@pytest.mark.slow
@pytest.mark.parametrize("every", ["1e-7", "1e308", "1e20"])
def test_serve_refuses_a_schedule_out_of_range_with_exit_2(every: str, tmp_path: Path) -> None:
    path = tmp_path / "sched.yaml"
    default = files("drun_conformance.server.reference").joinpath("default_scenario.yaml").read_text()
    path.write_text(default.replace("every_seconds: 3600", f"every_seconds: {every}"))
    result = run_cli("serve", "--port", "0", "--scenario", str(path))
    err = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in err, err
    assert "deployments[0].schedule.every_seconds: expected from 1 to 31,622,400 seconds (a year)" in err


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("bad.json", '{"deployments": [\n  1,\n', "bad.json: line 3: not JSON"),
        ("bad.yaml", "deployments:\n  - id: [unclosed\n", "bad.yaml: line 3: not YAML"),
        ("list.yaml", "- 1\n- 2\n", "expected a mapping"),
        ("empty.yaml", "", "expected a mapping"),
        ("binary.yaml", "\udcff", "not UTF-8"),
    ],
)
def test_unreadable_scenario_files(tmp_path: Path, name: str, text: str, words: str) -> None:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert words in str(caught.value), str(caught.value)


def test_a_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"cannot read scenario .*No such file"):
        load_scenario(tmp_path / "nope.yaml")


def test_json_and_yaml_scenarios_load_alike(tmp_path: Path) -> None:
    data = small_scenario().model_dump(mode="json")
    (tmp_path / "s.json").write_text(json.dumps(data))
    (tmp_path / "s.yml").write_text(json.dumps(data, indent=2))  # JSON is YAML
    assert load_scenario(tmp_path / "s.json") == load_scenario(tmp_path / "s.yml") == small_scenario()


@pytest.mark.slow
def test_serve_rejects_a_bad_scenario_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("deployments:\n  - id: depl\n    agent: {id: nobody}\n    environment: env\n")
    result = run_cli("serve", "--scenario", str(path))
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "deployments[0].agent.id: 'nobody' is not declared in agents" in err
    assert "deployments[0].environment" in err and "Traceback" not in err
    assert result.stdout == b""


@pytest.mark.slow
def test_serve_rejects_a_bad_port() -> None:
    result = run_cli("serve", "--port", "70000")
    assert result.returncode == 2 and b"--port" in result.stderr


def test_run_ids_are_ulids_and_timestamps_have_microseconds() -> None:
    at = datetime(2026, 5, 1, 12, 0, 0, 5, tzinfo=UTC)
    ids = {new_run_id(at) for _ in range(1000)}
    assert len(ids) == 1000 and all(len(i) == 31 for i in ids)
    assert new_run_id(at)[:15] < new_run_id(at + timedelta(milliseconds=1))[:15]
    assert rfc3339(at) == "2026-05-01T12:00:00.000005Z"


@pytest.mark.parametrize("where", ["file", "memory"])
def test_the_store_is_append_only_and_survives_a_reopen(tmp_path: Path, where: str) -> None:
    database = tmp_path / "runs.sqlite" if where == "file" else ":memory:"
    store = RunStore(database)
    run = {"id": "drun_1", "deployment_id": "d", "error": None, "trigger_context": {"type": "manual"}}
    assert store.append([(run, NOW)]).result(timeout=10) is None
    for statement in ("UPDATE runs SET deployment_id = 'x'", "DELETE FROM runs"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store._read.execute(statement)
    with pytest.raises(sqlite3.IntegrityError):
        store.append([(run, NOW)]).result(timeout=10)  # a run id is stored once
    assert store.get("drun_1") == run and store.count() == 1
    store.close()
    if where == "file":
        reopened = RunStore(database)
        assert reopened.get("drun_1") == run and reopened.count() == 1
        assert reopened.list(RunQuery(deployment_id="d")) == ([run], None)
        reopened.close()


def _run(run_id: str) -> dict[str, Any]:
    return {"id": run_id, "deployment_id": "d", "error": None, "trigger_context": {"type": "manual"}}


def test_one_commit_holds_many_appends_each_all_or_nothing() -> None:
    # What the writer thread commits together: a bad append fails alone, the others are kept.
    store = RunStore()
    store.append([(_run("drun_taken"), NOW)]).result()
    good, bad, later = Future[None](), Future[None](), Future[None]()
    jobs = [
        ([_row(_run("drun_a"), NOW), _row(_run("drun_b"), NOW)], good),
        ([_row(_run("drun_c"), NOW), _row(_run("drun_taken"), NOW)], bad),
        ([_row(_run("drun_d"), NOW)], later),
    ]
    _commit(store._read, jobs)
    assert good.result() is None and later.result() is None
    with pytest.raises(sqlite3.IntegrityError):
        bad.result()
    assert [r["id"] for r in store.list(RunQuery())[0]] == ["drun_d", "drun_b", "drun_a", "drun_taken"]


def test_a_failed_transaction_fails_every_append_in_it(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite")
    futures = [Future[None](), Future[None]()]
    db = sqlite3.connect(tmp_path / "runs.sqlite", isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")  # another writer holds the file: no transaction can start
    writer = sqlite3.connect(tmp_path / "runs.sqlite", isolation_level=None, timeout=0.1)
    _commit(writer, [([_row(_run("drun_a"), NOW)], futures[0]), ([_row(_run("drun_b"), NOW)], futures[1])])
    for future in futures:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            future.result()
    db.rollback()
    assert store.count() == 0
    store.close()


def test_a_file_store_commits_on_close_and_stops_its_thread(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite")
    futures = [store.append([(_run(f"drun_{i}"), NOW)]) for i in range(200)]
    store.close()
    assert all(f.result(timeout=0) is None for f in futures)
    assert store._writer is not None and not store._writer._thread.is_alive()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        store.append([(_run("drun_late"), NOW)]).result(timeout=10)  # an error, never a wait
    reopened = RunStore(tmp_path / "runs.sqlite")
    assert reopened.count() == 200
    reopened.close()


def test_an_unopenable_database_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot open the run database"):
        RunStore(tmp_path / "no" / "such" / "dir" / "runs.sqlite")
