"""drun-conformance: the contract of Run Deployment Now, its oracle, and the runners.

The public API is what `__all__` lists; everything in an underscored module is private.
Names are imported on first use (as Schemathesis's `_lazy_import` does), so that loading the
pytest plugin, or `drun-conformance --help`, imports nothing outside the standard library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from .oracle import (
        UNPARSED,
        Evaluation,
        Exchange,
        Finding,
        Oracle,
        parse_body,
        parse_rfc3339,
    )
    from .recorded import PayloadResult, ValidationReport, payload_conforms, validate_inputs

__all__ = [
    "UNPARSED",
    "AgentReference",
    "ClientOptions",
    "DeploymentRun",
    "DrunError",
    "Evaluation",
    "Exchange",
    "Finding",
    "InputError",
    "ManualTriggerContext",
    "Oracle",
    "Page",
    "PageError",
    "PayloadResult",
    "RunError",
    "ScheduleTriggerContext",
    "SdkUnavailable",
    "SpecError",
    "TargetUnreachable",
    "UsageError",
    "ValidationReport",
    "assert_conforms",
    "build_spec",
    "check_client",
    "check_spec",
    "diff_pages",
    "parse_body",
    "parse_page",
    "parse_rfc3339",
    "payload_conforms",
    "validate_inputs",
]

# Where each public name lives; a name of __all__ not found in these is an AttributeError.
_HOMES = ("._assertions", "._errors", ".client", ".contract", ".oracle", ".recorded")


def __getattr__(name: str) -> Any:
    if name in __all__:
        for home in _HOMES:
            module = importlib.import_module(home, __name__)
            if name in getattr(module, "__all__", ()):
                globals()[name] = value = getattr(module, name)  # the next access skips this
                return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
