"""The server runner's listing probes: walk its own runs back through `GET /v1/deployment_runs`
as the SDKs page (`page` cursor in, `next_page` out), and send one made-up cursor.

Three queries, few requests: every manual run since the runner's first, a few a page (so the
walk crosses pages: a repeat or a skip at a page boundary shows); one deployment's runs with
one outcome (the deployment_id and has_error filters); and a cursor no server issued.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from drun_conformance.oracle import Exchange, ListingPage, ListingWalk, parse_body, parse_rfc3339
from drun_conformance.results import Counterexample

from ._family_probe import FAMILY_LISTING_REQUIREMENTS, family_walks

__all__ = ["LISTING_REQUIREMENTS", "MADE_UP_CURSOR", "listing_walks", "walk_example"]

LISTING_REQUIREMENTS = (
    "listing.page.limit",
    "listing.walk.no-repeat",
    "listing.walk.no-skip",
    "listing.filter.holds",
    "listing.cursor.invalid-400",
    *FAMILY_LISTING_REQUIREMENTS,
)
MADE_UP_CURSOR = "drun-conformance-made-up-cursor"
_PAGES_PER_WALK = 3  # the walk over every run aims at this many pages
_MAX_PAGES = 6  # and stops here (a live account lists others' runs too): no-skip then unexercised
Get = Callable[[str], Exchange | None]  # sends one GET, judges the page, None on no usable answer


def listing_walks(get: Get, runs: Sequence[tuple[str, dict[str, Any]]]) -> Iterator[ListingWalk]:
    """The walks over `runs` (deployment id, the run as answered), each once its pages are in."""
    stamps = [run["created_at"] for _, run in runs if parse_rfc3339(str(run.get("created_at"))) is not None]
    if not stamps:
        return
    manual = {"trigger_type": "manual", "created_at[gte]": min(stamps)}
    limit = max(1, -(-len(runs) // _PAGES_PER_WALK))
    yield _walk(get, manual, limit, frozenset(run["id"] for _, run in runs if isinstance(run.get("id"), str)))
    deployment_id, first = runs[0]
    # Only the filters are judged here: the outcome a run was answered with may not be the one
    # the server stored (that is the read-back's finding), so no run is known to match.
    one = {"deployment_id": deployment_id, "has_error": "true" if first.get("error") is not None else "false"}
    yield _walk(get, one, 1000, frozenset())
    answer = get("/v1/deployment_runs?" + urlencode({"page": MADE_UP_CURSOR}))
    if answer is not None:
        page = ListingPage(answer.status, parse_body(answer.body), MADE_UP_CURSOR, issued=False)
        yield ListingWalk({}, None, (page,))
    yield from family_walks(get)


def _walk(get: Get, filters: Mapping[str, str], limit: int, known: frozenset[str]) -> ListingWalk:
    pages: list[ListingPage] = []
    cursor: str | None = None
    while len(pages) < _MAX_PAGES:
        query = {**filters, "limit": str(limit), **({"page": cursor} if cursor else {})}
        answer = get("/v1/deployment_runs?" + urlencode(query))
        if answer is None:
            break
        page = ListingPage(answer.status, parse_body(answer.body), cursor)
        pages.append(page)
        following = page.next_page  # followed even after an empty page, as the SDKs do
        if not 200 <= page.status < 300 or not isinstance(following, str) or not following:
            break
        cursor = following
    return ListingWalk(dict(filters), limit, tuple(pages), known)


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
