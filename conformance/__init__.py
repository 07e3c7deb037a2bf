"""drun-conformance: the contract of Run Deployment Now, its oracle, and the runners.

The public API is what `__all__` lists; everything in an underscored module is private.
"""

from .client._check import ClientOptions, check_client
from ._errors import (
    DrunError,
    InputError,
    PageError,
    SdkUnavailable,
    SpecError,
    TargetUnreachable,
    UsageError,
)
from .contract._models import AgentReference, DeploymentRun, ManualTriggerContext, RunError, ScheduleTriggerContext
from .contract._page import Page, parse_page
from .contract._builder import build_spec, check_spec, diff_pages
from .recorded._validate import PayloadResult, ValidationReport, parse_body, payload_conforms, validate_inputs
from .oracle import UNPARSED, Evaluation, Exchange, Finding, Oracle, parse_rfc3339

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
