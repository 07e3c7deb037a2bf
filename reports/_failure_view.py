"""A failed requirement as the report shows it: its counterexample in labelled sections, the
expected and observed values, a `curl` line for a server, and the page line it comes from.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from drun_conformance.results import RequirementResult, TargetResult

from ._text import DiffLine, clip, expected_observed, line_diff, pretty, server_curl

__all__ = ["CatalogView", "FailureView", "Section", "anchor_for", "catalog", "failure_view"]


@dataclass(frozen=True)
class Section:
    """One labelled block of a counterexample: a body, a request, an answer..."""

    label: str
    text: str


@dataclass
class FailureView:
    requirement: RequirementResult
    anchor: str
    gating: bool
    excerpt: list[tuple[int, str]]
    summary: str = ""
    pointer: str = ""
    expected: str = ""
    observed: str = ""
    diff: list[DiffLine] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    curl: str | None = None


def anchor_for(target_anchor: str, requirement_id: str) -> str:
    return f"{target_anchor}-{re.sub(r'[^A-Za-z0-9_.-]', '_', requirement_id)}"


def failure_view(r: RequirementResult, target: TargetResult, target_anchor: str, gating: bool) -> FailureView:
    view = FailureView(r, anchor_for(target_anchor, r.id), gating, _excerpt(r.source))
    view.expected, view.observed = expected_observed(r)
    if view.expected or view.observed:
        view.diff = line_diff(view.expected, view.observed)
    example = r.counterexample
    if example is None:
        return view
    # TargetTally writes "<id>: <message>" as the summary: the header already says both.
    redundant = example.summary in (f"{r.id}: {r.message}", r.message)
    view.summary, view.pointer = "" if redundant else example.summary, example.pointer
    client = target.kind == "client"
    # The server's body is usually both the payload (parsed) and the response's (raw): shown once.
    same_body = example.payload is not None and _same_json(
        example.payload, (example.response or {}).get("body")
    )
    if example.payload is not None:
        view.sections.append(
            Section("Body served to the SDK" if client else "Body", clip(pretty(example.payload)))
        )
    elif example.payload_text is not None:
        label = "Body served to the SDK (not JSON)" if client else "Body (not JSON)"
        view.sections.append(Section(label, clip(example.payload_text)))
    if example.request:
        label = "Request the SDK sent" if client else "Request"
        view.sections.append(Section(label, _http_text(example.request, request=True)))
    if example.response:
        text = _http_text(example.response, request=False, body=not same_body)
        view.sections.append(Section("Response", text + ("\n\n(body: as above)" if same_body else "")))
    if example.answer is not None:
        view.sections.append(Section("The SDK's answer (harness)", clip(pretty(example.answer))))
    view.curl = None if client else server_curl(example)
    return view


def _same_json(payload: Any, body: Any) -> bool:
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return False
    return bool(payload == body)


def _http_text(message: dict[str, Any], *, request: bool, body: bool = True) -> str:
    first = (
        f"{message.get('method', '')} {message.get('url', '')}".strip()
        if request
        else f"HTTP {message.get('status', '')}".strip()
    )
    lines = [first]
    headers = message.get("headers") or {}
    items = headers.items() if isinstance(headers, dict) else headers
    lines += [f"{k}: {v}" for k, v in items]
    content = message.get("body") if body else None
    if content not in (None, ""):
        lines += ["", clip(content if isinstance(content, str) else pretty(content))]
    return "\n".join(lines)


def _excerpt(source: dict[str, Any]) -> list[tuple[int, str]]:
    """The cited line of the reference page and the description under it, when we ship it."""
    line = source.get("line")
    lines = _page_lines()
    if not isinstance(line, int) or not 1 <= line <= len(lines) or source.get("page") != catalog().page:
        return []
    out = [(line, _plain(lines[line - 1]))]
    for n in range(line + 1, min(line + 4, len(lines) + 1)):
        text = lines[n - 1].strip()
        if not text:
            continue
        if text.startswith("- "):  # the next field: the cited one has no description
            break
        out.append((n, _plain(text)))
        break
    return out


def _plain(markdown: str) -> str:
    """A page line without its list marker and code backticks: the words, as a quote."""
    return markdown.strip().removeprefix("- ").replace("`", "")


@dataclass(frozen=True, slots=True)
class CatalogView:
    """What a report needs of the shipped catalog: its order, the page, the variants it lists."""

    order: dict[str, int]  # requirement id -> place in the catalog
    page: str
    variants: dict[str, tuple[str, ...]]  # "error_types", "triggers" -> the page's tags


@cache
def catalog() -> CatalogView:
    from drun_conformance import spec

    catalog = spec.load_catalog()
    variants: dict[str, tuple[str, ...]] = {}
    for requirement in catalog:
        expected = tuple(requirement.structure.expected or ()) if requirement.structure else ()
        if requirement.id == "run.error.type.known-variant":
            variants["error_types"] = expected
        elif requirement.id == "run.trigger_context.type.known-variant":
            variants["triggers"] = expected
    return CatalogView(order={r.id: i for i, r in enumerate(catalog)}, page=catalog.page, variants=variants)


@cache
def _page_lines() -> list[str]:
    from drun_conformance import spec

    try:
        return spec.SOURCE_PAGE_PATH.read_text(encoding="utf-8").splitlines()
    except OSError:  # a wheel without the page: the report still renders, without quotes
        return []
