"""The contract as data: the files `drun-conformance spec build` writes, shipped in the wheel.

    from drun_conformance import spec

    catalog = spec.load_catalog()        # the requirement catalog, typed (see Catalog)
    schema = spec.load_schema()          # the DeploymentRun JSON Schema, as JSON
    events = spec.load_webhook_schema()  # the webhook event's JSON Schema (deployment_run.*)

Everything here is read-only at run time; `drun_conformance.contract.build_spec` is what writes it.
"""

from __future__ import annotations

import json as _json
from functools import cache as _cache
from pathlib import Path as _Path
from typing import Any as _Any

from ._catalog import (
    Catalog,
    CheckKind,
    Condition,
    Conventions,
    Level,
    Requirement,
    SdkSource,
    Side,
    Source,
    Structure,
)

__all__ = [
    "HARNESS_SCHEMA_DIR",
    "OPENAPI_PATH",
    "REQUIREMENTS_PATH",
    "SCHEMA_PATH",
    "SOURCE_PAGE_PATH",
    "SPEC_DIR",
    "WEBHOOK_SCHEMA_PATH",
    "Catalog",
    "CheckKind",
    "Condition",
    "Conventions",
    "Level",
    "Requirement",
    "SdkSource",
    "Side",
    "Source",
    "Structure",
    "load_catalog",
    "load_openapi",
    "load_requirements",
    "load_schema",
    "load_webhook_schema",
]

SPEC_DIR = _Path(__file__).resolve().parent
SOURCE_PAGE_PATH = SPEC_DIR / "source" / "run-deployment-now.md"
SCHEMA_PATH = SPEC_DIR / "deployment_run.schema.json"
WEBHOOK_SCHEMA_PATH = SPEC_DIR / "webhook_event.schema.json"
OPENAPI_PATH = SPEC_DIR / "openapi.yaml"
REQUIREMENTS_PATH = SPEC_DIR / "requirements.json"
# The SDK harness protocol's JSON Schemas (hand-written, not built): protocol.json, commands/*.json.
HARNESS_SCHEMA_DIR = SPEC_DIR / "harness"


@_cache
def load_schema() -> dict[str, _Any]:
    """The DeploymentRun JSON Schema (2020-12), as built from the reference page."""
    schema: dict[str, _Any] = _json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@_cache
def load_webhook_schema() -> dict[str, _Any]:
    """The webhook event's JSON Schema (2020-12): the family's events, as the official SDKs model them."""
    schema: dict[str, _Any] = _json.loads(WEBHOOK_SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@_cache
def load_openapi() -> dict[str, _Any]:
    """`openapi.yaml` as data (run, retrieve and list); shared, so read it, never change it."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ten times faster where it is built
    document: dict[str, _Any] = yaml.load(OPENAPI_PATH.read_text(encoding="utf-8"), Loader=loader)
    return document


@_cache
def load_requirements() -> dict[str, _Any]:
    """`requirements.json` as JSON: `{"requirements": [...], ...}` (`load_catalog` types it)."""
    catalog: dict[str, _Any] = _json.loads(REQUIREMENTS_PATH.read_text(encoding="utf-8"))
    return catalog


@_cache
def load_catalog() -> Catalog:
    """The requirement catalog, typed: every requirement of `requirements.json` in order."""
    return Catalog.from_json(load_requirements())
