"""Argument checks shared by the public strategies: fail early, with `{name=}` messages."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, TypeVar

from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

__all__ = ["check_bool", "check_choice", "check_strategy", "check_subset"]

T = TypeVar("T")


def check_bool(value: object, name: str) -> bool:
    """`value` itself when it is a bool; InvalidArgument otherwise."""
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name}={value!r} must be True or False")
    return value


def check_choice(value: T | None, allowed: Iterable[T], name: str) -> T | None:
    """`value` when it is None or one of `allowed`; InvalidArgument otherwise."""
    options = list(allowed)
    if value is not None and value not in options:
        raise InvalidArgument(f"{name}={value!r} must be None or one of {options}")
    return value


def check_subset(values: Collection[T] | None, allowed: Iterable[T], name: str) -> tuple[T, ...]:
    """The chosen values in `allowed`'s order (all of them when None); InvalidArgument when
    `values` is a bare string, is empty, or names something not in `allowed`."""
    options = list(allowed)
    if values is None:
        return tuple(options)
    if isinstance(values, str | bytes) or not isinstance(values, Collection):
        raise InvalidArgument(f"{name}={values!r} must be a collection (a list, set or tuple) or None")
    unknown = [v for v in values if v not in options]
    if unknown:
        raise InvalidArgument(f"{name}={values!r}: unknown {unknown}; choose from {options}")
    if not values:
        raise InvalidArgument(f"{name}={values!r} must name at least one of {options}")
    chosen = set(values)
    return tuple(v for v in options if v in chosen)


def check_strategy(value: Any, name: str) -> SearchStrategy[Any]:
    if not isinstance(value, SearchStrategy):
        raise InvalidArgument(f"{name}={value!r} must be a Hypothesis strategy")
    return value
