"""Release numbers compared as numbers: one reading for the SDK gate's installs, builds and
shims, and for the oracle's rules that hold from a release on."""

from __future__ import annotations

import re

__all__ = ["release_numbers"]


def release_numbers(version: str | None) -> tuple[int, ...]:
    """A release's first three numbers: `v1.50.0` -> (1, 50, 0), `1.0.0+fault` -> (1, 0, 0);
    () when it names none (an unknown release compares below every one)."""
    return tuple(int(part) for part in re.findall(r"\d+", version or "")[:3])
