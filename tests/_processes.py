"""A test's subprocesses as Linux /proc shows them: to see that none is left behind."""

from __future__ import annotations

from pathlib import Path

__all__ = ["children", "command_line", "descendants", "in_group", "running"]


def _stat(pid: int | str) -> list[str]:
    """The fields of /proc/PID/stat after the command name: state, parent, process group, ...
    (none for a process gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _processes() -> dict[int, list[str]]:
    """Every process and its stat fields."""
    found = {int(path.name): _stat(path.name) for path in Path("/proc").glob("[0-9]*")}
    return {pid: fields for pid, fields in found.items() if len(fields) > 2}


def _parents() -> dict[int, int]:
    """Every process and its parent."""
    return {pid: int(fields[1]) for pid, fields in _processes().items()}


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    return [child for child, parent in _parents().items() if parent == pid]


def descendants(pid: int) -> set[int]:
    """Every process under `pid`."""
    parents = _parents()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def in_group(pgid: int) -> list[int]:
    """The processes of process group `pgid` still running."""
    return [pid for pid, fields in _processes().items() if fields[0] != "Z" and fields[2] == str(pgid)]


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit status waits for PID 1, which may never reap it)."""
    return _stat(pid)[:1] not in ([], ["Z"])


def command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
