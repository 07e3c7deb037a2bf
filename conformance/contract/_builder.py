"""`spec build | check | diff`: write spec/ from its sources, compare, and name contract changes."""

from __future__ import annotations

import json
import site
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from drun_conformance._errors import UsageError
from drun_conformance.oracle import Oracle
from drun_conformance.spec import Catalog

from ._json_schema import variant_tags
from ._page import ClassShape, EnumShape, Field, Page, UnionShape, parse_page
from ._render import render_spec
from ._sources import SpecSources

__all__ = [
    "build_spec",
    "check_spec",
    "checkout_spec_dir",
    "diff_pages",
    "example_findings",
    "page_contract",
    "spec_out_dir",
]


def example_findings(sources: SpecSources, catalog: dict[str, Any]) -> list[dict[str, Any]]:
    """The page's own example response, checked by the oracle the fresh spec makes."""
    if sources.page.example is None:
        return []
    oracle = Oracle(Catalog.from_json(catalog))
    return [f.to_json() for f in oracle.judge_recorded(sources.page.example).findings]


def build_spec(source_dir: Path, out_dir: Path) -> list[dict[str, Any]]:
    """Write spec/'s built files into out_dir; returns what the page's example breaks."""
    sources = SpecSources.read(source_dir)
    draft = json.loads(render_spec(sources, [])["requirements.json"])
    findings = example_findings(sources, draft)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in render_spec(sources, findings).items():
        (out_dir / name).write_bytes(data)
    return findings


def checkout_spec_dir(start: Path) -> Path | None:
    """`spec/` of the drun-conformance checkout holding `start` (None outside a checkout)."""
    for folder in (start.resolve(), *start.resolve().parents):
        pyproject = folder / "pyproject.toml"
        if (folder / "spec" / "source").is_dir() and pyproject.is_file():
            if 'name = "drun-conformance"' in pyproject.read_text(encoding="utf-8", errors="replace"):
                return folder / "spec"
    return None


def _installed_roots() -> list[Path]:
    # Where installers put packages: writing there would change the suite every user runs.
    roots = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    roots.update(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        roots.add(site.getusersitepackages())
    return [Path(root).resolve() for root in roots]


def spec_out_dir(out: Path | None, *, cwd: Path) -> Path:
    """Where `spec build` writes: `out`, or the checkout's spec/; never an installed package."""
    if out is None:
        found = checkout_spec_dir(cwd)
        if found is None:
            raise UsageError(
                "spec build: not inside a drun-conformance checkout; name the folder to write with --out DIR"
            )
        out = found
    resolved = out.resolve()
    if any(resolved == root or root in resolved.parents for root in _installed_roots()):
        raise UsageError(
            f"spec build: refusing to write into installed packages ({resolved}); pass --out DIR"
        )
    if resolved.exists() and not resolved.is_dir():
        raise UsageError(f"spec build: --out {out} is not a folder")
    return out


def check_spec(spec_dir: Path) -> list[str]:
    """The built files that differ from a fresh build (empty when spec/ is up to date)."""
    with tempfile.TemporaryDirectory() as fresh:
        build_spec(spec_dir / "source", Path(fresh))
        return [
            name
            for name in sorted(p.name for p in Path(fresh).iterdir())
            if not (spec_dir / name).is_file()
            or (spec_dir / name).read_bytes() != (Path(fresh) / name).read_bytes()
        ]


def page_contract(page: Page) -> dict[str, set[str]]:
    """What a contract diff compares: fields (with types), union variants, betas."""
    fields: set[str] = set()
    variants: set[str] = set()

    def walk(shape: ClassShape, prefix: str) -> None:
        for f in shape.fields:
            name = f"{prefix}{f.wire_name}"
            fields.add(f"{name}: {f.type}")
            _walk_shape(f, name)

    def _walk_shape(f: Field, name: str) -> None:
        if isinstance(f.shape, ClassShape):
            walk(f.shape, name + ".")
        elif isinstance(f.shape, UnionShape):
            for tag, variant in variant_tags(f, f.shape):
                variants.add(f"{name}: {tag}")
                walk(variant, f"{name}[{tag}].")
        elif isinstance(f.shape, EnumShape) and len(f.shape.constants) > 1:
            variants.update(f"{name}: {c.wire}" for c in f.shape.constants)

    walk(page.returns, "")
    betas = {
        c.wire
        for p in page.parameters
        if p.wire_name == "betas" and isinstance(p.shape, EnumShape)
        for c in p.shape.constants
    }
    return {"field": fields, "variant": variants, "beta": betas}


def diff_pages(old_text: str, new_text: str) -> list[str]:
    """`+ kind: item` / `- kind: item` lines for what the new page adds or removes."""
    old, new = page_contract(parse_page(old_text)), page_contract(parse_page(new_text))
    lines = []
    for kind in old:
        lines += [f"- {kind}: {item}" for item in sorted(old[kind] - new[kind])]
        lines += [f"+ {kind}: {item}" for item in sorted(new[kind] - old[kind])]
    return lines
