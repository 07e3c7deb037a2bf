"""Server mutants of the operation family around a run (the listing, read-back, the keys every
SDK requires, webhooks): one requirement each, built from tests/mutant_kit.py like
tests/mutants.py, and caught as they are (tests/test_server_mutants.py gathers every catalog).

PAYLOAD_MUTANTS are payloads with one fault each that `validate` must report by their
requirement alone (tests/test_validate_webhooks.py): WEBHOOK_MUTANTS, webhook events with one
lie each (judged as webhook events by their `type`), and EDGE_PAYLOADS, runs holding one rare
value that `validate` must label (an EDGE class: reported, never gating).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from drun_conformance.server.reference import default_scenario
from tests.mutant_kit import Body, Mutant, Reply, on_listing_items, on_run_body

__all__ = ["EDGE_PAYLOADS", "MUTANTS", "WEBHOOK_MUTANTS", "PayloadMutant"]

_KNOWN = frozenset(d.id for d in default_scenario().deployments)


def _no_fault(reply: Reply) -> None:
    return None


def _drop_when_null(key: str) -> Callable[[Body], None]:
    """The key left out where its value is null (a server that writes only what it has)."""

    def change(body: Body) -> None:
        if body.get(key, "") is None:
            del body[key]

    return change


def _unknown_deployment_404(reply: Reply) -> None:
    """A listing filtered by a deployment that does not exist answers 404, as a read would."""
    query = dict(parse_qsl(reply.query))
    listing = reply.method == "GET" and reply.path == "/v1/deployment_runs"
    if listing and reply.status == 200 and query.get("deployment_id", next(iter(_KNOWN))) not in _KNOWN:
        reply.status = 404
        error = {"type": "not_found_error", "message": "No deployment with that id."}
        reply.set_json({"type": "error", "error": error, "request_id": "req_mutant"})


def _limit_zero_refused(query: dict[str, str]) -> None:
    """limit=0 taken as out of range (the reference server before the SDKs' default was read)."""
    if query.get("limit") == "0":
        query["limit"] = "-1"


def _no_default_limit(query: dict[str, str]) -> None:
    """No limit, or 0, lists everything (up to the maximum) instead of 20."""
    if query.get("limit", "0") == "0":
        query["limit"] = "1000"


def _above_maximum_capped(query: dict[str, str]) -> None:
    """A limit past 1000 is quietly capped instead of refused."""
    if query.get("limit", "").isdigit() and int(query["limit"]) > 1000:
        query["limit"] = "1000"


def _strict_bounds_inclusive(query: dict[str, str]) -> None:
    """created_at[gt] and [lt] read as [gte] and [lte] (one comparison for both)."""
    for strict in ("gt", "lt"):
        if f"created_at[{strict}]" in query:
            query[f"created_at[{strict}e]"] = query.pop(f"created_at[{strict}]")


def _strict_bounds_ignored(query: dict[str, str]) -> None:
    """created_at[gt] and [lt] not read at all (the server knows gte and lte only)."""
    query.pop("created_at[gt]", None)
    query.pop("created_at[lt]", None)


def _maximum_refused(query: dict[str, str]) -> None:
    """A limit of 1000, the SDKs' maximum, refused as too large (`limit < 1000` for `<=`)."""
    if query.get("limit") == "1000":
        query["limit"] = "1001"


def _on_bounds(read: Callable[[str], str]) -> Callable[[dict[str, str]], None]:
    """A listing that reads each created_at bound through `read`."""

    def fault(query: dict[str, str]) -> None:
        for name, value in list(query.items()):
            if name.startswith("created_at["):
                query[name] = read(value)

    return fault


def _z_alone_parsed(bound: str) -> str:
    """A bound written at another offset than Z refused (a parser of `Z` alone)."""
    return bound if bound.endswith("Z") else "not a date-time"


def _offset_dropped(bound: str) -> str:
    """A bound read as if written in UTC: its offset dropped (`+05:30` taken for `Z`)."""
    return bound[:-6] + "Z" if bound[-6:-5] in ("+", "-") else bound


def _one_firing_for_all(item: Body) -> None:
    """Every scheduled run of a deployment listed with one firing time (a scheduler that fires twice)."""
    trigger = item.get("trigger_context")
    if isinstance(trigger, dict) and trigger.get("type") == "schedule":
        trigger["scheduled_at"] = "2000-01-01T00:00:00Z"


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "error-key-left-out-on-success",
        "run.error.required",
        on_run_body(_drop_when_null("error")),
        note="exactly one outcome still holds: an absent error reads as null, but Java and Go refuse it",
    ),
    Mutant(
        "session-key-left-out-on-failure",
        "run.session_id.required",
        on_run_body(_drop_when_null("session_id")),
    ),
    Mutant("unknown-deployment-listing-404", "listing.unknown-deployment.empty", _unknown_deployment_404),
    Mutant("limit-zero-refused", "listing.limit.default", _no_fault, listing_query=_limit_zero_refused),
    Mutant("no-default-limit", "listing.limit.default", _no_fault, listing_query=_no_default_limit),
    Mutant(
        "limit-above-maximum-capped",
        "listing.limit.above-maximum-400",
        _no_fault,
        listing_query=_above_maximum_capped,
    ),
    Mutant("scheduled-twice", "listing.schedule.one-run-per-slot", on_listing_items(_one_firing_for_all)),
    Mutant(
        "strict-bounds-inclusive", "listing.filter.holds", _no_fault, listing_query=_strict_bounds_inclusive
    ),
    Mutant("strict-bounds-ignored", "listing.filter.holds", _no_fault, listing_query=_strict_bounds_ignored),
    Mutant("maximum-limit-refused", "listing.query.answered", _no_fault, listing_query=_maximum_refused),
    Mutant(
        "offset-bounds-refused",
        "listing.query.answered",
        _no_fault,
        listing_query=_on_bounds(_z_alone_parsed),
    ),
    Mutant(
        "bound-offset-dropped", "listing.walk.no-skip", _no_fault, listing_query=_on_bounds(_offset_dropped)
    ),
    Mutant(
        "listing-paged-by-offset",
        "listing.walk.no-repeat",
        _no_fault,
        pages_by_offset=True,
        note="newest first, a page the runs after an offset: a run made mid-walk lists the last one again",
    ),
)


@dataclass(frozen=True, slots=True)
class PayloadMutant:
    """A payload with one fault, and the requirement `validate` must report it by alone."""

    name: str
    requirement: str
    fault: Callable[[dict[str, Any]], Any]


def _payload_with(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], Any]:
    def fault(payload: dict[str, Any]) -> Any:
        copy = json.loads(json.dumps(payload))
        change(copy)
        return copy

    return fault


def _drop(*path: str) -> Callable[[dict[str, Any]], Any]:
    return _payload_with(lambda e: (e[path[0]] if len(path) > 1 else e).pop(path[-1]))


def _set(value: Any, *path: str) -> Callable[[dict[str, Any]], Any]:
    return _payload_with(lambda e: (e[path[0]] if len(path) > 1 else e).__setitem__(path[-1], value))


EDGE_PAYLOADS: tuple[PayloadMutant, ...] = (
    PayloadMutant(
        "offset-beyond-18h",
        "edge.timestamp.offset-beyond-18h",
        _set("2026-11-28T13:41:19+19:30", "created_at"),
    ),
)

WEBHOOK_MUTANTS: tuple[PayloadMutant, ...] = (
    PayloadMutant("event-as-array", "webhook.json-type", lambda event: [event]),
    PayloadMutant("event-without-id", "webhook.id.required", _drop("id")),
    PayloadMutant("numeric-event-id", "webhook.id.json-type", _set(7, "id")),
    PayloadMutant("event-without-type", "webhook.type.required", _drop("type")),
    PayloadMutant("event-type-not-event", "webhook.type.literal", _set("webhook_event", "type")),
    PayloadMutant("event-without-created-at", "webhook.created_at.required", _drop("created_at")),
    PayloadMutant("epoch-created-at", "webhook.created_at.rfc3339", _set(1767225600, "created_at")),
    PayloadMutant("event-without-data", "webhook.data.required", _drop("data")),
    PayloadMutant("data-as-string", "webhook.data.json-type", _set("deployment_run.started", "data")),
    PayloadMutant("data-without-type", "webhook.data.type.required", _drop("data", "type")),
    PayloadMutant(
        "data-type-unknown", "webhook.data.type.known-variant", _set("deployment_run.paused", "data", "type")
    ),
    PayloadMutant("data-without-run-id", "webhook.data.id.required", _drop("data", "id")),
    PayloadMutant("numeric-run-id", "webhook.data.id.json-type", _set(12345, "data", "id")),
    PayloadMutant(
        "data-without-organization", "webhook.data.organization_id.required", _drop("data", "organization_id")
    ),
    PayloadMutant(
        "null-organization", "webhook.data.organization_id.json-type", _set(None, "data", "organization_id")
    ),
    PayloadMutant(
        "data-without-workspace", "webhook.data.workspace_id.required", _drop("data", "workspace_id")
    ),
    PayloadMutant(
        "numeric-workspace", "webhook.data.workspace_id.json-type", _set(0, "data", "workspace_id")
    ),
)
