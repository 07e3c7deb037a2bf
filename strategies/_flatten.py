"""Flattening a JSON Schema into *alternatives*: plain constraint sets (`Flat`) whose union is
the schema, with `$ref`, `allOf`, `anyOf` and `oneOf` expanded by intersection (see `_compiler`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hypothesis.errors import InvalidArgument

__all__ = ["MAX_DEPTH", "TYPE_ORDER", "Flat", "Flattener", "Unsupported", "admits", "json_type"]

TYPE_ORDER = ("null", "boolean", "integer", "number", "string", "array", "object")
_ALL_TYPES = frozenset(TYPE_ORDER)
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$anchor",
        "$comment",
        "$defs",
        "definitions",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "discriminator",  # OpenAPI's hint; the const tags carry the meaning
    }
)
_KEYWORDS = frozenset(
    {
        "type",
        "const",
        "enum",
        "properties",
        "required",
        "additionalProperties",
        "oneOf",
        "anyOf",
        "allOf",
        "not",
        "$ref",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "items",
        "minItems",
        "maxItems",
    }
)
_FORMATS = frozenset({"date-time"})
MAX_DEPTH = 64


class Unsupported(InvalidArgument):
    pass


@dataclass(frozen=True, slots=True)
class Flat:
    """One alternative: a conjunction of plain constraints (no combinators left)."""

    types: frozenset[str] = _ALL_TYPES
    enum: tuple[Any, ...] | None = None
    properties: tuple[tuple[str, tuple[Any, ...]], ...] = ()  # name -> schemas, all must hold
    required: tuple[str, ...] = ()
    allowed: frozenset[str] | None = None  # additionalProperties: false
    format: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    min_length: int = 0
    max_length: int | None = None
    items: tuple[Any, ...] = ()
    min_items: int = 0
    max_items: int | None = None

    def property_schemas(self) -> dict[str, tuple[Any, ...]]:
        return dict(self.properties)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise Unsupported(f"{value!r} is not a JSON value")


def _intersected(schema: Any) -> tuple[Any, ...]:
    """The schema objects whose conjunction `schema` is: an `allOf` alone names its parts."""
    if isinstance(schema, dict) and len(schema) == 1 and isinstance(schema.get("allOf"), list):
        return tuple(schema["allOf"])
    return (schema,)


def admits(types: frozenset[str], kind: str) -> bool:
    return kind in types or (kind == "integer" and "number" in types)


def _key(value: Any) -> str:
    """JSON equality: 1 == 1.0, but true != 1 (JSON Schema's data model)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, sort_keys=True)


def _meet_types(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    out = set(a & b)
    if ("number" in a and "integer" in b) or ("integer" in a and "number" in b):
        out.add("integer")
    return frozenset(out)


def _max_opt(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _tighter(
    a: float | None, a_x: bool, b: float | None, b_x: bool, pick: Callable[[float, float], float]
) -> tuple[float | None, bool]:
    if a is None:
        return b, b_x
    if b is None or a == b:
        return a, a_x or (b_x if a == b else False)
    chosen = pick(a, b)
    return chosen, a_x if chosen == a else b_x


class Flattener:
    """Expands schemas into alternatives relative to one root document (for `$ref`)."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self._refs: list[str] = []  # $refs being expanded, to refuse recursion
        # alternatives already found, by the identity of the schema objects (kept alive here):
        # a oneOf's branches are met pairwise, so one $def is flattened hundreds of times
        self._flattened: dict[tuple[int, ...], tuple[tuple[Any, ...], tuple[Flat, ...]]] = {}

    # -- references --

    def _resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise Unsupported(f"$ref {ref!r}: only local references (#/...) are supported")
        node = self.root
        for raw in filter(None, ref[1:].split("/")):
            part = raw.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError, TypeError):
                raise Unsupported(f"$ref {ref!r} does not resolve") from None
        return node

    # -- alternatives --

    def alternatives(self, schema: Any, where: str) -> list[Flat]:
        """The flat alternatives whose union is `schema` (none: it accepts nothing)."""
        parts = _intersected(schema)
        key = tuple(map(id, parts))
        known = self._flattened.get(key)
        if known is None:
            known = self._flattened[key] = (parts, tuple(self._expand(schema, where)))
        return list(known[1])

    def _expand(self, schema: Any, where: str) -> list[Flat]:
        if schema is True:
            return [Flat()]
        if schema is False:
            return []
        if not isinstance(schema, dict):
            raise Unsupported(f"{where}: a schema must be an object or a boolean, not {schema!r}")
        unknown = set(schema) - _KEYWORDS - _ANNOTATIONS
        if unknown:
            raise Unsupported(f"{where}: keywords {sorted(unknown)} are outside the supported subset")
        if "$ref" in schema:
            ref = schema["$ref"]
            if ref in self._refs:
                raise Unsupported(f"{where}: recursive $ref {ref!r} is outside the supported subset")
            self._refs.append(ref)
            try:
                target = self.alternatives(self._resolve(ref), f"{where} -> {ref}")
            finally:
                self._refs.pop()
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            return self._product(target, self.alternatives(rest, where))
        alternatives = [self._own(schema, where)]
        for part in schema.get("allOf", ()):
            alternatives = self._product(alternatives, self.alternatives(part, f"{where}/allOf"))
        if "anyOf" in schema:
            union = [a for b in schema["anyOf"] for a in self.alternatives(b, f"{where}/anyOf")]
            alternatives = self._product(alternatives, union)
        if "oneOf" in schema:
            branches = [
                self._product(alternatives, self.alternatives(branch, f"{where}/oneOf/{i}"))
                for i, branch in enumerate(schema["oneOf"])
            ]
            self._require_disjoint(branches, where)
            alternatives = [a for branch in branches for a in branch]
        return alternatives

    def _product(self, left: Iterable[Flat], right: list[Flat]) -> list[Flat]:
        out = []
        for a in left:
            for b in right:
                met = self.meet(a, b)
                if met is not None:
                    out.append(met)
        return out

    def _require_disjoint(self, branches: list[list[Flat]], where: str) -> None:
        for i, first in enumerate(branches):
            for j in range(i + 1, len(branches)):
                for a in first:
                    for b in branches[j]:
                        if self.meet(a, b) is not None:
                            raise Unsupported(
                                f"{where}: oneOf branches {i} and {j} can both match one value; "
                                "only disjoint oneOf (a discriminated union) is supported"
                            )

    def _own(self, schema: dict[str, Any], where: str) -> Flat:
        """The schema's own plain keywords as one Flat (combinators are applied after)."""
        types = _ALL_TYPES
        if "type" in schema:
            declared = schema["type"]
            names = [declared] if isinstance(declared, str) else list(declared)
            if not set(names) <= _ALL_TYPES:
                raise Unsupported(f"{where}: unknown type in {declared!r}")
            types = frozenset(names) | ({"integer"} if "number" in names else set())
        if "not" in schema:
            negated = schema["not"]
            if not (isinstance(negated, dict) and set(negated) == {"type"}):
                raise Unsupported(f"{where}: only `not: {{type: ...}}` is supported, not {negated!r}")
            names = negated["type"]
            removed = frozenset([names] if isinstance(names, str) else names)
            if "number" in removed:
                removed |= {"integer"}
            if "integer" in removed and "number" in types and "number" not in removed:
                raise Unsupported(f"{where}: `not: {{type: integer}}` of a number is outside the subset")
            types = types - removed
        enum: tuple[Any, ...] | None = None
        if "enum" in schema:
            enum = tuple(schema["enum"])
        if "const" in schema:
            const = schema["const"]
            enum = (const,) if enum is None else tuple(v for v in enum if _key(v) == _key(const))
        fmt = schema.get("format")
        if fmt is not None and fmt not in _FORMATS:
            raise Unsupported(f"{where}: format {fmt!r} is outside the subset ({sorted(_FORMATS)})")
        additional = schema.get("additionalProperties", True)
        if additional is not True and additional is not False:
            if additional == {}:
                additional = True
            else:
                raise Unsupported(f"{where}: additionalProperties must be true or false")
        properties = schema.get("properties", {})
        minimum, maximum = schema.get("minimum"), schema.get("maximum")
        exclusive_min = exclusive_max = False
        if "exclusiveMinimum" in schema and (minimum is None or schema["exclusiveMinimum"] >= minimum):
            minimum, exclusive_min = schema["exclusiveMinimum"], True
        if "exclusiveMaximum" in schema and (maximum is None or schema["exclusiveMaximum"] <= maximum):
            maximum, exclusive_max = schema["exclusiveMaximum"], True
        items = schema.get("items")
        return Flat(
            types=types,
            enum=enum,
            properties=tuple((name, (sub,)) for name, sub in properties.items()),
            required=tuple(dict.fromkeys(schema.get("required", ()))),
            allowed=None if additional else frozenset(properties),
            format=fmt,
            minimum=minimum,
            maximum=maximum,
            exclusive_minimum=exclusive_min,
            exclusive_maximum=exclusive_max,
            min_length=schema.get("minLength", 0),
            max_length=schema.get("maxLength"),
            items=() if items is None else (items,),
            min_items=schema.get("minItems", 0),
            max_items=schema.get("maxItems"),
        )

    # -- intersection --

    def meet(self, a: Flat, b: Flat) -> Flat | None:
        """The conjunction of two alternatives, or None when no value meets both."""
        types = _meet_types(a.types, b.types)
        enum = a.enum
        if b.enum is not None:
            keys = {_key(v) for v in b.enum}
            enum = b.enum if enum is None else tuple(v for v in enum if _key(v) in keys)
        if a.format and b.format and a.format != b.format:
            raise Unsupported(f"two formats on one value: {a.format!r} and {b.format!r}")
        merged = dict(a.properties)
        for name, schemas in b.properties:
            merged[name] = merged.get(name, ()) + schemas
        allowed = (
            a.allowed if b.allowed is None else b.allowed if a.allowed is None else a.allowed & b.allowed
        )
        low, low_x = _tighter(a.minimum, a.exclusive_minimum, b.minimum, b.exclusive_minimum, max)
        high, high_x = _tighter(a.maximum, a.exclusive_maximum, b.maximum, b.exclusive_maximum, min)
        flat = Flat(
            types=types,
            enum=enum,
            properties=tuple(merged.items()),
            required=tuple(dict.fromkeys(a.required + b.required)),
            allowed=allowed,
            format=a.format or b.format,
            minimum=low,
            maximum=high,
            exclusive_minimum=low_x,
            exclusive_maximum=high_x,
            min_length=max(a.min_length, b.min_length),
            max_length=_max_opt(a.max_length, b.max_length),
            items=a.items + b.items,
            min_items=max(a.min_items, b.min_items),
            max_items=_max_opt(a.max_items, b.max_items),
        )
        return flat if self._satisfiable(flat) else None

    def _satisfiable(self, flat: Flat) -> bool:
        """False only when `flat` provably accepts nothing (sound, not complete)."""
        types = flat.types
        if flat.enum is not None:
            kinds = {json_type(v) for v in flat.enum if admits(types, json_type(v))}
            if not kinds:
                return False
            types = frozenset(kinds)
        if not types:
            return False
        if types <= {"integer", "number"} and flat.minimum is not None and flat.maximum is not None:
            if flat.minimum > flat.maximum:
                return False
        if types == {"string"} and flat.max_length is not None and flat.min_length > flat.max_length:
            return False
        if types == {"object"}:
            schemas = flat.property_schemas()
            for name in flat.required:
                if flat.allowed is not None and name not in flat.allowed:
                    return False
                if name in schemas and not self.alternatives({"allOf": list(schemas[name])}, name):
                    return False
        return True
