"""`drun-conformance server [--base-url URL]`: check a server (the embedded reference server
when no URL is given) within a request budget."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from drun_conformance._errors import UsageError
from drun_conformance._values import api_key_problem

from ._common import Commands, checked_server, execute, note, run_flags
from ._flags import api_key, base_url, deployment_id, int_from, seconds

if TYPE_CHECKING:
    from drun_conformance.results import TargetResult
    from drun_conformance.server import ServerOptions
    from drun_conformance.server._replay import AnswerLog

__all__ = ["add_parser", "through_sdk_flag", "through_sdks"]


def add_parser(commands: Commands) -> None:
    server = commands.add_parser("server", help="check a server (default: the embedded reference server)")
    server.add_argument(
        "--base-url", type=base_url, help="the server to check (default: start the embedded one)"
    )
    server.add_argument(
        "--api-key", type=api_key, help="default: $ANTHROPIC_API_KEY (never written anywhere)"
    )
    server.add_argument(
        "--deployment-id",
        action="append",
        type=deployment_id,
        default=[],
        metavar="ID",
        help="a deployment to run (repeatable); each is run at least once",
    )
    server.add_argument(
        "--max-requests",
        type=int_from(1),
        metavar="N",
        help="never send more (default: 10 for a non-loopback URL, 300 on loopback)",
    )
    server.add_argument("--profile", choices=["quick", "default", "thorough"], default="default")
    server.add_argument("--timeout", type=seconds, default=30.0, metavar="S", help="per request (default 30)")
    server.add_argument(
        "--max-response-bytes",
        type=int_from(1),
        default=10 * 1024 * 1024,
        metavar="N",
        help="larger answers are a finding (default 10 MiB)",
    )
    through_sdk_flag(server, "the server gave")
    run_flags(server)
    server.set_defaults(handler=_server, wants_argv=True)


def _server(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from drun_conformance.server._credentials import secrets_of
    from drun_conformance.server._replay import AnswerLog

    options = _options(args)
    sdks = through_sdks(args.through_sdk)
    log = AnswerLog()
    secrets = secrets_of(options.api_key)  # the key and the near misses of it the probes send
    checks: list[Callable[[], Any]] = [lambda: checked_server(options, answers=log if sdks else None)]
    for number, sdk in enumerate(sdks, 1):  # in turn, after the server's check: they read the answers it kept
        label = f"{sdk}, {number} of {len(sdks)}" if len(sdks) > 1 else sdk  # progress through a range
        checks.append(partial(_read, log, sdk, strict=args.strict, note=partial(note, label=label)))
    return execute(args, argv, checks, secrets=secrets)


def _read(log: AnswerLog, sdk: str, *, strict: bool, note: Callable[[str], None]) -> TargetResult:
    from drun_conformance.server._replay import read_through_sdk

    note(f"reading the {len(log.answers)} answers kept")
    return read_through_sdk(log, sdk, strict=strict, note=note)


def through_sdk_flag(parser: argparse.ArgumentParser, gave: str) -> None:
    """`--through-sdk NAME` (repeatable), for `server` and `proxy`: `gave` says whose answers."""
    parser.add_argument(
        "--through-sdk",
        metavar="NAME",
        action="append",
        default=[],
        help=f"read every run-now answer {gave} through this shipped SDK harness too (python,"
        " typescript, java, go; NAME@VERSION for a release, NAME@FIRST..LAST for every release its registry"
        " serves from FIRST to LAST, either end left out), judged as the SDK gate judges its parse: one"
        " target each, no extra request to the server (repeatable)",
    )


def through_sdks(names: list[str]) -> list[str]:
    """The `--through-sdk` values, each checked as `client --sdk` checks it, before any request; a
    range `NAME@FIRST..LAST` replaced by the releases its registry serves in it."""
    from drun_conformance.client._sdks import parse_sdks

    return list(parse_sdks(names, flag="--through-sdk", note=note))


def _options(args: argparse.Namespace) -> ServerOptions:
    from drun_conformance.server import ServerOptions

    key = args.api_key or os.environ.get("ANTHROPIC_API_KEY") or None
    if key is not None and args.api_key is None and api_key_problem(key):
        raise UsageError(f"$ANTHROPIC_API_KEY {api_key_problem(key)}")
    return ServerOptions(
        base_url=args.base_url,
        api_key=key,
        deployment_ids=tuple(args.deployment_id),
        max_requests=args.max_requests,
        profile=args.profile,
        seed=args.seed,
        strict=args.strict,
        timeout_s=args.timeout,
        max_response_bytes=args.max_response_bytes,
    )
