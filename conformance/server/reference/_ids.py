"""Identifiers and timestamps in the API's formats."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

__all__ = ["new_run_id", "rfc3339", "tagged_id"]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def new_run_id(at: datetime) -> str:
    """`drun_` + a ULID: 48 bits of milliseconds then 80 random bits, 26 Crockford base32 chars."""
    value = (int(at.timestamp() * 1000) & (2**48 - 1)) << 80 | secrets.randbits(80)
    return "drun_" + "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def tagged_id(prefix: str, length: int = 24) -> str:
    """`prefix_` + random base58, the shape of the API's other ids (`sesn_...`, `req_...`)."""
    # One draw for the whole id (a draw per character was a syscall each, on every request).
    value = secrets.randbelow(58**length)
    digits = []
    for _ in range(length):
        value, digit = divmod(value, 58)
        digits.append(_BASE58[digit])
    return prefix + "_" + "".join(digits)


def rfc3339(at: datetime) -> str:
    """UTC, always six fractional digits and a `Z`: `2026-05-01T12:00:00.000123Z`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
