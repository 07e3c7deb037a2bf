"""drun-conformance: the contract of Run Deployment Now, its oracle, and the runners.

    import drun_conformance as drun

    result = drun.check_server(base_url="https://staging.example", deployment_ids=("depl_1",))
    result.verdict, result.gate                       # "conformant", "passed"
    drun.check_client(sdk="python").verdict           # the SDK gate
    run = drun.assert_conforms(httpx.post(url, headers=headers))   # in your own tests

The public API is what `__all__` lists; everything in an underscored module is private. Names
are imported on first use (as Schemathesis's `_lazy_import` does), each from its one module
(`_LAZY`), so that loading the pytest plugin, or `drun-conformance --help`, imports nothing
outside the standard library, and `from drun_conformance import DrunError` only the errors.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads it so too)
if TYPE_CHECKING:
    from typing import Any

    from ._assertions import assert_conforms
    from ._errors import (
        DrunError,
        InputError,
        PageError,
        SdkUnavailable,
        SpecError,
        TargetUnreachable,
        UsageError,
    )
    from .client import ClientOptions, check_client
    from .contract import (
        AgentReference,
        DeploymentRun,
        ManualTriggerContext,
        Page,
        RunError,
        ScheduleTriggerContext,
        build_spec,
        check_spec,
        diff_pages,
        parse_page,
    )
    from .oracle import UNPARSED, Evaluation, Exchange, Finding, Oracle, parse_body, parse_rfc3339
    from .recorded import PayloadResult, ValidationReport, payload_conforms, validate_inputs
    from .results import Counterexample, Gate, RequirementResult, RunResults, TargetResult, Verdict
    from .server import ServerOptions, check_server

    __version__: str

# Each module and the public names imported from it on first use: every name has one home.
_HOMES: dict[str, tuple[str, ...]] = {
    "._assertions": ("assert_conforms",),
    "._errors": (
        "DrunError",
        "InputError",
        "PageError",
        "SdkUnavailable",
        "SpecError",
        "TargetUnreachable",
        "UsageError",
    ),
    ".client": ("ClientOptions", "check_client"),
    ".contract": (
        "AgentReference",
        "DeploymentRun",
        "ManualTriggerContext",
        "Page",
        "RunError",
        "ScheduleTriggerContext",
        "build_spec",
        "check_spec",
        "diff_pages",
        "parse_page",
    ),
    ".oracle": ("UNPARSED", "Evaluation", "Exchange", "Finding", "Oracle", "parse_body", "parse_rfc3339"),
    ".recorded": ("PayloadResult", "ValidationReport", "payload_conforms", "validate_inputs"),
    ".results": ("Counterexample", "Gate", "RequirementResult", "RunResults", "TargetResult", "Verdict"),
    ".server": ("ServerOptions", "check_server"),
}
_LAZY = {name: home for home, names in _HOMES.items() for name in names}

__all__ = [
    "UNPARSED",
    "AgentReference",
    "ClientOptions",
    "Counterexample",
    "DeploymentRun",
    "DrunError",
    "Evaluation",
    "Exchange",
    "Finding",
    "Gate",
    "InputError",
    "ManualTriggerContext",
    "Oracle",
    "Page",
    "PageError",
    "PayloadResult",
    "RequirementResult",
    "RunError",
    "RunResults",
    "ScheduleTriggerContext",
    "SdkUnavailable",
    "ServerOptions",
    "SpecError",
    "TargetResult",
    "TargetUnreachable",
    "UsageError",
    "ValidationReport",
    "Verdict",
    "__version__",
    "assert_conforms",
    "build_spec",
    "check_client",
    "check_server",
    "check_spec",
    "diff_pages",
    "parse_body",
    "parse_page",
    "parse_rfc3339",
    "payload_conforms",
    "validate_inputs",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        value: Any = version("drun-conformance")
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # the next access skips this
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
