"""The parts every server mutant catalog is built from: a Reply the reference server gave, a
Mutant (one fault, the requirement it must fail), fault builders, and FaultInjector, the ASGI
middleware that tells one mutant's lie on the way out (and sends a reply broken on the wire
when its `wire` says so). The catalogs: tests/mutants.py (and the area catalogs it gathers).
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Body = dict[str, Any]
# How a reply leaves: whole; cut short after half its body (with a content-length, or chunked);
# silent (no byte); stalled after half its body; trickled a byte at a time; flooded past any cap
# (chunked, or declaring a GiB).
Wire = Literal["whole", "cut", "cut-chunked", "silent", "stall", "trickle", "flood", "flood-declared"]
_TRICKLE_S = 0.2  # between two bytes of a trickle: each read is quick, the whole answer is not


@dataclass(slots=True)
class Reply:
    """A response the middleware may rewrite before it leaves."""

    status: int
    headers: dict[str, str]
    body: bytes
    path: str  # the raw request path, percent-encoded
    method: str
    count: int  # how many run requests (POST) came before this one
    api_key: str | None = None  # the key the request carried, in either form (None: none)
    query: str = ""  # the raw query string
    wire: Wire = "whole"

    @property
    def key_wrong(self) -> bool:
        from drun_conformance.server.reference import DEFAULT_API_KEY

        return self.api_key is not None and self.api_key != DEFAULT_API_KEY

    @property
    def is_run(self) -> bool:
        return self.method == "POST" and self.path.endswith("/run")

    @property
    def is_read_back(self) -> bool:
        return self.method == "GET" and self.path.startswith("/v1/deployment_runs/")

    def json(self) -> Any:
        return json.loads(self.body)

    def set_json(self, data: Any) -> None:
        self.body = json.dumps(data).encode()


Fault = Callable[[Reply], None]


@dataclass(frozen=True, slots=True)
class Mutant:
    name: str
    requirement: str
    fault: Fault
    also: frozenset[str] = frozenset()
    add_key_when_missing: bool = False  # request fault: the server stops checking credentials
    accept_any_key: bool = False  # request fault: the server checks a key is there, not that it is valid
    add_beta_when_missing: bool = False  # request fault: the server stops requiring the beta
    note: str = ""
    listing_query: Callable[[dict[str, str]], object] | None = None  # request fault: the listing
    # reads other parameters than were sent
    accepts_key: Callable[[str, str], bool] | None = None  # request fault: (the header, "x-api-key"
    # or "bearer"; the key as sent, "" for none) the server takes for the real key
    folds_id: Callable[[str], str] | None = None  # request fault: the router reads a run-now path's
    # id (decoded) through this, and runs the deployment it names when there is one
    accepts_betas: Callable[[list[str]], bool] | None = None  # request fault: anthropic-beta values
    # (sent, without the operation's own) the server takes for it
    lone_beta_only: bool = False  # request fault: an anthropic-beta listing several values is read
    # as none (the server reads a lone value)
    pages_by_offset: bool = False  # request fault: the listing pages by offset (`page` counts the
    # runs listed before it), so a run made during a walk shifts the pages under it


def on_run_body(change: Callable[[Body], None], *, when: Callable[[Body], bool] = lambda b: True) -> Fault:
    """A fault that edits successful Run Deployment Now bodies, and those runs read back by id
    (a server that answers the lie also stores it)."""

    def fault(reply: Reply) -> None:
        if (reply.is_run or reply.is_read_back) and reply.status == 200:
            body = reply.json()
            if when(body):
                change(body)
                reply.set_json(body)

    return fault


def on_listing_items(change: Callable[[Body], None]) -> Fault:
    def fault(reply: Reply) -> None:
        if reply.method == "GET" and reply.status == 200 and "/v1/deployment_runs" in reply.path:
            body = reply.json()
            for item in body.get("data", []):
                change(item)
            reply.set_json(body)

    return fault


@dataclass
class FaultInjector:
    """ASGI middleware: the reference app, with one mutant's lie told on the way out."""

    app: ASGIApp
    mutant: Mutant
    runs: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        scope = self._rewrite_request(scope)
        method, path = scope["method"], scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        count = self.runs
        if method == "POST":
            self.runs += 1
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in started["headers"]}
        reply = Reply(
            started["status"],
            headers,
            b"".join(chunks),
            path,
            method,
            count,
            _credential(asked),
            scope.get("query_string", b"").decode("latin-1"),
        )
        window = scope.get(_OFFSET_WINDOW)
        if window is not None and reply.status == 200:
            _paged_by_offset(reply, *window)
        self.mutant.fault(reply)
        await _send_reply(reply, receive, send)

    def _rewrite_request(self, scope: Scope) -> Scope:
        headers = list(scope["headers"])
        names = {name.lower() for name, _ in headers}
        if self.mutant.add_key_when_missing and b"x-api-key" not in names and b"authorization" not in names:
            from drun_conformance.server.reference import DEFAULT_API_KEY

            headers.append((b"x-api-key", DEFAULT_API_KEY.encode()))
        if self.mutant.accept_any_key:
            from drun_conformance.server.reference import DEFAULT_API_KEY

            taken = DEFAULT_API_KEY.encode()
            headers = [(n, taken if n.lower() == b"x-api-key" and v.strip() else v) for n, v in headers]
        if self.mutant.add_beta_when_missing and b"anthropic-beta" not in names:
            headers.append((b"anthropic-beta", REQUIRED_BETA.encode()))
        if self.mutant.accepts_key is not None:
            headers = [(n, _accepted(n, v, self.mutant.accepts_key)) for n, v in headers]
        if self.mutant.accepts_betas is not None:
            headers = [(n, _betas_accepted(n, v, self.mutant.accepts_betas)) for n, v in headers]
        if self.mutant.lone_beta_only:
            headers = [(n, v) for n, v in headers if n.lower() != b"anthropic-beta" or b"," not in v]
        if self.mutant.folds_id is not None:
            scope = _folded(scope, self.mutant.folds_id)
        query_string = scope.get("query_string", b"")
        if self.mutant.listing_query is not None and scope["path"] == "/v1/deployment_runs":
            query = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
            self.mutant.listing_query(query)
            query_string = urlencode(query).encode("latin-1")
        window: dict[str, tuple[int, int]] = {}
        if self.mutant.pages_by_offset and scope["path"] == "/v1/deployment_runs":
            query_string, window = _whole_listing(query_string)
        return {**copy.copy(scope), "headers": headers, "query_string": query_string, **window}


_OFFSET_WINDOW = "drun.offset_window"  # (first, size) of the runs an offset-paged page shows


def _whole_listing(query_string: bytes) -> tuple[bytes, dict[str, tuple[int, int]]]:
    """An offset-paged listing request as the reference server is asked it: every run (up to
    1,000), and the window of them to show; one it would refuse, unchanged."""
    query = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    cursor, limit = query.pop("page", "offset-0"), query.get("limit", "0")
    offset = cursor.removeprefix("offset-")
    if not (cursor.startswith("offset-") and offset.isdigit() and limit.isdigit() and int(limit) <= 1000):
        return query_string, {}
    query["limit"] = "1000"
    return urlencode(query).encode("latin-1"), {_OFFSET_WINDOW: (int(offset), int(limit) or 20)}


def _paged_by_offset(reply: Reply, first: int, size: int) -> None:
    runs = reply.json()["data"]
    end = first + size
    reply.set_json({"data": runs[first:end], "next_page": f"offset-{end}" if end < len(runs) else None})


def _accepted(name: bytes, value: bytes, accepts: Callable[[str, str], bool]) -> bytes:
    """A credential header as the server reads it: a key it takes, replaced by the real one."""
    from drun_conformance.server.reference import DEFAULT_API_KEY

    text = value.decode("latin-1")
    if name.lower() == b"x-api-key" and accepts("x-api-key", text):
        return DEFAULT_API_KEY.encode()
    scheme, _, token = text.partition(" ")
    if name.lower() == b"authorization" and scheme.lower() == "bearer" and accepts("bearer", token):
        return f"Bearer {DEFAULT_API_KEY}".encode()
    return value


def _betas_accepted(name: bytes, value: bytes, accepts: Callable[[list[str]], bool]) -> bytes:
    betas = [b.strip() for b in value.decode("latin-1").split(",")]
    if name.lower() != b"anthropic-beta" or REQUIRED_BETA in betas or not accepts(betas):
        return value
    return value + b"," + REQUIRED_BETA.encode()


def _folded(scope: Scope, fold: Callable[[str], str]) -> Scope:
    """The request routed as a lax router does: a run-now path's id read through `fold`, and
    the deployment it then names run (when there is one)."""
    from drun_conformance.server.reference import default_scenario, run_path

    raw = scope.get("raw_path") or scope["path"].encode()
    parts = raw.split(b"/")
    if len(parts) != 5 or parts[1:3] != [b"v1", b"deployments"] or parts[4] != b"run":
        return scope
    known = {d.id for d in default_scenario().deployments}
    asked = unquote(parts[3].decode("latin-1"))
    folded = fold(asked)
    if folded == asked or folded not in known:
        return scope
    path = run_path(folded)
    return {**copy.copy(scope), "raw_path": path.encode(), "path": unquote(path)}


REQUIRED_BETA = "managed-agents-2026-04-01"


def _credential(asked: dict[str, str]) -> str | None:
    """The key a request carried, as the reference server reads it: `x-api-key`, else a Bearer
    token; a header sent empty carries none."""
    scheme, _, token = asked.get("authorization", "").strip().partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else ""
    return asked.get("x-api-key", "").strip() or bearer or None


async def _send_reply(reply: Reply, receive: Receive, send: Send) -> None:
    """Send `reply` as its `wire` says; uvicorn closes the connection when the app returns before
    the body is complete."""
    wire, body = reply.wire, reply.body
    if wire == "silent":
        await _until_gone(receive)
        return
    if wire in ("cut-chunked", "flood"):
        reply.headers.pop("content-length", None)  # no length: uvicorn sends it chunked
    else:
        reply.headers["content-length"] = str(1 << 30 if wire == "flood-declared" else len(body))
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items()]
    await send({"type": "http.response.start", "status": reply.status, "headers": raw})
    if wire == "whole":
        await send({"type": "http.response.body", "body": body})
        return
    half = body[: len(body) // 2]
    gone = asyncio.ensure_future(_until_gone(receive))
    try:
        if wire in ("cut", "cut-chunked", "stall"):
            await send({"type": "http.response.body", "body": half, "more_body": True})
            if wire == "stall":
                await gone
        elif wire == "trickle":
            for byte in body:
                if gone.done():
                    return
                await send({"type": "http.response.body", "body": bytes([byte]), "more_body": True})
                await asyncio.sleep(_TRICKLE_S)
            await send({"type": "http.response.body", "body": b""})
        else:  # a flood: the body, then JSON whitespace until the client gives up
            await send({"type": "http.response.body", "body": body, "more_body": True})
            while not gone.done():
                await send({"type": "http.response.body", "body": b" " * 65536, "more_body": True})
                await asyncio.sleep(0)  # a send may not yield: let the disconnect be seen
    finally:
        gone.cancel()


async def _until_gone(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
