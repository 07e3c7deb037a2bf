"""HTTP to a target under a budget: every request counted, capped in time and size.

A misbehaving target never raises out of here: a timeout, a reset, a flood of bytes or a
redirect becomes a `TransportFault` the runner reports. Only the budget is absolute: the
request that would exceed it is never sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from drun_conformance._interrupt import raise_if_interrupted
from drun_conformance._secrets import redact_headers
from drun_conformance.oracle import Exchange

__all__ = [
    "BudgetSpent",
    "Prober",
    "Sent",
    "TransportFault",
    "curl_command",
    "retry_after_seconds",
    "run_path",
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
    """The target did not give a usable answer: what happened, in words."""

    sent: Sent
    kind: str  # "unreachable", "timeout", "reset", "too-large", "protocol"
    detail: str


class BudgetSpent(Exception):
    """The next request would exceed --max-requests: it is not sent."""


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
        self._client = httpx.Client(
            base_url=self.base_url, timeout=httpx.Timeout(timeout_s), follow_redirects=False
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
    ) -> tuple[Sent, Exchange | TransportFault]:
        """One request. BudgetSpent when the budget or the deadline allows no more."""
        raise_if_interrupted()
        if self.remaining <= 0 or self.out_of_time:
            raise BudgetSpent
        self.sent += 1
        sent = Sent(method, path, dict(headers))
        try:
            with self._client.stream(method, path, headers=headers) as response:
                body = self._read_capped(response, time.monotonic() + self._timeout_s)
        except _TooLarge as exc:
            return sent, TransportFault(sent, "too-large", str(exc))
        except httpx.ConnectError as exc:
            return sent, TransportFault(sent, "unreachable", f"cannot connect: {exc}")
        except httpx.TimeoutException:
            return sent, TransportFault(sent, "timeout", "no answer within the timeout")
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            return sent, TransportFault(sent, "reset", f"the connection broke: {exc!r}")
        except httpx.HTTPError as exc:
            return sent, TransportFault(sent, "protocol", f"{type(exc).__name__}: {exc}")
        return sent, Exchange(
            method=method,
            deployment_id=deployment_id,
            request_headers={k.lower(): v for k, v in headers.items()},
            status=response.status_code,
            response_headers={k.lower(): v for k, v in response.headers.items()},
            body=body,
            received_at=datetime.now(UTC),
            deployment_known=deployment_known,
            key_wrong=key_wrong,
        )

    def _read_capped(self, response: httpx.Response, give_up_at: float) -> bytes:
        # Decoded bytes count: a small gzip bomb must not get past the cap.
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self._cap:
                raise _TooLarge(f"the response passed {self._cap} bytes")
            if time.monotonic() > give_up_at:  # a trickle of bytes resets httpx's read timeout
                raise httpx.ReadTimeout("the body did not arrive within the timeout")
            chunks.append(chunk)
        return b"".join(chunks)


class _TooLarge(Exception):
    pass


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
