"""The judging half of the proxy: each exchange that passed, sorted by operation and judged by
the oracle, the same checks `server` and `client` run.

    POST .../deployments/{id}/run   the answer against the server requirements; the request
                                    against the client-request ones, per client (User-Agent)
    GET  .../deployment_runs/{id}   the answer, and against the run first answered if remembered
    GET  .../deployment_runs        the page's HTTP, and each run it lists; pages followed by
                                    next_page form a walk, judged by the listing requirements
                                    when it ends
    anything else                   passed through, counted, not judged

A body cut at the judging cap is not judged (a cut body would read as broken JSON), nor an
exchange without a whole answer (`Lost`): each is counted and said why (see _account).

Off the forwarding path: the forwarder hands exchanges over (`submit`, `note`) and they are
judged in order between forwarding work (see _backlog); `results` waits for that to catch up.
Bounded for a proxy that runs for days (`Bounds`): what the verdict needs is counts and one
counterexample per requirement (the tallies'); runs, listing walks, clients, passed-through
operations, not-judged notes and credentials are each kept up to a cap, and what went past
a cap is counted and said in the report. Everything kept or printed is scrubbed as it is
made (see _evidence).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import parse_qsl, unquote

from drun_conformance import spec
from drun_conformance._secrets import (
    KeyRing,
    Redactor,
    credentials_in_request,
    presented_keys,
    redact_headers,
)
from drun_conformance.oracle import (
    LISTING_FILTERS,
    ClientCall,
    Delivery,
    Evaluation,
    Exchange,
    ListingPage,
    ListingWalk,
    Oracle,
    RecordedRequest,
    parse_body,
)
from drun_conformance.results import Counterexample, TargetResult, TargetTally
from drun_conformance.server._replay import AnswerLog
from drun_conformance.server._transport import Sent

from ._account import NOT_JUDGED, OTHER_CLIENTS, Account
from ._backlog import Backlog
from ._bounds import Bounds
from ._console import Console
from ._evidence import Judged, counterexample, scrubbed, shown, walk_counterexample
from ._forward import Lost, Seen
from ._operations import decoded, operation
from ._runs import RememberedRuns
from ._walks import OpenWalks, Walk

__all__ = ["Judge"]

# Requirements of an SDK call that one request on the wire cannot show.
_CALL_ONLY = {
    "client.request.once": "a proxy sees requests, not the calls behind them (retries included)",
    "client.request.beta.requested": "a proxy does not know which betas the caller passed",
    "client.retrieve.path": "a proxy does not know which run id the caller asked for",
    "client.list.query": "a proxy does not know which filters the caller passed",
    "client.list.cursor": "a proxy sees pages, not the walk the caller asked for",
}


class Judge:
    """Tallies per target: the upstream (server side) and each client seen (by User-Agent)."""

    def __init__(
        self,
        upstream: str,
        *,
        out: TextIO = sys.stdout,
        on_exchange: Callable[[int], None] | None = None,
        bounds: Bounds | None = None,
        clock: Callable[[], float] = time.monotonic,
        keep_answers: bool = False,
    ):
        bounds = bounds or Bounds()
        self.upstream, self.on_exchange, self.bounds = upstream.rstrip("/"), on_exchange, bounds
        # The run-now answers, kept to be read through SDKs once forwarding is over (--through-sdk).
        self.answers = (
            AnswerLog(bounds.answers, bounds.answer_bytes, server=f"server:{self.upstream}")
            if keep_answers
            else None
        )
        self.oracle = Oracle.default()
        self.catalog = spec.load_catalog()
        self._client_side = frozenset(r.id for r in self.catalog.on("client-request")) - frozenset(_CALL_ONLY)
        self.server = TargetTally(self.catalog, sides={"server"})
        self.clients: dict[str, TargetTally] = {}
        self.client_requests: dict[str, int] = {}
        self.received = 0  # exchanges taken: each judged, passed through or not judged
        self.judged = 0
        self.account = Account(bounds)
        self.keys = KeyRing(bounds.keys)
        self._runs = RememberedRuns(bounds.runs)
        self._walks = OpenWalks(bounds.walks, bounds.walks_runs, bounds.walk_idle_s, clock)
        self.console = Console(out, lambda line: self.keys.redactor.text(line))
        self._lock = threading.Lock()  # judging and reading the results, from different threads
        self._backlog: Backlog[Seen | Lost] = Backlog(
            self,
            most_items=bounds.backlog_items,
            most_bytes=bounds.backlog_bytes,
            idle=self.console.soon,
        )

    # --- handing over (from the forwarder's event loop) ----------------------------------

    async def submit(self, seen: Seen) -> None:
        """Queue `seen` for judging; waits while the backlog is full."""
        await self._backlog.put(seen, len(seen.request_body) + len(seen.response_body))

    def note(self, lost: Lost) -> None:
        """Queue an exchange without a whole answer (counted and said, not judged)."""
        self._backlog.put_nowait(lost)

    def flush(self, timeout: float = 60.0) -> int:
        """Wait until every exchange handed over so far is judged: how many are not."""
        return self._backlog.flush(timeout)

    def close(self) -> None:
        """Once the forwarder's loop has stopped: judge what is left, here."""
        self._backlog.close()

    # --- one exchange -----------------------------------------------------------------

    def __call__(self, outcome: Seen | Lost) -> None:
        """Judge one exchange now, on this thread (the backlog's, or a test's). Never raises."""
        with self._lock:
            judged = self.judged
            try:
                self._take(outcome)
            except Exception as exc:  # our fault: the exchange is counted once, the proxy goes on
                self.judged = judged
                self._not(outcome, "judge-failed", type(exc).__name__, self.keys.redactor)
        if self.on_exchange is not None and isinstance(outcome, Seen):
            self.on_exchange(self.judged)

    def _take(self, outcome: Seen | Lost) -> None:
        self.received += 1
        keys = credentials_in_request(outcome.target, outcome.request_headers, outcome.request_body)
        redactor = self.keys.saw(keys)
        for walk in self._walks.stale():
            self._finish(walk)
        path, _, query = outcome.target.partition("?")
        kind, ident = operation(outcome.method, path)
        if isinstance(outcome, Lost):
            if outcome.upstream is not None and kind != "other":  # the upstream's answer broke
                self._delivered(outcome, redactor)
            self._not(outcome, outcome.kind, outcome.detail, redactor)
            return
        seen = outcome
        if kind == "other":
            self.account.passed(f"{seen.method} {shown(redactor, path, 60)}")
            return
        delivery = self._delivered(seen, redactor)
        if 300 <= seen.status < 400:  # judged by how it arrived alone: no answer of the operation
            self.judged += 1
            where = shown(redactor, seen.target, 120)
            self.console.print(
                f"drun proxy #{self.judged} {seen.method} {where} -> {seen.status}  {delivery}"
            )
            return
        body = decoded(seen)
        if body is None:
            self._not(seen, "over-cap" if seen.response_truncated else "encoding", "", redactor)
            return
        self.judged += 1
        parsed = parse_body(body)
        exchange = Exchange(
            method=seen.method,
            deployment_id=unquote(ident, errors="replace") if kind == "run-now" else "",
            request_headers=seen.request_headers,
            status=seen.status,
            response_headers=seen.response_headers,
            body=body,
            received_at=datetime.now(UTC),
        )
        case = Judged(seen, body, parsed, exchange, redactor, keys)
        took = f"{seen.elapsed_s * 1000:.0f} ms"
        verdicts = [f"{seen.method} {shown(redactor, seen.target, 120)} -> {seen.status} ({took})"]
        if kind == "run-now":
            verdicts.append(self._run_now(case))
        elif kind == "read-back":
            verdicts.append(self._read_back(case, unquote(ident, errors="replace")))
        else:
            verdicts.append(self._listing(case, query))
        self.console.print(f"drun proxy #{self.judged} " + "  ".join(verdicts))  # scrubbed as printed

    def _run_now(self, case: Judged) -> str:
        parsed, seen = case.parsed, case.seen
        run_id = parsed.get("id") if isinstance(parsed, dict) else None
        # Whether this id was answered before, as far as the proxy remembers (see Bounds.runs).
        again = (run_id,) if isinstance(run_id, str) and run_id in self._runs else ()
        server = self._record(
            self.server, self.oracle.judge_run_now(case.exchange, parsed, seen_run_ids=again), case
        )
        if 200 <= seen.status < 300 and isinstance(parsed, dict) and isinstance(run_id, str):
            self._runs.add(run_id, parsed)
        if self.answers is not None:
            path = shown(case.redactor, seen.target.partition("?")[0], 120)
            self.answers.keep(self.judged, Sent(seen.method, path, {}), case.exchange)
        name, tally = self._client(
            shown(case.redactor, seen.request_headers.get("user-agent", "unknown client"), 80)
        )
        key = next(iter(presented_keys(seen.request_headers)), "")
        call = ClientCall(
            deployment_id=case.exchange.deployment_id,
            betas=None,
            # The proxy cannot know the configured key: any sent is it; none sent matches nothing.
            api_key=key or "\x00no key sent",
            status=seen.status,
            served_headers=seen.response_headers,
            served=parsed,
            requests=(RecordedRequest(seen.method, seen.target, seen.request_headers, seen.request_body),),
            answer=None,
        )
        evaluation = self.oracle.judge_client_request(call)
        wanted = self._client_side
        client = self._record(
            tally,
            Evaluation(
                [f for f in evaluation.findings if f.requirement in wanted],
                frozenset(evaluation.exercised & wanted),
            ),
            case,
        )
        return f"server: {server}  client {name!r}: {client}"

    def _client(self, name: str) -> tuple[str, TargetTally]:
        """The client's tally; past the cap, a new client's requests go to OTHER_CLIENTS."""
        if name not in self.clients and len(self.clients) >= self.bounds.clients:
            name = OTHER_CLIENTS
        if name == OTHER_CLIENTS:
            self.account.pooled += 1
        tally = self.clients.get(name)
        if tally is None:
            tally = self.clients[name] = TargetTally(self.catalog, sides={"client-request"})
            for rid, reason in _CALL_ONLY.items():  # no request through a proxy can show these
                tally.not_applicable(rid, reason)
        self.client_requests[name] = self.client_requests.get(name, 0) + 1
        return name, tally

    def _read_back(self, case: Judged, run_id: str) -> str:
        """A read-back of `run_id` (the id asked for): the record first answered for it, and,
        once the upstream has served it by id, a 404 later is a run no longer served."""
        exchange = case.exchange
        original = self._runs.get(run_id)
        answered = 200 <= exchange.status < 300
        if original is None and answered:
            self.account.read_backs_unremembered += 1
        served_before = self._runs.served(run_id)
        evaluation = self.oracle.judge_read_back(
            exchange, case.parsed, original=original, served_before=served_before
        )
        if answered:
            self._runs.mark_served(run_id)
        return "server: " + self._record(self.server, evaluation, case)

    def _listing(self, case: Judged, query: str) -> str:
        judged = self.oracle.judge_listing_page(case.exchange, case.parsed)
        verdict = self._record(self.server, judged.page, case)
        for _, evaluation in judged.runs:
            self._record(self.server, evaluation, case)
        params = dict(parse_qsl(query, keep_blank_values=True))
        cursor = params.get("page")
        walk = self._walks.take(cursor) if cursor else None
        if walk is None:
            limit = params.get("limit", "")
            walk = Walk(
                filters={k: v for k, v in params.items() if k in LISTING_FILTERS},
                limit=int(limit) if limit.isdecimal() and limit.isascii() else None,
                # The runs it must list are those answered before it began: worked out at its end.
                since=None if cursor else self._runs.answered,
                touched=0.0,
            )
        page = ListingPage(case.seen.status, case.parsed, cursor)
        walk.pages.append(page)
        walk.keys |= case.keys
        walk.listed += len(page.runs)
        following = page.next_page
        if 200 <= case.seen.status < 300 and isinstance(following, str) and following:
            if walk.listed < self.bounds.walk_runs:
                for dropped in self._walks.wait(following, walk):
                    self._finish(dropped)
                return f"server: {verdict} (walk: page {len(walk.pages)}, more to follow)"
            self.account.walks_cut += 1
        return f"server: {verdict}; walk of {len(walk.pages)} page(s): {self._finish(walk)}"

    def _finish(self, walk: Walk) -> str:
        listing = ListingWalk(walk.filters, walk.limit, tuple(walk.pages))
        if walk.since is not None and listing.complete:
            listing = replace(listing, known_ids=self._runs.known(walk.filters, until=walk.since))
        redactor = self.keys.redactor.with_secrets(walk.keys)
        evaluation = self.oracle.judge_listing_walk(listing)
        return self._tally(self.server, evaluation, redactor, lambda: walk_counterexample(walk, redactor))

    def _delivered(self, outcome: Seen | Lost, redactor: Redactor) -> str:
        """How the upstream's answer arrived (the http.answer.* requirements): whole, or how it
        broke; the proxy is its client here, so its read timeout is the one that ran out."""
        target = redactor.text(outcome.target)
        if isinstance(outcome, Seen):
            length = outcome.response_headers.get("content-length", "")
            delivery = Delivery(
                outcome.method,
                target,
                "whole",
                status=outcome.status,
                received=len(outcome.response_body),
                declared=int(length) if length.isdecimal() and length.isascii() else None,
                location=outcome.response_headers.get("location"),
            )
        else:
            assert outcome.upstream is not None
            delivery = Delivery(
                outcome.method,
                target,
                outcome.upstream.ending,
                status=outcome.upstream.status,
                received=outcome.upstream.received,
                waited_s=outcome.upstream.waited_s,
                detail=redactor.text(outcome.detail),
            )
        evaluation = self.oracle.judge_delivery(delivery)
        example = None
        if evaluation.violations:  # a finding quotes what came (a redirect's location: a key in it)
            headers = redactor.data(redact_headers(outcome.request_headers))
            request = {"method": outcome.method, "url": self.upstream + target, "headers": headers}
            example = Counterexample(summary="how the upstream's answer arrived", request=request)
            violations = scrubbed(evaluation.violations, redactor)
            evaluation = Evaluation(violations, evaluation.exercised, evaluation.skipped)
        self.server.record(evaluation, example)
        failed = ", ".join(f"{f.requirement} ({f.level})" for f in evaluation.violations)
        return f"server: FAILED {failed}" if failed else "server: ok"

    # --- what was not judged ------------------------------------------------------------

    def _not(self, outcome: Seen | Lost, why: str, detail: str, redactor: Redactor) -> None:
        path = outcome.target.partition("?")[0]
        line = f"{outcome.method} {shown(redactor, path, 80)}: {NOT_JUDGED[why]}"
        line += f" ({redactor.text(detail)})" if detail else ""
        self.account.skipped(why, line)
        self.console.print(f"drun proxy: {line}: not judged")

    # --- results ------------------------------------------------------------------------

    @property
    def secrets(self) -> frozenset[str]:
        """The credentials remembered (see KeyRing): the final pass over the reports replaces them."""
        with self._lock:
            return self.keys.secrets

    def results(self, *, strict: bool = False, wait: float = 60.0) -> list[TargetResult]:
        """The upstream's result and each client's: once every exchange handed over so far is
        judged (at most `wait` s); open walks are judged as they stand."""
        left = self.flush(wait)
        with self._lock:
            for walk in self._walks.drain():
                self._finish(walk)
            self.console.flush()
            # As the report files are redacted, so is what is printed of them (the console summary).
            redactor = self.keys.redactor
            return [
                TargetResult.model_validate(redactor.data(t.model_dump(mode="json")))
                for t in self._results(strict, left)
            ]

    def _results(self, strict: bool, left: int) -> list[TargetResult]:
        notes = self.account.notes(self.judged, self.received, self._runs, self._walks, self.keys, left)
        targets = [
            self.server.result(
                target_id=f"server:{self.upstream}",
                kind="server",
                identity={"url": self.upstream, "embedded": False, "reached": True, "via": "proxy"},
                strict=strict,
                requests=self.judged,
                notes=notes,
                default_skip="no exchange through the proxy exercised it",
            )
        ]
        for name, tally in self.clients.items():
            identity: dict[str, Any] = {"user_agent": name, "via": "proxy"}
            if name == OTHER_CLIENTS:
                identity["pooled"] = f"every client after the first {self.bounds.clients} User-Agents"
            targets.append(
                tally.result(
                    target_id=f"client:{name}",
                    kind="client",
                    identity=identity,
                    strict=strict,
                    requests=self.client_requests[name],
                    default_skip="no request through the proxy exercised it",
                )
            )
        return targets

    # --- helpers ----------------------------------------------------------------------

    def _record(self, tally: TargetTally, evaluation: Evaluation, case: Judged) -> str:
        return self._tally(tally, evaluation, case.redactor, lambda: counterexample(case, self.upstream))

    def _tally(
        self,
        tally: TargetTally,
        evaluation: Evaluation,
        redactor: Redactor,
        example: Callable[[], Counterexample],
    ) -> str:
        violations = evaluation.violations
        if not violations:
            tally.record(evaluation)
            return "ok"
        kept = Evaluation(scrubbed(violations, redactor), evaluation.exercised, evaluation.skipped)
        tally.record(kept, example())
        return "FAILED " + ", ".join(dict.fromkeys(f"{f.requirement} ({f.level})" for f in violations))
