"""The runs the proxy remembers: each one Run Deployment Now answered, for judging a read-back
against it and for knowing which runs a listing walk must show. Bounded: the least recently
used is forgotten first, and the forgetting is counted."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from drun_conformance.oracle import run_matches

__all__ = ["RememberedRuns"]


class RememberedRuns:
    """At most `most` runs by id, each numbered in the order first answered."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.answered = 0  # runs ever remembered; the number of the latest
        self.forgotten = 0  # runs dropped to stay within `most`
        self._runs: OrderedDict[str, tuple[int, dict[str, Any]]] = OrderedDict()
        self._served: set[str] = set()  # remembered runs the upstream has served by id since

    def __len__(self) -> int:
        return len(self._runs)

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._runs

    def add(self, run_id: str, run: dict[str, Any]) -> None:
        """Remember `run`, as first answered: an id answered again keeps its first record."""
        if run_id in self._runs:
            self._runs.move_to_end(run_id)
            return
        self.answered += 1
        self._runs[run_id] = (self.answered, run)
        if len(self._runs) > self.most:
            self._served.discard(self._runs.popitem(last=False)[0])
            self.forgotten += 1

    def get(self, run_id: str) -> dict[str, Any] | None:
        """The record first answered for `run_id` (now the most recently used), if remembered."""
        kept = self._runs.get(run_id)
        if kept is None:
            return None
        self._runs.move_to_end(run_id)
        return kept[1]

    def served(self, run_id: str) -> bool:
        """Whether the upstream has served this remembered run by its id (a read-back answered)."""
        return run_id in self._served

    def mark_served(self, run_id: str) -> None:
        """The upstream served this run by its id: from now on it must go on serving it."""
        if run_id in self._runs:
            self._served.add(run_id)

    def known(self, filters: dict[str, str], *, until: int) -> frozenset[str]:
        """The ids of runs still remembered, answered no later than number `until`, that a
        listing with `filters` must show. One pass over at most `most` runs: asked only when a
        walk has reached its last page."""
        return frozenset(
            run_id
            for run_id, (number, run) in self._runs.items()
            if number <= until and run_matches(run, filters)
        )
