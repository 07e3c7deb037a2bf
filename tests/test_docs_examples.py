"""Every code example of the README and the docs that runs offline is run, as written.

A fenced block is an example when its language is python, console, sh, bash or shell. The line
before it is an HTML comment (invisible on the page) that says what happens to it:

    <!-- run: pytest passed=2 -->   a pytest file, run in a fresh folder; its outcomes asserted
    <!-- run: console exit=1 -->    each `$ command` runs in a folder of its own, its output
                                    matched (`...` matches anything) and its exit status asserted
    <!-- not run: why -->           an example that cannot run offline (a server of yours, a registry)
    <!-- file: NAME -->             (before any block) written to NAME for the page's console examples

An example that says neither is a failure: every example is run or says why it cannot be.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

pytest_plugins = ["pytester"]

PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
EXAMPLES = {"python", "console", "sh", "bash", "shell"}
FENCE = re.compile(r"^\s*(`{3,})([\w-]*)\s*$")
MARKER = re.compile(r"^\s*<!-- (run|not run|file): *(.*?) *-->\s*$")
RUNNERS = {"python": "pytest", "console": "console"}


@dataclass(frozen=True, slots=True)
class Block:
    page: Path
    line: int  # of the opening fence, from 1
    language: str
    text: str
    kind: str | None  # run, not run, file, or None: no marker
    argument: str

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(REPO).as_posix()}:{self.line}"

    def option(self, key: str, default: int) -> int:
        found = re.search(rf"\b{key}=(\d+)", self.argument)
        return int(found.group(1)) if found else default


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a page, each with the marker on the line before it."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == opening.group(1))
        marker = MARKER.match(lines[index - 1]) if index else None
        text = "\n".join(lines[index + 1 : end]) + "\n"
        kind, argument = (marker.group(1), marker.group(2)) if marker else (None, "")
        found.append(Block(page, index + 1, opening.group(2), text, kind, argument))
        index = end + 1
    return found


ALL = [block for page in PAGES for block in blocks(page)]
RUNNABLE = [b for b in ALL if b.kind == "run"]


def test_every_example_says_whether_it_runs() -> None:
    unsaid = [b.name for b in ALL if b.language in EXAMPLES and b.kind not in {"run", "not run"}]
    assert unsaid == [], "say <!-- run: ... --> or <!-- not run: why --> before each of these"
    wrong = [b.name for b in RUNNABLE if b.argument.split()[0] != RUNNERS.get(b.language)]
    assert wrong == [], f"a python block runs as pytest, a console block as console: {RUNNERS}"


def test_the_readme_and_the_docs_have_examples_that_run() -> None:
    assert len(RUNNABLE) >= 8 and any(b.page.name == "README.md" for b in RUNNABLE)


def _matches(expected: str, actual: str) -> bool:
    pattern = ".*?".join(re.escape(part) for part in expected.strip("\n").split("..."))
    return re.fullmatch(pattern, actual.strip("\n"), re.DOTALL) is not None


def _commands(block: Block) -> list[tuple[str, str]]:
    """(command, expected output) for each `$ ` line of a console block."""
    pairs: list[tuple[str, list[str]]] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            pairs.append((line[2:], []))
        else:
            pairs[-1][1].append(line.rstrip())
    return [(command, "\n".join(output)) for command, output in pairs]


def _run_console(block: Block, folder: Path) -> None:
    for other in blocks(block.page):
        if other.kind == "file":
            (folder / other.argument).write_text(other.text, encoding="utf-8")
    bin_dir = str(Path(sys.executable).parent)  # drun-conformance and pytest, as installed
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "COLUMNS": "200"}
    for command, expected in _commands(block):
        done = subprocess.run(
            ["bash", "-c", command], cwd=folder, env=env, capture_output=True, text=True, timeout=300
        )
        where = f"{block.name}: $ {command}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        assert done.returncode == block.option("exit", 0), where
        assert _matches(expected, done.stdout), where


@pytest.mark.slow
@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: b.name)
def test_the_example_runs_as_written(block: Block, pytester: pytest.Pytester, tmp_path: Path) -> None:
    if block.language == "console":
        _run_console(block, tmp_path)
        return
    pytester.makepyfile(**{f"test_example_{block.line}": block.text})
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=block.option("passed", 1), failed=block.option("failed", 0))


@pytest.mark.parametrize(
    ("expected", "actual", "matches"),
    [
        ("a\n...\nd", "a\nb\nc\nd", True),
        ("gate: ... conformant (...)", "gate: passed; conformant (57 passed)", True),
        ("a\nb", "a\nc", False),
        ("a", "a\nb", False),
    ],
)
def test_output_is_matched_with_ellipses(expected: str, actual: str, matches: bool) -> None:
    assert _matches(expected, actual) is matches
