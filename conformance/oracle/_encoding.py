"""JSON's one encoding between systems: UTF-8 without a byte order mark (RFC 8259 section 8.1)."""

from __future__ import annotations

__all__ = ["encoding_problem"]

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
