"""What the checks read (a Case) and what they report (Findings)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import orjson

from drun_conformance._secrets import presented_keys

from ._call import ClientCall
from ._walk import ListingWalk

if TYPE_CHECKING:
    from ._transport import Delivery

__all__ = ["UNPARSED", "Case", "Exchange", "Finding", "Level", "SpecFacts", "cut", "show"]

Level = Literal["MUST", "SHOULD", "EDGE"]


class _Unparsed:
    """The body was not JSON: payload checks do not apply, `payload.json` reports it."""

    def __repr__(self) -> str:
        return "UNPARSED"


UNPARSED: Any = _Unparsed()


# Not frozen, yet hashable by value as before: validate makes tens of thousands, and a frozen
# one costs 5x to make. Nothing here changes a Finding once made.
@dataclass(slots=True, unsafe_hash=True)
class Finding:
    """One requirement not met (MUST/SHOULD), or one edge class seen (EDGE)."""

    requirement: str
    level: Level
    pointer: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {
            "requirement": self.requirement,
            "level": self.level,
            "pointer": self.pointer,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP exchange with Run Deployment Now, as the suite saw it on the wire.

    `deployment_known` is what the prober knows of the path's id: True for a deployment
    the target was told about, False for one made up to be unknown, None when unknown.
    `key_wrong` is True for a request sent with an API key made up to be refused.
    """

    method: str
    deployment_id: str
    request_headers: dict[str, str]  # lower-case names
    status: int
    response_headers: dict[str, str]  # lower-case names
    body: bytes
    received_at: datetime | None = None
    deployment_known: bool | None = None
    key_wrong: bool = False

    @property
    def media_type(self) -> str:
        return self.response_headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def has_credentials(self) -> bool:
        return bool(presented_keys(self.request_headers))

    def betas(self) -> list[str]:
        header = self.request_headers.get("anthropic-beta", "")
        return [b.strip() for b in header.split(",") if b.strip()]


@dataclass(frozen=True, slots=True)
class SpecFacts:
    """What some checks need from the catalog, worked out once per Oracle."""

    timestamp_paths: tuple[tuple[str, ...], ...]
    int64_paths: tuple[tuple[str, ...], ...]
    variants: dict[tuple[str, ...], tuple[str, ...]]  # tag path -> the tags on the page
    conventions: dict[str, Any]
    known_paths: frozenset[tuple[str, ...]] = frozenset()  # every field the page defines


@dataclass(slots=True)  # not frozen: built once per evaluation, on the hot path
class Case:
    """Everything one evaluation may look at: the parsed body, and the exchange if any."""

    run: Any
    facts: SpecFacts
    exchange: Exchange | None = None
    seen_run_ids: frozenset[str] = frozenset()
    skew: timedelta = timedelta(minutes=5)
    run_now: bool = True  # the body answers Run Deployment Now (not, say, a listing)
    original: Any = None  # for a read-back: the record first answered
    cache: dict[str, Any] = field(default_factory=dict, compare=False)
    client: ClientCall | None = None  # set in a client evaluation: the SDK call around `run`
    body: bytes | None = None  # the bytes `run` was read from, when no exchange carries them
    listing: ListingWalk | None = None  # set in a listing evaluation: the pages walked
    delivery: Delivery | None = None  # set in a delivery evaluation: how an answer arrived


def show(value: Any, limit: int = 80) -> str:
    """A value as JSON, cut to `limit` characters, for "Received: ..." messages."""
    text = None
    if isinstance(value, str | bool | None) or (isinstance(value, int) and -(2**63) <= value < 2**64):
        try:  # as json.dumps writes it, faster
            text = orjson.dumps(value).decode()
        except orjson.JSONEncodeError:  # a lone surrogate
            pass
    if text is None:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(value)
    return cut(text, limit)


def cut(text: str, limit: int) -> str:
    """`text`, or its first `limit` - 1 characters and an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
