"""Progress for long runs: a live rich bar on a terminal, plain lines in CI and in logs.

The whole interface runners use::

    from . import progress

    with progress(total=len(plan), label="server http://127.0.0.1:8000") as bar:
        for probe in plan:
            ...
            bar.advance()              # one unit of `total` done (advance(n) for n)
            bar.note("429: waiting 2 s")   # an event worth a line of its own
    # leaving the block (or bar.close()) prints the final count and the elapsed time

Mode: rich when the stream (standard error by default, so standard output stays clean for
results) is a terminal and `CI` is not set; plain otherwise, printing a line at every 10% of
`total`, and after 5 seconds without one (a slow step still shows the run is alive).
`mode="plain"|"rich"` forces one. `total=0` is allowed: only notes and the final line print.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal, TextIO

__all__ = ["Progress", "progress"]

_STEP = 0.10  # a plain line every 10% ...
_EVERY_S = 5.0  # ... or after 5 seconds without a line


class Progress:
    """A progress display; see the module docstring. Not thread-safe: advance from one thread."""

    def __init__(
        self,
        total: int,
        label: str,
        *,
        stream: TextIO | None = None,
        mode: Literal["auto", "rich", "plain"] = "auto",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = max(0, total)
        self.label = label
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self._started = self._last_time = clock()
        self._last_done = 0
        self._closed = False
        self.mode = _pick_mode(self._stream) if mode == "auto" else mode
        self._rich: Any = None
        self._task: Any = None
        if self.mode == "rich":
            self._start_rich()

    def _start_rich(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        console = Console(file=self._stream)
        self._rich = RichProgress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._rich.start()
        self._task = self._rich.add_task(self.label, total=self.total or None)

    def advance(self, n: int = 1) -> None:
        """Count `n` more units done."""
        self.done += n
        if self._rich is not None:
            self._rich.advance(self._task, n)
            return
        now = self._clock()
        step = max(1, round(self.total * _STEP)) if self.total else 0
        due_by_count = bool(step) and self.done - self._last_done >= step
        due_by_time = now - self._last_time >= _EVERY_S
        if due_by_count or due_by_time:
            self._line(self._count())
            self._last_done, self._last_time = self.done, now

    def note(self, text: str) -> None:
        """Print an event on its own line, above the bar in rich mode."""
        if self._rich is not None:
            self._rich.console.print(f"{self.label}: {text}", markup=False, highlight=False)
        else:
            self._line(text)

    def close(self) -> None:
        """Stop the display and print the final count; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        elapsed = self._clock() - self._started
        if self._rich is not None:
            self._rich.stop()
            return
        self._line(f"finished {self._count()} in {elapsed:.1f} s")

    def _count(self) -> str:
        if not self.total:
            return str(self.done)
        return f"{self.done}/{self.total} ({100 * self.done // self.total}%)"

    def _line(self, text: str) -> None:
        self._stream.write(f"{self.label}: {text}\n")
        self._stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def progress(
    total: int, label: str, *, stream: TextIO | None = None, mode: Literal["auto", "rich", "plain"] = "auto"
) -> Progress:
    """A started Progress over `total` units; see the module docstring."""
    return Progress(total, label, stream=stream, mode=mode)


def _pick_mode(stream: TextIO) -> Literal["rich", "plain"]:
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        return "plain"
    isatty = getattr(stream, "isatty", None)
    return "rich" if isatty is not None and isatty() else "plain"
