"""A registry of checks keyed by requirement id, refusing duplicates (as Schemathesis does)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ._case import Case, Finding

__all__ = ["Check", "CheckFunction", "Registry", "needs_exchange"]

# None: this case does not exercise the requirement; []: exercised and met.
CheckFunction = Callable[[Case], list[Finding] | None]


@dataclass(frozen=True, slots=True)
class Check:
    requirement: str
    function: CheckFunction
    needs_exchange: bool = False

    @property
    def name(self) -> str:
        return getattr(self.function, "__name__", self.requirement)


class Registry:
    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def add(self, check: Check) -> None:
        if check.requirement in self._checks:
            raise ValueError(f"two checks registered for {check.requirement!r}")
        self._checks[check.requirement] = check

    def register(self, requirement: str) -> Callable[[CheckFunction], CheckFunction]:
        """Decorator: `@registry.register("run.outcome.exactly-one")`."""

        def decorate(function: CheckFunction) -> CheckFunction:
            self.add(Check(requirement, function, getattr(function, "_needs_exchange", False)))
            return function

        return decorate

    def __iter__(self) -> Iterator[Check]:
        return iter(self._checks.values())

    def __contains__(self, requirement: object) -> bool:
        return requirement in self._checks

    def __len__(self) -> int:
        return len(self._checks)


def needs_exchange(function: CheckFunction) -> CheckFunction:
    """Mark a check that only applies to a body seen in an HTTP exchange (skipped offline)."""
    function._needs_exchange = True  # type: ignore[attr-defined]
    return function
