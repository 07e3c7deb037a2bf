"""What the HTML report shows, worked out in Python so the template stays a plain layout.

Everything here is derived from `RunResults` (already redacted) and the shipped catalog; the
template only loops and prints.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from drun_conformance._differential import Differential
from drun_conformance.results import RequirementResult, RunResults, TargetResult, describe_gate

from ._failure_view import FailureView, catalog, failure_view
from ._readings import Reading, reading_of
from ._text import pretty

__all__ = ["ReportView", "build_view", "target_order"]

STATUSES = ("failed", "errored", "skipped", "passed")
LEVELS = ("MUST", "SHOULD", "EDGE")
_VERDICT_RANK = {"non-conformant": 0, "incomplete": 1, "conformant": 2}
_LEVEL_RANK = {level: i for i, level in enumerate(LEVELS)}
_STATUS_RANK = {status: i for i, status in enumerate(STATUSES)}


@dataclass
class AreaView:
    name: str
    rows: list[RequirementResult]
    counts: dict[str, int]
    # level -> status -> count: the area x level matrix at the top of a target.
    by_level: dict[str, dict[str, int]]

    @property
    def worst(self) -> str:
        return next((s for s in STATUSES if self.counts[s]), "passed")


@dataclass
class CoverageGroup:
    name: str
    title: str
    items: list[tuple[str, str]]  # the page's variants: (name, observed|synthesised|missing)
    counts: dict[str, int]
    extra: list[tuple[str, str]]  # variants seen that the page does not list


@dataclass
class TargetView:
    result: TargetResult
    anchor: str
    title: str
    subtitle: str
    identity: list[tuple[str, str]]
    counts: dict[str, int]
    gate_line: str  # both judgements: "gate passed: non-conformant, 1 known MUST failure (...)"
    must_failed: int  # not counting known failures (the SDK's expectations file lists them)
    should_failed: int
    known_failed: int
    failures: list[FailureView]
    errored: list[RequirementResult]
    skipped: list[RequirementResult]
    areas: list[AreaView]
    coverage: list[CoverageGroup]


@dataclass
class MatrixRow:
    requirement: RequirementResult  # the first target's copy: id, level, area, title
    cells: list[RequirementResult | None]  # one per target, None: not judged there


@dataclass
class ReportView:
    results: RunResults
    verdict: str
    gate: str
    headline: str
    detail: str
    partial: bool
    strict: bool
    targets: list[TargetView]
    counts: dict[str, int]
    must_failed: int
    should_failed: int
    known_failed: int
    command: str
    spec_hash: str
    matrix: list[tuple[str, list[MatrixRow]]]
    edges: list[MatrixRow]
    edge_targets: list[TargetView]
    titles: dict[str, str]  # target id -> its title, for the differential
    unpatterned: int  # disagreeing cases in no group shown (past the differential's MAX_GROUPS)
    readings: list[Reading]  # the server's answers, as each --through-sdk SDK reads them


def build_view(results: RunResults) -> ReportView:
    shipped = catalog()
    order = target_order(results.targets)
    targets = [_target_view(t, i, results.strict) for i, t in enumerate(order)]
    counts = {s: sum(t.counts[s] for t in targets) for s in STATUSES}
    must_failed = sum(t.must_failed for t in targets)
    should_failed = sum(t.should_failed for t in targets)
    # A run cut short never reads as passed, whatever the runner wrote in `verdict`.
    verdict = "incomplete" if results.partial and results.verdict == "conformant" else results.verdict
    gate = "incomplete" if results.partial and results.gate == "passed" else results.gate
    headline, detail = _headline(verdict, results, must_failed, should_failed, len(targets))
    known = sum(t.known_failed for t in targets)
    if known:
        plural = "s" if known != 1 else ""
        detail += f" {known} known failure{plural} (listed in expectations): reported, not gating."
    edge_targets = [t for t in targets if any(r.level == "EDGE" for r in t.result.requirements)]
    return ReportView(
        results=results,
        verdict=verdict,
        gate=gate,
        headline=headline,
        detail=detail,
        partial=results.partial,
        strict=results.strict,
        targets=targets,
        counts=counts,
        must_failed=must_failed,
        should_failed=should_failed,
        known_failed=sum(t.known_failed for t in targets),
        command=_command(results.command),
        spec_hash=str(results.spec.get("sha256") or results.spec.get("page_sha256") or ""),
        matrix=_matrix(targets, shipped.order) if len(targets) > 1 else [],
        edges=_rows(edge_targets, shipped.order, levels={"EDGE"}),
        edge_targets=edge_targets,
        titles={t.result.id: t.title for t in targets},
        unpatterned=_unpatterned(results.differential),
        readings=[r for t in targets if (r := reading_of(t.result, t.anchor, t.title)) is not None],
    )


def _unpatterned(found: Differential | None) -> int:
    if found is None:
        return 0
    return found.disagreeing - sum(group.cases for group in found.groups)


def _command(argv: Sequence[str]) -> str:
    """The reproduce line: a redacted key becomes "$ANTHROPIC_API_KEY", so the copy still runs."""
    from drun_conformance._secrets import MARK

    return " ".join('"$ANTHROPIC_API_KEY"' if arg == MARK else shlex.quote(arg) for arg in argv)


def target_order(targets: Iterable[TargetResult]) -> list[TargetResult]:
    """Worst first, as Bowtie and Autobahn lay out their matrices."""

    def badness(t: TargetResult) -> tuple[int, int, int, int, int, str]:
        counts = t.counts()
        must = sum(r.status == "failed" and r.level == "MUST" for r in t.requirements)
        return (
            _VERDICT_RANK.get(t.verdict, 0),
            -must,
            -counts["failed"],
            -counts["errored"],
            -counts["skipped"],
            t.id,
        )

    return sorted(targets, key=badness)


def _headline(verdict: str, results: RunResults, must: int, should: int, n: int) -> tuple[str, str]:
    targets = f"{n} target{'s' if n != 1 else ''}"
    if verdict == "non-conformant":
        if not must and not (results.strict and should):
            return (
                "Non-conformant",
                f"Only known failures across {targets}: the gate passes, the failures stand.",
            )
        gating = f"{must} MUST requirement{'s' if must != 1 else ''} failed"
        if results.strict and should:
            gating += f" and {should} SHOULD (--strict)"
        return "Non-conformant", f"{gating} across {targets}. Do not ship."
    if verdict == "incomplete":
        if results.partial:
            return "Incomplete", "The run was cut short: what it did not reach is unknown, not passed."
        unexercised = sum(len(t.unexercised_must()) for t in results.targets)
        said = f"{unexercised} MUST requirement{'s' if unexercised != 1 else ''} never exercised"
        return (
            "Incomplete",
            f"{said} across {targets}: each is listed with what would exercise it. Not a pass.",
        )
    extra = f"; {should} SHOULD requirement{'s' if should != 1 else ''} failed (gating only with --strict)"
    return "Conformant", f"No MUST requirement failed on {targets}{extra if should else ''}."


def _target_view(target: TargetResult, index: int, strict: bool) -> TargetView:
    title, subtitle = _identity_title(target)
    anchor = f"t{index}"
    counts = target.counts()
    gating = {"MUST", "SHOULD"} if strict else {"MUST"}
    failed = sorted(
        (r for r in target.requirements if r.status == "failed"),
        key=lambda r: (_LEVEL_RANK.get(r.level, 9), catalog().order.get(r.id, 1 << 30), r.id),
    )
    return TargetView(
        result=target,
        anchor=anchor,
        title=title,
        subtitle=subtitle,
        identity=[(str(k), _scalar(v)) for k, v in target.identity.items()],
        counts=counts,
        gate_line=describe_gate(target, strict=strict),
        must_failed=sum(r.level == "MUST" and r.expected is None for r in failed),
        should_failed=sum(r.level == "SHOULD" and r.expected is None for r in failed),
        known_failed=sum(r.expected is not None for r in failed),
        failures=[failure_view(r, target, anchor, r.level in gating and r.expected is None) for r in failed],
        errored=[r for r in target.requirements if r.status == "errored"],
        skipped=[r for r in target.requirements if r.status == "skipped"],
        areas=_areas(target.requirements),
        coverage=_coverage(target.coverage),
    )


def _identity_title(target: TargetResult) -> tuple[str, str]:
    identity = target.identity
    url = identity.get("url") or identity.get("base_url")
    if target.kind == "server":
        name = str(url) if url else target.id.removeprefix("server:")
        embedded = " (embedded reference server)" if identity.get("embedded") else ""
        return name, f"server{embedded}"
    name = identity.get("name") or target.id.removeprefix("sdk:")
    version = identity.get("version")
    language = identity.get("language")
    title = f"{name} {version}" if version else str(name)
    if identity.get("reads"):  # server --through-sdk: the server's answers, as this SDK reads them
        return title, f"your answers, as this SDK reads them · {identity['reads']}"
    return title, f"SDK{f' · {language}' if language else ''}"


def _scalar(value: Any) -> str:
    return value if isinstance(value, str) else pretty(value)


def _areas(requirements: Sequence[RequirementResult]) -> list[AreaView]:
    order = catalog().order
    areas: dict[str, list[RequirementResult]] = {}
    for r in sorted(requirements, key=lambda r: (order.get(r.id, 1 << 30), r.id)):
        areas.setdefault(r.area, []).append(r)
    views = []
    for name, rows in areas.items():
        counts = {s: sum(r.status == s for r in rows) for s in STATUSES}
        by_level = {
            lv: {s: sum(r.status == s and r.level == lv for r in rows) for s in STATUSES} for lv in LEVELS
        }
        rows.sort(key=lambda r: (_STATUS_RANK.get(r.status, 9), _LEVEL_RANK.get(r.level, 9)))
        views.append(AreaView(name, rows, counts, by_level))
    return views


_COVERAGE_TITLES = {"error_types": "Run error types", "triggers": "Trigger types"}


def _coverage(coverage: dict[str, dict[str, str]]) -> list[CoverageGroup]:
    known = catalog().variants
    groups = []
    for name in [*[k for k in known if k in coverage], *sorted(k for k in coverage if k not in known)]:
        seen = coverage[name]
        page = known.get(name, ())
        items = [(n, seen.get(n, "missing")) for n in page] if page else sorted(seen.items())
        extra = sorted((n, state) for n, state in seen.items() if page and n not in page)
        counts = {s: sum(state == s for _, state in items) for s in ("observed", "synthesised", "missing")}
        title = _COVERAGE_TITLES.get(name, name.replace("_", " ").capitalize())
        groups.append(CoverageGroup(name, title, items, counts, extra))
    return groups


def _rows(
    targets: Sequence[TargetView], order: dict[str, int], *, levels: set[str] | None = None
) -> list[MatrixRow]:
    by_id: dict[str, list[RequirementResult | None]] = {}
    first: dict[str, RequirementResult] = {}
    for i, target in enumerate(targets):
        for r in target.result.requirements:
            if levels is not None and r.level not in levels:
                continue
            first.setdefault(r.id, r)
            by_id.setdefault(r.id, [None] * len(targets))[i] = r
    ids = sorted(by_id, key=lambda rid: (order.get(rid, 1 << 30), rid))
    return [MatrixRow(first[rid], by_id[rid]) for rid in ids]


def _matrix(targets: Sequence[TargetView], order: dict[str, int]) -> list[tuple[str, list[MatrixRow]]]:
    grouped: dict[str, list[MatrixRow]] = {}
    for row in _rows(targets, order):
        grouped.setdefault(row.requirement.area, []).append(row)
    return list(grouped.items())
