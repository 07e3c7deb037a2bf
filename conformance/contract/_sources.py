"""The spec builder's inputs: the reference page and the rules beside it (spec/source/rules/)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from drun_conformance._errors import PageError

from ._page import Page, parse_page

__all__ = ["INT64_MAX", "INT64_MIN", "PAGE_NAME", "SpecSources"]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
PAGE_NAME = "spec/source/run-deployment-now.md"


@dataclass(frozen=True, slots=True)
class SpecSources:
    """The builder's inputs: the page, and the rules and conventions beside it (one file an area,
    read in name order)."""

    page: Page
    page_text: str
    rules: dict[str, Any]

    @property
    def digest(self) -> str:
        """The page's SHA-256: the catalog and the OpenAPI version name the page they were built from."""
        return hashlib.sha256(self.page_text.encode("utf-8")).hexdigest()

    @classmethod
    def read(cls, source_dir: Path) -> SpecSources:
        page_path = source_dir / "run-deployment-now.md"
        rules: dict[str, Any] = {"conventions": {}, "rules": []}
        try:
            text = page_path.read_text(encoding="utf-8")
            for path in sorted((source_dir / "rules").glob("*.yaml")):
                part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                rules["conventions"].update(part.get("conventions") or {})
                rules["rules"] += part.get("rules") or []
        except OSError as exc:
            raise PageError(f"cannot read {exc.filename}: {exc.strerror}", line=None) from exc
        if not rules["rules"]:
            raise PageError(f"no rules in {source_dir / 'rules'} (*.yaml)", line=None)
        return cls(parse_page(text), text, rules)
