"""The `drun-conformance` command line. Exit status, the gate: 0 passed, 1 failed, 2 usage, 3 unreachable,
4 incomplete."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ._cpus import usable_cpus
from ._errors import DrunError, UsageError
from ._flags import (
    MAX_SEED,
    api_key,
    api_key_problem,
    base_url,
    existing_file,
    existing_folder,
    file_in_a_folder,
    int_from,
    non_empty,
    seconds,
)

__all__ = ["main"]

_MAX_VALIDATE_JOBS = 64  # each a forked copy of the command: more is a mistake, not a speed-up


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _cmd_validate(args: argparse.Namespace) -> int:
    from ._interrupt import stopping_on_signals
    from .recorded._jobs import validate_output
    from .recorded._validate import no_cycle_collection

    with stopping_on_signals(), no_cycle_collection():  # SIGTERM as Ctrl-C; GC back once all is freed
        document, conforms = validate_output(args.paths, as_json=args.json, jobs=args.jobs)
    sys.stdout.buffer.write(document)
    return 0 if conforms else 1


def _server_options(args: argparse.Namespace) -> Any:
    from .server import ServerOptions

    api_key = args.api_key or os.environ.get("ANTHROPIC_API_KEY") or None
    if api_key is not None and args.api_key is None and api_key_problem(api_key):
        raise UsageError(f"$ANTHROPIC_API_KEY {api_key_problem(api_key)}")
    return ServerOptions(
        base_url=args.base_url,
        api_key=api_key,
        deployment_ids=tuple(args.deployment_id),
        max_requests=args.max_requests,
        profile=args.profile,
        seed=args.seed,
        strict=args.strict,
        timeout_s=args.timeout,
        max_response_bytes=args.max_response_bytes,
    )


def _execute(
    args: argparse.Namespace, argv: Sequence[str], checks: list[Callable[[], Any]], **how: Any
) -> int:
    """Run the targets' checks as one run: results, reports and the exit status (`how`: jobs, secrets)."""
    from ._session import execute

    options = {"seed": args.seed, "strict": args.strict, "allow_incomplete": args.allow_incomplete}
    return execute(checks, argv=argv, report_dir=_report_dir(args), **options, **how)


def _cmd_server(args: argparse.Namespace, argv: Sequence[str]) -> int:
    options = _server_options(args)
    secrets = [options.api_key] if options.api_key else []
    return _execute(args, argv, [lambda: _checked_server(options)], secrets=secrets)


def _cmd_run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .client._check import runnable_sdk_gates
    from .server import ServerOptions

    options = ServerOptions(seed=args.seed, strict=args.strict)
    checks: list[Callable[[], Any]] = [lambda: _checked_server(options)]
    checks += runnable_sdk_gates(seed=args.seed, strict=args.strict, note=_note)
    return _execute(args, argv, checks)


def _cmd_client(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .client._check import ClientOptions, check_client
    from .client._sdks import parse_sdk

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
        note = functools.partial(_note, label=sdk if len(sdks) > 1 else None)
        # Partials of module-level functions, not a lambda: --jobs sends a check to a worker pickled.
        checks.append(functools.partial(check_client, options, note=note))
    return _execute(args, argv, checks, jobs=args.jobs or min(len(checks), usable_cpus()))


def _checked_server(options: Any) -> Any:
    """check_server with live progress on standard error."""
    from drun_conformance.reports import progress
    from drun_conformance.server import budget_of, check_server

    label = f"server {options.base_url or 'embedded'}"
    with progress(total=budget_of(options), label=label) as bar:
        return check_server(options, progress=bar)


def _note(text: str, *, label: str | None = None) -> None:
    """A progress note; with several targets at once, each says whose it is."""
    print(f"  … [{label}] {text}" if label else f"  … {text}", file=sys.stderr, flush=True)


def _report_dir(args: argparse.Namespace) -> Path | None:
    if args.report_dir is None:
        return None
    path = Path(args.report_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--report-dir: cannot create the folder {path}: {exc.strerror}") from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"--report-dir: cannot write into {path}")
    return path


def _cmd_serve(args: argparse.Namespace) -> int:
    from .server.reference._serve import cmd_serve

    return cmd_serve(args)


def _cmd_proxy(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .proxy._run import cmd_proxy

    return cmd_proxy(args, argv)


def _cmd_spec(args: argparse.Namespace) -> int:
    from . import spec
    from .contract._builder import build_spec, check_spec, checkout_spec_dir, diff_pages, spec_out_dir

    if args.action in ("drift", "sources") or args.sdk or args.json:
        from .contract._sdk_commands import cmd_spec_sdks  # which refuses --sdk and --json elsewhere

        return cmd_spec_sdks(args)
    if args.action != "diff" and args.pages:
        raise UsageError(f"spec {args.action} takes no PAGE (only spec diff does)")
    if args.action == "build":
        out = spec_out_dir(Path(args.out) if args.out else None, cwd=Path.cwd())
        checkout = checkout_spec_dir(Path.cwd())
        source = Path(args.source) if args.source else (checkout or spec.SPEC_DIR) / "source"
        findings = build_spec(source, out)
        print(f"wrote {out}/deployment_run.schema.json, openapi.yaml, requirements.json")
        for finding in findings:
            what = f"{finding['level']} {finding['requirement']}: {finding['message']}"
            print(f"the page's example response: {what}")
        return 0
    if args.action == "check":
        stale = check_spec(spec.SPEC_DIR)
        for name in stale:
            print(f"spec/{name} differs from a fresh build: run `drun-conformance spec build`")
        if not stale:
            print("spec/ is up to date with its sources")
        return 1 if stale else 0
    if len(args.pages) != 2:
        raise UsageError("spec diff takes two pages: OLD_PAGE NEW_PAGE")
    old, new = (_read_text(p) for p in args.pages)
    changes = diff_pages(old, new)
    print("\n".join(changes) if changes else "no change to fields, variants or betas")
    return 1 if changes else 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .reports._cli import cmd_report

    return cmd_report(args)


def _read_text(path: str) -> str:
    from ._errors import InputError

    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc


def _common_run_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seed", type=int_from(0, MAX_SEED), help="reproduce a run (default: a fresh one, printed)"
    )
    _gate_flags(parser)


def _gate_flags(parser: argparse.ArgumentParser) -> None:
    """What every command that ends in a gate takes: strictness, reports, incomplete allowed."""
    parser.add_argument("--strict", action="store_true", help="SHOULD failures gate too")
    parser.add_argument("--report-dir", metavar="DIR", help="write report.html, results.json, junit.xml")
    parser.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="exit 0, not 4, when a MUST was never exercised (the verdict stays incomplete)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="drun-conformance",
        description="Contract and conformance suite for Run Deployment Now "
        "(POST /v1/deployments/{deployment_id}/run).",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    validate = commands.add_parser("validate", help="check recorded payloads offline")
    validate.add_argument(
        "paths", nargs="+", metavar="PATH", help=".json, .jsonl, .har, or - for stdin (JSON lines)"
    )
    validate.add_argument("--json", action="store_true", help="machine-readable results")
    validate.add_argument(
        "--jobs",
        type=int_from(1, _MAX_VALIDATE_JOBS),
        metavar="N",
        help="processes judging the payloads side by side (1 to 64), each a contiguous chunk (default:"
        " one per CPU when there are at least 3,000 payloads, else 1; 1: in this process, in turn); the"
        " same output either way; an HTTP archive is judged in turn (run ids are compared across payloads)",
    )
    validate.set_defaults(handler=_cmd_validate)

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
    serve.set_defaults(handler=_cmd_serve)

    proxy = commands.add_parser("proxy", help="forward traffic to a server and judge what passes")
    proxy.add_argument(
        "--upstream", required=True, type=base_url, metavar="URL", help="the server to forward to"
    )
    proxy.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    proxy.add_argument("--port", type=int_from(0, 65535), default=0, help="default: 0, a free port (printed)")
    proxy.add_argument("--max-exchanges", type=int_from(1), metavar="N", help="stop after N judged exchanges")
    proxy.add_argument("--duration", type=seconds, metavar="S", help="stop after S seconds")
    proxy.add_argument(
        "--connect-timeout", type=seconds, default=10.0, metavar="S", help="to connect; then 504 (default 10)"
    )
    proxy.add_argument(
        "--read-timeout", type=seconds, default=60.0, metavar="S", help="silent upstream: 504 (default 60)"
    )
    proxy.add_argument(
        "--max-connections", type=int_from(1, 10_000), default=100, metavar="N", help="upstream (default 100)"
    )
    _gate_flags(proxy)
    proxy.set_defaults(handler=_cmd_proxy, wants_argv=True, seed=None)

    run = commands.add_parser("run", help="the main job: the embedded reference server and the SDK gate")
    _common_run_flags(run)
    run.set_defaults(handler=_cmd_run, wants_argv=True)

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
    _common_run_flags(client)
    client.set_defaults(handler=_cmd_client, wants_argv=True)

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
        type=non_empty,
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
    _common_run_flags(server)
    server.set_defaults(handler=_cmd_server, wants_argv=True)

    spec_cmd = commands.add_parser("spec", help="build, check, diff or drift spec/; spec sources refresh")
    spec_cmd.add_argument("action", choices=["build", "check", "diff", "drift", "sources"])
    spec_cmd.add_argument("pages", nargs="*", metavar="PAGE", help="diff: OLD_PAGE NEW_PAGE; sources refresh")
    spec_cmd.add_argument("--sdk", action="append", metavar="NAME[@SPEC]", help="drift, sources refresh")
    spec_cmd.add_argument("--json", action="store_true", help="drift: the table as JSON")
    spec_cmd.add_argument(
        "--source", type=existing_folder, help="build: the folder with the page and rules.yaml"
    )
    spec_cmd.add_argument("--out", help="build, sources refresh: spec/ to write (default: the checkout's)")
    spec_cmd.set_defaults(handler=_cmd_spec)

    report = commands.add_parser("report", help="diff, merge shards of, render or summarise results.json")
    report.add_argument("action", choices=["diff", "merge", "render", "summary"])
    report.add_argument("files", nargs="+", metavar="RESULTS_JSON", help="diff: OLD NEW; merge: SHARD...")
    report.add_argument("--report-dir", metavar="DIR", help="merge: where to; render: default beside it")
    report.set_defaults(handler=_cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        arguments = list(sys.argv[1:] if argv is None else argv)
        args = build_parser().parse_args(arguments)
        if getattr(args, "wants_argv", False):
            _report_dir(args)  # checked before anything is installed, built or contacted
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
    return status


if __name__ == "__main__":
    sys.exit(main())
