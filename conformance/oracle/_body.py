"""A response body as the oracle reads it: JSON in its one encoding between systems, UTF-8
without a byte order mark (RFC 8259 section 8.1), with every integer exact."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from ._case import UNPARSED

__all__ = ["encoding_problem", "parse_body"]

# Where a number may start orjson cannot keep exact: after `[`, `:`, `,` or space, a minus
# and 19 digits (below -2^63 needs 19) or 20 digits (above 2^64-1 needs 20). Each byte maps
# to a class: digits "1", those separators "2", "-" "3", all else "0"; found in C, then read.
_CLASSES = bytes(
    0x31 if 0x30 <= b <= 0x39 else 0x32 if b in b"[:, \t\r\n" else 0x33 if b == 0x2D else 0x30
    for b in range(256)
)
_LONG_STARTS = (b"23" + b"1" * 19, b"2" + b"1" * 20)
_NUMBER = re.compile(rb"-?[0-9]+")


def parse_body(body: bytes) -> Any:
    """The JSON value of `body`, or UNPARSED. Integers of any size are kept exact. Only UTF-8
    without a byte order mark is JSON here (RFC 8259 section 8.1), never another encoding
    guessed from the bytes."""
    if not _beyond_64_bits(body):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    if encoding_problem(body) is not None:
        return UNPARSED
    try:  # the stdlib keeps every integer exact, where orjson would round it to a float
        return json.loads(body.decode("utf-8"), parse_constant=_not_json)
    except (ValueError, RecursionError):
        return UNPARSED


def _beyond_64_bits(body: bytes) -> bool:
    """Whether `body` may hold an integer orjson cannot keep exact (outside -2^63 .. 2^64-1)."""
    classes = (b" " + body).translate(_CLASSES)  # classes[i + 1] is the class of body[i]
    for start in _LONG_STARTS:
        at = classes.find(start)
        while at != -1:
            number = _NUMBER.match(body, at)  # the number starts after its separator
            if number is not None and not -(2**63) <= int(number[0]) <= 2**64 - 1:
                return True
            at = classes.find(start, at + 1)
    return False


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


# The byte order marks, longest first (UTF-32LE's begins with UTF-16LE's).
_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32BE"),
    (b"\xff\xfe\x00\x00", "UTF-32LE"),
    (b"\xef\xbb\xbf", "UTF-8"),
    (b"\xfe\xff", "UTF-16BE"),
    (b"\xff\xfe", "UTF-16LE"),
)


def encoding_problem(body: bytes) -> str | None:
    """What keeps `body` from being UTF-8 without a byte order mark, or None when it is."""
    for mark, encoding in _BOMS:
        if body.startswith(mark):
            return f"a {encoding} byte order mark"
    head = body[:4]
    if len(head) == 4 and head.count(0):  # JSON's first characters are ASCII (RFC 4627 section 3)
        pattern = "".join("0" if byte == 0 else "x" for byte in head)
        named = {"000x": "UTF-32BE", "x000": "UTF-32LE", "0x0x": "UTF-16BE", "x0x0": "UTF-16LE"}
        if pattern in named:
            return f"{named[pattern]} text"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"bytes that are not UTF-8 (at byte {exc.start})"
    return None
