"""Installs and builds that failed, remembered with their reason, so a sweep does not spend minutes
on a doomed Go build every time: `sweep-failures.json` in the drun-conformance cache folder.

    {"format": 1, "failures": {"go@v2.3.0": {"harness": "b194f6eda540", "reason": "cannot build ...",
                                             "at": "2026-12-06T17:00:00Z"}}}

An entry holds while the SDK's harness is the one it failed with (`harness`: a hash of its
sources, every file of the shipped harnesses named like it, variants included): a changed
harness tries again. `--retry-failed` tries them all; a release that starts is forgotten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock

from drun_conformance.client._sdks import HARNESS_DIR, SDKS, cache_dir

from .plan import Release

__all__ = ["FORMAT", "Failures", "harness_digest"]

FORMAT = 1
_NOT_SOURCES = frozenset({"__pycache__", "target", "node_modules"})


def harness_digest(name: str, harnesses: Path = HARNESS_DIR) -> str:
    """A short hash of every file of the shipped harnesses whose name starts like this SDK's."""
    stem = Path(SDKS[name].harness).stem
    digest = hashlib.sha256()
    for path in sorted(p for p in harnesses.rglob("*") if p.is_file()):
        parts = path.relative_to(harnesses).parts
        if parts[0].startswith(stem) and not _NOT_SOURCES.intersection(parts):
            digest.update("/".join(parts).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


class Failures:
    """The failure cache file; every change is made under its lock (shards may run side by side)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_dir() / "sweep-failures.json"

    def held(self, digests: Mapping[str, str]) -> dict[Release, str]:
        """The releases that failed with the current harness of their SDK (`digests`), and why."""
        return {
            Release.parse(spec): entry["reason"]
            for spec, entry in self._read().items()
            if digests.get(Release.parse(spec).name) == entry["harness"]
        }

    def update(self, outcomes: Iterable[tuple[Release, str | None]], digests: Mapping[str, str]) -> None:
        """Remember each (release, why it did not start), forget each (release, None)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(self.path.with_name(self.path.name + ".lock")):
            failures = self._read()
            at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            for release, reason in outcomes:
                if reason is None:
                    failures.pop(release.spec, None)
                else:
                    failures[release.spec] = {"harness": digests[release.name], "reason": reason, "at": at}
            document = {"format": FORMAT, "failures": dict(sorted(failures.items()))}
            self.path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        if document.get("format") != FORMAT:
            raise SystemExit(f"{self.path}: not a failure cache of format {FORMAT}; remove it")
        return dict(document["failures"])
