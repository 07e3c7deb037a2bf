"""Scopes of a known failure: the kinds of drawn value it is known to fail on, by name.

An expectation names the coverage cases it was recorded on and, for drawn cases, a scope: a
few names from this closed vocabulary, each a test of the value served at the pointers of
its kind (`version beyond ±2^53` tests agent.version; `offset beyond ±18:00` each timestamp;
`type not on the page` the error and the trigger). A failure is in scope when, at its
pointer, the value served passes one of the names (a failure of the whole run, at "", when
any value of the run does). `names_at` gives the names a failure's value passes, tightest
first: `--record-expectations` keeps the tightest name of each failure, so a scope says no more
than what was seen.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from drun_conformance.oracle import SpecFacts, parse_rfc3339

__all__ = ["SCOPES", "Scope", "in_scope", "names_at", "tightest"]

_OFFSET = re.compile(r"([+-])(\d\d):(\d\d)$")


@dataclass(frozen=True, slots=True)
class Scope:
    kind: str  # "version", "timestamp", "variant": which pointers it tests
    test: Callable[[Any], bool]
    within: str | None = None  # a looser name every value passing this one also passes


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _offset_minutes(value: Any) -> int:
    match = _OFFSET.search(value) if isinstance(value, str) else None
    return 0 if match is None else int(match[2]) * 60 + int(match[3])


def _fraction(value: Any) -> int:
    stamp = parse_rfc3339(value)
    return 0 if stamp is None else len(stamp.fraction)


def _timestamp(flag: str) -> Callable[[Any], bool]:
    return lambda value: bool(getattr(parse_rfc3339(value), flag, False))


# Tightest first within a kind: a failure is recorded under the first name its value passes.
SCOPES: Mapping[str, Scope] = {
    "version beyond ±2^53": Scope(
        "version", lambda v: _integer(v) and abs(v) > 2**53, "version beyond int32"
    ),
    "version beyond int32": Scope("version", lambda v: _integer(v) and not -(2**31) <= v < 2**31),
    "leap second": Scope("timestamp", _timestamp("leap_second")),
    "lowercase t or z": Scope("timestamp", _timestamp("lowercase")),
    "offset -00:00": Scope("timestamp", _timestamp("unknown_offset")),
    "offset beyond ±18:00": Scope(
        "timestamp", lambda v: parse_rfc3339(v) is not None and _offset_minutes(v) > 18 * 60
    ),
    "more than 9 fractional digits": Scope(
        "timestamp", lambda v: _fraction(v) > 9, "more than 6 fractional digits"
    ),
    "more than 6 fractional digits": Scope("timestamp", lambda v: _fraction(v) > 6),
    "type not on the page": Scope("variant", lambda v: False),  # decided by `_unknown_variant`
}


def _pointers(kind: str, facts: SpecFacts) -> list[tuple[str, ...]]:
    if kind == "version":
        return list(facts.int64_paths)
    if kind == "timestamp":
        return list(facts.timestamp_paths)
    return [("error",), ("trigger_context",)]


def _value(served: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        served = served.get(key) if isinstance(served, dict) else None
    return served


def _pointer(path: tuple[str, ...]) -> str:
    return "".join("/" + part for part in path)


def _passes(name: str, path: tuple[str, ...], served: Any, facts: SpecFacts) -> bool:
    value = _value(served, path)
    if SCOPES[name].kind == "variant":
        tag = value.get("type") if isinstance(value, dict) else None
        return isinstance(tag, str) and tag not in facts.variants.get((path[0], "type"), ())
    return SCOPES[name].test(value)


def _at(pointer: str, path: tuple[str, ...]) -> bool:
    """A failure at `pointer` is about the value at `path` (or the whole run, at "")."""
    where = _pointer(path)
    return pointer == "" or pointer == where or pointer.startswith(where + "/")


def names_at(pointer: str, served: Any, facts: SpecFacts) -> tuple[str, ...]:
    """Every name the value served at `pointer` passes, tightest first (none for a body that
    is no run)."""
    if not isinstance(served, dict):
        return ()
    return tuple(
        name
        for name, scope in SCOPES.items()
        if any(
            _at(pointer, path) and _passes(name, path, served, facts) for path in _pointers(scope.kind, facts)
        )
    )


def in_scope(names: Iterable[str], pointer: str, served: Any, facts: SpecFacts) -> bool:
    return bool(set(names) & set(names_at(pointer, served, facts)))


def tightest(passed: Iterable[tuple[str, ...]]) -> list[str]:
    """The scope covering failures whose values passed these names (each `names_at`): the
    tightest name of each; a name within a looser one also chosen is dropped (the looser covers
    both)."""
    chosen = {names[0] for names in passed if names}
    return [name for name in SCOPES if name in chosen and SCOPES[name].within not in chosen]
