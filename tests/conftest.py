from __future__ import annotations

import contextlib
import copy
import importlib.abc
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
# CI has a browser: there a missing one fails the browser tests instead of skipping them.
REQUIRE_BROWSER = os.environ.get("DRUN_REQUIRE_BROWSER") == "1"


def needs_chromium() -> pytest.MarkDecorator:
    from drun_conformance.reports._chromium import chromium_path

    return pytest.mark.skipif(
        chromium_path() is None and not REQUIRE_BROWSER,
        reason="headless Chromium not installed (apt-get install chromium)",
    )


REPO = Path(__file__).resolve().parents[1]


# A DeploymentRun that meets every MUST and SHOULD requirement (the labelled corpus's base).
VALID_RUN: dict[str, Any] = {
    "id": "drun_01HZX3K4M5N6P7Q8R9S0T1U2V3",
    "agent": {"id": "agent_011CZkYqphY8vELVzwCUpqiQ", "type": "agent", "version": 3},
    "created_at": "2026-11-27T18:11:19.117456Z",
    "deployment_id": "depl_011CZkYqphY8vELVzwCUpqiQ",
    "error": None,
    "session_id": "sesn_011CZkYqphY8vELVzwCUpqiQ",
    "trigger_context": {"type": "manual"},
    "type": "deployment_run",
}


@pytest.fixture
def valid_run() -> dict[str, Any]:
    return copy.deepcopy(VALID_RUN)


def prefiltered(run: Any, body: bytes | None = None) -> Any:
    """`run` (its `body` bytes, when it has them) judged as validate judges it: the pre-filter
    rules out what cannot fire, the oracle's recorded-body door runs the rest (an Evaluation)."""
    from drun_conformance.oracle import Oracle
    from drun_conformance.recorded import PreFilter

    return Oracle.default().judge_recorded(run, body=body, ruled_out=PreFilter.default().cannot_fire(run))


def drun_command() -> list[str]:
    """The installed console script, as a user runs it."""
    script = shutil.which("drun-conformance") or str(Path(sys.executable).parent / "drun-conformance")
    return [script]


def run_cli(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*drun_command(), *args], input=stdin, capture_output=True, cwd=cwd, timeout=120, check=False
    )


def in_a_fresh_interpreter(function: Callable[..., Any], *args: Any) -> Any:
    """`function(*args)` (JSON in, JSON out) in a new Python process. For what Hypothesis draws:
    it mixes the constants of every local module loaded into some draws, so in a test worker a
    seeded search hangs on which tests ran there first."""
    program = (
        "import importlib, json, sys; module, name, args = json.loads(sys.argv[1]);"
        " print(json.dumps(getattr(importlib.import_module(module), name)(*args)))"
    )
    call = json.dumps([function.__module__, function.__name__, list(args)])
    done = subprocess.run(
        [sys.executable, "-c", program, call], cwd=REPO, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def eventually(condition: Callable[[], bool], within: float = 30.0) -> bool:
    """`condition` holds within `within` seconds (asked every 20 ms)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def load_json(data: bytes) -> Any:
    return json.loads(data)


class _OnlyTheInstalledPackage(importlib.abc.MetaPathFinder):
    """The repository's folders are importable from its root; the tests use drun_conformance."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name in ("conformance", "spec", "strategies", "reports"):
            raise ImportError(f"import drun_conformance, not the repository's folder {name!r}")


sys.meta_path.insert(0, _OnlyTheInstalledPackage())


# --- the fast loop: `pytest -m "not slow"` starts no process and opens no server -----------------

_STARTS = "starts a process or binds a socket: mark it slow (pytestmark = pytest.mark.slow)"


@contextlib.contextmanager
def _starts_refused(item: pytest.Item) -> Iterator[None]:
    """Outside a test marked slow, starting a process (subprocess, fork) or binding a socket (a
    server) fails the test: `-m "not slow"` stays a fast local loop. What was refused is also
    recorded, so a refusal caught by the code under test, or in a thread, still fails it."""
    if item.get_closest_marker("slow") is not None:
        yield
        return
    started: list[str] = []

    def refuse(what: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            started.append(what)
            raise RuntimeError(f"{item.nodeid} {what}: {_STARTS}")

        return refused

    patched = [(subprocess.Popen, "__init__"), (os, "fork"), (socket.socket, "bind")]
    originals = [getattr(owner, name) for owner, name in patched]
    for (owner, name), what in zip(patched, ("runs a command", "forks", "binds a socket"), strict=True):
        setattr(owner, name, refuse(what))
    try:
        yield
    finally:
        for (owner, name), original in zip(patched, originals, strict=True):
            setattr(owner, name, original)
    if started:
        pytest.fail(f"{item.nodeid} {', '.join(sorted(set(started)))}: {_STARTS}", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _starts_refused(item):  # fixtures too: a server a fixture starts is the test's
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _starts_refused(item):
        return (yield)
