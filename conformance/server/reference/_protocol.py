"""uvicorn's HTTP/1.1 protocol (h11) with the bounds it lacks: a deadline for each request to
arrive, and a graceful close after a head it refuses.

uvicorn closes a keep-alive connection idle for `timeout_keep_alive` (5 s), but only after a
first answer, and any byte cancels that timer: a connection that never sends a byte, or
trickles its head or its body (slowloris), is held for ever. Here, from the moment a
connection waits on its client (just opened, or its answer sent), the client has
REQUEST_SECONDS to deliver a whole request, head and body, or the connection is closed. A
request being answered is never cut: the deadline stops once the request is in.

A head h11 refuses (malformed, or over the head bound) is answered 400 with the API's error
envelope rather than uvicorn's plain text, then the connection is closed gracefully: the
answer, a FIN, and whatever the client still sends read and dropped until it closes too (or
the deadline), so the client reads the answer where an abrupt close would reset it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ._app import envelope

__all__ = ["REQUEST_SECONDS", "BoundedH11Protocol"]

REQUEST_SECONDS = 10.0
# Their states in which the connection waits on the client (ERROR: a refused head, lingering).
_WAITING = (h11.IDLE, h11.SEND_BODY, h11.ERROR)


class BoundedH11Protocol(H11Protocol):
    """H11Protocol, plus the request deadline and the graceful close after a refused head."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._lingering = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # the 400 is sent: the rest is dropped unread, never buffered
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        bound = self.config.h11_max_incomplete_event_size
        body = envelope(400, f"Invalid HTTP/1.1 request: a malformed head, or one over {bound} bytes.")
        payload = json.dumps(body, separators=(",", ":")).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"request-id", body["request_id"].encode()),
            (b"connection", b"close"),
        ]
        try:
            for event in (
                h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                h11.Data(data=payload),
                h11.EndOfMessage(),
            ):
                self.transport.write(self.conn.send(event) or b"")
        except h11.LocalProtocolError:  # an answer was under way already: no room for this one
            self.transport.close()
            return
        self._lingering = True
        if self.transport.can_write_eof():
            self.transport.write_eof()  # the client reads the answer, then EOF; its FIN ends it
        self.flow.resume_reading()  # what the client still sends must be read to be dropped
        self._watch()

    def _watch(self) -> None:
        """Run the deadline while the connection waits on its client; stop it once a request is in."""
        waiting = self.conn.their_state in _WAITING
        if waiting and self._deadline is None:
            self._deadline = self.loop.call_later(REQUEST_SECONDS, self._expire)
        elif not waiting and self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()
