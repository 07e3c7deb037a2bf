"""What the strategies read from spec/: the catalog, the schema and the OpenAPI document.

Nothing here is hard-coded knowledge of the page: error types, trigger types, betas, the
string fields and the timestamp fields all come from the built files, so a rebuilt spec/
changes what is generated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from drun_conformance import spec
from drun_conformance.spec import Requirement, Structure

__all__ = ["Contract", "contract", "pointer"]


def pointer(path: tuple[str, ...] | list[str]) -> str:
    """The RFC 6901 JSON Pointer of a path of object keys."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)


@dataclass(frozen=True, slots=True)
class Contract:
    requirements: Mapping[str, Requirement]  # id -> the catalog's requirement
    error_types: tuple[str, ...]  # the run error variants on the page
    trigger_types: tuple[str, ...]
    outcome_fields: tuple[str, ...]  # the exactly-one pair, as the schema's oneOf requires them
    string_paths: tuple[tuple[str, ...], ...]  # fields the catalog types as plain strings
    timestamp_paths: tuple[tuple[str, ...], ...]
    http_error_types: Mapping[int, str]  # status -> the API's error type for it
    required_beta: str
    betas: tuple[str, ...]  # the page's anthropic-beta values, in page order


def _variants(checks: list[Structure], path: tuple[str, ...]) -> tuple[str, ...]:
    for check in checks:
        if check.kind == "one-of" and check.path == path:
            return tuple(check.expected)
    raise LookupError(f"no one-of check for {path} in the catalog")


@cache
def contract() -> Contract:
    catalog = spec.load_catalog()
    schema = spec.load_schema()
    openapi = spec.load_openapi()
    of_runs = [r for r in catalog if r.side != "webhook"]  # webhook events are webhook_events()'s
    checks = [r.structure for r in of_runs if r.structure is not None]
    beta_items = openapi["components"]["parameters"]["AnthropicBeta"]["schema"]["items"]
    betas = next(tuple(option["enum"]) for option in beta_items["anyOf"] if "enum" in option)
    return Contract(
        requirements={r.id: r for r in of_runs},
        error_types=_variants(checks, ("error", "type")),
        trigger_types=_variants(checks, ("trigger_context", "type")),
        outcome_fields=tuple(branch["required"][0] for branch in schema["oneOf"]),
        string_paths=tuple(c.path for c in checks if c.kind == "json-type" and c.expected == "string"),
        timestamp_paths=tuple(c.path for c in checks if c.kind == "rfc3339"),
        http_error_types=catalog.conventions.error_types,
        required_beta=catalog.conventions.required_beta,
        betas=betas,
    )
