"""listing.cursor.issued-accepted: a `next_page` cursor the server issued leads to the next page.

A walk that an error cuts short is not complete, so listing.walk.no-skip leaves it unjudged: a
server rejecting its own cursors passed every listing check (bench/bench_mutation.py found it).
"""

from __future__ import annotations

from ._case import Found, show
from ._listing import LISTING, ListingWalk

__all__ = ["check_issued_cursor_accepted"]

_TRANSIENT = 429  # too many requests: waited out by the runner, never the cursor's fault


@LISTING.register("listing.cursor.issued-accepted")
def check_issued_cursor_accepted(walk: ListingWalk) -> list[Found] | None:
    # A walk's own cursors: a first page asked at a cursor (a proxy saw the walk begin midway, or
    # a client made it up) has none of this walk's issuing behind it.
    followed = [(n, page) for n, page in enumerate(walk.followed, 1) if n > 1 and page.cursor is not None]
    if not followed:
        return None
    for number, page in followed:
        if not 200 <= page.status < 300 and page.status != _TRANSIENT:
            return [
                (
                    "",
                    f"Received: {page.status} for page {number} (page={show(page.cursor, 40)}, the"
                    " next_page the server gave) / Expected: the next page (2xx)",
                )
            ]
    return []
