"""The server runner's listing probes: walk its own runs back through `GET /v1/deployment_runs`
as the SDKs page (`page` cursor in, `next_page` out), and send one made-up cursor.

Each query asks a question whose answer the runner knows in part: the runs it saw answered (and
served back by id, so stored as answered) that match the filters must be listed, the others
must be left out (listing.filter.holds), and every run listed that it saw answered must be that
record (listing.run.same-record). Few requests, those that cover the most first: one page of
the first deployment's scheduled runs (where a target first shows it serves a listing at all);
every manual run since the runner's first (the bound written at UTC+05:30), a few a page (so
the walk crosses pages: a repeat or a skip at a page boundary shows), with one run made after
its first page (a listing paged by offset, not by a cursor that marks a place, then lists a run
twice); a cursor no server issued; the first run's deployment and outcome, up to its creation
(written at UTC-05:00), without `limit` (the server's default page): the first run must be
listed, the other deployments' runs and the later ones left out; the runs of the other outcome
since the first run, the largest page: the first run must be left out; then one page of each
other deployment's scheduled runs. Then what the official SDKs document of the listing beyond
paging: a deployment_id that does not exist (200, no runs), `limit` 0 and left out (the default
of 20), a limit above 1000 (400), the scheduled runs (one run per firing); last, the first
run's deployment after its creation, then before it (strict bounds): the first run must be left
out of both.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from drun_conformance.oracle import Exchange, ListingPage, ListingWalk, parse_body, parse_rfc3339, run_matches
from drun_conformance.results import Counterexample

__all__ = [
    "LISTING_REQUIREMENTS",
    "MADE_UP_CURSOR",
    "listing_walks",
    "not_served",
    "scheduled_walk",
    "walk_example",
]

LISTING_REQUIREMENTS = (
    "listing.page.shape",
    "listing.run.same-record",
    "listing.page.limit",
    "listing.walk.no-repeat",
    "listing.walk.no-skip",
    "listing.filter.holds",
    "listing.cursor.invalid-400",
    "listing.cursor.issued-accepted",
    "listing.filter.invalid-400",
    "listing.session_id.distinct",
    "listing.unknown-deployment.empty",
    "listing.limit.default",
    "listing.query.answered",
    "listing.limit.above-maximum-400",
    "listing.schedule.one-run-per-slot",
)
MADE_UP_CURSOR = "drun-conformance-made-up-cursor"
_PAGES_PER_WALK = 3  # the walk over every run aims at this many pages
_MAX_PAGES = 6  # and stops here (a live account lists others' runs too): no-skip then unexercised
_MAX_LIMIT = 1000  # the largest page the SDKs may ask for
# Bounds written at other offsets than the runs' own (as a user's local datetime is sent): east
# on the walk from the first run, west on the walk up to it, so either misreading leaves it out.
_EAST, _WEST = 5 * 60 + 30, -5 * 60
_SHORT_WALK = 3  # pages of a walk without a limit of its own: enough to cross a page boundary
_SCHEDULED_LIMIT = 5
# A value outside each filter's domain (the page's enum, a boolean): refused, never read as "all".
_INVALID_FILTERS = {"trigger_type": "drun-not-a-trigger", "has_error": "maybe"}
# A target that answers these to a well-formed listing request serves no listing (no route,
# or not this method on it); any other answer comes from a listing, judged as one.
_NO_ROUTE = frozenset({404, 405, 501})
Get = Callable[[str], Exchange | None]  # sends one GET, judges the page, None on no usable answer
Runs = Sequence[tuple[str, dict[str, Any]]]  # (deployment id, the run as answered)


def not_served(status: int) -> bool:
    """Whether a listing request answered `status` says the target serves no listing."""
    return status in _NO_ROUTE


def scheduled_walk(get: Get, deployment_id: str, answered: Mapping[str, Any]) -> ListingWalk | None:
    """One page of `deployment_id`'s scheduled runs (the runs Run Deployment Now never makes:
    each a manual run listed breaks the filter), or None on no usable answer."""
    filters = {"deployment_id": deployment_id, "trigger_type": "schedule"}
    return _walk(get, filters, _SCHEDULED_LIMIT, {}, answered, most_pages=1)


def listing_walks(
    get: Get, runs: Runs, answered: Mapping[str, Any], *, between_pages: Callable[[], None] = lambda: None
) -> Iterator[ListingWalk]:
    """The walks over `runs` (served back by id as answered: the walks must list those that
    match), each once its pages are in. `answered`: every run the runner saw answered, by id.
    `between_pages` makes a run, once, when the first walk that crosses pages has its first."""
    stamped = [(run, stamp) for _, run in runs if (stamp := parse_rfc3339(str(run.get("created_at"))))]
    if not stamped:
        return
    first, _ = min(stamped, key=lambda pair: pair[1].utc)
    since = first["created_at"]
    known = {str(run["id"]): run for run, _ in stamped if isinstance(run.get("id"), str)}
    manual = {"trigger_type": "manual", "created_at[gte]": _at_offset(since, _EAST)}
    paged = _walk(
        get, manual, max(1, -(-len(runs) // _PAGES_PER_WALK)), known, answered, between=between_pages
    )
    yield paged
    if len(paged.followed) < 2:  # one run of its own: any two runs on record cross a page boundary
        paged = _walk(get, {}, 1, {}, {}, most_pages=2, between=between_pages)
        yield paged
    issued = next((p.next_page for p in paged.pages if isinstance(p.next_page, str) and p.next_page), None)
    for cursor in tampered_cursors(issued) if issued else ():
        get("/v1/deployment_runs?" + urlencode({"page": cursor}))  # judged as any page: never a 5xx
    answer = get("/v1/deployment_runs?" + urlencode({"page": MADE_UP_CURSOR}))
    if answer is not None:
        page = ListingPage(answer.status, parse_body(answer.body), MADE_UP_CURSOR, issued=False)
        yield ListingWalk({}, None, (page,))
    outcome = "true" if first.get("error") is not None else "false"
    # The first run is at both bounds: listed by the first walk (gte), left out by the third
    # (its outcome), listed by the second (lte), whose deployment leaves others' runs out.
    one = {
        "deployment_id": str(first.get("deployment_id")),
        "has_error": outcome,
        "created_at[lte]": _at_offset(since, _WEST),
    }
    yield _walk(get, one, None, known, answered)
    other = {"has_error": "false" if outcome == "true" else "true", "created_at[gte]": since}
    yield _walk(get, other, _MAX_LIMIT, known, answered)
    unknown = f"depl_drun_unknown_{secrets.token_hex(4)}"
    yield _walk(get, {"deployment_id": unknown}, 5, {}, {}, most_pages=_SHORT_WALK, deployment_known=False)
    yield _walk(get, {}, 0, {}, {}, most_pages=1)
    yield _walk(get, {"trigger_type": "schedule"}, None, {}, {}, most_pages=_SHORT_WALK)
    yield _walk(get, {}, _MAX_LIMIT + 1, {}, {}, most_pages=1)
    for name, value in _INVALID_FILTERS.items():  # one a walk: a server may check only some
        yield _walk(get, {name: value}, None, {}, {}, most_pages=1, invalid=frozenset({name}))
    for strict in ("created_at[gt]", "created_at[lt]"):  # the first run at a strict bound: left out
        yield _walk(
            get, {"deployment_id": one["deployment_id"], strict: since}, None, known, answered, most_pages=1
        )


def _at_offset(text: str, minutes: int) -> str:
    """The instant `text` writes, written at UTC+`minutes` with the same fractional digits: a
    server that drops the offset, or applies it the wrong way, reads another instant (a leap
    second, or a year past the ends, is left as written)."""
    stamp = parse_rfc3339(text)
    if stamp is None or stamp.leap_second:
        return text
    try:
        local = datetime(1970, 1, 1) + timedelta(seconds=stamp.seconds, minutes=minutes)
    except OverflowError:  # past year 1 or 9999
        return text
    sign, hours = ("+" if minutes >= 0 else "-"), divmod(abs(minutes), 60)
    fraction = f".{stamp.fraction}" if stamp.fraction else ""
    return f"{local.year:04d}{local:-%m-%dT%H:%M:%S}{fraction}{sign}{hours[0]:02d}:{hours[1]:02d}"


def tampered_cursors(issued: str) -> list[str]:
    """Cursors a character off one the server issued: its text, and (when it is base64url, as
    opaque cursors often are) what it holds. Refused or read, never a 5xx: a lenient reader may
    take them, so they are no made-up cursor (listing.cursor.invalid-400)."""
    made = [issued + "~"]
    held = _base64url(issued)
    if held:
        made.append(base64.urlsafe_b64encode(held[:-1] + (b"y" if held.endswith(b"x") else b"x")).decode())
    return [cursor.rstrip("=") for cursor in made]


_URLSAFE = str.maketrans("-_", "+/")


def _base64url(text: str) -> bytes | None:
    try:
        padded = text.translate(_URLSAFE) + "=" * (-len(text) % 4)
        return base64.b64decode(padded, validate=True)  # urlsafe_b64decode skips what is not base64
    except (ValueError, binascii.Error):
        return None


def _walk(
    get: Get,
    filters: Mapping[str, str],
    limit: int | None,
    known: Mapping[str, dict[str, Any]],
    answered: Mapping[str, Any],
    *,
    most_pages: int = _MAX_PAGES,
    deployment_known: bool | None = None,
    invalid: frozenset[str] = frozenset(),
    between: Callable[[], None] = lambda: None,
) -> ListingWalk:
    """The pages of one query (`limit` None: left out); `known` the runs whose answers the runner
    trusts, those of them that match the filters must be listed. `between` is called once, before
    the second page is asked for (a run made then need not be listed: it is not in `known`)."""
    pages: list[ListingPage] = []
    cursor: str | None = None
    while len(pages) < most_pages:
        query = {**filters, **({"limit": str(limit)} if limit is not None else {})}
        query |= {"page": cursor} if cursor else {}
        answer = get("/v1/deployment_runs" + (f"?{urlencode(query)}" if query else ""))
        if answer is None:
            break
        page = ListingPage(answer.status, parse_body(answer.body), cursor)
        pages.append(page)
        following = page.next_page  # followed even after an empty page, as the SDKs do
        if not 200 <= page.status < 300 or not isinstance(following, str) or not following:
            break
        if len(pages) == 1:
            between()
        cursor = following
    must = frozenset(rid for rid, run in known.items() if run_matches(run, dict(filters)))
    listed = {run.get("id") for page in pages for run in page.runs}
    seen = {rid: answered[rid] for rid in listed if isinstance(rid, str) and rid in answered}
    return ListingWalk(
        dict(filters),
        limit,
        tuple(pages),
        must,
        seen,
        deployment_known=deployment_known,
        invalid_filters=invalid,
        well_formed=not invalid and (limit is None or 0 <= limit <= _MAX_LIMIT),
    )


def walk_example(walk: ListingWalk, base_url: str) -> Counterexample:
    """The walk as a user reads it: the query, then each page's status, run ids and next_page."""
    pages = [
        {"page": p.cursor, "status": p.status, "ids": [r.get("id") for r in p.runs], "next_page": p.next_page}
        for p in walk.pages
    ]
    query = {**walk.filters, **({"limit": walk.limit} if walk.limit is not None else {})}
    return Counterexample(
        summary="a walk through the listing",
        payload={"url": base_url + "/v1/deployment_runs", "query": query, "pages": pages},
    )
