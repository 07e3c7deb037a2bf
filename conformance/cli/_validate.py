"""`drun-conformance validate PATH...`: recorded payloads judged offline."""

from __future__ import annotations

import argparse
import sys

from ._common import Commands
from ._flags import int_from

__all__ = ["add_parser"]

_MAX_JOBS = 64  # each a forked copy of the command: more is a mistake, not a speed-up


def add_parser(commands: Commands) -> None:
    validate = commands.add_parser("validate", help="check recorded payloads offline")
    validate.add_argument(
        "paths", nargs="+", metavar="PATH", help=".json, .jsonl, .har, or - for stdin (JSON lines)"
    )
    validate.add_argument("--json", action="store_true", help="machine-readable results")
    validate.add_argument(
        "--jobs",
        type=int_from(1, _MAX_JOBS),
        metavar="N",
        help="processes judging the payloads side by side (1 to 64), each a contiguous chunk (default:"
        " one per CPU when there are at least 3,000 payloads, else 1; 1: in this process, in turn); the"
        " same output either way; an HTTP archive is judged in turn (run ids are compared across payloads),"
        " and so are inputs with standard input (judged as it comes)",
    )
    validate.set_defaults(handler=_validate)


def _validate(args: argparse.Namespace) -> int:
    from drun_conformance._interrupt import stopping_on_signals
    from drun_conformance.recorded._jobs import validate_output
    from drun_conformance.recorded._validate import no_cycle_collection, validate_stream

    with stopping_on_signals(), no_cycle_collection():  # SIGTERM as Ctrl-C; GC back once all is freed
        if "-" in args.paths:  # a stream may never end: judged as it comes, in turn
            conforms = validate_stream(args.paths, sys.stdout.buffer, as_json=args.json)
        else:
            document, conforms = validate_output(args.paths, as_json=args.json, jobs=args.jobs)
            sys.stdout.buffer.write(document)
    return 0 if conforms else 1
