"""The official SDKs as the contract's second source: their committed facts (spec/source/sdks/), read
side by side, what each says of one thing, and how the builder settles what they and the page say
differently (rules/60-family.yaml, `sdk_policy`).

    view = SdkView(sources.sheets)
    view.said("parameter", "GET /v1/deployment_runs?limit")    # one Said per SDK release that has it
    view.where("field", "page.next_page")                       # [{"sdk", "release", "file"}, ...]
    settled = settle_run(page_run_facts, view, policy)          # keys required by an SDK, decisions

Every fact the contract takes from the SDKs names each SDK release and file that says it; every
settlement becomes a decision in the catalog, with what each source said and the policy's words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from drun_conformance._errors import InputError

from ._drift import compare_facts
from ._sdk_facts import Fact, FactSheet

__all__ = ["Said", "SdkView", "Settled", "merged_type", "settle_model", "settle_run"]

# Types that write the same JSON value: a date-time kept as its text is still the date-time.
_SAME_VALUE: tuple[frozenset[str], ...] = (
    frozenset({"string", "date-time"}),
    frozenset({"integer", "int32", "int64", "number"}),
)
# Of two types that write the same value, the one the contract states (the more precise).
_PRECISE = ("date-time", "integer")


@dataclass(frozen=True, slots=True)
class Said:
    """What one SDK release's facts say of one thing."""

    sdk: str
    release: str
    fact: Fact

    @property
    def where(self) -> dict[str, str]:
        return {"sdk": self.sdk, "release": self.release, "file": self.fact.file}


class SdkView:
    """The facts of every SDK release, by fact key (kind, name), in the sheets' order."""

    def __init__(self, sheets: Iterable[FactSheet]) -> None:
        self.sheets = tuple(sheets)
        self._said: dict[tuple[str, str], list[Said]] = {}
        for sheet in self.sheets:
            for fact in sheet.facts:
                self._said.setdefault(fact.key, []).append(Said(sheet.sdk, sheet.release, fact))

    def said(self, kind: str, name: str) -> list[Said]:
        return list(self._said.get((kind, name), ()))

    def where(self, kind: str, name: str) -> list[dict[str, str]]:
        """Each SDK release and file that has this fact (InputError when none has it)."""
        said = self.said(kind, name)
        if not said:
            raise InputError(f"no SDK facts (spec/source/sdks/) have the {kind} {name!r}")
        return [s.where for s in said]

    def documented(self, kind: str, name: str, words: str) -> list[dict[str, str]]:
        """Each SDK release and file whose documentation of this fact holds `words`."""
        found = [s.where for s in self.said(kind, name) if words in str(s.fact.detail.get("doc", ""))]
        if not found:
            raise InputError(f"no SDK documents the {kind} {name!r} with the words {words!r}")
        return found

    def facts(self, prefix: str) -> list[tuple[str, str]]:
        """The keys of every field fact under `prefix` (`webhook.`), in name order."""
        return sorted(key for key in self._said if key[0] == "field" and key[1].startswith(prefix))

    def values(self, kind: str, name: str) -> list[str]:
        """Every value any SDK lists for an enumeration, in the order the sheets first list them."""
        return list(dict.fromkeys(v for s in self.said(kind, name) for v in s.fact.detail.get("values", [])))


def merged_type(subject: str, types: Sequence[str]) -> str:
    """The one type the SDKs' `types` agree on (InputError when they do not write the same value)."""
    kinds = set(types)
    if len(kinds) == 1:
        return kinds.pop()
    for same in _SAME_VALUE:
        if kinds <= same:
            return next(t for t in _PRECISE if t in same)
    raise InputError(f"the SDKs disagree on the type of {subject}: {', '.join(sorted(kinds))}")


def _key_words(required: Any, nullable: Any) -> str:
    key = {True: "required key", False: "optional key", None: "key (required or not: unsaid)"}[required]
    return key + {True: " (nullable)", False: " (never null)", None: ""}[nullable]


@dataclass(slots=True)
class Settled:
    """What settling one model gave: the paths an SDK makes required, the decisions, and each
    path's SDK provenance (every release and file with the field)."""

    required: set[tuple[str, ...]] = field(default_factory=set)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    where: dict[tuple[str, ...], list[dict[str, str]]] = field(default_factory=dict)


def _path(name: str, prefix: str = "") -> tuple[str, ...]:
    """A fact's name as a path in its model: `webhook.data[deployment_run.failed].id` ->
    ("data", "id") (a variant's field sits where every variant's does)."""
    return tuple(re.sub(r"\[[^\]]*\]", "", name.removeprefix(prefix)).split("."))


def _add(
    where: dict[tuple[str, ...], list[dict[str, str]]], path: tuple[str, ...], saids: list[Said]
) -> None:
    known = where.setdefault(path, [])
    known += [s.where for s in saids if s.where not in known]


def settle_run(page_facts: Sequence[Fact], view: SdkView, policy: dict[str, str]) -> Settled:
    """The run model as the page has it, against each SDK's: a key an SDK requires becomes required
    (`required` policy); the page's type and nullability stand where an SDK holds another
    (`type` policy). Differences that change no value an SDK reads (a date-time kept as text) are
    no decision."""
    settled = Settled()
    page = {f.name: f for f in page_facts if f.kind == "field"}
    found: dict[tuple[str, str], list[tuple[Said, str]]] = {}
    for sheet in view.sheets:
        run = [f for f in sheet.facts if f.kind == "field" and not f.name.startswith(("page.", "webhook."))]
        for difference in compare_facts(run, page_facts):
            if difference.aspect in ("type", "required", "nullable") and difference.subject in page:
                said = Said(sheet.sdk, sheet.release, next(f for f in run if f.name == difference.subject))
                found.setdefault((difference.subject, difference.aspect), []).append((said, difference.sdk))
    for (subject, aspect), saids in sorted(found.items()):
        ours = page[subject].detail
        if aspect == "required" and any(s.fact.detail["required"] for s, _ in saids):
            settled.required.add(_path(subject))
            contract = _key_words(True, ours["nullable"])
            settled.where[_path(subject)] = [s.where for s, _ in saids if s.fact.detail["required"]]
        else:
            contract = _key_words(ours["required"], ours["nullable"]) if aspect != "type" else ours["type"]
        page_says = ours["type"] if aspect == "type" else _key_words(ours["required"], ours["nullable"])
        settled.decisions.append(
            _decision(subject, aspect, contract, "required" if aspect == "required" else "type", policy)
            | {"page": page_says, "sdks": [s.where | {"says": words} for s, words in saids]}
        )
    return settled


def settle_model(prefix: str, view: SdkView, policy: dict[str, str]) -> tuple[dict[str, Fact], Settled]:
    """A model the page does not describe (`page.`, `webhook.`), from the SDKs alone: each field
    with the type they agree on, required when any requires it, nullable when any allows null;
    a decision wherever they differ on a key."""
    settled = Settled()
    fields: dict[str, Fact] = {}
    _add(settled.where, (), view.said("model", prefix.rstrip(".")))
    for kind, name in view.facts(prefix):
        saids = view.said(kind, name)
        details = [s.fact.detail for s in saids]
        required = any(d["required"] for d in details)
        nullable = any(d["nullable"] for d in details)
        detail = {
            "type": merged_type(name, [d["type"] for d in details]),
            "required": required,
            "nullable": nullable,
        }
        fields[name] = Fact(kind, name, saids[0].fact.file, detail)
        _add(settled.where, _path(name, prefix), saids)
        differ = any(len({d[k] for d in details} - {None}) > 1 for k in ("required", "nullable"))
        if differ:  # an SDK that does not say (None) differs from none
            settled.decisions.append(
                _decision(name, "required", _key_words(required, nullable), "sdk-only", policy)
                | {
                    "sdks": [
                        s.where | {"says": _key_words(s.fact.detail["required"], s.fact.detail["nullable"])}
                        for s in saids
                    ]
                }
            )
    return fields, settled


def _decision(subject: str, aspect: str, contract: str, rule: str, policy: dict[str, str]) -> dict[str, Any]:
    if rule not in policy:
        raise InputError(f"rules: sdk_policy has no {rule!r} entry to settle {subject}: {aspect} by")
    return {"subject": subject, "aspect": aspect, "contract": contract, "why": " ".join(policy[rule].split())}
