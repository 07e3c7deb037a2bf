"""`drun-conformance client (--sdk NAME[@SPEC]... | --harness CMD)`: the SDK gate, each harness
against the scripted mock server, all with the same cases."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable, Sequence
from typing import Any

from drun_conformance._errors import UsageError

from ._common import Commands, execute, note, run_flags
from ._flags import int_from, seconds

__all__ = ["add_parser"]


def add_parser(commands: Commands) -> None:
    client = commands.add_parser("client", help="the SDK gate: an SDK harness against a scripted mock server")
    target = client.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--sdk",
        metavar="NAME",
        action="append",
        help="a shipped harness: python, typescript, java, go; NAME@VERSION for a release, NAME@PATH for a"
        " local checkout or built package (python@., typescript@./pkg.tgz); repeat it for one report of"
        " several (the same seed, the same cases)",
    )
    target.add_argument("--harness", metavar="CMD", help="any command speaking the harness protocol")
    client.add_argument(
        "--examples",
        type=int_from(0),
        default=100,
        metavar="N",
        help="drawn cases after the coverage ones (default 100)",
    )
    client.add_argument(
        "--timeout", type=seconds, default=20.0, metavar="S", help="per harness call (default 20)"
    )
    client.add_argument(
        "--jobs",
        type=int_from(1),
        metavar="N",
        help="targets checked at once, each in its own process (default: one per --sdk, at most one per"
        " CPU; 1: in turn); the same cases and verdicts either way",
    )
    run_flags(client)
    client.set_defaults(handler=_client, wants_argv=True)


def _client(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from drun_conformance._cpus import usable_cpus
    from drun_conformance.client import ClientOptions, check_client
    from drun_conformance.client._sdks import parse_sdk

    sdks: list[str | None] = args.sdk or [None]
    releases = [parse_sdk(sdk) for sdk in args.sdk or []]  # all checked before any target starts
    if len(set(releases)) < len(releases):
        raise UsageError("--sdk: the same SDK release is named twice")
    checks: list[Callable[[], Any]] = []
    for sdk in sdks:  # one target each, all with the seed of this run: the same cases
        options = ClientOptions(
            sdk=sdk,
            harness=args.harness,
            examples=args.examples,
            seed=args.seed,
            strict=args.strict,
            call_timeout=args.timeout,
        )
        label = functools.partial(note, label=sdk if len(sdks) > 1 else None)
        # Partials of module-level functions, not a lambda: --jobs sends a check to a worker pickled.
        checks.append(functools.partial(check_client, options, note=label))
    return execute(args, argv, checks, jobs=args.jobs or min(len(checks), usable_cpus()))
