"""Redaction: no credential reaches a report file, whatever the runner left in the results.

Runners redact headers where they record them; the writer redacts again, because one missed
spot (a curl line, an argv, an SDK's error message quoting the key) would leak a key into a
CI artifact that anyone with read access to the build can download.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["MARK", "Redactor"]

MARK = "<redacted>"
_SECRET_NAMES = frozenset(
    {"x-api-key", "authorization", "proxy-authorization", "api_key", "api-key", "apikey"}
)
_SECRET_FLAGS = ("--api-key", "--drun-api-key")
# "x-api-key: abc", "authorization: Bearer abc", '"x-api-key": "abc"', "x-api-key=abc".
_INLINE = re.compile(
    r"(?i)\b(x-api-key|proxy-authorization|authorization)"
    r"([\"']?\s*[:=]\s*[\"']?)((?:bearer|basic)\s+)?([^\s'\",;}\]]+)"
)
# Shorter keys are only redacted where a whole string equals them: replacing every "k" or
# "test" inside a report would destroy it and protect nothing real.
_MIN_SUBSTRING = 6


class Redactor:
    """Replaces credentials in JSON-like data and in rendered text.

    `secrets` are API keys known to the caller; the value of `$ANTHROPIC_API_KEY` is always
    added, since that is where the CLI and the plugin take their default key from.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        found = {s for s in secrets if s}
        env = os.environ.get("ANTHROPIC_API_KEY", "")
        if env:
            found.add(env)
        self.secrets = frozenset(found)
        # Longest first, so a key that contains another is replaced whole.
        self._substrings = sorted((s for s in found if len(s) >= _MIN_SUBSTRING), key=len, reverse=True)

    def data(self, value: Any) -> Any:
        """A copy of `value` (dicts, lists, strings, scalars) with every credential replaced."""
        if isinstance(value, dict):
            return {
                k: (MARK if _is_secret_name(k) and isinstance(v, str) and v else self.data(v))
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            if len(value) == 2 and _is_secret_name(value[0]) and isinstance(value[1], str):
                return [value[0], MARK]  # a header as a [name, value] pair (HAR, ASGI)
            return [self.data(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def argv(self, argv: Iterable[str]) -> list[str]:
        """A command line with the value of every `--api-key` flag replaced."""
        out: list[str] = []
        hide_next = False
        for arg in argv:
            if hide_next:
                out.append(MARK)
                hide_next = False
            elif arg in _SECRET_FLAGS:
                out.append(arg)
                hide_next = True
            elif arg.startswith(tuple(f"{flag}=" for flag in _SECRET_FLAGS)):
                out.append(arg.split("=", 1)[0] + "=" + MARK)
            else:
                out.append(self.text(arg))
        return out

    def text(self, text: str) -> str:
        """`text` with inline credentials and every known secret replaced."""
        if text in self.secrets:
            return MARK
        text = _INLINE.sub(_inline_mark, text)
        for secret in self._substrings:
            text = text.replace(secret, MARK)
        return text

    def scrub(self, rendered: str, *, markup: bool = False) -> str:
        """Last line of defence on a rendered file: the secrets in raw, JSON and HTML form.

        `markup`: the file is HTML or XML, where the marker itself must be escaped.
        """
        mark = html.escape(MARK) if markup else MARK
        for secret in self._substrings:
            for form in {secret, json.dumps(secret)[1:-1], html.escape(secret)}:
                rendered = rendered.replace(form, mark)
        return rendered


def _is_secret_name(name: Any) -> bool:
    return isinstance(name, str) and name.lower() in _SECRET_NAMES


def _inline_mark(match: re.Match[str]) -> str:
    value = match.group(4)
    if value.startswith(("$", "<")):  # "$ANTHROPIC_API_KEY" in a curl line, or already redacted
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{match.group(3) or ''}{MARK}"
