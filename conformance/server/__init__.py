"""Checking a server: probe planning, the HTTP transport, the Schemathesis bridge, the reference server."""

from ._options import PROFILES, ServerOptions, budget_of, default_budget, is_loopback
from ._runner import check_server

__all__ = ["PROFILES", "ServerOptions", "budget_of", "check_server", "default_budget", "is_loopback"]
