"""The layout holds: one import root, no import cycle, flags read by the command line alone, and a
pytest plugin that cannot break the pytest of the project it is installed into. (A module is one
idea, whatever its length: there is no line limit. The public API of each package is its
`__all__`: tests/test_exports.py.)"""

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

from .conftest import _starts_refused

REPO = Path(__file__).resolve().parents[1]
CLI = "drun_conformance.cli"


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


def test_only_the_command_line_reads_flags() -> None:
    """argparse (a parser, its Namespace, its errors) stays in drun_conformance.cli: a domain
    package takes typed arguments, so the library and the command line share one behaviour."""
    readers = []
    for name, path in _modules().items():
        if name == CLI or name.startswith(CLI + "."):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(a.name == "argparse" for a in node.names):
                readers.append(name)
            elif isinstance(node, ast.ImportFrom) and node.module == "argparse":
                readers.append(name)
    assert not readers, f"argparse outside {CLI}: {readers}"


def test_every_command_is_a_module_of_the_command_line() -> None:
    """One module per command (as Schemathesis's cli/commands/), each adding its own subparser."""
    from drun_conformance.cli import _main, build_parser

    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    modules = {module.__name__.rpartition("._")[2] for module in _main._COMMANDS}
    assert set(commands) == modules


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


@pytest.mark.slow
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


@pytest.mark.parametrize("start", ["process", "socket"])
def test_a_test_not_marked_slow_that_starts_a_process_or_a_server_fails(start: str) -> None:
    """The fast loop (`-m "not slow"`) holds: conftest.py refuses, and fails the test, even when
    the code under test swallows the refusal."""
    import socket
    from types import SimpleNamespace

    fast = SimpleNamespace(nodeid="tests/test_probe.py::test_fast", get_closest_marker=lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="mark it slow"), _starts_refused(fast):  # type: ignore[arg-type]
        try:
            if start == "process":
                subprocess.run([sys.executable, "-c", "pass"], check=True)
            else:
                socket.socket().bind(("127.0.0.1", 0))
        except RuntimeError:
            pass  # swallowed: still a failure
