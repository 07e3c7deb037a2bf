"""Retrieve and the listing walk in the SDK gate, piece by piece: the protocol's new commands, the
scripted mock's pages, and the checks of a retrieve's request and of a walk (pure: no harness)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

import pytest

from drun_conformance.client._cases import ListCase, ServedPage, family_coverage_cases
from drun_conformance.client._mock import Scripted, ScriptedServer
from drun_conformance.client._protocol import ProtocolBug, check_command, response_problem
from drun_conformance.oracle import ClientCall, Oracle, RecordedRequest
from drun_conformance.oracle._client_family import listed_calls

from .conftest import VALID_RUN

ORACLE = Oracle.default()
KEY = "drun-gate-test-key"
HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01", "anthropic-beta": "managed-agents-2026-04-01"}
RUN = {**VALID_RUN, "id": "drun_1", "deployment_id": "depl_1"}
FAMILY = {"client.retrieve.path", "client.list.query", "client.list.cursor", "client.list.items"}


def request(target: str, method: str = "GET") -> RecordedRequest:
    return RecordedRequest(method, target, dict(HEADERS), b"")


def failed(call: ClientCall) -> set[str]:
    evaluation = ORACLE.judge_client_request(call) + ORACLE.judge_client_parse(call)
    for item in listed_calls(call):
        evaluation += ORACLE.judge_client_parse(item)
    return {f.requirement for f in evaluation.findings}


# --- the protocol -------------------------------------------------------------------------------


def test_the_new_commands_and_their_answers_validate() -> None:
    base = {"seq": 1, "base_url": "http://127.0.0.1:9", "api_key": "k", "betas": None}
    check_command({"cmd": "retrieve", "run_id": "drun_a/b", **base})
    check_command({"cmd": "list", "filters": {"created_at[gte]": "2026-11-27T18:00:00Z", "limit": 2}, **base})
    with pytest.raises(ProtocolBug):
        check_command({"cmd": "list", "filters": {"created_at_gte": "2026-11-27T18:00:00Z"}, **base})
    assert response_problem("list", {"seq": 1, "outcome": "ok", "runs": [{"run": RUN, "types": {}}]}) is None
    assert response_problem("retrieve", {"seq": 1, "outcome": "ok", "run": RUN}) is None
    problem = response_problem("list", {"seq": 1, "outcome": "ok", "runs": [{"rn": RUN}]})
    assert problem is not None and "'run' is a required property" in problem


def test_unsupported_is_an_answer_to_the_family_only() -> None:
    unsupported = {"seq": 1, "ok": False, "unsupported": True}
    assert response_problem("retrieve", unsupported) is None
    assert response_problem("list", unsupported) is None
    assert response_problem("run", unsupported) is not None  # run is the protocol's core: always answered


# --- the scripted mock --------------------------------------------------------------------------


def _get(app: ScriptedServer, target: str) -> tuple[int, Any]:
    """One GET through the ASGI app, in process (no socket)."""
    path, _, query = target.partition("?")
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [],
    }
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], json.loads(sent[1]["body"])


def test_the_mock_serves_a_walk_by_its_cursors_and_decides_on_a_page_asked_twice() -> None:
    case = next(c for c in family_coverage_cases() if c.label == "a walk of three pages, the last empty")
    assert isinstance(case, ListCase)
    mock, decided = ScriptedServer(), []
    mock.arm_walk(case.scripted_pages(), on_repeat=lambda: decided.append(True))
    status, first = _get(mock, "/v1/deployment_runs?limit=2")
    assert status == 200 and first["next_page"] == "a+b/c=d&e"
    status, second = _get(mock, "/v1/deployment_runs?limit=2&page=a%2Bb%2Fc%3Dd%26e")
    assert status == 200 and second["next_page"] == "next page ü" and not decided
    status, _ = _get(mock, "/v1/deployment_runs?limit=2&page=a+b/c=d&e")  # `+` is a space: no such cursor
    assert status == 400 and decided == [True]
    assert len(mock.take(operation="list")) == 3


def test_the_mock_keys_a_retrieve_by_its_run_id() -> None:
    mock = ScriptedServer()
    mock.arm("drun_a/b", Scripted(200, (), json.dumps(RUN).encode()), operation="retrieve")
    mock.arm("drun_a/b", Scripted(500, (), b"{}"))  # a run case of the same id: another case
    assert _get(mock, "/v1/deployment_runs/drun_a%2Fb") == (200, RUN)
    assert [r.target for r in mock.take("drun_a/b", operation="retrieve")] == [
        "/v1/deployment_runs/drun_a%2Fb"
    ]


# --- a retrieve -----------------------------------------------------------------------------------


def retrieve(target: str, method: str = "GET") -> ClientCall:
    return ClientCall(
        deployment_id="drun_a/b?c#d%e f",
        betas=None,
        api_key=KEY,
        status=200,
        served_headers={},
        served=RUN,
        requests=(request(target, method),),
        answer={"seq": 1, "outcome": "ok", "run": RUN},
        operation="retrieve",
    )


def test_a_retrieve_by_the_escaped_id_passes_and_is_judged_by_the_run_checks() -> None:
    call = retrieve("/v1/deployment_runs/drun_a%2Fb%3Fc%23d%25e%20f")
    evaluation = ORACLE.judge_client_request(call) + ORACLE.judge_client_parse(call)
    assert evaluation.findings == []
    assert {"client.retrieve.path", "client.request.once", "client.parse.ok"} <= evaluation.exercised
    assert not evaluation.exercised & {"client.request.method", "client.request.path"}  # the run's own


@pytest.mark.parametrize(
    ("target", "method"),
    [
        ("/v1/deployment_runs/drun_a/b?c#d%e f", "GET"),
        ("/v1/deployment_runs/drun_a%2Fb%3Fc%23d%25e%20f", "POST"),
    ],
    ids=["unescaped", "post"],
)
def test_a_retrieve_sent_otherwise_is_its_path_finding_alone(target: str, method: str) -> None:
    assert failed(retrieve(target, method)) == {"client.retrieve.path"}


# --- a walk ---------------------------------------------------------------------------------------

PAGES = ({"data": [RUN], "next_page": "c+1"}, {"data": [{**RUN, "id": "drun_2"}], "next_page": None})
FILTERS = {"created_at[gte]": "2026-11-27T18:00:00Z", "has_error": False, "limit": 2}
FIRST = "/v1/deployment_runs?created_at%5Bgte%5D=2026-11-27T18%3A00%3A00%2B00%3A00&has_error=false&limit=2"


def walk(*targets: str, runs: list[dict[str, Any]] | None = None, outcome: str = "ok") -> ClientCall:
    answered = [{"run": RUN}, {"run": {**RUN, "id": "drun_2"}}] if runs is None else runs
    answer = (
        {"seq": 1, "outcome": "ok", "runs": answered}
        if outcome == "ok"
        else {
            "seq": 1,
            "outcome": outcome,
            "message": "ValueError: no",
        }
    )
    return ClientCall(
        deployment_id="",
        betas=None,
        api_key=KEY,
        status=200,
        served_headers={},
        served=None,
        requests=tuple(request(t) for t in targets),
        answer=answer,
        operation="list",
        filters=FILTERS,
        pages=PAGES,
    )


def test_a_walk_as_the_api_spells_it_passes() -> None:
    call = walk(FIRST, FIRST + "&page=c%2B1")  # created_at[gte] as +00:00: the same instant
    evaluation = ORACLE.judge_client_request(call)
    assert evaluation.findings == []
    assert {"client.list.query", "client.list.cursor", "client.list.items"} <= evaluation.exercised
    assert "client.request.once" not in evaluation.exercised  # a walk sends a request a page
    assert [item.served["id"] for item in listed_calls(call)] == ["drun_1", "drun_2"]


@pytest.mark.parametrize(
    ("targets", "requirement"),
    [
        (
            (FIRST.replace("%5Bgte%5D", "_gte"), FIRST.replace("%5Bgte%5D", "_gte") + "&page=c%2B1"),
            "client.list.query",
        ),
        ((FIRST.replace("false", "0"), FIRST.replace("false", "0") + "&page=c%2B1"), "client.list.query"),
        ((FIRST + "&deployment_id=depl_1", FIRST + "&deployment_id=depl_1&page=c%2B1"), "client.list.query"),
        ((FIRST, FIRST + "&page=c+1"), "client.list.cursor"),
        ((FIRST, FIRST.replace("limit=2", "limit=20") + "&page=c%2B1"), "client.list.cursor"),
        ((FIRST, FIRST + "&page=c%2B1", FIRST + "&page="), "client.list.cursor"),
        ((FIRST,), "client.list.cursor"),
    ],
    ids=[
        "name",
        "boolean",
        "filter-not-passed",
        "cursor-unescaped",
        "filters-changed",
        "past-the-end",
        "stopped",
    ],
)
def test_a_walk_sent_otherwise_is_its_requirement_alone(targets: tuple[str, ...], requirement: str) -> None:
    assert failed(walk(*targets)) == {requirement}


def test_a_walk_that_loses_a_run_is_the_items_finding_alone() -> None:
    assert failed(walk(FIRST, FIRST + "&page=c%2B1", runs=[{"run": RUN}])) == {"client.list.items"}


def test_a_walk_refused_is_charged_to_its_runs_as_a_run_refused() -> None:
    call = walk(FIRST, FIRST + "&page=c%2B1", outcome="client_error")
    assert failed(call) == {"client.parse.ok"}
    assert [item.answer["outcome"] for item in listed_calls(call) if item.answer] == ["client_error"] * 2


def test_each_coverage_walk_chains_its_cursors() -> None:
    walks = [c for c in family_coverage_cases() if isinstance(c, ListCase)]
    assert walks and all(len(c.scripted_pages()) == len(c.pages) for c in walks)
    assert ListCase((), (ServedPage((RUN,), "x"), ServedPage((), None))).scripted_pages().keys() == {
        None,
        "x",
    }
