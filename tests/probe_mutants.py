"""Server mutants that only sharper probes catch (credentials in near-miss forms, ids a lax
router folds onto a real one, a beta header without the operation's own, JSON as clients read
it, records that change over time): one requirement each, built from tests/mutant_kit.py like
tests/mutants.py, and caught as they are (tests/test_server_mutants.py gathers every catalog)."""

from __future__ import annotations

from tests.mutant_kit import Mutant

__all__ = ["MUTANTS"]

MUTANTS: tuple[Mutant, ...] = ()
