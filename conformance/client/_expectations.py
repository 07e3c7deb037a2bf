"""Expectation files: the known failures of an SDK, checked in, as web-platform-tests keeps them,
each scoped to exactly what was recorded.

    # expectations/typescript.yaml, in drun_conformance.client
    sdk: typescript
    failures:
      - requirement: client.parse.int64
        reason: JSON.parse reads numbers as doubles; 9007199254740993 comes back ...-992.
        versions: ["1.10.0"]            # optional: the releases it applies to (default: all)
        cases: [version 2^53 + 1, version int64 max, version int64 min]
        scope: [version beyond ±2^53]   # drawn cases: the values it fails on (see _scope)
        reads: {/agent/version: number} # the types the SDK exposed where it failed

A known failure covers the coverage cases it names, and a drawn case only where the value served
at the failure's pointer is in its scope: the same requirement failing elsewhere (a version
narrowed to 32 bits fails `version 2^31`, outside `version beyond ±2^53`) is a new failure and
fails the gate. A listed failure is still a failure: the verdict stays non-conformant and it is
reported, with its reason, as known. "Now passes" is said only when every recorded case ran and
passed and the SDK reads them through the same types (`reads`); a build whose types changed is
told so instead. `client --record-expectations` writes the entries from what the run found. An
entry with neither `cases` nor `scope` (a file from before scopes) covers its whole requirement,
and the run says so.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from drun_conformance._errors import InputError
from drun_conformance.oracle import Finding, SpecFacts
from drun_conformance.oracle._client_parse import UNREADABLE
from drun_conformance.results import Counterexample, TargetResult, target_gate, target_verdict
from drun_conformance.spec import Catalog

from ._scope import SCOPES, in_scope, names_at, tightest

__all__ = ["Expectations", "KnownFailure", "Ledger", "load_expectations"]

_PLACEHOLDER = "recorded by drun-conformance client --record-expectations: say why it fails"


@dataclass(frozen=True, slots=True)
class KnownFailure:
    requirement: str
    reason: str
    cases: frozenset[str] = frozenset()  # the coverage cases it was recorded on
    scope: tuple[str, ...] = ()  # names of _scope.SCOPES: the drawn values it fails on
    reads: Mapping[str, str | None] = field(default_factory=dict)  # pointer -> type the SDK exposed
    scoped: bool = True  # False: an entry with neither cases nor scope, covering the whole requirement


@dataclass(frozen=True, slots=True)
class Expectations:
    source: str  # the file, as named in notes and reports: "expectations/typescript.yaml"
    path: Path
    version: str | None
    failures: dict[str, KnownFailure]  # requirement id -> the entry for the release under test
    entries: tuple[dict[str, Any], ...]  # every entry of the file, as written (for recording)
    text: str  # the file as read (recording keeps all but its failures)


def load_expectations(path: Path, *, version: str | None, catalog: Catalog) -> Expectations:
    """The failures `path` lists for `version` (InputError for a file that is not one)."""
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    # ValueError: a number too long to convert, or a date YAML cannot make (2026-13-45)
    except (OSError, ValueError, yaml.YAMLError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise InputError(f"cannot read the expectations file {path}: {reason}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping with sdk and failures, got {type(data).__name__}")
    items = data.get("failures") or []
    if not isinstance(items, list):
        raise InputError(f"{path}: failures must be a list, got {type(items).__name__}")
    known = {r.id for r in catalog}
    failures: dict[str, KnownFailure] = {}
    for index, item in enumerate(items):
        entry = _entry(item, f"{path}: failures[{index}]", known)
        versions = item.get("versions")
        if versions is None or version in [str(v) for v in versions]:
            failures[entry.requirement] = entry
    return Expectations(f"{path.parent.name}/{path.name}", path, version, failures, tuple(items), text)


def _entry(item: Any, where: str, known: set[str]) -> KnownFailure:
    if not isinstance(item, dict) or not isinstance(item.get("requirement"), str):
        raise InputError(f"{where}: each failure needs a requirement and a reason")
    requirement = item["requirement"]
    if requirement not in known:
        raise InputError(f"{where}: {requirement!r} is no requirement of the catalog")
    if not isinstance(item.get("reason"), str) or not item["reason"].strip():
        raise InputError(f"{where}: {requirement} needs a reason")
    versions = item.get("versions")
    if versions is not None and not (
        isinstance(versions, list) and all(isinstance(v, str | int | float) for v in versions)
    ):
        raise InputError(f"{where}: versions must be a list of release numbers")
    cases, scope, reads = item.get("cases", []), item.get("scope", []), item.get("reads", {})
    if not (isinstance(cases, list) and all(isinstance(c, str) for c in cases)):
        raise InputError(f"{where}: cases must be a list of coverage case names")
    if not (isinstance(scope, list) and all(isinstance(s, str) for s in scope)):
        raise InputError(f"{where}: scope must be a list of names")
    unknown = [s for s in scope if s not in SCOPES]
    if unknown:
        raise InputError(f"{where}: {unknown[0]!r} is no scope; the scopes are: {', '.join(SCOPES)}")
    if not (isinstance(reads, dict) and all(isinstance(t, str | None) for t in reads.values())):
        raise InputError(f"{where}: reads must map pointers to type names")
    return KnownFailure(
        requirement,
        " ".join(item["reason"].split()),
        frozenset(cases),
        tuple(scope),
        {str(k): v for k, v in reads.items()},
        scoped="cases" in item or "scope" in item,
    )


def covers(entry: KnownFailure, finding: Finding, label: str, served: Any, facts: SpecFacts) -> bool:
    """Whether a known failure covers this failure: one of its cases, or a value in its scope."""
    if not entry.scoped:
        return True
    return label in entry.cases or in_scope(entry.scope, finding.pointer, served, facts)


@dataclass(slots=True)
class _Seen:
    """What one requirement's failures were, for recording and for the known/new split."""

    cases: set[str] = field(default_factory=set)  # coverage cases that failed it
    scope: list[tuple[str, ...]] = field(default_factory=list)  # the names each failure's value passed
    unscopable: int = 0  # drawn failures whose value passes no name: no scope can record them
    reads: dict[str, str | None] = field(default_factory=dict)  # pointer -> type, on the cases
    known: int = 0
    new: int = 0
    known_example: tuple[Finding, Counterexample] | None = None


class Ledger:
    """Every failure of one gate run, split into known (an expectation covers it) and new,
    and what each coverage case failed and read, so that the run's result can be settled
    (`settle`) and the expectations recorded (`record`)."""

    def __init__(self, expectations: Expectations | None, facts: SpecFacts) -> None:
        self.expectations = expectations
        self.facts = facts
        self.seen: dict[str, _Seen] = {}
        self.ran: dict[str, tuple[frozenset[str], Mapping[str, Any]]] = {}  # case -> (failed, types)

    def known(self, finding: Finding, label: str, served: Any) -> bool:
        entry = self.expectations.failures.get(finding.requirement) if self.expectations else None
        return entry is not None and covers(entry, finding, label, served, self.facts)

    def split(
        self,
        findings: Iterable[Finding],
        *,
        label: str,
        served: Any,
        types: Mapping[str, Any],
        example: Counterexample,
    ) -> list[Finding]:
        """The findings of one case that no expectation covers; every one is remembered."""
        findings = list(findings)
        new: list[Finding] = []
        for finding in findings:
            seen = self.seen.setdefault(finding.requirement, _Seen())
            if label:
                seen.cases.add(label)
                if finding.pointer and finding.pointer in types:
                    seen.reads.setdefault(finding.pointer, types[finding.pointer])
            names = names_at(finding.pointer, served, self.facts)
            seen.scope.append(names)
            seen.unscopable += not label and not names
            if self.known(finding, label, served):
                seen.known += 1
                best = seen.known_example
                if best is None or example.size < best[1].size:
                    seen.known_example = (finding, example)
            else:
                seen.new += 1
                new.append(finding)
        if label:
            self.ran[label] = (frozenset(f.requirement for f in findings), types)
        return new

    # --- the result -----------------------------------------------------------------------

    def settle(self, result: TargetResult, *, strict: bool) -> TargetResult:
        """The result with known failures marked, the gate recomputed, and what the
        expectations file should learn (a failure outside its scope, one that now passes)."""
        expectations = self.expectations
        if expectations is None:
            return result
        notes = list(result.notes)
        requirements = []
        for requirement in result.requirements:
            entry = expectations.failures.get(requirement.id)
            seen = self.seen.get(requirement.id, _Seen())
            if entry is None:
                requirements.append(requirement)
                continue
            if not entry.scoped:
                notes.append(
                    f"{requirement.id}: the entry in {expectations.source} records no cases or scope and"
                    " covers every failure of the requirement: record it (--record-expectations)"
                )
            if seen.new:
                requirements.append(requirement)
                notes.append(
                    f"{requirement.id}: {seen.new} failure{'s' if seen.new != 1 else ''} outside what"
                    f" {expectations.source} records ({_recorded(entry)}): a new failure"
                    + (f"; {seen.known} known" if seen.known else "")
                )
            elif seen.known:
                requirements.append(self._known(requirement, entry, seen, expectations.source))
                notes.append(f"known failure ({expectations.source}): {requirement.id}: {entry.reason}")
            else:
                requirements.append(requirement)
                notes.append(self._passing(requirement.id, requirement.status, entry, expectations.source))
        return result.model_copy(
            update={
                "requirements": requirements,
                "verdict": target_verdict(requirements, strict=strict),
                "gate": target_gate(requirements, strict=strict),
                "notes": notes,
            }
        )

    @staticmethod
    def _known(requirement: Any, entry: KnownFailure, seen: _Seen, source: str) -> Any:
        update: dict[str, Any] = {"status": "failed", "failures": seen.known, "expected": entry.reason}
        update["expected_in"] = source
        update["cases"] = max(requirement.cases, seen.known)
        if seen.known_example is not None:
            finding, example = seen.known_example
            update["message"] = finding.message
            update["counterexample"] = example.model_copy(
                update={"pointer": finding.pointer, "summary": f"{finding.requirement}: {finding.message}"}
            )
        return requirement.model_copy(update=update)

    def _passing(self, rid: str, status: str, entry: KnownFailure, source: str) -> str:
        """What to say of a listed failure that did not fail."""
        if status != "passed" or not entry.cases <= self.ran.keys():
            missing = sorted(entry.cases - self.ran.keys())
            why = (
                f"its recorded cases did not run ({', '.join(missing[:3])})"
                if missing
                else f"it was {status}"
            )
            return f"{rid} is listed in {source} but {why}"
        changed = [
            f"{pointer}: {types.get(pointer)!r}, recorded {held!r}"
            for case in sorted(entry.cases)
            for types in [self.ran[case][1]]
            for pointer, held in entry.reads.items()
            if pointer in types and types[pointer] != held
        ]
        if changed:
            return (
                f"{rid} is listed in {source}; its recorded cases pass, but the SDK reads them through other"
                f" types ({'; '.join(sorted(set(changed))[:3])}): not counted as fixed"
            )
        return f"{rid} is listed in {source} as a known failure but now passes: remove it from the list"

    # --- recording --------------------------------------------------------------------------

    def _readable(self, pointer: str, held: str | None) -> str | None:
        """The type the SDK exposes at `pointer`: as held on the failing cases, or where reading
        it threw there, the one it has on the other cases (an `int` that overflows is an int)."""
        if held not in (None, UNREADABLE):
            return held
        seen = Counter(
            types[pointer] for _, types in self.ran.values() if types.get(pointer) not in (None, UNREADABLE)
        )
        return seen.most_common(1)[0][0] if seen else held

    def record(self, result: TargetResult, path: Path, *, version: str | None) -> list[str]:
        """Write the failures of `result` into `path` as this release's expectations (reasons
        and versions of the entries they replace kept; the rest of the file as it was), and
        say what changed."""
        previous = (
            self.expectations if self.expectations is not None and self.expectations.path == path else None
        )
        text = previous.text if previous else (path.read_text(encoding="utf-8") if path.is_file() else "")
        entries = list(previous.entries) if previous else _entries_of(text)
        applies = [_applies(e, version) for e in entries]
        kept = [e for e, a in zip(entries, applies, strict=True) if not a]
        replaced = {e["requirement"]: e for e, a in zip(entries, applies, strict=True) if a}
        failed = [r for r in result.requirements if r.status == "failed"]
        said: list[str] = []
        recorded: list[dict[str, Any]] = []
        for requirement in failed:
            seen = self.seen.get(requirement.id, _Seen())
            old = replaced.pop(requirement.id, {})
            entry: dict[str, Any] = {"requirement": requirement.id, "reason": old.get("reason", _PLACEHOLDER)}
            if "versions" in old:
                entry["versions"] = old["versions"]
            entry["cases"] = sorted(seen.cases)
            entry["scope"] = tightest(names for names in seen.scope)
            reads = {pointer: self._readable(pointer, held) for pointer, held in sorted(seen.reads.items())}
            if reads:
                entry["reads"] = reads
            if seen.unscopable:
                said.append(
                    f"{requirement.id}: {seen.unscopable} failures on drawn values no scope names: only its"
                    " coverage cases are recorded, so those fail the gate again"
                )
            if not old:
                said.append(f"{requirement.id}: added to {path.name}: give its reason")
            recorded.append(entry)
        said += [f"{rid}: removed from {path.name}: it no longer fails" for rid in replaced]
        path.write_text(_with_failures(text, [*kept, *recorded]), encoding="utf-8")
        return said


def _recorded(entry: KnownFailure) -> str:
    parts = []
    if entry.cases:
        parts.append(f"{len(entry.cases)} case{'s' if len(entry.cases) != 1 else ''}")
    parts.append(f"scope {', '.join(entry.scope)}" if entry.scope else "no scope for drawn cases")
    return "; ".join(parts)


def _applies(entry: dict[str, Any], version: str | None) -> bool:
    versions = entry.get("versions")
    return versions is None or version in [str(v) for v in versions]


def _entries_of(text: str) -> list[dict[str, Any]]:
    data = yaml.safe_load(text) if text.strip() else None
    items = data.get("failures") if isinstance(data, dict) else None
    return [item for item in items or [] if isinstance(item, dict)]


def _with_failures(text: str, entries: list[dict[str, Any]]) -> str:
    """`text` with its `failures:` block replaced by `entries` (everything else kept: the
    comments, `sdk`, `package`, `drift`); a file without one gets it at the end."""
    block = ["failures:" if entries else "failures: []", *(line for e in entries for line in _entry_lines(e))]
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("failures:")), None)
    if start is None:
        return "\n".join([*lines, *block]) + "\n"
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith((" ", "-"))):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # the blank lines before what follows stay
    return "\n".join([*lines[:start], *block, *lines[end:]]) + "\n"


def _entry_lines(entry: dict[str, Any]) -> list[str]:
    lines = [f"  - requirement: {entry['requirement']}", "    reason: >-"]
    lines += [f"      {line}" for line in _wrapped(entry["reason"], 92)]
    if "versions" in entry:
        lines.append(f"    versions: {_flow(entry['versions'])}")
    lines.append(f"    cases: {_flow(entry['cases'])}")
    lines.append(f"    scope: {_flow(entry['scope'])}")
    if entry.get("reads"):
        lines.append("    reads:")
        lines += [f"      {_scalar(pointer)}: {_scalar(held)}" for pointer, held in entry["reads"].items()]
    return lines


def _flow(values: list[Any]) -> str:
    return "[" + ", ".join(_scalar(v) for v in values) + "]"


def _scalar(value: Any) -> str:
    """A YAML scalar: a JSON string (YAML reads JSON's double-quoted form), null, or a number."""
    return json.dumps(
        value if value is None or isinstance(value, int | float) else str(value), ensure_ascii=False
    )


def _wrapped(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [_PLACEHOLDER]
