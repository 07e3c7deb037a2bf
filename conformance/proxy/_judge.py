"""The judging half of the proxy: each exchange that passed, sorted by operation and judged by
the oracle, the same checks `server` and `client` run.

    POST .../deployments/{id}/run   the answer against the server requirements; the request
                                    against the client-request ones, per client (User-Agent)
    GET  .../deployment_runs/{id}   the answer, and against the run first answered if seen
    GET  .../deployment_runs        the page's HTTP; pages followed by next_page form a walk,
                                    judged by the listing requirements when it ends
    anything else                   passed through, counted, not judged

A body cut at the judging cap is not judged (a cut body would read as broken JSON).
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import parse_qsl, unquote

from drun_conformance import spec
from drun_conformance._secrets import Redactor, credentials_in_request, presented_keys, redact_headers
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
    run_matches,
)

from ._forward import Seen

__all__ = ["Judge"]

# Requirements of an SDK call that one request on the wire cannot show.
_CALL_ONLY = {
    "client.request.once": "a proxy sees requests, not the calls behind them (retries included)",
    "client.request.beta.requested": "a proxy does not know which betas the caller passed",
}
_TEXT_CAP = 65536  # of a body, in a counterexample


@dataclass(slots=True)
class _Walk:
    filters: dict[str, str]
    limit: int | None
    known: frozenset[str]
    pages: list[ListingPage] = field(default_factory=list)


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


class Judge:
    """Tallies per target: the upstream (server side) and each client seen (by User-Agent)."""

    def __init__(
        self, upstream: str, *, out: TextIO = sys.stdout, on_exchange: Callable[[int], None] | None = None
    ):
        self.upstream, self.out, self.on_exchange = upstream.rstrip("/"), out, on_exchange
        self.oracle = Oracle.default()
        self.catalog = spec.load_requirements()
        self.server = TargetTally(self.catalog, sides={"server"})
        self.clients: dict[str, TargetTally] = {}
        self.client_requests: dict[str, int] = {}
        self.judged = 0
        self.passed_through: dict[str, int] = {}
        self.not_judged: list[str] = []
        self.redactor = Redactor()  # knows every key seen: reports and console lines pass through it
        self._runs: dict[str, dict[str, Any]] = {}  # answered by run-now, by id
        self._walks: dict[str, _Walk] = {}  # open walks, by the next_page cursor they wait for

    # --- one exchange -----------------------------------------------------------------

    def __call__(self, seen: Seen) -> None:
        path, _, query = seen.target.partition("?")
        operation, ident = _operation(seen.method, path)
        self.redactor = self.redactor.with_secrets(
            credentials_in_request(seen.target, seen.request_headers, seen.request_body)
        )
        if operation == "other":
            key = f"{seen.method} {self._shown(path, 60)}"
            self.passed_through[key] = self.passed_through.get(key, 0) + 1
            return
        body = _decoded(seen)
        if body is None:
            why = "over the judging cap" if seen.response_truncated else "in an encoding it cannot read"
            shown = self._shown(path, 80)
            self.not_judged.append(f"{seen.method} {shown}: the answer was {why}: forwarded, not judged")
            return
        self.judged += 1
        exchange = Exchange(
            method=seen.method,
            deployment_id=_unquoted(ident) if operation == "run-now" else "",
            request_headers=seen.request_headers,
            status=seen.status,
            response_headers=seen.response_headers,
            body=body,
            received_at=datetime.now(UTC),
        )
        parsed = parse_body(body)
        example = self._example(seen, body, parsed)
        took = f"{seen.elapsed_s * 1000:.0f} ms"
        verdicts = [f"{seen.method} {self._shown(seen.target, 120)} -> {seen.status} ({took})"]
        if operation == "run-now":
            verdicts.append(self._run_now(seen, exchange, parsed, example))
        elif operation == "read-back":
            verdicts.append(self._read_back(exchange, parsed, example))
        else:
            verdicts.append(self._listing(seen, query, exchange, parsed, example))
        line = self.redactor.text(f"drun proxy #{self.judged} " + "  ".join(verdicts))
        print(line, file=self.out, flush=True)
        if self.on_exchange is not None:
            self.on_exchange(self.judged)

    def _run_now(self, seen: Seen, exchange: Exchange, parsed: Any, example: Counterexample) -> str:
        server = self._record(
            self.server,
            self.oracle.evaluate(parsed, exchange=exchange, seen_run_ids=self._runs, coverage=True),
            example,
        )
        if 200 <= seen.status < 300 and isinstance(parsed, dict) and isinstance(parsed.get("id"), str):
            self._runs.setdefault(parsed["id"], parsed)
        name = self._shown(seen.request_headers.get("user-agent", "unknown client"), 80)
        tally = self.clients.get(name)
        if tally is None:
            tally = self.clients[name] = TargetTally(self.catalog, sides={"client-request"})
            for rid, reason in _CALL_ONLY.items():  # no request through a proxy can show these
                tally.not_applicable(rid, reason)
        self.client_requests[name] = self.client_requests.get(name, 0) + 1
        key = next(iter(presented_keys(seen.request_headers)), "")
        call = ClientCall(
            deployment_id=exchange.deployment_id,
            betas=None,
            # The proxy cannot know the configured key: any sent is it; none sent matches nothing.
            api_key=key or "\x00no key sent",
            status=seen.status,
            served_headers=seen.response_headers,
            requests=(RecordedRequest(seen.method, seen.target, seen.request_headers, seen.request_body),),
            answer=None,
        )
        evaluation = self.oracle.evaluate(parsed, client=call)
        wanted = {r["id"] for r in self.catalog["requirements"] if r["side"] == "client-request"} - set(
            _CALL_ONLY
        )
        client = self._record(
            tally,
            Evaluation(
                [f for f in evaluation.findings if f.requirement in wanted],
                frozenset(evaluation.exercised & wanted),
            ),
            example,
        )
        return f"server: {server}  client {name!r}: {client}"

    def _read_back(self, exchange: Exchange, parsed: Any, example: Counterexample) -> str:
        original = self._runs.get(str(parsed.get("id"))) if isinstance(parsed, dict) else None
        if original is not None:
            found = original.get("deployment_id")
            exchange = replace(exchange, deployment_id=found if isinstance(found, str) else "")
            evaluation = self.oracle.evaluate(parsed, exchange=exchange, original=original, coverage=True)
            return "server: " + self._record(self.server, evaluation, example)
        http = self.oracle.evaluate(parsed, exchange=exchange, run_body=False, coverage=True)
        verdict = self._record(self.server, http, example)
        if 200 <= exchange.status < 300:
            verdict = self._record(
                self.server, self.oracle.evaluate(parsed, run_now=False, coverage=True), example
            )
        return "server: " + verdict

    def _listing(
        self, seen: Seen, query: str, exchange: Exchange, parsed: Any, example: Counterexample
    ) -> str:
        verdict = self._record(
            self.server,
            self.oracle.evaluate(parsed, exchange=exchange, run_body=False, coverage=True),
            example,
        )
        params = dict(parse_qsl(query, keep_blank_values=True))
        filters = {k: v for k, v in params.items() if k in LISTING_FILTERS}
        cursor = params.get("page")
        walk = self._walks.pop(cursor, None) if cursor else None
        if walk is None:
            limit = params.get("limit", "")
            known = (
                frozenset(i for i, run in self._runs.items() if run_matches(run, filters))
                if not cursor
                else frozenset()
            )
            walk = _Walk(filters, int(limit) if limit.isdigit() else None, known)
        page = ListingPage(seen.status, parsed, cursor)
        walk.pages.append(page)
        for item in page.runs:
            self._record(self.server, self.oracle.evaluate(item, run_now=False, coverage=True), example)
        following = page.next_page
        if 200 <= seen.status < 300 and isinstance(following, str) and following:
            self._walks[following] = walk
            return f"server: {verdict} (walk: page {len(walk.pages)}, more to follow)"
        return f"server: {verdict}; walk of {len(walk.pages)} page(s): {self._finish(walk)}"

    def _finish(self, walk: _Walk) -> str:
        listing = ListingWalk(walk.filters, walk.limit, tuple(walk.pages), walk.known)
        pages = [
            {"page": p.cursor, "status": p.status, "ids": [r.get("id") for r in p.runs]} for p in walk.pages
        ]
        example = Counterexample(
            summary="a walk through the listing",
            payload={"query": walk.filters, "limit": walk.limit, "pages": pages},
        )
        return self._record(self.server, self.oracle.evaluate_listing(listing), example)

    # --- results ------------------------------------------------------------------------

    @property
    def secrets(self) -> frozenset[str]:
        """Every credential seen in a request: no report or console line may hold one."""
        return self.redactor.secrets

    def results(self, *, strict: bool = False) -> list[TargetResult]:
        """The upstream's result and each client's; open walks are judged as they stand."""
        for walk in list(self._walks.values()):
            self._finish(walk)
        self._walks.clear()
        passed = sum(self.passed_through.values())
        notes = [f"{self.judged} exchanges judged, {passed} of other operations passed through unjudged"]
        notes += [f"passed through: {n} x {what}" for what, n in sorted(self.passed_through.items())]
        notes += self.not_judged
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
            targets.append(
                tally.result(
                    target_id=f"client:{name}",
                    kind="client",
                    identity={"user_agent": name, "via": "proxy"},
                    strict=strict,
                    requests=self.client_requests[name],
                    default_skip="no request through the proxy exercised it",
                )
            )
        return targets

    # --- helpers ----------------------------------------------------------------------

    def _shown(self, text: str, most: int) -> str:
        """`text` for a line or a name: credentials out first, so a cut never leaves half a key."""
        return cut(self.redactor.text(text), most)

    def _record(self, tally: TargetTally, evaluation: Evaluation, example: Counterexample) -> str:
        tally.record(evaluation, example)
        failed = [f"{f.requirement} ({f.level})" for f in evaluation.violations]
        return "FAILED " + ", ".join(dict.fromkeys(failed)) if failed else "ok"

    def _example(self, seen: Seen, body: bytes, parsed: Any) -> Counterexample:
        # Twice the cap read, so a key across the cut is still whole when it is replaced.
        text = self.redactor.text(body[: 2 * _TEXT_CAP].decode("utf-8", "replace"))[:_TEXT_CAP]
        return Counterexample(
            summary="",
            payload=None if parsed is UNPARSED else parsed,
            payload_text=text if parsed is UNPARSED else None,
            request={
                "method": seen.method,
                "url": self.upstream + seen.target,
                "headers": redact_headers(seen.request_headers),
            },
            response={"status": seen.status, "headers": seen.response_headers, "body": text},
        )


def _unquoted(segment: str) -> str:
    return unquote(segment, errors="replace")
