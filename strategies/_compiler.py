"""The schema-to-strategy compiler: a JSON Schema (2020-12, the subset spec/ uses) in, a
Hypothesis strategy of the instances it accepts out.

How it works. A schema is first flattened into *alternatives*: plain constraint sets
(`_Flat`: types, enum, properties, required, bounds, format) whose union is the schema.
`$ref`, `allOf`, `anyOf` and `oneOf` are expanded by intersecting (`_meet`) the schema's own
keywords with each branch and dropping the branches that cannot be met, so

    {"properties": {...}, "required": [...], "oneOf": [{exactly-one branch 1}, {... 2}]}

becomes two complete object shapes, one per outcome. `oneOf` must be *disjoint*: every pair
of branches must provably exclude each other (a const tag, types, or a required property
whose schemas cannot meet); a discriminated union is. An overlapping `oneOf` is outside the
subset and raises InvalidArgument rather than generate something the schema rejects.
Each alternative then compiles to composed strategies (`fixed_dictionaries` for objects,
`sampled_from` for enums, `integers` within bounds, ...); unknown fields are added to every
object the schema leaves open.

Supported keywords: type (incl. lists), const, enum, properties, required,
additionalProperties (true/false), oneOf, anyOf, allOf, not (of a type), $ref (local JSON
pointers), format (date-time), minimum/maximum (and exclusive), minLength/maxLength, items,
minItems/maxItems; annotations (title, description, $schema, $id, $defs, ...) are ignored.
Anything else raises InvalidArgument naming the keyword.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from . import _timestamps, _values
from ._validation import check_bool, check_strategy

__all__ = ["from_schema"]

_TYPE_ORDER = ("null", "boolean", "integer", "number", "string", "array", "object")
_ALL_TYPES = frozenset(_TYPE_ORDER)
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
_MAX_DEPTH = 64


class _Unsupported(InvalidArgument):
    pass


# --- flattening -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Flat:
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


def _json_type(value: Any) -> str:
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
    raise _Unsupported(f"{value!r} is not a JSON value")


def _admits(types: frozenset[str], kind: str) -> bool:
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


class _Compiler:
    """Flattens and compiles schemas relative to one root document (for `$ref`)."""

    def __init__(self, root: Any, options: _Options) -> None:
        self.root = root
        self.options = options
        # Unknown fields never take a name the schema uses anywhere, so an extra field can't
        # be mistaken for a real one (a `scheduled_at` under a manual trigger, say).
        self.reserved = frozenset(_property_names(root))
        self._refs: list[str] = []  # $refs being expanded, to refuse recursion

    # -- references --

    def _resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise _Unsupported(f"$ref {ref!r}: only local references (#/...) are supported")
        node = self.root
        for raw in filter(None, ref[1:].split("/")):
            part = raw.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError, TypeError):
                raise _Unsupported(f"$ref {ref!r} does not resolve") from None
        return node

    # -- alternatives --

    def alternatives(self, schema: Any, where: str) -> list[_Flat]:
        """The flat alternatives whose union is `schema` (none: it accepts nothing)."""
        if schema is True:
            return [_Flat()]
        if schema is False:
            return []
        if not isinstance(schema, dict):
            raise _Unsupported(f"{where}: a schema must be an object or a boolean, not {schema!r}")
        unknown = set(schema) - _KEYWORDS - _ANNOTATIONS
        if unknown:
            raise _Unsupported(f"{where}: keywords {sorted(unknown)} are outside the supported subset")
        if "$ref" in schema:
            ref = schema["$ref"]
            if ref in self._refs:
                raise _Unsupported(f"{where}: recursive $ref {ref!r} is outside the supported subset")
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

    def _product(self, left: Iterable[_Flat], right: list[_Flat]) -> list[_Flat]:
        out = []
        for a in left:
            for b in right:
                met = self.meet(a, b)
                if met is not None:
                    out.append(met)
        return out

    def _require_disjoint(self, branches: list[list[_Flat]], where: str) -> None:
        for i, first in enumerate(branches):
            for j in range(i + 1, len(branches)):
                for a in first:
                    for b in branches[j]:
                        if self.meet(a, b) is not None:
                            raise _Unsupported(
                                f"{where}: oneOf branches {i} and {j} can both match one value; "
                                "only disjoint oneOf (a discriminated union) is supported"
                            )

    def _own(self, schema: dict[str, Any], where: str) -> _Flat:
        """The schema's own plain keywords as one _Flat (combinators are applied after)."""
        types = _ALL_TYPES
        if "type" in schema:
            declared = schema["type"]
            names = [declared] if isinstance(declared, str) else list(declared)
            if not set(names) <= _ALL_TYPES:
                raise _Unsupported(f"{where}: unknown type in {declared!r}")
            types = frozenset(names) | ({"integer"} if "number" in names else set())
        if "not" in schema:
            negated = schema["not"]
            if not (isinstance(negated, dict) and set(negated) == {"type"}):
                raise _Unsupported(f"{where}: only `not: {{type: ...}}` is supported, not {negated!r}")
            names = negated["type"]
            removed = frozenset([names] if isinstance(names, str) else names)
            if "number" in removed:
                removed |= {"integer"}
            if "integer" in removed and "number" in types and "number" not in removed:
                raise _Unsupported(f"{where}: `not: {{type: integer}}` of a number is outside the subset")
            types = types - removed
        enum: tuple[Any, ...] | None = None
        if "enum" in schema:
            enum = tuple(schema["enum"])
        if "const" in schema:
            const = schema["const"]
            enum = (const,) if enum is None else tuple(v for v in enum if _key(v) == _key(const))
        fmt = schema.get("format")
        if fmt is not None and fmt not in _FORMATS:
            raise _Unsupported(f"{where}: format {fmt!r} is outside the subset ({sorted(_FORMATS)})")
        additional = schema.get("additionalProperties", True)
        if additional is not True and additional is not False:
            if additional == {}:
                additional = True
            else:
                raise _Unsupported(f"{where}: additionalProperties must be true or false")
        properties = schema.get("properties", {})
        minimum, maximum = schema.get("minimum"), schema.get("maximum")
        exclusive_min = exclusive_max = False
        if "exclusiveMinimum" in schema and (minimum is None or schema["exclusiveMinimum"] >= minimum):
            minimum, exclusive_min = schema["exclusiveMinimum"], True
        if "exclusiveMaximum" in schema and (maximum is None or schema["exclusiveMaximum"] <= maximum):
            maximum, exclusive_max = schema["exclusiveMaximum"], True
        items = schema.get("items")
        return _Flat(
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

    def meet(self, a: _Flat, b: _Flat) -> _Flat | None:
        """The conjunction of two alternatives, or None when no value meets both."""
        types = _meet_types(a.types, b.types)
        enum = a.enum
        if b.enum is not None:
            keys = {_key(v) for v in b.enum}
            enum = b.enum if enum is None else tuple(v for v in enum if _key(v) in keys)
        if a.format and b.format and a.format != b.format:
            raise _Unsupported(f"two formats on one value: {a.format!r} and {b.format!r}")
        merged = dict(a.properties)
        for name, schemas in b.properties:
            merged[name] = merged.get(name, ()) + schemas
        allowed = (
            a.allowed if b.allowed is None else b.allowed if a.allowed is None else a.allowed & b.allowed
        )
        low, low_x = _tighter(a.minimum, a.exclusive_minimum, b.minimum, b.exclusive_minimum, max)
        high, high_x = _tighter(a.maximum, a.exclusive_maximum, b.maximum, b.exclusive_maximum, min)
        flat = _Flat(
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

    def _satisfiable(self, flat: _Flat) -> bool:
        """False only when `flat` provably accepts nothing (sound, not complete)."""
        types = flat.types
        if flat.enum is not None:
            kinds = {_json_type(v) for v in flat.enum if _admits(types, _json_type(v))}
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

    # -- compiling --

    def compile(self, schema: Any, pointer: str) -> st.SearchStrategy[Any]:
        if pointer.count("/") > _MAX_DEPTH:
            raise _Unsupported(f"{pointer}: nested deeper than {_MAX_DEPTH} levels (a recursive $ref?)")
        alternatives = self.alternatives(schema, pointer or "#")
        parts = [self._compile_flat(flat, pointer) for flat in alternatives]
        if not parts:
            return st.nothing()
        return parts[0] if len(parts) == 1 else st.one_of(parts)

    def _compile_flat(self, flat: _Flat, pointer: str) -> st.SearchStrategy[Any]:
        if flat.enum is not None:
            values = [v for v in flat.enum if _admits(flat.types, _json_type(v))]
            return st.just(values[0]) if len(values) == 1 else st.sampled_from(values)
        types = flat.types - {"integer"} if "number" in flat.types else flat.types
        parts = [self._compile_type(kind, flat, pointer) for kind in _TYPE_ORDER if kind in types]
        return parts[0] if len(parts) == 1 else st.one_of(parts)

    def _compile_type(self, kind: str, flat: _Flat, pointer: str) -> st.SearchStrategy[Any]:
        options = self.options
        if kind == "null":
            return st.none()
        if kind == "boolean":
            return st.booleans()
        if kind in ("integer", "number"):
            low = None if flat.minimum is None else math.ceil(flat.minimum)
            high = None if flat.maximum is None else math.floor(flat.maximum)
            if low is not None and flat.exclusive_minimum and low == flat.minimum:
                low += 1
            if high is not None and flat.exclusive_maximum and high == flat.maximum:
                high -= 1
            integers = st.integers(low, high)
            if kind == "integer":
                return integers
            floats = st.floats(
                flat.minimum,
                flat.maximum,
                exclude_min=flat.exclusive_minimum,
                exclude_max=flat.exclusive_maximum,
                allow_nan=False,
                allow_infinity=False,
            )
            return st.one_of(integers, floats)
        if kind == "string":
            if pointer in options.strings:
                return options.strings[pointer]
            if flat.format == "date-time":
                return options.date_time
            return _values.plain_text(min_size=flat.min_length, max_size=flat.max_length or None)
        if kind == "array":
            items = (
                self.compile({"allOf": list(flat.items)}, pointer + "/-")
                if flat.items
                else _values.json_values()
            )
            return st.lists(items, min_size=flat.min_items, max_size=flat.max_items)
        return self._compile_object(flat, pointer)

    def _compile_object(self, flat: _Flat, pointer: str) -> st.SearchStrategy[dict[str, Any]]:
        schemas = flat.property_schemas()
        values: dict[str, st.SearchStrategy[Any]] = {}
        for name, parts in schemas.items():
            if flat.allowed is not None and name not in flat.allowed:
                continue
            child = pointer + "/" + name.replace("~", "~0").replace("/", "~1")
            values[name] = self.compile({"allOf": list(parts)}, child)
        for name in flat.required:
            values.setdefault(name, _values.json_values())
        required = {name: values[name] for name in flat.required}
        optional = {name: s for name, s in values.items() if name not in required and not s.is_empty}
        fixed = st.fixed_dictionaries(required, optional=optional)
        if flat.allowed is not None or not self.options.extra_fields:
            return fixed
        return st.builds(_with_extras, fixed, _values.extra_fields(self.reserved | frozenset(values)))


def _property_names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            yield from (name for name in properties if isinstance(name, str))
        for value in node.values():
            yield from _property_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _property_names(item)


def _with_extras(known: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any]:
    if extras:
        known.update(extras)
    return known


def _tighter(
    a: float | None, a_x: bool, b: float | None, b_x: bool, pick: Callable[[float, float], float]
) -> tuple[float | None, bool]:
    if a is None:
        return b, b_x
    if b is None or a == b:
        return a, a_x or (b_x if a == b else False)
    chosen = pick(a, b)
    return chosen, a_x if chosen == a else b_x


# --- the public entry point -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Options:
    strings: Mapping[str, st.SearchStrategy[str]] = field(default_factory=dict)
    extra_fields: bool = True
    date_time: st.SearchStrategy[str] = field(default_factory=_timestamps.timestamps)


_CACHE: dict[tuple[Any, ...], st.SearchStrategy[Any]] = {}


def from_schema(
    schema: Mapping[str, Any] | bool,
    *,
    strings: Mapping[str, st.SearchStrategy[str]] | None = None,
    extra_fields: bool = True,
) -> st.SearchStrategy[Any]:
    """Instances of a JSON Schema (2020-12, the subset that spec/ uses), as a strategy.

    The subset: objects with required and optional properties, open or closed
    (`additionalProperties: false`); `type` (one or a list), `const`, `enum`; `oneOf` when
    its branches are disjoint (discriminated unions, exactly-one rules), `anyOf`, `allOf`,
    `not: {type: ...}`; local `$ref`s; integer and number bounds; string lengths; arrays;
    `format: date-time`. A schema outside it raises InvalidArgument naming the keyword.

    - `strings` maps a JSON Pointer into the instance to the strategy for the string
      values found there (for realistic ids: `{"/id": ...}`); other free strings are
      printable ASCII, and `date-time` strings are ordinary RFC 3339 timestamps.
    - `extra_fields`: add zero to two unknown fields (names the schema does not use at that
      level, any JSON value) to every object the schema leaves open.

    The strategy is compiled once per distinct (schema, strings, extra_fields) and cached:
    calling again returns the same object, and nothing is rebuilt per draw.

    >>> from_schema({"type": "object", "required": ["n"],
    ...              "properties": {"n": {"type": "integer", "minimum": 1}}}).example()
    {'n': 17, 'labels': [None, 'x']}

    Shrinks as its parts do: optional properties and unknown fields are dropped, `oneOf`
    and `enum` move to their first entry, numbers towards their lower bound or 0, and
    strings towards the shortest allowed.
    """
    if not isinstance(schema, Mapping | bool):
        raise InvalidArgument(f"schema={schema!r} must be a JSON Schema (a mapping or a boolean)")
    check_bool(extra_fields, "extra_fields")
    overrides = dict(strings or {})
    for pointer, strategy in overrides.items():
        if not isinstance(pointer, str) or not (pointer == "" or pointer.startswith("/")):
            raise InvalidArgument(f"strings: key {pointer!r} must be a JSON Pointer like '/id'")
        check_strategy(strategy, f"strings[{pointer!r}]")
    try:
        text = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"schema is not JSON data: {exc}") from None
    key = (text, tuple(sorted(overrides.items(), key=lambda item: item[0])), extra_fields)
    cached = _CACHE.get(key)
    if cached is None:
        compiler = _Compiler(schema, _Options(overrides, extra_fields))
        cached = _CACHE[key] = compiler.compile(schema, "")
    return cached
