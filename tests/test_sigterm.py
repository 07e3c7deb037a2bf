"""SIGTERM (a CI job cancelled) stops `client` and `run` as Ctrl-C does: the reports are
written, marked partial, and nothing is left running. (`server`: tests/test_server_hostile.py.)"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ._processes import children, command_line, in_group, running
from .client_mutants import misbehaving_command
from .conftest import drun_command, eventually

pytestmark = pytest.mark.slow


def _terminate_when(
    ready: Callable[[subprocess.Popen[bytes]], bool],
    args: list[str],
    report_dir: Path,
    env: dict[str, str] | None = None,
) -> str:
    process = subprocess.Popen(
        [*drun_command(), *args, "--report-dir", str(report_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 90
        while not ready(process) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert process.poll() is None, "it ended before it was stopped"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 4, out + err
    assert b"interrupted; writing what was checked so far" in err and b"Traceback" not in err
    assert b"verdict: incomplete (partial run)" in out
    results = json.loads((report_dir / "results.json").read_text())
    assert results["partial"] is True and results["verdict"] == "incomplete"
    assert "partial" in (report_dir / "report.html").read_text().lower()
    return (report_dir / "junit.xml").read_text()


def test_sigterm_stops_the_sdk_gate_with_partial_reports_and_stops_the_harness(tmp_path: Path) -> None:
    harness: list[int] = []

    def hanging(process: subprocess.Popen[bytes]) -> bool:  # the harness started: a run is waiting on it
        harness[:] = children(process.pid)
        return bool(harness)

    hang = misbehaving_command("hang")
    _terminate_when(hanging, ["client", "--harness", hang, "--timeout", "600", "--examples", "0"], tmp_path)
    time.sleep(0.5)
    left = {pid: command_line(pid)[:80] for pid in harness if Path(f"/proc/{pid}").exists()}
    assert not left  # no harness left behind (nor its exit unreaped)


def test_sigterm_stops_the_main_job_with_partial_reports(tmp_path: Path) -> None:
    def checking(process: subprocess.Popen[bytes]) -> bool:  # the server is checked, the SDK gates begun
        return any(b"anthropic_python" in command_line(pid) for pid in children(process.pid))

    _terminate_when(checking, ["run", "--seed", "1"], tmp_path / "reports")


def test_sigterm_while_the_main_job_installs_an_sdk_keeps_the_server_results(tmp_path: Path) -> None:
    """`run` installs each SDK when its gate starts, inside the run: stopped during an install (a
    package index on loopback that never answers), the reports hold the server checked before."""
    pip: list[int] = []

    def installing(process: subprocess.Popen[bytes]) -> bool:
        pip[:] = [pid for pid in children(process.pid) if b"install" in command_line(pid)]
        return bool(pip)

    with socket.create_server(("127.0.0.1", 0)) as index:  # connections queue, none is answered
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        env |= {
            "DRUN_CACHE_DIR": str(tmp_path / "cache"),
            "PIP_INDEX_URL": f"http://127.0.0.1:{index.getsockname()[1]}/",
        }
        _terminate_when(installing, ["run", "--seed", "1"], tmp_path / "reports", env)
    results = json.loads((tmp_path / "reports" / "results.json").read_text())
    assert [t["kind"] for t in results["targets"]] == ["server"]
    assert results["targets"][0]["verdict"] == "conformant"
    assert not any(running(pid) for pid in pip)  # the install is stopped too


def test_an_interrupt_whose_exception_was_dropped_still_stops_the_check() -> None:
    """Python drops a KeyboardInterrupt raised inside a finalizer: the next request stops anyway."""
    from drun_conformance._interrupt import stopping_on_signals
    from drun_conformance.results import Interrupted
    from drun_conformance.server import ServerOptions, check_server

    assert threading.current_thread() is threading.main_thread()  # where signal handlers run
    with stopping_on_signals():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        except KeyboardInterrupt:
            pass  # as a finalizer would drop it
        with pytest.raises(Interrupted) as stopped:
            check_server(ServerOptions(seed=1, deployment_ids=("depl_ok",)))
    assert stopped.value.result.notes[-1] == "interrupted" and stopped.value.result.requests == 0
    check_server(ServerOptions(seed=1, max_requests=3))  # once out of it, nothing is left pending


_SIGTERM_IN_A_GC_CALLBACK = """
import gc, os, signal, sys, time
from drun_conformance._interrupt import raise_if_interrupted, stopping_on_signals

def callback(phase, info):  # as Hypothesis's gc timer is: SIGTERM lands while it runs
    if phase == "start":
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.5)

with stopping_on_signals():
    gc.callbacks.append(callback)
    gc.collect()
    gc.callbacks.remove(callback)
    try:
        raise_if_interrupted()
    except KeyboardInterrupt:
        sys.exit(4)
"""


def test_an_interrupt_dropped_in_a_gc_callback_prints_no_traceback() -> None:
    """Python prints an exception a gc callback raises ("Exception ignored in", a traceback): the
    user stopping a run must not see one, and the stop is still remembered."""
    done = subprocess.run([sys.executable, "-c", _SIGTERM_IN_A_GC_CALLBACK], capture_output=True, timeout=60)
    assert done.returncode == 4, done.stderr
    assert b"Traceback" not in done.stderr and b"Exception ignored" not in done.stderr, done.stderr


_SIGTERM_WHILE_DEFERRED = """
import os, signal, sys, time
from drun_conformance._interrupt import interrupts_deferred, stopping_on_signals

with stopping_on_signals():
    try:
        with interrupts_deferred():  # as a harness's Popen is
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.2)
            print("held", flush=True)  # reached: the stop waited for the block's end
    except KeyboardInterrupt:
        sys.exit(4)
sys.exit(0)
"""


def test_a_stop_during_a_deferred_step_is_taken_at_its_end() -> None:
    """A harness started as SIGTERM came was left running, never held, so never stopped (seen
    under load): the stop now waits until the process is held, then stops it."""
    done = subprocess.run([sys.executable, "-c", _SIGTERM_WHILE_DEFERRED], capture_output=True, timeout=60)
    assert done.returncode == 4 and done.stdout == b"held\n", (done.stdout, done.stderr)
    assert b"Traceback" not in done.stderr


# An install tool that starts a tool of its own (as npm, Maven, go and pip do), which runs on.
_TOOL_WITH_A_CHILD = ["sh", "-c", 'sleep 120 & echo $! > "$0"; wait', "{pid_file}"]


def _tool(pid_file: Path) -> list[str]:
    return [arg.format(pid_file=pid_file) for arg in _TOOL_WITH_A_CHILD]


def _child_of_the_tool(pid_file: Path) -> int:
    assert eventually(lambda: pid_file.exists() and pid_file.read_text().strip() != "")
    return int(pid_file.read_text())


def _ended(pids: list[int]) -> bool:
    """All of `pids` end within 10 s (a killed process may wait for a CPU to die, under load)."""
    return eventually(lambda: not any(running(pid) for pid in pids), within=10)


def test_an_install_that_times_out_ends_with_what_it_started(tmp_path: Path) -> None:
    """subprocess.run ends the tool alone on a timeout: what the tool had started ran on."""
    from drun_conformance._errors import SdkUnavailable
    from drun_conformance.client._cache import run_tool

    with pytest.raises(SdkUnavailable, match=r"cannot install a thing: .*timed out"):
        run_tool(_tool(tmp_path / "pid"), "install a thing", timeout=5)
    assert _ended([_child_of_the_tool(tmp_path / "pid")])


_ASKING_TOOL = """
import subprocess, sys
from drun_conformance._interrupt import run_tool_group

asking = [sys.executable, "-c", "import sys; sys.exit(0 if sys.stdin.read() == '' else 3)"]
try:
    print(run_tool_group(asking, timeout=5).returncode)
except subprocess.TimeoutExpired:
    print("timed out")
"""


def test_an_install_that_asks_a_question_gets_no_answer_at_once() -> None:
    """A prompt (a licence to accept, a password) would wait out the 15-minute install timeout
    on a standard input left open (a terminal, a CI runner's pipe)."""
    process = subprocess.Popen(
        [sys.executable, "-c", _ASKING_TOOL], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        said = process.stdout.read()  # standard input stays open, unwritten, meanwhile
    finally:
        process.kill()
        process.wait()
    assert said == b"0\n"


_SIGTERM_DURING_AN_INSTALL = """
import sys
from drun_conformance._interrupt import stopping_on_signals
from drun_conformance.client._cache import run_tool

with stopping_on_signals():
    try:
        run_tool(sys.argv[1:], "install a thing", timeout=120)
    except KeyboardInterrupt:
        sys.exit(4)
"""


def test_a_stop_during_an_install_ends_the_tool_and_what_it_started(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", _SIGTERM_DURING_AN_INSTALL, *_tool(tmp_path / "pid")], stderr=subprocess.PIPE
    )
    try:
        child = _child_of_the_tool(tmp_path / "pid")
        tool = [pid for pid in children(process.pid) if b"sleep 120" in command_line(pid)]
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 4, err
    assert tool and _ended([*tool, child])


_SIGTERM_WHILE_AN_INSTALL_STARTS = """
import os, signal, subprocess, sys
from drun_conformance._interrupt import run_tool_group, stopping_on_signals

class StoppedAsItStarts(subprocess.Popen):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        print(self.pid, flush=True)
        os.kill(os.getpid(), signal.SIGTERM)  # the stop lands before the tool is held

subprocess.Popen = StoppedAsItStarts
with stopping_on_signals():
    try:
        run_tool_group(sys.argv[1:], timeout=120)
    except KeyboardInterrupt:
        sys.exit(4)
"""


def test_a_stop_while_an_install_starts_ends_the_tool_and_what_it_started() -> None:
    """The stop is taken once the tool is held; the tool's own process group is ended."""
    tool = ["sh", "-c", "sleep 120 & wait"]
    done = subprocess.run(
        [sys.executable, "-c", _SIGTERM_WHILE_AN_INSTALL_STARTS, *tool], capture_output=True, timeout=60
    )
    assert done.returncode == 4, done.stderr
    group = int(done.stdout)  # the tool leads a process group of its own
    assert eventually(lambda: not in_group(group), within=10), in_group(group)
