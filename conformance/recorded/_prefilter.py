"""A pre-filter in front of the oracle, for bulk validation: which requirements cannot fire on
a recorded body, as jsonschema-rs tells in a few calls, so that only the rest is run.

    prefilter = PreFilter.default()
    evaluation = oracle.judge_recorded(run, body=raw, ruled_out=prefilter.cannot_fire(run))

A body is *plain* when the schema accepts it and no SHOULD or EDGE payload check could fire:
a `drun_` id, non-empty strings where the SHOULDs want them, a manual trigger, timestamps in
their everyday form, short ASCII strings. jsonschema-rs decides that in two calls. Each
fragment names the requirements it stands in for; a test requires every payload requirement
to be covered, and property tests hold the filtered run's findings equal to the full run's.
For a body the schema rejects, `part_schemas` splits it into parts, so that only the
structural checks of the parts at fault run (most faulty bodies have one). The schema alone
also gives the MUST verdict of a body (`accepts`, `payload_conforms`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema_rs
import orjson

from drun_conformance.oracle import UNPARSED, parse_body
from drun_conformance.oracle._body import names_unique
from drun_conformance.spec import Catalog

__all__ = [
    "PART_LABELS",
    "PreFilter",
    "covered",
    "fragment_schemas",
    "part_schemas",
    "payload_conforms",
    "quiet_schema",
]

_ABSENT = object()

# Timestamps without a leap second, past-microsecond digits, lowercase letters, -00:00 or an
# offset beyond 18:00.
_PLAIN_TIMESTAMP = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]{1,6})?"
    r"(Z|[+-]18:00|\+(0[0-9]|1[0-7]):[0-5][0-9]|-(0[1-9]|1[0-7]):[0-5][0-9]|-00:(0[1-9]|[1-5][0-9]))$"
)
_PLAIN_STRING = {"type": "string", "maxLength": 1000, "pattern": "^[\\x00-\\x7f]*$"}

# requirement ids -> the schema fragment under which none of them can fire
FRAGMENTS: dict[tuple[str, ...], dict[str, Any]] = {
    # One fragment for the three SHOULDs on strings: each check is cheaper than its own call.
    ("run.id.prefix", "run.session_id.non-empty", "run.error.message.non-empty"): {
        "properties": {
            "id": {"pattern": "^drun_"},
            "session_id": {"minLength": 1},
            "error": {"properties": {"message": {"minLength": 1}}},
        }
    },
    (
        "run.trigger_context.manual-on-run-now",
        "run.trigger_context.scheduled-not-after-created",
        "edge.variant.unknown-trigger-type",
    ): {
        "properties": {
            "trigger_context": {
                "properties": {"type": {"const": "manual"}},
                "not": {"required": ["scheduled_at"]},
            }
        }
    },
    (
        "edge.timestamp.leap-second",
        "edge.timestamp.sub-microsecond",
        "edge.timestamp.lowercase",
        "edge.timestamp.unknown-offset",
        "edge.timestamp.offset-beyond-18h",
    ): {
        "properties": {
            "created_at": {"pattern": _PLAIN_TIMESTAMP},
            "trigger_context": {"properties": {"scheduled_at": {"pattern": _PLAIN_TIMESTAMP}}},
        }
    },
    ("edge.string.long", "edge.string.non-ascii"): {"$ref": "#/$defs/_plain_value"},
    ("edge.variant.unknown-error-type",): {},  # the body's schema admits only the page's types
}


# Fragments no shortcut alone: their walk over every string costs more than the checks' own
# fast path (one orjson.dumps of the body), so they serve only inside the plain filter.
_PLAIN_FILTER_ONLY = frozenset({("edge.string.long", "edge.string.non-ascii")})

# requirement ids a member's own schema rules out where it accepts the member's value: the
# labels of an unknown union tag (the member's schema admits only the page's tags)
PART_LABELS: dict[str, tuple[str, ...]] = {
    "error": ("edge.variant.unknown-error-type",),
    "trigger_context": ("edge.variant.unknown-trigger-type",),
}


def quiet_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Every fragment at once: a body both this and the body's schema accept is plain."""
    return {"$schema": schema["$schema"], "allOf": list(FRAGMENTS.values()), "$defs": _defs(schema)}


def fragment_schemas(schema: Mapping[str, Any]) -> list[tuple[frozenset[str], dict[str, Any]]]:
    """Each fragment as a schema of its own, with the requirements that cannot fire on a body
    it accepts, whatever the rest of the body holds. The empty fragment says nothing alone,
    and those of _PLAIN_FILTER_ONLY cost more alone than they save."""
    return [
        (frozenset(ids), {"$schema": schema["$schema"], **fragment, "$defs": _defs(schema)})
        for ids, fragment in FRAGMENTS.items()
        if fragment and ids not in _PLAIN_FILTER_ONLY
    ]


def part_schemas(schema: Mapping[str, Any], members: frozenset[str]) -> list[tuple[str, dict[str, Any]]]:
    """The schema of each named member's value on its own, and ("", the body's own shape:
    its type, required members and the other members' values). Where one accepts its part
    of a body the whole schema rejects, no structural check on that part can fire."""
    own = {name: value for name, value in schema["properties"].items() if name not in members}
    parts = [("", {"type": "object", "required": schema["required"], "properties": own})]
    parts += [(name, schema["properties"][name]) for name in sorted(members)]
    return [(name, {"$schema": schema["$schema"], **part, "$defs": schema["$defs"]}) for name, part in parts]


def _defs(schema: Mapping[str, Any]) -> dict[str, Any]:
    plain_value = {
        "anyOf": [
            {"type": ["null", "boolean", "number"]},
            _PLAIN_STRING,
            {"type": "array", "items": {"$ref": "#/$defs/_plain_value"}},
            {"type": "object", "additionalProperties": {"$ref": "#/$defs/_plain_value"}},
        ]
    }
    return {**schema["$defs"], "_plain_value": plain_value}


def covered() -> frozenset[str]:
    return frozenset(rid for ids in FRAGMENTS for rid in ids)


class PreFilter:
    """Which requirements cannot fire on a body, for the oracle's `judge_recorded` to leave out;
    pure, and built once per spec (its validators and its table of shortcuts met are kept)."""

    def __init__(self, catalog: Catalog, schema: Mapping[str, Any]) -> None:
        runs = [r for r in catalog if r.side != "webhook"]  # the schema is the run's
        self._int64_paths = tuple(
            r.structure.path for r in runs if r.structure is not None and r.structure.kind == "int64"
        )
        self._in_schema = frozenset(r.id for r in runs if r.in_schema)
        self._schema = jsonschema_rs.validator_for(dict(schema), validate_formats=True)
        self._quiet = jsonschema_rs.validator_for(quiet_schema(schema), validate_formats=True)
        self._plain_covers = self._in_schema | covered()
        # Each shortcut has a bit; a body's mask of met shortcuts names the requirements ruled
        # out, worked out once per mask (bit 0: the whole schema accepts).
        parts = _structural_parts(catalog)
        self._fragments = _bits(1, [("", fragment, ids) for ids, fragment in fragment_schemas(schema)])
        self._parts = _bits(
            1 + len(self._fragments),
            [
                (name, part, parts[name] | frozenset(PART_LABELS.get(name, ())))
                for name, part in part_schemas(schema, frozenset(parts) - {""})
            ],
        )
        self._met_by_mask: dict[int, frozenset[str]] = {}

    @classmethod
    @cache
    def default(cls) -> PreFilter:
        """The pre-filter for the spec/ shipped with this package."""
        from drun_conformance import spec

        return cls(spec.load_catalog(), spec.load_schema())

    def accepts(self, run: Any) -> bool:
        """For a body alone, the MUST verdict: the JSON Schema's (jsonschema-rs), with the one
        int64 rule a schema cannot say (an integer written with a fraction or exponent is no
        int64; see is_int64)."""
        return _accepts(self._schema, run) and not self.int64_as_float(run)

    def int64_as_float(self, run: Any) -> bool:
        """Whether an int64 field holds a number written with a fraction or exponent."""
        for path in self._int64_paths:
            node = run
            for key in path:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, float):
                return True
        return False

    def is_plain(self, run: Any) -> bool:
        """No payload check can fire on `run`: only the checks of the exchange are left."""
        return self.accepts(run) and _accepts(self._quiet, run)

    def cannot_fire(self, run: Any) -> frozenset[str]:
        """The payload requirements whose checks cannot fire on `run`, taken as an answer to Run
        Deployment Now: most bodies stop at the plain schema, most rejected ones fail below one
        member only."""
        if run is UNPARSED:
            return frozenset()
        as_float = self.int64_as_float(run)  # the one int64 rule no schema says
        accepted = not as_float and _accepts(self._schema, run)
        if accepted and _accepts(self._quiet, run):
            return self._plain_covers
        mask = int(accepted)
        shortcuts = self._fragments + (() if accepted or as_float else self._parts)
        members = run if isinstance(run, dict) else {}
        try:
            for shortcut in shortcuts:
                part = members.get(shortcut.member, _ABSENT) if shortcut.member else run
                if part is not _ABSENT and shortcut.validator.is_valid(part):
                    mask |= shortcut.bit
        except (ValueError, OverflowError):  # a value the validator cannot hold: no shortcut then
            mask = int(accepted)
        met = self._met_by_mask.get(mask)
        if met is None:
            shortcuts = self._fragments + self._parts
            met = frozenset().union(
                self._in_schema if mask & 1 else (), *(s.requirements for s in shortcuts if mask & s.bit)
            )
            self._met_by_mask[mask] = met
        return met


def payload_conforms(body: bytes, prefilter: PreFilter | None = None) -> bool:
    """The verdict alone for one recorded body: no MUST finding. The schema decides it
    (jsonschema-rs, see PreFilter.accepts); property tests hold it equal to the full
    oracle's MUST verdict. An integer orjson rounds to a float lies past 64 bits, where
    every int64 field refuses it as surely as the exact integer.
    """
    prefilter = prefilter or PreFilter.default()
    try:
        run = orjson.loads(body)
    except orjson.JSONDecodeError:
        run = parse_body(body)
    else:
        if not names_unique(body, run):  # orjson keeps the last of a name: no I-JSON, no run read
            run = parse_body(body)
    return prefilter.accepts(run)


def _accepts(validator: Any, run: Any) -> bool:
    if run is UNPARSED:
        return False
    try:
        return bool(validator.is_valid(run))
    except (ValueError, OverflowError):  # a value the validator cannot hold
        return False


@dataclass(frozen=True, slots=True)
class _Shortcut:
    """A schema whose acceptance of a body's member ("": the body) rules out its requirements."""

    member: str
    validator: Any
    requirements: frozenset[str]
    bit: int


def _bits(first: int, shortcuts: list[tuple[str, dict[str, Any], frozenset[str]]]) -> tuple[_Shortcut, ...]:
    return tuple(
        _Shortcut(member, jsonschema_rs.validator_for(schema, validate_formats=True), ids, 1 << (first + i))
        for i, (member, schema, ids) in enumerate(shortcuts)
    )


def _structural_parts(catalog: Catalog) -> dict[str, frozenset[str]]:
    """Which structural requirements each part of a body decides: a member holding more than
    two (there one validator call is cheaper than the checks), and "" the body's own shape."""
    below: dict[str, set[str]] = {}
    for requirement in catalog:
        structure = requirement.structure
        if not requirement.in_schema or structure is None or requirement.side == "webhook":
            continue
        path, when = structure.path, structure.when
        if when and when.path[:1] != path[:1]:
            continue  # a condition on another member: always run
        member = path[0] if len(path) > 1 or (path and structure.kind != "required") else ""
        below.setdefault(member, set()).add(requirement.id)
    members = {m for m, ids in below.items() if m and len(ids) > 2}
    parts = {m: frozenset(ids) for m, ids in below.items() if m in members}
    parts[""] = frozenset().union(*(ids for m, ids in below.items() if m not in members))
    return parts
