"""Hostile SDK harnesses: each is a finding against client.harness.protocol (exit 1), or exit 3
for one that never starts; never a crash of the suite, never a hang."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from drun_conformance.client._harness import MAX_LINE, Harness, HarnessFault

from .client_mutants import misbehaving_command
from .conftest import run_cli

pytestmark = pytest.mark.slow

OUR_FRAME = re.compile(r'File "[^"]*/(conformance|reports|strategies|spec|drun_conformance)/')
# mode -> (exit status, what the client.harness.protocol finding says)
HOSTILE = {
    "crash": (3, "the harness exited with status 1 during start"),
    "exit-mid-run": (1, "the harness exited with status 0 during "),  # whichever call is its third
    "out-of-order": (1, "the harness answered seq "),
    "huge-line": (1, f"the harness wrote a line longer than {MAX_LINE} bytes"),
    "endless": (1, "the harness answered run with a line that is not JSON"),
}


@pytest.mark.parametrize("mode", HOSTILE)
def test_a_hostile_harness_is_a_protocol_finding(mode: str, tmp_path: Path) -> None:
    status, words = HOSTILE[mode]
    started = time.monotonic()
    done = run_cli(
        "client",
        *("--harness", misbehaving_command(mode), "--examples", "0", "--timeout", "10", "--seed", "1"),
        *("--report-dir", str(tmp_path)),
    )
    elapsed = time.monotonic() - started
    out, err = done.stdout.decode(), done.stderr.decode()
    assert done.returncode == status, out + err
    assert not OUR_FRAME.search(err)  # the suite did not crash (the harness's own traceback may show)
    results = json.loads((tmp_path / "results.json").read_text())
    (target,) = results["targets"]
    protocol = next(r for r in target["requirements"] if r["id"] == "client.harness.protocol")
    assert protocol["status"] == "failed" and protocol["message"].startswith(words), protocol
    if mode == "out-of-order":  # the answer meant for the run before
        stale, asked = map(int, re.findall(r"\d+", protocol["message"]))
        assert stale == asked - 1
    assert target["identity"]["reached"] is (status != 3)
    assert elapsed < 110  # well inside run_cli's 120 s: the timeouts, not the harness, end it


def _start(mode: str) -> Harness:
    harness = Harness([*misbehaving_command(mode).split(" ")], call_timeout=10)
    assert not isinstance(harness.start(), HarnessFault)
    return harness


def _run(harness: Harness, seq: int) -> dict[str, object] | HarnessFault:
    return harness.run(seq=seq, base_url="http://127.0.0.1:9", api_key="k", deployment_id="d", betas=None)


def test_a_harness_that_exits_mid_run_is_started_again_for_the_next_call() -> None:
    with _start("exit-mid-run") as harness:
        assert [isinstance(_run(harness, seq), HarnessFault) for seq in (1, 2, 3, 4)] == [
            False,
            False,
            True,
            False,
        ]
        assert harness.starts == 2


def test_a_flooding_harness_is_stopped_without_reading_it_all() -> None:
    with _start("endless") as harness:
        fault = _run(harness, 1)
        assert isinstance(fault, HarnessFault) and fault.line == "[log] still calling the SDK"
        assert not harness.alive
