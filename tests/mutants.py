"""The server mutant catalog: faults injected into the reference server, one requirement each.

Each Mutant rewrites what the reference server answers (or what it is asked) through an ASGI
middleware, so every fault is the reference behaviour plus exactly one lie. `requirement` is
the id `drun-conformance server` must report as failed; `also` lists any requirement the
same lie unavoidably breaks too (kept short and explained). A reply is sent whole, unless
its `wire` says how to break it on the way (cut short, stalled, trickled, flooded).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from drun_conformance.server.reference._app import _cursor, _cursor_seq
from tests.mutant_kit import Body, Fault, FaultInjector, Mutant, Reply, Wire, on_listing_items, on_run_body

__all__ = ["MUTANTS", "WIRE_MUTANTS", "FaultInjector", "Mutant", "Reply"]


def _set(path: str, value: Any) -> Callable[[Body], None]:
    keys = path.split(".")

    def change(body: Body) -> None:
        node = body
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return change


def _in_year_2999(body: Body) -> None:
    """A schedule trigger's scheduled_at moved to 2999, each keeping its own date and time."""
    trigger = body.get("trigger_context")
    if isinstance(trigger, dict) and isinstance(trigger.get("scheduled_at"), str):
        trigger["scheduled_at"] = "2999" + trigger["scheduled_at"][4:]


def _drop(path: str) -> Callable[[Body], None]:
    keys = path.split(".")

    def change(body: Body) -> None:
        node = body
        for key in keys[:-1]:
            node = node[key]
        node.pop(keys[-1], None)

    return change


def _errored(body: Body) -> bool:
    return body.get("error") is not None


def _succeeded(body: Body) -> bool:
    return body.get("session_id") is not None


def _unknown_deployment(reply: Reply) -> bool:
    return reply.is_run and reply.status == 404


def _to_500_for_unknown(reply: Reply) -> None:
    if _unknown_deployment(reply):
        reply.status = 500
        reply.set_json(
            {"type": "error", "error": {"type": "api_error", "message": "boom"}, "request_id": "r"}
        )


def _to_200_for_unknown(reply: Reply) -> None:
    if _unknown_deployment(reply):
        reply.status = 200
        segment = reply.path.removeprefix("/v1/deployments/").removesuffix("/run")
        reply.set_json(
            {
                "id": f"drun_01HZX3K4M5N6P7Q8R9S0T1U{reply.count:03d}",
                "agent": {"id": "agent_x", "type": "agent", "version": 1},
                "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "deployment_id": unquote(segment),
                "error": {"type": "unknown_error", "message": "no such deployment"},
                "session_id": None,
                "trigger_context": {"type": "manual"},
                "type": "deployment_run",
            }
        )


def _html_404(reply: Reply) -> None:
    if reply.status == 404:
        reply.headers["content-type"] = "text/html; charset=utf-8"
        reply.body = b"<html><body><h1>404 Not Found</h1></body></html>"


def _plain_text_runs(reply: Reply) -> None:
    if reply.is_run and reply.status == 200:
        reply.headers["content-type"] = "text/plain"


def _created_201(reply: Reply) -> None:
    if reply.is_run and reply.status == 200:
        reply.status = 201  # "a run was created": true, but not the status the API documents


def _truncated_json(reply: Reply) -> None:
    if reply.is_run and reply.status == 200:
        reply.body = reply.body[: len(reply.body) // 2]


def _sent(wire: Wire) -> Fault:
    """Successful run-now answers leave broken on the wire (`wire`); every other one whole."""

    def fault(reply: Reply) -> None:
        if reply.is_run and reply.status == 200:
            reply.wire = wire

    return fault


def _redirect_loop(reply: Reply) -> None:
    if reply.is_run and reply.status == 200:
        reply.status, reply.headers, reply.body = 307, {"location": reply.path}, b""


def _redirect_once(reply: Reply) -> None:
    """The run-now answer moved: followed once, the redirect would be answered as it should."""
    if reply.is_run and reply.status == 200 and "moved=1" not in reply.query:
        reply.status, reply.headers, reply.body = 308, {"location": reply.path + "?moved=1"}, b""


def _every(n: int, fault: Fault) -> Fault:
    """Apply `fault` to one run request in n (and to that run read back): the others look clean."""
    hit: set[str] = set()

    def intermittent(reply: Reply) -> None:
        if reply.is_run and reply.count % n == n - 1:
            if reply.status == 200:
                hit.add(reply.json()["id"])
            fault(reply)
        elif reply.is_read_back and reply.status == 200 and reply.json()["id"] in hit:
            fault(reply)

    return intermittent


def _both_outcomes(body: Body) -> None:
    body["session_id"] = body.get("session_id") or "sesn_011CZkYqphY8vELVzwCUpqiQ"
    body["error"] = body.get("error") or {"type": "unknown_error", "message": "and yet"}


def _server_error(reply: Reply) -> None:
    reply.status = 500
    reply.set_json({"type": "error", "error": {"type": "api_error", "message": "flaky"}, "request_id": "r"})


def _status_for(status: int, error_type: str, when: Callable[[Reply], bool]) -> Fault:
    def fault(reply: Reply) -> None:
        if when(reply):
            reply.status = status
            body = reply.json()
            body["error"]["type"] = error_type
            reply.set_json(body)

    return fault


def _repeat_first_id() -> Fault:
    first: list[str] = []

    def fault(reply: Reply) -> None:
        if reply.is_run and reply.status == 200:
            body = reply.json()
            first.append(first[0] if first else body["id"])
            body["id"] = first[0]
            reply.set_json(body)

    return fault


def _no_fault(reply: Reply) -> None:
    """The answer as the server made it: the mutant's lie is in how it read the request."""


def _changed_on_read_back(reply: Reply) -> None:
    if reply.is_read_back and reply.status == 200:
        body = reply.json()
        body["agent"]["version"] += 1
        reply.set_json(body)


def _no_request_id(reply: Reply) -> None:
    reply.headers.pop("request-id", None)


def _empty_envelope_message(reply: Reply) -> None:
    if reply.status >= 400:
        body = reply.json()
        body["error"]["message"] = ""
        reply.set_json(body)


def _shift_cursor(by: int) -> Callable[[dict[str, str]], None]:
    """The server resumes a page `by` runs off where its cursor points (an off-by-one)."""

    def fault(query: dict[str, str]) -> None:
        seq = _cursor_seq(query.get("page", ""))
        if seq is not None:
            query["page"] = _cursor(seq + by)

    return fault


def _drop_made_up_cursor(query: dict[str, str]) -> None:
    if "page" in query and _cursor_seq(query["page"]) is None:
        del query["page"]  # a cursor it cannot read restarts at the first page


def _a_day_late(body: Body) -> None:
    body["created_at"] = "2026-01-01T00:00:00Z"


def _version_as_float(body: Body) -> None:
    """agent.version written as a float, `2.0` (a float column): anthropic-java refuses it."""
    agent = body.get("agent")
    if isinstance(agent, dict) and isinstance(agent.get("version"), int):
        agent["version"] = float(agent["version"])


MUTANTS: tuple[Mutant, ...] = (
    # outcome
    Mutant("both-outcomes", "run.outcome.exactly-one", on_run_body(_both_outcomes)),
    Mutant(
        "neither-outcome",
        "run.outcome.exactly-one",
        on_run_body(lambda b: b.update(session_id=None, error=None)),
    ),
    # timestamps
    Mutant(
        "naive-created-at",
        "run.created_at.rfc3339",
        on_run_body(_set("created_at", "2026-11-27T18:11:19.117456")),
    ),
    Mutant("numeric-created-at", "run.created_at.rfc3339", on_run_body(_set("created_at", 1795889479))),
    Mutant(
        "impossible-date", "run.created_at.rfc3339", on_run_body(_set("created_at", "2026-02-30T18:11:19Z"))
    ),
    Mutant("created-at-missing", "run.created_at.required", on_run_body(_drop("created_at"))),
    Mutant("created-at-a-day-off", "run.created_at.within-skew", on_run_body(_a_day_late)),
    # literals and values
    Mutant("wrong-type-literal", "run.type.literal", on_run_body(_set("type", "deploymentRun"))),
    Mutant("missing-type", "run.type.required", on_run_body(_drop("type"))),
    Mutant(
        "unknown-error-type",
        "run.error.type.known-variant",
        on_run_body(_set("error.type", "quota_error"), when=_errored),
    ),
    Mutant(
        "missing-error-message",
        "run.error.message.required",
        on_run_body(_drop("error.message"), when=_errored),
    ),
    Mutant(
        "numeric-error-message",
        "run.error.message.json-type",
        on_run_body(_set("error.message", 42), when=_errored),
    ),
    Mutant("missing-error-type", "run.error.type.required", on_run_body(_drop("error.type"), when=_errored)),
    Mutant("error-as-string", "run.error.json-type", on_run_body(_set("error", "vault gone"), when=_errored)),
    Mutant("stringly-version", "run.agent.version.int64", on_run_body(_set("agent.version", "3"))),
    Mutant("fractional-version", "run.agent.version.int64", on_run_body(_set("agent.version", 2.5))),
    Mutant("version-written-as-float", "run.agent.version.int64", on_run_body(_version_as_float)),
    Mutant("missing-version", "run.agent.version.required", on_run_body(_drop("agent.version"))),
    Mutant("wrong-agent-literal", "run.agent.type.literal", on_run_body(_set("agent.type", "Agent"))),
    Mutant("missing-agent-type", "run.agent.type.required", on_run_body(_drop("agent.type"))),
    Mutant("missing-agent-id", "run.agent.id.required", on_run_body(_drop("agent.id"))),
    Mutant("numeric-agent-id", "run.agent.id.json-type", on_run_body(_set("agent.id", 7))),
    Mutant(
        "agent-as-string", "run.agent.json-type", on_run_body(_set("agent", "agent_011CZkYqphY8vELVzwCUpqiQ"))
    ),
    Mutant("missing-agent", "run.agent.required", on_run_body(_drop("agent"))),
    Mutant("numeric-run-id", "run.id.json-type", on_run_body(_set("id", 12345))),
    Mutant("missing-run-id", "run.id.required", on_run_body(_drop("id"))),
    Mutant(
        "numeric-session-id", "run.session_id.json-type", on_run_body(_set("session_id", 1), when=_succeeded)
    ),
    Mutant("numeric-deployment-id", "run.deployment_id.json-type", on_run_body(_set("deployment_id", 9))),
    Mutant("missing-deployment-id", "run.deployment_id.required", on_run_body(_drop("deployment_id"))),
    Mutant(
        "array-body",
        "run.json-type",
        lambda r: r.set_json([r.json()]) if r.is_run and r.status == 200 else None,
    ),
    # echoes and ids
    Mutant(
        "wrong-deployment-echo",
        "run.deployment_id.echo",
        on_run_body(_set("deployment_id", "depl_someone_else")),
    ),
    Mutant("repeated-run-ids", "run.id.unique", _repeat_first_id()),
    Mutant("read-back-differs", "run.read-back.same-record", _changed_on_read_back),
    # trigger_context
    Mutant(
        "schedule-without-scheduled-at",
        "run.trigger_context.scheduled_at.required",
        on_run_body(_set("trigger_context", {"type": "schedule"})),
        also=frozenset({"run.trigger_context.manual-on-run-now"}),
        note="a schedule trigger on a run-now answer is also the wrong trigger",
    ),
    Mutant("no-trigger-context", "run.trigger_context.required", on_run_body(_drop("trigger_context"))),
    Mutant(
        "trigger-as-string", "run.trigger_context.json-type", on_run_body(_set("trigger_context", "manual"))
    ),
    Mutant(
        "unknown-trigger-type",
        "run.trigger_context.type.known-variant",
        on_run_body(_set("trigger_context", {"type": "webhook"})),
    ),
    Mutant(
        "trigger-type-missing", "run.trigger_context.type.required", on_run_body(_set("trigger_context", {}))
    ),
    Mutant(
        "scheduled-at-naive",
        "run.trigger_context.scheduled_at.rfc3339",
        on_listing_items(_set("trigger_context.scheduled_at", "2026-11-27 18:00:00")),
        also=frozenset({"listing.run.same-record"}),  # a manual run listed with a scheduled_at it lacks
    ),
    Mutant(
        "scheduled-after-created",
        "run.trigger_context.scheduled-not-after-created",
        on_listing_items(_in_year_2999),  # distinct: one time for all is one-run-per-slot's
    ),
    Mutant(
        "schedule-trigger-on-run-now",
        "run.trigger_context.manual-on-run-now",
        on_run_body(_set("trigger_context", {"type": "schedule", "scheduled_at": "2026-01-01T00:00:00Z"})),
    ),
    # HTTP behaviour
    Mutant("500-for-unknown-deployment", "http.no-server-error", _to_500_for_unknown),
    Mutant(
        "200-for-unknown-deployment",
        "http.unknown-deployment.no-run",
        _to_200_for_unknown,
        also=frozenset({"http.unknown-deployment.404"}),
    ),
    Mutant(
        "no-auth-check",
        "http.auth.no-run",
        lambda r: None,
        add_key_when_missing=True,
        also=frozenset({"http.auth.401"}),
    ),
    Mutant(
        "any-key-accepted",
        "http.auth.wrong-key.no-run",
        lambda r: None,
        accept_any_key=True,
        also=frozenset({"http.auth.wrong-key.401"}),
    ),
    Mutant(
        "html-404",
        "http.error.envelope",
        _html_404,
        also=frozenset({"http.unknown-deployment.404", "run.read-back.unknown-404"}),
        note="a 404 page is no not_found_error envelope either",
    ),
    Mutant("text-plain-runs", "http.success.content-type", _plain_text_runs),
    Mutant("runs-answered-201", "http.success.200", _created_201),
    Mutant("truncated-json", "payload.json", _truncated_json),
    # intermittent faults
    Mutant("both-outcomes-1-in-4", "run.outcome.exactly-one", _every(4, on_run_body(_both_outcomes))),
    Mutant(
        "500-1-in-3",
        "http.no-server-error",
        _every(3, _server_error),
        also=frozenset(
            {"http.unknown-deployment.404", "http.auth.401", "http.auth.wrong-key.401", "http.beta.400"}
        ),
        note="a 500 in place of the 404/401/400 probes also misses their SHOULD statuses",
    ),
    # SHOULDs
    Mutant("no-request-id", "http.request-id", _no_request_id),
    Mutant("empty-envelope-message", "http.error.message.non-empty", _empty_envelope_message),
    Mutant("bad-run-id-prefix", "run.id.prefix", on_run_body(lambda b: b.update(id="run_" + b["id"][5:]))),
    Mutant(
        "empty-session-id", "run.session_id.non-empty", on_run_body(_set("session_id", ""), when=_succeeded)
    ),
    Mutant(
        "empty-error-message",
        "run.error.message.non-empty",
        on_run_body(_set("error.message", ""), when=_errored),
    ),
    Mutant(
        "403-without-key",
        "http.auth.401",
        _status_for(403, "permission_error", lambda r: r.status == 401 and r.api_key is None),
    ),
    Mutant(
        "403-for-wrong-key",
        "http.auth.wrong-key.401",
        _status_for(403, "permission_error", lambda r: r.status == 401 and r.key_wrong),
    ),
    Mutant(
        "400-for-unknown-deployment",
        "http.unknown-deployment.404",
        _status_for(400, "invalid_request_error", _unknown_deployment),
    ),
    Mutant("no-beta-check", "http.beta.400", lambda r: None, add_beta_when_missing=True),
    # the listing, as the SDKs page through it
    Mutant(
        "limit-ignored",
        "listing.page.limit",
        _no_fault,
        also=frozenset({"listing.limit.above-maximum-400"}),  # a limit ignored is never too large
        listing_query=lambda q: q.pop("limit", None),
    ),
    Mutant(
        "cursor-repeats-the-last-run", "listing.walk.no-repeat", _no_fault, listing_query=_shift_cursor(1)
    ),
    Mutant("cursor-skips-a-run", "listing.walk.no-skip", _no_fault, listing_query=_shift_cursor(-1)),
    Mutant(
        "deployment-filter-ignored",
        "listing.filter.holds",
        _no_fault,
        also=frozenset({"listing.unknown-deployment.empty"}),  # an unknown one lists every run
        listing_query=lambda q: q.pop("deployment_id", None),
    ),
    Mutant("made-up-cursor-200", "listing.cursor.invalid-400", _no_fault, listing_query=_drop_made_up_cursor),
    # how the answer arrives: the other probes are answered whole, the run-now answers are not
    Mutant("truncated-body", "http.answer.whole", _sent("cut")),
    Mutant("chunked-body-cut-off", "http.answer.whole", _sent("cut-chunked")),
    Mutant("silent-run-now", "http.answer.in-time", _sent("silent")),
    Mutant("stall-mid-body", "http.answer.in-time", _sent("stall")),
    Mutant("trickle", "http.answer.in-time", _sent("trickle")),
    Mutant("flood", "http.answer.within-cap", _sent("flood")),
    Mutant("flood-declared", "http.answer.within-cap", _sent("flood-declared")),
    Mutant("redirect-loop", "http.answer.no-redirect", _redirect_loop),
    Mutant("single-redirect", "http.answer.no-redirect", _redirect_once),
)
WIRE_MUTANTS = tuple(m for m in MUTANTS if m.requirement.startswith("http.answer."))
