"""Reading an HTTP archive (HAR 1.2): the Run Deployment Now exchanges it holds, each as the
oracle judges recorded traffic. An entry that is no HAR entry stops the reading with where and why."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import unquote, urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from drun_conformance._errors import InputError
from drun_conformance._files import shown
from drun_conformance.oracle import UNPARSED, Exchange, cut, parse_body, parse_rfc3339

__all__ = ["har_exchanges"]

_RUN_PATH_PREFIX, _RUN_PATH_SUFFIX = "/v1/deployments/", "/run"
_PAIRS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["name", "value"],
        "properties": {"name": {"type": "string"}, "value": {"type": "string"}},
    },
}
# What this reader relies on, as HAR 1.2 states it (status 0, a browser's "no answer", is none).
_ENTRY = {
    "type": "object",
    "required": ["request", "response"],
    "properties": {
        "request": {
            "type": "object",
            "required": ["method", "url"],
            "properties": {"method": {"type": "string"}, "url": {"type": "string"}, "headers": _PAIRS},
        },
        "response": {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"type": "integer", "minimum": 100, "maximum": 599},
                "headers": _PAIRS,
                "content": {
                    "type": "object",
                    "properties": {"text": {"type": "string"}, "encoding": {"type": "string"}},
                },
            },
        },
    },
}


@cache
def _entry_validator() -> Draft202012Validator:
    return Draft202012Validator(_ENTRY)


def har_exchanges(name: str, data: bytes) -> Iterator[tuple[str, Exchange]]:
    """(`NAME:N`, the exchange) for each run-now entry of the archive `data`, in order."""
    archive, shown_name = parse_body(data), shown(name)  # the name as a terminal may show it
    if archive is UNPARSED:
        raise InputError(
            f"{shown_name}: not an HTTP archive: not JSON, or JSON no reader reads alike (I-JSON)"
        )
    log = archive.get("log") if isinstance(archive, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise InputError(f"{shown_name}: not an HTTP archive (no log.entries)")
    for number, entry in enumerate(entries, start=1):
        problem = best_match(_entry_validator().iter_errors(entry))
        if problem is not None:
            where = "/".join(str(part) for part in problem.absolute_path) or "the entry"
            why = cut(problem.message, 160)
            raise InputError(f"{shown_name}: entry {number} is not a HAR entry: {where}: {why}")
        try:
            exchange = _exchange(entry)
        except (ValueError, binascii.Error) as exc:
            raise InputError(f"{shown_name}: entry {number} is not a HAR entry: {exc}") from exc
        if exchange is not None:
            yield f"{name}:{number}", exchange


def _exchange(entry: dict[str, Any]) -> Exchange | None:
    request, response = entry["request"], entry["response"]
    path = urlsplit(request["url"]).path
    if request["method"].upper() != "POST" or not (
        path.startswith(_RUN_PATH_PREFIX) and path.endswith(_RUN_PATH_SUFFIX)
    ):
        return None
    content = response.get("content", {})
    text = content.get("text", "")
    if content.get("encoding") == "base64":
        body = base64.b64decode(text, validate=True)
    else:
        body = text.encode("utf-8", "surrogatepass")
    return Exchange(
        method="POST",
        deployment_id=unquote(path[len(_RUN_PATH_PREFIX) : -len(_RUN_PATH_SUFFIX)]),
        request_headers=_headers(request.get("headers", [])),
        status=response["status"],
        response_headers=_headers(response.get("headers", [])),
        body=body,
        received_at=_received_at(entry),
    )


def _received_at(entry: dict[str, Any]) -> datetime | None:
    """When the answer arrived; None when `startedDateTime` names no instant (HAR 1.2 wants an
    ISO 8601 time with its offset): then the clock skew is not judged."""
    started = parse_rfc3339(entry.get("startedDateTime"))
    if started is None:
        return None
    elapsed = entry.get("time", 0)
    if isinstance(elapsed, bool) or not isinstance(elapsed, int | float) or not 0 <= elapsed < 1e12:
        elapsed = 0  # HAR's -1 (unknown) or nonsense: the start is close enough for a 5-minute skew
    try:
        return started.utc + timedelta(milliseconds=elapsed)
    except OverflowError:  # at the very end of the calendar
        return started.utc


def _headers(pairs: list[dict[str, str]]) -> dict[str, str]:
    """HAR's name/value pairs (both strings: the entry's schema saw to it), names lower-cased."""
    return {pair["name"].lower(): pair["value"] for pair in pairs}
