"""The layout holds: one import root, small modules, no import cycle, and a pytest plugin that
cannot break the pytest of the project it is installed into."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAX_LINES = 400


def _package_dirs() -> dict[str, Path]:
    """Import name -> repository folder, as pyproject.toml maps them."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return {name: REPO / folder for name, folder in config["tool"]["setuptools"]["package-dir"].items()}


def _modules() -> dict[str, Path]:
    """Every module of drun_conformance by dotted name (a package by its __init__)."""
    dirs = _package_dirs()
    modules: dict[str, Path] = {}
    for package, folder in dirs.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if any(p in ("harnesses", "__pycache__") for p in parts):
                continue  # the shipped harnesses are standalone scripts run in the SDKs' environments
            dotted = ".".join((package, *parts)).removesuffix(".__init__")
            owner = max((p for p in dirs if dotted == p or dotted.startswith(p + ".")), key=len)
            if owner == package:
                modules[dotted] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """The drun_conformance modules `name` imports when run (TYPE_CHECKING blocks left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join([*base, node.module] if node.module else base)
            for alias in node.names:
                if f"{target}.{alias.name}" in modules:
                    yield f"{target}.{alias.name}"
                elif target in modules:
                    yield target


def test_no_module_is_over_the_limit() -> None:
    long = {
        name: n for name, path in _modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_no_import_cycle() -> None:
    modules = _modules()
    graph = {name: set(_imports(name, path, modules)) - {name} for name, path in modules.items()}
    done: set[str] = set()

    def visit(name: str, stack: list[str]) -> None:
        if name in stack:
            cycle = [*stack[stack.index(name) :], name]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, [*stack, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


@pytest.mark.slow
def test_the_wheel_installs_one_import_root(tmp_path: Path) -> None:
    source = tmp_path / "source"  # setuptools builds in the tree it is given: a copy, not the checkout
    for part in ("conformance", "spec", "strategies", "reports"):
        shutil.copytree(REPO / part, source / part, ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / part, source / part)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("drun_conformance-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {
        "drun_conformance"
    }
    for data in ("spec/requirements.json", "spec/harness/protocol.json", "reports/templates/report.html.j2"):
        assert f"drun_conformance/{data}" in names  # the contract and the templates ship as data
    assert "drun_conformance/client/harnesses/anthropic_python.py" in names


def test_a_project_with_packages_of_the_same_names_keeps_its_pytest(tmp_path: Path) -> None:
    for package in ("spec", "reports", "strategies", "conformance"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(f"NAME = {package!r}\n")
    (tmp_path / "test_mine.py").write_text(
        "import conformance, reports, spec, strategies\n\n"
        "def test_my_own_packages():\n"
        "    assert [m.NAME for m in (spec, reports, strategies, conformance)] == "
        "['spec', 'reports', 'strategies', 'conformance']\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    plugins = subprocess.run(
        [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", "--drun-target", "embedded"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert "unrecognized arguments" not in plugins.stderr  # the drun plugin was loaded alongside
