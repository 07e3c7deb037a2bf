"""The exceptions drun-conformance raises: only for our inputs and our own bugs.

A fault in a target (server, SDK, harness) is never an exception: it is a finding.

    DrunError                  base; carries the exit status the CLI maps it to
    ├── UsageError             bad flags or arguments (exit 2)
    ├── InputError             an unreadable or malformed input file (exit 2)
    │   └── PageError          the reference page cannot be parsed (names the line)
    ├── SpecError              spec/ differs from a fresh build, or is missing (exit 1)
    └── TargetUnreachable      the target could not be reached or did not answer (exit 3)
        └── SdkUnavailable     a shipped SDK harness cannot run here (no Node.js, no registry)
"""

from __future__ import annotations

__all__ = [
    "DrunError",
    "InputError",
    "PageError",
    "SdkUnavailable",
    "SpecError",
    "TargetUnreachable",
    "UsageError",
]


class DrunError(Exception):
    exit_status = 1


class UsageError(DrunError):
    exit_status = 2


class InputError(DrunError):
    exit_status = 2


class PageError(InputError):
    """The page does not have the structure the builder reads; `line` is 1-based or None."""

    def __init__(self, message: str, *, line: int | None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


class SpecError(DrunError):
    exit_status = 1


class TargetUnreachable(DrunError):
    exit_status = 3


class SdkUnavailable(TargetUnreachable):
    """A shipped SDK cannot run here: its runtime is missing or its release would not install."""
