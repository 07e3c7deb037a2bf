"""`render_spec`: every file of spec/ as bytes, the same bytes for the same sources."""

from __future__ import annotations

import json
from typing import Any

import yaml

from drun_conformance._errors import InputError

from ._catalog import Model, build_requirements
from ._contract_facts import documents_facts, run_facts
from ._family import Family, read_family
from ._json_schema import build_schema, class_schema
from ._openapi import build_openapi
from ._sdk_facts import API_ERRORS, BETAS
from ._sources import PAGE_NAME, SDKS_FOLDER, SpecSources

__all__ = ["SPEC_FILES", "render_spec"]

SPEC_FILES = ("deployment_run.schema.json", "webhook_event.schema.json", "openapi.yaml", "requirements.json")


def render_spec(sources: SpecSources, example_findings: list[dict[str, Any]]) -> dict[str, bytes]:
    """Every file of spec/ (relative name -> bytes), the same bytes for the same sources."""
    family = read_family(sources)
    schema = build_schema(sources.page, also_required=family.required)
    webhook = class_schema(family.webhook, "urn:drun-conformance:webhook_event")
    models = [
        Model("run", "server", sources.page.returns, frozenset(family.run.required), family.run.where),
        Model(
            "webhook",
            "webhook",
            family.webhook,
            where=family.webhook_settled.where,
            from_sdks=True,
            label="The webhook event's ",
        ),
    ]
    openapi = build_openapi(sources, schema, webhook, family)
    catalog = {
        "catalog_version": 1,
        "source": {"page": PAGE_NAME, "sha256": sources.digest},
        "sdk_sources": [
            {
                "sdk": sheet.sdk,
                "package": sheet.package,
                "release": sheet.release,
                "file": f"{SDKS_FOLDER}/{sheet.file_name}",
                "sha256": digest,
            }
            for sheet, digest in sources.sheets
        ],
        "operation": {"method": sources.page.method, "path": sources.page.path},
        "operations": [
            {"method": sources.page.method, "path": sources.page.path},
            *({"method": op.method, "path": op.path} for op in family.operations),
        ],
        "conventions": sources.rules["conventions"],
        "sdk_policy": {k: " ".join(v.split()) for k, v in sources.rules["sdk_policy"].items()},
        "decisions": list(family.decisions),
        "example": {
            "page": PAGE_NAME,
            "line": sources.page.example_line,
            "findings": example_findings,
        },
        "requirements": build_requirements(sources, models, family.view),
    }
    catalog["sdk_facts"] = _sdk_facts(sources, family, schema, openapi, catalog)
    return {
        "deployment_run.schema.json": _json_bytes(schema),
        "webhook_event.schema.json": _json_bytes(webhook),
        "requirements.json": _json_bytes(catalog),
        "openapi.yaml": yaml.safe_dump(openapi, sort_keys=False, allow_unicode=True, width=100).encode(),
    }


def _sdk_facts(
    sources: SpecSources,
    family: Family,
    schema: dict[str, Any],
    openapi: dict[str, Any],
    catalog: dict[str, Any],
) -> list[dict[str, Any]]:
    """Every fact of the contract the page does not state, with each SDK release and file that
    says it; for the betas and the API's error types, the values the SDKs list (besides the
    page's own betas)."""
    page = {f.key for f in run_facts(build_schema(sources.page))}
    page |= {("operation", f"{sources.page.method} {sources.page.path}"), ("model", "run")}
    page |= {("header", "anthropic-beta"), ("header", sources.rules["conventions"]["version_header"])}
    page_betas = {
        c.wire
        for p in sources.page.parameters
        if p.wire_name == "betas"
        for c in getattr(p.shape, "constants", ())
    }
    out: list[dict[str, Any]] = []
    for fact in documents_facts(schema, openapi, catalog):
        if fact.key in page:
            continue
        where = family.view.said(*fact.key)
        if not where:
            raise InputError(f"the contract's {fact.kind} {fact.name} comes from no page line and no SDK")
        entry: dict[str, Any] = {"fact": f"{fact.kind} {fact.name}"}
        if fact.key in (("enum", BETAS), ("enum", API_ERRORS)):
            listed = set(family.view.values(*fact.key)) - page_betas
            entry["values"] = [v for v in fact.detail["values"] if v in listed]
        out.append(entry | {"sdks": [s.where for s in where]})
    return sorted(out, key=lambda e: e["fact"])


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
