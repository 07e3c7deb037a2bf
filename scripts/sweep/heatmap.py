"""The sweep's picture: per SDK, its releases (columns, oldest first) by the requirements any of
them fails (rows), drawn as an SVG (no browser: MkDocs serves it as it is).

A failing stretch of releases is one bar in the colour of its level, labelled with where it
began and where it ended (the last release that fails; "fixed in" the next one gated, or
"still fails"); a failure no expectations file lists is outlined in black (it fails the gate).
Releases with the operation that are not gated are hatched (no harness for them yet) or left
blank (due, not gated yet); a release whose harness did not start fills the "did not start" row.
The bottom row counts the differences `spec drift` finds in each release's own model, in red when
its expectations file does not list them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

__all__ = ["Column", "Panel", "render_svg"]

WIDTH = 1080
LABEL_W = 300  # the requirement names
TOP = 58
ROW_H = 17
AXIS_H = 40  # the release names, turned
PANEL_GAP = 16
LEVEL_COLOUR = {"MUST": "#c62828", "SHOULD": "#ef6c00", "EDGE": "#7e57c2", "-": "#455a64"}
LEVEL_ORDER = {"MUST": 0, "SHOULD": 1, "EDGE": 2, "-": 3}
PASSED, BLANK, GRID = "#e8f5e9", "#ffffff", "#cfd8dc"
NOT_STARTED = "did not start"


@dataclass(frozen=True, slots=True)
class Column:
    version: str
    status: str  # gated, not started, not swept (no harness), due (not gated yet)
    failed: dict[str, str] = field(default_factory=dict)  # requirement -> level
    unlisted: frozenset[str] = frozenset()  # failures no expectations file lists
    drift: int | None = None  # differences from the contract in its own model
    drift_unlisted: int | None = None  # ... of which its expectations file lists none
    note: str = ""  # why not swept, why it did not start
    swept: str = ""  # the day it was gated


@dataclass(frozen=True, slots=True)
class Panel:
    title: str
    columns: list[Column]

    def rows(self) -> list[tuple[str, str]]:
        """(requirement, level) of every failure in this SDK, MUST first; "did not start" last."""
        levels = {req: level for c in self.columns for req, level in c.failed.items()}
        rows = sorted(levels.items(), key=lambda kv: (LEVEL_ORDER[kv[1]], kv[0]))
        if any(c.status == "not started" for c in self.columns):
            rows.append((NOT_STARTED, "-"))
        return rows


def render_svg(panels: Sequence[Panel], *, heading: str) -> str:
    parts: list[str] = []
    y = TOP
    for panel in panels:
        drawn, y = _panel(panel, y)
        parts += drawn
        y += PANEL_GAP
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y}" viewBox="0 0 {WIDTH} {y}"'
        ' font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="11">',
        '<defs><pattern id="hatch" width="5" height="5" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)"><rect width="5" height="5" fill="#eceff1"/>'
        '<line x1="0" y1="0" x2="0" y2="5" stroke="#b0bec5" stroke-width="2"/></pattern></defs>',
        _rect(0, 0, WIDTH, y, fill="#ffffff"),
        _text(10, 20, heading, font_size="15", font_weight="600"),
        *_legend(),
    ]
    return "\n".join([*head, *parts, "</svg>"]) + "\n"


def _legend() -> list[str]:
    items = [
        (LEVEL_COLOUR["MUST"], "MUST fails"),
        (LEVEL_COLOUR["SHOULD"], "SHOULD fails"),
        (LEVEL_COLOUR["EDGE"], "EDGE mishandled"),
        ("outline", "listed in no expectations file (fails the gate)"),
        (PASSED, "passes"),
        ("url(#hatch)", "has the operation, no harness for it yet"),
        (BLANK, "not gated yet"),
    ]
    out, x = [], 10.0
    for colour, text in items:
        outline = {"stroke": "#000", "stroke_width": "2"} if colour == "outline" else {"stroke": GRID}
        out.append(
            _rect(x, 31, 12, 12, fill=LEVEL_COLOUR["MUST"] if colour == "outline" else colour, **outline)
        )
        out.append(_text(x + 16, 41, text, fill="#37474f"))
        x += 30 + len(text) * 5.6
    return out


def _panel(panel: Panel, top: int) -> tuple[list[str], int]:
    columns, rows = panel.columns, panel.rows()
    cell = min(24.0, (WIDTH - LABEL_W - 12) / max(1, len(columns)))
    x0 = LABEL_W
    out = [_text(10, top + 12, panel.title, font_size="13", font_weight="600")]
    y0 = top + 20
    if not rows:
        out.append(_text(x0, y0 + 12, "every release gated passes every requirement", fill="#2e7d32"))
    for r, (requirement, level) in enumerate(rows):
        y = y0 + r * ROW_H
        out.append(_text(x0 - 56, y + 12, requirement, text_anchor="end"))
        out.append(
            _text(x0 - 6, y + 12, level, fill=LEVEL_COLOUR[level], font_weight="600", text_anchor="end")
        )
        out += _row(columns, requirement, level, x0, y, cell)
    drift_y = y0 + len(rows) * ROW_H + 13
    out.append(_text(x0 - 8, drift_y, "drift: differences in its model", text_anchor="end", fill="#546e7a"))
    for i, column in enumerate(columns):
        if column.drift is not None:
            x = x0 + (i + 0.5) * cell
            colour = LEVEL_COLOUR["MUST"] if column.drift_unlisted else "#546e7a"
            out.append(_text(x, drift_y, str(column.drift), text_anchor="middle", font_size="9", fill=colour))
    axis_y = drift_y + 8
    step = max(1, round(10 / cell))  # a release name every 10 px at least
    for i, column in enumerate(columns):
        if i % step == 0 or i == len(columns) - 1:
            turn = f"translate({x0 + (i + 0.5) * cell + 3:.1f},{axis_y}) rotate(-90)"
            out.append(
                _text(0, 0, column.version, transform=turn, text_anchor="end", font_size="9", fill="#455a64")
            )
    return out, axis_y + AXIS_H


def _row(
    columns: Sequence[Column], requirement: str, level: str, x0: float, y: int, cell: float
) -> list[str]:
    out: list[str] = []
    for i, column in enumerate(columns):
        fill = {"not swept": "url(#hatch)", "due": BLANK}.get(column.status, PASSED)
        tip = f"{column.version}: {column.status}{f' ({column.note})' if column.note else ''}"
        out.append(_rect(x0 + i * cell, y, cell, ROW_H - 2, tip, fill=fill, stroke=GRID, stroke_width="0.5"))
    for start, end in _stretches(columns, requirement):
        after = next((c for c in columns[end + 1 :] if c.status == "gated"), None)
        ended = f"fixed in {after.version}" if after else "still fails"
        span = columns[start].version + (f" to {columns[end].version}" if end > start else "")
        label = span if requirement == NOT_STARTED else f"{span}, {ended}"
        unlisted = any(requirement in c.unlisted for c in columns[start : end + 1])
        outline = {"stroke": "#000", "stroke_width": "2"} if unlisted else {"stroke": "none"}
        left, width = x0 + start * cell, (end - start + 1) * cell
        out.append(
            _rect(left, y, width, ROW_H - 2, f"{requirement}: {label}", fill=LEVEL_COLOUR[level], **outline)
        )
        own = "not started" if requirement == NOT_STARTED else "gated"
        for i in range(start, end + 1):  # a release not gated inside the stretch stays visible, paler
            if columns[i].status != own:
                out.append(_rect(x0 + i * cell, y, cell, ROW_H - 2, fill="#ffffff", fill_opacity="0.55"))
        if len(label) * 5.6 < width - 6:  # inside the bar, haloed: it crosses the paler cells
            halo = {"stroke": LEVEL_COLOUR[level], "stroke_width": "2.5", "paint_order": "stroke"}
            out.append(_text(left + 4, y + 11, label, fill="#fff", font_size="10", **halo))
        elif requirement == NOT_STARTED:  # the column's tooltip names it: labels side by side would collide
            continue
        elif left + width + len(label) * 5.6 < WIDTH:  # beside it, on the right
            out.append(_text(left + width + 3, y + 11, label, fill=LEVEL_COLOUR[level], font_size="10"))
        else:  # beside it, on the left
            out.append(
                _text(left - 3, y + 11, label, fill=LEVEL_COLOUR[level], font_size="10", text_anchor="end")
            )
    return out


def _text(x: float, y: float, content: str, **attributes: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}"{_attributes(attributes)}>{escape(content)}</text>'


def _rect(x: float, y: float, width: float, height: float, title: str = "", **attributes: str) -> str:
    inner = f"<title>{escape(title)}</title>" if title else ""
    box = f'x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}"'
    return f"<rect {box}{_attributes(attributes)}>{inner}</rect>"


def _attributes(attributes: dict[str, str]) -> str:
    return "".join(f' {name.replace("_", "-")}="{escape(value)}"' for name, value in attributes.items())


def _stretches(columns: Sequence[Column], requirement: str) -> list[tuple[int, int]]:
    """(first, last) column index of each run of releases failing `requirement`; the releases
    not gated in between (hatched, blank, or whose harness did not start) neither break nor extend a run."""
    failing = [
        i
        for i, c in enumerate(columns)
        if requirement in c.failed or (requirement == NOT_STARTED and c.status == "not started")
    ]
    stretches: list[tuple[int, int]] = []
    for i in failing:
        between = columns[stretches[-1][1] + 1 : i] if stretches else []
        gaps = ("not swept", "due") if requirement == NOT_STARTED else ("not swept", "due", "not started")
        if stretches and all(c.status in gaps for c in between):
            stretches[-1] = (stretches[-1][0], i)
        else:
            stretches.append((i, i))
    return stretches
