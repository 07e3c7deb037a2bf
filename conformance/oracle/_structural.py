"""The structural checks: one generic function per kind, bound to each catalog entry.

The builder derives these requirements from the page's field lists (presence, JSON type,
literals, int64, RFC 3339, union tags); each entry's `check` says which kind and where.
A check does not apply below a parent that is missing or not an object: that parent's own
requirement reports it, so one fault gives one finding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from drun_conformance.spec import Condition, Requirement

from ._case import Case, Found, show
from ._registry import Check
from ._rfc3339 import parse_rfc3339

__all__ = ["INT64_MAX", "INT64_MIN", "is_int64", "structural_check"]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_MISSING = object()
_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}


def _parent(run: Any, path: Sequence[str]) -> dict[str, Any] | None:
    """The object holding path[-1], or None when some step is missing or not an object."""
    return _node_at(run, tuple(path[:-1]))


def _node_at(run: Any, steps: tuple[str, ...]) -> dict[str, Any] | None:
    """The object at `steps` from `run`, or None when some step is missing or not an object."""
    node = run
    for key in steps:
        if not isinstance(node, dict):
            return None
        node = node.get(key, _MISSING)
    return node if isinstance(node, dict) else None


def _holds(run: Any, when: Condition | None) -> bool:
    if when is None:
        return True
    parent = _parent(run, when.path)
    return parent is not None and parent.get(when.path[-1], _MISSING) == when.equals


def is_int64(value: Any) -> bool:
    """The one rule for an int64 value, in every path: a JSON integer from -2^63 to 2^63-1,
    written without a fraction or exponent. JSON Schema's data model takes `3.0` for 3, but
    anthropic-java refuses `"version": 2.0` (AnthropicInvalidDataException), and beyond 2^53 a
    float names no one integer: a number so written breaks a client, so it is no int64 here."""
    return isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX


def _value_test(kind: str, expected: Any) -> tuple[Callable[[Any], bool], str]:
    """The predicate a present value must meet, and its words for `Expected: ...`."""
    if kind == "json-type":
        return _JSON_TYPES[expected], f"a JSON {expected}"
    if kind == "literal":
        return (lambda v: isinstance(v, str) and v == expected), show(expected)
    if kind == "one-of":
        allowed = frozenset(expected)
        return (lambda v: isinstance(v, str) and v in allowed), f"one of {', '.join(expected)}"
    if kind == "int64":
        return is_int64, "an integer from -2^63 to 2^63-1, without a fraction or exponent"
    if kind == "rfc3339":
        return (lambda v: parse_rfc3339(v) is not None), "an RFC 3339 date-time string"
    raise ValueError(f"unknown structural check kind {kind!r}")


def structural_check(requirement: Requirement) -> Check[Case]:
    """The Check for one structural requirement (its `structure` says what to test)."""
    spec = requirement.structure
    if spec is None:
        raise ValueError(f"{requirement.id} is no structural requirement")
    pointer, path, when = requirement.pointer, spec.path, spec.when
    if spec.kind == "required":
        return Check(requirement.id, _required(pointer, path, when))
    test, words = _value_test(spec.kind, spec.expected)
    nullable = spec.nullable
    steps, last = path[:-1], path[-1] if path else ""

    def check_value(case: Case) -> list[Found] | None:
        if not path:
            value = case.run
        else:
            parent = _node_at(case.run, steps)
            if parent is None or (when is not None and not _holds(case.run, when)):
                return None
            value = parent.get(last, _MISSING)
            if value is _MISSING:
                return None
        if (value is None and nullable) or test(value):
            return []
        expected = words + (" or null" if nullable else "")
        return [(pointer, f"Received: {show(value)} / Expected: {expected}")]

    check_value.__name__ = f"check_{spec.kind.replace('-', '_')}"
    return Check(requirement.id, check_value)


def _required(
    pointer: str, path: tuple[str, ...], when: Condition | None
) -> Callable[[Case], list[Found] | None]:
    steps, last = path[:-1], path[-1]

    def check_required(case: Case) -> list[Found] | None:
        parent = _node_at(case.run, steps)
        if parent is None or (when is not None and not _holds(case.run, when)):
            return None
        if last in parent:
            return []
        return [(pointer, f"Received: no {last!r} / Expected: the field")]

    return check_required
