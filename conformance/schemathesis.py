"""The oracle as a Schemathesis check, for people who run `schemathesis run` themselves: import
this module through `SCHEMATHESIS_HOOKS` and ask for the `drun_conformance` check.

    SCHEMATHESIS_HOOKS=drun_conformance.schemathesis \\
        schemathesis run spec/openapi.yaml --url https://staging.example -c drun_conformance

A case fails on any MUST finding of the oracle over the answer (`Oracle.judge_run_now`).
Importing this module registers the check with Schemathesis.
"""

from .server._schemathesis import drun_conformance

__all__ = ["drun_conformance"]
