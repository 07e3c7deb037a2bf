"""The published index of releases, docs/sweep/releases.json: every release a sweep gated, with
what it failed, so that the next sweep gates only what is new, and the dashboard is drawn from it
alone (offline, the same every time).

    {"format": 1,
     "sweep": {"seed": 1, "examples": 25, "spec": {"sha256": "dca8...", "catalog_version": 1}},
     "sweeps": [{"date": "2026-11-30", "command": "python scripts/sweep_sdks.py ...", "gated": 140}],
     "sdks": {"python": {
       "first": "0.109.0",
       "left_out": [{"reason": "...", "releases": ["..."]}],
       "releases": {
         "0.109.0": {"swept": "2026-11-30", "reached": true, "verdict": "non-conformant",
                     "gate": "passed", "failed": {"client.parse.variant-class": "SHOULD"},
                     "unlisted": [], "drift": 5, "drift_unlisted": 0},
         "v2.3.0": {"swept": "2026-12-06", "reached": false, "reason": "cannot build ..."}}}}}

`sweep` says what the entries are comparable under: a release is done only for a sweep of the
same seed, drawn examples and contract. `first` is the first release with the operation (found
by bisection once: the operation, once added, stays); `left_out` the releases with it that the
shipped harnesses do not gate, and why. In an entry, `failed` holds every failed requirement
with its level (known failures too), `unlisted` those no expectations file lists (they fail the
gate), `drift` the number of differences `spec drift` finds in the release's own model (the gate's
results.json carries them) and `drift_unlisted` those its expectations file does not list (they
fail `spec drift`, not the gate); both absent when the model could not be read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from drun_conformance.client._sdks import SDKS

from .plan import Release
from .registries import version_key

__all__ = ["FORMAT", "Index", "entry_of", "release_of", "sweep_key"]

FORMAT = 1
Results = dict[str, Any]  # a results.json
Entry = dict[str, Any]


def sweep_key(results: Results) -> dict[str, Any]:
    """What a run's entries are comparable under: its seed, drawn examples and contract."""
    examples = next(
        (t["identity"]["examples"] for t in results["targets"] if "examples" in t["identity"]), None
    )
    if examples is None and "--examples" in results["command"]:
        examples = int(results["command"][results["command"].index("--examples") + 1])
    return {"seed": results["seed"], "examples": examples, "spec": results["spec"]}


def release_of(target: Mapping[str, Any]) -> Release:
    """The SDK release a target of the gate drove: the version it reported, else the one asked."""
    identity = target["identity"]
    name, _, asked = str(identity.get("sdk") or target["id"].removeprefix("sdk:")).partition("@")
    if identity.get("language") in SDKS:
        name = identity["language"]
    return Release(name, str(identity.get("version") or asked or SDKS[name].default_version))


def entry_of(target: Mapping[str, Any], *, swept: str) -> Entry:
    """A target of a results.json as an index entry."""
    if not target["identity"].get("reached", True):
        return {"swept": swept, "reached": False, "reason": " ".join(target["notes"]) or "did not start"}
    failed = [r for r in target["requirements"] if r["status"] in ("failed", "errored")]
    return {
        "swept": swept,
        "reached": True,
        "verdict": target["verdict"],
        "gate": target["gate"],
        "failed": {r["id"]: r["level"] for r in failed},
        "unlisted": [r["id"] for r in failed if r.get("expected") is None],
        **_drift(target.get("drift")),
    }


def _drift(drift: Mapping[str, Any] | None) -> Entry:
    """The gate's drift of the release in two counts (none: no model read, or results from before)."""
    if not drift or drift.get("error") is not None:
        return {}
    return {"drift": len(drift["differences"]), "drift_unlisted": drift["unexpected"]}


class Index:
    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data: dict[str, Any] = data or {"format": FORMAT, "sweep": None, "sweeps": [], "sdks": {}}

    @classmethod
    def load(cls, path: Path) -> Index:
        if not path.is_file():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise SystemExit(f"{path}: a releases index of format {data.get('format')}, not {FORMAT}")
        return cls(data)

    def save(self, path: Path) -> None:
        for sdk in self.data["sdks"].values():  # oldest first, as the dashboard reads them
            sdk["releases"] = dict(sorted(sdk["releases"].items(), key=lambda kv: version_key(kv[0])))
        self.data["sdks"] = {n: self.data["sdks"][n] for n in sorted(self.data["sdks"], key=_sdk_order)}
        path.write_text(json.dumps(self.data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    def sdk(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.data["sdks"].setdefault(
            name, {"first": None, "left_out": [], "releases": {}}
        )
        return found

    def done(self, key: Mapping[str, Any]) -> set[Release]:
        """The releases gated (their harness started) in a sweep comparable with `key`."""
        if self.data["sweep"] != dict(key):
            return set()
        return {
            Release(n, v)
            for n, sdk in self.data["sdks"].items()
            for v, e in sdk["releases"].items()
            if e["reached"]
        }

    def record(self, results: Results, *, swept: str) -> list[Release]:
        """Every target of `results` as an entry (a sweep of another key replaces every entry);
        the releases recorded, in the order of the results."""
        key = sweep_key(results)
        if self.data["sweep"] != key:
            for sdk in self.data["sdks"].values():
                sdk["releases"] = {}
            self.data["sweep"] = key
        recorded = []
        for target in results["targets"]:
            release = release_of(target)
            self.sdk(release.name)["releases"][release.version] = entry_of(target, swept=swept)
            recorded.append(release)
        return recorded

    def releases(self, name: str) -> Iterator[tuple[str, Entry]]:
        yield from sorted(self.sdk(name)["releases"].items(), key=lambda kv: version_key(kv[0]))


def _sdk_order(name: str) -> int:
    return list(SDKS).index(name) if name in SDKS else len(SDKS)
