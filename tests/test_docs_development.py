"""The development install that the README and docs/contributing.md describe: static tools find
`drun_conformance` where Python imports it from.

setuptools' default editable install serves the package through an import hook that only a
running interpreter sees, so mypy and editors find nothing ("Can't find package
'drun_conformance'"). The README's development line asks for the strict mode: a folder of links
to the checkout's files, on sys.path, which every tool follows. A file added since the install is
not linked until the line runs again: the last test says which.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import drun_conformance
from tests.conftest import REPO

INSTALL = "pip install -e '.[dev]' --config-settings editable_mode=strict"
FOLDERS = {"conformance": "", "spec": "spec", "strategies": "strategies", "reports": "reports"}


def _plain_package() -> Path | None:
    """drun_conformance as a folder on sys.path (site-packages, a .pth's folder): what mypy, pyright
    and editors search, with no import hook."""
    for entry in sys.path:
        if entry and (Path(entry) / "drun_conformance" / "__init__.py").is_file():
            return Path(entry) / "drun_conformance"
    return None


def test_the_package_is_a_folder_on_the_path_that_static_tools_follow() -> None:
    package = _plain_package()
    assert package is not None, f"drun_conformance is served by an import hook only: {INSTALL}"
    assert (package / "__init__.py").resolve() == Path(drun_conformance.__file__).resolve()


@pytest.mark.slow
def test_mypy_resolves_the_package(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="the development install (pip install -e '.[dev]') has mypy")
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=skip", "-c", "import drun_conformance"],
        cwd=tmp_path,  # none of the checkout's configuration: the package as any user's project sees it
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_module_of_the_checkout_is_linked() -> None:
    package = _plain_package()
    if package is None or not (package / "__init__.py").is_symlink():
        pytest.skip("not a strict editable install of a checkout (a wheel, or the default mode)")
    unlinked = [
        path.relative_to(REPO).as_posix()
        for folder, inside in FOLDERS.items()
        for path in (REPO / folder).rglob("*.py")
        if "__pycache__" not in path.parts
        and not (package / inside / path.relative_to(REPO / folder)).exists()
    ]
    assert unlinked == [], f"added since the install; run it again ({INSTALL}) to link them"
