"""The reference server in-process (httpx.ASGITransport): outcomes, envelopes, read-back, listing."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drun_conformance import spec
from drun_conformance.oracle import Oracle
from drun_conformance.server.reference import (
    DEFAULT_API_KEY,
    MAX_LIMIT,
    REQUIRED_BETA,
    Scenario,
    create_app,
    default_scenario,
    expected_outcomes,
    parse_scenario,
    run_error_types,
    run_path,
)
from drun_conformance.server.reference._scenario import MAX_ID_LENGTH

from ._reference import (
    HEADERS,
    FakeClock,
    asgi_client,
    assert_clean,
    assert_envelope,
    exchange_of,
    small_scenario,
)

pytestmark = pytest.mark.anyio

RUN_ID = re.compile(r"drun_[0-9A-HJKMNP-TV-Z]{26}")
CREATED_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
# Checks that cannot apply to a run started by Run Deployment Now: it has no schedule.
INVALID = "invalid_request_error"
NEVER_APPLY = {
    "run.trigger_context.scheduled_at.required",
    "run.trigger_context.scheduled_at.rfc3339",
    "run.trigger_context.scheduled-not-after-created",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(create_app()) as client:
        yield client


def unscheduled() -> Scenario:
    """The default scenario without its scheduled firings: a store that starts empty."""
    scenario = default_scenario()
    deployments = tuple(d.model_copy(update={"schedule": None}) for d in scenario.deployments)
    return scenario.model_copy(update={"deployments": deployments})


async def run(client: httpx.AsyncClient, deployment_id: str, **headers: str) -> httpx.Response:
    return await client.post(run_path(deployment_id), headers={**HEADERS, **headers})


def test_the_default_scenario_has_one_deployment_per_outcome() -> None:
    outcomes = expected_outcomes()
    failing = [e for e in outcomes if e.error_type]
    assert sorted(e.error_type or "" for e in failing) == sorted(run_error_types())
    assert all(e.deployment_id == f"depl_{e.error_type}" for e in failing)
    assert {e.deployment_id for e in outcomes if not e.error_type} == {"depl_ok", "depl_escape me/?#%é"}


async def test_scheduled_firings_are_on_record_from_the_start(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/deployment_runs?trigger_type=schedule", headers=HEADERS)
    runs = response.json()["data"]
    assert [r["deployment_id"] for r in runs].count("depl_ok") == 3
    assert [r["deployment_id"] for r in runs].count("depl_vault_archived_error") == 2
    judged = Oracle.default().judge_listing_page(exchange_of(response, "", None), response.json())
    assert judged.page.violations == [] and len(judged.runs) == len(runs)
    for _, evaluation in judged.runs:
        assert evaluation.findings == [], evaluation.findings
        assert {
            "run.trigger_context.scheduled_at.rfc3339",
            "run.trigger_context.scheduled-not-after-created",
        } <= evaluation.exercised


@pytest.mark.parametrize("expected", expected_outcomes(), ids=lambda e: e.deployment_id)
async def test_every_outcome_is_reachable_and_clean(client: httpx.AsyncClient, expected: Any) -> None:
    response = await run(client, expected.deployment_id)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["request-id"].startswith("req_")
    assert_clean(response, expected.deployment_id)
    body = response.json()
    assert list(body) == [
        "id", "agent", "created_at", "deployment_id", "error", "session_id", "trigger_context", "type"
    ]  # fmt: skip
    assert RUN_ID.fullmatch(body["id"]) and CREATED_AT.fullmatch(body["created_at"])
    assert body["agent"]["type"] == "agent" and isinstance(body["agent"]["version"], int)
    assert body["deployment_id"] == expected.deployment_id
    assert body["trigger_context"] == {"type": "manual"} and body["type"] == "deployment_run"
    if expected.error_type is None:
        assert body["error"] is None and body["session_id"].startswith("sesn_")
    else:
        assert body["session_id"] is None
        assert body["error"]["type"] == expected.error_type and body["error"]["message"].strip()


async def test_every_server_requirement_is_exercised(client: httpx.AsyncClient) -> None:
    exercised: set[str] = set()
    seen: set[str] = set()
    for expected in expected_outcomes():
        response = await run(client, expected.deployment_id)
        exercised |= assert_clean(response, expected.deployment_id, seen=seen).exercised
        seen.add(response.json()["id"])
    for deployment_id, headers, known, key_wrong in [
        ("depl_ok", {"x-api-key": "", "anthropic-beta": REQUIRED_BETA}, True, False),
        ("depl_ok", {"x-api-key": "sk-wrong", "anthropic-beta": REQUIRED_BETA}, True, True),
        ("depl_ok", {"x-api-key": DEFAULT_API_KEY, "anthropic-beta": ""}, True, False),
        (
            "depl_ok",
            {"x-api-key": DEFAULT_API_KEY, "anthropic-beta": f"files-api-2025-04-14,{REQUIRED_BETA}"},
            True,
            False,
        ),
        ("depl_nope", HEADERS, False, False),
    ]:
        response = await client.post(run_path(deployment_id), headers=headers)
        exercised |= assert_clean(response, deployment_id, known=known, key_wrong=key_wrong).exercised
    server = {r.id for r in spec.load_catalog().on("server")}
    # Read-back and listing requirements are exercised by reading runs back and walking the
    # listing, and the transport ones by answers over a socket (the server runner does all
    # three), not by running deployments in process.
    later = ("run.read-back.", "listing.", "http.answer.")
    unexercised = {r for r in server - exercised if not r.startswith(later)}
    assert unexercised == NEVER_APPLY


@pytest.mark.parametrize(
    ("headers", "status", "error_type"),
    [
        ({"anthropic-beta": REQUIRED_BETA}, 401, "authentication_error"),
        ({"x-api-key": "sk-wrong", "anthropic-beta": REQUIRED_BETA}, 401, "authentication_error"),
        ({"authorization": "Basic c2s6", "anthropic-beta": REQUIRED_BETA}, 401, "authentication_error"),
        ({"authorization": "Bearer", "anthropic-beta": REQUIRED_BETA}, 401, "authentication_error"),
        ({"x-api-key": DEFAULT_API_KEY}, 400, "invalid_request_error"),
        ({"x-api-key": DEFAULT_API_KEY, "anthropic-beta": "files-api-2025-04-14"}, 400, INVALID),
        ({"x-api-key": DEFAULT_API_KEY, "anthropic-beta": "managed-agents"}, 400, "invalid_request_error"),
    ],
    ids=["no-key", "wrong-key", "basic-auth", "empty-bearer", "no-beta", "other-beta", "beta-prefix"],
)
async def test_auth_and_beta_envelopes(
    client: httpx.AsyncClient, headers: dict[str, str], status: int, error_type: str
) -> None:
    response = await client.post(run_path("depl_ok"), headers=headers)
    assert_envelope(response, status, error_type)
    assert_clean(response, "depl_ok")


async def test_unknown_deployment_is_a_404_envelope_and_makes_no_run(client: httpx.AsyncClient) -> None:
    before = (await client.get("/v1/deployment_runs", headers=HEADERS)).json()["data"]
    response = await run(client, "depl_does_not_exist")
    assert_envelope(response, 404, "not_found_error")
    assert_clean(response, "depl_does_not_exist", known=False)
    listing = await client.get("/v1/deployment_runs", headers=HEADERS)
    assert listing.json()["data"] == before


@pytest.mark.parametrize(
    "headers",
    [
        {"authorization": f"Bearer {DEFAULT_API_KEY}"},
        {"authorization": f"bearer   {DEFAULT_API_KEY}"},
        {"x-api-key": "", "authorization": f"Bearer {DEFAULT_API_KEY}"},
        {"x-api-key": "sk-wrong", "authorization": f"Bearer {DEFAULT_API_KEY}"},
        {"x-api-key": f" {DEFAULT_API_KEY} "},
    ],
)
async def test_either_header_may_carry_the_key(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.post(run_path("depl_ok"), headers={"anthropic-beta": REQUIRED_BETA, **headers})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "betas",
    [
        [f"files-api-2025-04-14,{REQUIRED_BETA}"],
        [f" files-api-2025-04-14 ,  {REQUIRED_BETA} , "],
        ["files-api-2025-04-14", REQUIRED_BETA],  # the header sent twice
        [f"{REQUIRED_BETA},some-future-beta-2030-01-01"],
    ],
)
async def test_the_beta_may_come_among_others(client: httpx.AsyncClient, betas: list[str]) -> None:
    headers = [("x-api-key", DEFAULT_API_KEY), *(("anthropic-beta", b) for b in betas)]
    response = await client.post(run_path("depl_ok"), headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "error_type"),
    [
        # route, then method, then key, then beta, then the deployment
        ("POST", "/v1/nothing", {}, 404, "not_found_error"),
        ("GET", run_path("depl_nope"), {}, 405, "invalid_request_error"),
        ("POST", run_path("depl_nope"), {}, 401, "authentication_error"),
        ("POST", run_path("depl_nope"), {"anthropic-beta": REQUIRED_BETA}, 401, "authentication_error"),
        ("POST", run_path("depl_nope"), {"x-api-key": DEFAULT_API_KEY}, 400, "invalid_request_error"),
        ("POST", run_path("depl_ok"), {"x-api-key": DEFAULT_API_KEY}, 400, "invalid_request_error"),
        ("POST", run_path("depl_nope"), HEADERS, 404, "not_found_error"),
        ("GET", "/v1/deployment_runs?limit=-1", {}, 401, "authentication_error"),
        ("GET", "/v1/deployment_runs?limit=-1", {"x-api-key": DEFAULT_API_KEY}, 400, "invalid_request_error"),
        ("GET", "/v1/deployment_runs/drun_nope", {"x-api-key": DEFAULT_API_KEY}, 400, INVALID),
        ("GET", "/v1/deployment_runs/drun_nope", HEADERS, 404, "not_found_error"),
    ],
)
async def test_precedence_of_request_errors(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], status: int, error_type: str
) -> None:
    response = await client.request(method, path, headers=headers)
    assert_envelope(response, status, error_type)


async def test_a_405_names_the_allowed_method(client: httpx.AsyncClient) -> None:
    response = await client.delete(run_path("depl_ok"), headers=HEADERS)
    assert_envelope(response, 405, "invalid_request_error")
    assert response.headers["allow"] == "POST"
    response = await client.post("/v1/deployment_runs", headers=HEADERS)
    assert response.headers["allow"] == "GET"


async def test_read_back_by_id_equals_the_run_answered(client: httpx.AsyncClient) -> None:
    for expected in expected_outcomes():
        answered = await run(client, expected.deployment_id)
        read = await client.get(f"/v1/deployment_runs/{answered.json()['id']}", headers=HEADERS)
        assert read.status_code == 200 and read.headers["content-type"] == "application/json"
        assert read.json() == answered.json()
        evaluation = Oracle.default().judge_read_back(
            exchange_of(read, "", None), read.json(), original=answered.json()
        )
        assert evaluation.violations == [] and "run.read-back.same-record" in evaluation.exercised


async def test_runs_are_unique_and_their_ids_sort_by_creation(client: httpx.AsyncClient) -> None:
    ids = [(await run(client, "depl_ok")).json()["id"] for _ in range(50)]
    assert len(set(ids)) == 50
    sessions = {(await run(client, "depl_ok")).json()["session_id"] for _ in range(20)}
    assert len(sessions) == 20


async def _listed(client: httpx.AsyncClient, query: str = "") -> dict[str, Any]:
    response = await client.get(f"/v1/deployment_runs{query}", headers=HEADERS)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json" and response.headers["request-id"]
    body: dict[str, Any] = response.json()
    assert list(body) == ["data", "next_page"]
    assert body["next_page"] is None or isinstance(body["next_page"], str)
    return body


async def test_listing_filters_and_pages_newest_first() -> None:
    clock = FakeClock()
    async with asgi_client(create_app(unscheduled(), clock=clock)) as client:
        made = []
        for index in range(25):
            deployment = "depl_ok" if index % 5 else "depl_vault_archived_error"
            made.append((await run(client, deployment)).json())
            clock.advance(1)
        newest_first = [r["id"] for r in reversed(made)]

        page = await _listed(client)
        assert [r["id"] for r in page["data"]] == newest_first[:20] and page["next_page"]
        assert page["data"] == list(reversed(made))[:20]
        assert (await _listed(client, "?limit=0"))["data"] == page["data"]  # 0: the default, as the SDKs say
        every = await _listed(client, f"?limit={MAX_LIMIT}")
        assert [r["id"] for r in every["data"]] == newest_first and every["next_page"] is None
        exact = await _listed(client, "?limit=25")
        assert len(exact["data"]) == 25 and exact["next_page"] is None
        rest = await _listed(client, f"?page={page['next_page']}")
        assert [r["id"] for r in rest["data"]] == newest_first[20:] and rest["next_page"] is None

        failed = await _listed(client, "?has_error=true")
        assert [r["deployment_id"] for r in failed["data"]] == ["depl_vault_archived_error"] * 5
        succeeded = await _listed(client, "?has_error=false&deployment_id=depl_ok&limit=100")
        assert len(succeeded["data"]) == 20 and all(r["session_id"] for r in succeeded["data"])
        assert (await _listed(client, "?deployment_id=depl_unknown_error"))["data"] == []
        assert len((await _listed(client, "?trigger_type=manual&limit=100"))["data"]) == 25
        assert (await _listed(client, "?trigger_type=schedule"))["data"] == []

        pivot = made[10]["created_at"]  # runs are one second apart
        for name, count in [("gt", 14), ("gte", 15), ("lt", 10), ("lte", 11)]:
            listed = await _listed(client, f"?created_at[{name}]={pivot}&limit=100")
            assert len(listed["data"]) == count, name
        window = await _listed(client, f"?created_at[gte]={pivot}&created_at[lt]={made[13]['created_at']}")
        assert [r["id"] for r in window["data"]] == [r["id"] for r in reversed(made[10:13])]
        offset = pivot.replace("Z", "+02:00").replace("T12:", "T14:")  # the same instant
        assert len((await _listed(client, f"?created_at[lte]={quote(offset)}&limit=100"))["data"]) == 11
        for run_ in (await _listed(client, "?limit=100"))["data"]:
            assert Oracle.default().judge_recorded(run_).violations == []


@pytest.mark.parametrize(
    "query",
    [
        f"limit={MAX_LIMIT + 1}",
        "limit=-1",
        "limit=abc",
        "limit=1.5",
        "limit=",
        "limit=%EF%BC%91",  # a full-width digit one
        "limit=" + "9" * 5000,
        "has_error=yes",
        "has_error=",
        "created_at[gt]=yesterday",
        "created_at%5Blte%5D=2026-02-30T00:00:00Z",
        "created_at[lt]=2026-05-01",
        "page=page",
        "page=ZHJ1bi1wYWdlOjk5OTk",  # a well-formed cursor for a run that does not exist
        "page=",
    ],
)
async def test_bad_listing_parameters_are_400(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/v1/deployment_runs?{query}", headers=HEADERS)
    body = assert_envelope(response, 400, "invalid_request_error")
    assert unquote(query.split("=")[0]) in body["error"]["message"]


async def test_an_unknown_run_id_is_404(client: httpx.AsyncClient) -> None:
    for run_id in ["drun_01HZX3K4M5N6P7Q8R9S0T1U2V3", "", "a%2Fb", "%FF"]:
        response = await client.get(f"/v1/deployment_runs/{run_id}", headers=HEADERS)
        assert_envelope(response, 404, "not_found_error")


SPECIAL_IDS = [
    "a/b",
    "a/b/run",
    "a?b=c&d",
    "a#frag",
    "100%",
    "a%2Fb",
    "with space",
    "tab\tand+plus",
    "ünïcødé 日本語 🚀",
    ".",
    "..",
    "-",
    "x" * MAX_ID_LENGTH,
    "😀" * MAX_ID_LENGTH,  # the longest path the server takes: 12 bytes a character, encoded
    '"quoted" \\ back',
]


async def test_ids_with_special_characters_are_echoed_exactly() -> None:
    deployments = [{"id": i, "agent": {"id": "agent_a"}, "environment": "env_a"} for i in SPECIAL_IDS]
    scenario = parse_scenario(
        {
            "agents": [{"id": "agent_a", "version": 1}],
            "environments": [{"id": "env_a"}],
            "deployments": deployments,
        }
    )
    async with asgi_client(create_app(scenario)) as client:
        for deployment_id in SPECIAL_IDS:
            response = await run(client, deployment_id)
            assert response.status_code == 200, (deployment_id, response.text)
            assert response.json()["deployment_id"] == deployment_id
            assert_clean(response, deployment_id)
            listed = await client.get(
                "/v1/deployment_runs", params={"deployment_id": deployment_id}, headers=HEADERS
            )
            assert [r["deployment_id"] for r in listed.json()["data"]] == [deployment_id]
        # The path's "/" separates segments: unencoded, "a/b" is another route, not that id.
        response = await client.post("/v1/deployments/a/b/run", headers=HEADERS)
        assert_envelope(response, 404, "not_found_error")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deployment_id=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60))
async def test_any_id_is_echoed_or_not_found(deployment_id: str) -> None:
    app = create_app(small_scenario(id=deployment_id))
    async with asgi_client(app) as client:
        response = await run(client, deployment_id)
        assert response.status_code == 200 and response.json()["deployment_id"] == deployment_id
        other = await run(client, deployment_id + "x")
        assert_envelope(other, 404, "not_found_error")


BAD_REQUESTS: list[tuple[str, str, dict[str, Any], bytes]] = [
    ("PUT", run_path("depl_ok"), HEADERS, b""),
    ("PATCH", run_path("depl_ok"), HEADERS, b"{}"),
    ("DELETE", "/v1/deployment_runs", HEADERS, b""),
    ("OPTIONS", run_path("depl_ok"), {}, b""),
    ("TRACE", run_path("depl_ok"), {}, b""),
    ("FROBNICATE", run_path("depl_ok"), HEADERS, b""),
    ("GET", "/", HEADERS, b""),
    ("GET", "/v1", HEADERS, b""),
    ("POST", "/v1/deployments", HEADERS, b""),
    ("POST", "/v1/deployments/depl_ok", HEADERS, b""),
    ("POST", "/v1/deployments/depl_ok/run/again", HEADERS, b""),
    ("POST", "/v1/deployments//run", HEADERS, b""),
    ("POST", "/v1/deployments/%FF%FE/run", HEADERS, b""),
    ("POST", "/v1/deployments/%00/run", HEADERS, b""),
    ("POST", "/v1/deployments/%zz/run", HEADERS, b""),
    ("POST", "/v1/deployments/" + "x" * 60_000 + "/run", HEADERS, b""),
    ("POST", "/v1/deployments/" + "%2F" * 10_000 + "/run", HEADERS, b""),
    ("POST", run_path("depl_ok") + "?%ff=%zz&&=", HEADERS, b""),
    ("POST", run_path("depl_nope"), {**HEADERS, "content-type": "application/json"}, b"{not json"),
    ("POST", run_path("depl_nope"), {**HEADERS, "x-api-key": "s\u00e9".encode("latin-1")}, b""),
    ("POST", run_path("depl_ok"), {"x-api-key": "", "authorization": "Bearer   "}, b""),
    ("POST", run_path("depl_ok"), {"x-api-key": DEFAULT_API_KEY, "anthropic-beta": ",,, ,"}, b""),
    ("POST", run_path("depl_ok"), {**HEADERS, "anthropic-beta": "x" * 50_000}, b""),
    ("GET", "/v1/deployment_runs?" + "deployment_id=x&" * 2000, HEADERS, b""),
    ("GET", "/v1/deployment_runs?limit=99999999999999999999999999", HEADERS, b""),
    ("GET", "/v1/deployment_runs?created_at_gt=9999-12-31T23:59:60Z", HEADERS, b""),
]


@pytest.mark.parametrize(("method", "path", "headers", "body"), BAD_REQUESTS, ids=range(len(BAD_REQUESTS)))
async def test_bad_requests_get_4xx_envelopes_never_5xx(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, Any], body: bytes
) -> None:
    response = await client.request(method, path, headers=headers, content=body)
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/json" and response.headers["request-id"]
    if response.status_code >= 400:
        error = json.loads(response.content)
        assert error["type"] == "error" and error["error"]["message"], response.text


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"{}"),
        ("application/json", b"{not json at all"),
        ("application/octet-stream", bytes(range(256)) * 64),
        ("text/plain", "é".encode("latin-1")),
        ("application/json", b'{"deployment_id": "depl_vault_archived_error"}'),
        ("application/json", b"[" * 10_000),
    ],
)
async def test_a_request_body_is_ignored(client: httpx.AsyncClient, content_type: str, body: bytes) -> None:
    response = await client.post(
        run_path("depl_ok"), headers={**HEADERS, "content-type": content_type}, content=body
    )
    assert response.status_code == 200
    assert response.json()["deployment_id"] == "depl_ok" and response.json()["error"] is None


async def test_the_rate_limit_through_the_api() -> None:
    clock = FakeClock()
    app = create_app(small_scenario(session_rate_limit={"sessions": 2, "window_seconds": 60}), clock=clock)
    async with asgi_client(app) as client:
        outcomes = []
        for _ in range(4):
            body = (await run(client, "depl")).json()
            outcomes.append(body["error"]["type"] if body["error"] else "session")
        assert outcomes == ["session", "session", "session_rate_limited_error", "session_rate_limited_error"]
        clock.advance(60.001)
        assert (await run(client, "depl")).json()["session_id"] is not None


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "X"]),
    path=st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    query=st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    auth=st.booleans(),
    beta=st.sampled_from(["", REQUIRED_BETA, f"x,{REQUIRED_BETA}", ",", "\t"]),
)
async def test_no_request_gets_a_5xx(method: str, path: str, query: str, auth: bool, beta: str) -> None:
    headers = {"anthropic-beta": beta, **({"x-api-key": DEFAULT_API_KEY} if auth else {})}
    url = "/v1/" + quote(path, safe="/%?&=") + "?" + quote(query, safe="%&=")
    async with asgi_client(create_app()) as client:
        response = await client.request(method, url, headers=headers)
    assert response.status_code < 500
    assert response.headers["content-type"] == "application/json" and response.headers["request-id"]
