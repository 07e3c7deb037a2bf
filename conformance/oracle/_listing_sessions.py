"""listing.session_id.distinct: no two runs listed name the same session.

Each run is judged alone when answered, so a server naming one session for every run (its id
generator broken) passed (bench/bench_mutation.py found it); a listing shows many runs at once.
"""

from __future__ import annotations

from collections import Counter

from ._case import Found, show
from ._listing import LISTING, ListingWalk

__all__ = ["check_sessions_distinct"]


@LISTING.register("listing.session_id.distinct")
def check_sessions_distinct(walk: ListingWalk) -> list[Found] | None:
    runs = {str(run.get("id")): run.get("session_id") for run in walk.listed()}
    sessions = Counter(s for s in runs.values() if isinstance(s, str) and s)
    if sum(sessions.values()) < 2:
        return None  # one session cannot be shared
    shared = sorted(s for s, count in sessions.items() if count > 1)
    if not shared:
        return []
    named = sorted(rid for rid, s in runs.items() if s == shared[0])
    return [
        (
            "/data",
            f"Received: session_id {show(shared[0])} on {len(named)} runs ({', '.join(named[:3])})"
            " / Expected: each run's own session",
        )
    ]
