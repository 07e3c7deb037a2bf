"""A response body as the oracle reads it: JSON in its one encoding between systems, UTF-8
without a byte order mark (RFC 8259 section 8.1), with every integer exact, and read as every
client can: I-JSON (RFC 7493), so no object names a member twice and no string holds a lone
surrogate. A body that is JSON but no I-JSON is left unparsed, like one that is no JSON: its
value is not the same in every client, so no check of the value can be trusted on it, and
`why_unparsed` says which requirement it breaks.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from typing import Any

import orjson

from ._case import UNPARSED, Case, Found, show

__all__ = [
    "MAX_DEPTH",
    "encoding_problem",
    "lone_surrogates",
    "names_unique",
    "parse_body",
    "unparsed_because",
    "why_unparsed",
]

MAX_DEPTH = 1024  # the nesting this reader holds (orjson's): RFC 8259 section 9 lets a reader set one

# Where a number may start orjson cannot keep exact: after `[`, `:`, `,` or space, a minus
# and 19 digits (below -2^63 needs 19) or 20 digits (above 2^64-1 needs 20). Each byte maps
# to a class: digits "1", those separators "2", "-" "3", all else "0"; found in C, then read.
_CLASSES = bytes(
    0x31 if 0x30 <= b <= 0x39 else 0x32 if b in b"[:, \t\r\n" else 0x33 if b == 0x2D else 0x30
    for b in range(256)
)
_LONG_STARTS = (b"23" + b"1" * 19, b"2" + b"1" * 20)
_NUMBER = re.compile(rb"-?[0-9]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_JSON = "Received: bytes that are not JSON / Expected: a JSON document"


def parse_body(body: bytes) -> Any:
    """The JSON value of `body`, or UNPARSED. Integers of any size are kept exact. Only UTF-8
    without a byte order mark is JSON here (RFC 8259 section 8.1), never another encoding
    guessed from the bytes; and only I-JSON is read (see the module): a body whose objects
    name a member twice or whose strings hold a lone surrogate is UNPARSED too."""
    if not _beyond_64_bits(body):
        try:
            value = orjson.loads(body)  # refuses lone surrogates and depths past MAX_DEPTH
        except orjson.JSONDecodeError as exc:
            if "depth" in str(exc):
                return UNPARSED
        else:
            if names_unique(body, value):
                return value
    if encoding_problem(body) is not None:
        return UNPARSED
    try:  # the stdlib keeps every integer exact, where orjson would round it to a float
        value = json.loads(body.decode("utf-8"), **_STDLIB)
    except (ValueError, RecursionError):
        return UNPARSED
    if next(_names_twice(value), None) is not None or next(lone_surrogates(value), None) is not None:
        return UNPARSED
    return value


def why_unparsed(body: bytes) -> tuple[str, Found]:
    """Why `parse_body(body)` is UNPARSED: the requirement the body breaks (`payload.json`, or
    an I-JSON one) and what was found there."""
    problem = encoding_problem(body)
    if problem is not None:
        expected = "JSON in UTF-8 without a byte order mark (RFC 8259 section 8.1)"
        return "payload.json", ("", f"Received: {problem} / Expected: {expected}")
    try:
        value = json.loads(body.decode("utf-8"), **_STDLIB)
    except RecursionError:
        return "payload.json", ("", _TOO_DEEP)
    except ValueError:
        return "payload.json", ("", _NOT_JSON if not _too_deep(body) else _TOO_DEEP)
    for pointer, name in _names_twice(value):
        return "payload.json.unique-names", (
            pointer,
            f"Received: the member {show(name, 60)} twice in one object / Expected: each name once"
            " (RFC 7493 section 2.3: readers disagree on which one counts)",
        )
    for pointer, text, _ in lone_surrogates(value):
        shown = json.dumps(text)  # ASCII: the surrogate as its escape
        return "payload.json.no-lone-surrogate", (
            pointer,
            f"Received: {shown[:60]} (a lone surrogate escape) / Expected: a string of Unicode"
            " characters (RFC 7493 section 2.1)",
        )
    return "payload.json", ("", _TOO_DEEP if _too_deep(body) else _NOT_JSON)


def unparsed_because(case: Case) -> tuple[str, Found] | None:
    """Why the case's body is unparsed (`why_unparsed`, worked out once a case: every body
    check asks); None when it was parsed or its bytes are unknown."""
    if case.run is not UNPARSED:
        return None
    if "why_unparsed" not in case.cache:
        body = case.exchange.body if case.exchange is not None else case.body
        case.cache["why_unparsed"] = None if body is None else why_unparsed(body)
    why: tuple[str, Found] | None = case.cache["why_unparsed"]
    return why


_TOO_DEEP = (
    f"Received: JSON nested deeper than this reader holds ({MAX_DEPTH} levels) / Expected: a JSON"
    " document within that limit (RFC 8259 section 9 lets a reader set one; a DeploymentRun is 3 deep)"
)


def _too_deep(body: bytes) -> bool:
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return False
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return "depth" in str(exc)
    return False


def names_unique(body: bytes, value: Any) -> bool:
    """Whether no object of `value`, read by orjson from `body` (the last of a name wins), had
    a name twice, decided from the colons alone (C speed): written out again, `value` keeps a
    colon per member and those inside strings. `body` has as many, and one more per member
    dropped (with those inside its name and value), unless a colon inside a string was
    escaped; each `\\u003a` in `body` is counted as one. Equal counts: no member was dropped.
    Else (or when unsure) the exact reading decides, in `parse_body`."""
    if type(value) is not dict and type(value) is not list:
        return True
    colons = body.count(b":")
    if b"\\u003" in body:
        colons += body.count(b"\\u003a") + body.count(b"\\u003A")
    return colons == orjson.dumps(value).count(b":")


class _Object(dict[str, Any]):
    """A JSON object as read, remembering the first name it had twice (None: none)."""

    __slots__ = ("twice",)
    twice: str

    @classmethod
    def of(cls, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        made = dict(pairs)
        if len(made) == len(pairs):
            return made
        named = cls(made)
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                named.twice = name
                return named
            seen.add(name)
        raise AssertionError("fewer names than pairs, yet none twice")  # pragma: no cover


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    """Every value in `value` with its RFC 6901 pointer, depth first, members in order (a stack,
    not recursion: a document may nest as deep as its reader allowed)."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        pointer, node = stack.pop()
        yield pointer, node
        if isinstance(node, dict):
            members = [(pointer + "/" + k.replace("~", "~0").replace("/", "~1"), v) for k, v in node.items()]
            stack += reversed(members)
        elif isinstance(node, list):
            stack += reversed([(f"{pointer}/{index}", item) for index, item in enumerate(node)])


def _names_twice(value: Any) -> Iterator[tuple[str, str]]:
    """(the pointer of the member, its name) for each object that had a name twice."""
    for pointer, node in _walk(value):
        if isinstance(node, _Object):
            yield pointer + "/" + node.twice.replace("~", "~0").replace("/", "~1"), node.twice


def lone_surrogates(value: Any) -> Iterator[tuple[str, str, bool]]:
    """(the pointer, the string, whether it is a member's name: then the pointer is its object's)
    for each name or string value holding a lone surrogate (json keeps them; a surrogate pair it
    joins into one character), in document order."""
    for pointer, node in _walk(value):
        if isinstance(node, dict):
            for key in node:
                if _SURROGATE.search(key):
                    yield pointer, key, True
        elif isinstance(node, str) and _SURROGATE.search(node):
            yield pointer, node, False


def _beyond_64_bits(body: bytes) -> bool:
    """Whether `body` may hold an integer orjson cannot keep exact (outside -2^63 .. 2^64-1)."""
    classes = (b" " + body).translate(_CLASSES)  # classes[i + 1] is the class of body[i]
    for start in _LONG_STARTS:
        at = classes.find(start)
        while at != -1:
            number = _NUMBER.match(body, at)  # the number starts after its separator
            if number is not None and (len(number[0]) > 21 or not -(2**63) <= int(number[0]) <= 2**64 - 1):
                return True
            at = classes.find(start, at + 1)
    return False


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


class LongInteger(int):
    """An integer past Python's limit for reading digits (4300): its sign and size kept, its
    digits shown cut. Every integer the contract holds has at most 20 digits."""

    text: str

    @classmethod
    def of(cls, text: str) -> LongInteger:
        digits = len(text.lstrip("-"))
        value = cls((-1 if text.startswith("-") else 1) * 10 ** min(digits - 1, 9999))
        value.text = text
        return value

    def __repr__(self) -> str:
        return f"{self.text[:24]}… (an integer of {len(self.text.lstrip('-'))} digits)"

    __str__ = __repr__


def _integer(text: str) -> int:
    limit = sys.get_int_max_str_digits()  # 0: no limit
    return LongInteger.of(text) if limit and len(text.lstrip("-")) > limit else int(text)


_STDLIB: dict[str, Any] = {
    "parse_constant": _not_json,
    "parse_int": _integer,
    "object_pairs_hook": _Object.of,
}


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
