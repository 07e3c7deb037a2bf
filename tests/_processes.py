"""A test's subprocesses as Linux /proc shows them: to see that none is left behind."""

from __future__ import annotations

from pathlib import Path

__all__ = ["children", "command_line", "descendants", "in_group", "running"]


def _parents() -> dict[int, int]:
    """Every process and its parent."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return parents


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
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and fields[2] == str(pgid):
            members.append(int(stat.parent.name))
    return members


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit status waits for PID 1, which may never reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
