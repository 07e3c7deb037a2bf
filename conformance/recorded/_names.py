"""File names as a terminal shows them: a name is the user's, and may hold anything but NUL."""

from __future__ import annotations

__all__ = ["shown"]

_SURROGATE_ESCAPES = range(0xDC80, 0xDD00)  # the bytes of a non-UTF-8 name (surrogateescape)


def shown(name: str) -> str:
    """`name` with each character a terminal would act on escaped (`\\n`, `\\x1b`, a byte that
    is not UTF-8 as `\\xff`), so that it cannot fake a line or colour the output; a printable
    name is unchanged."""
    if name.isprintable():
        return name
    return "".join(_escaped(char) for char in name)


def _escaped(char: str) -> str:
    if char.isprintable():
        return char
    if ord(char) in _SURROGATE_ESCAPES:
        return f"\\x{ord(char) - 0xDC00:02x}"
    return repr(char)[1:-1]
