"""The reference server delivers each recorded run's webhook events (`serve --webhook-url`):
started, then succeeded or failed, each event valid as `validate` judges it and signed as
Standard Webhooks sign it, so that the official SDK's helper (`client.beta.webhooks.unwrap`,
TypeScript) accepts it, and refuses it once tampered with."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from drun_conformance.client._sdks import SDKS, cache_dir
from drun_conformance.oracle import Oracle
from drun_conformance.server.reference import WebhookSender, create_app, new_secret, serve_in_thread

from ._reference import HEADERS

pytestmark = pytest.mark.slow

Delivery = tuple[dict[str, str], bytes]
_WAIT_SECONDS = 20.0  # for the sender's thread to deliver (a bound, not a speed asserted)


@contextmanager
def _receiver() -> Iterator[tuple[str, list[Delivery]]]:
    """A webhook receiver on loopback that keeps every delivery and answers 204."""
    received: list[Delivery] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks", received
    finally:
        server.shutdown()
        server.server_close()


def _delivered(secret: str) -> tuple[list[dict[str, Any]], list[Delivery]]:
    """Two runs made on a reference server that delivers to a receiver: the runs, and the
    deliveries in the order they arrived."""
    with _receiver() as (url, received):
        sender = WebhookSender(url, secret)
        with serve_in_thread(create_app(webhooks=sender)) as base:
            runs = [
                httpx.post(f"{base}/v1/deployments/{d}/run", headers=HEADERS).json()
                for d in ("depl_ok", "depl_vault_archived_error")
            ]
            deadline = time.monotonic() + _WAIT_SECONDS
            while len(received) < 4 and time.monotonic() < deadline:
                time.sleep(0.05)
        sender.close()
        return runs, list(received)


def test_each_run_is_delivered_as_its_events() -> None:
    runs, received = _delivered(new_secret())
    events = [json.loads(body) for _, body in received]
    assert [(e["data"]["id"], e["data"]["type"]) for e in events] == [
        (runs[0]["id"], "deployment_run.started"),
        (runs[0]["id"], "deployment_run.succeeded"),
        (runs[1]["id"], "deployment_run.started"),
        (runs[1]["id"], "deployment_run.failed"),
    ]
    for (headers, _), event in zip(received, events, strict=True):
        assert Oracle.default().judge_webhook_event(event).findings == []
        assert headers["webhook-id"] == event["id"] and headers["webhook-signature"].startswith("v1,")
    assert len({e["id"] for e in events}) == 4


_UNWRAP = """
const { default: Anthropic } = require(process.argv[1]);
const client = new Anthropic({ apiKey: "unused" });
const lines = require("fs").readFileSync(0, "utf8").split("\\n").filter(Boolean);
for (const line of lines) {
  const { body, headers, key } = JSON.parse(line);
  try {
    console.log(client.beta.webhooks.unwrap(body, { headers, key }).data.type);
  } catch (error) {
    console.log("refused: " + error.message);
  }
}
"""


def _typescript_sdk() -> Path:
    """The TypeScript SDK the gate installed, or a skip saying how to get it."""
    version = SDKS["typescript"].default_version
    sdk = (
        cache_dir() / "typescript" / f"@anthropic-ai+sdk-{version}" / "node_modules" / "@anthropic-ai" / "sdk"
    )
    if shutil.which("node") is None or not (sdk / "resources" / "beta" / "webhooks.js").is_file():
        pytest.skip(f"needs node and @anthropic-ai/sdk {version} (client --sdk typescript installs it)")
    return sdk


def test_the_typescript_sdk_unwraps_each_delivery_and_refuses_a_tampered_one() -> None:
    sdk = _typescript_sdk()
    secret = new_secret()
    _, received = _delivered(secret)
    headers, body = received[0]
    cases = [
        *({"body": b.decode(), "headers": h, "key": secret} for h, b in received),
        {"body": body.decode().replace("started", "failed"), "headers": headers, "key": secret},
        {"body": body.decode(), "headers": headers, "key": new_secret()},
    ]
    answer = subprocess.run(
        ["node", "-e", _UNWRAP, str(sdk)],
        input="".join(json.dumps(c) + "\n" for c in cases),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = answer.stdout.splitlines()
    assert lines[:4] == [
        "deployment_run.started",
        "deployment_run.succeeded",
        "deployment_run.started",
        "deployment_run.failed",
    ]
    assert all(line.startswith("refused: ") for line in lines[4:]) and len(lines) == 6, lines
