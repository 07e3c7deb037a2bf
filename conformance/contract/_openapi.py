"""OpenAPI 3.1 for the one operation and its error responses, reusing the JSON Schema as components."""

from __future__ import annotations

from typing import Any

from ._page import EnumShape
from ._sources import SpecSources

__all__ = ["build_openapi"]


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
            "version": sources.digest[:12],
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
