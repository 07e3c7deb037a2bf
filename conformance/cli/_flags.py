"""The CLI's flag values: one converter per kind, given to argparse as `type=`.

Every value is checked as argparse reads it, so a bad one stops the command before anything is
contacted; argparse names the flag ("argument --timeout: must be ...") and the CLI exits 2.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path

from drun_conformance._values import api_key_problem, base_url_problem, deployment_id_problem

__all__ = [
    "MAX_SEED",
    "api_key",
    "base_url",
    "existing_file",
    "existing_folder",
    "file_in_a_folder",
    "int_from",
    "non_empty",
    "seconds",
]

_MAX_SECONDS = 86_400.0  # a day: beyond it a wait is a mistake (and overflows thread timeouts)
MAX_SEED = 2**64 - 1


def _whole_number(text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None


def int_from(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """A converter for whole numbers from `minimum` (to `maximum`)."""

    def convert(text: str) -> int:
        value = _whole_number(text)
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    return convert


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not (math.isfinite(value) and 0 < value <= _MAX_SECONDS):
        raise argparse.ArgumentTypeError(
            f"must be more than 0 and at most {_MAX_SECONDS:g} seconds, got {text}"
        )
    return value


def base_url(text: str) -> str:
    problem = base_url_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def api_key(text: str) -> str:
    problem = api_key_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def deployment_id(text: str) -> str:
    problem = deployment_id_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def non_empty(text: str) -> str:
    if not text:
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def existing_file(text: str) -> str:
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"{text!r} is not a file")
    return text


def existing_folder(text: str) -> str:
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not a folder")
    return text


def file_in_a_folder(text: str) -> str:
    """A file to create: its folder must exist (it is not created)."""
    if not text or not Path(text).resolve().parent.is_dir():
        raise argparse.ArgumentTypeError(f"the folder of {text!r} does not exist")
    return text
