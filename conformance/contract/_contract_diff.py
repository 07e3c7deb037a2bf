"""`spec diff OLD_SPEC_DIR NEW_SPEC_DIR`: what changed between two built contracts, each change with
where it comes from (a line of the page, the conventions, or each SDK release and file).

    + requirement listing.limit.default (MUST, server): A listing asked without limit, ...
        from: go v2.18.0 betadeploymentrun.go; java 3.17.0 com/anthropic/...; python 2.17.0 ...
    + operation GET /v1/deployment_runs: listDeploymentRuns
        from: go v2.18.0 betadeploymentrun.go; ...
    ~ session_id: required: optional key (nullable) -> required key (nullable)
        from: decision: A key is required when ... (go v2.18.0 betadeploymentrun.go says required key; ...)

The contract's facts (fields, enumerations, operations, parameters, headers, models) are compared
as `spec drift` compares an SDK's, the newer contract in the SDK's place; requirements by id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from drun_conformance._errors import InputError

from ._contract_facts import contract_facts
from ._drift import Difference, compare_facts, describe

__all__ = ["diff_contracts"]


def diff_contracts(old_dir: Path, new_dir: Path) -> list[str]:
    """The lines of `spec diff` for two spec/ folders (each with its built files)."""
    old_catalog, new_catalog = _catalog(old_dir), _catalog(new_dir)
    lines = _requirement_lines(old_catalog, new_catalog)
    provenance = {entry["fact"]: entry for entry in new_catalog.get("sdk_facts", [])}
    decisions = {(d["subject"], d["aspect"]): d for d in new_catalog.get("decisions", [])}
    new_facts = contract_facts(new_dir)
    for difference in compare_facts(new_facts, contract_facts(old_dir)):
        lines += _fact_lines(difference, provenance, decisions)
        if difference.aspect == "only-in-sdk":  # what an added operation or model brings with it
            under = [f for f in new_facts if f.kind in ("field", "parameter") and _under(f.name, difference)]
            lines += [f"    + {f.name}: {describe(f)}" for f in under]
    return lines


def _under(name: str, difference: Difference) -> bool:
    parent = difference.subject.removeprefix("model ")
    return any(name.startswith(parent + sep) for sep in ".?")


def _catalog(spec_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((spec_dir / "requirements.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"spec diff: {spec_dir} holds no readable requirements.json ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("requirements"), list):
        raise InputError(f"spec diff: {spec_dir}/requirements.json is not a requirement catalog")
    return data


def _requirement_lines(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before = {r["id"]: r for r in old["requirements"]}
    after = {r["id"]: r for r in new["requirements"]}
    lines = []
    for rid in [r for r in before if r not in after]:
        lines.append(
            f"- requirement {rid} ({before[rid]['level']}, {before[rid]['side']}): {before[rid]['title']}"
        )
    for rid, entry in after.items():
        was = before.get(rid)
        if was is None:
            lines += [f"+ requirement {rid} ({entry['level']}, {entry['side']}): {entry['title']}"]
            lines += [f"    from: {_source(entry['source'])}"]
        elif (was["level"], was["title"]) != (entry["level"], entry["title"]):
            lines += [
                f"~ requirement {rid}: {was['level']} {was['title']!r} -> {entry['level']} {entry['title']!r}"
            ]
            lines += [f"    from: {_source(entry['source'])}"]
    return lines


def _source(source: dict[str, Any]) -> str:
    sdks = _where(source.get("sdks", []))
    if source.get("line") is not None:
        page = f"{source['page']} line {source['line']}"
        return f"{page}; required by {sdks}" if sdks else page
    return sdks or str(source.get("page"))


def _where(sdks: list[dict[str, str]]) -> str:
    return "; ".join(f"{s['sdk']} {s['release']} {s['file']}" for s in sdks)


_SIGNS = {
    "only-in-sdk": "+",
    "only-in-contract": "-",
    "values-only-in-sdk": "+",
    "values-only-in-contract": "-",
}


def _fact_lines(
    difference: Difference, provenance: dict[str, dict[str, Any]], decisions: dict[tuple[str, str], Any]
) -> list[str]:
    """A difference between the contracts (the new one in the SDK's place), and where it comes from."""
    sign = _SIGNS.get(difference.aspect, "~")
    subject = difference.subject
    if difference.aspect == "only-in-sdk":
        line = f"+ {subject}: {difference.sdk}"
    elif difference.aspect == "only-in-contract":
        line = f"- {subject}: {difference.contract.rpartition(' (')[0] or difference.contract}"
    elif difference.aspect == "values-only-in-sdk":
        line = f"+ {subject}: {difference.sdk}"
    elif difference.aspect == "values-only-in-contract":
        line = f"- {subject}: {difference.contract}"
    else:
        line = f"{sign} {subject}: {difference.aspect}: {difference.contract} -> {difference.sdk}"
    if sign == "-":
        return [line]
    decision = decisions.get((subject, difference.aspect))
    if decision is not None:
        said = "; ".join(f"{s['sdk']} {s['release']} {s['file']} says {s['says']}" for s in decision["sdks"])
        return [line, f"    from: decision: {decision['why']} ({said})"]
    entry = provenance.get(_fact_name(subject))
    where = _where(entry["sdks"]) if entry else "the page and the conventions"
    return [line, f"    from: {where}"]


def _fact_name(subject: str) -> str:
    """A difference's subject as the catalog's `sdk_facts` name it (`<kind> <name>`)."""
    for kind in ("model", "header"):
        if subject.startswith(kind + " "):
            return subject
    if subject.startswith(("GET ", "POST ", "PUT ", "PATCH ", "DELETE ")):
        return ("parameter " if "?" in subject else "operation ") + subject
    if subject in ("anthropic-beta", "api-error.type") or subject.endswith(".type"):
        return "enum " + subject
    return "field " + subject
