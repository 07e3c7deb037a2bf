"""The contract as the page states it: reading the reference page, building `spec/`, typed models;
and the official SDKs' own models read as facts, compared with it (drift)."""

from ._builder import build_spec, check_spec, diff_pages
from ._contract_facts import contract_facts
from ._drift import Difference, compare_facts
from ._models import AgentReference, DeploymentRun, ManualTriggerContext, RunError, ScheduleTriggerContext
from ._page import Page, parse_page
from ._sdk_facts import Fact, FactSheet

__all__ = [
    "AgentReference",
    "DeploymentRun",
    "Difference",
    "Fact",
    "FactSheet",
    "ManualTriggerContext",
    "Page",
    "RunError",
    "ScheduleTriggerContext",
    "build_spec",
    "check_spec",
    "compare_facts",
    "contract_facts",
    "diff_pages",
    "parse_page",
]
