"""Each package's __all__ lists exactly its public names (as httpx and Hypothesis check), the
root imports each from its one module, and no command handler is public."""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys
import types

import pytest

import drun_conformance

PACKAGES = [
    "drun_conformance",
    "drun_conformance.oracle",
    "drun_conformance.plugin",
    "drun_conformance.contract",
    "drun_conformance.server",
    "drun_conformance.server.reference",
    "drun_conformance.client",
    "drun_conformance.recorded",
    "drun_conformance.results",
    "drun_conformance.proxy",
    "drun_conformance.schemathesis",
    "drun_conformance.spec",
    "drun_conformance.strategies",
    "drun_conformance.reports",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_lists_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    defined = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and not isinstance(value, types.ModuleType)
        and attr not in ("annotations", "TYPE_CHECKING", "Any")  # typing helpers of a lazy __init__
    }
    assert defined <= set(module.__all__), "public names missing from __all__"
    for attr in module.__all__:  # a lazily exported name must resolve too
        assert not isinstance(getattr(module, attr), types.ModuleType), attr
    assert len(module.__all__) == len(set(module.__all__))


@pytest.mark.parametrize("name", PACKAGES)
def test_no_command_handler_is_public(name: str) -> None:
    """A command's handler takes the parsed flags: it belongs to the command line, not the API."""
    assert not [attr for attr in importlib.import_module(name).__all__ if attr.startswith("cmd_")]


def test_the_root_imports_each_name_from_its_one_module() -> None:
    lazy: dict[str, str] = drun_conformance._LAZY
    assert set(lazy) == set(drun_conformance.__all__) - {"__version__"}
    for name, where in lazy.items():
        home = importlib.import_module(where, "drun_conformance")
        assert name in home.__all__, (name, where)  # public there too, never a private helper
        assert getattr(drun_conformance, name) is getattr(home, name), name


def test_the_version_is_the_installed_distributions() -> None:
    assert drun_conformance.__version__ == importlib.metadata.version("drun-conformance")


@pytest.mark.slow
def test_an_error_imports_the_errors_alone() -> None:
    """`from drun_conformance import DrunError` loads the errors module and nothing heavy."""
    probe = (
        "import sys; before = set(sys.modules)\n"
        "from drun_conformance import DrunError\n"
        "print(sorted(set(sys.modules) - before))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = eval(done.stdout)  # a list of module names, printed by the probe above
    assert [m for m in loaded if m.startswith("drun_conformance")] == [
        "drun_conformance",
        "drun_conformance._errors",
    ]
    assert not {"pydantic", "hypothesis", "httpx", "orjson", "jsonschema_rs"} & set(loaded)
