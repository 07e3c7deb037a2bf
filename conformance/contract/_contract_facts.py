"""The contract's own facts, read from spec/ as it stands (the JSON Schema, the OpenAPI document and
the requirement catalog) into the same shapes and walk as an SDK's, so the two compare fact by fact.

`required` is the schema's `required`; `nullable` a `null` among the types (or a `oneOf` with
`{"type": "null"}`); an integer bounded by int64 is int64; a `oneOf` of objects with a constant
`type` a union. Operations and query parameters come from the OpenAPI paths, headers from its header
parameters, the page from a component schema with `data` and `next_page`, webhooks from its
`webhooks`, the betas from the `anthropic-beta` parameter, the API error types from the catalog.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from drun_conformance._errors import InputError

from ._sdk_facts import (
    BETAS,
    Choice,
    Const,
    Extracted,
    Fact,
    Field,
    Obj,
    Operation,
    Parameter,
    Scalar,
    Shape,
    Variants,
)

__all__ = ["CONTRACT_FILES", "contract_facts", "documents_facts", "run_facts"]

SCHEMA, OPENAPI, CATALOG = "spec/deployment_run.schema.json", "spec/openapi.yaml", "spec/requirements.json"
CONTRACT_FILES = (SCHEMA, OPENAPI, CATALOG)
_INT64 = (-(2**63), 2**63 - 1)
_INT32 = (-(2**31), 2**31 - 1)


class _Schemas:
    """Resolves `$ref`s within one document and turns schemas into shapes."""

    def __init__(self, document: dict[str, Any], file: str) -> None:
        self.document, self.file = document, file

    def deref(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            node: Any = self.document
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def shape(self, schema: dict[str, Any]) -> tuple[Shape, bool]:
        schema = self.deref(schema)
        for key in ("oneOf", "anyOf"):
            options = [
                self.deref(o) for o in schema.get(key, []) if "required" in o or "$ref" in o or "type" in o
            ]
            if options and "properties" not in schema:
                nullable = any(o.get("type") == "null" for o in options)
                kept = [o for o in options if o.get("type") != "null"]
                if len(kept) == 1:
                    return self.shape(kept[0])[0], nullable
                return Variants(self.file, tuple(self.model(o) for o in kept)), nullable
            if options and "properties" in schema and all("$ref" in o for o in schema[key]):
                return Variants(self.file, tuple(self.model(self.deref(o)) for o in schema[key])), False
        types = schema.get("type", [])
        types = [types] if isinstance(types, str) else list(types)
        nullable = "null" in types
        kind = next((t for t in types if t != "null"), None)
        if "const" in schema:
            return Const(str(schema["const"])), nullable
        if "enum" in schema:
            return Choice(tuple(str(v) for v in schema["enum"]), self.file), nullable
        if kind == "integer":
            bounds = (schema.get("minimum"), schema.get("maximum"))
            width = "int64" if bounds == _INT64 else "int32" if bounds == _INT32 else "integer"
            return Scalar(width), nullable
        if kind == "string" and schema.get("format") == "date-time":
            return Scalar("date-time"), nullable
        if kind == "object" or "properties" in schema:
            return self.model(schema), nullable
        return Scalar(kind or "object"), nullable

    def model(self, schema: dict[str, Any]) -> Obj:
        schema = self.deref(schema)
        required = set(schema.get("required", []))
        fields = []
        for name, sub in schema.get("properties", {}).items():
            shape, nullable = self.shape(sub)
            fields.append(Field(name, shape, name in required, nullable))
        return Obj(self.file, tuple(fields))


def contract_facts(spec_dir: Path) -> tuple[Fact, ...]:
    """The facts of the contract in `spec_dir` (spec/ of a checkout, or of the installed package)."""
    schema = _load(spec_dir / "deployment_run.schema.json", json.loads)
    openapi = _load(spec_dir / "openapi.yaml", yaml.safe_load)
    catalog = _load(spec_dir / "requirements.json", json.loads)
    return documents_facts(schema, openapi, catalog)


def run_facts(schema: dict[str, Any]) -> tuple[Fact, ...]:
    """The facts of a run model's JSON Schema alone (the page's, before the SDKs are read)."""
    return Extracted(run=_Schemas(schema, SCHEMA).model(schema), operations=(), headers={}).facts()


def documents_facts(
    schema: dict[str, Any], openapi: dict[str, Any], catalog: dict[str, Any]
) -> tuple[Fact, ...]:
    """The facts of the contract's three documents, parsed."""
    run = _Schemas(schema, SCHEMA).model(schema)
    api = _Schemas(openapi, OPENAPI)
    headers: dict[str, tuple[str | None, str]] = {}
    betas = None
    operations = []
    for path, item in openapi.get("paths", {}).items():
        for method, operation in item.items():
            parameters = []
            for parameter in (api.deref(p) for p in operation.get("parameters", [])):
                where, name = parameter.get("in"), str(parameter.get("name"))
                if where == "header":
                    headers[name] = (_header_value(parameter.get("schema", {})), OPENAPI)
                    items = parameter.get("schema", {}).get("items", {})
                    for option in items.get("anyOf", [items]):
                        if name == BETAS and "enum" in option:
                            betas = Choice(tuple(option["enum"]), OPENAPI)
                elif where == "query":
                    shape = api.shape(parameter.get("schema", {}))[0]
                    parameters.append(
                        Parameter(name, "query", shape, parameter.get("description", ""), OPENAPI)
                    )
            name = str(operation.get("operationId", ""))
            operations.append(Operation(name, method.upper(), path, OPENAPI, tuple(parameters)))
    errors = catalog.get("conventions", {}).get("error_types", {})
    return Extracted(
        run=run,
        operations=tuple(operations),
        headers=headers,
        page=_page(api, openapi),
        webhook=_webhook(api, openapi),
        betas=betas,
        api_errors=Choice(tuple(errors.values()), CATALOG),
    ).facts()


def _load(path: Path, parse: Any) -> dict[str, Any]:
    try:
        document = parse(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the contract's {path}: {exc}") from None
    if not isinstance(document, dict):
        raise InputError(f"the contract's {path} is not a mapping")
    return document


def _header_value(schema: dict[str, Any]) -> str | None:
    """The value the contract fixes for a header: a `const`, or the one value a list must contain."""
    if "const" in schema:
        return str(schema["const"])
    contains = schema.get("contains", {})
    return str(contains["const"]) if "const" in contains else None


def _page(api: _Schemas, openapi: dict[str, Any]) -> Obj | None:
    for schema in openapi.get("components", {}).get("schemas", {}).values():
        if {"data", "next_page"} <= set(api.deref(schema).get("properties", {})):
            return api.model(schema)
    return None


def _webhook(api: _Schemas, openapi: dict[str, Any]) -> Obj | None:
    """The event envelope of the first webhook the contract describes (OpenAPI 3.1 `webhooks`)."""
    for item in openapi.get("webhooks", {}).values():
        for operation in item.values():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            if "schema" in content:
                return api.model(content["schema"])
    return None
