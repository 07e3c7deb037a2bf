"""The mutation bench (bench/bench_mutation.py) still tells a caught mutant from an equivalent one:
a run id prefix changed must be killed by its requirement, an annotation changed must survive and
be named equivalent. Hand-made mutants, so no cosmic-ray is needed but for the last test."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SOURCE = (REPO / "conformance" / "server" / "reference" / "_ids.py").read_text(encoding="utf-8")
PREFIX = ('return "drun_" + ', 'return "drux_" + ')  # every run id breaks its pattern
ANNOTATION = ("def new_run_id(at: datetime) -> str:", "def new_run_id(at: datetime) -> int:")


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_mutation", REPO / "bench" / "bench_mutation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_mutation", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def verdict(tmp_path: Path, change: tuple[str, str]) -> Any:
    b = bench()
    assert change[0] in SOURCE
    reference = b.build_overlay(tmp_path)
    mutation = b.Mutation("_ids.py", "hand/" + change[1], 0, 1, 0)
    with b.applied(reference, mutation, SOURCE.replace(*change)):
        assert (reference / "_ids.py").read_text(encoding="utf-8") != SOURCE
        outcome = b.check(tmp_path, timeout=120)
    assert (reference / "_ids.py").resolve() == REPO / "conformance" / "server" / "reference" / "_ids.py"
    return outcome


def test_a_broken_run_id_prefix_is_killed_by_the_id_requirement(tmp_path: Path) -> None:
    outcome = verdict(tmp_path, PREFIX)
    assert outcome.verdict == "killed"
    assert outcome.exit == 1
    assert "run.id.prefix" in outcome.killed_by


def test_an_annotation_changed_survives_and_is_named_equivalent(tmp_path: Path) -> None:
    outcome = verdict(tmp_path, ANNOTATION)
    assert outcome.verdict == "survived"
    assert bench().annotation_only(SOURCE, SOURCE.replace(*ANNOTATION))
    assert not bench().annotation_only(SOURCE, SOURCE.replace(*PREFIX))


def test_cosmic_ray_enumerates_the_reference_servers_mutants() -> None:
    pytest.importorskip("cosmic_ray", reason="the bench extra: pip install -e '.[bench]'")
    b = bench()
    found = b.mutations([REPO / "conformance" / "server" / "reference" / "_ids.py"])
    numbers = [m for m in found if m.operator == "core/NumberReplacer"]
    assert numbers and all(m.file == "_ids.py" for m in found)
    code, diff = b.mutated(numbers[0])
    assert code != SOURCE and diff.startswith("--- a/conformance/server/reference/_ids.py")
    assert len(b.sample(found, 5, seed=1)) == 5
