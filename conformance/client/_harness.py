"""Driving one SDK harness process over the JSON-lines protocol of spec/harness/.

The harness is the target: whatever it does (answers garbage, the wrong `seq`, nothing, or
dies) comes back as a `HarnessFault` value with a message a person can act on, never as an
exception. Every call has a timeout; a harness that faulted is stopped, and `ensure_started`
starts a fresh one for the next call. A call the gate has already judged (`decided`: the mock
saw the request that decides its finding) waits a moment more for the answer, then is
abandoned: the harness is stopped as after a fault, but the call is no fault of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from drun_conformance._interrupt import interrupts_deferred

from ._protocol import PROTOCOL_VERSION, Command, check_command, response_problem

__all__ = ["MAX_LINE", "Harness", "HarnessFault", "Implementation", "read_answer"]

MAX_LINE = 64 * 1024 * 1024  # a run with 10,000-character strings is far below this
_STDERR_TAIL = 4096
_STOP_GRACE = 2.0
_QUEUED_LINES = 64  # a harness that floods its output waits for us (a full pipe), never fills memory
DECIDED_GRACE = 0.5  # after a call is decided: long enough for an SDK that stops, short of a retry


@dataclass(frozen=True, slots=True)
class Implementation:
    name: str
    version: str
    language: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "language": self.language}


@dataclass(frozen=True, slots=True)
class _Decided:
    """Put in the answer queue when call `seq` is decided (see `Harness.decided`)."""

    seq: int


@dataclass(frozen=True, slots=True)
class HarnessFault:
    """The harness gave no valid answer. `kind`: garbage, timeout, died, refused; abandoned
    (the call was decided before it answered: no fault of the harness)."""

    kind: str
    message: str
    line: str | None = None  # what it wrote, when it wrote something


_Lines = queue.Queue[bytes | HarnessFault | _Decided | None]  # what the reader hands the caller


class Harness:
    """One harness command, started on demand. Not thread-safe: one call at a time."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,  # default: ours (see _sdks.harness_environment)
        cwd: str | None = None,
        start_timeout: float = 60.0,
        call_timeout: float = 20.0,
    ) -> None:
        self.argv = list(argv)
        self._env = dict(env) if env is not None else None
        self._cwd = cwd
        self.start_timeout = start_timeout
        self.call_timeout = call_timeout
        self.implementation: Implementation | None = None
        self.starts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._lines: _Lines = queue.Queue(_QUEUED_LINES)
        self._stderr: deque[bytes] = deque()
        self._stopped = threading.Event()  # tells this process's output reader to give up

    # --- life cycle ---------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def ensure_started(self) -> Implementation | HarnessFault:
        if self.alive and self.implementation is not None:
            return self.implementation
        return self.start()

    def start(self) -> Implementation | HarnessFault:
        self.stop()
        self.starts += 1
        self._lines, self._stderr = queue.Queue(_QUEUED_LINES), deque()
        self._stopped = threading.Event()
        try:
            with interrupts_deferred():  # a stop in Popen would leave the harness running, unheld
                self._process = subprocess.Popen(
                    self.argv,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=self._env,
                    cwd=self._cwd,
                    start_new_session=True,  # its own process group: stopping it stops its children
                )
        except OSError as exc:
            return HarnessFault("died", f"the harness command could not start: {exc.strerror or exc}")
        assert self._process.stdout is not None and self._process.stderr is not None
        threading.Thread(
            target=_read_lines, args=(self._process.stdout, self._lines, self._stopped), daemon=True
        ).start()
        threading.Thread(
            target=self._read_stderr, args=(self._process.stderr, self._stderr), daemon=True
        ).start()
        answer = self._exchange({"cmd": "start", "protocol": PROTOCOL_VERSION}, "start", self.start_timeout)
        if isinstance(answer, HarnessFault):
            self.stop(graceful=False)
            return answer
        if answer.get("ok") is not True:
            self.stop()
            return HarnessFault("refused", f"the harness cannot run: {answer.get('message')}")
        info = answer["implementation"]
        self.implementation = Implementation(info["name"], info["version"], info["language"])
        return self.implementation

    def stop(self, *, graceful: bool = True) -> None:
        """Ask the harness to stop, then make sure it did (its whole process group). After a
        fault it is not asked: a harness that hung would not read the request."""
        process, self._process = self._process, None
        self.implementation = None
        self._stopped.set()
        if process is None:
            return
        if graceful and process.poll() is None:
            with contextlib.suppress(OSError):
                assert process.stdin is not None
                process.stdin.write(b'{"cmd": "stop"}\n')
                process.stdin.flush()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(_STOP_GRACE)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if process.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(_STOP_GRACE)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # children it left behind
        for stream in (process.stdin, process.stdout, process.stderr):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()

    def decided(self, seq: int) -> None:
        """Call `seq` needs no answer any more (thread-safe): it gets DECIDED_GRACE to answer,
        then is abandoned."""
        with contextlib.suppress(queue.Full):
            self._lines.put_nowait(_Decided(seq))

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- one call -----------------------------------------------------------------------

    def run(
        self, *, seq: int, base_url: str, api_key: str, deployment_id: str, betas: Sequence[str] | None
    ) -> dict[str, Any] | HarnessFault:
        """One `run` command: the validated answer, or the fault (and the harness is stopped)."""
        fields = {"base_url": base_url, "api_key": api_key, "deployment_id": deployment_id}
        return self.call("run", seq, {**fields, "betas": None if betas is None else list(betas)})

    def call(self, name: Command, seq: int, fields: Mapping[str, Any]) -> dict[str, Any] | HarnessFault:
        """One call command (run, retrieve, list) with these fields: the validated answer, or
        the fault (and the harness is stopped). An `unsupported` answer is valid: no fault."""
        started = self.ensure_started()
        if isinstance(started, HarnessFault):
            return started
        answer = self._exchange({"cmd": name, "seq": seq, **fields}, name, self.call_timeout, seq=seq)
        if isinstance(answer, HarnessFault):
            self.stop(graceful=False)
            return answer
        if answer.get("seq", seq) != seq or (answer.get("unsupported") is not True and "seq" not in answer):
            self.stop(graceful=False)
            return HarnessFault(
                "garbage",
                f"the harness answered seq {answer.get('seq')!r} to {name} {seq}",
                json.dumps(answer)[:300],
            )
        return answer

    def _exchange(
        self, command: dict[str, Any], name: Command, timeout: float, *, seq: int | None = None
    ) -> dict[str, Any] | HarnessFault:
        check_command(command)
        process = self._process
        assert process is not None and process.stdin is not None
        try:
            process.stdin.write(json.dumps(command, ensure_ascii=False).encode() + b"\n")
            process.stdin.flush()
        except OSError:
            return self._died(name)
        deadline, decided = time.monotonic() + timeout, False
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                if decided:
                    return HarnessFault("abandoned", f"{name} {seq} was decided before the harness answered")
                return HarnessFault("timeout", f"the harness gave no answer to {name} within {timeout:g} s")
            if not isinstance(line, _Decided):
                break
            if line.seq == seq and not decided:  # an earlier call's is stale
                decided, deadline = True, min(deadline, time.monotonic() + DECIDED_GRACE)
        if line is None:
            return self._died(name)
        if isinstance(line, HarnessFault):
            return line
        return read_answer(name, line)

    def _died(self, name: str) -> HarnessFault:
        process = self._process
        status = None
        if process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                status = process.wait(1.0)
        time.sleep(0.05)  # let the stderr reader catch the last words
        tail = b"".join(self._stderr).decode("utf-8", "replace").strip()
        last_words = f"; its standard error ends: {tail[-400:]}" if tail else ""
        how = f"exited with status {status}" if status is not None else "closed its output"
        return HarnessFault("died", f"the harness {how} during {name}{last_words}")

    # --- readers (threads) --------------------------------------------------------------

    @staticmethod
    def _read_stderr(stream: IO[bytes], tail: deque[bytes]) -> None:
        size = 0
        with contextlib.suppress(OSError, ValueError):
            while chunk := stream.read1(4096):  # type: ignore[attr-defined]
                tail.append(chunk)
                size += len(chunk)
                while size > _STDERR_TAIL and len(tail) > 1:
                    size -= len(tail.popleft())


def read_answer(name: Command, line: bytes) -> dict[str, Any] | HarnessFault:
    """One line the harness wrote, as the answer to `name`: the message, or why it is none."""
    text = line.decode("utf-8", "replace").rstrip("\r\n")
    try:
        message = json.loads(line, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deeply
        return HarnessFault(
            "garbage", f"the harness answered {name} with a line that is not JSON", text[:300]
        )
    try:
        problem = response_problem(name, message)
    except RecursionError:
        problem = "it is nested too deeply to check"
    if problem is not None:
        return HarnessFault(
            "garbage", f"the harness's answer to {name} breaks spec/harness: {problem}", text[:300]
        )
    assert isinstance(message, dict)  # every response schema is an object
    return message


def _read_lines(stream: IO[bytes], lines: _Lines, stopped: threading.Event) -> None:
    """Queue each line the harness writes; a line over MAX_LINE ends the reading (a fault)."""
    with contextlib.suppress(OSError, ValueError):
        while not stopped.is_set():
            line = stream.readline(MAX_LINE + 1)
            if not line:
                break
            if len(line) > MAX_LINE:
                _put(
                    lines,
                    HarnessFault("garbage", f"the harness wrote a line longer than {MAX_LINE} bytes"),
                    stopped,
                )
                return
            _put(lines, line, stopped)
    _put(lines, None, stopped)


def _put(lines: _Lines, line: bytes | HarnessFault | None, stopped: threading.Event) -> None:
    # A full queue waits (the harness blocks on its pipe) until read, or the harness is stopped.
    while not stopped.is_set():
        with contextlib.suppress(queue.Full):
            lines.put(line, timeout=0.1)
            return


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
