"""`render_spec`: every file of spec/ as bytes, the same bytes for the same sources."""

from __future__ import annotations

import json
from typing import Any

import yaml

from ._catalog import build_requirements
from ._json_schema import build_schema
from ._openapi import build_openapi
from ._sources import PAGE_NAME, SpecSources

__all__ = ["render_spec"]


def render_spec(sources: SpecSources, example_findings: list[dict[str, Any]]) -> dict[str, bytes]:
    """Every file of spec/ (relative name -> bytes), the same bytes for the same sources."""
    schema = build_schema(sources.page)
    catalog = {
        "catalog_version": 1,
        "source": {"page": PAGE_NAME, "sha256": sources.digest},
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
