"""A conservative filter for unremarkable bodies, so bulk validation skips the Python checks.

A body is *plain* when the schema accepts it and no SHOULD or EDGE payload check could fire:
a `drun_` id, non-empty strings where the SHOULDs want them, a manual trigger, timestamps in
their everyday form, short ASCII strings. jsonschema-rs decides that in two calls. Each
fragment names the requirements it stands in for; a test requires every payload requirement
to be covered, and a property test that a plain body gets no finding from the full checks.
For a body the schema rejects, `part_schemas` splits it into parts, so that only the
structural checks of the parts at fault run (most faulty bodies have one).
"""

from __future__ import annotations

from typing import Any

__all__ = ["PART_LABELS", "covered", "fragment_schemas", "part_schemas", "quiet_schema"]

# Timestamps without a leap second, past-microsecond digits, lowercase letters or -00:00.
_PLAIN_TIMESTAMP = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]{1,6})?"
    r"(Z|\+[0-9]{2}:[0-9]{2}|-(0[1-9]|1[0-9]|2[0-3]):[0-9]{2}|-00:(0[1-9]|[1-5][0-9]))$"
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


def quiet_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Every fragment at once: a body both this and the body's schema accept is plain."""
    return {"$schema": schema["$schema"], "allOf": list(FRAGMENTS.values()), "$defs": _defs(schema)}


def fragment_schemas(schema: dict[str, Any]) -> list[tuple[frozenset[str], dict[str, Any]]]:
    """Each fragment as a schema of its own, with the requirements that cannot fire on a body
    it accepts, whatever the rest of the body holds. The empty fragment says nothing alone,
    and those of _PLAIN_FILTER_ONLY cost more alone than they save."""
    return [
        (frozenset(ids), {"$schema": schema["$schema"], **fragment, "$defs": _defs(schema)})
        for ids, fragment in FRAGMENTS.items()
        if fragment and ids not in _PLAIN_FILTER_ONLY
    ]


def part_schemas(schema: dict[str, Any], members: frozenset[str]) -> list[tuple[str, dict[str, Any]]]:
    """The schema of each named member's value on its own, and ("", the body's own shape:
    its type, required members and the other members' values). Where one accepts its part
    of a body the whole schema rejects, no structural check on that part can fire."""
    own = {name: value for name, value in schema["properties"].items() if name not in members}
    parts = [("", {"type": "object", "required": schema["required"], "properties": own})]
    parts += [(name, schema["properties"][name]) for name in sorted(members)]
    return [(name, {"$schema": schema["$schema"], **part, "$defs": schema["$defs"]}) for name, part in parts]


def _defs(schema: dict[str, Any]) -> dict[str, Any]:
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
