"""The SDK gate: a Hypothesis property over (request arguments, scripted response), run through
an SDK harness against the scripted mock server, every call judged by the oracle.

1. Coverage cases (`coverage_cases()`, then `family_coverage_cases()`): every error type,
   trigger, HTTP status and EDGE class once, and retrieve and the listing walk, so no
   requirement depends on the draw.
2. Exploration: `@given(gate_cases())` for `examples` draws. Every call is tallied; the
   property never fails, so the counts are of distinct cases, not of shrinking steps. Each
   draw is a fresh seeded one (`EXPLORATION_BACKEND`). The first failing draw of each
   requirement keeps its Hypothesis choice sequence.
3. Shrinking: per failed requirement, a Hypothesis test seeded with the run's seed replays that
   draw (from an in-memory database) and shrinks it to a minimal case that still fails the
   requirement, within a budget of calls (one seed, one result); the report shows its bytes
   served, request seen and the SDK's answer.

Every failure goes through the `Ledger`: one an expectation covers is known, the others are new
(only they are shrunk, and only they fail the gate). With a baseline (`client --baseline`), each
case carries what the baseline release did with it, for client.baseline.same. A call whose
finding a second request already decided (a retry) is not waited out: the harness is stopped
and restarted for the next case. A command the harness answers `unsupported` (an older
harness, an SDK without the operation) is sent no more: its cases are counted as skipped.
"""

from __future__ import annotations

import functools
import json
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import errors as hypothesis_errors
from hypothesis.database import InMemoryExampleDatabase
from hypothesis.internal.conjecture.providers import AVAILABLE_PROVIDERS

from drun_conformance import spec
from drun_conformance._differential import CaseRecord, baseline_case, case_record
from drun_conformance._interrupt import raise_if_interrupted
from drun_conformance._secrets import redact_headers
from drun_conformance.oracle import ClientCall, Evaluation, Finding, Oracle, RecordedRequest
from drun_conformance.oracle._call import BaselineCase
from drun_conformance.oracle._client_family import listed_calls
from drun_conformance.oracle._client_typed import DATE_TIME_TYPES, EXCEPTIONS
from drun_conformance.results import Counterexample, TargetResult, TargetTally

from ._cases import (
    FamilyCase,
    GateCase,
    ListCase,
    RetrieveCase,
    ServedError,
    coverage_cases,
    family_coverage_cases,
    gate_cases,
)
from ._expectations import Ledger, load_expectations
from ._harness import Harness, HarnessFault, Implementation
from ._mock import ScriptedServer
from ._options import ClientOptions
from ._sdks import HarnessCommand

__all__ = ["GATE_API_KEY", "Baseline", "Gate"]

GATE_API_KEY = "drun-gate-test-key"  # made up: the mock server takes any key
_FAULTS_TO_STOP = 3
_LEVEL_ORDER = {"MUST": 0, "SHOULD": 1, "EDGE": 2}
_NOT_SHRUNK = frozenset({"client.baseline.same"})  # judged on the baseline's cases only
_IMPROVED_SHOWN = 3
# Exploration never fails (findings are recorded, then shrunk apart), so Hypothesis's novelty
# tree and span mutator would only spend time (a third of a draw): its own provider, registered
# under another name, runs as an alternative backend, which draws each example afresh, seeded.
EXPLORATION_BACKEND = "drun-exploration"
AVAILABLE_PROVIDERS.setdefault(EXPLORATION_BACKEND, AVAILABLE_PROVIDERS["hypothesis"])
# What a harness that answers a command `unsupported` leaves unjudged.
_FAMILY_REQUIREMENTS = {
    "retrieve": ("client.retrieve.path",),
    "list": ("client.list.query", "client.list.cursor", "client.list.items"),
}
Note = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Baseline:
    """What the baseline release did with each case of its own gate run, by case fingerprint."""

    target: str  # "sdk:python@2.10.0"
    cases: dict[str, BaselineCase]

    @classmethod
    def of(cls, result: TargetResult) -> Baseline:
        cases: dict[str, BaselineCase] = {}
        for record in result.case_records:
            cases.setdefault(record.key, baseline_case(result.id, record))
        return cls(result.id, cases)


@dataclass(frozen=True, slots=True)
class _Piece:
    """Findings of one call about one value served (a run, or a walk's run): what the ledger
    matches expectations on, with the types the harness read there."""

    findings: list[Finding]
    served: Any
    types: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Judged:
    """One case run and judged: every finding (`evaluation`), the example, the call, and the
    findings by the value served they are about (`pieces`)."""

    evaluation: Evaluation
    example: Counterexample
    call: ClientCall
    pieces: tuple[_Piece, ...]


def _command(case: GateCase | FamilyCase) -> str:
    return "list" if isinstance(case, ListCase) else "retrieve" if isinstance(case, RetrieveCase) else "run"


def _types(answer: Any) -> dict[str, Any]:
    held = answer.get("types") if isinstance(answer, dict) else None
    return held if isinstance(held, dict) else {}


@dataclass(slots=True)
class _Typed:
    """What the harness's valid answers showed of the typed fields the requirements judge."""

    ok: int = 0  # ok answers
    types: bool = False  # one carried `types`
    variants: bool = False  # one carried `variants`
    errors: int = 0  # api_error answers
    exception: bool = False  # one carried `exception`


@dataclass(slots=True)
class Gate:
    """One gate run: one harness, one mock server, one tally; `execute()` gives the result."""

    options: ClientOptions
    command: HarnessCommand
    note_out: Note | None
    oracle: Oracle = field(default_factory=Oracle.default)
    tally: TargetTally = field(init=False)
    harness: Harness = field(init=False)
    mock: ScriptedServer = field(default_factory=ScriptedServer)
    base_url: str = ""
    seq: int = 0
    requests: int = 0
    cases: int = 0
    skipped_answers: int = 0
    faults_in_a_row: int = 0
    stopped: str | None = None
    implementation: Implementation | None = None
    notes: list[str] = field(default_factory=list)
    coverage: dict[str, dict[str, str]] = field(default_factory=dict)
    to_shrink: dict[str, tuple[Finding, bytes]] = field(default_factory=dict)
    records: list[CaseRecord] = field(default_factory=list)  # every case, for the run's differential
    baseline: Baseline | None = None
    ledger: Ledger = field(init=False)
    typed: _Typed = field(default_factory=_Typed)
    improved: list[str] = field(default_factory=list)  # cases the baseline failed and this target passed
    ended_early: int = 0  # calls decided before their answer (a retry): not waited out
    unsupported: dict[str, int] = field(default_factory=dict)  # command -> its cases skipped

    def __post_init__(self) -> None:
        self.tally = TargetTally(spec.load_catalog(), sides={"client-request", "client-parse"})
        self.ledger = Ledger(None, self.oracle.facts)
        self.harness = Harness(
            self.command.argv,
            env=self.command.env,
            start_timeout=self.options.start_timeout,
            call_timeout=self.options.call_timeout,
        )

    def execute(self) -> TargetResult:
        from drun_conformance.server.reference import serve_in_thread

        started = time.monotonic()
        with self.harness, serve_in_thread(self.mock) as self.base_url:
            first = self.harness.start()
            if isinstance(first, HarnessFault):
                return self._unreachable(first)
            self.implementation = first
            if self.command.expectations is not None and self.command.expectations.is_file():
                # The release the harness reports it drives, which is the one installed.
                self.ledger.expectations = load_expectations(
                    self.command.expectations, version=first.version, catalog=self.oracle.catalog
                )
            if self.options.coverage:
                for case in [*coverage_cases(), *family_coverage_cases()]:
                    if self.stopped:
                        break
                    self._record(case)
            if not self.stopped and self.options.examples:
                self._explore()
            shrinking = self._shrink()
        self._note(
            f"{self.cases} cases ({self.options.examples} drawn with seed {self.options.seed}), "
            f"{shrinking} more calls shrinking, {self.requests} requests, {time.monotonic() - started:.1f} s"
        )
        if self.skipped_answers:
            self._note(f"{self.skipped_answers} calls answered skipped (the SDK cannot express them)")
        if self.ended_early:
            self._note(
                f"{self.ended_early} calls ended at their second request (client.request.once decided there),"
                " not waited out"
            )
        for command, skipped in self.unsupported.items():
            self._note(f"the harness does not support {command}: {skipped} of its cases skipped")
        if self.improved:
            shown = "; ".join(self.improved[:_IMPROVED_SHOWN])
            more = (
                f" and {len(self.improved) - _IMPROVED_SHOWN} more"
                if len(self.improved) > _IMPROVED_SHOWN
                else ""
            )
            target = self.baseline.target if self.baseline else ""
            self._note(f"better than the baseline ({target}): {len(self.improved)} cases it failed now pass:")
            self._note(f"  {shown}{more}")
        if self.stopped:
            self._note(self.stopped)
        return self._result(reached=True)

    # --- the three stages ---------------------------------------------------------------

    def _explore(self) -> None:
        gate = self

        @settings(
            max_examples=self.options.examples,
            phases=(Phase.generate,),
            backend=EXPLORATION_BACKEND,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(gate_cases())
        def explore(case: GateCase | FamilyCase) -> None:
            if gate.stopped:
                return
            for finding in gate._record(case):
                if finding.requirement not in gate.to_shrink and finding.requirement not in _NOT_SHRUNK:
                    gate.to_shrink[finding.requirement] = (finding, _current_choices())

        if self.options.seed is not None:
            explore = seed(self.options.seed)(explore)
        explore()

    def _shrink(self) -> int:
        calls = 0
        deadline = time.monotonic() + self.options.shrink_seconds
        order = sorted(self.to_shrink.items(), key=lambda kv: _LEVEL_ORDER[kv[1][0].level])
        for requirement, (_, choices) in order:
            if self.stopped or time.monotonic() > deadline or not choices:
                continue
            found = _Shrinker(self, requirement, deadline).run(choices)
            calls += found.calls
            if found.best is not None:
                finding, example = found.best
                self.tally.shrunk(finding, example)
        return calls

    # --- one case -----------------------------------------------------------------------

    def _record(self, case: GateCase | FamilyCase) -> list[Finding]:
        """Run one case into the tally and the records; the findings no expectation covers."""
        command = _command(case)
        if command in self.unsupported:  # the harness said it cannot: skipped, never judged
            self.unsupported[command] += 1
            return []
        judged = self.run_case(case)
        evaluation, example, call = judged.evaluation, judged.example, judged.call
        answer = example.answer or {}
        if answer.get("unsupported") is True:
            self.unsupported[command] = 1
            return []
        self.cases += 1
        self._served(case)
        new = [
            finding
            for piece in judged.pieces
            for finding in self.ledger.split(
                piece.findings, label=case.label, served=piece.served, types=piece.types, example=example
            )
        ]
        self.tally.record(Evaluation([f for f in new if f.level != "EDGE"], evaluation.exercised), example)
        for finding in new:
            if finding.level == "EDGE":  # in a client evaluation an EDGE finding is a mishandling
                self.tally.fail(finding, example)
        if call.baseline is not None and not call.baseline.handled and not evaluation.findings:
            self.improved.append(case.describe())
        self.records.append(
            case_record(
                key=case.fingerprint(),
                served=case.describe(),
                body=case.body(),
                answer=answer,
                findings=evaluation.findings,
                known=self.oracle.facts.known_paths,
                label=case.label,
                requests=call.requests,
            )
        )
        return new

    def run_case(self, case: GateCase | FamilyCase) -> _Judged:
        """Make one call through the harness and judge it (records nothing in the tally)."""
        raise_if_interrupted()
        self.seq += 1
        on_repeat = functools.partial(self.harness.decided, self.seq)
        fields: dict[str, Any] = {"base_url": self.base_url, "api_key": GATE_API_KEY}
        fields["betas"] = None if case.betas is None else list(case.betas)
        if isinstance(case, ListCase):
            self.mock.arm_walk(case.scripted_pages(), on_repeat=on_repeat)
            answer = self.harness.call("list", self.seq, {**fields, "filters": dict(case.filters)})
            recorded = self.mock.take(operation="list")
        elif isinstance(case, RetrieveCase):
            self.mock.arm(case.run_id, case.served.scripted(), on_repeat=on_repeat, operation="retrieve")
            answer = self.harness.call("retrieve", self.seq, {**fields, "run_id": case.run_id})
            recorded = self.mock.take(case.run_id, operation="retrieve")
        else:
            self.mock.arm(case.deployment_id, case.served.scripted(), on_repeat=on_repeat)
            answer = self.harness.call("run", self.seq, {**fields, "deployment_id": case.deployment_id})
            recorded = self.mock.take(case.deployment_id)
        self.requests += len(recorded)
        ended = isinstance(answer, HarnessFault) and answer.kind == "abandoned"
        fault = answer if isinstance(answer, HarnessFault) and not ended else None
        valid = answer if not isinstance(answer, HarnessFault) else None
        if ended:
            self.ended_early += 1
        elif fault is not None:
            self.faults_in_a_row += 1
            if self.faults_in_a_row >= _FAULTS_TO_STOP:
                self.stopped = (
                    f"stopped: the harness faulted {self.faults_in_a_row} times in a row ({fault.message})"
                )
        else:
            self.faults_in_a_row = 0
            self._saw(valid or {})
        call = self._call(case, recorded, valid, fault)
        ended_with = answer if ended and isinstance(answer, HarnessFault) else fault
        example = self._example(case, call, ended_with)
        if valid is not None and valid.get("unsupported") is True:
            return _Judged(Evaluation([]), example, call, ())
        evaluation = self.oracle.judge_client_request(call) + self.oracle.judge_client_parse(call)
        pieces = [_Piece(evaluation.findings, call.served, _types(call.answer))]
        listed = [(item, self.oracle.judge_client_parse(item)) for item in listed_calls(call)]
        if call.outcome != "ok":  # a walk refused whole: charged to its rare values first, as a run's
            listed = [(i, e) for i, e in listed if e.edges] or listed
        for item, judged in listed:
            evaluation += judged
            pieces.append(_Piece(judged.findings, item.served, _types(item.answer)))
        return _Judged(evaluation, example, call, tuple(pieces))

    def _call(
        self,
        case: GateCase | FamilyCase,
        recorded: tuple[RecordedRequest, ...],
        valid: dict[str, Any] | None,
        fault: HarnessFault | None,
    ) -> ClientCall:
        """The call as the oracle reads it. A walk's is the page it ended on: its status and
        headers, and its body only when an HTTP error (its runs are judged one by one)."""
        common: dict[str, Any] = {
            "betas": case.betas,
            "api_key": GATE_API_KEY,
            "requests": recorded,
            "answer": valid,
            "fault": fault.message if fault else None,
            "language": self.implementation.language if self.implementation else None,
            "release": self.implementation.version if self.implementation else None,
            "baseline": self.baseline.cases.get(case.fingerprint()) if self.baseline else None,
        }
        if isinstance(case, ListCase):
            scripted = list(case.scripted_pages().values())
            last = scripted[-1]
            error = last.status >= 400
            return ClientCall(
                deployment_id="",
                status=last.status,
                served_headers=dict(last.headers),
                served=json.loads(last.body) if error else None,
                operation="list",
                filters=dict(case.filters),
                pages=tuple(json.loads(s.body) for s in scripted),
                **common,
            )
        scripted_run = case.served.scripted()
        return ClientCall(
            deployment_id=case.run_id if isinstance(case, RetrieveCase) else case.deployment_id,
            status=scripted_run.status,
            served_headers=dict(scripted_run.headers),
            served=json.loads(scripted_run.body),
            operation="retrieve" if isinstance(case, RetrieveCase) else "run",
            **common,
        )

    def _saw(self, answer: dict[str, Any]) -> None:
        """What a valid answer shows of the harness: which typed fields it reports."""
        outcome = answer.get("outcome")
        if outcome == "skipped":
            self.skipped_answers += 1
        elif outcome == "ok":
            self.typed.ok += 1
            self.typed.types |= "types" in answer
            self.typed.variants |= "variants" in answer
        elif outcome == "api_error":
            self.typed.errors += 1
            self.typed.exception |= "exception" in answer

    def _example(
        self, case: GateCase | FamilyCase, call: ClientCall, fault: HarnessFault | None
    ) -> Counterexample:
        request = call.first_request
        answer: dict[str, Any] | None
        if fault is not None:
            answer = {"fault": fault.kind, "message": fault.message}
            if fault.line is not None:
                answer["line"] = fault.line
        else:
            answer = dict(call.answer or {})
        served = json.loads(case.body())
        expected = observed = ""
        if isinstance(answer.get("run"), dict) and not isinstance(case, ListCase):
            if not isinstance(case.served, ServedError):
                expected, observed = _pretty(served), _pretty(answer["run"])
        elif isinstance(answer.get("runs"), list) and isinstance(case, ListCase):
            items = [item for page in served if isinstance(page, dict) for item in page.get("data") or []]
            expected, observed = _pretty(items), _pretty([entry.get("run") for entry in answer["runs"]])
        return Counterexample(
            summary=case.describe(),
            payload=served,
            request=None
            if request is None
            else {
                "method": request.method,
                "url": self.base_url + request.target,
                "headers": redact_headers(request.headers),
                "body": request.body.decode("utf-8", "replace"),
            },
            response={
                "status": call.status,
                "headers": dict(call.served_headers),
                "body": case.body().decode("utf-8"),
            },
            answer=answer,
            expected=expected,
            observed=observed,
        )

    # --- the result ---------------------------------------------------------------------

    def _unreachable(self, fault: HarnessFault) -> TargetResult:
        self.tally.fail(Finding("client.harness.protocol", "MUST", "", fault.message))
        self._note(f"the harness did not start: {fault.message}")
        return self._result(reached=False)

    def _not_applicable(self) -> None:
        """Requirements this harness gives nothing to judge: they block no verdict."""
        language = self.implementation.language if self.implementation else None
        no_types = "the harness reports no types (an older or third-party harness)"
        if self.typed.ok and not self.typed.types:
            for rid in (
                "client.parse.timestamp-type",
                "client.parse.version-type",
                "client.parse.unknown-variant-readable",
            ):
                self.tally.not_applicable(rid, no_types)
        elif language not in DATE_TIME_TYPES:
            for rid in ("client.parse.timestamp-type", "client.parse.version-type"):
                self.tally.not_applicable(rid, f"no declared types are known for the language {language!r}")
        if self.typed.errors and not self.typed.exception:
            self.tally.not_applicable("client.error.exception", "the harness names no exception classes")
        elif language not in EXCEPTIONS:
            self.tally.not_applicable(
                "client.error.exception", f"no documented exceptions are known for {language!r}"
            )
        if self.typed.ok and not self.typed.variants:
            for rid in ("client.parse.variant-known", "client.parse.variant-class"):
                self.tally.not_applicable(
                    rid, "the harness reports no variant classes: its SDK's objects are plain data"
                )
        for command, requirements in _FAMILY_REQUIREMENTS.items():
            if command in self.unsupported:
                for rid in requirements:
                    self.tally.skip(rid, f"the harness does not support {command} (it answered unsupported)")
        if self.baseline is None:
            self.tally.not_applicable("client.baseline.same", "no baseline release given (client --baseline)")
        elif not self.baseline.cases:
            self.tally.skip("client.baseline.same", f"the baseline {self.baseline.target} answered no case")

    def _result(self, *, reached: bool) -> TargetResult:
        identity: dict[str, Any] = {"harness": shlex.join(self.command.argv), "reached": reached}
        if self.implementation is not None:
            identity = {**self.implementation.as_dict(), **identity}
        identity["examples"] = self.options.examples
        if self.baseline is not None:
            identity["baseline"] = self.baseline.target
        self._not_applicable()
        reason = "not reached: " + self.stopped if self.stopped else "no case exercised it"
        remedy = "more cases (--examples)"
        if self.skipped_answers and not self.stopped:
            reason = f"the harness answered skipped to {self.skipped_answers} of {self.cases} calls"
            remedy = "an SDK release or harness that can make these calls (it answered skipped)"
        result = self.tally.result(
            target_id=f"sdk:{self.command.label}",
            kind="client",
            identity=identity,
            strict=self.options.strict,
            requests=self.requests,
            coverage=self.coverage,
            notes=self.notes,
            default_skip=reason if reached else "the harness did not start",
            remedy=lambda rid: (
                self._remedy(rid, remedy) if reached else "a harness that starts and answers the protocol"
            ),
        )
        return result.model_copy(update={"case_records": self.records})

    def _remedy(self, requirement: str, otherwise: str) -> str:
        for command, requirements in _FAMILY_REQUIREMENTS.items():
            if requirement in requirements and command in self.unsupported:
                return f"a harness (and SDK release) that can {command} (this one answered unsupported)"
        return otherwise

    def _served(self, case: GateCase | FamilyCase) -> None:
        """Which error types and triggers the SDK was served (the report's coverage)."""
        if isinstance(case, ListCase) or isinstance(case.served, ServedError):
            return
        for member, group in (("error", "error_types"), ("trigger_context", "triggers")):
            node = case.served.payload.get(member)
            if isinstance(node, dict) and isinstance(node.get("type"), str):
                self.coverage.setdefault(group, {})[node["type"]] = "observed"

    def _note(self, text: str) -> None:
        self.notes.append(text)
        if self.note_out:
            self.note_out(text)


@dataclass(slots=True)
class _Shrinker:
    """Shrinks one requirement's first failing draw with a seeded Hypothesis test, within a budget."""

    gate: Gate
    requirement: str
    deadline: float
    calls: int = 0
    seen: dict[str, bool] = field(default_factory=dict)
    best: tuple[Finding, Counterexample] | None = None

    def run(self, choices: bytes) -> _Shrinker:
        key = f"drun-gate:{self.requirement}".encode()
        database = InMemoryExampleDatabase()
        # The secondary corpus: replayed, then shrunk (a primary entry counts as already shrunk).
        database.save(key + b".secondary", choices)

        # `find(random=...)` would seed it but drop the database; @seed under @settings keeps both.
        @settings(
            database=database,
            phases=(Phase.reuse, Phase.shrink),
            deadline=None,
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )
        @seed(self.gate.options.seed)  # one seed, one shrunk case
        @given(gate_cases())
        def replay(case: GateCase | FamilyCase) -> None:
            if self.fails(case):
                raise _Found

        replay._hypothesis_internal_database_key = key  # type: ignore[attr-defined]  # as find() does
        try:
            replay()
        except _Found:
            pass  # shrunk: `best` holds the smallest failing case
        except hypothesis_errors.HypothesisException:
            pass  # not reproduced (a flaky SDK): the first failing draw stays the example
        except _BudgetSpent:
            pass  # the smallest failing case so far stands
        return self

    def fails(self, case: GateCase | FamilyCase) -> bool:
        key = case.fingerprint()
        if key in self.seen:
            return self.seen[key]
        if (
            self.calls >= self.gate.options.shrink_calls
            or time.monotonic() > self.deadline
            or self.gate.stopped
        ):
            raise _BudgetSpent
        self.calls += 1
        if _command(case) in self.gate.unsupported:
            self.seen[key] = False
            return False
        judged = self.gate.run_case(case)
        hit = next(
            (
                f
                for piece in judged.pieces
                for f in piece.findings
                if f.requirement == self.requirement
                and not self.gate.ledger.known(f, case.label, piece.served)
            ),
            None,
        )
        self.seen[key] = hit is not None
        if hit is not None:
            self.best = (hit, judged.example)
        return hit is not None


class _Found(Exception):
    """The shrink's property: a case that still fails the requirement."""


class _BudgetSpent(BaseException):
    """Ends a shrink early. A BaseException: Hypothesis lets it through instead of taking it
    for a failure of the property (and shrinking that)."""


def _current_choices() -> bytes:
    """The choice sequence of the draw in progress, for `_Shrinker` to replay (empty when
    this Hypothesis does not expose it: the draw is then reported unshrunk)."""
    try:
        from hypothesis.control import current_build_context
        from hypothesis.database import choices_to_bytes

        return bytes(choices_to_bytes(current_build_context().data.choices))
    except (ImportError, AttributeError, TypeError):
        return b""


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
