"""Targets checked side by side, each in a worker process of its own.

Processes, not threads: a gate's own work (Hypothesis draws, the oracle) is Python that holds
the GIL, and a worker process can be stopped with SIGTERM as a run in turn is with Ctrl-C.
Checks go to the workers pickled, so they are module-level functions or partials of them.
`_session` imports this module whether or not it runs anything side by side: see `_start_worker`.
"""

from __future__ import annotations

import importlib
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from drun_conformance.results import Interrupted, TargetResult

from ._interrupt import stopping_on_signals

if TYPE_CHECKING:
    from concurrent.futures import Future
    from multiprocessing.context import BaseContext
    from multiprocessing.process import BaseProcess

__all__ = ["check_side_by_side"]

# A target's check; None: the target cannot run here, left out (and named in a note).
TargetCheck = Callable[[], TargetResult | None]
_Answer = tuple[TargetResult | None, bool]  # a worker's: the result, if any, and whether it was cut short
_STOPPING_S = 60.0  # for stopped workers to stop their harnesses and answer
_RESEND_S = 10.0  # longer than a worker takes to stop its harness (Harness.stop: at most 3 x 2 s)


def check_side_by_side(checks: Sequence[TargetCheck], *, jobs: int) -> tuple[list[TargetResult], bool]:
    """The targets' results in the order of `checks`, whatever order they finish in, and whether
    the run was interrupted. Ctrl-C or SIGTERM here stops the workers; the targets they had
    finished are kept."""
    import multiprocessing  # here, not at the top: a run in turn does not pay for it
    from concurrent.futures import ProcessPoolExecutor

    before = set(multiprocessing.active_children())
    ours = sorted(name for name in sys.modules if name.partition(".")[0] == __package__)
    with ProcessPoolExecutor(jobs, _context(), initializer=_start_worker, initargs=(ours,)) as pool:
        futures = [pool.submit(_check_in_worker, check) for check in checks]
        try:
            answers = [future.result() for future in futures]
        except KeyboardInterrupt:
            _stop(futures, set(multiprocessing.active_children()) - before)
            answers = [_answer_if_any(future) for future in futures]
            return [result for result, _ in answers if result is not None], True
        except BaseException:  # a check raised (a usage error): the others need not finish
            _stop(futures, set(multiprocessing.active_children()) - before)
            raise
    return [result for result, _ in answers if result is not None], any(cut for _, cut in answers)


def _context() -> BaseContext:
    """A forkserver that has imported the gate once, where there is one (each worker forks from
    it, cheap and with no thread of ours copied); else a fresh interpreter per worker."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([f"{__package__}.client._gate"])
    return context


def _start_worker(modules: Sequence[str]) -> None:
    """Ctrl-C from a terminal reaches every process of the group: the parent alone decides, and
    stops the workers with SIGTERM, which stops a check (an idle worker ignores it). And the
    worker loads our modules the parent had loaded: Hypothesis draws some values from the
    constants of the modules loaded from outside site-packages (a checkout), so the same seed
    draws the same cases in a worker as in turn."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # between checks: nothing to stop
    for name in modules:
        importlib.import_module(name)


def _check_in_worker(check: TargetCheck) -> _Answer:
    """Runs in a worker: the check's result, or what it had when SIGTERM stopped it."""
    try:
        with stopping_on_signals((signal.SIGTERM,)):
            return check(), False
    except Interrupted as interrupted:
        return interrupted.result, True
    except KeyboardInterrupt:
        return None, True


def _stop(futures: Sequence[Future[_Answer]], workers: set[BaseProcess]) -> None:
    """Cancels what has not started and stops what has: SIGTERM, as on Ctrl-C, again now and then
    (Python drops a KeyboardInterrupt raised in a garbage collector callback), then SIGKILL."""
    from concurrent.futures import wait

    for future in futures:
        future.cancel()
    deadline = time.monotonic() + _STOPPING_S
    while time.monotonic() < deadline and not all(future.done() for future in futures):
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        wait(futures, timeout=_RESEND_S)
    for worker in workers:
        if worker.is_alive() and not all(future.done() for future in futures):
            worker.kill()


def _answer_if_any(future: Future[_Answer]) -> _Answer:
    if not future.done() or future.cancelled() or future.exception() is not None:
        return None, True
    return future.result()
