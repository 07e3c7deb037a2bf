"""Checks of the listing that the official SDKs document beyond paging: a deployment_id that does not
exist lists nothing (200, empty data), `limit` left out or 0 is the default of 20, a query the SDKs
may send is answered with a page, a limit above 1000 is refused, and one scheduled firing of a
deployment is one run. Each reads one ListingWalk and registers into the listing's registry (the
Oracle runs them in `judge_listing_walk`).
"""

from __future__ import annotations

from typing import Any

from ._case import Found, show
from ._listing import LISTING, ListingPage, ListingWalk
from ._rfc3339 import parse_rfc3339

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT"]

# The SDKs: "Maximum results per page. Default 20, maximum 1000."
DEFAULT_LIMIT, MAX_LIMIT = 20, 1000
_RATE_LIMITED = 429
# The key or the route, not the query: other requirements' findings (404, 405, 501: no listing).
_NOT_THE_QUERY = frozenset({401, 403, 404, 405, 501})
rule = LISTING.register


def _not_about_the_query(page: ListingPage) -> bool:
    """An answer that tells nothing about the query: a 5xx or a 429 (other requirements' findings)."""
    return page.status >= 500 or page.status == _RATE_LIMITED


def _error_type(page: ListingPage) -> str | None:
    error = page.body.get("error") if isinstance(page.body, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    return kind if isinstance(kind, str) else None


def _query(walk: ListingWalk) -> str:
    limit = {} if walk.limit is None else {"limit": walk.limit}
    return "&".join(f"{k}={v}" for k, v in {**walk.filters, **limit}.items()) or "(no parameter)"


@rule("listing.unknown-deployment.empty")
def check_unknown_deployment_lists_nothing(walk: ListingWalk) -> list[Found] | None:
    if walk.deployment_known is not False or not walk.followed or _not_about_the_query(walk.followed[0]):
        return None
    first = walk.followed[0]
    data = first.body.get("data") if isinstance(first.body, dict) else None
    if 200 <= first.status < 300 and not isinstance(data, list):
        return None  # no page at all: listing.page.shape's finding
    if 200 <= first.status < 300 and data == []:
        return []
    got = f"{first.status} {_error_type(first) or ''}".strip()
    if isinstance(data, list) and 200 <= first.status < 300:
        got += f" with {len(data)} runs"
    wanted = show(walk.filters.get("deployment_id"), 60)
    return [("/data", f"Received: {got} for deployment_id={wanted} / Expected: 200 with empty data")]


@rule("listing.limit.default")
def check_default_limit(walk: ListingWalk) -> list[Found] | None:
    if walk.limit not in (None, 0) or not walk.followed or _not_about_the_query(walk.followed[0]):
        return None
    first = walk.followed[0]
    if walk.limit == 0 and first.status == 400:
        return [
            (
                "",
                f"Received: 400 {_error_type(first) or ''} for limit=0"
                f" / Expected: the default, {DEFAULT_LIMIT}",
            )
        ]
    pages = [p for p in walk.followed if 200 <= p.status < 300]
    if not pages:
        return None
    for number, page in enumerate(pages, 1):
        if len(page.runs) > DEFAULT_LIMIT:
            got = f"{len(page.runs)} runs on page {number} of {_query(walk)}"
            return [("/data", f"Received: {got} / Expected: at most {DEFAULT_LIMIT} (the default limit)")]
    return []


@rule("listing.query.answered")
def check_well_formed_query_answered(walk: ListingWalk) -> list[Found] | None:
    # limit=0 and an unknown deployment_id have requirements of their own (the default; empty data).
    if not walk.well_formed or walk.limit == 0 or walk.deployment_known is False or not walk.pages:
        return None
    first = walk.pages[0]
    if _not_about_the_query(first) or first.status in _NOT_THE_QUERY:
        return None
    if 200 <= first.status < 300:
        return []
    got = f"{first.status} {_error_type(first) or ''}".strip()
    return [
        ("", f"Received: {got} for {_query(walk)} / Expected: a page (each parameter one the SDKs may send)")
    ]


@rule("listing.limit.above-maximum-400")
def check_limit_above_maximum_refused(walk: ListingWalk) -> list[Found] | None:
    if walk.limit is None or walk.limit <= MAX_LIMIT or not walk.followed:
        return None
    first = walk.followed[0]
    if _not_about_the_query(first):
        return None
    if first.status == 400 and _error_type(first) == "invalid_request_error":
        return []
    got = f"{first.status} {_error_type(first) or ''}".strip()
    return [("", f"Received: {got} for limit={walk.limit} / Expected: 400 invalid_request_error")]


@rule("listing.filter.invalid-400")
def check_invalid_filter_refused(walk: ListingWalk) -> list[Found] | None:
    if not walk.invalid_filters or not walk.followed or _not_about_the_query(walk.followed[0]):
        return None
    first = walk.followed[0]
    if first.status == 400 and _error_type(first) == "invalid_request_error":
        return []
    got = f"{first.status} {_error_type(first) or ''}".strip()
    return [("", f"Received: {got} for {_query(walk)} / Expected: 400 invalid_request_error")]


def _slot(run: dict[str, Any]) -> tuple[str, tuple[int, bool, str]] | None:
    """(deployment id, the scheduled instant) of a scheduled run, None for any other."""
    trigger = run.get("trigger_context")
    if not isinstance(trigger, dict) or trigger.get("type") != "schedule":
        return None
    stamp = parse_rfc3339(trigger.get("scheduled_at"))
    deployment = run.get("deployment_id")
    return (deployment, stamp.instant) if stamp is not None and isinstance(deployment, str) else None


@rule("listing.schedule.one-run-per-slot")
def check_one_run_per_slot(walk: ListingWalk) -> list[Found] | None:
    seen: dict[tuple[str, tuple[int, bool, str]], Any] = {}
    for run in walk.listed():
        slot = _slot(run)
        if slot is None:
            continue
        first = seen.setdefault(slot, run.get("id"))
        if first != run.get("id"):  # the same id twice is listing.walk.no-repeat's finding
            at = run["trigger_context"]["scheduled_at"]
            return [
                (
                    "/data",
                    f"Received: runs {show(first, 40)} and {show(run.get('id'), 40)} of {show(slot[0], 40)}"
                    f" both scheduled at {show(at, 40)}"
                    " / Expected: one run per (deployment_id, scheduled_at)",
                )
            ]
    return [] if seen else None
