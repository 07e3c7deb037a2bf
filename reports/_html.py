"""report.html: one self-contained page (inline CSS, JS and SVG), rendered with autoescaping jinja2."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from drun_conformance.results import RunResults

from ._failure_view import anchor_for
from ._view import LEVELS, STATUSES, build_view

__all__ = ["render_html"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"


def render_html(results: RunResults) -> str:
    """The report for `results`, as text. Redact the results first: this renders what it is given."""
    template = _environment().get_template("report.html.j2")
    return template.render(r=results, v=build_view(results))


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def _area(name: str) -> str:
    return {"http": "HTTP"}.get(name, name[:1].upper() + name[1:])


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,  # every value in the report comes from a target: never trusted markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = _duration
    env.filters["area"] = _area
    # Read as data, not templates: their braces are CSS and JS, not jinja.
    env.globals.update(
        css=Markup((_TEMPLATES / "report.css").read_text(encoding="utf-8")),
        js=Markup((_TEMPLATES / "report.js").read_text(encoding="utf-8")),
        statuses=STATUSES,
        levels=LEVELS,
        anchor_for=anchor_for,
    )
    return env
