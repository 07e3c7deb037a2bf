"""The contract as the page states it: reading the reference page, building `spec/`, typed models."""

from ._builder import build_spec, check_spec, diff_pages
from ._models import AgentReference, DeploymentRun, ManualTriggerContext, RunError, ScheduleTriggerContext
from ._page import Page, parse_page

__all__ = [
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
]
