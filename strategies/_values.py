"""Leaf strategies: realistic ids, plain text, unknown-field names and JSON values.

Cheap on purpose: an id is one integer draw written in base 62, not 24 character draws, so
a whole payload costs a few dozen choices and shrinks to short, readable values.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from hypothesis import strategies as st

__all__ = [
    "BASE62",
    "INT64_MAX",
    "INT64_MIN",
    "evenly",
    "extra_fields",
    "extra_keys",
    "json_values",
    "messages",
    "one_of_evenly",
    "plain_text",
    "prefixed_ids",
    "to_base62",
]

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_ID_DIGITS = 24  # agent_011CZkYqphY8vELVzwCUpqiQ: 24 base-62 digits after the prefix
# An id is a 64-bit number in base 62: fewer shrink steps than 24 random digits would take
# (Hypothesis stops after 500 improvements), and a half-shrunk id still reads as small.
_ID_BITS = 64

# Names an API might add to an object later. Never a name the schema defines at that level:
# the compiler filters those out per object.
_FUTURE_FIELDS = (
    "metadata",
    "labels",
    "workspace_id",
    "retry_count",
    "duration_ms",
    "region",
    "x_trace",
    "archived_at",
    "details",
    "links",
)


def to_base62(number: int, width: int) -> str:
    """`number` in base 62, left-padded with "0" to `width` digits."""
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits)).rjust(width, "0")


def _join_id(prefix: str, number: int) -> str:
    return prefix + to_base62(number, _ID_DIGITS)


@cache
def prefixed_ids(prefix: str) -> st.SearchStrategy[str]:
    """`prefix` then 24 base-62 digits (a zero-padded 64-bit number), as the API's ids
    look: e.g. "drun_0000000000000Ba7Xk2mQp1".

    Shrinks towards the prefix and 24 zeros.
    """
    return st.builds(_join_id, st.just(prefix), st.integers(0, 2**_ID_BITS - 1))


@cache
def plain_text(*, min_size: int = 0, max_size: int | None = 40) -> st.SearchStrategy[str]:
    """Printable ASCII text; the non-ASCII, long and escaped kinds are edge_runs()'s job."""
    return st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=min_size, max_size=max_size)


@cache
def messages() -> st.SearchStrategy[str]:
    """Non-empty human-readable messages (an empty one is a SHOULD finding, not ordinary)."""
    return plain_text(min_size=1, max_size=60)


@cache
def extra_keys() -> st.SearchStrategy[str]:
    """Names of unknown fields: plausible future field names, or short snake_case words."""
    return st.one_of(
        st.sampled_from(_FUTURE_FIELDS),
        st.text(st.sampled_from(string.ascii_lowercase + "_"), min_size=1, max_size=12),
    )


@cache
def json_values() -> st.SearchStrategy[Any]:
    """Small JSON values of every type: a scalar, or a list or object of up to three scalars
    (a reader that skips one container skips a deeper one the same way, and each level costs
    the gate's draws); integers within int64 so any JSON library can write them, floats finite."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(INT64_MIN, INT64_MAX),
        st.floats(allow_nan=False, allow_infinity=False),
        plain_text(max_size=12),
    )
    return st.one_of(
        scalars, st.lists(scalars, max_size=3), st.dictionaries(plain_text(max_size=8), scalars, max_size=3)
    )


def extra_fields(known: frozenset[str]) -> st.SearchStrategy[dict[str, Any]]:
    """For an object whose schema names `known`: no unknown field in about half the draws,
    else one or two (half: every object drawing them would double a payload's draws)."""
    some = st.dictionaries(
        extra_keys().filter(lambda key: key not in known), json_values(), min_size=1, max_size=2
    )
    return one_of_evenly([st.just({}), some])


T = TypeVar("T")


def evenly(values: Sequence[T]) -> st.SearchStrategy[T]:
    """One of `values`, each about as often, shrinking towards the first. st.sampled_from draws
    its index from Hypothesis's integers, which favour small ones (the first of 16 error types took
    a third of the draws); fair bits do not (past a power of two, a few values come twice as often)."""
    bits = (len(values) - 1).bit_length()
    return st.tuples(*[st.booleans()] * bits).map(lambda flags: values[_number(flags) % len(values)])


def one_of_evenly(parts: Sequence[st.SearchStrategy[T]]) -> st.SearchStrategy[T]:
    """A value of one of `parts`, each part about as often (see `evenly`); shrinks towards the first."""
    return evenly(parts).flatmap(lambda part: part)


def _number(flags: tuple[bool, ...]) -> int:
    """The bits, most significant first."""
    return sum(flag << i for i, flag in enumerate(reversed(flags)))
