"""The forwarding half of the proxy: an ASGI app that streams each request to the upstream and
its answer back, unchanged, and hands a copy (bodies up to a cap) to the judge once done.

Nothing is buffered whole: bodies flow chunk by chunk both ways, and only their first
`judge_cap` bytes are kept for judging. The path and query go upstream byte for byte (the
raw request target), headers too, but for the hop-by-hop ones and `host`. The proxy sends
no request of its own; an upstream it cannot reach is answered 502 in the API's envelope,
said so on the console, and not judged.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import orjson
from starlette.types import Message, Receive, Scope, Send

__all__ = ["ForwardingApp", "Seen"]

# RFC 9110 section 7.6.1: these describe one connection, not the message; never forwarded.
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    }
)


@dataclass(frozen=True, slots=True)
class Seen:
    """One exchange as it passed: the request target raw, headers with lower-case names
    (a repeated header joined with ", "), and each body's first bytes up to the cap."""

    method: str
    target: str  # raw path and "?query", percent-encoded as the client sent it
    request_headers: dict[str, str]
    request_body: bytes
    request_truncated: bool
    status: int
    response_headers: dict[str, str]
    response_body: bytes  # as on the wire: still content-encoded if the upstream encoded it
    response_truncated: bool
    elapsed_s: float


class _Tee:
    """Keeps the first `cap` bytes of a stream passing through."""

    def __init__(self, cap: int) -> None:
        self.cap, self.parts, self.size, self.truncated = cap, list[bytes](), 0, False

    def add(self, chunk: bytes) -> None:
        room = self.cap - self.size
        if len(chunk) > room:
            self.truncated = True
        if room > 0 and chunk:
            self.parts.append(chunk[:room])
            self.size += min(room, len(chunk))

    def bytes(self) -> bytes:
        return b"".join(self.parts)


def _joined(pairs: list[tuple[bytes, bytes]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in pairs:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        out[key] = f"{out[key]}, {text}" if key in out else text
    return out


class ForwardingApp:
    """ASGI: every request to `upstream` (scheme, host, port and a path prefix), streamed."""

    def __init__(self, upstream: str, judge: Callable[[Seen], None], *, judge_cap: int) -> None:
        self.upstream = httpx.URL(upstream)
        self.judge, self.judge_cap = judge, judge_cap
        self.forwarded = 0  # requests sent upstream: one per request received, never more
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        # Made on first use, inside the server's event loop; pooled, so upstream keep-alive holds.
        if self._client is None:
            timeout = httpx.Timeout(
                connect=10.0, read=None, write=None, pool=None
            )  # a slow upstream is waited for
            self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False)
        return self._client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # no lifespan, no websockets: uvicorn is told lifespan="off"
        started = time.monotonic()
        raw = scope.get("raw_path") or scope["path"].encode("utf-8")
        query = scope.get("query_string", b"")
        target = raw + (b"?" + query if query else b"")
        prefix = self.upstream.raw_path.split(b"?")[0].rstrip(b"/")
        url = self.upstream.copy_with(raw_path=prefix + target)
        request_pairs = [(k.lower(), v) for k, v in scope["headers"]]
        forward = [(k, v) for k, v in request_pairs if k not in _HOP_BY_HOP]
        has_body = any(k in (b"content-length", b"transfer-encoding") for k, _ in request_pairs)
        sent = _Tee(self.judge_cap)
        request = self._http().build_request(
            scope["method"], url, headers=forward, content=_body(receive, sent) if has_body else None
        )
        try:
            response = await self._http().send(request, stream=True)
        except httpx.HTTPError as exc:
            await _unreachable(send, f"{type(exc).__name__}: {exc}"[:300])
            return
        self.forwarded += 1
        got = _Tee(self.judge_cap)
        try:
            headers = [(k.lower(), v) for k, v in response.headers.raw if k.lower() not in _HOP_BY_HOP]
            await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
            held = b""  # one chunk behind: the last goes out only once the exchange is judged
            async for chunk in response.aiter_raw():
                got.add(chunk)
                if held:
                    await send({"type": "http.response.body", "body": held, "more_body": True})
                held = chunk
        except httpx.HTTPError as exc:  # the upstream broke off mid-answer: the client sees it end
            print(f"drun-conformance proxy: {target[:120]!r}: the upstream broke off: {exc}", file=sys.stderr)
            return
        finally:
            await response.aclose()
        # Judged before the answer's last bytes reach the client: once a client has its answer,
        # the exchange is on record (a test or a plugin reading the results next sees it).
        self.judge(
            Seen(
                method=scope["method"],
                target=target.decode("latin-1"),
                request_headers=_joined(request_pairs),
                request_body=sent.bytes(),
                request_truncated=sent.truncated,
                status=response.status_code,
                response_headers=_joined(list(response.headers.raw)),
                response_body=got.bytes(),
                response_truncated=got.truncated,
                elapsed_s=time.monotonic() - started,
            )
        )
        await send({"type": "http.response.body", "body": held, "more_body": False})


async def _body(receive: Receive, tee: _Tee) -> AsyncIterator[bytes]:
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        tee.add(chunk)
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def _unreachable(send: Send, detail: str) -> None:
    print(f"drun-conformance proxy: the upstream did not answer: {detail}", file=sys.stderr)
    body = orjson.dumps(
        {
            "type": "error",
            "error": {
                "type": "api_error",
                "message": f"drun-conformance proxy: upstream unreachable: {detail}",
            },
        }
    )
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 502, "headers": headers})
    await send({"type": "http.response.body", "body": body})
