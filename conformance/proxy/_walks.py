"""Listing walks in progress: the pages of one query followed by `next_page`, kept until the
last page comes. Bounded: at most `most` open at once, holding at most `most_runs` listed
runs together, each for at most `idle_s` seconds without its next page; a walk dropped for
any of these is handed back, to be judged as it stands, so a client that stops after a first
page costs one page, and only for a while."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from drun_conformance.oracle import ListingPage

__all__ = ["OpenWalks", "Walk"]


@dataclass(slots=True)
class Walk:
    """One walk so far. `since`: runs remembered up to this number were answered before it
    began (None when it began at a cursor the proxy never saw issued). `shown` holds what a
    report may show of it, scrubbed as each page came; `keys` the credentials its requests
    carried, for scrubbing what its judgement says."""

    filters: dict[str, str]
    limit: int | None
    since: int | None
    touched: float
    shown_filters: Any = None
    pages: list[ListingPage] = field(default_factory=list)
    shown: list[dict[str, Any]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    listed: int = 0  # runs over its pages


class OpenWalks:
    """Open walks by the cursor they wait for, the least recently continued first. Several
    may wait for one cursor (two clients walking the same listing): a page at that cursor
    continues the one that has waited longest."""

    def __init__(
        self, most: int, most_runs: int, idle_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.most, self.most_runs, self.idle_s, self.clock = most, most_runs, idle_s, clock
        self.expired = 0  # walks judged as they stood: they waited too long, or too much was open
        self._held = 0  # runs listed over the open walks' pages
        self._open: OrderedDict[int, tuple[str, Walk]] = OrderedDict()  # by when they began to wait
        self._waiting: dict[str, deque[int]] = {}  # cursor -> its walks, longest waiting first
        self._number = 0

    def __len__(self) -> int:
        return len(self._open)

    def take(self, cursor: str) -> Walk | None:
        """The walk waiting longest for `cursor`, no longer open (None: no walk waits for it)."""
        waiting = self._waiting.get(cursor)
        if not waiting:
            return None
        return self._close(waiting[0])

    def wait(self, cursor: str, walk: Walk) -> list[Walk]:
        """`walk` waits for the page at `cursor`; the walks dropped to make room."""
        walk.touched = self.clock()
        self._number += 1
        self._open[self._number] = (cursor, walk)
        self._waiting.setdefault(cursor, deque()).append(self._number)
        self._held += walk.listed
        return self._drop(lambda: len(self._open) > self.most or self._held > self.most_runs)

    def stale(self) -> list[Walk]:
        """The walks whose next page has not come within `idle_s`, no longer open."""
        deadline = self.clock() - self.idle_s
        return self._drop(lambda: next(iter(self._open.values()))[1].touched < deadline)

    def drain(self) -> list[Walk]:
        """Every open walk (none is open after)."""
        walks = [walk for _, walk in self._open.values()]
        self._open.clear()
        self._waiting.clear()
        self._held = 0
        return walks

    def _close(self, number: int) -> Walk:
        cursor, walk = self._open.pop(number)
        waiting = self._waiting[cursor]
        waiting.remove(number)  # the first or, dropped for age or count, the oldest: at the front
        if not waiting:
            del self._waiting[cursor]
        self._held -= walk.listed
        return walk

    def _drop(self, over: Callable[[], bool]) -> list[Walk]:
        dropped = []
        while self._open and over():
            dropped.append(self._close(next(iter(self._open))))
        self.expired += len(dropped)
        return dropped
