"""Check a server: plan probes that cover the most requirements per request, send them
within the budget, judge every exchange with the oracle, and tally a TargetResult.

Order of the plan, most coverage first: the first given deployment id, an unknown id that
needs escaping, no credentials, a wrong key, no beta (these create no run, and tell early
whether a target that did not answer the first answers at all), each other given id once;
then each run read back by its id and each id's scheduled runs listed (where served); then,
while budget remains, repeats of each id (intermittent faults) and Schemathesis cases. What
no probe exercised: see `_remedies`.

How every answer arrived is judged too (the oracle's delivery checks): one cut short, stalled,
past the size cap or redirected fails its transport requirement, and the run sends nothing
more. A target that never answered anything is unreachable (exit 3), not judged.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from drun_conformance import spec
from drun_conformance._secrets import CREDENTIAL_HEADERS
from drun_conformance.oracle import Delivery, Exchange, Oracle, parse_body
from drun_conformance.results import Counterexample, Interrupted, TargetResult, TargetTally

from ._listing_probe import listing_walks, walk_example
from ._options import PROFILES, ProgressSink, ServerOptions, budget_of
from ._remedies import Stop, explain_unexercised, what_would_exercise
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


def check_server(
    options: ServerOptions | None = None, *, progress: ProgressSink | None = None, **fields: Any
) -> TargetResult:
    """Probe one server: `check_server(base_url="https://staging.example", deployment_ids=("depl_1",))`
    or with ServerOptions; the embedded reference server when `base_url` is None.

    `progress` (a `drun_conformance.reports.Progress`, say) is advanced once a request and told every note.
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
    oracle: Oracle = field(default_factory=Oracle.default)
    tally: TargetTally = field(init=False)
    prober: Prober = field(init=False)
    seen_ids: set[str] = field(default_factory=set)
    runs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
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

    # --- the plan ---------------------------------------------------------------------

    def execute(self) -> TargetResult:
        with self.prober:
            for phase in (self._primary, self._read_back, self._repeats, self._fuzz):
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

    def _primary(self) -> None:
        if not self.deployment_ids:
            self._note("no --deployment-id given: the run requirements cannot be exercised")
        for deployment_id in self.deployment_ids[:1]:
            self._run(deployment_id, self._headers(), known=True)
        unknown = f"depl_drun_unknown_{secrets.token_hex(4)} a/b?c#d%e é"
        self._run(unknown, self._headers(), known=False)
        some_id = self.deployment_ids[0] if self.deployment_ids else unknown
        self._run(some_id, self._headers(credentials=False), known=None)
        wrong_key = {"x-api-key": f"drun-conformance-wrong-key-{secrets.token_hex(8)}"}
        self._run(some_id, {**self._headers(credentials=False), **wrong_key}, known=None, key_wrong=True)
        self._run(some_id, self._headers(beta=False), known=None)
        for deployment_id in self.deployment_ids[1:]:
            self._run(deployment_id, self._headers(), known=True)

    def _read_back(self) -> None:
        kept = []  # the runs the server serves back by id: the listing walks must list them too
        for deployment_id, run in list(self.runs):
            back = self._get(f"/v1/deployment_runs/{quote(str(run['id']), safe='')}")
            if back is None:
                continue
            body = parse_body(back.body)
            evaluation = self.oracle.judge_read_back(back, body, original=run)
            self.tally.record(evaluation, exchange_example(self.base_url, self._last_sent(), back, body))
            if 200 <= back.status < 300:
                kept += [(deployment_id, run)] if back.status == 200 else []
            else:  # judged as an HTTP answer, not as the run
                self.tally.skip(_READ_BACK, f"GET /v1/deployment_runs/{{id}} answered {back.status}")
        for deployment_id in self.deployment_ids:  # the scheduled runs of the deployments under test
            query = f"deployment_id={quote(deployment_id, safe='')}&trigger_type=schedule&limit=5"
            listing = self._judged_page(f"/v1/deployment_runs?{query}")
            if listing is None:
                continue
            body = parse_body(listing.body)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                self.listing_served = False
                return  # no listing served: asking again for another deployment tells nothing new
            self.listing_served = True
        for walk in listing_walks(self._judged_page, kept):
            self.tally.record(self.oracle.judge_listing_walk(walk), walk_example(walk, self.base_url))

    def _repeats(self) -> None:
        profile = PROFILES[self.options.profile]
        for _ in range(profile.repeats):
            for deployment_id in self.deployment_ids:
                if self.prober.remaining <= profile.fuzz // 4:  # keep some budget for fuzzing
                    return
                self._run(deployment_id, self._headers(), known=True)

    def _fuzz(self) -> None:
        cases = min(PROFILES[self.options.profile].fuzz, self.prober.remaining)
        if cases <= 0:
            return
        from ._schemathesis import generated_requests

        for path, headers in generated_requests(cases, seed=self.options.seed):
            deployment_id = _decoded_id(path)
            known = True if deployment_id in self.deployment_ids else None
            unauthenticated = {k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS}
            self._run(deployment_id, {**unauthenticated, **self._auth()}, known=known, path=path)

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
    ) -> None:
        got = self._send(
            "POST",
            path or run_path(deployment_id),
            headers,
            deployment_id=deployment_id,
            deployment_known=known,
            key_wrong=key_wrong,
        )
        if got is not None:
            self._judge_run_now(got, self._last_sent())

    def _get(self, path: str) -> Exchange | None:
        return self._send("GET", path, self._headers(), deployment_id="")

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
        return got

    def _last_sent(self) -> Sent:
        assert self._sent_last is not None
        return self._sent_last

    def _judge_run_now(self, exchange: Exchange, sent: Sent) -> None:
        body = parse_body(exchange.body)
        evaluation = self.oracle.judge_run_now(
            exchange, body, seen_run_ids=self.seen_ids, skew=self.options.skew
        )
        self.tally.record(evaluation, exchange_example(self.base_url, sent, exchange, body))
        if 200 <= exchange.status < 300 and isinstance(body, dict):
            self._remember(exchange.deployment_id, body)

    def _remember(self, deployment_id: str, body: dict[str, Any]) -> None:
        if isinstance(body.get("id"), str):
            if body["id"] not in self.seen_ids:
                self.runs.append((deployment_id, body))
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
            target_id=f"server:{self.kind if self.kind == 'embedded' else self.base_url}",
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


def _decoded_id(path: str) -> str:
    return unquote(path.removeprefix("/v1/deployments/").removesuffix("/run"))
