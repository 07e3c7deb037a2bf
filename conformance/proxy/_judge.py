"""The judging half of the proxy: each exchange that passed, sorted by operation and judged by
the oracle, the same checks `server` and `client` run.

    POST .../deployments/{id}/run   the answer against the server requirements; the request
                                    against the client-request ones, per client (User-Agent)
    GET  .../deployment_runs/{id}   the answer, and against the run first answered if remembered
    GET  .../deployment_runs        the page's HTTP; pages followed by next_page form a walk,
                                    judged by the listing requirements when it ends
    anything else                   passed through, counted, not judged

A body cut at the judging cap is not judged (a cut body would read as broken JSON), nor an
exchange without a whole answer (`Lost`): each is counted and said why.

Off the forwarding path: the forwarder hands exchanges over (`submit`, `note`) and they are
judged in order between forwarding work (see _backlog); `results` waits for that to catch up. Bounded for a
proxy that runs for days (`Bounds`): what the verdict needs is counts and one counterexample
per requirement (the tallies'); runs, listing walks, clients, passed-through operations,
not-judged notes and credentials are each kept up to a cap, and what went past a cap is
counted and said in the report. Every text kept or printed is scrubbed as it is made, with
the credentials of the exchange it comes from and every one still remembered.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
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
from drun_conformance._verdict import Counterexample, TargetResult, TargetTally
from drun_conformance.oracle import (
    LISTING_FILTERS,
    UNPARSED,
    ClientCall,
    Evaluation,
    Exchange,
    ListingPage,
    ListingWalk,
    Oracle,
    RecordedRequest,
    cut,
    parse_body,
)

from ._backlog import Backlog
from ._forward import Lost, Seen
from ._runs import RememberedRuns
from ._walks import OpenWalks, Walk

__all__ = ["OTHER_CLIENTS", "Bounds", "Judge"]

# Requirements of an SDK call that one request on the wire cannot show.
_CALL_ONLY = {
    "client.request.once": "a proxy sees requests, not the calls behind them (retries included)",
    "client.request.beta.requested": "a proxy does not know which betas the caller passed",
}
_TEXT_CAP = 65536  # of a body, in a counterexample
_FLUSH_S = 0.2  # a console that is no terminal gets its lines this long after the judge idles
OTHER_CLIENTS = "other clients"  # the one target of every client past the cap
_OTHER_OPERATIONS = "(other operations)"
# Why an exchange was not judged, as the report says it.
_NOT_JUDGED = {
    "unreachable": "the upstream could not be reached (answered 502)",
    "timeout": "the upstream did not answer in time (answered 504)",
    "broken": "the upstream broke off mid-answer",
    "client-left": "the client left before the answer was complete",
    "stopped": "the proxy stopped before the answer was complete",
    "over-cap": "the answer was over the judging cap",
    "encoding": "the answer was in an encoding the judge cannot read",
    "judge-failed": "judging it failed (a fault in drun-conformance, not in the upstream)",
}


@dataclass(frozen=True, slots=True)
class Bounds:
    """What the judge keeps at most, whatever the traffic; past a cap the oldest goes first
    (or the newcomer is pooled), and the report says how much."""

    runs: int = 10_000  # run-now answers remembered, for read-backs and the walks' known runs
    walks: int = 100  # listing walks waiting for their next page
    walks_runs: int = 20_000  # runs listed over all their pages together
    walk_idle_s: float = 300.0  # a walk whose next page has not come by then is judged as it stands
    walk_runs: int = 10_000  # runs listed over one walk's pages; then it is judged as it stands
    clients: int = 32  # clients (User-Agents) judged apart; the rest as one, OTHER_CLIENTS
    passed_through: int = 100  # other operations counted apart; the rest as one
    notes: int = 20  # not-judged exchanges described one by one (all are counted)
    keys: int = 256  # credentials remembered (see KeyRing)
    backlog_items: int = 256  # exchanges handed over and not yet judged; then the forwarder waits
    backlog_bytes: int = 16 * 1024 * 1024  # their bodies' bytes, likewise


def _operation(method: str, path: str) -> tuple[str, str]:
    """(run-now | read-back | listing | other, the id in the path)."""
    parts = path.split("/")
    if len(parts) == 5 and parts[1:3] == ["v1", "deployments"] and parts[4] == "run":
        return "run-now", parts[3]
    if method == "GET" and parts[1:3] == ["v1", "deployment_runs"]:
        if len(parts) == 3:
            return "listing", ""
        if len(parts) == 4:
            return "read-back", parts[3]
    return "other", ""


def _decoded(seen: Seen) -> bytes | None:
    """The answer's body without its content-encoding; None when it cannot be judged."""
    if seen.response_truncated:
        return None
    encoding = seen.response_headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return seen.response_body
    if encoding not in ("gzip", "deflate"):
        return None
    try:
        inflate = zlib.decompressobj(wbits=47)  # 47: gzip or zlib, by the header
        return inflate.decompress(seen.response_body, 16 * 1024 * 1024)
    except zlib.error:
        return None


@dataclass(slots=True)
class _Case:
    """One exchange being judged, and its counterexample, made only if something fails."""

    seen: Seen
    body: bytes
    parsed: Any
    exchange: Exchange
    redactor: Redactor
    keys: set[str]
    made: Counterexample | None = None


class Judge:
    """Tallies per target: the upstream (server side) and each client seen (by User-Agent)."""

    def __init__(
        self,
        upstream: str,
        *,
        out: TextIO = sys.stdout,
        on_exchange: Callable[[int], None] | None = None,
        bounds: Bounds = Bounds(),
        clock: Callable[[], float] = time.monotonic,
    ):
        self.upstream, self.out, self.on_exchange = upstream.rstrip("/"), out, on_exchange
        self.bounds = bounds
        self.oracle = Oracle.default()
        self.catalog = spec.load_requirements()
        self._client_side = frozenset(
            r["id"] for r in self.catalog["requirements"] if r["side"] == "client-request"
        ) - frozenset(_CALL_ONLY)
        self.server = TargetTally(self.catalog, sides={"server"})
        self.clients: dict[str, TargetTally] = {}
        self.client_requests: dict[str, int] = {}
        self.received = 0  # exchanges taken: each judged, passed through or not judged
        self.judged = 0
        self.passed_through: dict[str, int] = {}
        self.not_judged: dict[str, int] = {}  # by why (see _NOT_JUDGED)
        self._not_judged_lines: list[str] = []  # the first few, described
        self._pooled_requests = 0  # run-now requests judged as OTHER_CLIENTS
        self._read_backs_unremembered = 0
        self._walks_cut = 0
        self.keys = KeyRing(bounds.keys)
        self._runs = RememberedRuns(bounds.runs)
        self._walks = OpenWalks(bounds.walks, bounds.walks_runs, bounds.walk_idle_s, clock)
        self._tty = _isatty(out)
        self._flushing = False  # a flush of the console is due shortly
        self._lock = threading.Lock()  # judging and reading the results, from different threads
        self._backlog: Backlog[Seen | Lost] = Backlog(
            self,
            most_items=bounds.backlog_items,
            most_bytes=bounds.backlog_bytes,
            idle=self._flush_soon,
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
        if isinstance(outcome, Lost):
            self._not(outcome, outcome.kind, outcome.detail, redactor)
            return
        seen = outcome
        path, _, query = seen.target.partition("?")
        operation, ident = _operation(seen.method, path)
        if operation == "other":
            self._passed(f"{seen.method} {_shown(redactor, path, 60)}")
            return
        body = _decoded(seen)
        if body is None:
            self._not(seen, "over-cap" if seen.response_truncated else "encoding", "", redactor)
            return
        self.judged += 1
        parsed = parse_body(body)
        exchange = Exchange(
            method=seen.method,
            deployment_id=unquote(ident, errors="replace") if operation == "run-now" else "",
            request_headers=seen.request_headers,
            status=seen.status,
            response_headers=seen.response_headers,
            body=body,
            received_at=datetime.now(UTC),
        )
        case = _Case(seen, body, parsed, exchange, redactor, keys)
        took = f"{seen.elapsed_s * 1000:.0f} ms"
        verdicts = [f"{seen.method} {_shown(redactor, seen.target, 120)} -> {seen.status} ({took})"]
        if operation == "run-now":
            verdicts.append(self._run_now(case))
        elif operation == "read-back":
            verdicts.append(self._read_back(case))
        else:
            verdicts.append(self._listing(case, query))
        self._print(redactor.text(f"drun proxy #{self.judged} " + "  ".join(verdicts)))

    def _run_now(self, case: _Case) -> str:
        parsed, seen = case.parsed, case.seen
        run_id = parsed.get("id") if isinstance(parsed, dict) else None
        # Whether this id was answered before, as far as the proxy remembers (see Bounds.runs).
        again = (run_id,) if isinstance(run_id, str) and run_id in self._runs else ()
        server = self._record(
            self.server,
            self.oracle.evaluate(parsed, exchange=case.exchange, seen_run_ids=again, coverage=True),
            case,
        )
        if 200 <= seen.status < 300 and isinstance(parsed, dict) and isinstance(run_id, str):
            self._runs.add(run_id, parsed)
        name, tally = self._client(
            _shown(case.redactor, seen.request_headers.get("user-agent", "unknown client"), 80)
        )
        key = next(iter(presented_keys(seen.request_headers)), "")
        call = ClientCall(
            deployment_id=case.exchange.deployment_id,
            betas=None,
            # The proxy cannot know the configured key: any sent is it; none sent matches nothing.
            api_key=key or "\x00no key sent",
            status=seen.status,
            served_headers=seen.response_headers,
            requests=(RecordedRequest(seen.method, seen.target, seen.request_headers, seen.request_body),),
            answer=None,
        )
        evaluation = self.oracle.evaluate(parsed, client=call)
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
            self._pooled_requests += 1
        tally = self.clients.get(name)
        if tally is None:
            tally = self.clients[name] = TargetTally(self.catalog, sides={"client-request"})
            for rid, reason in _CALL_ONLY.items():  # no request through a proxy can show these
                tally.not_applicable(rid, reason)
        self.client_requests[name] = self.client_requests.get(name, 0) + 1
        return name, tally

    def _read_back(self, case: _Case) -> str:
        parsed, exchange = case.parsed, case.exchange
        run_id = parsed.get("id") if isinstance(parsed, dict) else None
        original = self._runs.get(run_id) if isinstance(run_id, str) else None
        if original is not None:
            found = original.get("deployment_id")
            exchange = replace(exchange, deployment_id=found if isinstance(found, str) else "")
            evaluation = self.oracle.evaluate(parsed, exchange=exchange, original=original, coverage=True)
            return "server: " + self._record(self.server, evaluation, case)
        if isinstance(run_id, str) and 200 <= exchange.status < 300:
            self._read_backs_unremembered += 1
        http = self.oracle.evaluate(parsed, exchange=exchange, run_body=False, coverage=True)
        verdict = self._record(self.server, http, case)
        if 200 <= exchange.status < 300:
            verdict = self._record(
                self.server, self.oracle.evaluate(parsed, run_now=False, coverage=True), case
            )
        return "server: " + verdict

    def _listing(self, case: _Case, query: str) -> str:
        verdict = self._record(
            self.server,
            self.oracle.evaluate(case.parsed, exchange=case.exchange, run_body=False, coverage=True),
            case,
        )
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
        for item in page.runs:
            self._record(self.server, self.oracle.evaluate(item, run_now=False, coverage=True), case)
        following = page.next_page
        if 200 <= case.seen.status < 300 and isinstance(following, str) and following:
            if walk.listed < self.bounds.walk_runs:
                for dropped in self._walks.wait(following, walk):
                    self._finish(dropped)
                return f"server: {verdict} (walk: page {len(walk.pages)}, more to follow)"
            self._walks_cut += 1
        return f"server: {verdict}; walk of {len(walk.pages)} page(s): {self._finish(walk)}"

    def _finish(self, walk: Walk) -> str:
        listing = ListingWalk(walk.filters, walk.limit, tuple(walk.pages))
        if walk.since is not None and listing.complete:
            listing = replace(listing, known_ids=self._runs.known(walk.filters, until=walk.since))
        redactor = self.keys.redactor.with_secrets(walk.keys)

        def example() -> Counterexample:
            pages = [
                {"page": p.cursor, "status": p.status, "ids": [r.get("id") for r in p.runs]}
                for p in walk.pages
            ]
            return Counterexample(
                summary="a walk through the listing",
                payload=redactor.data({"query": walk.filters, "limit": walk.limit, "pages": pages}),
            )

        return self._tally(self.server, self.oracle.evaluate_listing(listing), redactor, example)

    # --- what was not judged ------------------------------------------------------------

    def _not(self, outcome: Seen | Lost, why: str, detail: str, redactor: Redactor) -> None:
        self.not_judged[why] = self.not_judged.get(why, 0) + 1
        path = outcome.target.partition("?")[0]
        line = f"{outcome.method} {_shown(redactor, path, 80)}: {_NOT_JUDGED[why]}"
        line += f" ({redactor.text(detail)})" if detail else ""
        if len(self._not_judged_lines) < self.bounds.notes:
            self._not_judged_lines.append(line)
        self._print(f"drun proxy: {line}: not judged")

    def _passed(self, key: str) -> None:
        if key not in self.passed_through and len(self.passed_through) >= self.bounds.passed_through:
            key = _OTHER_OPERATIONS
        self.passed_through[key] = self.passed_through.get(key, 0) + 1

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
            self._flush_out()
            return self._results(strict, left)

    def _results(self, strict: bool, left: int) -> list[TargetResult]:
        passed = sum(self.passed_through.values())
        skipped = sum(self.not_judged.values())
        notes = [
            f"{self.judged} exchanges judged, {passed} of other operations passed through unjudged, "
            f"{skipped} not judged ({self.received} in all)"
        ]
        notes += [f"not judged: {n} x {_NOT_JUDGED[why]}" for why, n in sorted(self.not_judged.items())]
        notes += [f"not judged: {line}" for line in self._not_judged_lines]
        notes += [f"passed through: {n} x {what}" for what, n in sorted(self.passed_through.items())]
        notes += self._bounds_notes(left)
        if not self.judged:
            notes.append("no Run Deployment Now, read-back or listing exchange passed through the proxy")
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

    def _bounds_notes(self, left: int) -> list[str]:
        """What went past a cap (Bounds), said only when something did."""
        b, notes = self.bounds, []
        if self._read_backs_unremembered:
            notes.append(
                f"{self._read_backs_unremembered} read-backs of runs the proxy does not remember (answered"
                f" before it started or elsewhere, or among the {self._runs.forgotten} forgotten: it keeps"
                f" the last {b.runs}) judged without comparing them to the record first answered"
            )
        if self._walks.expired:
            notes.append(
                f"{self._walks.expired} listing walks judged as they stood: their next page did not come"
                f" within {b.walk_idle_s:g} s, or more than {b.walks} were open at once (or more than"
                f" {b.walks_runs} runs listed over their pages)"
            )
        if self._walks_cut:
            notes.append(f"{self._walks_cut} listing walks judged as they stood after {b.walk_runs} runs")
        if self._pooled_requests:
            notes.append(
                f"{self._pooled_requests} run requests from clients after the first {b.clients} User-Agents"
                f" judged together as {OTHER_CLIENTS!r}"
            )
        if self.keys.forgotten:
            notes.append(
                f"{self.keys.forgotten} credentials seen beyond the {b.keys} most recent: each was scrubbed"
                " from everything kept as its exchange was judged"
            )
        if left:
            notes.append(f"{left} exchanges were still waiting to be judged when these results were read")
        return notes

    # --- helpers ----------------------------------------------------------------------

    def _record(self, tally: TargetTally, evaluation: Evaluation, case: _Case) -> str:
        def example() -> Counterexample:
            if case.made is None:
                case.made = self._example(case)
            return case.made

        return self._tally(tally, evaluation, case.redactor, example)

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
        # A finding may quote what it found: scrubbed before the tally keeps it.
        scrubbed = [
            replace(f, pointer=redactor.text(f.pointer), message=redactor.text(f.message)) for f in violations
        ]
        tally.record(Evaluation(scrubbed, evaluation.exercised, evaluation.skipped), example())
        return "FAILED " + ", ".join(dict.fromkeys(f"{f.requirement} ({f.level})" for f in violations))

    def _example(self, case: _Case) -> Counterexample:
        seen, redactor = case.seen, case.redactor
        # Twice the cap read, so a key across the cut is still whole when it is replaced.
        text = redactor.text(case.body[: 2 * _TEXT_CAP].decode("utf-8", "replace"))[:_TEXT_CAP]
        unparsed = case.parsed is UNPARSED
        return Counterexample(
            summary="",
            payload=None if unparsed else redactor.data(case.parsed),
            payload_text=text if unparsed else None,
            request={
                "method": seen.method,
                "url": redactor.text(self.upstream + seen.target),
                "headers": redactor.data(redact_headers(seen.request_headers)),
            },
            response={"status": seen.status, "headers": redactor.data(seen.response_headers), "body": text},
        )

    def _print(self, line: str) -> None:
        # Line by line to a terminal; to a file or a pipe, in blocks (see _flush_soon).
        print(line, file=self.out, flush=self._tty)

    def _flush_soon(self) -> None:
        """Nothing left to judge: the console gets its lines within _FLUSH_S (not a write a line)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # the loop has stopped: now
            self._flush_out()
            return
        if not self._flushing:
            self._flushing = True
            loop.call_later(_FLUSH_S, self._flush_out)

    def _flush_out(self) -> None:
        self._flushing = False
        with contextlib.suppress(OSError, ValueError):
            self.out.flush()


def _shown(redactor: Redactor, text: str, most: int) -> str:
    """`text` for a line or a name: credentials out first, so a cut never leaves half a key."""
    return cut(redactor.text(text), most)


def _isatty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError, OSError):
        return False
