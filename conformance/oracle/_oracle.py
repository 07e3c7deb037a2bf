"""The Oracle: every registered check, bound to its requirement in the catalog, with one door
per thing judged.

    oracle = Oracle.default()
    oracle.judge_run_now(exchange, parse_body(exchange.body), seen_run_ids=seen)
    oracle.judge_read_back(exchange, run, original=first_answer)
    oracle.judge_listing_page(exchange, page)           # the page's HTTP, each listed run as a run
    oracle.judge_listing_walk(walk)                     # the pages of one walk, cursor by cursor
    oracle.judge_client_request(call)                   # what an SDK sent
    oracle.judge_client_parse(call)                     # how it read what it was served
    oracle.judge_recorded(run, body=raw)                # a body recorded alone (validate)
    oracle.judge_delivery(delivery)                     # how an answer arrived
    oracle.judge_webhook_event(event)                   # a webhook event of the family (validate)

Each door runs the checks that apply to its situation, in catalog order, and returns what they
found as Findings at the catalog's level, with the requirements exercised.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any, Literal

from drun_conformance._errors import SpecError
from drun_conformance.spec import Catalog, Level

from . import (
    _client_baseline,  # noqa: F401  (registers its checks)
    _client_family,  # noqa: F401  (its checks register into REQUEST)
    _client_typed,  # noqa: F401  (registers its checks)
    _family_listing,  # noqa: F401  (its checks register into LISTING)
    _ijson,  # noqa: F401  (registers the I-JSON body checks)
    _listing_cursor,  # noqa: F401  (its check registers into LISTING)
    _listing_sessions,  # noqa: F401  (its check registers into LISTING)
)
from ._answers import READ_BACK, RUN_NOW
from ._call import ClientCall, ClientCase
from ._case import DEFAULT_SKEW, UNPARSED, Case, Exchange, Finding, Found, SpecFacts
from ._client_answer import ANSWER
from ._client_parse import PARSE, judge_edge
from ._client_request import REQUEST
from ._http import HTTP
from ._labels import LABELS
from ._listing import LISTING, ListingWalk
from ._registry import Check, Needs
from ._rules import BODY, RECORD
from ._structural import structural_check
from ._transport import TRANSPORT, Delivery

__all__ = ["Evaluation", "Oracle", "PageEvaluation"]

# What a run is the answer to: Run Deployment Now (a recorded body is taken as one), a read-back
# by id, or a listing (its page, and each run it lists).
_Situation = Literal["run-now", "read-back", "page", "listed"]
_OFFLINE = "needs an HTTP exchange (offline payload)"


@dataclass(slots=True)  # not frozen: one per payload on validate's hot path, where frozen costs 5x
class Evaluation:
    """What one judgement found, and which requirements it did and did not exercise."""

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

    def __add__(self, other: Evaluation) -> Evaluation:
        """Both judgements of one case as one (an SDK call's request and parse)."""
        return Evaluation(
            self.findings + other.findings,
            self.exercised | other.exercised,
            {**self.skipped, **other.skipped},
        )


@dataclass(frozen=True, slots=True)
class PageEvaluation:
    """A listing page judged: its HTTP answer, and each run it lists judged as a run record."""

    page: Evaluation
    runs: tuple[tuple[Any, Evaluation], ...]  # each listed item, with its evaluation


# What a plan runs: each check's function with its requirement's id and level (tuples: the loop
# over them is validate's hot path), and the requirements skipped with the reason.
_Step = tuple[Any, str, Level]
_Plan = tuple[tuple[_Step, ...], dict[str, str]]


@dataclass(frozen=True, slots=True)
class _Bound:
    """A check with what the catalog says of its requirement: id, level and place in order."""

    function: Any  # the check's function: its input (a Case, a walk...) -> list[Found] | None
    requirement: str
    level: Level
    order: int
    needs: Needs | None


class Oracle:
    """Pure: the same inputs give the same findings, and nothing here does I/O."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        structural = [structural_check(r) for r in catalog if r.structure is not None and r.side != "webhook"]
        webhook = [structural_check(r) for r in catalog if r.structure is not None and r.side == "webhook"]
        checks: list[Check[Any]] = [*structural, *webhook]
        registries: tuple[Iterable[Check[Any]], ...] = (
            BODY, RECORD, LABELS, RUN_NOW, READ_BACK, HTTP, LISTING, TRANSPORT, REQUEST, PARSE, ANSWER
        )  # fmt: skip
        for registry in registries:
            checks += registry
        named = [c.requirement for c in checks]
        unchecked = [r.id for r in catalog if r.id not in named]
        unlisted = [rid for rid in named if rid not in catalog]
        twice = sorted({rid for rid in named if named.count(rid) > 1})
        if unchecked or unlisted or twice:
            raise SpecError(
                f"catalog and checks disagree: no check for {sorted(unchecked)}, "
                f"no requirement for {sorted(unlisted)}, two checks for {twice}"
            )
        order = {r.id: i for i, r in enumerate(catalog)}
        self.checks: tuple[Check[Any], ...] = tuple(sorted(checks, key=lambda c: order[c.requirement]))
        self.facts = _facts(catalog)
        self._http = self._bind(HTTP)
        self._body = self._bind(BODY)
        self._record = self._bind((*structural, *RECORD, *LABELS))
        self._run_now = self._bind(RUN_NOW)
        self._read_back = self._bind(READ_BACK)
        self._listing: _Plan = (_steps(self._bind(LISTING)), {})
        self._transport: _Plan = (_steps(self._bind(TRANSPORT)), {})
        self._request: _Plan = (_steps(self._bind(REQUEST)), {})
        self._labels = self._bind(LABELS)
        self._parse = self._bind((*PARSE, *ANSWER))
        self._webhook: _Plan = (_steps(self._bind(webhook)), {})

    @classmethod
    @cache
    def default(cls) -> Oracle:
        """The oracle for the spec/ shipped with this package."""
        from drun_conformance import spec

        return cls(spec.load_catalog())

    # --- the doors ------------------------------------------------------------------------

    def judge_run_now(
        self,
        exchange: Exchange,
        run: Any,
        *,
        seen_run_ids: Collection[str] = (),
        skew: timedelta = DEFAULT_SKEW,
    ) -> Evaluation:
        """An answer to Run Deployment Now: `exchange` as seen on the wire, `run` its body parsed
        (`parse_body`, UNPARSED when not JSON). Its HTTP; and for a 2xx, the run: its fields,
        the deployment echoed, an id not in `seen_run_ids`, created_at within `skew` of when
        the answer arrived, a manual trigger."""
        case = Case(run, self.facts, exchange, exchange.deployment_id, seen_run_ids, skew)
        return self._judged(self._plan("run-now", _ok(exchange), run is UNPARSED, True, True), case)

    def judge_read_back(
        self,
        exchange: Exchange,
        run: Any,
        *,
        original: Mapping[str, Any] | None,
        served_before: bool = False,
    ) -> Evaluation:
        """An answer to `GET /v1/deployment_runs/{id}`: its HTTP; and for a 2xx, the run as a run
        record, and the same record as `original` (the run first answered, None when unknown:
        then sameness is not exercised). `served_before`: the target has served this run by its
        id before, so a 404 now is a run no longer served (runs are append-only)."""
        case = Case(run, self.facts, exchange, original=original)
        judged = self._judged(self._plan("read-back", _ok(exchange), run is UNPARSED, True, False), case)
        if served_before and original is not None and not _ok(exchange):
            judged += self._judged((_steps(self._read_back), {}), case)
        return judged

    def judge_listing_page(self, exchange: Exchange, page: Any) -> PageEvaluation:
        """An answer to `GET /v1/deployment_runs`: `page` its body parsed. Its HTTP; and for a
        2xx, each item of its `data` as a run record (not a run-now answer)."""
        judged = self._judged(self._plan("page", False, False, True, False), Case(page, self.facts, exchange))
        items = page.get("data") if _ok(exchange) and isinstance(page, dict) else None
        listed = self._plan("listed", True, False, False, False)
        runs = tuple((item, self._judged(listed, Case(item, self.facts))) for item in items or ())
        return PageEvaluation(judged, runs if isinstance(items, list) else ())

    def judge_listing_walk(self, walk: ListingWalk) -> Evaluation:
        """The pages of one walk through `GET /v1/deployment_runs`: limits, no run repeated or
        skipped, the filters held, a made-up cursor refused."""
        return self._judged(self._listing, walk)

    def judge_client_request(self, call: ClientCall) -> Evaluation:
        """The request an SDK sent for one call (method, path, headers, once, no body)."""
        return self._judged(self._request, ClientCase(call, self.facts))

    def judge_client_parse(self, call: ClientCall) -> Evaluation:
        """How an SDK read what it was served for one call: the run read back exactly, an HTTP
        error reported as an API error, the harness's protocol kept. The EDGE labels first mark
        the rare values of a served run; each class present is then judged by the SDK's answer
        (EDGE: a rare value mishandled never gates)."""
        labels: dict[str, list[Found]] = {}
        if 200 <= call.status < 300 and isinstance(call.served, dict):
            served = Case(call.served, self.facts)
            labels = {bound.requirement: bound.function(served) or [] for bound in self._labels}
        marked = {rid: [pointer for pointer, _ in labelled] for rid, labelled in labels.items() if labelled}
        case = ClientCase(call, self.facts, marked)
        findings: list[Finding] = []
        exercised: list[str] = []
        edges = frozenset(bound.requirement for bound in self._labels)
        for bound in sorted((*self._labels, *self._parse), key=lambda b: b.order):
            rid = bound.requirement
            found = judge_edge(case, rid, labels.get(rid, [])) if rid in edges else bound.function(case)
            if found is None:
                continue
            exercised.append(rid)
            findings += [Finding(rid, bound.level, pointer, message) for pointer, message in found]
        return Evaluation(findings, frozenset(exercised))

    def judge_recorded(
        self,
        run: Any,
        *,
        body: bytes | None = None,
        exchange: Exchange | None = None,
        deployment_id: str | None = None,
        seen_run_ids: Collection[str] = (),
        ruled_out: frozenset[str] = frozenset(),
    ) -> Evaluation:
        """A body recorded alone, taken as an answer to Run Deployment Now (validate, the page's
        own example). `run` is the parsed body or UNPARSED; `body` its bytes, so that a body
        that is not JSON is told why (an encoding other than UTF-8, say). With its `exchange`
        (from an HTTP archive) it is judged as `judge_run_now` judges; without, the checks that
        need one are skipped with the reason, except the echo of `deployment_id` when given.
        `ruled_out`: requirements the caller knows cannot fire on this body, left unrun
        (`drun_conformance.recorded.PreFilter` says which, for speed)."""
        ok = exchange is None or _ok(exchange)
        if exchange is not None:
            deployment_id = exchange.deployment_id
        case = Case(run, self.facts, exchange, deployment_id, seen_run_ids, body=body)
        plan = self._plan(
            "run-now", ok, run is UNPARSED, exchange is not None, deployment_id is not None, ruled_out
        )
        return self._judged(plan, case)

    def judge_webhook_event(self, event: Any) -> Evaluation:
        """A webhook event of the family (`deployment_run.started`, `.succeeded`, `.failed`), parsed:
        its envelope and data as the official SDKs model them (the `webhook` side's requirements)."""
        return self._judged(self._webhook, Case(event, self.facts))

    def judge_delivery(self, delivery: Delivery) -> Evaluation:
        """How one answer arrived (see `Delivery`): whole, in time, within the size cap, not
        redirected. Call it for every answer, whole or broken, to any request (run now, read
        back, listing): a whole one passes them all."""
        return self._judged(self._transport, delivery)

    # --- how --------------------------------------------------------------------------------

    def _bind(self, checks: Iterable[Check[Any]]) -> tuple[_Bound, ...]:
        order = {r.id: i for i, r in enumerate(self.catalog)}
        return tuple(
            _Bound(
                c.function, c.requirement, self.catalog[c.requirement].level, order[c.requirement], c.needs
            )
            for c in sorted(checks, key=lambda c: order[c.requirement])
        )

    @cache  # noqa: B019  (one Oracle per spec; the plans are few and small)
    def _plan(
        self,
        situation: _Situation,
        ok: bool,
        unparsed: bool,
        exchange: bool,
        deployment: bool,
        ruled_out: frozenset[str] = frozenset(),
    ) -> _Plan:
        """The checks of a run that apply in this situation, in catalog order, and those skipped
        with the reason. `ok`: the run is to be judged (a 2xx, or no exchange to say otherwise);
        `exchange`, `deployment`: what is known besides the body."""
        candidates = list(self._http) if situation != "listed" else []
        if ok:
            candidates += self._body
            if not unparsed:  # a body that is not JSON is payload.json's finding alone
                answer = {"run-now": self._run_now, "read-back": self._read_back}.get(situation, ())
                candidates += [b for b in (*self._record, *answer) if b.requirement not in ruled_out]
        plan: list[_Bound] = []
        skipped: dict[str, str] = {}
        for bound in sorted(candidates, key=lambda b: b.order):
            lacking = (bound.needs == "exchange" and not exchange) or (
                bound.needs == "deployment" and not deployment
            )
            if lacking:
                skipped[bound.requirement] = _OFFLINE
            else:
                plan.append(bound)
        return _steps(plan), skipped

    def _judged(self, plan: _Plan, case: Any) -> Evaluation:
        """Every check of `plan` over `case`, each finding at its catalog level."""
        steps, skipped = plan
        findings: list[Finding] = []
        exercised: list[str] = []
        for check, rid, level in steps:
            found = check(case)
            if found is None:
                continue
            exercised.append(rid)
            if found:
                findings += [Finding(rid, level, pointer, message) for pointer, message in found]
        return Evaluation(findings, frozenset(exercised), skipped)


def _steps(bounds: Iterable[_Bound]) -> tuple[_Step, ...]:
    return tuple((bound.function, bound.requirement, bound.level) for bound in bounds)


def _ok(exchange: Exchange) -> bool:
    return 200 <= exchange.status < 300


def _facts(catalog: Catalog) -> SpecFacts:
    structures = [r.structure for r in catalog if r.structure is not None and r.side != "webhook"]
    return SpecFacts(
        timestamp_paths=tuple(s.path for s in structures if s.kind == "rfc3339"),
        int64_paths=tuple(s.path for s in structures if s.kind == "int64"),
        variants={
            s.path: tuple(s.expected) for s in structures if s.kind == "one-of" and s.path[-1] == "type"
        },
        conventions=catalog.conventions,
        known_paths=frozenset(s.path for s in structures if s.path),
    )
