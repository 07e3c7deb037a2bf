"""A response body as the oracle reads it: exact JSON, and the verdict alone for one body."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from ._case import UNPARSED
from ._oracle import Oracle

__all__ = ["parse_body", "payload_conforms"]

# Maps every digit to b"1" and all else to b"0": a run of 19 ones is a 19-digit number.
_DIGITS = bytes(0x31 if 0x30 <= byte <= 0x39 else 0x30 for byte in range(256))
_LONG_NUMBER = b"1" * 19
_DIGIT_RUN = re.compile(rb"-?[0-9]{19,}")


def parse_body(body: bytes) -> Any:
    """The JSON value of `body`, or UNPARSED. Integers of any size are kept exact."""
    if not _beyond_64_bits(body):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    try:  # the stdlib keeps every integer exact, where orjson would round it to a float
        return json.loads(body, parse_constant=_not_json)
    except (ValueError, RecursionError):
        return UNPARSED


def _beyond_64_bits(body: bytes) -> bool:
    """Whether `body` may hold an integer orjson cannot keep exact (outside -2^63 .. 2^64-1)."""
    if _LONG_NUMBER not in body.translate(_DIGITS):  # the common case: no run of 19 digits
        return False
    return any(not -(2**63) <= int(run) <= 2**64 - 1 for run in _DIGIT_RUN.findall(body))


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def payload_conforms(body: bytes, oracle: Oracle | None = None) -> bool:
    """The verdict alone for one recorded body: no MUST finding. The schema decides it
    (jsonschema-rs); property tests hold it equal to the full oracle's MUST verdict.

    orjson may round an integer past 64 bits to a float; only where an int64 belongs can
    that change the verdict, so only then is the body read again, exactly.
    """
    oracle = oracle or Oracle.default()
    try:
        run = orjson.loads(body)
    except orjson.JSONDecodeError:
        return oracle.schema_accepts(parse_body(body))
    if oracle.schema_accepts(run):
        return not oracle.rounded_int64(run) or oracle.schema_accepts(parse_body(body))
    return False
