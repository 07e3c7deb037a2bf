"""OpenAPI 3.1 for the operation family: Run Deployment Now from the page, the read-back and the
listing from the SDKs, every error envelope of the API, and the webhook events (OpenAPI 3.1
`webhooks`), reusing the JSON Schemas as components."""

from __future__ import annotations

from typing import Any

from ._family import Family, FamilyOperation, FamilyParameter
from ._json_schema import SCALARS
from ._sources import SpecSources

__all__ = ["build_openapi"]

_JSON = "application/json"
# The headers a Standard Webhooks delivery carries (https://www.standardwebhooks.com/).
_WEBHOOK_HEADERS = {
    "webhook-id": "The event's id, the same on every attempt to deliver it.",
    "webhook-timestamp": "When this attempt was sent, in whole seconds since the Unix epoch.",
    "webhook-signature": "`v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` with the secret.",
}


def build_openapi(
    sources: SpecSources, schema: dict[str, Any], webhook: dict[str, Any], family: Family
) -> dict[str, Any]:
    """OpenAPI 3.1 for the family, reusing the run's and the webhook event's JSON Schemas."""
    page, conventions = sources.page, sources.rules["conventions"]
    components = {name: _rewrite_refs(body) for name, body in schema["$defs"].items()}
    components["DeploymentRun"] = _rewrite_refs(_document_body(schema))
    components["ErrorResponse"] = _error_envelope(None)
    components["DeploymentRunListPage"] = _page_schema(family)
    components.update({name: _rewrite_refs(body) for name, body in webhook["$defs"].items()})
    components[webhook["title"]] = _rewrite_refs(_document_body(webhook))
    headers = [
        {"$ref": "#/components/parameters/AnthropicBeta"},
        {"$ref": "#/components/parameters/AnthropicVersion"},
        *({"$ref": f"#/components/parameters/{_component_name(h)}"} for h in family.headers),
    ]
    error_types = sorted(conventions["error_types"].items())
    errors = {
        str(status): {"$ref": f"#/components/responses/{_component_name(error_type)}"}
        for status, error_type in error_types
    }
    run_now = {
        "operationId": _operation_id(page.title),
        "summary": page.title,
        "parameters": [{"$ref": "#/components/parameters/DeploymentId"}, *_copies(headers)],
        "security": [{"ApiKeyAuth": []}, {"BearerAuth": []}],
        "responses": {"200": _answer(page.returns.description, "DeploymentRun"), **_copies(errors)},
    }
    paths: dict[str, Any] = {page.path: {page.method.lower(): run_now}}
    for operation in family.operations:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _family_operation(
            operation, headers, errors
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{page.title} and its operation family (built by drun-conformance from the API "
            "reference page and the official SDKs)",
            "version": sources.digest[:12],
        },
        "paths": paths,
        "webhooks": {tag: _webhook_item(tag, webhook["title"]) for tag in _event_tags(webhook)},
        "components": {
            "schemas": components,
            "parameters": _parameters(sources, family),
            "responses": {
                _component_name(error_type): {
                    "description": f"{status} {error_type}",
                    "headers": {"request-id": {"$ref": "#/components/headers/RequestId"}},
                    "content": {_JSON: {"schema": _error_envelope(error_type)}},
                }
                for status, error_type in error_types
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


def _copies(refs: Any) -> Any:
    """Fresh copies of shared `$ref` objects: YAML would write one object met twice as an anchor."""
    return {k: dict(v) for k, v in refs.items()} if isinstance(refs, dict) else [dict(r) for r in refs]


def _document_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k not in ("$defs", "$schema", "$id")}


def _answer(description: str, component: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"request-id": {"$ref": "#/components/headers/RequestId"}},
        "content": {_JSON: {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


def _family_operation(
    operation: FamilyOperation, headers: list[dict[str, str]], errors: dict[str, Any]
) -> dict[str, Any]:
    path_parameters = [
        {"$ref": f"#/components/parameters/{_component_name(name)}"} for name in _path_names(operation.path)
    ]
    query = [{"$ref": f"#/components/parameters/{_query_name(p.name)}"} for p in operation.parameters]
    listing = bool(operation.parameters) or "{" not in operation.path
    answer = (
        _answer("A page of runs, newest first; `next_page` is null on the last.", "DeploymentRunListPage")
        if listing
        else _answer("The run, as it was first answered (runs are append-only).", "DeploymentRun")
    )
    return {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "parameters": [*path_parameters, *query, *_copies(headers)],
        "security": [{"ApiKeyAuth": []}, {"BearerAuth": []}],
        "responses": {"200": answer, **_copies(errors)},
    }


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _parameters(sources: SpecSources, family: Family) -> dict[str, Any]:
    conventions = sources.rules["conventions"]
    betas = next(f for f in sources.page.parameters if f.wire_name == "betas")
    version_schema: dict[str, Any] = {"type": "string"}
    if family.anthropic_version:
        version_schema["examples"] = [family.anthropic_version]
    parameters: dict[str, Any] = {
        "DeploymentId": _path_parameter("deployment_id"),
        "AnthropicBeta": {
            "name": "anthropic-beta",
            "in": "header",
            "required": True,
            "description": betas.description
            + f" The family's operations need {conventions['required_beta']}.",
            "style": "simple",
            "explode": False,
            "schema": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "anyOf": [{"enum": list(family.betas)}, {"type": "string", "pattern": "^[a-z0-9-]+$"}]
                },
                "contains": {"const": conventions["required_beta"]},
            },
        },
        "AnthropicVersion": {
            "name": conventions["version_header"],
            "in": "header",
            "required": False,
            "schema": version_schema,
        },
    }
    for header in family.headers:
        parameters[_component_name(header)] = {
            "name": header,
            "in": "header",
            "required": False,
            "description": "Sent by the official SDKs when the caller names one.",
            "schema": {"type": "string"},
        }
    for operation in family.operations:
        for name in _path_names(operation.path):
            parameters.setdefault(_component_name(name), _path_parameter(name))
        for parameter in operation.parameters:
            parameters[_query_name(parameter.name)] = _query_parameter(parameter, family.limit)
    return parameters


def _path_parameter(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}


def _query_parameter(parameter: FamilyParameter, limit: dict[str, int]) -> dict[str, Any]:
    schema: dict[str, Any]
    if parameter.type == "enum":
        schema = {"type": "string", "enum": list(parameter.values)}
    elif parameter.type == "date-time":
        schema = dict(SCALARS["OffsetDateTime"])
    elif parameter.type == "integer":
        schema = {"type": "integer", **limit} if parameter.name == "limit" else {"type": "integer"}
    else:
        schema = {"type": parameter.type}
    entry: dict[str, Any] = {"name": parameter.name, "in": "query", "required": False}
    if parameter.doc:
        entry["description"] = parameter.doc
    return {**entry, "schema": schema}


def _component_name(name: str) -> str:
    """`anthropic-workspace-id` -> AnthropicWorkspaceId, `deployment_run_id` -> DeploymentRunId."""
    return "".join(word.capitalize() for word in name.replace("-", "_").split("_"))


def _query_name(name: str) -> str:
    """`created_at[gte]` -> ListCreatedAtGte: query parameters apart from the path's and headers'."""
    return "List" + _component_name(name.replace("[", "_").replace("]", ""))


def _page_schema(family: Family) -> dict[str, Any]:
    """The listing's page as the SDKs read it: `data` (runs) and the `next_page` cursor."""
    properties: dict[str, Any] = {}
    for name, fact in family.page_model.items():
        wire = name.removeprefix("page.")
        kind = fact.detail["type"]
        value: dict[str, Any] = (
            {"type": "array", "items": {"$ref": "#/components/schemas/DeploymentRun"}}
            if wire == "data"
            else {"type": kind}
        )
        if fact.detail["nullable"]:
            value["type"] = [value["type"], "null"]
        properties[wire] = value
    required = [
        name.removeprefix("page.") for name, fact in family.page_model.items() if fact.detail["required"]
    ]
    return {"type": "object", "required": required, "properties": properties}


def _event_tags(webhook: dict[str, Any]) -> list[str]:
    data = webhook["properties"]["data"]["$ref"].rpartition("/")[2]
    return list(webhook["$defs"][data]["properties"]["type"]["enum"])


def _webhook_item(tag: str, component: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": f"The {tag} event, signed as Standard Webhooks sign it",
            "parameters": [
                {
                    "name": name,
                    "in": "header",
                    "required": True,
                    "description": words,
                    "schema": {"type": "string"},
                }
                for name, words in _WEBHOOK_HEADERS.items()
            ],
            "requestBody": {
                "required": True,
                "content": {_JSON: {"schema": {"$ref": f"#/components/schemas/{component}"}}},
            },
            "responses": {"2XX": {"description": "Received (any 2xx acknowledges the delivery)."}},
        }
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
