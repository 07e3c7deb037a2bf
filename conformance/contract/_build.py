"""Build `spec/` from the reference page: the JSON Schema, the OpenAPI document, the catalog.

Pure functions from a parsed Page (plus the rules file) to JSON-able dicts; `render_spec`
serialises them byte for byte the same on every run.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from drun_conformance._errors import PageError

from ._page import ClassShape, EnumShape, Field, Page, ScalarShape, UnionShape, parse_page

__all__ = ["SpecSources", "build_openapi", "build_requirements", "build_schema", "render_spec"]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
PAGE_NAME = "spec/source/run-deployment-now.md"
_EXACTLY_ONE = re.compile(r"Exactly one of (\w+) or (\w+) is non-null")
_SCALARS: dict[str, dict[str, Any]] = {
    "String": {"type": "string"},
    "boolean": {"type": "boolean"},
    "double": {"type": "number"},
    "long": {"type": "integer", "minimum": INT64_MIN, "maximum": INT64_MAX},
    "LocalDateTime": {"type": "string", "format": "date-time"},
    "OffsetDateTime": {"type": "string", "format": "date-time"},
}
# The structural requirement each scalar type gets, and its words in a title.
_SCALAR_KINDS = {
    "String": ("json-type", "a string"),
    "boolean": ("json-type", "a boolean"),
    "double": ("json-type", "a number"),
    "long": ("int64", "an integer within the int64 range"),
    "LocalDateTime": ("rfc3339", "an RFC 3339 date-time"),
    "OffsetDateTime": ("rfc3339", "an RFC 3339 date-time"),
}


@dataclass(frozen=True, slots=True)
class SpecSources:
    """The builder's inputs: the page and the rules file beside it."""

    page: Page
    page_text: str
    rules: dict[str, Any]

    @classmethod
    def read(cls, source_dir: Path) -> SpecSources:
        page_path = source_dir / "run-deployment-now.md"
        rules_path = source_dir / "rules.yaml"
        try:
            text = page_path.read_text(encoding="utf-8")
            rules = yaml.safe_load(rules_path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise PageError(f"cannot read {exc.filename}: {exc.strerror}", line=None) from exc
        return cls(parse_page(text), text, rules)


# --- JSON Schema -------------------------------------------------------------------------


def build_schema(page: Page) -> dict[str, Any]:
    """The returned class as JSON Schema 2020-12; nested classes and unions under $defs."""
    defs: dict[str, Any] = {}
    root = _class_schema(page.returns, defs)
    exactly_one = _exactly_one_fields(page.returns)
    if exactly_one:
        first, second = exactly_one
        root["oneOf"] = [_non_null_branch(first, second), _non_null_branch(second, first)]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:drun-conformance:deployment_run",
        "title": page.returns.name,
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def _non_null_branch(present: str, absent: str) -> dict[str, Any]:
    return {
        "required": [present],
        "properties": {present: {"not": {"type": "null"}}, absent: {"type": "null"}},
    }


def _exactly_one_fields(shape: ClassShape) -> tuple[str, str] | None:
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
        if shape.name not in _SCALARS:
            raise PageError(f"unknown scalar type {shape.name!r} of {f.name}", line=f.line)
        return dict(_SCALARS[shape.name])
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


# --- Requirement catalog -----------------------------------------------------------------


def build_requirements(sources: SpecSources) -> list[dict[str, Any]]:
    """Structural requirements from the page's fields, then the rules file's, in page order."""
    page = sources.page
    structural = [
        _requirement(
            "run.json-type",
            "MUST",
            pointer="",
            title=f"The body is a JSON object ({page.returns.name}).",
            line=page.returns.line,
            check={"kind": "json-type", "path": [], "expected": "object", "nullable": False},
        )
    ]
    for f in page.returns.fields:
        structural += _field_requirements(f, path=[], when=None)
    return structural + [_rule_requirement(rule, sources) for rule in sources.rules["rules"]]


def _requirement(
    rid: str,
    level: str,
    *,
    pointer: str,
    title: str,
    line: int | None,
    check: dict[str, Any] | None,
    side: str = "server",
    area: str = "payload",
    document: str = "api-conventions",
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": rid,
        "level": level,
        "side": side,
        "area": area,
        "pointer": pointer,
        "title": title,
        "source": {"page": PAGE_NAME, "line": line} if line else {"page": document},
    }
    if check is not None:
        entry["check"] = check
        entry["in_schema"] = True
    return entry


def _pointer(path: list[str]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)


def _field_requirements(f: Field, *, path: list[str], when: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Presence (unless Optional) and the value's one check, then the field's own children."""
    here = [*path, f.wire_name]
    place: dict[str, Any] = {"line": f.line, "area": _area(f), "when": when}
    out = [_structural(here, "required", "required", "present", {}, **place)] if f.required else []
    kind, expected, words = _value_check(f)
    nullable = not f.required
    value = {"expected": expected, "nullable": nullable}
    out.append(_structural(here, kind, kind, words + (" or null" if nullable else ""), value, **place))
    if isinstance(f.shape, ClassShape):
        for child in f.shape.fields:
            out += _field_requirements(child, path=here, when=None)
    if isinstance(f.shape, UnionShape):
        out += _union_requirements(f, f.shape, here)
    return out


def _structural(
    here: list[str],
    aspect: str,
    kind: str,
    words: str,
    check: dict[str, Any],
    *,
    line: int,
    area: str,
    when: dict[str, Any] | None,
) -> dict[str, Any]:
    """One structural MUST: `run.<path>.<aspect>`, checked by the `kind` check at `here`."""
    suffix = f" when {when['path'][-2]}.{when['path'][-1]} is {when['equals']!r}" if when else ""
    return _requirement(
        f"run.{'.'.join(here)}.{aspect}",
        "MUST",
        pointer=_pointer(here),
        title=f"{'.'.join(here)} is {words}{suffix}.",
        line=line,
        check={"kind": kind, "path": here, **check, "when": when},
        area=area,
    )


def _area(f: Field) -> str:
    if isinstance(f.shape, UnionShape):
        return "variant"
    if isinstance(f.shape, ScalarShape) and _SCALAR_KINDS.get(f.shape.name, ("",))[0] == "rfc3339":
        return "timestamp"
    return "payload"


def _value_check(f: Field) -> tuple[str, Any, str]:
    """The one requirement on a present value: (kind, expected, words for the title)."""
    shape = f.shape
    if isinstance(shape, ScalarShape):
        kind, words = _SCALAR_KINDS[shape.name]
        expected = _SCALARS[shape.name]["type"] if kind == "json-type" else None
        return kind, expected, words
    if isinstance(shape, EnumShape):
        values = [c.wire for c in shape.constants]
        if len(values) == 1:
            return "literal", values[0], f"the literal {values[0]!r}"
        return "one-of", values, f"one of {', '.join(values)}"
    return "json-type", "object", "an object"


def _union_requirements(f: Field, shape: UnionShape, path: list[str]) -> list[dict[str, Any]]:
    """The tag must be known; fields every variant shares are checked always, others per tag."""
    tag = discriminator(f, shape)
    tags = variant_tags(f, shape)
    first = shape.variants[0].field_named(tag)
    assert first is not None
    here = [*path, tag]
    known = {"expected": [t for t, _ in tags], "nullable": False}
    out = [
        _structural(here, "required", "required", "present", {}, line=first.line, area="variant", when=None),
        _structural(
            here,
            "known-variant",
            "one-of",
            f"one of the {len(tags)} variants on the page",
            known,
            line=f.line,
            area="variant",
            when=None,
        ),
    ]
    shared = [g for g in shape.variants[0].fields if g.wire_name != tag]
    shared = [g for g in shared if all(_same_field(g, v.field_named(g.wire_name)) for v in shape.variants)]
    for g in shared:
        out += _field_requirements(g, path=path, when=None)
    shared_names = {g.wire_name for g in shared} | {tag}
    for value, variant in tags:
        for g in variant.fields:
            if g.wire_name not in shared_names:
                out += _field_requirements(g, path=path, when={"path": [*path, tag], "equals": value})
    return out


def _same_field(a: Field, b: Field | None) -> bool:
    return b is not None and a.type == b.type and a.shape == b.shape


def _rule_requirement(rule: dict[str, Any], sources: SpecSources) -> dict[str, Any]:
    line = sources.page.line_of(rule["quote"]) if "quote" in rule else None
    entry = _requirement(
        rule["id"],
        rule["level"],
        pointer=rule["pointer"],
        title=rule["title"],
        line=line,
        check=None,
        side=rule["side"],
        area=rule["area"],
        # Without a quote: the API's conventions, or a document of ours (the harness protocol).
        document=rule.get("source", "api-conventions"),
    )
    if rule.get("schema") == "exactly-one":
        entry["in_schema"] = True
    return entry


# --- OpenAPI -----------------------------------------------------------------------------


def build_openapi(sources: SpecSources, schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.1 for the one operation, reusing the JSON Schema as components."""
    page, conventions = sources.page, sources.rules["conventions"]
    components = {name: _rewrite_refs(body) for name, body in schema["$defs"].items()}
    run_schema = {k: v for k, v in schema.items() if k not in ("$defs", "$schema", "$id")}
    components["DeploymentRun"] = _rewrite_refs(run_schema)
    components["ErrorResponse"] = _error_envelope(None)
    betas = next(f for f in page.parameters if f.wire_name == "betas")
    assert isinstance(betas.shape, EnumShape)
    beta_values = [c.wire for c in betas.shape.constants]
    responses: dict[str, Any] = {
        "200": {
            "description": page.returns.description,
            "headers": {"request-id": {"$ref": "#/components/headers/RequestId"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeploymentRun"}}},
        }
    }
    for status, error_type in sorted(conventions["error_types"].items()):
        responses[str(status)] = {
            "description": error_type,
            "headers": {"request-id": {"$ref": "#/components/headers/RequestId"}},
            "content": {"application/json": {"schema": _error_envelope(error_type)}},
        }
    operation = {
        "operationId": _operation_id(page.title),
        "summary": page.title,
        "parameters": [
            {"$ref": "#/components/parameters/DeploymentId"},
            {"$ref": "#/components/parameters/AnthropicBeta"},
            {"$ref": "#/components/parameters/AnthropicVersion"},
        ],
        "security": [{"ApiKeyAuth": []}, {"BearerAuth": []}],
        "responses": responses,
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{page.title} (built by drun-conformance from the API reference page)",
            "version": _page_digest(sources.page_text)[:12],
        },
        "paths": {page.path: {page.method.lower(): operation}},
        "components": {
            "schemas": components,
            "parameters": {
                "DeploymentId": {
                    "name": "deployment_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1},
                },
                "AnthropicBeta": {
                    "name": "anthropic-beta",
                    "in": "header",
                    "required": True,
                    "description": betas.description
                    + f" Run Deployment Now needs {conventions['required_beta']}.",
                    "style": "simple",
                    "explode": False,
                    "schema": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "anyOf": [
                                {"enum": beta_values},
                                {"type": "string", "pattern": "^[a-z0-9-]+$"},
                            ]
                        },
                        "contains": {"const": conventions["required_beta"]},
                    },
                },
                "AnthropicVersion": {
                    "name": conventions["version_header"],
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                },
            },
            "headers": {
                "RequestId": {
                    "description": "Identifies the request in the API's logs.",
                    "schema": {"type": "string"},
                }
            },
            "securitySchemes": {
                "ApiKeyAuth": {
                    "type": "apiKey",
                    "in": "header",
                    "name": conventions["api_key_header"],
                },
                "BearerAuth": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def _error_envelope(error_type: str | None) -> dict[str, Any]:
    type_schema = {"const": error_type} if error_type else {"type": "string"}
    return {
        "type": "object",
        "required": ["type", "error"],
        "properties": {
            "type": {"const": "error"},
            "error": {
                "type": "object",
                "required": ["type", "message"],
                "properties": {"type": type_schema, "message": {"type": "string"}},
            },
            "request_id": {"type": ["string", "null"]},
        },
    }


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (v.replace("#/$defs/", "#/components/schemas/") if k == "$ref" else _rewrite_refs(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def _operation_id(title: str) -> str:
    words = title.split()
    return words[0].lower() + "".join(w.capitalize() for w in words[1:])


def _page_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- Rendering ---------------------------------------------------------------------------


def render_spec(sources: SpecSources, example_findings: list[dict[str, Any]]) -> dict[str, bytes]:
    """Every file of spec/ (relative name -> bytes), the same bytes for the same sources."""
    schema = build_schema(sources.page)
    catalog = {
        "catalog_version": 1,
        "source": {"page": PAGE_NAME, "sha256": _page_digest(sources.page_text)},
        "operation": {"method": sources.page.method, "path": sources.page.path},
        "conventions": sources.rules["conventions"],
        "example": {
            "page": PAGE_NAME,
            "line": sources.page.example_line,
            "findings": example_findings,
        },
        "requirements": build_requirements(sources),
    }
    openapi = build_openapi(sources, schema)
    return {
        "deployment_run.schema.json": _json_bytes(schema),
        "requirements.json": _json_bytes(catalog),
        "openapi.yaml": yaml.safe_dump(openapi, sort_keys=False, allow_unicode=True, width=100).encode(),
    }


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
