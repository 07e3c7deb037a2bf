"""The generated requirement catalog page (docs/_hooks/catalog.py): every requirement with its
check and its mutant, read from whatever spec/ and the mutant catalogs hold, and a build that
fails when a requirement has no check."""

from __future__ import annotations

import copy
import html
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from drun_conformance import Oracle, SpecError, spec
from drun_conformance.spec import Catalog
from tests.client_mutants import CLIENT_MUTANTS
from tests.conftest import REPO
from tests.mutants import MUTANTS

NEW = {
    "id": "run.docs.unchecked",
    "level": "MUST",
    "side": "server",
    "area": "payload",
    "pointer": "",
    "title": "A requirement added to the catalog with no check registered.",
    "source": {"page": "api-conventions"},
}


def _hook() -> ModuleType:
    loaded = importlib.util.spec_from_file_location("catalog_hook", REPO / "docs" / "_hooks" / "catalog.py")
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    sys.modules["catalog_hook"] = module
    loaded.loader.exec_module(module)
    return module


HOOK = _hook()


def _row(page: str, requirement: str) -> str:
    return next(line for line in page.splitlines() if f'<a id="{requirement}"></a>' in line)


def test_every_requirement_has_its_row_with_its_check_and_its_mutants() -> None:
    catalog = spec.load_catalog()
    checks, refused = HOOK.checks_by_requirement()
    page, problems = HOOK.render(catalog, checks, HOOK.proofs_by_requirement())
    assert refused == [] and problems == []
    registered = {c.requirement: c.function for c in Oracle.default().checks}
    for entry in catalog:
        row = _row(page, entry.id)
        function = registered[entry.id]
        named = function.__qualname__.split(".<locals>.")[0]  # a factory's check: by its factory
        dotted = [".<wbr>".join(html.escape(p) for p in n.split(".")) for n in (named, function.__module__)]
        assert f"<code>{dotted[0]}" in row and f"<small>in <code>{dotted[1]}</code></small>" in row
        assert "locals" not in row
        assert f"`{entry.id}` **{entry.level}**" in row
        assert entry.title.replace("|", "\\|") in row  # cells escape |
    for mutant in (*MUTANTS, *CLIENT_MUTANTS):
        assert f"`{mutant.name}`" in _row(page, mutant.requirement)
    assert "misbehaving harness --mode garbage" in _row(page, "client.harness.protocol")
    quoted = "Exactly one of session_id or error is non-null."  # the page's own sentence
    assert quoted in _row(page, "run.outcome.exactly-one")


def test_a_requirement_without_a_check_or_a_mutant_is_a_problem() -> None:
    data: dict[str, Any] = copy.deepcopy(spec.load_requirements())
    data["requirements"].append(NEW)
    checks, _ = HOOK.checks_by_requirement()
    page, problems = HOOK.render(Catalog.from_json(data), checks, HOOK.proofs_by_requirement())
    assert problems == [
        "requirement run.docs.unchecked has no registered check",
        "requirement run.docs.unchecked has no mutant in tests/*mutants.py",
    ]
    assert "**no check**" in _row(page, NEW["id"]) and "**no mutant**" in _row(page, NEW["id"])


def test_an_oracle_that_refuses_the_catalog_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(cls: type[Oracle]) -> Oracle:
        raise SpecError("catalog and checks disagree: no check for ['run.docs.unchecked']")

    monkeypatch.setattr(Oracle, "default", classmethod(refuse))
    assert HOOK.checks_by_requirement() == (
        {},
        ["the oracle refuses the catalog: catalog and checks disagree: no check for ['run.docs.unchecked']"],
    )


def _site(tmp_path: Path) -> Path:
    """The site's sources, copied: the hook reads spec/ and tests/ of the tree it lies in."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "docs", site / "docs", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "spec", site / "spec", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "tests").mkdir()
    catalogs = [f"tests/{path.name}" for path in (REPO / "tests").glob("*mutants.py")]
    catalogs += ["tests/__init__.py", "tests/mutant_kit.py"]  # what the catalogs are built from
    for name in ("mkdocs.yml", "SECURITY.md", "CHANGELOG.md", *catalogs):
        shutil.copy(REPO / name, site / name)
    return site


def _build(site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site / "out")],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # Material's banner: not ours to show
    )


@pytest.mark.slow
def test_the_strict_build_fails_on_a_requirement_without_a_check(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="the docs extra (pip install -e '.[dev]') builds the site")
    site = _site(tmp_path)
    built = _build(site)
    assert built.returncode == 0, built.stderr
    page = (site / "out" / "catalog" / "index.html").read_text(encoding="utf-8")
    assert 'id="run.outcome.exactly-one"' in page and "both-outcomes" in page
    catalog = json.loads((site / "spec" / "requirements.json").read_text(encoding="utf-8"))
    catalog["requirements"].append(NEW)
    (site / "spec" / "requirements.json").write_text(json.dumps(catalog), encoding="utf-8")
    refused = _build(site)
    assert refused.returncode != 0
    assert "catalog.md: requirement run.docs.unchecked has no registered check" in refused.stderr
