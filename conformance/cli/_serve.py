"""`drun-conformance serve`: the reference server alone, in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import base64
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from drun_conformance._errors import UsageError
from drun_conformance._secrets import Redactor

from ._common import Commands
from ._flags import api_key, existing_file, file_in_a_folder, int_from

if TYPE_CHECKING:
    from drun_conformance.server.reference import Scenario

__all__ = ["add_parser"]


def add_parser(commands: Commands) -> None:
    serve = commands.add_parser("serve", help="run the embedded reference server in the foreground")
    serve.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    serve.add_argument("--port", type=int_from(0, 65535), default=0, help="default: 0, a free port (printed)")
    serve.add_argument(
        "--scenario",
        type=existing_file,
        metavar="FILE",
        help="YAML or JSON state (default: the shipped one)",
    )
    serve.add_argument(
        "--database",
        type=file_in_a_folder,
        metavar="FILE",
        help="SQLite file for the runs (default: in memory)",
    )
    serve.add_argument(
        "--api-key",
        action="append",
        type=api_key,
        metavar="KEY",
        help="a key to accept, in place of the scenario's (repeatable; never printed)",
    )
    serve.add_argument(
        "--any-deployment",
        action="store_true",
        help="run an unknown deployment id as a healthy deployment instead of answering 404",
    )
    serve.add_argument(
        "--any-run",
        action="store_true",
        help="create a run read by an id never seen, on that first read, instead of answering 404"
        " (stored and listed like any other)",
    )
    serve.add_argument(
        "--webhook-url",
        type=_webhook_url,
        metavar="URL",
        help="POST the webhook events (deployment_run.started, .succeeded, .failed) of each run made"
        " while it serves there (the scenario's recorded runs send none), signed as Standard Webhooks"
        " sign them",
    )
    serve.add_argument(
        "--webhook-secret",
        type=_webhook_secret,
        metavar="whsec_...",
        help="the signing secret (default: a fresh one, printed; one given is never printed)",
    )
    serve.set_defaults(handler=_serve)


def _webhook_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"must be an http:// or https:// URL with a host, got {text!r}")
    return text


def _webhook_secret(text: str) -> str:
    try:
        key = (
            base64.b64decode(text.removeprefix("whsec_"), validate=True) if text.startswith("whsec_") else b""
        )
    except ValueError:
        key = b""
    if not key:
        raise argparse.ArgumentTypeError("must be whsec_ and base64, as Standard Webhooks writes a secret")
    return text


def _serve(args: argparse.Namespace) -> int:
    """The reference server in the foreground until Ctrl-C or SIGTERM (exit 0)."""
    from pathlib import Path

    import uvicorn

    from drun_conformance.server.reference import (
        ANY_RUN_DEPLOYMENT,
        REQUIRED_BETA,
        WebhookSender,
        create_app,
        default_scenario,
        load_scenario,
        new_secret,
    )
    from drun_conformance.server.reference._serve import (
        base_url_of,
        bind_socket,
        serve_until_stopped,
        uvicorn_config,
    )

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be from 0 to 65535, got {args.port}")
    scenario = load_scenario(Path(args.scenario)) if args.scenario else default_scenario()
    if args.api_key:
        scenario = _with_keys(scenario, args.api_key)
    if args.webhook_secret and not args.webhook_url:
        raise UsageError("--webhook-secret signs what --webhook-url receives: give --webhook-url too")
    secret = args.webhook_secret or new_secret()
    webhooks = WebhookSender(args.webhook_url, secret) if args.webhook_url else None
    sock = bind_socket(args.host, args.port)
    app = create_app(
        scenario,
        database=args.database or ":memory:",
        any_deployment=args.any_deployment,
        any_run=args.any_run,
        webhooks=webhooks,
    )
    ids = ", ".join(d.id for d in scenario.deployments) or "(none)"
    if args.any_deployment:
        ids += "; any other id is created healthy on its first run (--any-deployment)"
    # Keys and a secret given on the command line are the user's: never echoed.
    keys = f"{len(args.api_key)} given with --api-key" if args.api_key else scenario.api_keys[0]
    lines = [
        "drun-conformance reference server",
        f"  base url: {base_url_of(sock)}",
        f"  api key: {keys} (x-api-key or Authorization: Bearer)",
        f"  beta: {REQUIRED_BETA} (anthropic-beta)",
        f"  deployments: {ids}",
    ]
    if scenario.runs:
        lines.append(f"  runs on record with chosen ids: {', '.join(r.id for r in scenario.runs)}")
    if args.any_run:
        lines.append(
            "  runs: a run read by an id never seen is created by that first read, a healthy manual run"
            f" of {ANY_RUN_DEPLOYMENT}, stored and listed like any other (--any-run)"
        )
    if scenario.listing_start_cursors:
        cursors = ", ".join(repr(c) for c in scenario.listing_start_cursors)
        lines.append(
            f"  listing: page={cursors} is the start of the listing"
            " (answered with drun-cursor: start-of-listing)"
        )
    if webhooks is not None:
        signed = "the secret given with --webhook-secret" if args.webhook_secret else f"{secret} (generated)"
        lines.append(f"  webhooks: each run's events POSTed to {args.webhook_url}, signed with {signed}")
    print("\n".join([*lines, "  Ctrl-C stops it"]), flush=True)
    try:
        config = uvicorn_config(app, "info")  # configures uvicorn's loggers: the filter goes on after
        logging.getLogger("uvicorn.access").addFilter(_KeysHidden(Redactor(scenario.api_keys)))
        serve_until_stopped(uvicorn.Server(config), sock)
    finally:
        if webhooks is not None:
            webhooks.close()
        app.state.store.close()  # commits what is queued, checkpoints the WAL
    print("drun-conformance: reference server stopped", flush=True)
    return 0


class _KeysHidden(logging.Filter):
    """The access log writes each request target as sent, and a client may put a key in it."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self.redactor.text(a) if isinstance(a, str) else a for a in record.args)
        return True


def _with_keys(scenario: Scenario, keys: list[str]) -> Scenario:
    """`scenario` accepting exactly `keys` (validated as a scenario's keys are)."""
    from pydantic import ValidationError

    from drun_conformance.server.reference import Scenario

    try:
        return Scenario.model_validate({**scenario.model_dump(), "api_keys": keys})
    except ValidationError:
        raise UsageError("--api-key must be printable ASCII without spaces") from None
