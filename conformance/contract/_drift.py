"""Drift: every difference between an SDK's facts and the contract's, with the SDK file that shows it:

    agent.version: int32 in com/anthropic/models/beta/agents/BetaManagedAgentsAgentReference.kt,
    contract int64

A difference has a stable id, `<subject>: <aspect>` (`agent.version: type`, `session_id: required`,
`anthropic-beta: values-only-in-sdk`, `GET /v1/deployment_runs: only-in-sdk`), which an SDK's
expectations file lists under `drift:` with the reason it is known. What hangs under a missing
parent (the fields of a model, the parameters of an operation, a variant's fields) is not repeated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from drun_conformance._errors import InputError

from ._sdk_facts import Fact

__all__ = ["Difference", "DriftExpectations", "compare_facts", "describe", "load_drift_expectations"]

_ASPECTS = (
    "only-in-sdk",
    "only-in-contract",
    "type",
    "required",
    "nullable",
    "value",
    "location",
    "values-only-in-sdk",
    "values-only-in-contract",
)
_INTEGERS = ("int32", "int64", "integer")
_WORDS = {"number": "number (a double: integers exact only to 2^53)", "integer": "integer (any size)"}


@dataclass(frozen=True, slots=True)
class Difference:
    subject: str  # agent.version, anthropic-beta, header anthropic-workspace-id, GET /v1/deployment_runs
    aspect: str  # one of _ASPECTS
    sdk: str  # what the SDK says, in words
    contract: str  # what the contract says, in words
    file: str  # the SDK file that shows it (for something the SDK lacks: where it would be)
    expected: str | None = None  # the reason, when the SDK's expectations file lists it

    @property
    def id(self) -> str:
        return f"{self.subject}: {self.aspect}"

    @property
    def line(self) -> str:
        where = f" in {self.file}" if self.file else ""
        if self.aspect == "only-in-sdk":
            return f"{self.subject}: {self.sdk}{where}, contract lacks it"
        if self.aspect == "only-in-contract":
            place = f" ({self.file})" if self.file else ""
            return f"{self.subject}: not in the SDK{place}, contract {self.contract}"
        if self.aspect == "values-only-in-sdk":
            return f"{self.subject}: {self.sdk}{where}, contract lacks them"
        if self.aspect == "values-only-in-contract":
            return f"{self.subject}: {self.contract} of the contract not{where}"
        return f"{self.subject}: {self.sdk}{where}, contract {self.contract}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subject": self.subject,
            "aspect": self.aspect,
            "sdk": self.sdk,
            "contract": self.contract,
            "file": self.file,
            "line": self.line,
            "expected": self.expected,
        }


def compare_facts(sdk: Iterable[Fact], contract: Iterable[Fact]) -> list[Difference]:
    """The differences, in a stable order: models, operations, fields, enumerations, headers, parameters."""
    ours = {f.key: f for f in sdk}
    theirs = {f.key: f for f in contract}
    missing = {name for kind, name in ours.keys() ^ theirs.keys()}
    variants = set()  # union members on one side only: their fields are not repeated
    for key in ours.keys() & theirs.keys():
        if key[0] == "enum" and key[1].endswith(".type"):
            extra = set(ours[key].detail["values"]) ^ set(theirs[key].detail["values"])
            variants |= {f"{key[1].removesuffix('.type')}[{v}]" for v in extra}
    rank = {"model": 0, "operation": 1, "field": 2, "enum": 3, "header": 4, "parameter": 5}
    differences = []
    for key in sorted(ours.keys() | theirs.keys(), key=lambda k: (rank.get(k[0], 9), k[1])):
        name = key[1]
        if any(_under(name, p) for p in missing) or any(name == v or _under(name, v) for v in variants):
            continue
        mine, other = ours.get(key), theirs.get(key)
        if mine is not None and mine.kind == "model":
            mine = Fact(mine.kind, mine.name, mine.file, {"fields": _children(name, ours)})
        if mine is None or other is None:
            differences.append(_one_sided(mine, other, _nearest_file(name, ours)))
        else:
            differences += _both(mine, other)
    return differences


def _children(model: str, facts: dict[tuple[str, str], Fact]) -> list[str]:
    """The top-level fields of a model for its description, a union's tags beside it:
    `created_at, data (deployment_run.failed, ...), id, type`."""
    children = []
    for kind, name in sorted(facts):
        child = name.removeprefix(f"{model}.")
        if kind == "field" and child != name and not any(c in child for c in ".["):
            tags = facts.get(("enum", f"{name}.type"))
            children.append(f"{child} ({', '.join(tags.detail['values'])})" if tags else child)
    return children


def _under(name: str, parent: str) -> bool:
    return name != parent and any(name.startswith(parent + sep) for sep in ".[?")


def _nearest_file(name: str, facts: dict[tuple[str, str], Fact]) -> str:
    """Where the SDK would say it: the file of the closest thing above it the SDK has."""
    by_name = {n: f.file for (_, n), f in facts.items()}
    for cut in range(len(name), 0, -1):
        if name[:cut] in by_name and name[cut : cut + 1] in ".[?":
            return by_name[name[:cut]]
    return by_name.get("run", "")


def _subject(fact: Fact) -> str:
    return {"header": f"header {fact.name}", "model": f"model {fact.name}"}.get(fact.kind, fact.name)


def describe(fact: Fact) -> str:
    """A fact in words: `integer (any size), required key (never null)`, `sent when given`..."""
    detail = fact.detail
    if fact.kind == "field":
        return f"{_WORDS.get(detail['type'], detail['type'])}, {_key(detail)}"
    if fact.kind == "enum":
        return ", ".join(detail["values"])
    if fact.kind == "header":
        return f"sent as {detail['value']}" if detail["value"] else "sent when given"
    if fact.kind == "operation":
        return str(detail.get("sdk_method") or fact.name)
    if fact.kind == "parameter":
        doc = f": {detail['doc']}" if detail.get("doc") else ""
        return f"{detail['type']} in the {detail['in']}{doc}"
    return "{" + ", ".join(detail.get("fields", [])) + "}"


def _key(detail: dict[str, Any]) -> str:
    required = {True: "required key", False: "optional key", None: "key (required or not: unsaid)"}
    nullable = {True: " (nullable)", False: " (never null)", None: ""}
    return required[detail["required"]] + nullable[detail["nullable"]]


def _one_sided(mine: Fact | None, other: Fact | None, file: str) -> Difference:
    if mine is not None:
        return Difference(_subject(mine), "only-in-sdk", describe(mine), "", mine.file)
    assert other is not None
    contract = f"{describe(other)} ({other.file})"
    return Difference(_subject(other), "only-in-contract", "", contract, file)


def _both(mine: Fact, other: Fact) -> list[Difference]:
    found = []
    subject, a, b = _subject(mine), mine.detail, other.detail
    if mine.kind == "field":
        if not _compatible(a["type"], b["type"]):
            found.append(Difference(subject, "type", _WORDS.get(a["type"], a["type"]), b["type"], mine.file))
        for aspect in ("required", "nullable"):
            if a[aspect] is not None and b[aspect] is not None and a[aspect] != b[aspect]:
                found.append(Difference(subject, aspect, _key(a), _key(b), mine.file))
    elif mine.kind == "enum":
        extra = [v for v in a["values"] if v not in b["values"]]
        lacking = [v for v in b["values"] if v not in a["values"]]
        if extra:
            found.append(Difference(subject, "values-only-in-sdk", _values(extra), "", mine.file))
        if lacking:
            found.append(Difference(subject, "values-only-in-contract", "", _values(lacking), mine.file))
    elif mine.kind == "header" and a["value"] and b["value"] and a["value"] != b["value"]:
        found.append(Difference(subject, "value", describe(mine), describe(other), mine.file))
    elif mine.kind == "parameter" and a["in"] != b["in"]:
        found.append(Difference(subject, "location", f"in the {a['in']}", f"in the {b['in']}", mine.file))
    return found


def _values(values: list[str]) -> str:
    return f"{len(values)} value{'s' if len(values) > 1 else ''} ({', '.join(values)})"


def _compatible(sdk: str, contract: str) -> bool:
    if sdk == contract or (sdk == "string" and contract == "date-time"):
        return True  # a timestamp kept as its text is still read exactly
    if sdk == "integer" and contract in _INTEGERS:
        return True  # Python's int holds any integer
    return contract == "integer" and sdk in _INTEGERS


@dataclass(frozen=True, slots=True)
class DriftExpectations:
    source: str  # expectations/java.yaml
    known: dict[str, str]  # difference id -> reason, for the release under test


def load_drift_expectations(path: Path, *, version: str | None) -> DriftExpectations:
    """The `drift:` list of an SDK's expectations file, for `version` (None: a local build)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the expectations file {path}: {exc}") from None
    items = data.get("drift") or [] if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InputError(f"{path}: drift must be a list of differences with a reason")
    known: dict[str, str] = {}
    for index, item in enumerate(items):
        where = f"{path}: drift[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("difference"), str):
            raise InputError(f"{where}: each entry needs a difference (`<subject>: <aspect>`) and a reason")
        subject, _, aspect = item["difference"].rpartition(": ")
        if not subject or aspect not in _ASPECTS:
            raise InputError(
                f"{where}: {item['difference']!r} is not `<subject>: <aspect>` ({', '.join(_ASPECTS)})"
            )
        if not isinstance(item.get("reason"), str) or not item["reason"].strip():
            raise InputError(f"{where}: {item['difference']} needs a reason")
        versions = item.get("versions")
        if versions is not None and not isinstance(versions, list):
            raise InputError(f"{where}: versions must be a list of release numbers")
        if versions is None or (version is not None and _same_release(version, versions)):
            known[item["difference"]] = " ".join(item["reason"].split())
    return DriftExpectations(f"{path.parent.name}/{path.name}", known)


def _same_release(version: str, versions: list[Any]) -> bool:
    return version.removeprefix("v") in {str(v).removeprefix("v") for v in versions}
