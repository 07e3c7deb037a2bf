"""A reader that leaves early (`drun-conformance ... | head`) ends the command quietly, with the
status a shell gives a command whose reader left (141), never a BrokenPipeError traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .conftest import drun_command

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "args",
    [("spec", "build", "--out", "{tmp}"), ("validate", "{tmp}/runs.jsonl")],
    ids=["spec-build", "validate"],
)
def test_output_to_a_pipe_nobody_reads_ends_quietly(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "runs.jsonl").write_text('{"id": 1}\n' * 5000)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte
    try:
        done = subprocess.run(
            [*drun_command(), *(a.format(tmp=tmp_path) for a in args)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert b"Traceback" not in done.stderr and b"BrokenPipeError" not in done.stderr, done.stderr[-400:]
    assert done.returncode == 141
