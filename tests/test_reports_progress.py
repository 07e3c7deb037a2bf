"""Progress: plain lines every 10% or 5 s in CI and logs; rich on a terminal."""

from __future__ import annotations

import io

import pytest

from drun_conformance.reports import Progress, progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_prints_every_ten_percent_and_a_final_line() -> None:
    out, clock = io.StringIO(), Clock()
    with Progress(50, "server", stream=out, mode="plain", clock=clock) as bar:
        for _ in range(50):
            clock.now += 0.01
            bar.advance()
    lines = out.getvalue().splitlines()
    assert lines[0] == "server: 5/50 (10%)"
    assert lines[9] == "server: 50/50 (100%)"
    assert lines[10] == "server: finished 50/50 (100%) in 0.5 s"
    assert len(lines) == 11


def test_plain_prints_after_five_quiet_seconds() -> None:
    out, clock = io.StringIO(), Clock()
    bar = Progress(1000, "sdk", stream=out, mode="plain", clock=clock)
    bar.advance()  # 0.1%: no line yet
    assert out.getvalue() == ""
    clock.now = 5.5
    bar.advance()
    assert out.getvalue() == "sdk: 2/1000 (0%)\n"
    bar.note("429: waiting 2 s")
    bar.close()
    bar.close()  # idempotent
    assert out.getvalue().splitlines()[1:] == ["sdk: 429: waiting 2 s", "sdk: finished 2/1000 (0%) in 5.5 s"]


def test_unknown_total() -> None:
    out = io.StringIO()
    with progress(0, "run", stream=out, mode="plain") as bar:
        bar.advance(3)
    assert out.getvalue().splitlines()[-1].startswith("run: finished 3 in ")


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("ci", "mode"), [(None, "rich"), ("true", "plain"), ("1", "plain"), ("false", "rich")]
)
def test_mode_follows_the_terminal_and_ci(monkeypatch: pytest.MonkeyPatch, ci: str | None, mode: str) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with progress(4, "x", stream=Tty()) as bar:
        assert bar.mode == mode
    with progress(4, "x", stream=io.StringIO()) as bar:
        assert bar.mode == "plain"  # not a terminal


def test_rich_mode_runs_and_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    out = Tty()
    with progress(3, "server", stream=out) as bar:
        bar.advance()
        bar.note("a note")
        bar.advance(2)
    assert "a note" in out.getvalue() and "3/3" in out.getvalue()
