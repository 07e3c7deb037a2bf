"""The `drun-conformance` command line, one module per command (as Schemathesis's
`cli/commands/`): each adds its subparser and holds its handler; nothing below this package
reads flags.

    drun-conformance server --base-url https://staging.example --deployment-id depl_1
    python -m drun_conformance validate runs.jsonl

Exit status, the gate: 0 passed, 1 failed, 2 usage, 3 unreachable, 4 incomplete.
"""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
