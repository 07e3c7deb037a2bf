"""The README stays a front page: short, its Quick start two self-contained lines (.ci/run runs
the second as written), and every link it has leads somewhere in the checkout."""

from __future__ import annotations

import re

from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
MAX_LINES = 150  # the manual, the design and the benches are pages of docs/


def _quick_start() -> list[str]:
    block = README.split("## Quick start", 1)[1].split("```", 2)[1]
    return [line for line in block.splitlines()[1:] if line.strip()]  # [0]: the fence's language


def test_the_readme_is_a_front_page() -> None:
    assert len(README.splitlines()) <= MAX_LINES, "move the detail to its page under docs/"


def test_the_quick_start_is_two_lines_and_the_second_is_the_development_install() -> None:
    first, second = _quick_start()
    assert first.startswith("python3 -m venv .venv && ") and "drun-conformance run" in first
    assert "-e '.[dev]' --config-settings editable_mode=strict" in second and "pytest" in second


def test_every_relative_link_leads_to_a_file() -> None:
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    relative = [link for link in links if "://" not in link]
    assert relative, "the README links into docs/"
    assert [link for link in relative if not (REPO / link).is_file()] == []
