"""The EDGE labels: a run holds a valid-but-rare value (a leap second, a long or non-ASCII
string, a variant not on the page). Labelling is no verdict: wherever a run is seen they mark
it, and in an SDK call the Oracle judges each marked value by what the SDK made of it
(`judge_edge`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from ._case import UNPARSED, Case, Found, show
from ._registry import Registry
from ._rfc3339 import Timestamp, parse_rfc3339
from ._rules import value_at

__all__ = ["LABELS"]

LABELS = Registry[Case]()
label = LABELS.register
_LONG_STRING = 1000


def _timestamps(case: Case) -> Iterator[tuple[str, Timestamp]]:
    cached = case.cache.get("timestamps")
    if cached is None:
        cached = []
        for path in case.facts.timestamp_paths:
            if (stamp := parse_rfc3339(value_at(case, path))) is not None:
                cached.append(("/" + "/".join(path), stamp))
        case.cache["timestamps"] = cached
    return iter(cached)


def _edge_timestamps(case: Case, attribute: str, words: str) -> list[Found] | None:
    if case.run is UNPARSED:
        return None
    return [
        (pointer, f"{stamp.text}: {words}")
        for pointer, stamp in _timestamps(case)
        if getattr(stamp, attribute)
    ]


@label("edge.timestamp.leap-second")
def label_leap_second(case: Case) -> list[Found] | None:
    return _edge_timestamps(case, "leap_second", "a leap second")


@label("edge.timestamp.sub-microsecond")
def label_sub_microsecond(case: Case) -> list[Found] | None:
    return _edge_timestamps(case, "sub_microsecond", "more than 6 fractional digits")


@label("edge.timestamp.lowercase")
def label_lowercase(case: Case) -> list[Found] | None:
    return _edge_timestamps(case, "lowercase", "a lowercase t or z")


@label("edge.timestamp.unknown-offset")
def label_unknown_offset(case: Case) -> list[Found] | None:
    return _edge_timestamps(case, "unknown_offset", "the unknown local offset -00:00")


def _unusual_strings(case: Case) -> list[tuple[str, str]]:
    """The strings that are long or not ASCII, with their pointers; worked out once a case."""
    found = case.cache.get("unusual_strings")
    if found is None:
        try:
            text = orjson.dumps(case.run)
            usual = text.isascii() and len(text) <= _LONG_STRING
        except (TypeError, orjson.JSONEncodeError):  # integers past 64 bits
            usual = False
        found = (
            []
            if usual
            else [
                (pointer, s) for pointer, s in _strings(case.run) if len(s) > _LONG_STRING or not s.isascii()
            ]
        )
        case.cache["unusual_strings"] = found
    return found


def _strings(node: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield pointer, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{pointer}/{index}")


# RFC 3339 allows offsets to +/-23:59; java.time.ZoneOffset stops at +/-18:00.
_OFFSET_LIMIT_MINUTES = 18 * 60


def _offset_beyond_18h(stamp: Timestamp) -> bool:
    text = stamp.text
    if text[-1] in "Zz":
        return False
    hours, minutes = int(text[-5:-3]), int(text[-2:])
    return hours * 60 + minutes > _OFFSET_LIMIT_MINUTES


@label("edge.timestamp.offset-beyond-18h")
def label_offset_beyond_18h(case: Case) -> list[Found] | None:
    if case.run is UNPARSED:
        return None
    return [
        (pointer, f"{stamp.text}: an offset beyond +/-18:00")
        for pointer, stamp in _timestamps(case)
        if _offset_beyond_18h(stamp)
    ]


@label("edge.string.long")
def label_long_string(case: Case) -> list[Found] | None:
    if case.run is UNPARSED:
        return None
    return [
        (pointer, f"a string of {len(text)} characters")
        for pointer, text in _unusual_strings(case)
        if len(text) > _LONG_STRING
    ]


@label("edge.string.non-ascii")
def label_non_ascii(case: Case) -> list[Found] | None:
    if case.run is UNPARSED:
        return None
    return [
        (pointer, f"non-ASCII text {show(text, 40)}")
        for pointer, text in _unusual_strings(case)
        if not text.isascii()
    ]


def _unknown_variant(case: Case, *path: str) -> list[Found] | None:
    node = value_at(case, path)
    if not isinstance(node, str):
        return None
    if node in case.facts.variants.get(path, ()):
        return []
    return [("/" + "/".join(path), f"{show(node)} is not on the page")]


@label("edge.variant.unknown-error-type")
def label_unknown_error_type(case: Case) -> list[Found] | None:
    return _unknown_variant(case, "error", "type")


@label("edge.variant.unknown-trigger-type")
def label_unknown_trigger_type(case: Case) -> list[Found] | None:
    return _unknown_variant(case, "trigger_context", "type")
