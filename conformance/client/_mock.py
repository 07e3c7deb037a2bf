"""The scripted mock server of the SDK gate: it answers what the case says and records what came.

Cases are keyed by deployment id. A request is matched to its case by the id its path decodes
to; a request no case matches (an SDK that did not escape the id, say) goes to the case armed
last, since the gate makes one call at a time. Either way it is recorded with the raw request
target and answered with that case's scripted bytes, so a wrong path is the path
requirement's finding and the answer can still be judged. A second request for a case (a
retry, a second call) decides client.request.once there and then: the case's `on_repeat` is
told, so the gate need not wait out the SDK's retries.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from starlette.types import Receive, Scope, Send

from drun_conformance.oracle import RecordedRequest

__all__ = ["Scripted", "ScriptedServer"]

_RUN_PATH = re.compile(rb"^/v1/deployments/([^/]+)/run$")
_MAX_BODY = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Scripted:
    """The bytes one case answers: status, headers, body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(slots=True)
class _Case:
    response: Scripted
    on_repeat: Callable[[], None] | None = None
    requests: list[RecordedRequest] = field(default_factory=list)


class ScriptedServer:
    """An ASGI app: `arm(deployment_id, response)`, let the SDK call, then `take(deployment_id)`."""

    def __init__(self) -> None:
        self._cases: dict[str, _Case] = {}
        self._last: str | None = None
        self._lock = threading.Lock()
        self.unmatched = 0  # requests that came with no case armed

    def arm(
        self, deployment_id: str, response: Scripted, *, on_repeat: Callable[[], None] | None = None
    ) -> None:
        """Script the answer to the case of `deployment_id`; `on_repeat` is called (from the
        server's thread) when a second request for it arrives."""
        with self._lock:
            self._cases[deployment_id] = _Case(response, on_repeat)
            self._last = deployment_id

    def take(self, deployment_id: str) -> tuple[RecordedRequest, ...]:
        """The requests recorded for the case, which is then forgotten."""
        with self._lock:
            case = self._cases.pop(deployment_id, None)
            if self._last == deployment_id:
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
        case = self._record(raw_path, request)
        if case is None:
            await _send(send, Scripted(404, (("content-type", "application/json"),), _NO_CASE))
            return
        if len(case.requests) == 2 and case.on_repeat is not None:
            case.on_repeat()
        await _send(send, case.response)

    def _record(self, raw_path: bytes, request: RecordedRequest) -> _Case | None:
        match = _RUN_PATH.match(raw_path)
        key = unquote(match[1].decode("latin-1"), errors="replace") if match else None
        with self._lock:
            case = self._cases.get(key) if key is not None else None
            if case is None and self._last is not None:
                case = self._cases.get(self._last)
            if case is None:
                self.unmatched += 1
                return None
            case.requests.append(request)
            return case


_NO_CASE = b'{"type": "error", "error": {"type": "not_found_error", "message": "no case is scripted"}}'


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
