"""The server runner's probes of what the official SDKs document of the listing beyond paging: a
deployment_id that does not exist (200, no runs), `limit` left out and 0 (the default of 20), a
limit above 1000 (400), and the scheduled runs (one run per firing). Five queries, each a page or
a short walk: a few requests in all.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Mapping
from urllib.parse import urlencode

from drun_conformance.oracle import Exchange, ListingPage, ListingWalk, parse_body

__all__ = ["FAMILY_LISTING_REQUIREMENTS", "family_walks"]

FAMILY_LISTING_REQUIREMENTS = (
    "listing.unknown-deployment.empty",
    "listing.limit.default",
    "listing.limit.above-maximum-400",
    "listing.schedule.one-run-per-slot",
)
_ABOVE_MAXIMUM = 1001
_PAGES = 3  # a walk without a limit stops here: enough to cross a page boundary
Get = Callable[[str], Exchange | None]


def family_walks(get: Get) -> Iterator[ListingWalk]:
    """The family's listing walks, each once its pages are in."""
    unknown = f"depl_drun_unknown_{secrets.token_hex(4)}"
    yield _walk(get, {"deployment_id": unknown}, 5, deployment_known=False)
    yield _walk(get, {}, 0, pages=1)
    yield _walk(get, {"trigger_type": "schedule"}, None)
    yield _walk(get, {}, _ABOVE_MAXIMUM, pages=1)


def _walk(
    get: Get,
    filters: Mapping[str, str],
    limit: int | None,
    *,
    pages: int = _PAGES,
    deployment_known: bool | None = None,
) -> ListingWalk:
    """Up to `pages` pages of one query (`limit` None: left out), each from the last's next_page."""
    got: list[ListingPage] = []
    cursor: str | None = None
    while len(got) < pages:
        query = {
            **filters,
            **({} if limit is None else {"limit": str(limit)}),
            **({"page": cursor} if cursor else {}),
        }
        answer = get("/v1/deployment_runs" + (f"?{urlencode(query)}" if query else ""))
        if answer is None:
            break
        page = ListingPage(answer.status, parse_body(answer.body), cursor)
        got.append(page)
        following = page.next_page
        if not 200 <= page.status < 300 or not isinstance(following, str) or not following:
            break
        cursor = following
    return ListingWalk(dict(filters), limit, tuple(got), deployment_known=deployment_known)
