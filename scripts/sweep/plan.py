"""What a sweep gates: the releases due (not yet in the published results, not a build known to
fail), the newest of them if asked, one shard of them, and the CI matrix of shards.

A shard is a deterministic split balanced by what a release costs on a fresh runner (its install
or build, then its gate): greedy, the costliest first, each to the shard with the least work so
far (the lowest index on a tie). The same releases and N always give the same shards.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .registries import version_key

__all__ = ["COST_S", "Release", "matrix", "newest", "parse_shard", "select", "shard", "shard_cost"]

# Seconds a release takes on a fresh 2-core machine: its install or build (the 2026-11-30 sweep: a
# Go build 3.5 to 5.5 min, Java about 1, Python 1 to 2, TypeScript 30 to 60 s), then about 5 s gating.
COST_S = {"python": 95, "typescript": 50, "java": 65, "go": 275}
JOB_BUDGET_S = 20 * 60  # a CI job of the sweep's matrix: at most this much work, cold


@dataclass(frozen=True, slots=True)
class Release:
    name: str  # the SDK, as --sdk takes it
    version: str

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @classmethod
    def parse(cls, text: str) -> Release:
        name, _, version = text.partition("@")
        return cls(name, version)


def shard_cost(release: Release) -> int:
    return COST_S.get(release.name, max(COST_S.values()))


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` (1 <= I <= N), as --shard takes it."""
    index, _, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be I/N, such as 2/5, got {text!r}") from None
    if not 1 <= i <= n:
        raise argparse.ArgumentTypeError(f"must be I/N with 1 <= I <= N, got {text!r}")
    return i, n


def shard(releases: Sequence[Release], index: int, count: int) -> list[Release]:
    """Shard `index` of `count` (from 1) of `releases`, in their order."""
    loads = [0] * count
    owner: dict[int, int] = {}
    for position, release in sorted(enumerate(releases), key=lambda p: (-shard_cost(p[1]), p[0])):
        lightest = min(range(count), key=lambda k: (loads[k], k))
        loads[lightest] += shard_cost(release)
        owner[position] = lightest
    return [release for position, release in enumerate(releases) if owner[position] == index - 1]


def select(
    planned: Iterable[Release],
    *,
    done: set[Release],
    failed: Mapping[Release, str],
    redo_all: bool = False,
    retry_failed: bool = False,
) -> tuple[list[Release], dict[Release, str]]:
    """(due, held back): `done` releases (in the published results) are due only with `redo_all`;
    `failed` ones (an install or build that failed with this harness, and why) only with
    `retry_failed`."""
    due: list[Release] = []
    held: dict[Release, str] = {}
    for release in planned:
        if release in done and not redo_all:
            continue
        if release in failed and not retry_failed:
            held[release] = failed[release]
            continue
        due.append(release)
    return due, held


def newest(releases: Sequence[Release], count: int) -> list[Release]:
    """The `count` newest of each SDK's releases, in the order given."""
    kept: set[Release] = set()
    for name in dict.fromkeys(r.name for r in releases):
        own = sorted((r for r in releases if r.name == name), key=lambda r: version_key(r.version))
        kept.update(own[-count:])
    return [r for r in releases if r in kept]


def matrix(releases: Sequence[Release], *, budget_s: int = JOB_BUDGET_S) -> list[dict[str, str]]:
    """The CI jobs for `releases`: per SDK, as many shards as keep each within `budget_s`."""
    jobs: list[dict[str, str]] = []
    for name in dict.fromkeys(r.name for r in releases):
        own = [r for r in releases if r.name == name]
        count = min(len(own), math.ceil(sum(map(shard_cost, own)) / budget_s))
        jobs += [{"sdk": name, "shard": f"{i}/{count}"} for i in range(1, count + 1)]
    return jobs
