"""Ctrl-C and SIGTERM stop a check even when the KeyboardInterrupt they raise is lost: Python
drops one raised inside a finalizer or a garbage-collector callback. The request is also
remembered, and the runners look for it before each request and each SDK call; the dropped
exception is not printed (Python would show its traceback on stderr). Where a stop must not land
(a process started but not yet held, so never stopped), it waits for the end of that step.
An install or build tool is run in its own process group, ended whole on a stop or a timeout."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sys import UnraisableHookArgs

__all__ = ["interrupts_deferred", "raise_if_interrupted", "run_tool_group", "stopping_on_signals"]

_requested = threading.Event()
_deferred = 0  # the main thread's steps under way that a stop waits for


def raise_if_interrupted() -> None:
    """KeyboardInterrupt if Ctrl-C or SIGTERM came while checking (its first exception lost)."""
    if _requested.is_set():
        raise KeyboardInterrupt


def _interrupt(signum: int, frame: FrameType | None) -> None:
    _requested.set()
    if not _deferred:
        raise KeyboardInterrupt


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Ctrl-C or SIGTERM during the block is taken at its end: what the block starts (a harness
    process) is held by then, so the stop that follows can stop it."""
    global _deferred
    if threading.current_thread() is not threading.main_thread():  # no handler interrupts it
        yield
        return
    _deferred += 1
    try:
        yield
    finally:
        _deferred -= 1
    if not _deferred:
        raise_if_interrupted()


def _quiet_about_dropped_interrupts(
    previous: Callable[[UnraisableHookArgs], object],
) -> Callable[[UnraisableHookArgs], None]:
    """sys.unraisablehook that passes on all but our own KeyboardInterrupt, remembered already."""

    def hook(unraisable: UnraisableHookArgs) -> None:
        if not (_requested.is_set() and isinstance(unraisable.exc_value, KeyboardInterrupt)):
            previous(unraisable)

    return hook


@contextmanager
def stopping_on_signals(
    signals: Sequence[signal.Signals] = (signal.SIGINT, signal.SIGTERM),
) -> Iterator[None]:
    """While checking, each of `signals` stops the checks as Ctrl-C does (partial reports)."""
    if threading.current_thread() is not threading.main_thread():  # only there can they be set
        yield
        return
    _requested.clear()
    unraisable_hook = sys.unraisablehook
    sys.unraisablehook = _quiet_about_dropped_interrupts(unraisable_hook)
    previous = {signum: signal.signal(signum, _interrupt) for signum in signals}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.unraisablehook = unraisable_hook
        _requested.clear()


def run_tool_group(
    argv: Sequence[str], *, timeout: float, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """subprocess.run(argv, capture_output=True) for a tool that starts tools of its own (npm,
    Maven, go, pip): a timeout (TimeoutExpired) or a stop ends its whole process group, so
    nothing it started runs on; subprocess.run ends the tool alone. Its standard input is empty:
    a tool that asks a question gets no answer at once instead of waiting out the timeout."""
    process: subprocess.Popen[bytes] | None = None
    try:
        with interrupts_deferred():  # held before a stop can land (at the block's end), so it is ended
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=cwd,
                env=env,
                start_new_session=True,
            )
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException:
        if process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()  # reaped, its pipes closed
        raise
    return subprocess.CompletedProcess(list(argv), process.returncode, stdout, stderr)
