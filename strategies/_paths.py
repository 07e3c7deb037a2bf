"""Copy-on-write edits of JSON payloads by path: the drawn payload is never changed in place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["MISSING", "get", "has_parent", "with_value", "without"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def get(payload: Any, path: Sequence[str]) -> Any:
    """The value at `path`, or MISSING when a step is absent or not an object."""
    node = payload
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return MISSING
        node = node[key]
    return node


def has_parent(payload: Any, path: Sequence[str]) -> bool:
    """Whether every step above `path[-1]` is an object (so the field can be set there)."""
    return isinstance(get(payload, path[:-1]), dict)


def with_value(payload: dict[str, Any], path: Sequence[str], value: Any) -> dict[str, Any]:
    """A copy of `payload` with `value` at `path` (the objects on the way are copied; a key
    that exists keeps its place in the key order)."""
    head, *rest = path
    copy = dict(payload)
    copy[head] = with_value(payload[head], rest, value) if rest else value
    return copy


def without(payload: dict[str, Any], path: Sequence[str]) -> dict[str, Any]:
    """A copy of `payload` without the field at `path` (absent already: an equal copy)."""
    head, *rest = path
    copy = dict(payload)
    if rest:
        copy[head] = without(payload[head], rest)
    else:
        copy.pop(head, None)
    return copy
