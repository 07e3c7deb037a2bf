"""The Oracle: every registered check, bound to the catalog, run over one body or exchange."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cache
from typing import Any

import jsonschema_rs

from drun_conformance._errors import SpecError

from . import _http  # noqa: F401  (registers the HTTP checks)
from ._call import ClientCall
from ._case import UNPARSED, Case, Exchange, Finding, SpecFacts
from ._client import CLIENT
from ._client_parse import judge_edge
from ._fastpath import PART_LABELS, covered, fragment_schemas, part_schemas, quiet_schema
from ._listing import LISTING
from ._registry import Check, Registry
from ._rules import RULES
from ._structural import EXACT_FLOAT_MAX, structural_check
from ._transport import TRANSPORT, Delivery
from ._walk import ListingWalk

__all__ = ["Evaluation", "Oracle"]

_ABSENT = object()


@dataclass(slots=True)  # not frozen: one per payload on validate's hot path, where frozen costs 5x
class Evaluation:
    """What one evaluation found, and which requirements it did and did not exercise."""

    findings: list[Finding]
    exercised: frozenset[str] = frozenset()
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.level != "EDGE"]

    @property
    def edges(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "EDGE"]

    @property
    def conforms(self) -> bool:
        return all(f.level != "MUST" for f in self.findings)


class Oracle:
    """Pure: the same inputs give the same findings, and nothing here does I/O."""

    def __init__(self, catalog: dict[str, Any], schema: dict[str, Any]) -> None:
        self.requirements: dict[str, dict[str, Any]] = {e["id"]: e for e in catalog["requirements"]}
        registry = Registry()
        for entry in catalog["requirements"]:
            if "check" in entry:
                registry.add(structural_check(entry))
        for check in (*RULES, *CLIENT, *LISTING, *TRANSPORT):
            registry.add(check)
        unchecked = self.requirements.keys() - {c.requirement for c in registry}
        unlisted = {c.requirement for c in registry} - self.requirements.keys()
        if unchecked or unlisted:
            raise SpecError(
                f"catalog and checks disagree: no check for {sorted(unchecked)}, "
                f"no requirement for {sorted(unlisted)}"
            )
        self.checks: tuple[Check, ...] = tuple(registry)
        self._levels = {rid: entry["level"] for rid, entry in self.requirements.items()}
        self._in_schema = frozenset(r for r, e in self.requirements.items() if e.get("in_schema"))
        self._payload = frozenset(r for r, e in self.requirements.items() if e["area"] != "http")
        # Judged by their own doors only: evaluate_listing, evaluate_delivery.
        self._elsewhere = frozenset(c.requirement for c in (*LISTING, *TRANSPORT))
        # Chosen by side. The EDGE labels (side client-parse) describe a payload wherever it
        # is seen, so a server or offline evaluation runs them too; in a client evaluation
        # they are judged by what the SDK made of the labelled value.
        self._client_side = frozenset(r for r, e in self.requirements.items() if e["side"] != "server")
        self._client_only = frozenset(r for r in self._client_side if self._levels[r] != "EDGE")
        self._schema = jsonschema_rs.validator_for(schema, validate_formats=True)
        self._quiet = jsonschema_rs.validator_for(quiet_schema(schema), validate_formats=True)
        self._plain_covers = self._in_schema | covered()
        # Each shortcut (see _fastpath) has a bit; a body's mask of met shortcuts names the
        # requirements skipped, worked out once per mask (bit 0: the whole schema accepts).
        parts = _structural_parts(catalog)
        self._fragments = _bits(1, [("", fragment, ids) for ids, fragment in fragment_schemas(schema)])
        self._parts = _bits(
            1 + len(self._fragments),
            [
                (name, part, parts[name] | frozenset(PART_LABELS.get(name, ())))
                for name, part in part_schemas(schema, frozenset(parts) - {""})
            ],
        )
        self._met_by_mask: dict[int, frozenset[str]] = {}
        self.facts = _facts(catalog)

    @classmethod
    @cache
    def default(cls) -> Oracle:
        """The oracle for the spec/ shipped with this package."""
        from drun_conformance import spec

        return cls(spec.load_requirements(), spec.load_schema())

    def schema_accepts(self, run: Any) -> bool:
        """For a body alone, the MUST verdict: the JSON Schema's (jsonschema-rs), with the one
        int64 rule a schema cannot say (a float beyond +-(2^53-1) is no integer; see is_int64)."""
        return _accepts(self._schema, run) and not self.inexact_int64(run)

    def inexact_int64(self, run: Any) -> bool:
        """Whether an int64 field holds a float too large to name one integer."""
        for path in self.facts.int64_paths:
            node = run
            for key in path:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, float) and abs(node) > EXACT_FLOAT_MAX:
                return True
        return False

    def _cannot_fire(self, run: Any, run_now: bool) -> frozenset[str]:
        """The payload checks that cannot fire on `run`, as jsonschema-rs tells (see _fastpath):
        most bodies stop at the plain schema, most rejected ones fail below one member only."""
        inexact = self.inexact_int64(run)  # the one int64 rule no schema says
        accepted = not inexact and _accepts(self._schema, run)
        if accepted and run_now and _accepts(self._quiet, run):
            return self._plain_covers
        mask = int(accepted)
        shortcuts = (self._fragments if run_now else ()) + (() if accepted or inexact else self._parts)
        members = run if isinstance(run, dict) else {}
        try:
            for shortcut in shortcuts:
                part = members.get(shortcut.member, _ABSENT) if shortcut.member else run
                if part is not _ABSENT and shortcut.validator.is_valid(part):
                    mask |= shortcut.bit
        except (ValueError, OverflowError):  # a value the validator cannot hold: no shortcut then
            mask = int(accepted)
        met = self._met_by_mask.get(mask)
        if met is None:
            shortcuts = self._fragments + self._parts
            met = frozenset().union(
                self._in_schema if mask & 1 else (), *(s.requirements for s in shortcuts if mask & s.bit)
            )
            self._met_by_mask[mask] = met
        return met

    def is_plain(self, run: Any) -> bool:
        """No payload check can fire on `run` (see _fastpath): the Python checks may be skipped."""
        return self.schema_accepts(run) and _accepts(self._quiet, run)

    def evaluate(
        self,
        run: Any,
        *,
        exchange: Exchange | None = None,
        seen_run_ids: Iterable[str] = (),
        skew: timedelta = timedelta(minutes=5),
        run_now: bool = True,
        original: Any = None,
        run_body: bool = True,
        coverage: bool = False,
        client: ClientCall | None = None,
        body: bytes | None = None,
    ) -> Evaluation:
        """Run every check that applies. `run` is the parsed body, or UNPARSED.

        With `client`, `run` is the body a scripted mock server served to an SDK and the
        evaluation is a client one: only the client-side checks run (see `_evaluate_client`).

        `body` is the bytes `run` was read from, for a body without an exchange: when it is
        not JSON, the finding says why (an encoding other than UTF-8, say).
        `original` is, for a run read back by id, the record first answered; `run_body`
        False says the body is no DeploymentRun (a listing), so only HTTP checks apply.
        Without `coverage`, the checks that cannot fail on this body are skipped for speed:
        those the schema expresses when it accepts the body, or when it rejects the body, those
        on each part (a member, or the body's own shape) whose own schema accepts it; those
        whose plain fragment accepts it (see _fastpath); and every payload check when the body
        is plain. Property tests hold the shortcuts to the full run's findings.
        """
        if client is not None:
            return self._evaluate_client(run, client)
        case = Case(run, self.facts, exchange, frozenset(seen_run_ids), skew, run_now, original, body=body)
        payload_applies = run_body and (exchange is None or 200 <= exchange.status < 300)
        skip: frozenset[str] = frozenset()
        if not coverage and payload_applies and run is not UNPARSED:
            skip = self._cannot_fire(run, run_now)
        checks, skipped = self._plan(exchange is not None, payload_applies, skip, run is UNPARSED)
        findings: list[Finding] = []
        exercised: list[str] = []
        for check in checks:
            result = check.function(case)
            if result is None:
                continue
            exercised.append(check.requirement)
            if result:
                level = self._levels[check.requirement]
                for f in result:  # the catalog's level (a rule's finding carries a placeholder)
                    same = f.level == level
                    findings.append(f if same else Finding(f.requirement, level, f.pointer, f.message))
        return Evaluation(findings, frozenset(exercised), skipped)

    @cache  # noqa: B019  (one Oracle per spec; the plans are few and small)
    def _plan(
        self, has_exchange: bool, payload_applies: bool, skip: frozenset[str], unparsed: bool
    ) -> tuple[tuple[Check, ...], dict[str, str]]:
        """The checks that apply in this situation, and the ones skipped with the reason."""
        checks, skipped = [], {}
        for check in self.checks:
            rid = check.requirement
            if rid in self._client_only or rid in self._elsewhere:
                continue
            if check.needs_exchange and not has_exchange:
                skipped[rid] = "needs an HTTP exchange (offline payload)"
            elif rid in self._payload and not payload_applies:
                continue
            elif rid in skip and not check.needs_exchange:
                continue
            elif unparsed and rid in self._payload and rid != "payload.json":
                continue
            else:
                checks.append(check)
        return tuple(checks), skipped

    def evaluate_listing(self, walk: ListingWalk) -> Evaluation:
        """The listing checks over the pages of one walk through `GET /v1/deployment_runs`."""
        return self._judged(LISTING, Case(None, self.facts, listing=walk))

    def evaluate_delivery(self, delivery: Delivery) -> Evaluation:
        """The transport checks over how one answer arrived (see `Delivery`): whole, in time,
        within the size cap, not redirected. Call it for every answer, whole or broken, to any
        request (run now, read back, listing): a whole one passes them all."""
        return self._judged(TRANSPORT, Case(None, self.facts, delivery=delivery))

    def _judged(self, checks: Iterable[Check], case: Case) -> Evaluation:
        """Every check in `checks` over `case`, each finding at its catalog level."""
        findings: list[Finding] = []
        exercised: list[str] = []
        for check in checks:
            result = check.function(case)
            if result is None:
                continue
            exercised.append(check.requirement)
            level = self._levels[check.requirement]
            findings += [f if f.level == level else replace(f, level=level) for f in result]
        return Evaluation(findings, frozenset(exercised))

    def _evaluate_client(self, served: Any, call: ClientCall) -> Evaluation:
        """The client-side checks over one SDK call. The EDGE labels first mark the rare values
        of a served run (their pointers go in the case's cache, where the read-back checks find
        them); then every EDGE class present is judged by the SDK's answer."""
        case = Case(served, self.facts, client=call)
        edge_checks = [c for c in self.checks if c.requirement in self._client_side - self._client_only]
        labels: dict[str, list[Finding]] = {}
        if 200 <= call.status < 300 and isinstance(served, dict):
            for check in edge_checks:
                labels[check.requirement] = check.function(case) or []
            case.cache["edge_labels"] = {
                rid: [f.pointer for f in found] for rid, found in labels.items() if found
            }
        findings: list[Finding] = []
        exercised: list[str] = []
        for check in self.checks:
            rid = check.requirement
            if rid not in self._client_side:
                continue
            result = (
                judge_edge(case, rid, labels.get(rid, []))
                if rid not in self._client_only
                else check.function(case)
            )
            if result is None:
                continue
            exercised.append(rid)
            level = self._levels[rid]
            findings += [f if f.level == level else replace(f, level=level) for f in result]
        return Evaluation(findings, frozenset(exercised))


def _accepts(validator: Any, run: Any) -> bool:
    if run is UNPARSED:
        return False
    try:
        return bool(validator.is_valid(run))
    except (ValueError, OverflowError):  # a value the validator cannot hold
        return False


@dataclass(frozen=True, slots=True)
class _Shortcut:
    """A schema whose acceptance of a body's member ("": the body) rules out its requirements."""

    member: str
    validator: Any
    requirements: frozenset[str]
    bit: int


def _bits(first: int, shortcuts: list[tuple[str, dict[str, Any], frozenset[str]]]) -> tuple[_Shortcut, ...]:
    return tuple(
        _Shortcut(member, jsonschema_rs.validator_for(schema, validate_formats=True), ids, 1 << (first + i))
        for i, (member, schema, ids) in enumerate(shortcuts)
    )


def _structural_parts(catalog: dict[str, Any]) -> dict[str, frozenset[str]]:
    """Which structural requirements each part of a body decides: a member holding more than
    two (there one validator call is cheaper than the checks), and "" the body's own shape."""
    below: dict[str, set[str]] = {}
    for entry in catalog["requirements"]:
        check = entry.get("check")
        if not entry.get("in_schema") or not check:
            continue
        path, when = check["path"], check.get("when")
        if when and when["path"][:1] != path[:1]:
            continue  # a condition on another member: always run
        member = path[0] if len(path) > 1 or (path and check["kind"] != "required") else ""
        below.setdefault(member, set()).add(entry["id"])
    members = {m for m, ids in below.items() if m and len(ids) > 2}
    parts = {m: frozenset(ids) for m, ids in below.items() if m in members}
    parts[""] = frozenset().union(*(ids for m, ids in below.items() if m not in members))
    return parts


def _facts(catalog: dict[str, Any]) -> SpecFacts:
    checks = [e["check"] for e in catalog["requirements"] if "check" in e]
    return SpecFacts(
        timestamp_paths=tuple(tuple(c["path"]) for c in checks if c["kind"] == "rfc3339"),
        int64_paths=tuple(tuple(c["path"]) for c in checks if c["kind"] == "int64"),
        variants={
            tuple(c["path"]): tuple(c["expected"])
            for c in checks
            if c["kind"] == "one-of" and c["path"][-1] == "type"
        },
        conventions=catalog["conventions"],
        known_paths=frozenset(tuple(c["path"]) for c in checks if c["path"]),
    )
