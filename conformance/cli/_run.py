"""`drun-conformance run`: the main job, on the embedded default: the reference server as a
server target, then the SDK gate for each shipped harness that can run here."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from ._common import Commands, checked_server, execute, note, run_flags

__all__ = ["add_parser"]


def add_parser(commands: Commands) -> None:
    run = commands.add_parser("run", help="the main job: the embedded reference server and the SDK gate")
    run_flags(run)
    run.set_defaults(handler=_run, wants_argv=True)


def _run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from drun_conformance.client._check import runnable_sdk_gates
    from drun_conformance.server import ServerOptions

    options = ServerOptions(seed=args.seed, strict=args.strict)
    checks: list[Callable[[], Any]] = [lambda: checked_server(options)]
    checks += runnable_sdk_gates(seed=args.seed, strict=args.strict, note=note)
    return execute(args, argv, checks)
