"""Expectation files: the known failures of an SDK, checked in, as web-platform-tests keeps them.

    # expectations/typescript.yaml, in drun_conformance.client
    sdk: typescript
    failures:
      - requirement: client.parse.int64
        reason: JSON.parse reads numbers as doubles; 9007199254740993 comes back ...-992.
        versions: ["1.10.0"]        # optional: the releases it applies to (default: all)

A listed failure is still a failure: the verdict stays non-conformant and the failure is
reported, with its reason, as known; what the list changes is the gate, which it does not
fail. A failure not listed gates as usual; a listed requirement that now passes is pointed
out, so the list shrinks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from drun_conformance._errors import InputError
from drun_conformance.results import TargetResult, target_gate, target_verdict
from drun_conformance.spec import Catalog

__all__ = ["Expectations", "apply_expectations", "load_expectations"]


@dataclass(frozen=True, slots=True)
class Expectations:
    source: str  # the file, as named in notes and reports: "expectations/typescript.yaml"
    failures: dict[str, str]  # requirement id -> reason, for the release under test


def load_expectations(path: Path, *, version: str | None, catalog: Catalog) -> Expectations:
    """The failures `path` lists for `version` (InputError for a file that is not one)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
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
    failures: dict[str, str] = {}
    for index, item in enumerate(items):
        where = f"{path}: failures[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("requirement"), str):
            raise InputError(f"{where}: each failure needs a requirement and a reason")
        if item["requirement"] not in known:
            raise InputError(f"{where}: {item['requirement']!r} is no requirement of the catalog")
        if not isinstance(item.get("reason"), str) or not item["reason"].strip():
            raise InputError(f"{where}: {item['requirement']} needs a reason")
        versions = item.get("versions")
        if versions is not None and not (
            isinstance(versions, list) and all(isinstance(v, str | int | float) for v in versions)
        ):
            raise InputError(f"{where}: versions must be a list of release numbers")
        if versions is None or version in [str(v) for v in versions]:
            failures[item["requirement"]] = " ".join(item["reason"].split())
    return Expectations(f"{path.parent.name}/{path.name}", failures)


def apply_expectations(result: TargetResult, expectations: Expectations, *, strict: bool) -> TargetResult:
    """The result with listed failures marked known, the gate recomputed, and notes."""
    notes = list(result.notes)
    requirements = []
    for requirement in result.requirements:
        reason = expectations.failures.get(requirement.id)
        if reason is None:
            requirements.append(requirement)
            continue
        if requirement.status == "failed":
            requirements.append(
                requirement.model_copy(update={"expected": reason, "expected_in": expectations.source})
            )
            notes.append(f"known failure ({expectations.source}): {requirement.id}: {reason}")
        else:
            requirements.append(requirement)
            if requirement.status == "passed":
                notes.append(
                    f"{requirement.id} is listed in {expectations.source} as a known failure but now passes:"
                    " remove it from the list"
                )
            else:
                notes.append(
                    f"{requirement.id} is listed in {expectations.source} but was {requirement.status}"
                )
    return result.model_copy(
        update={
            "requirements": requirements,
            "verdict": target_verdict(requirements, strict=strict),
            "gate": target_gate(requirements, strict=strict),
            "notes": notes,
        }
    )
