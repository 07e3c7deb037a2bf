"""The CLI's flag values: one converter per kind, given to argparse as `type=`.

Every value is checked as argparse reads it, so a bad one stops the command before anything is
contacted; argparse names the flag ("argument --timeout: must be ...") and the CLI exits 2.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "MAX_SEED",
    "api_key",
    "api_key_problem",
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
    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or parts.port > 0
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise argparse.ArgumentTypeError(f"must be an http:// or https:// URL with a host, got {text!r}")
    if parts.query or parts.fragment or any(c.isspace() or ord(c) < 32 for c in text):
        raise argparse.ArgumentTypeError(
            f"must be a base URL without query, fragment or spaces, got {text!r}"
        )
    return text


def api_key_problem(key: str) -> str | None:
    """Why `key` cannot be sent as a header value (never quoting the key itself)."""
    if not key or not all("!" <= c <= "~" for c in key):
        return "must be printable ASCII without spaces (the value is not shown)"
    return None


def api_key(text: str) -> str:
    problem = api_key_problem(text)
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
