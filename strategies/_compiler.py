"""The schema-to-strategy compiler: a JSON Schema (2020-12, the subset spec/ uses) in, a
Hypothesis strategy of the instances it accepts out.

How it works. A schema is first flattened into *alternatives*: plain constraint sets
(`Flat`: types, enum, properties, required, bounds, format) whose union is the schema.
`$ref`, `allOf`, `anyOf` and `oneOf` are expanded by intersecting (`_meet`) the schema's own
keywords with each branch and dropping the branches that cannot be met, so

    {"properties": {...}, "required": [...], "oneOf": [{exactly-one branch 1}, {... 2}]}

becomes two complete object shapes, one per outcome. `oneOf` must be *disjoint*: every pair
of branches must provably exclude each other (a const tag, types, or a required property
whose schemas cannot meet); a discriminated union is. An overlapping `oneOf` is outside the
subset and raises InvalidArgument rather than generate something the schema rejects.
Each alternative then compiles to composed strategies (`fixed_dictionaries` for objects,
`sampled_from` for enums, `integers` within bounds, ...); unknown fields are added to the
objects the schema leaves open.

Supported keywords: type (incl. lists), const, enum, properties, required,
additionalProperties (true/false), oneOf, anyOf, allOf, not (of a type), $ref (local JSON
pointers), format (date-time), minimum/maximum (and exclusive), minLength/maxLength, items,
minItems/maxItems; annotations (title, description, $schema, $id, $defs, ...) are ignored.
Anything else raises InvalidArgument naming the keyword.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from . import _timestamps, _values
from ._flatten import MAX_DEPTH, TYPE_ORDER, Flat, Flattener, Unsupported, admits, json_type
from ._validation import check_bool, check_strategy

__all__ = ["from_schema"]


class _Compiler(Flattener):
    """Compiles the flat alternatives of schemas into composed strategies."""

    def __init__(self, root: Any, options: _Options) -> None:
        super().__init__(root)
        self.options = options
        # Unknown fields never take a name the schema uses anywhere, so an extra field can't
        # be mistaken for a real one (a `scheduled_at` under a manual trigger, say).
        self.reserved = frozenset(_property_names(root))

    # -- compiling --

    def compile(self, schema: Any, pointer: str) -> st.SearchStrategy[Any]:
        if pointer.count("/") > MAX_DEPTH:
            raise Unsupported(f"{pointer}: nested deeper than {MAX_DEPTH} levels (a recursive $ref?)")
        alternatives = self.alternatives(schema, pointer or "#")
        # Fewest required properties first: a union shrinks towards its first alternative, and
        # Hypothesis reports the example with the fewest choices (a schedule trigger first, it
        # shrank a schedule run to zeros, then reported a manual run found later, unshrunk).
        alternatives = sorted(alternatives, key=lambda flat: len(flat.required))
        parts = [self._compile_flat(flat, pointer) for flat in alternatives]
        if not parts:
            return st.nothing()
        return parts[0] if len(parts) == 1 else _values.one_of_evenly(parts)

    def _compile_flat(self, flat: Flat, pointer: str) -> st.SearchStrategy[Any]:
        if flat.enum is not None:
            values = [v for v in flat.enum if admits(flat.types, json_type(v))]
            return st.just(values[0]) if len(values) == 1 else _values.evenly(values)
        types = flat.types - {"integer"} if "number" in flat.types else flat.types
        parts = [self._compile_type(kind, flat, pointer) for kind in TYPE_ORDER if kind in types]
        return parts[0] if len(parts) == 1 else st.one_of(parts)

    def _compile_type(self, kind: str, flat: Flat, pointer: str) -> st.SearchStrategy[Any]:
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

    def _compile_object(self, flat: Flat, pointer: str) -> st.SearchStrategy[dict[str, Any]]:
        schemas = flat.property_schemas()
        values: dict[str, st.SearchStrategy[Any]] = {}
        unions: set[str] = set()
        for name, parts in schemas.items():
            if flat.allowed is not None and name not in flat.allowed:
                continue
            child = pointer + "/" + name.replace("~", "~0").replace("/", "~1")
            schema = {"allOf": list(parts)}
            values[name] = self.compile(schema, child)
            if len(self.alternatives(schema, child)) > 1:  # flattened by compile, so cached
                unions.add(name)
        for name in flat.required:
            values.setdefault(name, _values.json_values())
        # Unions (an error's variants, a trigger's kinds) are drawn first: Hypothesis fills the
        # choices after its first examples' varied ones in simplest, so drawn late, one variant
        # took 19% of the error runs and 600 runs missed one in 6 seeds of 100 (1 of 200 so).
        order = sorted(flat.required, key=lambda name: name not in unions)
        required = {name: values[name] for name in order}
        optional = {name: s for name, s in values.items() if name not in required and not s.is_empty}
        fixed = st.fixed_dictionaries(required, optional=optional)
        if order != list(flat.required):
            fixed = fixed.map(functools.partial(_in_order, tuple(flat.required)))
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


def _in_order(names: tuple[str, ...], drawn: dict[str, Any]) -> dict[str, Any]:
    """`drawn` with `names` first, in that order (the schema's), and then its other keys."""
    return {**{name: drawn[name] for name in names}, **drawn}


def _with_extras(known: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any]:
    if extras:
        known.update(extras)
    return known


# --- the public entry point -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Options:
    strings: Mapping[str, st.SearchStrategy[str]] = field(default_factory=dict)
    extra_fields: bool = True
    date_time: st.SearchStrategy[str] = field(default_factory=_timestamps.timestamps)


_CACHE: dict[tuple[Any, ...], st.SearchStrategy[Any]] = {}
# One compiler per document and options: schemas compiled within one document share its
# flattening (a run narrowed to each of 16 error types flattens the run's unions once, not 16 times).
_COMPILERS: dict[tuple[Any, ...], _Compiler] = {}


def from_schema(
    schema: Mapping[str, Any] | bool,
    *,
    strings: Mapping[str, st.SearchStrategy[str]] | None = None,
    extra_fields: bool = True,
    within: Mapping[str, Any] | None = None,
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
    - `extra_fields`: add one or two unknown fields (names the schema does not use at that
      level, any JSON value) to about half of the objects the schema leaves open.
    - `within`: the document the schema's `$ref`s resolve against (the schema itself when
      None), e.g. `{"allOf": [doc, {...narrower...}]}` within `doc`; schemas compiled within
      one document share the work of flattening it.

    The strategy is compiled once per distinct (schema, strings, extra_fields) and cached:
    calling again returns the same object, and nothing is rebuilt per draw.

    >>> from_schema({"type": "object", "required": ["n"],
    ...              "properties": {"n": {"type": "integer", "minimum": 1}}}).example()
    {'n': 17, 'labels': [None, 'x']}

    Shrinks as its parts do: optional properties and unknown fields are dropped, a union
    moves to its alternative with the fewest required properties (the first of those in the
    schema's order), `enum` to its first entry, numbers towards their lower bound or 0, and
    strings towards the shortest allowed. An object's union-valued properties are drawn
    before its others, so that Hypothesis's first examples vary them; keys keep the schema's order.
    """
    if not isinstance(schema, Mapping | bool):
        raise InvalidArgument(f"schema={schema!r} must be a JSON Schema (a mapping or a boolean)")
    if within is not None and not isinstance(within, Mapping):
        raise InvalidArgument(f"within={within!r} must be a JSON Schema document (a mapping)")
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
    options = (tuple(sorted(overrides.items(), key=lambda item: item[0])), extra_fields)
    key = (text, None if within is None else id(within), *options)
    cached = _CACHE.get(key)
    if cached is None:
        if within is None:  # a schema of its own: compiled once, by `key`
            compiler = _Compiler(schema, _Options(overrides, extra_fields))
        else:
            compiler = _compiler_within(within, options)
        cached = _CACHE[key] = compiler.compile(schema, "")
    return cached


def _compiler_within(document: Mapping[str, Any], options: tuple[Any, ...]) -> _Compiler:
    """The compiler shared by every schema compiled within `document` with these options."""
    key = (id(document), *options)
    compiler = _COMPILERS.get(key)
    if compiler is None:  # it holds `document`, so the id stays its own
        overrides, extra_fields = options
        compiler = _COMPILERS[key] = _Compiler(document, _Options(dict(overrides), extra_fields))
    return compiler
