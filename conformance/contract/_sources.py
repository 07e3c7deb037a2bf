"""The spec builder's inputs: the reference page, the rules beside it (spec/source/rules/), and the
official SDKs' facts (spec/source/sdks/), the contract's second source."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from drun_conformance._errors import InputError, PageError

from ._page import Page, parse_page
from ._sdk_facts import FactSheet

__all__ = ["INT64_MAX", "INT64_MIN", "PAGE_NAME", "SDKS_FOLDER", "SpecSources"]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
PAGE_NAME = "spec/source/run-deployment-now.md"
SDKS_FOLDER = "spec/source/sdks"
# The sections a rules file may hold, merged over every file in name order.
_MAPPINGS = ("conventions", "family", "sdk_policy")


@dataclass(frozen=True, slots=True)
class SpecSources:
    """The builder's inputs: the page, the rules and conventions beside it (one file an area, read
    in name order), and each SDK release's facts with the SHA-256 of its committed file."""

    page: Page
    page_text: str
    rules: dict[str, Any]
    sheets: tuple[tuple[FactSheet, str], ...] = ()

    @property
    def digest(self) -> str:
        """The page's SHA-256: the catalog and the OpenAPI version name the page they were built from."""
        return hashlib.sha256(self.page_text.encode("utf-8")).hexdigest()

    @classmethod
    def read(cls, source_dir: Path) -> SpecSources:
        page_path = source_dir / "run-deployment-now.md"
        rules: dict[str, Any] = {name: {} for name in _MAPPINGS} | {"rules": []}
        try:
            text = page_path.read_text(encoding="utf-8")
            for path in sorted((source_dir / "rules").glob("*.yaml")):
                part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                for name in _MAPPINGS:
                    rules[name].update(part.get(name) or {})
                rules["rules"] += part.get("rules") or []
        except OSError as exc:
            raise PageError(f"cannot read {exc.filename}: {exc.strerror}", line=None) from exc
        if not rules["rules"]:
            raise PageError(f"no rules in {source_dir / 'rules'} (*.yaml)", line=None)
        return cls(parse_page(text), text, rules, _sheets(source_dir / "sdks"))


def _sheets(folder: Path) -> tuple[tuple[FactSheet, str], ...]:
    """Each SDK release's facts, in file-name order (none without the folder)."""
    sheets = []
    for path in sorted(folder.glob("*.json")):
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise InputError(f"cannot read the SDK facts {path}: {exc.strerror}") from exc
        sheets.append((FactSheet.read(path), digest))
    return tuple(sheets)
