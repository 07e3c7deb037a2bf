"""Webhook delivery: the family's events (`deployment_run.started`, then `.succeeded` or `.failed`) for
each run the server records, POSTed to one URL as the official SDKs' webhook helpers read them,
signed as Standard Webhooks sign them (https://www.standardwebhooks.com/):

    webhook-id: wevt_...                 the event's id (the same on every attempt)
    webhook-timestamp: 1767225600        whole seconds since the Unix epoch
    webhook-signature: v1,<base64>       HMAC-SHA256 of "{id}.{timestamp}.{body}", keyed by the
                                         secret's bytes (`whsec_` + their base64)

Bounded: events wait in a queue of at most QUEUE_EVENTS (past it, new ones are dropped and
counted), one thread sends them, each POST gives up after SEND_SECONDS without a byte, the
receiver's answer is read no further than its status, and nothing is retried: a slow or dead
receiver never blocks a request nor grows the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from drun_conformance._errors import UsageError

from ._ids import rfc3339, tagged_id

__all__ = ["QUEUE_EVENTS", "SEND_SECONDS", "WebhookSender", "events_for", "new_secret", "sign"]

QUEUE_EVENTS = 1000
SEND_SECONDS = 5.0
_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret, as Standard Webhooks writes one: `whsec_` and 24 random bytes in base64."""
    return _PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(_PREFIX), validate=True)
    except (ValueError, TypeError):
        raise UsageError(
            "--webhook-secret must be whsec_ and base64 (as Standard Webhooks writes a secret)"
        ) from None


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header for one delivery."""
    signed = f"{event_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def events_for(run: dict[str, Any], *, organization_id: str, workspace_id: str) -> list[dict[str, Any]]:
    """The events one recorded run makes: started, then succeeded (a session) or failed (an error)."""
    outcome = "failed" if run.get("error") is not None else "succeeded"
    return [
        {
            "id": tagged_id("wevt"),
            "created_at": rfc3339(datetime.now(UTC)),
            "data": {
                "id": run["id"],
                "organization_id": organization_id,
                "type": f"deployment_run.{stage}",
                "workspace_id": workspace_id,
            },
            "type": "event",
        }
        for stage in ("started", outcome)
    ]


@dataclass
class WebhookSender:
    """Sends queued events to `url` from a thread of its own (start it with `start()`)."""

    url: str
    secret: str
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    _queue: queue.Queue[dict[str, Any] | None] = field(default_factory=lambda: queue.Queue(QUEUE_EVENTS))
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        _key(self.secret)  # a bad secret is a usage error now, not a failure per event later

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="drun-webhook-sender", daemon=True)
        self._thread.start()

    def deliver(self, events: list[dict[str, Any]]) -> None:
        """Queue `events`, never waiting: one that finds the queue full is dropped and counted."""
        for event in events:
            try:
                self._queue.put_nowait(event)
            except queue.Full:
                self.dropped += 1

    def close(self, wait: float = SEND_SECONDS) -> None:
        """Send what is queued for at most `wait` seconds, then stop."""
        if self._thread is None:
            return
        try:
            self._queue.put(None, timeout=wait)
        except queue.Full:
            pass
        self._thread.join(wait)

    def _loop(self) -> None:
        with httpx.Client(timeout=SEND_SECONDS, follow_redirects=False, trust_env=False) as client:
            while (event := self._queue.get()) is not None:
                body = json.dumps(event, separators=(",", ":")).encode()
                stamp = int(time.time())
                headers = {
                    "content-type": "application/json",
                    "webhook-id": event["id"],
                    "webhook-timestamp": str(stamp),
                    "webhook-signature": sign(self.secret, event["id"], stamp, body),
                }
                try:  # the status is all it needs: the receiver's body is never read
                    with client.stream("POST", self.url, content=body, headers=headers) as answer:
                        ok = 200 <= answer.status_code < 300
                except httpx.HTTPError:
                    ok = False
                self.sent += ok
                self.failed += not ok
