"""HTTP to a target under a budget: every request counted, capped in time and size.

A misbehaving target never raises out of here: an answer cut short, stalled, trickled or past
the size cap becomes a `TransportFault` carrying how it broke (a `Delivery`, for the oracle);
a connection never made, one too. Redirects are not followed. Only the budget is absolute:
the request that would exceed it is never sent.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from drun_conformance._interrupt import raise_if_interrupted
from drun_conformance._secrets import redact_headers
from drun_conformance.oracle import UNPARSED, Delivery, Ending, Exchange, parse_body
from drun_conformance.results import Counterexample

__all__ = [
    "BudgetSpent",
    "Prober",
    "Sent",
    "TransportFault",
    "curl_command",
    "exchange_example",
    "fault_example",
    "retry_after_seconds",
    "run_path",
    "whole_delivery",
]

MiB = 1024 * 1024


def run_path(deployment_id: str) -> str:
    """The Run Deployment Now path for any id: every reserved character percent-encoded.

    `.` and `..` are encoded too, or clients would resolve them as dot segments.
    """
    segment = quote(deployment_id, safe="")
    return f"/v1/deployments/{segment.replace('.', '%2E') if segment in ('.', '..') else segment}/run"


@dataclass(frozen=True, slots=True)
class Sent:
    """A request as sent (headers with credentials, never written out unredacted)."""

    method: str
    path: str
    headers: dict[str, str]

    def describe(self, base_url: str) -> dict[str, object]:
        return {"method": self.method, "url": base_url + self.path, "headers": redact_headers(self.headers)}


@dataclass(frozen=True, slots=True)
class TransportFault:
    """The target gave no usable answer: what happened, in words, and how the answer broke.

    `delivery` is None when there was no answer to judge: no connection was made, or the
    transport failed in a way that says nothing of the target ("protocol").
    """

    sent: Sent
    kind: str  # "unreachable", "protocol", or the delivery's ending: "cut", "stalled", "oversize"
    detail: str
    delivery: Delivery | None = None
    headers: dict[str, str] = field(default_factory=dict)  # the answer's head, if one came
    partial: bytes = b""  # the start of the body that did


class BudgetSpent(Exception):
    """The next request would exceed --max-requests, or start after the run's deadline
    (`deadline` True), or the run stopped: it is not sent. The message says why, in words."""

    def __init__(self, reason: str, *, deadline: bool = False) -> None:
        super().__init__(reason)
        self.deadline = deadline


def whole_delivery(sent: Sent, exchange: Exchange) -> Delivery:
    """How an answer that came whole arrived, for the oracle's transport checks."""
    return Delivery(
        sent.method,
        sent.path,
        "whole",
        status=exchange.status,
        received=len(exchange.body),
        declared=_declared(exchange.response_headers),
        location=exchange.response_headers.get("location"),
    )


def curl_command(base_url: str, sent: Sent) -> str:
    """A curl line that repeats the request, with the key read from the environment."""
    parts = [f"curl -sS -X {sent.method} '{base_url}{sent.path}'"]
    for name, value in sent.headers.items():
        if name.lower() == "x-api-key":
            value = "$ANTHROPIC_API_KEY"
        elif name.lower() == "authorization":
            value = "Bearer $ANTHROPIC_API_KEY"
        parts.append(f'-H "{name}: {value}"')
    return " \\\n  ".join(parts)


def exchange_example(base_url: str, sent: Sent, exchange: Exchange, body: Any = None) -> Counterexample:
    """A request and its answer as a report shows them; `body` the parsed body, if parsed yet."""
    body = parse_body(exchange.body) if body is None else body
    text = exchange.body[:_KEPT].decode("utf-8", "replace")
    return Counterexample(
        summary="",
        payload=None if body is UNPARSED else body,
        payload_text=text if body is UNPARSED else None,
        request=sent.describe(base_url),
        response={"status": exchange.status, "headers": exchange.response_headers, "body": text},
        curl=curl_command(base_url, sent),
    )


def fault_example(base_url: str, fault: TransportFault) -> Counterexample:
    """A request and what came of its answer before it broke, as a report shows them."""
    response = None
    if fault.delivery is not None and fault.delivery.status is not None:
        body = fault.partial.decode("utf-8", "replace")
        response = {"status": fault.delivery.status, "headers": fault.headers, "body": body}
    return Counterexample(
        summary="",
        request=fault.sent.describe(base_url),
        response=response,
        curl=curl_command(base_url, fault.sent),
    )


class Prober:
    """Sends requests to one base URL, counting them against `max_requests`."""

    def __init__(
        self,
        base_url: str,
        *,
        max_requests: int,
        timeout_s: float = 30.0,
        max_response_bytes: int = 10 * MiB,
        deadline_s: float | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_requests = max_requests
        self.sent = 0
        self._cap = max_response_bytes
        self._timeout_s = timeout_s
        self._deadline = time.monotonic() + deadline_s if deadline_s else None
        # A connection a request: the watchdog holds the socket of the one its request opened.
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    @property
    def remaining(self) -> int:
        return self.max_requests - self.sent

    @property
    def out_of_time(self) -> bool:
        return self._deadline is not None and time.monotonic() > self._deadline

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Prober:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        *,
        deployment_id: str = "",
        deployment_known: bool | None = None,
        key_wrong: bool = False,
        run_known: bool | None = None,
    ) -> tuple[Sent, Exchange | TransportFault]:
        """One request. BudgetSpent when the budget or the deadline allows no more."""
        raise_if_interrupted()
        if self.remaining <= 0:
            raise BudgetSpent(f"the budget of {self.max_requests} requests is spent")
        if self.out_of_time:
            raise BudgetSpent("the run's deadline passed (no request starts after it)", deadline=True)
        self.sent += 1
        sent = Sent(method, path, dict(headers))
        got = _Arrival()
        watchdog = _Watchdog(self._timeout_s)
        try:
            with (
                watchdog,
                self._client.stream(
                    method, path, headers=headers, extensions={"trace": watchdog.trace}
                ) as response,
            ):
                got.status = response.status_code
                got.headers = {k.lower(): v for k, v in response.headers.items()}
                self._read_capped(response, got)
        except _TooLarge as exc:
            return sent, got.fault(sent, "oversize", str(exc), cap=self._cap)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
            return sent, TransportFault(sent, "unreachable", f"cannot connect: {exc}")
        except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            # The watchdog ends a request by shutting its socket: the read then fails as if cut.
            if watchdog.fired or isinstance(exc, httpx.TimeoutException):
                return sent, got.fault(
                    sent, "stalled", "no complete answer within the timeout", self._timeout_s
                )
            return sent, got.fault(sent, "cut", str(exc) or type(exc).__name__)
        except httpx.HTTPError as exc:
            return sent, TransportFault(sent, "protocol", f"{type(exc).__name__}: {exc}")
        return sent, Exchange(
            method=method,
            deployment_id=deployment_id,
            request_headers={k.lower(): v for k, v in headers.items()},
            status=got.status,
            response_headers=got.headers,
            body=b"".join(got.chunks),
            received_at=datetime.now(UTC),
            deployment_known=deployment_known,
            run_known=run_known,
            key_wrong=key_wrong,
        )

    def _read_capped(self, response: httpx.Response, got: _Arrival) -> None:
        declared = _declared(got.headers)
        if declared is not None and declared > self._cap:  # no need to read what is known too large
            raise _TooLarge(f"the response declared {declared} bytes, past {self._cap}")
        # Decoded bytes count: a small gzip bomb must not get past the cap.
        for chunk in response.iter_bytes():
            got.received += len(chunk)
            if got.received > self._cap:
                raise _TooLarge(f"the response passed {self._cap} bytes")
            got.chunks.append(chunk)


@dataclass(slots=True)
class _Arrival:
    """What had arrived of one answer so far."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)
    received: int = 0

    def fault(
        self,
        sent: Sent,
        ending: Ending,
        detail: str,
        waited_s: float | None = None,
        *,
        cap: int | None = None,
    ) -> TransportFault:
        delivery = Delivery(
            sent.method,
            sent.path,
            ending,
            status=self.status,
            received=self.received,
            declared=_declared(self.headers),
            location=self.headers.get("location"),
            waited_s=waited_s,
            cap=cap,
            detail=detail,
        )
        partial = b"".join(self.chunks)[:_KEPT]
        return TransportFault(sent, ending, detail, delivery, self.headers, partial)


class _Watchdog:
    """Ends a request that takes longer than `timeout_s` in all, where httpx's timeouts bound
    each read only (a trickle of bytes, in the head or the body, resets them): it shuts the
    connection's socket down, which ends the blocked read."""

    def __init__(self, timeout_s: float) -> None:
        self.fired = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(timeout_s, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpx's trace hook: keeps the socket of the connection just opened (or wrapped in TLS)."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            with self._lock:
                self._socket = info["return_value"].get_extra_info("socket")
                if self.fired:
                    self._shut()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shut()

    def _shut(self) -> None:
        if self._socket is not None:
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed
                pass


def _declared(headers: dict[str, str]) -> int | None:
    """The content-length a head declares, when it is one number."""
    value = headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


class _TooLarge(Exception):
    pass


_KEPT = 65536  # bytes of a broken answer's body kept for the report


def retry_after_seconds(value: str | None, *, default: float = 1.0, cap: float = 60.0) -> float:
    """The wait a 429's `retry-after` asks for (seconds or an HTTP date), within 0 and `cap`."""
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return default
    return min(max(seconds, 0.0), cap) if seconds == seconds else default  # NaN: the default
