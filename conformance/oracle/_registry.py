"""A registry of checks keyed by requirement id, refusing duplicates (as Schemathesis does).

    RULES = Registry[Case]()

    @RULES.register("run.id.prefix")
    def check_run_id_prefix(case: Case) -> list[Found] | None:
        ...   # None: not exercised here; []: met; else what was found, where

The decorator is the one place a check names its requirement: a check returns what it found
(pointer and message), and the Oracle makes each a Finding with the id and the catalog's level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from ._case import Found

__all__ = ["Check", "CheckFunction", "Needs", "Registry", "needs_deployment", "needs_exchange"]

In = TypeVar("In")
# None: this case does not exercise the requirement; []: exercised and met.
CheckFunction = Callable[[In], list[Found] | None]
# What a check of a run needs besides the body, that a body recorded alone may lack: the HTTP
# exchange it came in, or just the deployment that was asked for (an exchange gives both).
Needs = Literal["exchange", "deployment"]


@dataclass(frozen=True, slots=True)
class Check(Generic[In]):
    requirement: str
    function: CheckFunction[In]
    needs: Needs | None = None

    @property
    def name(self) -> str:
        return getattr(self.function, "__name__", self.requirement)


class Registry(Generic[In]):
    """The checks of one kind of input (`In`: a Case, a ListingWalk, a Delivery...), in the
    order they were registered."""

    def __init__(self) -> None:
        self._checks: dict[str, Check[In]] = {}

    def add(self, check: Check[In]) -> None:
        if check.requirement in self._checks:
            raise ValueError(f"two checks registered for {check.requirement!r}")
        self._checks[check.requirement] = check

    def register(self, requirement: str) -> Callable[[CheckFunction[In]], CheckFunction[In]]:
        """Decorator: `@registry.register("run.outcome.exactly-one")`."""

        def decorate(function: CheckFunction[In]) -> CheckFunction[In]:
            self.add(Check(requirement, function, getattr(function, "_needs", None)))
            return function

        return decorate

    def __iter__(self) -> Iterator[Check[In]]:
        return iter(self._checks.values())

    def __contains__(self, requirement: object) -> bool:
        return requirement in self._checks

    def __len__(self) -> int:
        return len(self._checks)


def needs_exchange(function: CheckFunction[In]) -> CheckFunction[In]:
    """Mark a check that only applies to a body seen in an HTTP exchange (skipped offline)."""
    function._needs = "exchange"  # type: ignore[attr-defined]
    return function


def needs_deployment(function: CheckFunction[In]) -> CheckFunction[In]:
    """Mark a check that needs the deployment asked for: an exchange's, or one given with a body."""
    function._needs = "deployment"  # type: ignore[attr-defined]
    return function
