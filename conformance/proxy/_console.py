"""Where the proxy's judge writes its lines: to a terminal line by line; to a file or a pipe
in blocks, flushed within FLUSH_S of the judge falling idle (a write a line costs CPU at a
thousand exchanges a second, and nobody reads a log file line by line as it grows). Every line
is scrubbed of the credentials seen as it is printed, as the report files are."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TextIO

__all__ = ["FLUSH_S", "Console"]

FLUSH_S = 0.2


class Console:
    def __init__(self, out: TextIO, redact: Callable[[str], str] = str) -> None:
        self.out, self.redact = out, redact
        self._tty = _isatty(out)
        self._due = False  # a flush is scheduled

    def print(self, line: str) -> None:
        print(self.redact(line), file=self.out, flush=self._tty)

    def soon(self) -> None:
        """The judge is idle: the lines go out within FLUSH_S (at once when no loop runs)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if not self._due:
            self._due = True
            loop.call_later(FLUSH_S, self.flush)

    def flush(self) -> None:
        self._due = False
        with contextlib.suppress(OSError, ValueError):
            self.out.flush()


def _isatty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError, OSError):
        return False
