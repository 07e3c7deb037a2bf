"""What the listing checks read: pages of `GET /v1/deployment_runs` followed cursor by cursor."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ListingPage", "ListingWalk"]


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
    answered before the walk began that match the filters, so the walk must list them all.
    """

    filters: Mapping[str, str]
    limit: int | None
    pages: tuple[ListingPage, ...]
    known_ids: frozenset[str] = frozenset()

    @property
    def followed(self) -> tuple[ListingPage, ...]:
        """The pages reached through cursors the server issued (the walk proper)."""
        return tuple(page for page in self.pages if page.issued)

    @property
    def complete(self) -> bool:
        """The walk reached a 2xx page without a next_page: every match was listed."""
        pages = self.followed
        return bool(pages) and 200 <= pages[-1].status < 300 and not pages[-1].next_page

    def listed(self) -> Iterator[dict[str, Any]]:
        for page in self.followed:
            yield from page.runs
