"""invalid_runs(): a valid payload with exactly one MUST requirement broken.

The registry maps each requirement id of the catalog to the mutation operators that break
it. It is derived from the catalog: every structural requirement gets the operators of its
check kind (a `required` check gets drop-required, an `rfc3339` check the four timestamp
breakers, ...), at its path, on a base payload that exercises it (an error run for paths
under `error`, a schedule trigger where the check has a `when`). The prose rules the
catalog has no check object for are listed by id. A MUST requirement that no entry covers
is caught by a test, not silently left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from drun_conformance.spec import Structure

from . import _timestamps
from ._contract import contract
from ._paths import get, with_value, without
from ._runs import Outcome, runs
from ._validation import check_subset

__all__ = ["MUTATION_OPERATORS", "InvalidRun", "Mutation", "invalid_runs", "requirement_operators"]

MUTATION_OPERATORS: Mapping[str, str] = MappingProxyType(
    {
        "drop-required": "a required field removed",
        "swap-type": "a value of the wrong JSON type (a stringly version, an array for an object...)",
        "break-literal": "a near miss of a literal: case, whitespace, a hyphen, a truncation",
        "unknown-variant": "a union tag outside the variants on the page",
        "int64-overflow": "a version beyond the int64 range (2^63, -2^63 - 1, 1e300...)",
        "fractional-number": "a version with a fractional part (1.5)",
        "nonexistent-date": "a date that does not exist (2023-02-29, 04-31, month 13)",
        "time-out-of-range": "a time that does not exist (24:00, :60 minutes, a misplaced leap second)",
        "offset-out-of-range": "an offset past ±23:59",
        "malformed-timestamp": "not RFC 3339 syntax (a space for T, no offset, a trailing newline...)",
        "both-outcomes": "session_id and error both set",
        "no-outcome": "neither session_id nor error set (both null)",
        "not-json": "a body that is not JSON (truncated, a trailing comma, single quotes, bad UTF-8)",
        "name-twice": "a member written twice in the body (I-JSON: readers disagree on which counts)",
        "lone-surrogate": "a string ending in a lone surrogate escape, such as \\ud800 (not I-JSON)",
    }
)
_BY_KIND: dict[str, tuple[str, ...]] = {
    "required": ("drop-required",),
    "json-type": ("swap-type",),
    "literal": ("break-literal", "swap-type"),
    "one-of": ("unknown-variant", "swap-type"),
    "int64": ("int64-overflow", "fractional-number", "swap-type"),
    "rfc3339": (
        "nonexistent-date",
        "time-out-of-range",
        "offset-out-of-range",
        "malformed-timestamp",
        "swap-type",
    ),
}
# Requirements that are rules in prose, without a structural check in the catalog: their
# operators, each with the outcome its base payload needs.
_BY_REQUIREMENT: dict[str, tuple[tuple[str, Outcome | None], ...]] = {
    "run.outcome.exactly-one": (("both-outcomes", "success"), ("no-outcome", None)),
    "payload.json": (("not-json", None),),
    "payload.json.unique-names": (("name-twice", None),),
    "payload.json.no-lone-surrogate": (("lone-surrogate", None),),
}


@dataclass(frozen=True, slots=True)
class InvalidRun:
    """A payload that breaks exactly `requirement`, made by `operator`; unpacks as
    `(payload, requirement)`.

    `payload` is the parsed JSON value, except for `payload.json`, where it is the `bytes`
    of a body that is not JSON.
    """

    payload: Any
    requirement: str
    operator: str

    def __iter__(self) -> Iterator[Any]:
        yield self.payload
        yield self.requirement


@dataclass(frozen=True, slots=True)
class Mutation:
    """One registry entry: `operator` applied at `path` breaks `requirement`, on a base
    payload of the given outcome and trigger (None: any)."""

    requirement: str
    operator: str
    path: tuple[str, ...]
    check: Structure | None  # what the catalog tests there (None: a rule in prose)
    outcome: Outcome | None = None
    trigger: str | None = None


Apply = Callable[[st.DrawFn, Any, Mutation], Any]


# --- values that are wrong -------------------------------------------------------------------


def _wrong_type(draw: st.DrawFn, original: Any, check: Structure) -> Any:
    """A value of another JSON type than the check wants (null too, unless it is nullable)."""
    kind = check.kind
    expected = check.expected if kind == "json-type" else "string"
    kinds = ["null", "boolean", "integer", "float", "string", "array", "object"]
    if kind == "int64":
        expected = "number"
    excluded = {"number": {"integer", "float"}, None: set()}.get(expected, {expected})
    if check.nullable:
        excluded = excluded | {"null"}
    choice = draw(st.sampled_from([k for k in kinds if k not in excluded]))
    if choice == "null":
        return None
    if choice == "boolean":
        return draw(st.booleans())
    if choice == "integer":
        return draw(st.integers(-(2**31), 2**31))
    if choice == "float":
        return draw(st.floats(allow_nan=False, allow_infinity=False))
    if choice == "string":  # the value written as JSON text: a stringly-typed bug
        return json.dumps(original)
    if choice == "array":
        return [original]
    return {"value": original}


_LITERAL_BREAKS: tuple[Callable[[str], str], ...] = (
    str.upper,
    str.capitalize,
    lambda s: s + " ",
    lambda s: " " + s,
    lambda s: s.replace("_", "-"),
    lambda s: s + "s",
    lambda s: s[:-1],
    lambda s: "",
    lambda s: s.replace("_", ""),
)


def _near_miss(draw: st.DrawFn, expected: str, others: tuple[str, ...]) -> str:
    candidates = [f(expected) for f in _LITERAL_BREAKS] + list(others)
    return draw(st.sampled_from([c for c in dict.fromkeys(candidates) if c != expected]))


def _other_literals(check: Structure) -> tuple[str, ...]:
    """The other literals and tags of the catalog: a right value in the wrong place."""
    values: list[str] = []
    for requirement in contract().requirements.values():
        other = requirement.structure
        if other is None or other is check or other.kind not in ("literal", "one-of"):
            continue
        expected = other.expected
        values += [expected] if isinstance(expected, str) else list(expected)
    return tuple(values)


_FUTURE_NAMES = ("quota_exceeded_error", "deployment_paused_error", "webhook", "event", "retry")


def _unknown_variant(draw: st.DrawFn, known: tuple[str, ...]) -> str:
    tag = draw(st.sampled_from(known))
    candidates = [
        *_FUTURE_NAMES,
        tag.upper(),
        tag.replace("_", "-"),
        tag + "_v2",
        tag.removesuffix("_error"),
        " " + tag,
        "",
    ]
    return draw(st.sampled_from([c for c in dict.fromkeys(candidates) if c not in known]))


_INT64_OVERFLOWS = (
    2**63,
    2**63 + 1,
    -(2**63) - 1,
    2**64,
    -(2**64),
    10**20,
    float(2**63),  # 9.223372036854776e18: the float nearest 2^63 is 2^63 itself
    -float(2**63) - 2048.0,  # the float just below -2^63
    1e300,
    -1e300,
)


# --- operators --------------------------------------------------------------------------------


def _drop_required(draw: st.DrawFn, base: Any, m: Mutation) -> Any:
    return without(base, m.path)


def _structure(m: Mutation) -> Structure:
    assert m.check is not None  # the operators of a check kind are applied where there is one
    return m.check


def _swap_type(draw: st.DrawFn, base: Any, m: Mutation) -> Any:
    if not m.path:  # the body itself is not an object
        return _wrong_type(draw, base, _structure(m))
    return with_value(base, m.path, _wrong_type(draw, get(base, m.path), _structure(m)))


def _break_literal(draw: st.DrawFn, base: Any, m: Mutation) -> Any:
    check = _structure(m)
    return with_value(base, m.path, _near_miss(draw, check.expected, _other_literals(check)))


def _unknown_tag(draw: st.DrawFn, base: Any, m: Mutation) -> Any:
    return with_value(base, m.path, _unknown_variant(draw, tuple(_structure(m).expected)))


def _int64_overflow(draw: st.DrawFn, base: Any, m: Mutation) -> Any:
    value = draw(
        st.one_of(
            st.sampled_from(_INT64_OVERFLOWS),
            st.integers(min_value=2**63),
            st.integers(max_value=-(2**63) - 1),
        )
    )
    return with_value(base, m.path, value)


def _fractional(draw: st.DrawFn, base: Any, m: Mutation) -> Any:
    whole = draw(st.integers(-1000, 1000))
    return with_value(base, m.path, whole + draw(st.sampled_from((0.5, 0.25, 0.001, 0.999))))


def _timestamp(family: Callable[[], st.SearchStrategy[str]]) -> Apply:
    def apply(draw: st.DrawFn, base: Any, m: Mutation) -> Any:
        return with_value(base, m.path, draw(family()))

    return apply


def _both_outcomes(draw: st.DrawFn, base: Any, m: Mutation) -> Any:
    error_field = contract().outcome_fields[1]
    failed = draw(runs(outcome="error"))
    return with_value(base, (error_field,), failed[error_field])


def _no_outcome(draw: st.DrawFn, base: Any, m: Mutation) -> Any:
    payload = base
    for name in contract().outcome_fields:
        # Null, never left out: a key left out is its own requirement (`run.*.required`).
        payload = with_value(payload, (name,), None)
    return payload


_NOT_JSON: tuple[Callable[[str, int], bytes], ...] = (
    lambda text, cut: text[: 1 + cut % (len(text) - 1)].encode(),  # truncated
    lambda text, cut: (text[:-1] + ",}").encode(),  # a trailing comma
    lambda text, cut: text.replace('"', "'").encode(),  # single quotes
    lambda text, cut: b"{\xff" + text[1:].encode(),  # not UTF-8
)


def _not_json(draw: st.DrawFn, base: Any, m: Mutation) -> Any:
    text = json.dumps(base)
    how = draw(st.sampled_from(_NOT_JSON))
    return how(text, draw(st.integers(0, 2**16)))


def _name_twice(draw: st.DrawFn, base: Any, m: Mutation) -> Any:
    name = draw(st.sampled_from(sorted(base)))
    return (json.dumps(base)[:-1] + f", {json.dumps(name)}: {json.dumps(base[name])}}}").encode()


def _lone_surrogate(draw: st.DrawFn, base: Any, m: Mutation) -> Any:
    # Added after the value's last character: never the second half of a pair json.dumps wrote.
    name = draw(st.sampled_from(sorted(k for k, v in base.items() if isinstance(v, str))))
    escape = f"\\u{draw(st.integers(0xD800, 0xDFFF)):04x}"
    text = json.dumps(base)
    value = json.dumps(base[name])
    at = text.index(f"{json.dumps(name)}: {value}") + len(json.dumps(name)) + 2 + len(value) - 1
    return (text[:at] + escape + text[at:]).encode()


_OPERATORS: dict[str, Apply] = {
    "drop-required": _drop_required,
    "swap-type": _swap_type,
    "break-literal": _break_literal,
    "unknown-variant": _unknown_tag,
    "int64-overflow": _int64_overflow,
    "fractional-number": _fractional,
    "nonexistent-date": _timestamp(_timestamps.nonexistent_dates),
    "time-out-of-range": _timestamp(_timestamps.times_out_of_range),
    "offset-out-of-range": _timestamp(_timestamps.offsets_out_of_range),
    "malformed-timestamp": _timestamp(_timestamps.malformed_timestamps),
    "both-outcomes": _both_outcomes,
    "no-outcome": _no_outcome,
    "not-json": _not_json,
    "name-twice": _name_twice,
    "lone-surrogate": _lone_surrogate,
}
assert tuple(_OPERATORS) == tuple(MUTATION_OPERATORS)


# --- the registry -----------------------------------------------------------------------------


def _needs(path: tuple[str, ...], check: Structure) -> tuple[Outcome | None, str | None]:
    """The base payload a mutation at `path` needs for its requirement to be exercised."""
    session_field, error_field = contract().outcome_fields
    outcome: Outcome | None = None
    if path[:1] == (error_field,):
        outcome = "error"
    elif path[:1] == (session_field,):
        outcome = "success"
    if check.kind == "required" and len(path) == 1 and outcome is not None:
        # The key left out where it is null: the other member still holds the one outcome.
        outcome = "success" if outcome == "error" else "error"
    trigger = None
    when = check.when
    if when is not None:
        if when.path != ("trigger_context", "type"):
            raise InvalidArgument(f"no way to meet the condition {when!r} for a mutation at {path}")
        trigger = when.equals
    return outcome, trigger


@cache
def _registry() -> dict[str, tuple[Mutation, ...]]:
    registry: dict[str, tuple[Mutation, ...]] = {}
    for rid, requirement in contract().requirements.items():
        if requirement.level != "MUST" or requirement.side != "server":
            continue
        check = requirement.structure
        if check is not None:
            outcome, trigger = _needs(check.path, check)
            names = _BY_KIND.get(check.kind, ())
            registry[rid] = tuple(Mutation(rid, name, check.path, check, outcome, trigger) for name in names)
        elif rid in _BY_REQUIREMENT:
            registry[rid] = tuple(
                Mutation(rid, name, (), None, outcome) for name, outcome in _BY_REQUIREMENT[rid]
            )
    return {rid: mutations for rid, mutations in registry.items() if mutations}


def requirement_operators() -> Mapping[str, tuple[str, ...]]:
    """Each requirement id that invalid_runs() can break, with its operators' names."""
    return MappingProxyType(
        {rid: tuple(m.operator for m in mutations) for rid, mutations in _registry().items()}
    )


@st.composite
def _invalid_run(draw: st.DrawFn, by_operator: tuple[tuple[str, tuple[Mutation, ...]], ...]) -> InvalidRun:
    # Operator first, then where: every operator shows up early, not only the common ones.
    operator, mutations = draw(st.sampled_from(by_operator))
    mutation = draw(st.sampled_from(mutations))
    base = draw(runs(outcome=mutation.outcome, trigger=mutation.trigger))
    payload = _OPERATORS[operator](draw, base, mutation)
    return InvalidRun(payload, mutation.requirement, operator)


@cache
def _invalid_runs(requirements: tuple[str, ...], operators: tuple[str, ...]) -> st.SearchStrategy[InvalidRun]:
    registry = _registry()
    by_operator = []
    for name in operators:
        chosen = tuple(m for rid in requirements for m in registry[rid] if m.operator == name)
        if chosen:
            by_operator.append((name, chosen))
    if not by_operator:
        raise InvalidArgument(
            f"no operator among operators={list(operators)} breaks any of requirements={list(requirements)}"
        )
    return _invalid_run(tuple(by_operator))


def invalid_runs(
    *,
    requirements: Collection[str] | None = None,
    operators: Collection[str] | None = None,
) -> st.SearchStrategy[InvalidRun]:
    """Invalid DeploymentRun payloads, each breaking exactly one MUST requirement, as
    `InvalidRun(payload, requirement, operator)` (which unpacks as `(payload, requirement)`).

    A runs() payload (of the outcome and trigger the requirement needs) goes through one
    mutation operator of `MUTATION_OPERATORS`: a dropped required field, a swapped type, a
    broken literal, an unknown union tag, a version beyond int64 or with a fraction, a date
    or time or offset that does not exist, a malformed timestamp, both or neither of
    `session_id` and `error`, a body that is not JSON (then `payload` is `bytes`). The
    oracle reports exactly `requirement` for it at MUST level and nothing else at that level
    (a test holds it to that). `requirements` and `operators` narrow the choice; see
    `requirement_operators()` for which operator breaks what.

    >>> invalid_runs(requirements=["run.agent.version.int64"]).example()
    InvalidRun(payload={..., 'agent': {'id': 'agent_…', 'type': 'agent',
               'version': 9223372036854775808}, ...},
               requirement='run.agent.version.int64', operator='int64-overflow')

    An operator is drawn first, then a requirement it breaks, so every operator turns up in
    a small sample. Compiled once per argument combination and cached. Shrinks towards the
    first operator (drop-required) on the first requirement it applies to (`id`), then
    towards the simplest wrong value, on a base payload shrunk as runs() shrinks.
    """
    registry = _registry()
    chosen = check_subset(requirements, registry, "requirements")
    names = check_subset(operators, MUTATION_OPERATORS, "operators")
    return _invalid_runs(chosen, names)
