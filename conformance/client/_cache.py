"""The SDK cache: installing or building a shipped harness once, under the cache folder: a lock per folder,
a marker written only on success, and the tools run with a timeout and a readable failure.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from filelock import FileLock

from drun_conformance._errors import SdkUnavailable
from drun_conformance._interrupt import run_tool_group

__all__ = ["installing", "run_tool", "say", "sharing", "source_digest"]

INSTALL_TIMEOUT = 900.0
Note = Callable[[str], None]


@contextlib.contextmanager
def installing(home: Path) -> Iterator[bool]:
    """Holds an install lock for `home` (two runs never install into one folder at once);
    yields whether a finished install is there. The marker is written only on success."""
    home.parent.mkdir(parents=True, exist_ok=True)
    marker = home / ".drun-installed"
    with FileLock(home.parent / f".{home.name}.lock"):  # cross-platform, unlike fcntl
        ready = marker.is_file()
        yield ready
        if not ready:
            marker.write_text("ok\n", encoding="utf-8")


@contextlib.contextmanager
def sharing(folder: Path) -> Iterator[None]:
    """Holds a lock on a folder several installs share: Maven's local repository is not safe
    for two Maven processes at once (targets are checked side by side, and so installed)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(folder.parent / f".{folder.name}.lock"):
        yield


_SOURCE_POSITION = re.compile(r"\.(java|go|ts|js|py):\[?\d+")
# Maven's advice after an error (re-run with -e, read the wiki) says nothing of what failed.
_ADVICE = re.compile(r"^\[ERROR\]\s*(To see the full|Re-run Maven|For more information|\[Help \d+\]|$)")
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # terminal colour codes some tools write even when piped


def run_tool(
    argv: list[str],
    what: str,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = INSTALL_TIMEOUT,
) -> None:
    """Runs one install or build step; SdkUnavailable (with its last words) when it fails."""
    try:
        done = run_tool_group(argv, timeout=timeout, cwd=cwd, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SdkUnavailable(f"cannot {what}: {exc}") from exc
    if done.returncode != 0:
        said = (done.stderr + done.stdout).decode("utf-8", "replace").strip().splitlines()
        # A compiler's first errors name the file and line; a build tool's last lines only say it failed.
        located = [line for line in said if _SOURCE_POSITION.search(line)][:3]
        said = [text for line in said if not _ADVICE.match(text := _COLOUR.sub("", line))]
        errors = located or ([line for line in said if "ERROR" in line or "error" in line] or said)[-3:]
        raise SdkUnavailable(f"cannot {what}: {' / '.join(errors) or f'exit status {done.returncode}'}")


def source_digest(folder: Path) -> str:
    """A short hash of a harness's sources: a changed harness is built afresh, not reused."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def say(note: Note | None, text: str) -> None:
    (note or (lambda t: print(f"drun-conformance: {t}", file=sys.stderr)))(text)
