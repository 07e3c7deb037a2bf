"""The reference server as a Starlette ASGI app: Run Deployment Now and reading runs back.

Routes (matched on the raw path, so an id may hold any character, `/` included as %2F):

    POST /v1/deployments/{deployment_id}/run   run now: 200 and the DeploymentRun
    GET  /v1/deployment_runs/{run_id}          one run, as it was answered
    GET  /v1/deployment_runs                   runs, newest first, filtered and paged as the
                                               SDKs read it: `page` cursor in, `next_page` out

A request is answered by the first of these that applies:

    0. a body over 32 MiB                 413 request_too_large (the API's request limit)
       a head over 64 KiB                 400 invalid_request_error
    1. no such route                      404 not_found_error
    2. a method the route does not take   405 invalid_request_error (with `allow`)
    3. no valid key                       401 authentication_error (`x-api-key`, or
                                              `Authorization: Bearer`; either may carry it)
    4. no managed-agents beta             400 invalid_request_error (`anthropic-beta`,
                                              comma-separated, other betas welcome)
    5. a bad parameter                    400 invalid_request_error (an id over 4,096
                                              characters, a bad query parameter)
    6. no such deployment or run          404 not_found_error (with `any_deployment`, an
                                              unknown deployment is created healthy instead;
                                              with `any_run`, a run read by an unknown id is
                                              created by that first read)
    7. otherwise                          200

The listing's `limit`: absent or 0 is the default, 20; above 1000, 400 (the SDKs: "Default 20,
maximum 1000."). A `page` cursor the scenario declares the start of the listing
(`listing_start_cursors`) is answered as the first page, with `drun-cursor: start-of-listing`.

A request body is read to its end and dropped before the answer: Run Deployment Now takes
none, and SDKs differ in whether they send `{}`, so any body (garbage included) is ignored,
but an answer never races an upload still under way (the client would read a reset). A run
is answered only once the store has it on disk. `anthropic-version` is not required. Every
answer is `application/json` with a `request-id` header; every error uses the API's envelope
`{"type": "error", "error": {"type", "message"}, "request_id"}`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import sqlite3
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from drun_conformance import spec
from drun_conformance._errors import InputError
from drun_conformance.oracle import parse_rfc3339
from drun_conformance.server._transport import run_path

from ._ids import new_run_id, rfc3339, tagged_id
from ._scenario import MAX_ID_LENGTH, Deployment, Scenario, default_scenario
from ._store import RunQuery, RunStore
from ._webhooks import WebhookSender, events_for
from ._world import Clock, World

__all__ = [
    "ANY_RUN_DEPLOYMENT",
    "CURSOR_HEADER",
    "MAX_BODY",
    "MAX_HEAD",
    "MAX_LIMIT",
    "REQUIRED_BETA",
    "START_OF_LISTING",
    "create_app",
    "envelope",
    "run_path",
]

_CONVENTIONS = spec.load_catalog().conventions
REQUIRED_BETA: str = _CONVENTIONS.required_beta
MAX_LIMIT = 1000
_DEFAULT_LIMIT = 20
# The longest id, percent-encoded (4 UTF-8 bytes a character, 3 characters a byte), plus
# h11's default head bound for the rest of the head: 64 KiB.
MAX_HEAD = MAX_ID_LENGTH * 12 + 16 * 1024
MAX_BODY = 32 * 1024 * 1024  # the API's own request limit (32 MB): past it, 413
# A body over MAX_BODY is still read (and dropped) up to this, so the 413 is read, not reset.
_DRAIN_LIMIT = 4 * MAX_BODY
# RunQuery's name -> the query parameter the SDKs send (`created_at[gt]=...`).
_CREATED_AT_FILTERS = {f"created_at_{op}": f"created_at[{op}]" for op in ("gt", "gte", "lt", "lte")}
_TRIGGER_TYPES = ("schedule", "manual")  # the listing filter's enum (spec/openapi.yaml)
_CURSOR_TAG = b"drun-page:"
# The webhook events' ids for a deployment in no workspace of the scenario (one provisioned).
_NO_WORKSPACE, _NO_ORGANIZATION = "wrkspc_drun_reference", "org_drun_reference"
# Said on a page answered for a cursor the scenario declares the start of the listing.
CURSOR_HEADER, START_OF_LISTING = "drun-cursor", "start-of-listing"
# The deployment a run created by its first read (`any_run`) belongs to.
ANY_RUN_DEPLOYMENT = "depl_drun_any_run"


class _ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def envelope(status: int, message: str) -> dict[str, Any]:
    """The API's error body for `status`, with a fresh `request_id` (the `request-id` header too)."""
    # The API's type for the status (spec conventions); 405 has none there, so invalid_request.
    error_type = _CONVENTIONS.error_types.get(status, "invalid_request_error")
    return {
        "type": "error",
        "error": {"type": error_type, "message": message},
        "request_id": tagged_id("req"),
    }


def _error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = envelope(status, message)
    return JSONResponse(
        body, status_code=status, headers={**(headers or {}), "request-id": body["request_id"]}
    )


def _too_large(*, close: bool) -> _ApiError:
    message = f"The request body is over {MAX_BODY} bytes; this operation takes no body."
    return _ApiError(413, message, {"connection": "close"} if close else None)


async def _drop_body(request: Request) -> None:
    """Read the body to its end and drop it, keeping none of it: 413 past MAX_BODY. One over
    _DRAIN_LIMIT (declared, or as it arrives) is answered at once and the connection closed."""
    declared = request.headers.get("content-length", "")
    if declared in ("", "0") and "transfer-encoding" not in request.headers:
        return  # no body: a request has one only with either header (RFC 9112, 6.3)
    if declared.isdigit() and (len(declared) > 18 or int(declared) > _DRAIN_LIMIT):
        raise _too_large(close=True)
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _DRAIN_LIMIT:
            raise _too_large(close=True)
    if size > MAX_BODY:
        raise _too_large(close=False)


async def _stored(future: Future[None]) -> None:
    """Wait, without blocking the loop, until the store has the run on disk (or raise why not)."""
    if not future.done():
        await asyncio.wrap_future(future)
    future.result()


def _check_head(scope: Scope) -> None:
    """400 for a head over MAX_HEAD (h11 bounds only a head still incomplete: one that came
    whole in a single read is parsed whatever its size)."""
    path = scope.get("raw_path") or scope["path"].encode("utf-8")
    line = len(scope["method"]) + len(path) + len(scope["query_string"]) + 12
    size = line + sum(len(name) + len(value) + 4 for name, value in scope["headers"])
    if size > MAX_HEAD:
        raise _ApiError(400, f"The request head (request line and headers) is over {MAX_HEAD} bytes.")


def _bounded(name: str, ident: str) -> str:
    if len(ident) > MAX_ID_LENGTH:
        raise _ApiError(400, f"{name}: at most {MAX_ID_LENGTH} characters, got {len(ident)}.")
    return ident


def _segments(scope: Scope) -> list[str | None]:
    """The path's segments, each percent-decoded on its own; None for one that is not UTF-8."""
    raw = scope.get("raw_path") or scope["path"].encode("utf-8")
    out: list[str | None] = []
    for part in raw.split(b"?", 1)[0].split(b"/")[1:]:
        try:
            out.append(unquote_to_bytes(part).decode("utf-8"))
        except UnicodeDecodeError:
            out.append(None)
    return out


@dataclass(frozen=True, slots=True)
class _Match:
    name: str
    methods: tuple[str, ...]
    ident: str | None = None  # the path's id, None when not UTF-8 (so matches nothing)


def _match(segments: list[str | None]) -> _Match | None:
    match segments:
        case ["v1", "deployments", ident, "run"]:
            return _Match("run", ("POST",), ident)
        case ["v1", "deployment_runs"]:
            return _Match("list", ("GET",))
        case ["v1", "deployment_runs", ident]:
            return _Match("get", ("GET",), ident)
    return None


class _Api:
    """The one ASGI endpoint behind every path: routing on the raw path is ours, not Starlette's."""

    def __init__(
        self,
        world: World,
        store: RunStore,
        *,
        any_deployment: bool = False,
        any_run: bool = False,
        webhooks: WebhookSender | None = None,
    ) -> None:
        self.world, self.store, self.any_deployment = world, store, any_deployment
        self.any_run, self.webhooks = any_run, webhooks
        self.keys = frozenset(world.scenario.api_keys)
        self.start_cursors = frozenset(world.scenario.listing_start_cursors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            await _drop_body(request)
            _check_head(scope)
            response = await self.handle(request)
        except ClientDisconnect:
            return  # gone before its request was in: nothing to answer, no run made
        except _ApiError as exc:
            response = _error_response(exc.status, exc.message, exc.headers)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        match = _match(_segments(request.scope))
        if match is None:
            raise _ApiError(404, f"No route for {request.method[:20]} {request.url.path[:200]}.")
        if request.method not in match.methods:
            raise _ApiError(
                405,
                f"Method {request.method[:20]} is not allowed here; use {', '.join(match.methods)}.",
                {"allow": ", ".join(match.methods)},
            )
        self.authenticate(request)
        betas = [b.strip() for h in request.headers.getlist("anthropic-beta") for b in h.split(",")]
        if REQUIRED_BETA not in betas:
            raise _ApiError(400, f"This endpoint requires the anthropic-beta header {REQUIRED_BETA}.")
        if match.name == "list":
            return self.list_runs(request)
        if match.name == "get":
            run = self.store.get(_bounded("run_id", match.ident)) if match.ident is not None else None
            if run is None and self.any_run and match.ident:
                run = await self.first_read(match.ident)
            if run is None:
                raise _ApiError(404, "No deployment run with that id.")
            return _ok(run)
        return await self.run_now(match.ident)

    def authenticate(self, request: Request) -> None:
        key = request.headers.get("x-api-key", "").strip()
        scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" else ""
        if not key and not bearer:
            raise _ApiError(401, "Missing API key: send x-api-key or Authorization: Bearer.")
        if key not in self.keys and bearer not in self.keys:
            raise _ApiError(401, "Invalid API key.")

    async def run_now(self, deployment_id: str | None) -> Response:
        if deployment_id is not None:
            _bounded("deployment_id", deployment_id)
        deployment = self.world.deployments.get(deployment_id) if deployment_id is not None else None
        if deployment is None and self.any_deployment and deployment_id:
            deployment = self.world.provision(deployment_id)
        if deployment is None:
            raise _ApiError(404, "No deployment with that id.")
        now = self.world.clock()
        run = self.new_run(deployment, now, {"type": "manual"})
        await _stored(self.store.append([(run, now)]))
        self.announce(run, deployment)
        return _ok(run)

    async def first_read(self, run_id: str) -> dict[str, Any]:
        """`any_run`: the run `run_id`, created by this first read (a healthy manual run of a
        deployment of its own), stored append-only like any other; a read racing it gets the same."""
        deployment = self.world.provision(ANY_RUN_DEPLOYMENT)
        now = self.world.clock()
        run = {**self.new_run(deployment, now, {"type": "manual"}), "id": run_id}
        try:
            await _stored(self.store.append([(run, now)]))
        except sqlite3.IntegrityError:  # another read created it first: it is the run
            stored = self.store.get(run_id)
            if stored is None:
                raise
            return stored
        self.announce(run, deployment)
        return run

    def announce(self, run: dict[str, Any], deployment: Deployment) -> None:
        """The run's webhook events, queued for the receiver (never waited on)."""
        if self.webhooks is None:
            return
        workspace = self.world.workspaces.get(deployment.workspace or "")
        organization = workspace.organization if workspace is not None else _NO_ORGANIZATION
        self.webhooks.deliver(
            events_for(run, organization_id=organization, workspace_id=deployment.workspace or _NO_WORKSPACE)
        )

    def new_run(self, deployment: Deployment, now: datetime, trigger: dict[str, Any]) -> dict[str, Any]:
        """Run `deployment` at `now`: the record, for the store to keep (append-only)."""
        outcome = self.world.run(deployment, now)
        error = None
        if outcome.error_type is not None:
            error = {"message": outcome.message, "type": outcome.error_type}
        run = {
            "id": new_run_id(now),
            "agent": {"id": outcome.agent_id, "type": "agent", "version": outcome.agent_version},
            "created_at": rfc3339(now),
            "deployment_id": deployment.id,
            "error": error,
            "session_id": outcome.session_id,
            "trigger_context": trigger,
            "type": "deployment_run",
        }
        return run

    def fire_history(self) -> None:
        """Record the past firings of every scheduled deployment, oldest first, in one
        transaction: once per store, so a deployment with scheduled runs on record already (a
        restart on the same database) gets none again."""
        now = self.world.clock()
        firings = []
        for deployment in self.world.scenario.deployments:
            schedule = deployment.schedule
            on_record = RunQuery(deployment_id=deployment.id, trigger_type="schedule", limit=1)
            if schedule is None or self.store.list(on_record)[0]:
                continue
            for back in range(schedule.history, 0, -1):
                fired = now - timedelta(seconds=schedule.every_seconds * back)
                firings.append((fired, deployment, fired + timedelta(milliseconds=schedule.latency_ms)))
        runs = [
            (self.new_run(deployment, created, {"scheduled_at": rfc3339(fired), "type": "schedule"}), created)
            for fired, deployment, created in sorted(firings, key=lambda f: f[2])
        ]
        if runs:
            self.store.append(runs).result()

    def record_fixtures(self) -> None:
        """Record the scenario's run fixtures (`runs`) not on record yet, with their own ids, in
        one transaction: each is its deployment's run at that moment (a scheduled one created
        once its firing has come)."""
        now = self.world.clock()
        runs = []
        for fixture in self.world.scenario.runs:
            if self.store.get(fixture.id) is not None:
                continue
            deployment = self.world.deployments[fixture.deployment]
            trigger: dict[str, Any] = {"type": "manual"}
            created = now
            fired = parse_rfc3339(fixture.scheduled_at) if fixture.scheduled_at is not None else None
            if fired is not None:
                trigger = {"scheduled_at": rfc3339(fired.utc), "type": "schedule"}
                created = max(now, fired.utc)
            runs.append(({**self.new_run(deployment, created, trigger), "id": fixture.id}, created))
        try:
            if runs:
                self.store.append(runs).result()
        except sqlite3.IntegrityError as exc:
            raise InputError(
                f"scenario runs: {exc} (a run id on record already, or a second run of one scheduled firing)"
            ) from None

    def list_runs(self, request: Request) -> Response:
        params = request.query_params
        before_seq = None
        declared = params.get("page") in self.start_cursors
        if "page" in params and not declared:
            before_seq = _cursor_seq(params["page"])
            if before_seq is None or not self.store.has_seq(before_seq):
                raise _ApiError(400, "page: not a cursor this server issued (pass next_page as it came).")
        deployment_id = params.get("deployment_id")
        query = RunQuery(
            deployment_id=None if deployment_id is None else _bounded("deployment_id", deployment_id),
            has_error=_boolean(params, "has_error"),
            trigger_type=_trigger_type(params),
            before_seq=before_seq,
            limit=_limit(params),
            **{name: _instant(params, wire) for name, wire in _CREATED_AT_FILTERS.items()},
        )
        runs, last_seq = self.store.list(query)
        page = {"data": runs, "next_page": None if last_seq is None else _cursor(last_seq)}
        return _ok(page, {CURSOR_HEADER: START_OF_LISTING} if declared else None)


def _ok(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, headers={"request-id": tagged_id("req"), **(headers or {})})


def _cursor(seq: int) -> str:
    """The opaque `next_page` cursor: the page starts after the run stored at `seq`."""
    return base64.urlsafe_b64encode(_CURSOR_TAG + str(seq).encode()).decode().rstrip("=")


def _cursor_seq(cursor: str) -> int | None:
    """The seq a cursor of ours holds, or None for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, binascii.Error):
        return None
    digits = raw.removeprefix(_CURSOR_TAG)
    if digits == raw or not (digits.isdigit() and len(digits) <= 18):
        return None
    return int(digits)


def _boolean(params: QueryParams, name: str) -> bool | None:
    value = params.get(name)
    if value is None:
        return None
    if value not in ("true", "false"):
        raise _ApiError(400, f"{name}: expected true or false, got {value[:40]!r}.")
    return bool(value == "true")


def _trigger_type(params: QueryParams) -> str | None:
    value = params.get("trigger_type")
    if value is not None and value not in _TRIGGER_TYPES:
        raise _ApiError(400, f"trigger_type: expected schedule or manual, got {value[:40]!r}.")
    return value


def _limit(params: QueryParams) -> int:
    """The page size: absent or 0 is the default (20); past MAX_LIMIT or not a number, 400."""
    value = params.get("limit")
    if value is None:
        return _DEFAULT_LIMIT
    if not (value.isascii() and value.isdigit()):
        raise _ApiError(400, f"limit: expected an integer from 0 to {MAX_LIMIT}, got {value[:40]!r}.")
    # Digits past the fifth are past the maximum: int() is never asked for thousands of digits.
    if len(value.lstrip("0")) > 4 or int(value) > MAX_LIMIT:
        raise _ApiError(400, f"limit: at most {MAX_LIMIT}, got {value[:40]}.")
    return int(value) or _DEFAULT_LIMIT


def _instant(params: QueryParams, name: str) -> datetime | None:
    value = params.get(name)
    if value is None:
        return None
    stamp = parse_rfc3339(value)
    if stamp is None:
        raise _ApiError(400, f"{name}: expected an RFC 3339 date-time, got {value[:40]!r}.")
    return stamp.utc


async def _server_error(request: Request, exc: Exception) -> Response:
    # A bug of ours: still answer in the envelope (Starlette re-raises it for the log).
    return _error_response(500, "Internal error in the reference server.")


def create_app(
    scenario: Scenario | None = None,
    *,
    database: str | Path = ":memory:",
    clock: Clock | None = None,
    any_deployment: bool = False,
    any_run: bool = False,
    webhooks: WebhookSender | None = None,
) -> Starlette:
    """The reference server over `scenario` (default: the shipped one), runs kept in `database`.

    `any_deployment` provisions an unknown deployment id as a healthy deployment on its first
    run (the mock an SDK's own tests need), instead of answering 404; `any_run` creates a run
    read by an id never seen, on that first read, instead of answering 404 (stored and listed
    like any other). `webhooks` (started here) is sent the events of every run recorded.
    `clock` (a callable giving an aware datetime) stamps runs and drives the rate limit.
    The app's `state.world`, `state.store` and `state.webhooks` are the state model, the run
    store and the webhook sender (or None).
    """
    world = World(scenario or default_scenario(), clock=clock)
    store = RunStore(database)
    app = Starlette(exception_handlers={Exception: _server_error})
    # No Starlette routes: their patterns match the decoded path (no "\n", no %2F); ours, the raw one.
    api = _Api(world, store, any_deployment=any_deployment, any_run=any_run, webhooks=webhooks)
    api.fire_history()
    api.record_fixtures()
    if webhooks is not None:
        webhooks.start()
    app.router.default = api
    app.state.world, app.state.store, app.state.webhooks = world, store, webhooks
    return app
