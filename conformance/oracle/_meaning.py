"""Equality in meaning of two JSON values: timestamps as instants, numbers exactly."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from ._rfc3339 import parse_rfc3339

__all__ = ["differences", "known_part"]


def differences(
    expected: Any, actual: Any, *, timestamps: Collection[tuple[str, ...]] = (), path: tuple[str, ...] = ()
) -> Iterator[str]:
    """RFC 6901 pointers where `actual` means something other than `expected`.

    Values at `timestamps` paths compare as instants (to every fractional digit); numbers
    compare exactly (3 and 3.0 are one JSON number; True is not 1); objects compare by key.
    """
    pointer = "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)
    if path in timestamps:
        a, b = parse_rfc3339(expected), parse_rfc3339(actual)
        if a is not None and b is not None:
            if a.instant != b.instant:
                yield pointer
            return
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected.keys() | actual.keys():
            if key not in expected or key not in actual:
                yield pointer + "/" + key.replace("~", "~0").replace("/", "~1")
            else:
                yield from differences(expected[key], actual[key], timestamps=timestamps, path=(*path, key))
        return
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (a, b) in enumerate(zip(expected, actual, strict=True)):
            yield from differences(a, b, timestamps=timestamps, path=(*path, str(index)))
        return
    if type(expected) is bool or type(actual) is bool:
        if expected is not actual:
            yield pointer
        return
    if expected != actual:
        yield pointer


def known_part(node: Any, known: Collection[tuple[str, ...]], path: tuple[str, ...] = ()) -> Any:
    """The fields the page defines (`known` paths), with null ones dropped (an absent optional is null)."""
    if not isinstance(node, dict):
        return node
    return {
        key: known_part(value, known, (*path, key))
        for key, value in node.items()
        if (*path, key) in known and value is not None
    }
