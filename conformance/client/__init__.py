"""The SDK gate: cases, the scripted mock, the harness protocol, SDK installs, expectations, harnesses."""

from ._check import ClientOptions, check_client

__all__ = ["ClientOptions", "check_client"]
