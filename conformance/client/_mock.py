"""The scripted mock server of the SDK gate: it answers what the case says and records what came.

Cases are keyed by operation and id: a run by its deployment id, a retrieve by its run id, a
listing walk by none (one at a time). A request is matched to its case by the path and the id
it decodes to; a listing's page is chosen by its `page` query parameter (none: the first), and
a cursor the walk did not script is answered 400. A request no case matches (an SDK that
did not escape the id, say) goes to the case armed last, since the gate makes one call at a
time. Either way it is recorded with the raw request target and answered with that case's
scripted bytes, so a wrong path is the path requirement's finding and the answer can still
be judged. A second request for a case (a retry, a second call) decides client.request.once
there and then: the case's `on_repeat` is told, so the gate need not wait out the SDK's
retries (for a walk: a page asked for twice, or a cursor never served).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qs, unquote

from starlette.types import Receive, Scope, Send

from drun_conformance.oracle import RecordedRequest

__all__ = ["Scripted", "ScriptedServer"]

_RUN_PATH = re.compile(rb"^/v1/deployments/([^/]+)/run$")
_RETRIEVE_PATH = re.compile(rb"^/v1/deployment_runs/([^/]+)$")
_LIST_PATH = re.compile(rb"^/v1/deployment_runs/?$")
Operation = Literal["run", "retrieve", "list"]
_Key = tuple[Operation, str]
_MAX_BODY = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Scripted:
    """The bytes one case answers: status, headers, body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(slots=True)
class _Case:
    pages: Mapping[str | None, Scripted]  # by the `page` asked for (None: none); a run's under None
    on_repeat: Callable[[], None] | None = None
    requests: list[RecordedRequest] = field(default_factory=list)
    asked: list[str | None] = field(default_factory=list)  # the cursor of each request
    decided: bool = False

    def answer(self, cursor: str | None) -> tuple[Scripted, bool]:
        """The page scripted for `cursor`, and whether this request decides the case (once)."""
        repeated = cursor in self.asked
        self.asked.append(cursor)
        scripted = self.pages.get(cursor) or Scripted(
            400, (("content-type", "application/json"),), _NO_CURSOR
        )
        decides = (repeated or cursor not in self.pages) and not self.decided
        self.decided |= decides
        return scripted, decides


class ScriptedServer:
    """An ASGI app: `arm(deployment_id, response)`, let the SDK call, then `take(deployment_id)`;
    a retrieve by run id (`operation="retrieve"`), a walk by its pages (`arm_walk`)."""

    def __init__(self) -> None:
        self._cases: dict[_Key, _Case] = {}
        self._last: _Key | None = None
        self._lock = threading.Lock()
        self.unmatched = 0  # requests that came with no case armed

    def arm(
        self,
        key: str,
        response: Scripted,
        *,
        on_repeat: Callable[[], None] | None = None,
        operation: Operation = "run",
    ) -> None:
        """Script the answer to the case of `key` (a deployment id, or a run id to retrieve);
        `on_repeat` is called (from the server's thread) when a second request for it arrives."""
        self._arm((operation, key), _Case({None: response}, on_repeat))

    def arm_walk(
        self, pages: Mapping[str | None, Scripted], *, on_repeat: Callable[[], None] | None = None
    ) -> None:
        """Script a listing walk: the page answered for each `page` cursor (None: the first).
        `on_repeat` is called when a page is asked for twice or a cursor never scripted comes."""
        self._arm(("list", ""), _Case(dict(pages), on_repeat))

    def _arm(self, key: _Key, case: _Case) -> None:
        with self._lock:
            self._cases[key] = case
            self._last = key

    def take(self, key: str = "", *, operation: Operation = "run") -> tuple[RecordedRequest, ...]:
        """The requests recorded for the case, which is then forgotten."""
        with self._lock:
            case = self._cases.pop((operation, key), None)
            if self._last == (operation, key):
                self._last = None
        return tuple(case.requests) if case else ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        query: bytes = scope.get("query_string", b"")
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        target = raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        request = RecordedRequest(scope["method"], target, headers, body)
        cursor = parse_qs(query.decode("latin-1")).get("page", [None])[-1]
        found = self._record(raw_path, request, cursor)
        if found is None:
            await _send(send, Scripted(404, (("content-type", "application/json"),), _NO_CASE))
            return
        case, (scripted, decides) = found
        if decides and case.on_repeat is not None:
            case.on_repeat()
        await _send(send, scripted)

    def _record(
        self, raw_path: bytes, request: RecordedRequest, cursor: str | None
    ) -> tuple[_Case, tuple[Scripted, bool]] | None:
        key = _key(raw_path)
        with self._lock:
            case = self._cases.get(key) if key is not None else None
            if case is None and self._last is not None:
                case = self._cases.get(self._last)
            if case is None:
                self.unmatched += 1
                return None
            case.requests.append(request)
            return case, case.answer(cursor)


def _key(raw_path: bytes) -> _Key | None:
    """The case a request's path names: its operation and the id it decodes to."""
    if _LIST_PATH.match(raw_path):
        return ("list", "")
    for operation, pattern in (("run", _RUN_PATH), ("retrieve", _RETRIEVE_PATH)):
        match = pattern.match(raw_path)
        if match:
            return (operation, unquote(match[1].decode("latin-1"), errors="replace"))  # type: ignore[return-value]
    return None


_NO_CASE = b'{"type": "error", "error": {"type": "not_found_error", "message": "no case is scripted"}}'
_NO_CURSOR = (
    b'{"type": "error", "error": {"type": "invalid_request_error", "message": "no page has this cursor"}}'
)


async def _read_body(receive: Receive) -> bytes:
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= _MAX_BODY:
            chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _send(send: Send, response: Scripted) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
