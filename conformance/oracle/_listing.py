"""Checks of the listing, `GET /v1/deployment_runs`, as the SDKs page through it: a page is
`{data, next_page}`, `limit` caps it, following `next_page` neither repeats nor skips a run,
the filters hold, a run listed is the record answered for its id, and a cursor the server never
issued is a 400 (the SDKs' reference: "Invalid or expired cursors return 400"). Each reads one
ListingWalk (the pages of one query, followed cursor by cursor); the Oracle runs them in
`judge_listing_walk`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from ._case import UNPARSED, Found, show
from ._meaning import differences
from ._registry import Registry
from ._rfc3339 import parse_rfc3339

__all__ = ["FILTERS", "LISTING", "ListingPage", "ListingWalk", "run_matches"]


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One answer of the listing. `cursor` is the `page` parameter sent (None on the first
    page); `issued` says it came from the server's own `next_page` (False: made up)."""

    status: int
    body: Any  # the parsed JSON, or UNPARSED
    cursor: str | None = None
    issued: bool = True

    @property
    def runs(self) -> list[dict[str, Any]]:
        """The page's runs (the objects of `data`), none when it is no 2xx listing."""
        if not 200 <= self.status < 300 or not isinstance(self.body, dict):
            return []
        data = self.body.get("data")
        return [run for run in data if isinstance(run, dict)] if isinstance(data, list) else []

    @property
    def next_page(self) -> Any:
        return self.body.get("next_page") if isinstance(self.body, dict) else None


@dataclass(frozen=True, slots=True)
class ListingWalk:
    """The pages of one query, each fetched with the previous page's `next_page`.

    `filters` are the query parameters sent besides `page` and `limit` (`deployment_id`,
    `trigger_type`, `has_error`, `created_at[gte]`...); `known_ids` the runs the walker saw
    answered before the walk began that match the filters, so the walk must list them all;
    `answered` the records the walker saw answered, by run id, that a run listed must equal.
    `deployment_known` what the walker knows of the `deployment_id` filter (False: made up to
    be unknown, as `Exchange.deployment_known`); `invalid_filters` the filters sent with a value
    outside their domain on purpose (a `trigger_type` no run has); `well_formed` that the walker
    built every parameter within its domain (a proxy, which sees others' queries, cannot say).
    """

    filters: Mapping[str, str]
    limit: int | None
    pages: tuple[ListingPage, ...]
    known_ids: frozenset[str] = frozenset()
    answered: Mapping[str, Any] = field(default_factory=dict)
    deployment_known: bool | None = None
    invalid_filters: frozenset[str] = frozenset()  # sent outside their domain on purpose
    well_formed: bool = False

    @property
    def followed(self) -> tuple[ListingPage, ...]:
        """The pages reached through cursors the server issued (the walk proper)."""
        return tuple(page for page in self.pages if page.issued)

    @property
    def complete(self) -> bool:
        """The walk reached a 2xx page without a next_page, every page a page: every match was listed."""
        pages = self.followed
        whole = bool(pages) and all(_misshapen(page.body) is None for page in pages)
        return whole and 200 <= pages[-1].status < 300 and not pages[-1].next_page

    def listed(self) -> Iterator[dict[str, Any]]:
        for page in self.followed:
            yield from page.runs


LISTING = Registry[ListingWalk]()
rule = LISTING.register
_BEFORE_AFTER: dict[str, Callable[[datetime, datetime], bool]] = {
    "created_at[gt]": lambda at, bound: at > bound,
    "created_at[gte]": lambda at, bound: at >= bound,
    "created_at[lt]": lambda at, bound: at < bound,
    "created_at[lte]": lambda at, bound: at <= bound,
}


FILTERS = frozenset({"deployment_id", "trigger_type", "has_error", *_BEFORE_AFTER})


def run_matches(run: dict[str, Any], filters: dict[str, str]) -> bool:
    """Whether `run` is one the listing's `filters` ask for (an unknown filter holds)."""
    return all(_mismatch(run, name, wanted) is None for name, wanted in filters.items())


@rule("listing.page.shape")
def check_page_shape(walk: ListingWalk) -> list[Found] | None:
    pages = [page for page in walk.pages if 200 <= page.status < 300]
    if not pages:
        return None
    for number, page in enumerate(pages, 1):
        why = _misshapen(page.body)
        if why is not None:
            at = f"page {number}" + (f" (page={show(page.cursor, 40)})" if page.cursor else "")
            return [("", f'Received: {why} on {at} / Expected: {{"data": [runs...], "next_page": ...}}')]
    return []


def _misshapen(body: Any) -> str | None:
    """What keeps a 2xx listing body from being a page, or None when it is one."""
    if body is UNPARSED:
        return "a body that is not JSON"
    if not isinstance(body, dict):
        return f"a JSON {type(body).__name__}, not an object"
    if not isinstance(body.get("data"), list):
        return "no data array" if "data" not in body else f"data {show(body['data'], 40)}"
    following = body.get("next_page")
    if following is not None and not isinstance(following, str):
        return f"next_page {show(following, 40)}"
    return None


@rule("listing.run.same-record")
def check_listed_run_same_record(walk: ListingWalk) -> list[Found] | None:
    compared = [
        (walk.answered[run["id"]], run)
        for run in walk.listed()
        if isinstance(run.get("id"), str) and run["id"] in walk.answered
    ]
    if not compared:
        return None
    for answered, run in compared:
        changed = sorted(differences(answered, run, timestamps=_timestamp_paths()))
        if changed:
            where = ", ".join(p or "(whole run)" for p in changed[:5])
            return [
                (
                    changed[0],
                    f"Received: run {show(run['id'])} listed with a record that differs at {where}"
                    " / Expected: the record answered for it",
                )
            ]
    return []


@cache
def _timestamp_paths() -> tuple[tuple[str, ...], ...]:
    """The run's timestamp fields (compared as instants): the shipped catalog's."""
    from drun_conformance import spec

    structures = [r.structure for r in spec.load_catalog() if r.structure is not None]
    return tuple(s.path for s in structures if s.kind == "rfc3339")


@rule("listing.page.limit")
def check_page_within_limit(walk: ListingWalk) -> list[Found] | None:
    # No limit, or 0, is the default of 20: listing.limit.default judges those.
    if not walk.limit or not any(p.runs for p in walk.followed):
        return None
    for number, page in enumerate(walk.followed, 1):
        if len(page.runs) > walk.limit:
            got = f"{len(page.runs)} runs on page {number}"
            return [("/data", f"Received: {got} / Expected: at most limit={walk.limit}")]
    return []


@rule("listing.walk.no-repeat")
def check_no_run_repeated(walk: ListingWalk) -> list[Found] | None:
    ids = Counter(str(run["id"]) for run in walk.listed() if isinstance(run.get("id"), str))
    if not ids:
        return None
    repeated = sorted(rid for rid, seen in ids.items() if seen > 1)
    if not repeated:
        return []
    return [
        (
            "",
            f"Received: {show(repeated[0])} listed {ids[repeated[0]]} times over "
            f"{len(walk.followed)} pages / Expected: each run once",
        )
    ]


@rule("listing.walk.no-skip")
def check_no_run_skipped(walk: ListingWalk) -> list[Found] | None:
    if not walk.known_ids or not walk.complete:
        return None
    missing = sorted(walk.known_ids - {run.get("id") for run in walk.listed()})
    if not missing:
        return []
    return [
        (
            "",
            f"Received: {len(missing)} of {len(walk.known_ids)} matching runs never listed over "
            f"{len(walk.followed)} pages (first {show(missing[0])}) / Expected: every matching run",
        )
    ]


def _mismatch(run: dict[str, Any], name: str, wanted: str) -> str | None:
    """Why `run` does not match the filter `name=wanted`, or None when it does."""
    if name in _BEFORE_AFTER:
        at, bound = parse_rfc3339(str(run.get("created_at"))), parse_rfc3339(wanted)
        if at is None or bound is None or _BEFORE_AFTER[name](at.utc, bound.utc):
            return None  # an unreadable created_at is the payload checks' finding
        return f"created_at {show(run.get('created_at'))} outside {name}={wanted}"
    trigger = run.get("trigger_context")
    got = {
        "deployment_id": run.get("deployment_id"),
        "trigger_type": trigger.get("type") if isinstance(trigger, dict) else None,
        "has_error": "true" if run.get("error") is not None else "false",
    }.get(name, wanted)
    return None if got == wanted else f"{name} {show(got)} where the filter asked {name}={wanted}"


@rule("listing.filter.holds")
def check_filters_hold(walk: ListingWalk) -> list[Found] | None:
    if not walk.filters or walk.invalid_filters:  # no run can match a value outside the domain
        return None
    runs = list(walk.listed())
    if not runs:
        return None
    for run in runs:
        for name, wanted in walk.filters.items():
            why = _mismatch(run, name, wanted)
            if why is not None:
                return [
                    ("", f"Received: run {show(run.get('id'))} with {why} / Expected: only matching runs")
                ]
    return []


@rule("listing.cursor.invalid-400")
def check_made_up_cursor_400(walk: ListingWalk) -> list[Found] | None:
    made_up = [p for p in walk.pages if not p.issued]
    if not made_up:
        return None
    for page in made_up:
        error = page.body.get("error") if isinstance(page.body, dict) else None
        got_type = error.get("type") if isinstance(error, dict) else None
        if page.status != 400 or got_type != "invalid_request_error":
            return [
                (
                    "",
                    f"Received: {page.status} {got_type or '(no error envelope)'} for page="
                    f"{show(page.cursor, 40)} / Expected: 400 invalid_request_error",
                )
            ]
    return []
