"""Plain-text renderings shared by every output: JSON bodies, line diffs, curl, counterexamples.

The HTML report, junit.xml, the pytest plugin's failure text and `report diff` all describe
a failure the same way, so a user sees the same words in CI logs as in the report.
"""

from __future__ import annotations

import difflib
import json
import shlex
from typing import Any, Literal

from drun_conformance.results import Counterexample, RequirementResult

__all__ = [
    "DiffLine",
    "clip",
    "counterexample_text",
    "curl_for",
    "expected_observed",
    "line_diff",
    "pretty",
    "server_curl",
]

DiffLine = tuple[Literal["same", "expected", "observed", "skip"], str]
# A body past this many characters is cut in the HTML and text renderings: a 10 MiB flood from
# a misbehaving server would otherwise make the report unusable. results.json keeps it whole.
CLIP = 20_000


def pretty(value: Any) -> str:
    """A JSON value, indented, non-ASCII kept readable; anything else by repr."""
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)
    except (TypeError, ValueError):
        return repr(value)


def clip(text: str, limit: int = CLIP) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n… {len(text) - limit:,} more characters (whole in results.json)"


def line_diff(expected: str, observed: str, *, context: int = 3) -> list[DiffLine]:
    """Expected against observed, line by line (difflib), without the intraline '?' hints.

    Runs of unchanged lines longer than 2 x `context` become one ("skip", "N unchanged lines")
    entry, so a one-field difference in a whole payload is not lost in forty equal lines.
    """
    lines: list[DiffLine] = []
    for line in difflib.ndiff(expected.splitlines(), observed.splitlines()):
        tag, text = line[:2], line[2:]
        if tag == "- ":
            lines.append(("expected", text))
        elif tag == "+ ":
            lines.append(("observed", text))
        elif tag == "  ":
            lines.append(("same", text))
    out: list[DiffLine] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j][0] == "same":
            j += 1
        run = lines[i:j]
        if run:
            head = context if i > 0 else 0  # context after a change
            tail = context if j < len(lines) else 0  # context before the next change
            if len(run) > head + tail + 1:
                out += run[:head]
                out.append(("skip", f"{len(run) - head - tail} unchanged lines"))
                out += run[len(run) - tail :] if tail else []
            else:
                out += run
            i = j
        else:
            out.append(lines[i])
            i += 1
    return out


def curl_for(request: dict[str, Any]) -> str | None:
    """A curl command replaying `request`; the key is read from $ANTHROPIC_API_KEY, never written."""
    url = request.get("url")
    if not isinstance(url, str) or not url:
        return None
    parts = ["curl", "-sS", "-i", "-X", shlex.quote(str(request.get("method") or "POST")), shlex.quote(url)]
    headers = request.get("headers") or {}
    items = headers.items() if isinstance(headers, dict) else headers
    for name, value in items:
        lower = str(name).lower()
        if lower == "x-api-key":
            parts += ["-H", '"x-api-key: $ANTHROPIC_API_KEY"']
        elif lower == "authorization":
            parts += ["-H", '"authorization: Bearer $ANTHROPIC_API_KEY"']
        elif lower not in {"content-length", "host"}:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    body = request.get("body")
    if body not in (None, ""):
        data = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        parts += ["--data-binary", shlex.quote(data)]
    return " \\\n  ".join(_pairs(parts))


def _pairs(parts: list[str]) -> list[str]:
    """The command split one flag and its value a line, as people write long curl commands."""
    lines, i = [" ".join(parts[:6])], 6
    while i < len(parts):
        lines.append(" ".join(parts[i : i + 2]))
        i += 2
    return lines


def expected_observed(requirement: RequirementResult) -> tuple[str, str]:
    """The counterexample's expected and observed; when the runner left them empty, read from
    the oracle's message form "Received: X / Expected: Y"."""
    example = requirement.counterexample
    if example is not None and (example.expected or example.observed):
        return example.expected, example.observed
    message = requirement.message or ""
    if message.startswith("Received: ") and " / Expected: " in message:
        observed, expected = message.removeprefix("Received: ").split(" / Expected: ", 1)
        return expected, observed
    return "", ""


def server_curl(example: Counterexample) -> str | None:
    """The curl line for a server finding: the runner's own, unless redaction had to touch it
    (then one built from the request, which reads the key from $ANTHROPIC_API_KEY)."""
    from drun_conformance._secrets import MARK

    if example.curl and MARK not in example.curl:
        return example.curl
    return (curl_for(example.request) if example.request else None) or example.curl


def counterexample_text(requirement: RequirementResult, *, kind: str = "server") -> str:
    """A failure as text: the message, the requirement and its page line, the counterexample."""
    source = requirement.source or {}
    where = f"{source.get('page', 'the reference page')}:{source['line']}" if source.get("line") else ""
    lines = [f"{requirement.level} {requirement.id}: {requirement.title}"]
    if where:
        lines.append(f"  reference: {where}")
    if requirement.message:
        lines.append(f"  {requirement.message}")
    lines.append(f"  failed {requirement.failures} of {requirement.cases} cases")
    example = requirement.counterexample
    if example is None:
        return "\n".join(lines)
    lines += ["", f"counterexample: {example.summary}"]
    if example.pointer:
        lines.append(f"at {example.pointer}")
    expected, observed = expected_observed(requirement)
    if expected or observed:
        lines += [f"expected: {expected}", f"observed: {observed}"]
    if example.request:
        request = example.request
        lines += _message_lines(f"request: {request.get('method', '')} {request.get('url', '')}", request)
    if example.response:
        lines += _message_lines(f"response: {example.response.get('status', '')}", example.response)
    body = _body_text(example)
    if body is not None:
        lines += ["", "payload served:" if kind == "client" else "payload:", body]
    if example.answer is not None:
        lines += ["", "SDK answer:", clip(pretty(example.answer))]
    curl = server_curl(example) if kind == "server" else None
    if curl:
        lines += ["", "reproduce:", curl]
    return "\n".join(lines)


def _body_text(example: Counterexample) -> str | None:
    if example.payload is not None:
        return clip(pretty(example.payload))
    if example.payload_text is not None:
        return clip(example.payload_text)
    return None


def _message_lines(title: str, message: dict[str, Any]) -> list[str]:
    """A request or response as text: its first line, its headers, its body if any."""
    lines = ["", title, *(f"  {name}: {value}" for name, value in _header_items(message.get("headers")))]
    if message.get("body") not in (None, ""):
        lines.append(clip(pretty(message["body"])))
    return lines


def _header_items(headers: Any) -> list[tuple[str, str]]:
    if isinstance(headers, dict):
        return [(str(k), str(v)) for k, v in headers.items()]
    if isinstance(headers, list):
        return [(str(p[0]), str(p[1])) for p in headers if isinstance(p, list | tuple) and len(p) == 2]
    return []
