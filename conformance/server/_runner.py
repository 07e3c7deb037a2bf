"""Check a server: plan probes that cover the most requirements per request, send them
within the budget, judge every exchange with the oracle, and tally a TargetResult.

The plan, in order (each phase stops where the budget does; the last one keeps a reserve):

1. Coverage, a request for each kind of answer: the first given deployment id, an unknown id
   that needs escaping, no credentials, a made-up key, no beta (these create no run, and tell
   early whether a target that did not answer the first answers at all), each other given id.
2. Each run read back by its id (the same record, runs are append-only).
3. The listing, where served: each id's scheduled runs, then walks whose answers the runner
   knows in part (`_listing_probe`).
4. Sharp probes, one of each class in turn, cheap and decisive first: wrong credentials in
   every form the SDKs send (`_credentials`), a beta header without the operation's own, ids a
   lax router folds onto a given one (`_lookalikes`). None creates a run on a conformant server.
5. While budget remains beyond the reserve: repeats of each id (intermittent faults) and
   Schemathesis cases.
6. At the end, from the reserve: every run answered read back again (a record changed later,
   or one no longer served, fails run.read-back.same-record).

What no probe exercised: see `_remedies`. How every answer arrived is judged too (the oracle's
delivery checks): one cut short, stalled, past the size cap or redirected fails its transport
requirement, and the run sends nothing more. A target that never answered anything is
unreachable (exit 3), not judged. With an AnswerLog, every run-now answer is kept (bytes,
status, headers) for reading through the SDKs afterwards (`_replay`).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from itertools import zip_longest
from typing import Any
from urllib.parse import quote, unquote

from drun_conformance import spec
from drun_conformance._secrets import CREDENTIAL_HEADERS, Redactor
from drun_conformance.oracle import Delivery, Evaluation, Exchange, ListingWalk, Oracle, parse_body
from drun_conformance.results import Counterexample, Interrupted, TargetResult, TargetTally

from ._credentials import credential_probes, secrets_of
from ._listing_probe import listing_walks, not_served, scheduled_walk, walk_example
from ._lookalikes import lookalike_ids, lookalike_paths
from ._options import PROFILES, ProgressSink, ServerOptions, budget_of
from ._remedies import Stop, explain_unexercised, what_would_exercise
from ._replay import AnswerLog
from ._transport import (
    BudgetSpent,
    Prober,
    Sent,
    TransportFault,
    exchange_example,
    fault_example,
    retry_after_seconds,
    run_path,
    whole_delivery,
)

__all__ = ["check_server"]


_ABORT_AFTER_FAULTS = 2
_READ_BACK = "run.read-back.same-record"
_ANOTHER_BETA = "files-api-2025-04-14"  # a real beta, not the operation's
_OTHER_BETAS = f"{_ANOTHER_BETA},mcp-client-2025-04-04"
UNKNOWN_RUN_ID = "drun_" + "0" * 26  # a ULID of time zero: issued by no server
Probe = Callable[[], None]  # one request of the sharp probes


def check_server(
    options: ServerOptions | None = None,
    *,
    progress: ProgressSink | None = None,
    answers: AnswerLog | None = None,
    **fields: Any,
) -> TargetResult:
    """Probe one server: `check_server(base_url="https://staging.example", deployment_ids=("depl_1",))`
    or with ServerOptions; the embedded reference server when `base_url` is None.

    `progress` (a `drun_conformance.reports.Progress`, say) is advanced once a request and told
    every note. `answers`: where to keep every run-now answer, to read through the SDKs.
    """
    options = options or ServerOptions(**fields)
    if options.base_url is not None:
        return _ServerRun(
            options,
            options.base_url,
            options.api_key,
            options.deployment_ids,
            budget_of(options),
            "live",
            progress,
            answers,
        ).execute()
    from .reference import DEFAULT_API_KEY, expected_outcomes, serve_in_thread

    ids = options.deployment_ids or tuple(expected.deployment_id for expected in expected_outcomes())
    with serve_in_thread() as base_url:
        return _ServerRun(
            options,
            base_url,
            options.api_key or DEFAULT_API_KEY,
            ids,
            budget_of(options),
            "embedded",
            progress,
            answers,
        ).execute()


@dataclass(slots=True)
class _ServerRun:
    options: ServerOptions
    base_url: str
    api_key: str | None
    deployment_ids: tuple[str, ...]
    budget: int
    kind: str
    progress: ProgressSink | None
    answers: AnswerLog | None
    oracle: Oracle = field(default_factory=Oracle.default)
    tally: TargetTally = field(init=False)
    prober: Prober = field(init=False)
    redactor: Redactor = field(init=False)  # knows the key and its near misses
    seen_ids: set[str] = field(default_factory=set)
    runs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # as first answered
    # The records the listing is judged against, by id: as read back, else as answered; only
    # those judged clean (a record already at fault is that finding, not the listing's).
    records: dict[str, Any] = field(default_factory=dict)
    kept: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # served back by id, clean
    served: set[str] = field(default_factory=set)  # the runs served by their id at least once
    observed: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    answered: int = 0  # answers that came, whole or not (a status line at least)
    faults_in_a_row: int = 0
    # Broken answers before the target answered anything: judged once it answers, else it is
    # unreachable and they are not its findings.
    pending: list[TransportFault] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped, in words
    stop_kind: Stop | None = None
    rate_limited: bool = False  # a 429 was answered and its retry-after honoured
    listing_served: bool | None = None  # None: never asked (budget spent first)
    _sent_last: Sent | None = None

    def __post_init__(self) -> None:
        self.tally = TargetTally(spec.load_catalog(), sides={"server"})
        self.prober = Prober(
            self.base_url,
            max_requests=self.budget,
            timeout_s=self.options.timeout_s,
            max_response_bytes=self.options.max_response_bytes,
            deadline_s=self.options.deadline_s,
        )
        self.redactor = Redactor(secrets_of(self.api_key))
        if self.answers is not None:
            self.answers.server = self._target_id()

    # --- the plan ---------------------------------------------------------------------

    def execute(self) -> TargetResult:
        phases = (
            self._coverage,
            self._read_back,
            self._listing,
            self._sharp,
            self._repeats,
            self._fuzz,
            self._read_again,
        )
        with self.prober:
            for phase in phases:
                if self.stopped:
                    break
                try:
                    phase()
                except BudgetSpent as spent:
                    self._stop("deadline" if spent.deadline else "budget", str(spent))
                except KeyboardInterrupt:
                    self._stop("early", "interrupted")
                    raise Interrupted(self._result()) from None
        return self._result()

    def _coverage(self) -> None:
        if not self.deployment_ids:
            self._note("no --deployment-id given: the run requirements cannot be exercised")
        for deployment_id in self.deployment_ids[:1]:
            self._run(deployment_id, self._headers(), known=True)
        unknown = f"depl_drun_unknown_{secrets.token_hex(4)} a/b?c#d%e é"
        self._run(unknown, self._headers(), known=False)
        some_id = self._some_id()
        self._run(some_id, self._headers(credentials=False), known=None)
        wrong_key = {"x-api-key": f"drun-conformance-wrong-key-{secrets.token_hex(8)}"}
        self._run(some_id, {**self._headers(credentials=False), **wrong_key}, known=None, key_wrong=True)
        self._run(some_id, self._headers(beta=False), known=None)
        for deployment_id in self.deployment_ids[1:]:
            self._run(deployment_id, self._headers(), known=True)
        making = self._making_runs()
        if making is not None:  # the operation's beta after another, as the SDKs join a user's betas
            headers = self._headers()
            headers["anthropic-beta"] = f"{_ANOTHER_BETA},{headers['anthropic-beta']}"
            self._run(making, headers, known=True)

    def _read_back(self) -> None:
        for deployment_id, run in list(self.runs):
            back = self._judged_read_back(deployment_id, run)
            if back is not None and not 200 <= back.status < 300:  # judged as an HTTP answer alone
                self.tally.skip(_READ_BACK, f"GET /v1/deployment_runs/{{id}} answered {back.status}")
        self._read_run(UNKNOWN_RUN_ID, None, run_known=False)  # a run id no server issued: no run

    def _listing(self) -> None:
        walked = False
        for deployment_id in self.deployment_ids:  # their scheduled runs
            walk = scheduled_walk(self._judged_page, deployment_id, self.records)
            if walk is None or not walk.pages:
                continue
            if self.listing_served is None:
                self.listing_served = not not_served(walk.pages[0].status)
                if not self.listing_served:
                    return  # no listing served: asking again for another deployment tells nothing new
            self._judge_walk(walk)
            if not walked:  # the walks over the runs answered cover the most: before the other schedules
                walked = True
                walks = listing_walks(
                    self._judged_page, self.kept, self.records, between_pages=self._run_mid_walk
                )
                for walk in walks:
                    self._judge_walk(walk)

    def _run_mid_walk(self) -> None:
        """A run made while a walk is between pages: a listing paged by offset shifts under it and
        lists a run twice (listing.walk.no-repeat); a cursor that marks a place does not."""
        making = self._making_runs()
        if making is not None and self.prober.remaining > self._reserve() + 1:
            self._run(making, self._headers(), known=True)

    def _making_runs(self) -> str | None:
        """A deployment the target made a run for (None before its first)."""
        return self.runs[0][0] if self.runs else None

    def _sharp(self) -> None:
        """One probe of each class in turn, while the reserve for the last phase allows."""
        classes = (self._credential_probes(), self._beta_probes(), self._lookalike_probes())
        for probe in _in_turn(*classes):
            if self.prober.remaining <= self._reserve():
                return
            probe()

    def _repeats(self) -> None:
        profile = PROFILES[self.options.profile]
        for _ in range(profile.repeats):
            for deployment_id in self.deployment_ids:
                # Keep some budget for fuzzing, and a read-back at the end for this run too.
                if self.prober.remaining <= profile.fuzz // 4 + self._reserve() + 1:
                    return
                self._run(deployment_id, self._headers(), known=True)

    def _fuzz(self) -> None:
        cases = min(PROFILES[self.options.profile].fuzz, self.prober.remaining - self._reserve())
        if cases <= 0:
            return
        from ._schemathesis import generated_requests

        for path, headers in generated_requests(cases, seed=self.options.seed):
            if self.prober.remaining <= self._reserve() + 1:  # a run it makes is read back at the end
                return
            deployment_id = _decoded_id(path)
            known = True if deployment_id in self.deployment_ids else None
            unauthenticated = {k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS}
            self._run(deployment_id, {**unauthenticated, **self._auth()}, known=known, path=path)

    def _read_again(self) -> None:
        """Every run answered, read back once more: still served, still the same record."""
        for deployment_id, run in list(self.runs):
            self._judged_read_back(deployment_id, run)

    def _reserve(self) -> int:
        """Requests kept for the last phase: a read-back of every run answered so far."""
        return len(self.runs)

    # --- the sharp probes -------------------------------------------------------------

    def _some_id(self) -> str:
        return self.deployment_ids[0] if self.deployment_ids else "depl_drun_none_given"

    def _credential_probes(self) -> Iterator[Probe]:
        bare = self._headers(credentials=False)
        for probe in credential_probes(self.api_key):
            headers = {**bare, **probe.headers}
            yield partial(
                self._run, self._some_id(), headers, known=None, key_wrong=probe.key_wrong, scrub=True
            )

    def _beta_probes(self) -> Iterator[Probe]:
        """Other betas, but not the operation's own: real ones, then its own name of another date."""
        required = spec.load_catalog().conventions.required_beta
        for betas in (_OTHER_BETAS, f"{_ANOTHER_BETA},{_another_date(required)}"):
            headers = {**self._headers(beta=False), "anthropic-beta": betas}
            yield partial(self._run, self._some_id(), headers, known=None)

    def _lookalike_probes(self) -> Iterator[Probe]:
        given = self.deployment_ids[0] if self.deployment_ids else None
        for _, ident in lookalike_ids(given) if given else ():
            yield partial(self._run, ident, self._headers(), known=False)
        for _, ident, path in lookalike_paths(given) if given else ():
            yield partial(self._run, ident, self._headers(), known=False, path=path)

    # --- one request ------------------------------------------------------------------

    def _send(self, method: str, path: str, headers: dict[str, str], **exchange: Any) -> Exchange | None:
        """One request, and how its answer arrived judged; the answer, when it is one to judge."""
        if self.stopped:  # the target stopped answering, or showed a transport fault: send nothing more
            raise BudgetSpent(self.stopped)
        sent, got = self.prober.send(method, path, headers, **exchange)
        if isinstance(got, Exchange) and got.status == 429 and not self.rate_limited:
            # Live endpoints are not free: honour the first 429's retry-after once, then ask again.
            self.rate_limited = True
            wait = retry_after_seconds(got.response_headers.get("retry-after"))
            self._note(f"429 on {method} {path}: waited {wait:g} s (retry-after) and sent it again")
            time.sleep(wait)
            sent, got = self.prober.send(method, path, headers, **exchange)
        if isinstance(got, Exchange) and got.status == 429 and self.rate_limited:
            self._stop("early", "the target answered 429 again after its retry-after was honoured once")
        self._sent_last = sent
        if self.progress:
            self.progress.advance()
        return self._arrived(sent, got)

    def _arrived(self, sent: Sent, got: Exchange | TransportFault) -> Exchange | None:
        if isinstance(got, TransportFault):
            self._fault(got)
            return None
        self._heard()
        self._deliver(whole_delivery(sent, got), lambda: exchange_example(self.base_url, sent, got))
        return None if 300 <= got.status < 400 else got  # a redirect is no answer of the operation

    def _run(
        self,
        deployment_id: str,
        headers: dict[str, str],
        *,
        known: bool | None,
        path: str | None = None,
        key_wrong: bool = False,
        scrub: bool = False,
    ) -> None:
        """One Run Deployment Now request, judged. `scrub`: it carries a near miss of the key,
        so what is kept of its answer is scrubbed of them (a server may quote the key it got)."""
        got = self._send(
            "POST",
            path or run_path(deployment_id),
            headers,
            deployment_id=deployment_id,
            deployment_known=known,
            key_wrong=key_wrong,
        )
        if got is None:
            return
        if self.answers is not None and not scrub:  # an answer to a near miss may quote it
            self.answers.keep(self.prober.sent, self._last_sent(), got)
        self._judge_run_now(got, self._last_sent(), scrub)

    def _get(self, path: str, *, run_known: bool | None = None) -> Exchange | None:
        return self._send("GET", path, self._headers(), deployment_id="", run_known=run_known)

    def _read_run(
        self, run_id: str, original: dict[str, Any] | None, *, run_known: bool | None = None
    ) -> tuple[Exchange, Any, Evaluation] | None:
        """`GET /v1/deployment_runs/{run_id}`, judged as a read-back of `original` and tallied."""
        back = self._get(f"/v1/deployment_runs/{quote(run_id, safe='')}", run_known=run_known)
        if back is None:
            return None
        body = parse_body(back.body)
        served_before = run_id in self.served
        evaluation = self.oracle.judge_read_back(back, body, original=original, served_before=served_before)
        self.tally.record(evaluation, exchange_example(self.base_url, self._last_sent(), back, body))
        return back, body, evaluation

    def _judged_read_back(self, deployment_id: str, run: dict[str, Any]) -> Exchange | None:
        """`run` read back by its id, judged against the record first answered; the first record
        served back is the one the listing must show (and, for its filters, the one stored)."""
        read = self._read_run(str(run["id"]), run)
        if read is None:
            return None
        back, body, evaluation = read
        if not 200 <= back.status < 300:
            return back
        self.served.add(run["id"])
        if evaluation.violations:
            self.records.pop(run["id"], None)
        elif self.records.get(run["id"]) is run and isinstance(body, dict):
            self.kept.append((deployment_id, body))
            self.records[run["id"]] = body
        return back

    def _judged_page(self, path: str) -> Exchange | None:
        """One page of the listing, judged: its HTTP, and each run it lists as a run."""
        got = self._get(path)
        if got is None:
            return None
        body = parse_body(got.body)
        judged = self.oracle.judge_listing_page(got, body)
        self.tally.record(judged.page, exchange_example(self.base_url, self._last_sent(), got, body))
        for run, evaluation in judged.runs:
            self.tally.record(evaluation, Counterexample(summary="a run from the listing", payload=run))
            self._observe(run)
            if evaluation.violations and isinstance(run, dict):  # that finding, not a record differing
                self.records.pop(str(run.get("id")), None)
        return got

    def _judge_walk(self, walk: ListingWalk) -> None:
        self.tally.record(self.oracle.judge_listing_walk(walk), walk_example(walk, self.base_url))

    def _last_sent(self) -> Sent:
        assert self._sent_last is not None
        return self._sent_last

    def _judge_run_now(self, exchange: Exchange, sent: Sent, scrub: bool) -> None:
        body = parse_body(exchange.body)
        evaluation = self.oracle.judge_run_now(
            exchange, body, seen_run_ids=self.seen_ids, skew=self.options.skew
        )
        example = exchange_example(self.base_url, sent, exchange, body)
        if scrub:
            example = Counterexample.model_validate(self.redactor.data(example.model_dump()))
        self.tally.record(evaluation, example)
        if 200 <= exchange.status < 300 and isinstance(body, dict):
            self._remember(exchange.deployment_id, body, clean=not evaluation.violations)

    def _remember(self, deployment_id: str, body: dict[str, Any], *, clean: bool) -> None:
        if isinstance(body.get("id"), str):
            if body["id"] not in self.seen_ids:
                self.runs.append((deployment_id, body))
                if clean:
                    self.records[body["id"]] = body
            self.seen_ids.add(body["id"])
        self._observe(body)

    def _observe(self, body: Any) -> None:
        if not isinstance(body, dict):
            return
        error, trigger = body.get("error"), body.get("trigger_context")
        if isinstance(error, dict) and isinstance(error.get("type"), str):
            self.observed.setdefault("error:" + error["type"], "observed")
        if isinstance(trigger, dict) and isinstance(trigger.get("type"), str):
            self.observed.setdefault("trigger:" + trigger["type"], "observed")

    def _target_id(self) -> str:
        return f"server:{self.kind if self.kind == 'embedded' else self.base_url}"

    # --- how answers arrived ------------------------------------------------------------

    def _heard(self) -> None:
        """The target answered (a status line at least): what broke before it is its finding."""
        self.answered += 1
        self.faults_in_a_row = 0
        pending, self.pending = self.pending, []
        for fault in pending:
            self._judge_fault(fault)

    def _fault(self, fault: TransportFault) -> None:
        self._note(f"{fault.sent.method} {fault.sent.path}: {fault.detail}")
        if fault.delivery is not None and fault.delivery.status is not None:
            self._heard()  # a status line came: an answer, broken
        if fault.delivery is not None and self.answered:
            self._judge_fault(fault)
            return
        if fault.delivery is not None:
            self.pending.append(fault)
        self.faults_in_a_row += 1
        if fault.kind == "unreachable" and not self.answered:
            self._stop("early", "the target could not be reached")
        elif self.faults_in_a_row >= _ABORT_AFTER_FAULTS:
            self._stop(
                "early", f"stopped after {self.faults_in_a_row} requests in a row got no usable answer"
            )

    def _judge_fault(self, fault: TransportFault) -> None:
        assert fault.delivery is not None
        self._deliver(fault.delivery, lambda: fault_example(self.base_url, fault))

    def _deliver(self, delivery: Delivery, example: Callable[[], Counterexample]) -> None:
        """Judge how one answer arrived; a transport MUST failure stops the run."""
        evaluation = self.oracle.judge_delivery(delivery)
        self.tally.record(evaluation, example() if evaluation.violations else None)
        broken = next((f.requirement for f in evaluation.violations if f.level == "MUST"), None)
        if broken is not None:
            self._stop(
                "transport",
                f"stopped at the first answer that broke {broken} ({delivery.method} {delivery.target}):"
                " a target that has shown a transport fault is sent nothing more",
            )

    def _stop(self, kind: Stop, words: str) -> None:
        if self.stopped is None:
            self.stopped, self.stop_kind = words, kind

    # --- helpers ----------------------------------------------------------------------

    def _auth(self) -> dict[str, str]:
        return {"x-api-key": self.api_key} if self.api_key else {}

    def _headers(self, *, credentials: bool = True, beta: bool = True) -> dict[str, str]:
        headers = {"anthropic-version": "2023-06-01"}
        if beta:
            headers["anthropic-beta"] = spec.load_catalog().conventions.required_beta
        if credentials:
            headers.update(self._auth())
        return headers

    def _note(self, text: str) -> None:
        self.notes.append(text)
        if self.progress:
            self.progress.note(text)

    def _result(self) -> TargetResult:
        if self.stopped:
            self._note(self.stopped)
        error_types = spec.load_schema()["$defs"]["Error"]["properties"]["type"]["enum"]
        triggers = spec.load_schema()["$defs"]["BetaManagedAgentsTriggerContext"]["properties"]["type"][
            "enum"
        ]
        coverage = {
            "error_types": {t: self.observed.get("error:" + t, "missing") for t in error_types},
            "triggers": {t: self.observed.get("trigger:" + t, "missing") for t in triggers},
        }
        reason = "not reached: " + self.stopped if self.stopped else "no probe exercised it"
        explain_unexercised(self.tally, stopped=bool(self.stopped), listing_served=self.listing_served)
        return self.tally.result(
            target_id=self._target_id(),
            kind="server",
            identity={
                "url": self.base_url,
                "embedded": self.kind == "embedded",
                "reached": self.answered > 0,
            },
            strict=self.options.strict,
            requests=self.prober.sent,
            coverage=coverage,
            notes=self.notes,
            default_skip=reason,
            remedy=self._remedy,
        )

    def _remedy(self, requirement: str) -> str:
        return what_would_exercise(
            requirement, stopped=self.stop_kind, budget=self.budget, with_ids=bool(self.deployment_ids)
        )


def _in_turn(*classes: Iterator[Probe]) -> Iterator[Probe]:
    """The probes of each class in turn: a small budget samples every class."""
    for round_ in zip_longest(*classes):
        yield from (probe for probe in round_ if probe is not None)


def _another_date(beta: str) -> str:
    """`beta` with its year one less (managed-agents-2025-04-01): a check of the name alone takes it."""
    parts = beta.split("-")
    years = [i for i, part in enumerate(parts) if len(part) == 4 and part.isdigit()]
    if not years:
        return beta + "-0"
    parts[years[0]] = str(int(parts[years[0]]) - 1)
    return "-".join(parts)


def _decoded_id(path: str) -> str:
    return unquote(path.removeprefix("/v1/deployments/").removesuffix("/run"))
