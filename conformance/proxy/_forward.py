"""The forwarding half of the proxy: an ASGI app that streams each request to the upstream and
its answer back, unchanged, and hands a copy (bodies up to a cap) to the judge.

Nothing is buffered whole: bodies flow chunk by chunk both ways, at the pace of the slower
side, and only their first `judge_cap` bytes are kept for judging. The path and query go
upstream byte for byte (the raw request target), headers too, but for the hop-by-hop ones
and `host`. The proxy sends no request of its own.

Only the upstream's scheme, host and port are ever contacted: the upstream URL is built from
its parts, and a request whose target is not a path (`@host/...`, `http://host/...`), or whose
body is framed two ways (Content-Length and Transfer-Encoding), is answered 400 in the API's
error envelope and not forwarded.

Bounded in time: connecting (waiting for a free pooled connection included) and each wait
for the upstream's next bytes have limits (`Limits`), and so has each exchange as a whole (its
`deadline`: an answer trickled, or preceded by interim 1xx answers for ever, is never silent).
An upstream that cannot be reached, does not answer in time, breaks off or answers a status no
server can send on is answered 502 or 504 in the API's error envelope, as long as none of its
answer has gone to the client (after that, the client sees its answer end short). A client that
leaves takes its exchange with it: the upstream request is closed at once, whether it was
still waiting for the answer or streaming it, never read to its end. Every exchange ends as
one outcome for the judge: `Seen` (a whole answer, handed over before its last bytes reach
the client) or `Lost` (why there is no whole answer to judge).

The upstream client is aiohttp: under 32 concurrent clients httpx cost about 2 ms of CPU per
exchange (its pool scans every connection for each request), a proxy's whole budget.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import aiohttp
import orjson
from multidict import CIMultiDict
from starlette.types import Message, Receive, Scope, Send
from yarl import URL

if TYPE_CHECKING:
    from ._judge import Judge

__all__ = ["ForwardingApp", "Limits", "Lost", "Seen", "Upstream"]

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
# Headers aiohttp would add of its own accord: the proxy forwards the client's, or none.
_NOT_ADDED = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
# What a misbehaving upstream raises in aiohttp (connection, protocol and timeout errors).
_UPSTREAM_FAULTS = (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError)
# The final statuses a server can send (h11 and uvicorn refuse a 1xx as final, or 999).
_SENDABLE = range(200, 600)


@dataclass(frozen=True, slots=True)
class Limits:
    """How long the proxy waits on the upstream, and how many connections it opens to it."""

    connect_timeout: float = 10.0  # to connect, a wait for a free pooled connection included
    read_timeout: float = 60.0  # the longest the upstream may stay silent, before or within its answer
    connections: int = 100  # open to the upstream at once; a request beyond waits (connect_timeout)

    @property
    def deadline(self) -> float:
        """The longest one exchange may take, request to last byte: a connection, a silence's
        worth for the answer's head and as long again for its body."""
        return self.connect_timeout + 2 * self.read_timeout


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
    response_truncated: bool  # over the cap: then nothing of it is kept
    elapsed_s: float


LostKind = Literal["unreachable", "timeout", "broken", "client-left", "stopped", "refused"]


@dataclass(frozen=True, slots=True)
class Lost:
    """An exchange with no whole answer to judge: the request as it came, and what happened."""

    method: str
    target: str
    request_headers: dict[str, str]
    request_body: bytes
    kind: LostKind
    detail: str  # for the console and the report (the judge scrubs it of credentials first)
    elapsed_s: float
    # The upstream's part, when it is to blame: it went silent ("stalled") or broke off ("cut"),
    # with the status if a head came and the body bytes read; judged as its answer's delivery.
    upstream: Upstream | None = None


@dataclass(frozen=True, slots=True)
class Upstream:
    """How the upstream's answer to a lost exchange ended."""

    ending: Literal["stalled", "cut"]
    status: int | None = None
    received: int = 0
    waited_s: float | None = None  # stalled: the read timeout that ran out


class _Tee:
    """Keeps the first `cap` bytes of a stream passing through (`drop`: nothing once over)."""

    def __init__(self, cap: int, *, drop: bool = False) -> None:
        self.cap, self.drop = cap, drop
        self.parts, self.size, self.truncated = list[bytes](), 0, False

    def add(self, chunk: bytes) -> None:
        if self.truncated:
            return
        room = self.cap - self.size
        if len(chunk) > room:
            self.truncated = True
            if self.drop:  # an answer over the cap is not judged: hold none of it
                self.parts.clear()
                return
        if room > 0 and chunk:
            self.parts.append(chunk[:room])
            self.size += min(room, len(chunk))

    def bytes(self) -> bytes:
        return b"".join(self.parts)


def _joined(pairs: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in pairs:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        out[key] = f"{out[key]}, {text}" if key in out else text
    return out


class _Client:
    """One exchange's client: its request body as it streams in, and whether it has left.

    Until `done()`, a client leaving (ASGI `http.disconnect`) cancels the exchange's task
    wherever it waits (for the upstream's answer, for its next bytes, for the client to take
    the last ones), so the upstream request is closed rather than read to its end."""

    def __init__(self, receive: Receive, task: asyncio.Task[Any]) -> None:
        self._receive, self._task = receive, task
        self.gone = False
        self._open = True
        self._watcher: asyncio.Task[None] | None = None
        self.answered: int | None = None  # bytes of the answer sent on so far (None: none yet)
        self.handed = False  # the judge has the exchange: nothing more to note of it

    def where(self) -> str:
        """How far the exchange had come."""
        if self.answered is None:
            return "before the upstream answered"
        return f"{self.answered} bytes into the answer"

    def watch(self) -> None:
        """Notice the client leaving from now on (once its request body is all read)."""
        if self._open and self._watcher is None:
            self._watcher = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        while (await self._receive())["type"] != "http.disconnect":
            pass
        self._left()

    def _left(self) -> None:
        if self._open:
            self._open, self.gone = False, True
            self._task.cancel()

    def done(self) -> None:
        """The exchange is past leaving: no cancellation from here on."""
        self._open = False
        if self._watcher is not None:
            self._watcher.cancel()

    async def body(self, tee: _Tee) -> AsyncIterator[bytes]:
        while True:
            message: Message = await self._receive()
            if message["type"] == "http.disconnect":
                self._left()
                raise ConnectionResetError("the client left while sending its body")  # aborts the upload
            chunk = message.get("body", b"")
            tee.add(chunk)
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                self.watch()
                return


class ForwardingApp:
    """ASGI: every request to `upstream` (scheme, host, port and a path prefix), streamed."""

    def __init__(self, upstream: str, judge: Judge, *, judge_cap: int, limits: Limits = Limits()) -> None:
        url = URL(upstream)
        self._origin = url.origin()  # scheme, host and port: all a request may choose is its path
        self._prefix = url.raw_path.rstrip("/")
        self.judge, self.judge_cap, self.limits = judge, judge_cap, limits
        self.received = 0  # requests received, each one exchange for the judge
        self.forwarded = 0  # requests the upstream answered: one per request received, never more
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        # Made on first use, inside the server's event loop; pooled, so upstream keep-alive holds.
        if self._session is None:
            limits = self.limits
            self._session = aiohttp.ClientSession(
                # Idle connections are dropped before a server's own keep-alive ends them (uvicorn:
                # 5 s), so a request rarely meets a connection closing under it.
                connector=aiohttp.TCPConnector(
                    limit=limits.connections, limit_per_host=0, keepalive_timeout=4.0
                ),
                timeout=aiohttp.ClientTimeout(
                    total=limits.deadline,
                    connect=limits.connect_timeout,
                    sock_connect=limits.connect_timeout,
                    sock_read=limits.read_timeout,
                ),
                cookie_jar=aiohttp.DummyCookieJar(),  # one client's cookies never go with another's requests
                auto_decompress=False,
                skip_auto_headers=_NOT_ADDED,
                trust_env=False,
            )
        return self._session

    async def aclose(self) -> None:
        """Close the upstream connections (the app serves no more after)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets
        self.received += 1
        started = time.monotonic()
        raw = scope.get("raw_path") or scope["path"].encode("utf-8")
        query = scope.get("query_string", b"")
        target = raw + (b"?" + query if query else b"")
        pairs = [(k.lower(), v) for k, v in scope["headers"]]
        task = asyncio.current_task()
        assert task is not None
        client = _Client(receive, task)
        sent = _Tee(self.judge_cap)

        def lost(kind: LostKind, detail: str, upstream: Upstream | None = None) -> Lost:
            return Lost(
                scope["method"],
                target.decode("latin-1"),
                _joined(pairs),
                sent.bytes(),
                kind,
                detail,
                time.monotonic() - started,
                upstream,
            )

        def note(kind: LostKind, detail: str, upstream: Upstream | None) -> None:
            self.judge.note(lost(kind, detail, upstream))
            client.handed = True

        refused = _refusal(raw, pairs)
        if refused is not None:  # never forwarded: answered here, and the connection closed
            self.judge.note(lost("refused", refused))
            await _answer(send, 400, "invalid_request_error", refused, close=True)
            return
        outcome: tuple[LostKind, str, Upstream | None] | None
        try:
            outcome = await self._exchange(scope["method"], target, pairs, client, sent, send, started, note)
        except asyncio.CancelledError:
            # Ours when the client left; any other is the proxy stopping: noted, and it goes on.
            if not client.gone or task.uncancel() > 0:
                if not client.handed:
                    self.judge.note(lost("stopped", client.where()))
                raise
            outcome = ("client-left", client.where(), None)
        finally:
            client.done()
        if outcome is not None:
            self.judge.note(lost(*outcome))

    async def _exchange(
        self,
        method: str,
        target: bytes,
        pairs: list[tuple[bytes, bytes]],
        client: _Client,
        sent: _Tee,
        send: Send,
        started: float,
        note: Callable[[LostKind, str, Upstream | None], None],
    ) -> tuple[LostKind, str, Upstream | None] | None:
        """Forward one exchange: None once the judge has it (`note` hands over one without a
        whole answer), else why it has no whole answer."""
        has_body = any(k in (b"content-length", b"transfer-encoding") for k, _ in pairs)
        headers = CIMultiDict(
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in pairs if k not in _HOP_BY_HOP
        )
        path, _, query = target.decode("latin-1").partition("?")
        origin = self._origin
        url = URL.build(
            scheme=origin.scheme,
            authority=origin.raw_authority,
            path=self._prefix + path,
            query_string=query,
            encoded=True,
        )
        if not has_body:
            client.watch()
        try:
            response = await self._http().request(
                method,
                url,
                headers=headers,
                data=client.body(sent) if has_body else None,
                allow_redirects=False,
            )
        except _UPSTREAM_FAULTS as exc:
            status, message, kind, detail, upstream = _unanswered(exc, self.limits)
            note(kind, detail, upstream)  # before the client has its answer, as a whole one is (below)
            await _answer(send, status, "api_error", message)
            return None
        self.forwarded += 1
        got = _Tee(self.judge_cap, drop=True)
        # A status no server can send on is judged as it came; the client gets a 502 instead.
        passes = response.status in _SENDABLE
        kept = [(k.lower(), v) for k, v in response.raw_headers if k.lower() not in _HOP_BY_HOP]
        head: Message | None = {"type": "http.response.start", "status": response.status, "headers": kept}
        client.answered = 0
        try:
            # One chunk behind, the head with the first: the last bytes (or, for an empty body,
            # the head, which is then the whole answer) go out only once the judge has the exchange.
            held: bytes | None = None
            while chunk := await response.content.readany():
                got.add(chunk)
                if held is not None and passes:
                    if head is not None:
                        await send(head)
                        head = None
                    await send({"type": "http.response.body", "body": held, "more_body": True})
                    client.answered += len(held)
                held = chunk
        except _UPSTREAM_FAULTS as exc:
            response.close()
            said = f"{client.where()}: {_describe(exc)}"
            if isinstance(exc, asyncio.TimeoutError):
                kind = "timeout"
                upstream = Upstream("stalled", response.status, got.size, _waited(exc, self.limits))
            else:
                kind, upstream = "broken", Upstream("cut", response.status, got.size)
            if head is None:  # the client has part of the answer and sees it end short: the connection closes
                return kind, said, upstream
            note(kind, said, upstream)  # none of it sent yet: the client gets the proxy's own answer
            if kind == "timeout":
                await _answer(
                    send, 504, "api_error", f"upstream timed out: {_timeout(exc, self.limits, begun=True)}"
                )
            else:
                await _answer(send, 502, "api_error", f"upstream broke off its answer: {_describe(exc)}")
            return None
        except BaseException:
            response.close()  # the client left (or the proxy stops): read no further
            raise
        client.done()
        # Handed over before the last bytes go: once a client has its whole answer, whatever
        # reads the results next (a test, the plugin) sees the exchange judged.
        await self.judge.submit(
            Seen(
                method=method,
                target=target.decode("latin-1"),
                request_headers=_joined(pairs),
                request_body=sent.bytes(),
                request_truncated=sent.truncated,
                status=response.status,
                response_headers=_joined(response.raw_headers),
                response_body=got.bytes(),
                response_truncated=got.truncated,
                elapsed_s=time.monotonic() - started,
            )
        )
        client.handed = True
        if not passes:
            said = f"upstream answered status {response.status}, which no HTTP server can send on (200-599)"
            await _answer(send, 502, "api_error", said)
            return None
        if head is not None:
            await send(head)
        await send({"type": "http.response.body", "body": held or b"", "more_body": False})
        return None

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        log, scrub = logging.getLogger("uvicorn.error"), _Scrubbing(self.judge)
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                log.addFilter(scrub)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                log.removeFilter(scrub)
                await send({"type": "lifespan.shutdown.complete"})
                return


class _Scrubbing(logging.Filter):
    """uvicorn's log lines while it serves the proxy (stderr), scrubbed as the judge's are."""

    def __init__(self, judge: Judge) -> None:
        super().__init__()
        self.judge = judge

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info:  # a traceback's messages may quote a request
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self.judge.keys.redactor.text(text), ()
        record.exc_info, record.exc_text = None, None
        return True


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


def _unanswered(exc: BaseException, limits: Limits) -> tuple[int, str, LostKind, str, Upstream | None]:
    """The client's answer, 504 (no answer in time) or 502 (no answer at all) with its message,
    and why (and whether the upstream, once asked, is to blame)."""
    kind: LostKind
    upstream = None  # no connection: the upstream was never asked, or the proxy's pool was full
    if isinstance(exc, asyncio.TimeoutError):
        status, kind, why = 504, "timeout", _timeout(exc, limits)
        if not isinstance(exc, aiohttp.ConnectionTimeoutError):
            upstream = Upstream("stalled", waited_s=_waited(exc, limits))
    else:
        status, kind = 502, "unreachable"
        why = type(exc).__name__
        if isinstance(exc, aiohttp.ServerDisconnectedError):  # asked, and it closed without a word
            upstream = Upstream("cut")
    said = "upstream unreachable" if kind == "unreachable" else "upstream timed out"
    return status, f"{said}: {why}", kind, why if kind == "timeout" else _describe(exc), upstream


def _waited(exc: BaseException, limits: Limits) -> float:
    """The timeout that ran out: aiohttp's read timeout, else the exchange's deadline."""
    return limits.read_timeout if isinstance(exc, aiohttp.ServerTimeoutError) else limits.deadline


def _timeout(exc: BaseException, limits: Limits, *, begun: bool = False) -> str:
    """Which timeout ran out, in the flags' words (`begun`: the answer's head had come)."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return f"no connection to the upstream within {limits.connect_timeout:g} s (--connect-timeout)"
    if isinstance(exc, aiohttp.ServerTimeoutError):
        said = "its answer stopped: silent for" if begun else "no answer within"
        return f"{said} {limits.read_timeout:g} s (--read-timeout)"
    return (
        f"no whole answer within {limits.deadline:g} s (the deadline of an exchange:"
        " --connect-timeout + 2 x --read-timeout)"
    )


def _refusal(raw: bytes, pairs: list[tuple[bytes, bytes]]) -> str | None:
    """Why a request is not to be forwarded, if it is not."""
    if not raw.startswith(b"/"):  # "@host/...", "http://host/...": it could name another host
        return "the request target is not a path (RFC 9112 section 3.2.1: origin-form); not forwarded"
    names = {name for name, _ in pairs}
    if b"content-length" in names and b"transfer-encoding" in names:  # a request smuggling vector
        return (
            "both Content-Length and Transfer-Encoding (RFC 9112 section 6.1: a body framed two ways);"
            " not forwarded"
        )
    return None


async def _answer(send: Send, status: int, error: str, message: str, *, close: bool = False) -> None:
    """The proxy's own answer: `message` in the API's error envelope (`close`: and the connection)."""
    body = orjson.dumps(
        {"type": "error", "error": {"type": error, "message": f"drun-conformance proxy: {message}"}}
    )
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
