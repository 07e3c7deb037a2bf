"""Server mutants of the operation family around a run (the listing, read-back, the keys every
SDK requires, webhooks): one requirement each, built from tests/mutant_kit.py like
tests/mutants.py, and caught as they are (tests/test_server_mutants.py gathers every catalog)."""

from __future__ import annotations

from tests.mutant_kit import Mutant

__all__ = ["MUTANTS"]

MUTANTS: tuple[Mutant, ...] = ()
