"""What one server check is asked to do: the options, the profiles, and the request budget."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Protocol
from urllib.parse import urlsplit

from drun_conformance._errors import UsageError
from drun_conformance._values import base_url_problem, deployment_id_problem
from drun_conformance.oracle import DEFAULT_SKEW

from ._transport import MiB

__all__ = [
    "EMBEDDED_BUDGET",
    "LIVE_BUDGET",
    "PROFILES",
    "Profile",
    "ProgressSink",
    "ServerOptions",
    "budget_of",
    "default_budget",
    "is_loopback",
]


class ProgressSink(Protocol):
    """Where a run reports as it goes: `drun_conformance.reports.Progress` is one."""

    def advance(self, n: int = 1) -> None: ...

    def note(self, text: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Profile:
    repeats: int  # extra rounds over the given ids, for intermittent faults
    fuzz: int  # Schemathesis cases, budget allowing


PROFILES = {
    "quick": Profile(repeats=0, fuzz=10),
    "default": Profile(repeats=3, fuzz=60),
    "thorough": Profile(repeats=8, fuzz=300),
}
EMBEDDED_BUDGET, LIVE_BUDGET = 300, 10


@dataclass(frozen=True, slots=True)
class ServerOptions:
    base_url: str | None = None  # None: the embedded reference server
    api_key: str | None = None
    deployment_ids: tuple[str, ...] = ()
    max_requests: int | None = None
    profile: Literal["quick", "default", "thorough"] = "default"
    seed: int | None = None
    strict: bool = False
    timeout_s: float = 30.0
    max_response_bytes: int = 10 * MiB
    deadline_s: float = 80.0  # no request starts later: with the 30 s timeout, done within 2 minutes
    skew: timedelta = DEFAULT_SKEW

    def __post_init__(self) -> None:
        # The command line's flags, the plugin's options and the library's arguments: one rule.
        if self.base_url is not None and (problem := base_url_problem(self.base_url)):
            raise UsageError(f"base_url {problem}")
        for deployment_id in self.deployment_ids:
            if problem := deployment_id_problem(deployment_id):
                raise UsageError(f"a deployment id {problem}")


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_budget(base_url: str) -> int:
    """Requests a run may send when --max-requests is not given: live endpoints are not free."""
    return EMBEDDED_BUDGET if is_loopback(base_url) else LIVE_BUDGET


def budget_of(options: ServerOptions) -> int:
    """The most requests this run may send."""
    if options.max_requests:
        return options.max_requests
    return default_budget(options.base_url) if options.base_url else EMBEDDED_BUDGET
