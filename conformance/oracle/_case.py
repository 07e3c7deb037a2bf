"""What the checks of a run read (a Case), what a check finds (Found), and what the oracle
reports (a Finding: what was found, with the requirement's id and level from the catalog)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from drun_conformance._secrets import presented_keys
from drun_conformance.spec import Conventions, Level

__all__ = [
    "DEFAULT_SKEW",
    "UNPARSED",
    "Case",
    "Exchange",
    "Finding",
    "Found",
    "Level",
    "SpecFacts",
    "cut",
    "show",
]

# How far a run-now answer's created_at may lie from when it arrived.
DEFAULT_SKEW = timedelta(minutes=5)


class _Unparsed:
    """The body was not JSON: payload checks do not apply, `payload.json` reports it."""

    def __repr__(self) -> str:
        return "UNPARSED"


UNPARSED: Any = _Unparsed()


# What a check found: (pointer, message), where (an RFC 6901 pointer into the body, "" for all
# of it) and what ("Received: ... / Expected: ..."); the registry says whose finding it is. A
# plain tuple: validate makes tens of thousands, and a NamedTuple costs 6x to make.
Found = tuple[str, str]


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
    run_known: bool | None = None  # a read-back by id: False for a run id made up to be unknown

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
    variants: Mapping[tuple[str, ...], tuple[str, ...]]  # tag path -> the tags on the page
    conventions: Conventions
    known_paths: frozenset[tuple[str, ...]] = frozenset()  # every field the page defines


@dataclass(slots=True)  # not frozen: built once per evaluation, on the hot path
class Case:
    """One body as the checks of a run read it: parsed (or UNPARSED), with what is known around
    it. `exchange`: the HTTP exchange it came in; `deployment_id`: the deployment asked for (a
    run-now request's path); `seen_run_ids`: the run ids answered before; `original`: for a
    read-back, the record first answered; `body`: the bytes, when no exchange carries them."""

    run: Any
    facts: SpecFacts
    exchange: Exchange | None = None
    deployment_id: str | None = None
    seen_run_ids: Collection[str] = frozenset()
    skew: timedelta = DEFAULT_SKEW
    original: Any = None
    body: bytes | None = None
    cache: dict[str, Any] = field(default_factory=dict, compare=False)


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
