"""Each package's __all__ lists exactly its public names (as httpx and Hypothesis check)."""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = [
    "drun_conformance",
    "drun_conformance.oracle",
    "drun_conformance.plugin",
    "drun_conformance.contract",
    "drun_conformance.server",
    "drun_conformance.server.reference",
    "drun_conformance.client",
    "drun_conformance.recorded",
    "drun_conformance.proxy",
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
