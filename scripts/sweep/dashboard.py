"""The dashboard: docs/sweep/README.md (a page of the documentation site) and docs/sweep/sweep.svg
(its picture), drawn from the releases index alone, so the same index always draws the same page.

Per SDK: the first release with the operation, the releases gated, and runs of releases x the
requirements they fail (a failure listed in an expectations file is still a failure here),
**broke** where a failure appears and **fixed** where it goes, with the drift of the releases'
own models; then what changed, what is not swept and why, and the sweeps that made the index.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from drun_conformance.client._sdks import SDKS as SHIPPED

from .heatmap import NOT_STARTED, Column, Panel, render_svg
from .index import Index
from .plan import Release
from .registries import version_key

__all__ = ["columns", "kept_releases", "runs", "write_dashboard"]

Failed = dict[str, str]  # requirement -> level


def columns(index: Index, name: str) -> list[Column]:
    """Every release of `name` with the operation the index knows of, oldest first."""
    sdk = index.sdk(name)
    entries = dict(index.releases(name))
    left_out = {v: part["reason"] for part in sdk["left_out"] for v in part["releases"]}
    versions = sorted({*entries, *left_out, *sdk.get("with_operation", [])}, key=version_key)
    found: list[Column] = []
    for version in versions:
        entry = entries.get(version)
        if entry is None:
            status = "not swept" if version in left_out else "due"
            found.append(Column(version, status, note=left_out.get(version, "")))
        elif not entry["reached"]:
            why = _shortened(entry["reason"])
            found.append(Column(version, "not started", note=why, swept=entry["swept"]))
        else:
            unlisted = frozenset(entry["unlisted"])
            drift = entry.get("drift"), entry.get("drift_unlisted")
            failed = dict(entry["failed"])
            found.append(Column(version, "gated", failed, unlisted, *drift, swept=entry["swept"]))
    return found


def runs(gated: Iterable[Column]) -> list[tuple[list[Column], Failed]]:
    """Consecutive releases gated (or not started) with the same failures: [(releases, failures)]."""
    grouped: list[tuple[list[Column], Failed]] = []
    for column in gated:
        if column.status not in ("gated", "not started"):
            continue
        now = column.failed if column.status == "gated" else {NOT_STARTED: "-"}
        if grouped and grouped[-1][1].keys() == now.keys():
            grouped[-1][0].append(column)
        else:
            grouped.append(([column], now))
    return grouped


def kept_releases(index: Index) -> list[Release]:
    """The releases whose full results the published report keeps: per SDK the first of each run
    and the newest (every release's report would be megabytes)."""
    kept: list[Release] = []
    for name in index.data["sdks"]:
        grouped = runs(columns(index, name))
        versions = [releases[0].version for releases, _ in grouped]
        if grouped and grouped[-1][0][-1].version not in versions:
            versions.append(grouped[-1][0][-1].version)
        kept += [Release(name, v) for v in versions]
    return kept


def write_dashboard(index: Index, out: Path) -> list[str]:
    """OUT/README.md and OUT/sweep.svg; the changes (broke, fixed), one line each."""
    names = list(index.data["sdks"])
    panels = [Panel(_title(index, name), columns(index, name)) for name in names]
    key = index.data["sweep"] or {}
    heading = (
        f"Every release with Run Deployment Now x the requirements it fails"
        f" (seed {key.get('seed')}, {key.get('examples')} drawn examples a release)"
    )
    (out / "sweep.svg").write_text(render_svg(panels, heading=heading), encoding="utf-8")
    lines, changes = _readme(index, names)
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changes


def _title(index: Index, name: str) -> str:
    gated = [c for c in columns(index, name) if c.status in ("gated", "not started")]
    first = index.sdk(name)["first"]
    span = f"{len(gated)} gated, {gated[0].version} to {gated[-1].version}" if gated else "none gated"
    return f"{name} ({SHIPPED[name].package}): {span}; first with the operation: {first or 'not known'}"


def _readme(index: Index, names: list[str]) -> tuple[list[str], list[str]]:
    key = index.data["sweep"] or {}
    last = index.data["sweeps"][-1] if index.data["sweeps"] else None
    lines = [
        "# SDK release sweep",
        "",
        "![Per SDK, its releases (columns) by the requirements they fail (rows)](sweep.svg)",
        "",
        f"Every release of the official SDKs with Run Deployment Now, gated with seed {key.get('seed')}"
        f" and {key.get('examples')} drawn examples after the coverage cases (the same cases for every"
        f" release), against the contract of spec sha256 `{str(key.get('spec', {}).get('sha256'))[:12]}`."
        " A cell marks a requirement the releases of that row fail (a failure listed in an"
        " expectations file is still a failure here): **broke** where it first appears, **fixed**"
        " where it goes. The drift column counts the differences `drun-conformance spec drift`"
        " finds between a release's own model of the operation and the contract (the gate's results"
        " carry them), with those its SDK's expectations file does not list (they fail `spec drift`,"
        " not the gate; red in the picture). The"
        " [report](report.html) and [results.json](results.json) beside this page keep the releases"
        " where something changed (the first, each change and the newest); [releases.json](releases.json)"
        " holds every release.",
    ]
    if last:
        lines += ["", f"Last sweep: {last['date']}, `{last['command']}`, {last['gated']} releases gated."]
    lines += [
        "",
        "| SDK | first release with the operation | gated | not gated yet | no harness yet"
        " | fails in every release gated |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in names:
        lines.append(_summary_row(index, name))
    changes: list[str] = []
    for name in names:
        section, changed = _sdk_section(index, name)
        lines += section
        changes += changed
    lines += ["", "## What changed", ""] + [f"- {change}" for change in changes or ["nothing"]]
    lines += ["", "## Not swept", ""]
    lines += [
        f"- {name}, {part['reason']}: {' '.join(part['releases'])}"
        for name in names
        for part in index.sdk(name)["left_out"]
    ] or ["- nothing"]
    return lines, changes


def _summary_row(index: Index, name: str) -> str:
    cols = columns(index, name)
    gated = [c for c in cols if c.status == "gated"]
    always = set.intersection(*(set(c.failed) for c in gated)) if gated else set()
    levels = {req: level for c in gated for req, level in c.failed.items()}
    fails = ", ".join(f"`{req}` {levels[req]}" for req in sorted(always)) or "nothing"
    due, not_swept = (sum(c.status == status for c in cols) or "-" for status in ("due", "not swept"))
    span = f"{len(gated)}: {gated[0].version} to {gated[-1].version}" if gated else "0"
    first = index.sdk(name)["first"] or "not known"
    return f"| {name} (`{SHIPPED[name].package}`) | {first} | {span} | {due} | {not_swept} | {fails} |"


def _sdk_section(index: Index, name: str) -> tuple[list[str], list[str]]:
    grouped = runs(columns(index, name))
    if not grouped:
        return [], []
    requirements = sorted({req for _, now in grouped for req in now})
    levels = {req: level for _, now in grouped for req, level in now.items()}
    count = sum(len(releases) for releases, now in grouped if NOT_STARTED not in now)
    first, newest = grouped[0][0][0].version, grouped[-1][0][-1].version
    lines = ["", f"## {name}: {count} releases gated, {first} to {newest}", ""]
    lines.append("| releases | " + "".join(f"`{req}` {levels[req]} | " for req in requirements) + "drift |")
    lines.append("| --- " * (len(requirements) + 2) + "|")
    changes: list[str] = []
    before: Failed | None = None
    for releases, now in grouped:
        span = releases[0].version
        if len(releases) > 1:
            span += f" to {releases[-1].version} ({len(releases)})"
        if NOT_STARTED in now:  # nothing was judged: no failure began or ended here
            cells = ["did not start" if req == NOT_STARTED else "" for req in requirements]
            lines.append(f"| {span} | " + "".join(f"{cell} | " for cell in cells) + " |")
            changes.append(f"{name} {span}: did not start ({releases[0].note})")
            continue
        cells = [_cell(req in now, before, req) for req in requirements]
        lines.append(f"| {span} | " + "".join(f"{cell} | " for cell in cells) + f"{_drift(releases)} |")
        if before is not None and (change := _change(before, now)):
            changes.append(f"{name} {releases[0].version}: {change}")
        before = now
    # A failure moving where the day changes may be the contract's change (one that did not
    # start moves nothing).
    days = Counter(c.swept for releases, _ in grouped for c in releases if c.status == "gated")
    if len(days) > 1:
        when = ", ".join(f"{day} ({n})" for day, n in sorted(days.items()))
        lines += [
            "",
            f"Gated on {when}: the contract may have changed between those days, so a"
            " **broke** or **fixed** where the day changes may be the contract's; `--redo-all`"
            " gates every release again.",
        ]
    return lines, changes


def _shortened(reason: str) -> str:
    """Why a build failed, its start (what was built) and its end (what was missing) kept."""
    reason = reason.split(" during a previous attempt")[0]  # Maven's cache advice
    return reason if len(reason) <= 240 else f"{reason[:100]} … {reason[-130:]}"


def _drift(releases: list[Column]) -> str:
    """`5`, `10 to 11`, `11 (1 not listed)`: the differences, and (where some release has them)
    those no expectations file lists."""
    cell = _span(c.drift for c in releases)
    unlisted = _span(c.drift_unlisted or None for c in releases)
    return f"{cell} ({unlisted} not listed)" if unlisted else cell


def _span(counts: Iterable[int | None]) -> str:
    known = sorted({count for count in counts if count is not None})
    if not known:
        return ""
    return str(known[0]) if len(known) == 1 else f"{known[0]} to {known[-1]}"


def _change(before: Failed, now: Failed) -> str:
    broke = ", ".join(f"`{req}`" for req in now if req not in before)
    fixed = ", ".join(f"`{req}`" for req in before if req not in now)
    return "; ".join(what for what in (broke and f"broke {broke}", fixed and f"fixed {fixed}") if what)


def _cell(fails: bool, before: Failed | None, requirement: str) -> str:
    if before is None or fails == (requirement in before):
        return "fails" if fails else ""
    return "**broke**" if fails else "**fixed**"
