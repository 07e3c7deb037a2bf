"""The run as Markdown (`report summary RESULTS.json`), for a CI job summary (the GitHub Action
appends it to `$GITHUB_STEP_SUMMARY`).

The headline and detail of the HTML report, a table of the targets (verdict, gate, counts), then
a table of every failure (known ones marked with their expectations file) and one of every MUST
never exercised, with what would exercise it. Cells are cut short and escaped for a table.
"""

from __future__ import annotations

import shlex

from drun_conformance.results import RunResults

from ._view import build_view

__all__ = ["render_summary"]

_CELL = 160  # characters of a message in a table cell


def render_summary(results: RunResults) -> str:
    """The Markdown summary of `results`."""
    view = build_view(results)
    partial = " (partial run)" if results.partial else ""
    lines = [
        f"## drun-conformance: {view.headline}, gate {view.gate}{partial}",
        "",
        view.detail,
        "",
        f"`{_cell(shlex.join(results.command), 400)}`",
        "",
        "| target | verdict | gate | passed | failed | skipped | errored |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for target in view.targets:
        c = target.counts
        lines.append(
            f"| {_code(target.result.id)} | {target.result.verdict} | {target.result.gate} | {c['passed']}"
            f" | {c['failed']} | {c['skipped']} | {c['errored']} |"
        )
    failures = [(t.result.id, r) for t in view.targets for r in t.result.requirements if r.status == "failed"]
    if failures:
        lines += ["", "### Failures", "", "| target | requirement | level | known | message |"]
        lines.append("| --- | --- | --- | --- | --- |")
        for tid, r in failures:
            known = _cell(r.expected_in or "expectations") if r.expected is not None else "no"
            lines.append(f"| {_code(tid)} | {_code(r.id)} | {r.level} | {known} | {_cell(r.message or '')} |")
    unexercised = [(t.result.id, r) for t in view.targets for r in t.result.unexercised_must()]
    if unexercised:
        lines += ["", "### MUST requirements never exercised", "", "| target | requirement | why | remedy |"]
        lines.append("| --- | --- | --- | --- |")
        for tid, r in unexercised:
            why, remedy = _cell(r.reason or ""), _cell(r.remedy or "")
            lines.append(f"| {_code(tid)} | {_code(r.id)} | {why} | {remedy} |")
    return "\n".join(lines) + "\n"


def _cell(text: str, limit: int = _CELL) -> str:
    """One table cell: one line, no column break, at most `limit` characters."""
    flat = " ".join(text.split()).replace("|", "\\|")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _code(text: str) -> str:
    return "`" + _cell(text).replace("`", "'") + "`"
