"""The parser, each command adding its own, and `main`: the exit status of the command run, or
of the error that stopped it (a DrunError knows its status; never a traceback)."""

from __future__ import annotations

import argparse
import os
import select
import signal
import sys
from collections.abc import Sequence

from drun_conformance._errors import DrunError, UsageError

from . import _client, _proxy, _report, _run, _serve, _server, _spec, _validate
from ._common import report_dir

__all__ = ["build_parser", "main"]

# In the order `--help` lists them.
_COMMANDS = (_validate, _serve, _proxy, _run, _client, _server, _spec, _report)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="drun-conformance",
        description="Contract and conformance suite for Run Deployment Now "
        "(POST /v1/deployments/{deployment_id}/run).",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for command in _COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        arguments = list(sys.argv[1:] if argv is None else argv)
        args = build_parser().parse_args(arguments)
        if getattr(args, "wants_argv", False):
            report_dir(args)  # checked before anything is installed, built or contacted
            if args.seed is None:
                import secrets  # only a checking command needs it: --help stays light

                args.seed = secrets.randbelow(2**32)
            status: int = args.handler(args, arguments)
        else:
            status = args.handler(args)
    except DrunError as exc:
        print(f"drun-conformance: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("drun-conformance: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        if not _stdout_gone():
            raise  # another pipe (a harness, say): a bug to see, not a reader that left
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 128 + signal.SIGPIPE  # as a shell reports a command its reader left (`| head`)
    return status


def _stdout_gone() -> bool:
    """Whether standard output is a pipe whose reader has closed it."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no fileno, or no poll on this platform
        return False
