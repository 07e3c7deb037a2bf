"""Checking a server: probe planning, the HTTP transport, the Schemathesis bridge, the reference server."""

from ._runner import PROFILES, ServerOptions, check_server

__all__ = ["PROFILES", "ServerOptions", "check_server"]
