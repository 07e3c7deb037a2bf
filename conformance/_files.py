"""Files a user names: their names as a terminal shows them (a name may hold anything but NUL),
and their bytes, read only from a regular file (a FIFO or a device is refused, never waited on).
One place for `validate`'s inputs and `report`'s results files."""

from __future__ import annotations

import errno
import os
import stat

from ._errors import InputError

__all__ = ["not_regular", "read_regular", "shown", "why_unreadable"]

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


def why_unreadable(exc: OSError) -> str:
    """Why a file could not be opened or read, in words."""
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long for this system"
    if exc.errno == errno.ELOOP:
        return "a loop of symbolic links"
    return exc.strerror or str(exc)


def not_regular(name: str, mode: int, hint: str = "") -> str:
    """What `name` is instead of a regular file (its `st_mode`), and `hint` if any."""
    kind = (
        "a named pipe (FIFO)"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a file"
    )
    return f"cannot read {shown(name)}: {kind}, not a regular file" + (f" ({hint})" if hint else "")


def read_regular(name: str, *, hint: str = "") -> bytes:
    """The file's bytes, or an InputError saying why not (`hint` added when it is no regular
    file). Opened without blocking and checked then, as the name may have changed since it was
    looked at (a FIFO would block the open, a device never end)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputError(f"cannot read {shown(name)}: {why_unreadable(exc)}") from exc
    with open(fd, "rb") as file:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(not_regular(name, mode, hint))
        os.set_blocking(fd, True)
        try:
            return file.read()
        except OSError as exc:
            raise InputError(f"cannot read {shown(name)}: {why_unreadable(exc)}") from exc
