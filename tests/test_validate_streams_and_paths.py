"""`validate`: standard input judged as it comes, with memory bounded; a payload past the limit,
and a path that is no regular file (too long a name, a FIFO, a device, a symlink loop), a clear
input error; a file name never printed raw in text mode."""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from unittest import mock

import pytest

from drun_conformance._errors import InputError
from drun_conformance._files import read_regular, shown
from drun_conformance.cli import main
from drun_conformance.recorded import _validate

from .conftest import VALID_RUN, drun_command, run_cli

_LINE = json.dumps(VALID_RUN).encode() + b"\n"


class _EndlessStdin(io.RawIOBase):
    """Standard input that never ends: one payload line after another, counting what was read."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = (_LINE * (len(buffer) // len(_LINE) + 1))[: len(buffer)]
        buffer[: len(data)] = data
        self.read_bytes += len(data)
        return len(data)


def test_standard_input_is_judged_as_it_comes() -> None:
    """The first results come before the stream ends, having read little of it (it never ends)."""
    raw = _EndlessStdin()
    with mock.patch.object(sys, "stdin", io.TextIOWrapper(io.BufferedReader(raw))):
        results = _validate.judged(_validate.read_inputs(["-"]), *_validate.judges(None))
        first = [next(results) for _ in range(3)]
    assert [r.source for r in first] == ["stdin:1", "stdin:2", "stdin:3"]
    assert all(r.evaluation.conforms for r in first)
    assert raw.read_bytes < 64 * 1024


def _validate_in_process(*args: str, stdin: bytes = b"") -> tuple[int, bytes, str]:
    out, err = io.TextIOWrapper(io.BytesIO()), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        mock.patch.object(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin))),
    ):
        status = main(["validate", *args])
    out.flush()
    return status, out.buffer.getvalue(), err.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize("where", ["stdin", "jsonl", "json"])
def test_a_payload_past_the_limit_is_the_same_input_error_everywhere(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_validate, "MAX_PAYLOAD", 1000)
    monkeypatch.setattr(_validate, "_CHUNK", 64)  # the stream is read in many parts
    long = b'{"id": "' + b"x" * 2000 + b'"}'
    if where == "stdin":
        status, out, err = _validate_in_process("-", stdin=_LINE + long + b"\n" + _LINE)
        source = "stdin:2"
    else:
        (tmp_path / f"in.{where}").write_bytes(long if where == "json" else _LINE + long + b"\n")
        status, out, err = _validate_in_process(str(tmp_path / f"in.{where}"))
        source = str(tmp_path / f"in.{where}") + (":2" if where == "jsonl" else "")
    assert status == 2, err
    assert err == (
        f"drun-conformance: {source}: a payload of more than 1,000 bytes, more than validate reads"
        " (a Run Deployment Now answer is a few hundred bytes): not judged\n"
    )
    assert b"stdin:3" not in out  # judged no further


def test_a_line_at_the_limit_is_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_validate, "MAX_PAYLOAD", len(_LINE) - 1)  # the line without its newline
    monkeypatch.setattr(_validate, "_CHUNK", 7)
    status, out, err = _validate_in_process("--json", "-", stdin=_LINE + _LINE.rstrip())
    assert (status, err) == (0, "")
    assert json.loads(out)["summary"] == {"payloads": 2, "conforming": 2, "violating": 0}


@pytest.mark.parametrize("mode", [[], ["--json"]], ids=["text", "json"])
def test_standard_input_writes_what_a_file_would(mode: list[str], tmp_path: Path) -> None:
    """The same bytes as judging the lines from a file, but for the source names."""
    lines = _LINE + b"{not json\n\n" + json.dumps({**VALID_RUN, "session_id": ""}).encode() + b"\n"
    (tmp_path / "stdin.jsonl").write_bytes(lines)
    from_stdin = _validate_in_process(*mode, "-", stdin=lines)
    from_file = _validate_in_process(*mode, str(tmp_path / "stdin.jsonl"))
    assert from_stdin[0] == from_file[0] == 1
    assert from_stdin[1] == from_file[1].replace(str(tmp_path / "stdin.jsonl").encode(), b"stdin")


def test_names_are_escaped_in_text_and_exact_in_json(tmp_path: Path) -> None:
    name = "evil\nfake.json: VIOLATES\x1b[31m.json"
    (tmp_path / name).write_bytes(_LINE)
    status, out, _ = _validate_in_process(str(tmp_path / name))
    assert status == 0
    assert out.decode().splitlines() == [
        f"{tmp_path}/evil\\nfake.json: VIOLATES\\x1b[31m.json: conforms",
        "1 payload: 1 conforming, 0 violating",
    ]
    status, out, _ = _validate_in_process("--json", str(tmp_path / name))
    assert json.loads(out)["results"][0]["source"] == str(tmp_path / name)


def test_shown_escapes_what_a_terminal_acts_on() -> None:
    assert shown("runs é.jsonl") == "runs é.jsonl"
    assert shown("a\r\nb\x1b[2J\x00\u2028") == "a\\r\\nb\\x1b[2J\\x00\\u2028"
    assert shown(b"not \xff utf-8".decode("utf-8", "surrogateescape")) == "not \\xff utf-8"


def _bad_paths(folder: Path) -> dict[str, tuple[str, str]]:
    """name -> (the path, the words of its error)."""
    os.mkfifo(folder / "fifo.json")
    (folder / "zero.json").symlink_to("/dev/zero")
    (folder / "loop1.json").symlink_to(folder / "loop2.json")
    (folder / "loop2.json").symlink_to(folder / "loop1.json")
    return {
        "long": (str(folder / ("a" * 300 + ".json")), "the name is too long for this system"),
        "fifo": (str(folder / "fifo.json"), "a named pipe (FIFO), not a regular file"),
        "device": (str(folder / "zero.json"), "a device, not a regular file"),
        "loop": (str(folder / "loop1.json"), "a loop of symbolic links"),
        "missing": (str(folder / "nope.json"), "no such file"),
    }


@pytest.mark.parametrize("case", ["long", "fifo", "device", "loop", "missing"])
def test_a_path_that_is_no_regular_file_is_an_input_error(case: str, tmp_path: Path) -> None:
    path, words = _bad_paths(tmp_path)[case]
    status, out, err = _validate_in_process(path, stdin=_LINE)
    assert (status, out) == (2, b"")
    assert err.startswith(f"drun-conformance: cannot read {path}: {words}")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_file_swapped_for_a_fifo_after_the_check_is_refused(tmp_path: Path) -> None:
    """The read opens without blocking and looks again: a FIFO never blocks it."""
    os.mkfifo(tmp_path / "late.json")
    with pytest.raises(InputError, match="a named pipe"):
        read_regular(str(tmp_path / "late.json"))


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _feed_forever(stdin: io.BufferedWriter, stop: threading.Event) -> None:
    block = _LINE * 256
    with contextlib.suppress(OSError, ValueError):  # the command stopped reading
        while not stop.is_set():
            stdin.write(block)
            stdin.flush()


def _at_most_2_gb() -> None:
    """A safety net, should reading all of standard input first come back: it must not eat the host."""
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


@pytest.mark.slow
@pytest.mark.parametrize("mode", [[], ["--json"]], ids=["text", "json"])
def test_an_endless_stdin_runs_in_bounded_memory_and_stops_on_sigterm(mode: list[str]) -> None:
    process = subprocess.Popen(
        [*drun_command(), "validate", *mode, "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_at_most_2_gb,
    )
    assert process.stdin is not None and process.stdout is not None
    stop = threading.Event()
    feeder = threading.Thread(target=_feed_forever, args=(process.stdin, stop), daemon=True)
    feeder.start()
    out: list[bytes] = []
    reader = threading.Thread(target=lambda: out.append(process.stdout.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        time.sleep(4)  # before: ~600 MB/s read into memory, nothing judged
        rss = _rss_kb(process.pid)
        process.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        process.wait(timeout=10)
        stopped_in = time.monotonic() - sent
    finally:
        stop.set()
        process.kill()
        feeder.join(5)
    reader.join(10)
    err = process.stderr.read()  # type: ignore[union-attr]
    assert (process.returncode, err) == (130, b"drun-conformance: interrupted\n")
    assert stopped_in < 3, f"stopped {stopped_in:.1f} s after SIGTERM"
    assert rss < 250_000, f"{rss} kB resident"
    if mode:
        document = json.loads(out[0])  # the document of what was judged so far
        assert document["summary"]["payloads"] == len(document["results"]) > 1000
    else:
        lines = out[0].decode().splitlines()
        judged = len(lines) - 1
        assert judged > 1000 and lines[-1] == f"{judged} payloads: {judged} conforming, 0 violating"


@pytest.mark.slow
def test_the_paths_repro_gives_clear_errors(tmp_path: Path) -> None:
    """As the hostile tester ran it: a process each, exit 2, one line, no traceback."""
    for path, words in _bad_paths(tmp_path).values():
        result = run_cli("validate", path)
        assert result.returncode == 2 and result.stdout == b""
        assert words.encode() in result.stderr and result.stderr.count(b"\n") == 1, result.stderr
