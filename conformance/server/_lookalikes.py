"""Unknown deployment ids built around a given one: ids a lax router or lookup folds onto it.

Each is sent as any SDK sends an id (every reserved character percent-encoded, see
`run_path`), so a server that answers one with a run read the path otherwise than it was
written: it decoded twice, resolved dot segments or an encoded slash after decoding, trimmed,
folded case or Unicode compatibility forms, cut at a parameter or a NUL. None names a
deployment: each must be answered with no run, in the error envelope (404 not_found_error).
"""

from __future__ import annotations

import unicodedata

from ._transport import run_path

__all__ = ["lookalike_ids", "lookalike_paths"]


def _fullwidth(text: str) -> str:
    """ASCII letters, digits and punctuation as their fullwidth forms (NFKC folds them back)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def lookalike_ids(given: str) -> list[tuple[str, str]]:
    """(what, id) for each unknown id built around `given`, the likeliest folds first; an id
    equal to `given` (no case to change, say), or one that would not fold back, left out."""
    made = [
        ("its case changed", given.swapcase()),
        ("a trailing slash (%2F)", given + "/"),
        ("a dot segment before it (x%2F..%2F)", "x/../" + given),
    ]
    if given and given[0].isascii():
        twice = f"%{ord(given[0]):02X}{given[1:]}"
        made.append(("its first character percent-encoded as text (encoded twice)", twice))
    made += [("a trailing space", given + " "), ("a path parameter after it (;x)", given + ";x")]
    if unicodedata.normalize("NFKC", _fullwidth(given)) == given:
        made.append(("its fullwidth form (NFKC folds it back)", _fullwidth(given)))
    made += [("a NUL after it", given + "\x00"), ("more after it", given + "x")]
    seen = {given}
    kept = []
    for what, ident in made:
        if ident not in seen:
            seen.add(ident)
            kept.append((what, ident))
    return kept


def lookalike_paths(given: str) -> list[tuple[str, str, str]]:
    """(what, id, raw path) for ids no string can spell: percent-escapes of bytes that are not
    UTF-8, after `given` (a lax decoder drops or replaces them). The id is the path's as read."""
    escaped = run_path(given).removesuffix("/run")
    return [
        ("a byte that is not UTF-8 (%FF) after it", given + "\ufffd", escaped + "%FF/run"),
        ("an overlong UTF-8 slash (%C0%AF) before it", "\ufffd\ufffd" + given, _before(escaped, "%C0%AF")),
    ]


def _before(escaped: str, raw: str) -> str:
    head, _, ident = escaped.rpartition("/")
    return f"{head}/{raw}{ident}/run"
