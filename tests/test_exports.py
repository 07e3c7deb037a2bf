"""Each package's __all__ lists exactly its public names (as httpx and Hypothesis check)."""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = ["conformance", "conformance.oracle", "conformance.reference", "spec", "strategies", "reports"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_lists_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    public = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_") and not isinstance(value, types.ModuleType) and attr != "annotations"
    }
    assert set(module.__all__) == public
    assert len(module.__all__) == len(set(module.__all__))
