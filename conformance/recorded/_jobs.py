"""`validate --jobs`: a big input judged in contiguous chunks, side by side, one per process.

Forked workers: the oracle and its pre-filter are built once, in the parent, and each worker
starts with them and with its chunk of the payloads already in memory (nothing is pickled on
the way in). A worker answers with the finished output of its chunk (`output_piece`: `--json`
entries or text lines) and its count of conforming payloads, never with Evaluation objects
(pickling 40,000 of them costs more than judging them side by side saves). The parent judges
the first chunk itself and writes the pieces in order: the bytes and the exit status are those
of `--jobs 1`.

Ctrl-C reaches the whole process group: workers ignore it and the parent, which decides, stops
them with SIGTERM (their default action: they hold nothing to clean up), then SIGKILL.
"""

from __future__ import annotations

import gc
import signal
from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

from drun_conformance._cpus import usable_cpus
from drun_conformance._errors import DrunError
from drun_conformance.oracle import Oracle

from ._prefilter import PreFilter
from ._validate import Recorded, evaluate, judges, output, output_piece, read_inputs

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

__all__ = ["PER_JOB", "WorkerLost", "jobs_for", "validate_output"]

# Payloads a worker judges at least, by default. A second process costs a fixed ~30 ms of wall
# and ~40-90 ms of CPU (importing multiprocessing, the fork, pages copied on write, the piece
# handed back), and a payload takes ~55 us: measured on 2 CPUs, the whole command saved 0-40 ms
# of ~250 ms at 2,000 payloads (noise-deep), 25-75 ms of 350-400 ms at 3,000-4,000, and 27-44%
# of its wall time at 40,000 (bench/bench_validate.py; nothing when another process held a CPU).
PER_JOB = 1500
_MAX_JOBS = 8  # the default's cap: each worker costs a fork and a piece to join, whatever it judges
_STOPPING_S = 5.0  # for a stopped worker to go after SIGTERM, before SIGKILL
_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_Answer = tuple[bytes, int]  # a chunk's output piece and its count of conforming payloads
_Judges = tuple[Oracle, PreFilter | None]  # built once, in the parent: the workers start with them


class WorkerLost(DrunError):
    """A worker died or failed: some payloads were never judged, so the run is incomplete."""

    exit_status = 4  # DESIGN.md's "incomplete", not 1: nothing was found to violate anything


def validate_output(
    paths: Sequence[str], *, as_json: bool, jobs: int | None = None, oracle: Oracle | None = None
) -> tuple[bytes, bool]:
    """What `validate` writes for `paths`, and whether every payload conforms. `jobs`: worker
    processes, the parent's own included (None: `jobs_for` decides; 1: judged in turn)."""
    judging = judges(oracle)
    records = list(read_inputs(paths))
    count = jobs_for(records, jobs)
    if count == 1:
        pieces = [_judge(judging, records, as_json)]
    else:
        bounds = [len(records) * i // count for i in range(count + 1)]
        pieces = _side_by_side(judging, [records[start:stop] for start, stop in pairwise(bounds)], as_json)
    conforming = sum(conforms for _, conforms in pieces)
    document = output([piece for piece, _ in pieces], len(records), conforming, as_json=as_json)
    return document, conforming == len(records)


def jobs_for(records: Sequence[Recorded], jobs: int | None) -> int:
    """How many processes judge `records`: one when any payload comes with an exchange (the
    run ids seen are shared from payload to payload) or where fork is not offered; else `jobs`,
    at most one per payload; by default one per CPU, each with at least PER_JOB payloads."""
    if jobs is None:
        jobs = min(usable_cpus(), _MAX_JOBS, len(records) // PER_JOB)
    if min(jobs, len(records)) < 2 or any(r.exchange is not None for r in records):
        return 1
    import multiprocessing  # only now: a small input, judged in turn, does not pay for it

    return min(jobs, len(records)) if "fork" in multiprocessing.get_all_start_methods() else 1


def _judge(judging: _Judges, records: Sequence[Recorded], as_json: bool) -> _Answer:
    return output_piece(evaluate(records, *judging), as_json=as_json)


def _side_by_side(judging: _Judges, chunks: Sequence[Sequence[Recorded]], as_json: bool) -> list[_Answer]:
    """The chunks' answers in order: the first judged here while workers judge the others."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    workers: list[tuple[BaseProcess, Connection]] = []
    try:
        for chunk in chunks[1:]:
            reader, writer = context.Pipe(duplex=False)
            worker = context.Process(target=_work, args=(judging, chunk, as_json, writer), daemon=True)
            workers.append((worker, reader))  # before it starts: a Ctrl-C from here on stops it
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)  # until it is ours to stop
            try:
                worker.start()
            finally:
                writer.close()  # the worker's alone: its end of file says it is gone
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        answers = [_judge(judging, chunks[0], as_json)]
        answers += [_answer(worker, reader) for worker, reader in workers]
        return answers
    finally:
        _stop(workers)


def _work(judging: _Judges, chunk: Sequence[Recorded], as_json: bool, writer: Connection) -> None:
    """In a worker: judge the chunk, send the answer. A fault of ours is sent as its text."""
    gc.disable()  # short-lived, no cycles made, and collecting would copy the parent's pages
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides, and stops us with SIGTERM
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
    try:
        answer: _Answer | str = _judge(judging, chunk, as_json)
    except Exception as exc:  # our own bug: the parent reports it in one line
        answer = f"{type(exc).__name__}: {exc}"
    try:
        writer.send(answer)
    except OSError:  # the parent is gone, or stopped listening: nobody needs the answer
        pass


def _answer(worker: BaseProcess, reader: Connection) -> _Answer:
    try:
        answer: _Answer | str = reader.recv()
    except EOFError:
        worker.join(_STOPPING_S)
        raise WorkerLost(
            f"a validate worker process (pid {worker.pid}) stopped before it answered"
            f" ({_how(worker.exitcode)}); nothing was written (--jobs 1 judges in this process)"
        ) from None
    if isinstance(answer, str):
        raise WorkerLost(f"a validate worker process failed: {answer}; nothing was written")
    return answer


def _how(exitcode: int | None) -> str:
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit status {exitcode}"


def _stop(workers: Sequence[tuple[BaseProcess, Connection]]) -> None:
    """No worker outlives the command: those still judging (Ctrl-C, a worker's fault) get
    SIGTERM, then SIGKILL; every one is waited for."""
    for worker, reader in workers:
        reader.close()  # a worker still sending gets EPIPE and goes
        if worker.pid is not None and worker.exitcode is None:
            worker.terminate()
    for worker, _ in workers:
        if worker.pid is None:
            continue
        worker.join(_STOPPING_S)
        if worker.exitcode is None:
            worker.kill()
            worker.join()
