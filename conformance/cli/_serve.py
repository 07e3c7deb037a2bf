"""`drun-conformance serve`: the reference server alone, in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from drun_conformance._errors import UsageError

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
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    """The reference server in the foreground until Ctrl-C or SIGTERM (exit 0)."""
    from pathlib import Path

    import uvicorn

    from drun_conformance.server.reference import REQUIRED_BETA, create_app, default_scenario, load_scenario
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
    app = create_app(scenario, database=args.database or ":memory:", any_deployment=args.any_deployment)
    sock = bind_socket(args.host, args.port)
    ids = ", ".join(d.id for d in scenario.deployments) or "(none)"
    if args.any_deployment:
        ids += "; any other id is created healthy on its first run (--any-deployment)"
    # Keys given on the command line are the user's: never echoed.
    keys = f"{len(args.api_key)} given with --api-key" if args.api_key else scenario.api_keys[0]
    print(
        "drun-conformance reference server\n"
        f"  base url: {base_url_of(sock)}\n"
        f"  api key: {keys} (x-api-key or Authorization: Bearer)\n"
        f"  beta: {REQUIRED_BETA} (anthropic-beta)\n"
        f"  deployments: {ids}\n"
        "  Ctrl-C stops it",
        flush=True,
    )
    try:
        serve_until_stopped(uvicorn.Server(uvicorn_config(app, "info")), sock)
    finally:
        app.state.store.close()  # commits what is queued, checkpoints the WAL
    print("drun-conformance: reference server stopped", flush=True)
    return 0


def _with_keys(scenario: Scenario, keys: list[str]) -> Scenario:
    """`scenario` accepting exactly `keys` (validated as a scenario's keys are)."""
    from pydantic import ValidationError

    from drun_conformance.server.reference import Scenario

    try:
        return Scenario.model_validate({**scenario.model_dump(), "api_keys": keys})
    except ValidationError:
        raise UsageError("--api-key must be printable ASCII without spaces") from None
