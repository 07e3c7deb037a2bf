"""`drun-conformance client (--sdk NAME[@SPEC]... | --harness CMD)`: the SDK gate, each harness
against the scripted mock server, all with the same cases; with `--baseline NAME@SPEC`, the
baseline release first, then each candidate judged against what it did case by case."""

from __future__ import annotations

import argparse
import dataclasses
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drun_conformance._errors import UsageError

from ._common import Commands, execute, note, run_flags
from ._flags import int_from, non_empty, seconds

if TYPE_CHECKING:
    from drun_conformance.client import ClientOptions
    from drun_conformance.results import TargetResult

__all__ = ["BaselineRun", "add_parser", "against"]


def add_parser(commands: Commands) -> None:
    client = commands.add_parser("client", help="the SDK gate: an SDK harness against a scripted mock server")
    target = client.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--sdk",
        metavar="NAME",
        action="append",
        help="a shipped harness: python, typescript, java, go; NAME@VERSION for a release, NAME@FIRST..LAST"
        " for every release its registry serves from FIRST to LAST (either end left out), NAME@PATH for a"
        " local checkout or built package (python@., typescript@./pkg.tgz, java@./jars, go@./sdk-go);"
        " repeat it for one report of several (the same seed, the same cases)",
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
    client.add_argument(
        "--baseline",
        metavar="NAME@SPEC",
        type=non_empty,
        help="a release to gate the candidates against on the same cases (python@2.10.0): whatever it"
        " handled and a candidate does not (a new failure, another request, exception class or type) is a"
        " regression; it is checked first, its own failures gate nothing",
    )
    client.add_argument(
        "--expectations",
        metavar="FILE",
        type=non_empty,
        help="the known failures to apply, in place of the shipped SDK's expectations file",
    )
    client.add_argument(
        "--record-expectations",
        action="store_true",
        help="write this run's failures, scoped to the cases and values they failed on, into the"
        " expectations file in use (reasons of the entries they replace kept); the run is gated on the"
        " file as it was",
    )
    run_flags(client)
    client.set_defaults(handler=_client, wants_argv=True)


def _client(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from drun_conformance._cpus import usable_cpus
    from drun_conformance.client import ClientOptions, check_client
    from drun_conformance.client._check import baseline_options
    from drun_conformance.client._sdks import parse_sdk, parse_sdks

    # All checked before any target starts; a range NAME@FIRST..LAST is each release in it.
    releases = parse_sdks(args.sdk or [], flag="--sdk", note=note)
    sdks: list[str | None] = [*releases] or [None]
    if args.baseline:
        try:
            baseline_release = parse_sdk(args.baseline)
        except UsageError as exc:
            raise UsageError(str(exc).replace("--sdk", "--baseline", 1)) from None
        if baseline_release in releases.values():
            raise UsageError("--sdk, --baseline: the same SDK release is named twice")
    if args.expectations and not Path(args.expectations).is_file() and not args.record_expectations:
        raise UsageError(f"--expectations: no such file: {args.expectations}")
    if args.record_expectations and len(sdks) > 1 and args.expectations:
        raise UsageError("--record-expectations --expectations FILE: one --sdk at a time (one file)")
    if args.record_expectations and args.harness and not args.expectations:
        raise UsageError("--record-expectations with --harness needs --expectations FILE to write")
    checks: list[Callable[[], Any]] = []
    base = ClientOptions(
        examples=args.examples, seed=args.seed, strict=args.strict, call_timeout=args.timeout
    )
    baseline = None
    if args.baseline:
        baseline = BaselineRun(baseline_options(dataclasses.replace(base, baseline=args.baseline)))
        checks.append(baseline)
    for sdk in sdks:  # one target each, all with the seed of this run: the same cases
        options = dataclasses.replace(
            base,
            sdk=sdk,
            harness=args.harness,
            expectations_file=args.expectations,
            record_expectations=args.record_expectations,
            baseline=args.baseline,
        )
        label = functools.partial(note, label=sdk if len(sdks) > 1 or baseline else None)
        # Partials of module-level functions, not a lambda: --jobs sends a check to a worker pickled.
        checks.append(
            functools.partial(against, baseline, options, label)
            if baseline
            else functools.partial(check_client, options, note=label)
        )
    jobs = 1 if baseline else args.jobs or min(len(checks), usable_cpus())  # a baseline goes first
    return execute(args, argv, checks, jobs=jobs)


class BaselineRun:
    """The baseline release's gate run, a target of its own (shown beside the candidates in the
    differential), kept for the candidates checked after it. Its own failures gate nothing."""

    def __init__(self, options: ClientOptions) -> None:
        self.options = options
        self.note = functools.partial(note, label=f"baseline {options.sdk}")
        self.result: TargetResult | None = None

    def __call__(self) -> TargetResult:
        from drun_conformance.client._check import run_baseline

        self.result = run_baseline(self.options, note=self.note)
        said = "the baseline release: the candidates are judged against it; its own failures gate nothing"
        return self.result.model_copy(
            update={
                "gate": "passed",
                "identity": {**self.result.identity, "role": "baseline"},
                "notes": [*self.result.notes, said],
            }
        )


def against(baseline: BaselineRun, options: ClientOptions, label: Callable[[str], None]) -> TargetResult:
    """A candidate's gate run against the baseline run checked before it."""
    from drun_conformance.client import check_client

    return check_client(options, note=label, baseline=baseline.result)
