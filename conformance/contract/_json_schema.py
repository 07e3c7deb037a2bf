"""The returned class as JSON Schema 2020-12, built from the page's field lists."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from drun_conformance._errors import PageError

from ._page import ClassShape, EnumShape, Field, Page, ScalarShape, UnionShape
from ._sources import INT64_MAX, INT64_MIN

__all__ = ["SCALARS", "build_schema", "class_schema", "discriminator", "exactly_one_fields", "variant_tags"]

_EXACTLY_ONE = re.compile(r"Exactly one of (\w+) or (\w+) is non-null")
SCALARS: dict[str, dict[str, Any]] = {
    "String": {"type": "string"},
    "boolean": {"type": "boolean"},
    "double": {"type": "number"},
    "long": {"type": "integer", "minimum": INT64_MIN, "maximum": INT64_MAX},
    "LocalDateTime": {"type": "string", "format": "date-time"},
    "OffsetDateTime": {"type": "string", "format": "date-time"},
}


def build_schema(page: Page, *, also_required: Collection[str] = ()) -> dict[str, Any]:
    """The returned class as JSON Schema 2020-12; nested classes and unions under $defs.
    `also_required`: top-level keys required beyond the page's (nullable as the page has them)."""
    schema = class_schema(page.returns, "urn:drun-conformance:deployment_run", also_required=also_required)
    exactly_one = exactly_one_fields(page.returns)
    if exactly_one:
        first, second = exactly_one
        schema["oneOf"] = [_non_null_branch(first, second), _non_null_branch(second, first)]
        schema["$defs"] = schema.pop("$defs")  # $defs last, as before the oneOf
    return schema


def class_schema(shape: ClassShape, schema_id: str, *, also_required: Collection[str] = ()) -> dict[str, Any]:
    """One class as a JSON Schema 2020-12 document, its nested classes and unions under $defs."""
    defs: dict[str, Any] = {}
    root = _class_schema(shape, defs)
    required = [f.wire_name for f in shape.fields if f.required or f.wire_name in also_required]
    if required:
        root["required"] = required
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "title": shape.name,
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def _non_null_branch(present: str, absent: str) -> dict[str, Any]:
    return {
        "required": [present],
        "properties": {present: {"not": {"type": "null"}}, absent: {"type": "null"}},
    }


def exactly_one_fields(shape: ClassShape) -> tuple[str, str] | None:
    for f in shape.fields:
        if match := _EXACTLY_ONE.search(f.description):
            return match[1], match[2]
    return None


def _class_schema(shape: ClassShape, defs: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object"}
    if shape.description:
        schema["description"] = shape.description
    schema["properties"] = {f.wire_name: _field_schema(f, defs) for f in shape.fields}
    required = [f.wire_name for f in shape.fields if f.required]
    if required:
        schema["required"] = required
    return schema


def _field_schema(f: Field, defs: dict[str, Any]) -> dict[str, Any]:
    schema = _value_schema(f, defs)
    if f.description and "$ref" not in schema:
        schema = {"description": f.description, **schema}
    if not f.required:
        if set(schema) <= {"type", "description", "format", "minimum", "maximum"}:
            schema = {**schema, "type": [schema["type"], "null"]}
        else:
            schema = {"oneOf": [{"type": "null"}, schema]}
    return schema


def _value_schema(f: Field, defs: dict[str, Any]) -> dict[str, Any]:
    shape = f.shape
    if isinstance(shape, ScalarShape):
        if shape.name not in SCALARS:
            raise PageError(f"unknown scalar type {shape.name!r} of {f.name}", line=f.line)
        return dict(SCALARS[shape.name])
    if isinstance(shape, EnumShape):
        values = [c.wire for c in shape.constants]
        return {"const": values[0]} if len(values) == 1 else {"enum": values}
    if isinstance(shape, ClassShape):
        defs[shape.name] = _class_schema(shape, defs)
        return {"$ref": f"#/$defs/{shape.name}"}
    return _union_schema(f, shape, defs)


def _union_schema(f: Field, shape: UnionShape, defs: dict[str, Any]) -> dict[str, Any]:
    name = f.type.inner.name
    tag = discriminator(f, shape)
    for variant in shape.variants:
        defs[variant.name] = _class_schema(variant, defs)
    defs[name] = {
        "description": f.description,
        "type": "object",
        "required": [tag],
        "properties": {tag: {"enum": [value for value, _ in variant_tags(f, shape)]}},
        "oneOf": [{"$ref": f"#/$defs/{v.name}"} for v in shape.variants],
    }
    return {"$ref": f"#/$defs/{name}"}


def discriminator(f: Field, shape: UnionShape) -> str:
    """The field every variant pins to one literal: the union is discriminated by it."""
    names = {
        g.wire_name
        for g in shape.variants[0].fields
        if isinstance(g.shape, EnumShape) and len(g.shape.constants) == 1
    }
    for variant in shape.variants[1:]:
        names &= {g.wire_name for g in variant.fields if isinstance(g.shape, EnumShape)}
    if len(names) != 1:
        raise PageError(f"the union under {f.name} has no single discriminating field", line=f.line)
    return names.pop()


def variant_tags(f: Field, shape: UnionShape) -> list[tuple[str, ClassShape]]:
    tag = discriminator(f, shape)
    pairs = []
    for variant in shape.variants:
        tag_field = variant.field_named(tag)
        assert tag_field is not None and isinstance(tag_field.shape, EnumShape)
        pairs.append((tag_field.shape.constants[0].wire, variant))
    return pairs
