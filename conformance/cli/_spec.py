"""`drun-conformance spec build | check | diff | drift | sources refresh`: spec/ rebuilt from its
sources, compared with a fresh build, the contract's changes between two pages, and each SDK's
own model against it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from drun_conformance._errors import InputError, UsageError

from ._common import Commands
from ._flags import existing_folder

__all__ = ["add_parser"]


def add_parser(commands: Commands) -> None:
    spec_cmd = commands.add_parser("spec", help="build, check, diff or drift spec/; spec sources refresh")
    spec_cmd.add_argument("action", choices=["build", "check", "diff", "drift", "sources"])
    spec_cmd.add_argument(
        "pages",
        nargs="*",
        metavar="PAGE",
        help="diff: OLD NEW, two pages or two built spec/ folders; sources refresh",
    )
    spec_cmd.add_argument("--sdk", action="append", metavar="NAME[@SPEC]", help="drift, sources refresh")
    spec_cmd.add_argument("--json", action="store_true", help="drift: the table as JSON")
    spec_cmd.add_argument("--source", type=existing_folder, help="build: the folder with the page and rules/")
    spec_cmd.add_argument("--out", help="build, sources refresh: spec/ to write (default: the checkout's)")
    spec_cmd.set_defaults(handler=_spec)


def _spec(args: argparse.Namespace) -> int:
    from drun_conformance import spec
    from drun_conformance.contract._builder import (
        build_spec,
        check_spec,
        checkout_spec_dir,
        diff_pages,
        spec_out_dir,
    )
    from drun_conformance.contract._render import SPEC_FILES

    if args.action in ("drift", "sources") or args.sdk or args.json:
        return _sdks(args)  # which refuses --sdk and --json elsewhere
    if args.action != "diff" and args.pages:
        raise UsageError(f"spec {args.action} takes no PAGE (only spec diff does)")
    if args.action == "build":
        out = spec_out_dir(Path(args.out) if args.out else None, cwd=Path.cwd())
        checkout = checkout_spec_dir(Path.cwd())
        source = Path(args.source) if args.source else (checkout or spec.SPEC_DIR) / "source"
        findings = build_spec(source, out)
        print(f"wrote {out}/{', '.join(SPEC_FILES)}")
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
        raise UsageError("spec diff takes two pages (OLD_PAGE NEW_PAGE) or two spec/ folders (OLD NEW)")
    folders = [Path(p).is_dir() for p in args.pages]
    if all(folders):
        from drun_conformance.contract._contract_diff import diff_contracts

        changes = diff_contracts(Path(args.pages[0]), Path(args.pages[1]))
        print("\n".join(changes) if changes else "no change to the contract")
        return 1 if changes else 0
    if any(folders):
        raise UsageError("spec diff compares two pages or two spec/ folders, not one of each")
    old, new = (_read_text(p) for p in args.pages)
    changes = diff_pages(old, new)
    print("\n".join(changes) if changes else "no change to fields, variants or betas")
    return 1 if changes else 0


def _sdks(args: argparse.Namespace) -> int:
    """The `spec drift` and `spec sources refresh` actions (and the refusal of their flags elsewhere)."""
    from drun_conformance.contract._sdk_reports import (
        drift_document,
        drift_reports,
        drift_table,
        refresh_sources,
    )
    from drun_conformance.contract._sdk_sources import NEWEST

    if args.action not in ("drift", "sources"):
        raise UsageError(
            f"spec {args.action} takes no --sdk or --json (spec drift and spec sources refresh do)"
        )
    if args.action == "sources":
        if args.pages != ["refresh"]:
            raise UsageError(
                "spec sources takes one action: spec sources refresh [--sdk NAME[@VERSION|@PATH]]..."
            )
        if args.json:
            raise UsageError("--json is for spec drift")
        return refresh_sources(args.sdk or list(NEWEST), args.out)
    if args.pages:
        raise UsageError("spec drift takes no PAGE; name the SDKs with --sdk NAME[@VERSION|@PATH]")
    if not args.sdk:
        raise UsageError("spec drift needs --sdk NAME[@VERSION|@PATH] (python, typescript, java, go)")
    if args.out or args.source:
        raise UsageError("spec drift takes no --out or --source: it compares with spec/ as installed")
    reports = drift_reports(args.sdk)
    document = drift_document(reports)
    if args.json:
        sys.stdout.write(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write("".join(drift_table(r) for r in reports))
    return 1 if document["unexpected"] else 0


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
