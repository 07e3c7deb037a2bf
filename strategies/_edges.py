"""edge_runs(): valid-but-rare DeploymentRun payloads, each labelled with its edge class."""

from __future__ import annotations

import string
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st

from . import _timestamps
from ._contract import contract, pointer
from ._paths import get, with_value
from ._runs import runs
from ._validation import check_subset
from ._values import INT64_MAX, INT64_MIN, plain_text

__all__ = ["EDGE_CLASSES", "UNKNOWN_VARIANT_CLASSES", "EdgeRun", "edge_runs"]

LONG_STRING = 10_000

# Each edge class, with what it generates. The ids starting "edge." that are in the
# catalog are the oracle's EDGE requirements (it labels payloads with them); the others are
# this package's own classes for the rare kinds the issue asks for.
_DESCRIPTIONS: dict[str, str] = {
    "edge.timestamp.leap-second": "a leap second, 23:59:60 UTC, in any offset",
    "edge.timestamp.sub-microsecond": "7 to 15 fractional digits",
    "edge.timestamp.lowercase": "a lowercase t and/or z",
    "edge.timestamp.unknown-offset": "the unknown local offset -00:00",
    "edge.timestamp.offset-beyond-18h": "an offset beyond ±18:00, up to ±23:59 (valid RFC 3339)",
    "edge.timestamp.offset-extremes": "offsets up to ±18:00 (+14:00, +05:45, -09:30, ±00:01, ...)",
    "edge.timestamp.year-bounds": "years 0001 and 9999, offsets pushing the instant past either end",
    "edge.timestamp.leap-day": "29 February of a leap year (2000, 2024, 2400, 0004, ...)",
    "edge.version.bounds": "agent.version at 0, 1, 2^31, 2^53 ± 1, 2^63 - 1 (and -2^63)",
    "edge.string.empty": "an empty string field",
    "edge.string.long": "a string field of 10,000 characters",
    "edge.string.non-ascii": "a string field with text outside ASCII (accents, CJK, emoji, RTL)",
    "edge.string.json-escapes": 'a string field full of characters JSON escapes (" \\ / control)',
    "edge.variant.unknown-error-type": "an error type that is not on the page (a future variant)",
    "edge.variant.unknown-trigger-type": "a trigger type that is not on the page (a future variant)",
    "edge.object.shuffled-keys": "the same payload with the keys of every object in another order",
}
EDGE_CLASSES: tuple[str, ...] = tuple(_DESCRIPTIONS)
# Valid for a client to receive, but the oracle flags them (MUST) when a server sends them.
UNKNOWN_VARIANT_CLASSES: dict[str, str] = {
    "edge.variant.unknown-error-type": "run.error.type.known-variant",
    "edge.variant.unknown-trigger-type": "run.trigger_context.type.known-variant",
}

VERSION_BOUNDS = (0, 1, 2**31 - 1, 2**31, 2**53 - 1, 2**53, 2**53 + 1, INT64_MAX, INT64_MIN, -1)

_NON_ASCII_SAMPLES = (
    "é",
    "über",
    "中文",
    "日本語のテキスト",
    "😀",
    "👩\u200d👩\u200d👧",  # a ZWJ sequence
    "e\u0301",  # a combining accent
    "مرحبا",  # right-to-left
    "\u00a0",  # no-break space
    "\ufeff",  # byte order mark
    "\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522",  # astral plane letters
)
_MUST_ESCAPE = '"\\\b\f\n\r\t\x00\x01\x1b\x1f'  # RFC 8259 section 7
_ESCAPED = _MUST_ESCAPE + "/\x7f\u2028\u2029"  # escaped by some writers, not all
_FUTURE_ERROR_TYPES = (
    "quota_exceeded_error",
    "deployment_paused_error",
    "model_unavailable_error",
    "budget_exhausted_error",
    "region_unavailable_error",
)
_FUTURE_TRIGGER_TYPES = ("webhook", "api", "event", "retry", "backfill")


@dataclass(frozen=True, slots=True)
class EdgeRun:
    """One valid-but-rare payload and its edge class; unpacks as `(payload, edge_class)`.

    `pointer` is the JSON Pointer of the rare value ("" when the whole payload is the edge,
    as for shuffled keys).
    """

    payload: dict[str, Any]
    edge_class: str
    pointer: str = ""

    def __iter__(self) -> Iterator[Any]:
        yield self.payload
        yield self.edge_class


Builder = Callable[[st.DrawFn], tuple[dict[str, Any], str]]


def _timestamp_paths(payload: dict[str, Any]) -> list[tuple[str, ...]]:
    """The date-time fields this payload has and the oracle checks (scheduled_at only under
    a schedule trigger)."""
    paths = []
    for path in contract().timestamp_paths:
        if isinstance(get(payload, path), str):
            paths.append(path)
    return paths


def _timestamp_edge(family: Callable[[], st.SearchStrategy[str]]) -> Builder:
    def build(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
        base = draw(runs())
        path = draw(st.sampled_from(_timestamp_paths(base)))
        return with_value(base, path, draw(family())), pointer(path)

    return build


def _string_paths(payload: dict[str, Any]) -> list[tuple[str, ...]]:
    return [path for path in contract().string_paths if isinstance(get(payload, path), str)]


def _string_edge(values: Callable[[], st.SearchStrategy[str]]) -> Builder:
    def build(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
        base = draw(runs())
        path = draw(st.sampled_from(_string_paths(base)))
        return with_value(base, path, draw(values())), pointer(path)

    return build


@cache
def _long_strings() -> st.SearchStrategy[str]:
    unit = plain_text(min_size=1, max_size=8)
    return st.builds(lambda u: (u * (LONG_STRING // len(u) + 1))[:LONG_STRING], unit)


@cache
def _non_ascii_strings() -> st.SearchStrategy[str]:
    foreign = st.one_of(
        st.sampled_from(_NON_ASCII_SAMPLES),
        st.text(
            st.characters(min_codepoint=128, categories=("L", "M", "N", "P", "S", "Zs")),
            min_size=1,
            max_size=12,
        ),
    )
    return st.builds(lambda a, b, c: a + b + c, plain_text(max_size=6), foreign, plain_text(max_size=6))


@cache
def _escaped_strings() -> st.SearchStrategy[str]:
    # At least one character JSON must escape, then any mix with the optional ones (/, U+2028).
    return st.builds(
        lambda a, must, more, c: a + must + more + c,
        plain_text(max_size=6),
        st.sampled_from(_MUST_ESCAPE),
        st.text(st.sampled_from(_ESCAPED), max_size=11),
        plain_text(max_size=6),
    )


def _unknown_name(known: tuple[str, ...], samples: tuple[str, ...], suffix: str) -> st.SearchStrategy[str]:
    words = st.text(st.sampled_from(string.ascii_lowercase), min_size=2, max_size=10)
    made_up = st.builds(lambda w: w + suffix, words)
    return st.one_of(st.sampled_from(samples), made_up).filter(lambda name: name not in known)


def _unknown_error_type(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    base = draw(runs(outcome="error"))
    name = draw(_unknown_name(contract().error_types, _FUTURE_ERROR_TYPES, "_error"))
    return with_value(base, ("error", "type"), name), "/error/type"


def _unknown_trigger_type(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    base = draw(runs())
    name = draw(_unknown_name(contract().trigger_types, _FUTURE_TRIGGER_TYPES, ""))
    trigger = {"type": name}
    # A future variant may bring fields of its own.
    if draw(st.booleans()):
        trigger[f"{name}_id"] = draw(plain_text(min_size=1, max_size=12))
    return with_value(base, ("trigger_context",), trigger), "/trigger_context/type"


def _version_bound(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    base = draw(runs())
    path = ("agent", "version")
    return with_value(base, path, draw(st.sampled_from(VERSION_BOUNDS))), pointer(path)


def _shuffled(draw: st.DrawFn, node: Any) -> Any:
    if isinstance(node, dict):
        keys = list(node)
        order = draw(st.permutations(keys)) if len(keys) > 1 else keys
        return {key: _shuffled(draw, node[key]) for key in order}
    if isinstance(node, list):
        return [_shuffled(draw, item) for item in node]
    return node


def _shuffled_keys(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    base = draw(runs())
    shuffled: dict[str, Any] = _shuffled(draw, base)
    if list(shuffled) == list(base):  # the identity permutation: rotate the top level
        keys = list(shuffled)
        shuffled = {key: shuffled[key] for key in keys[1:] + keys[:1]}
    return shuffled, ""


_BUILDERS: dict[str, Builder] = {
    "edge.timestamp.leap-second": _timestamp_edge(_timestamps.leap_seconds),
    "edge.timestamp.sub-microsecond": _timestamp_edge(_timestamps.sub_microsecond_timestamps),
    "edge.timestamp.lowercase": _timestamp_edge(_timestamps.lowercase_timestamps),
    "edge.timestamp.unknown-offset": _timestamp_edge(_timestamps.unknown_offset_timestamps),
    "edge.timestamp.offset-beyond-18h": _timestamp_edge(_timestamps.offsets_beyond_18h),
    "edge.timestamp.offset-extremes": _timestamp_edge(_timestamps.offset_extremes),
    "edge.timestamp.year-bounds": _timestamp_edge(_timestamps.year_bounds),
    "edge.timestamp.leap-day": _timestamp_edge(_timestamps.leap_days),
    "edge.version.bounds": _version_bound,
    "edge.string.empty": _string_edge(lambda: st.just("")),
    "edge.string.long": _string_edge(_long_strings),
    "edge.string.non-ascii": _string_edge(_non_ascii_strings),
    "edge.string.json-escapes": _string_edge(_escaped_strings),
    "edge.variant.unknown-error-type": _unknown_error_type,
    "edge.variant.unknown-trigger-type": _unknown_trigger_type,
    "edge.object.shuffled-keys": _shuffled_keys,
}
assert tuple(_BUILDERS) == EDGE_CLASSES


@st.composite
def _edge_run(draw: st.DrawFn, classes: tuple[str, ...]) -> EdgeRun:
    edge_class = draw(st.sampled_from(classes))
    payload, where = _BUILDERS[edge_class](draw)
    return EdgeRun(payload, edge_class, where)


@cache
def _edge_runs(classes: tuple[str, ...]) -> st.SearchStrategy[EdgeRun]:
    return _edge_run(classes)


def edge_runs(*, classes: Collection[str] | None = None) -> st.SearchStrategy[EdgeRun]:
    """Valid-but-rare DeploymentRun payloads, as `EdgeRun(payload, edge_class, pointer)`
    (which unpacks as `(payload, edge_class)`).

    Each example is a runs() payload with one rare value put in, of one class of
    `EDGE_CLASSES` (all of them unless `classes` narrows it), and rare in that way only:

    - timestamps: a leap second `23:59:60` (in "Z" or any offset up to ±18:00), 7 to 15
      fractional digits, lowercase `t`/`z`, `-00:00`, offsets up to ±23:59, years 0001 and
      9999, 29 February;
    - `agent.version` at 0, 1, 2^31 - 1, 2^31, 2^53 - 1, 2^53, 2^53 + 1, 2^63 - 1, -2^63, -1;
    - a string field that is empty, 10,000 characters long, non-ASCII, or full of JSON
      escapes;
    - an error type or a trigger type that is not on the page (a future variant);
    - every object's keys in a shuffled order.

    Every payload meets every MUST requirement, except the two unknown-variant classes
    (`UNKNOWN_VARIANT_CLASSES`): a client must accept those, and the oracle flags them (by
    their `known-variant` requirement) when a server sends them. The classes named
    "edge.…" in the catalog are the oracle's EDGE labels too; the others are this package's.

    >>> edge_runs(classes=["edge.timestamp.leap-second"]).example()
    EdgeRun(payload={..., 'created_at': '2016-12-31T15:59:60.25-08:00', ...},
            edge_class='edge.timestamp.leap-second', pointer='/created_at')

    Compiled once per `classes` and cached. Shrinks towards the first class asked for and,
    within it, towards the plainest instance: 1972-06-30T23:59:60Z, version 0, the shortest
    string, the base payload's own shrinking (see runs()).
    """
    chosen = check_subset(classes, EDGE_CLASSES, "classes")
    return _edge_runs(chosen)
