"""The SDK gate's cases: request arguments and the response scripted for them.

`gate_cases()` is the Hypothesis strategy the gate's property draws from (a valid run, an
edge-case run or an HTTP error, each with arguments from `requests()`); `coverage_cases()`
are hand-made cases run first, one per error type, trigger, HTTP status and EDGE class, so
every requirement is exercised whatever the draw.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from hypothesis import strategies as st

from drun_conformance import spec
from drun_conformance.strategies import HttpError, edge_runs, http_errors, requests, runs

from ._mock import Scripted

__all__ = [
    "FAMILY_SHARE",
    "FamilyCase",
    "GateCase",
    "ListCase",
    "RetrieveCase",
    "ServedError",
    "ServedPage",
    "ServedRun",
    "coverage_cases",
    "family_cases",
    "family_coverage_cases",
    "gate_cases",
    "run_cases",
    "sdk_safe_id",
]

REQUEST_ID = "req_011CZdrunGateRequest000001"
INT64_MAX, INT64_MIN = 2**63 - 1, -(2**63)
RETRY_AFTER_CAP = 1  # seconds: the longest retry-after the gate serves (see _short_retry_after)
FAMILY_SHARE = 8  # one draw in 8 is a retrieve or a walk: the family is a small part of the gate
_FUTURE_HTTP_ERROR_TYPES = ("billing_error", "quota_exceeded_error", "deadline_exceeded_error")


@dataclass(frozen=True, slots=True)
class ServedRun:
    """A DeploymentRun answered with 200; `edge_class` names its rare value, if any."""

    payload: dict[str, Any]
    edge_class: str | None = None

    def scripted(self) -> Scripted:
        body = json.dumps(self.payload, ensure_ascii=False).encode("utf-8")
        headers = (("content-type", "application/json"), ("request-id", REQUEST_ID))
        return Scripted(200, headers, body)


@dataclass(frozen=True, slots=True)
class ServedError:
    """An HTTP error in the API's envelope."""

    error: HttpError

    def scripted(self) -> Scripted:
        return Scripted(self.error.status, tuple(self.error.headers.items()), self.error.content)


@dataclass(frozen=True, slots=True)
class GateCase:
    """One call: the arguments the harness passes, and what the mock server answers."""

    deployment_id: str
    betas: tuple[str, ...] | None
    served: ServedRun | ServedError
    label: str = ""  # for a coverage case: what it is there for

    def fingerprint(self) -> str:
        """The same for the same request arguments and bytes served (status, headers, body)."""
        scripted = self.served.scripted()
        what = [self.deployment_id, self.betas, scripted.status, sorted(scripted.headers)]
        digest = hashlib.sha256(json.dumps(what, ensure_ascii=False).encode("utf-8") + b"\0" + scripted.body)
        return digest.hexdigest()[:16]

    def body(self) -> bytes:
        return self.served.scripted().body

    def describe(self) -> str:
        if isinstance(self.served, ServedError):
            what = f"HTTP {self.served.error.status} {self.served.error.error_type}"
        else:
            what = "a run" + (f" ({self.served.edge_class})" if self.served.edge_class else "")
        betas = "no betas argument" if self.betas is None else f"betas {list(self.betas)}"
        return f"{self.label or 'generated'}: {what} for {self.deployment_id!r}, {betas}"


def sdk_safe_id(deployment_id: str) -> bool:
    """Whether an SDK may be asked to put the id in a URL. SDKs refuse, before sending, a
    segment that is `.` or `..` (path traversal) or starts with `;` (proxies drop `;...`):
    refusing those is a guard, not a fault, so the gate does not draw them."""
    return not deployment_id.startswith(";") and deployment_id.split(";", 1)[0] not in (".", "..")


def _unknown_type(error: HttpError, error_type: str) -> HttpError:
    return replace(error, error_type=error_type)


@cache
def gate_cases() -> st.SearchStrategy[GateCase | FamilyCase]:
    """What the gate's property draws: a run case (`run_cases()`) or, one draw in
    `FAMILY_SHARE`, a retrieve or a listing walk (`family_cases()`). Shrinks towards a run case."""
    family, run = family_cases(), run_cases()
    return st.integers(0, FAMILY_SHARE - 1).flatmap(lambda i: family if i == FAMILY_SHARE - 1 else run)


@cache
def run_cases() -> st.SearchStrategy[GateCase]:
    """Arguments from `requests()` (ids an SDK must escape, betas lists), and one of: a valid
    run (`runs()`, unknown fields included), an edge-case run (`edge_runs()`), an HTTP error
    (`http_errors()`), or an HTTP error of a type not known today. Shrinks towards a
    realistic id, no betas argument and the plainest valid run."""
    arguments = requests().filter(lambda r: sdk_safe_id(r.deployment_id))
    errors = st.one_of(
        http_errors(),
        st.builds(_unknown_type, http_errors(), st.sampled_from(_FUTURE_HTTP_ERROR_TYPES)),
    ).map(_short_retry_after)
    served = st.one_of(
        runs().map(ServedRun),
        edge_runs().map(lambda edge: ServedRun(edge.payload, edge.edge_class)),
        errors.map(ServedError),
    )
    return st.builds(lambda r, s: GateCase(r.deployment_id, r.betas, s), arguments, served)


def _sentences(length: int) -> str:
    """Readable text of exactly `length` characters, each sentence numbered (a cut shows where)."""
    text = " ".join(f"Step {n} of the session setup failed." for n in range(1, length // 10))
    return text[:length]


def _short_retry_after(error: HttpError) -> HttpError:
    """The error with a retry-after of at most RETRY_AFTER_CAP seconds. The gate asks for no
    retry, so only an SDK that retries anyway waits on it, and its second request decides the
    case (client.request.once): a long wait would only run into the call timeout."""
    if error.retry_after is None or int(error.retry_after) <= RETRY_AFTER_CAP:
        return error
    return replace(error, retry_after=str(RETRY_AFTER_CAP))


# --- the coverage cases ---------------------------------------------------------------------


def _base() -> dict[str, Any]:
    return {
        "id": "drun_011CZkYqphY8vELVzwCUpqiQ",
        "agent": {"id": "agent_011CZkYqphY8vELVzwCUpqiQ", "type": "agent", "version": 3},
        "created_at": "2026-11-27T18:11:19.117456Z",
        "deployment_id": "depl_011CZkYqphY8vELVzwCUpqiQ",
        "error": None,
        "session_id": "sesn_011CZkYqphY8vELVzwCUpqiQ",
        "trigger_context": {"type": "manual"},
        "type": "deployment_run",
    }


def _run(label: str, edge: str | None = None, **changes: Any) -> GateCase:
    payload = {**_base(), **changes}
    return GateCase("depl_011CZkYqphY8vELVzwCUpqiQ", None, ServedRun(payload, edge), label)


def _failed(error_type: str, message: str = "The deployment's vault was archived.") -> dict[str, Any]:
    return {"session_id": None, "error": {"type": error_type, "message": message}}


def coverage_cases() -> list[GateCase]:
    """Hand-made cases, one per thing the gate must see at least once (in this order)."""
    schema = spec.load_schema()
    error_types = schema["$defs"]["Error"]["properties"]["type"]["enum"]
    http_types = spec.load_catalog().conventions.error_types
    scheduled = {"type": "schedule", "scheduled_at": "2026-11-27T18:00:00.5+05:30"}
    cases = [
        _run("a plain successful run"),
        _run("a run with an offset and microseconds", created_at="2026-11-27T23:41:19.117456+05:30"),
        _run("a scheduled run", trigger_context=scheduled),
        # Just past 32 bits, each way: a version narrowed to an int fails here, where doubles are exact.
        _run("version 2^31", agent={"id": "agent_1", "type": "agent", "version": 2**31}),
        _run("version -2^31 - 1", agent={"id": "agent_1", "type": "agent", "version": -(2**31) - 1}),
        _run("version 2^53 + 1", agent={"id": "agent_1", "type": "agent", "version": 2**53 + 1}),
        _run("version int64 max", agent={"id": "agent_1", "type": "agent", "version": INT64_MAX}),
        _run("version int64 min", agent={"id": "agent_1", "type": "agent", "version": INT64_MIN}),
        _run("session_id null", **_failed("unknown_error", "M")),
        # The longest ordinary string (past 1,000 characters is EDGE): a message cut short fails here.
        _run("a 1,000-character error message", **_failed("unknown_error", _sentences(1_000))),
        *[_run(f"a run error of type {t}", **_failed(t)) for t in error_types],
        _run("an unknown error type", "edge.variant.unknown-error-type", **_failed("quota_exceeded_error")),
        _run(
            "unknown fields at every level",
            agent={"id": "agent_1", "type": "agent", "version": 7, "display_name": "Agent"},
            trigger_context={"type": "manual", "source": "console"},
            region="us-east-1",
            metadata={"nested": [1, "two", None]},
        ),
        _run(
            "an unknown field in a run error",
            session_id=None,
            error={
                "type": "vault_archived_error",
                "message": "The vault was archived.",
                "help_url": "https://example.com/vaults",
            },
        ),
        _run(
            "an unknown trigger type",
            "edge.variant.unknown-trigger-type",
            trigger_context={"type": "webhook"},
        ),
        # RFC 3339 offsets reach ±23:59; java.time's stop at ±18:00, and a draw may not go past it.
        _run("an offset past 18 hours", created_at="2026-11-27T18:11:19.117456+23:00"),
        _run("a leap second", "edge.timestamp.leap-second", created_at="2016-12-31T23:59:60Z"),
        _run("nanoseconds", "edge.timestamp.sub-microsecond", created_at="2026-11-27T18:11:19.117456789Z"),
        # Past the ninth digit too: nanosecond clocks (Java, Go) keep nine, and a draw may not go further.
        _run("picoseconds", "edge.timestamp.sub-microsecond", created_at="2026-11-27T18:11:19.117456789012Z"),
        _run("lowercase t and z", "edge.timestamp.lowercase", created_at="2026-11-27t18:11:19.117456z"),
        _run(
            "the unknown offset -00:00",
            "edge.timestamp.unknown-offset",
            created_at="2026-11-27T18:11:19-00:00",
        ),
        _run("a long string", "edge.string.long", session_id="sesn_" + "x" * 10_000),
        _run(
            "non-ASCII text",
            "edge.string.non-ascii",
            **_failed("unknown_error", "déploiement échoué: 中文 😀"),
        ),
    ]
    for status, error_type in sorted(http_types.items()):
        error = HttpError(status, error_type, f"HTTP {status}: {error_type}", REQUEST_ID)
        cases.append(GateCase("depl_011CZkYqphY8vELVzwCUpqiQ", None, ServedError(error), f"HTTP {status}"))
    limited = HttpError(429, "rate_limit_error", "Slow down.", REQUEST_ID, str(RETRY_AFTER_CAP))
    cases.append(GateCase("depl_1", None, ServedError(limited), "HTTP 429 with retry-after"))
    unknown = HttpError(400, "future_policy_error", "A policy blocks this run.", REQUEST_ID)
    cases.append(GateCase("depl_1", None, ServedError(unknown), "an HTTP error of an unknown type"))
    cases.append(
        GateCase("depl_1", None, ServedError(HttpError(404, "not_found_error", "gone")), "no request id")
    )
    plain = ServedRun(_base())
    cases += [
        GateCase("depl_a/b?c#d%e f", None, plain, "an id with / ? # % and a space"),
        # A URL parser takes the path of an id put in unescaped ("%e " above is refused first).
        GateCase("depl_a/b", None, plain, "an id with a slash"),
        GateCase("depl_é中😀", None, plain, "a non-ASCII id"),
        GateCase("depl_1", ("files-api-2025-04-14", "skills-2025-10-02"), plain, "two betas"),
        GateCase("depl_1", (), plain, "an empty betas list"),
        GateCase("depl_1", ("managed-agents-2026-04-01",), plain, "the managed beta passed explicitly"),
    ]
    return cases


# --- the operation family: retrieve a run by id, walk the listing ------------------------------

# Cursors are opaque: a walk's own are drawn with characters an SDK must escape in a query.
_CURSORS = ("page_2", "cD0yMDI2LTExLTI3VDE4OjExOjE5LjExNzQ1Nlo=", "a+b/c=d&e", "next page ü")
_BOUNDS = ("created_at[gt]", "created_at[gte]", "created_at[lt]", "created_at[lte]")
# Drawn bounds are whole seconds; a bound with microseconds is a coverage case's (_FRACTIONAL), so
# an SDK that sends it cut to the second is a finding its expectations can scope to that case.
_INSTANTS = ("2026-11-27T18:00:00Z", "2026-11-27T18:11:19Z", "2026-11-28T00:00:00+05:30")
_FRACTIONAL = "2026-11-27T18:11:19.117456Z"
_PAGE_HEADERS = (("content-type", "application/json"), ("request-id", REQUEST_ID))


@dataclass(frozen=True, slots=True)
class RetrieveCase:
    """One retrieve: the run id the harness passes, and what the mock server answers."""

    run_id: str
    betas: tuple[str, ...] | None
    served: ServedRun | ServedError
    label: str = ""

    def fingerprint(self) -> str:
        scripted = self.served.scripted()
        what = ["retrieve", self.run_id, self.betas, scripted.status, sorted(scripted.headers)]
        digest = hashlib.sha256(json.dumps(what, ensure_ascii=False).encode("utf-8") + b"\0" + scripted.body)
        return digest.hexdigest()[:16]

    def body(self) -> bytes:
        return self.served.scripted().body

    def describe(self) -> str:
        what = GateCase(self.run_id, self.betas, self.served).describe().removeprefix("generated: ")
        return f"{self.label or 'generated'}: retrieve, {what.replace(' for ', ' for run id ', 1)}"


@dataclass(frozen=True, slots=True)
class ServedPage:
    """One page of a walk: its runs and its next_page (None: the last)."""

    runs: tuple[dict[str, Any], ...]
    next_page: str | None

    def payload(self) -> dict[str, Any]:
        return {"data": list(self.runs), "next_page": self.next_page}

    def scripted(self) -> Scripted:
        return Scripted(200, _PAGE_HEADERS, json.dumps(self.payload(), ensure_ascii=False).encode("utf-8"))


@dataclass(frozen=True, slots=True)
class ListCase:
    """One listing walk: the filters passed, and the pages served in turn (the first for no
    cursor, each next for the cursor before it); an error served ends the walk there."""

    filters: tuple[tuple[str, Any], ...]
    pages: tuple[ServedPage | ServedError, ...]
    betas: tuple[str, ...] | None = None
    label: str = ""

    def scripted_pages(self) -> dict[str | None, Scripted]:
        """The answer to each `page` cursor the walk asks for (None: the first request)."""
        answers: dict[str | None, Scripted] = {}
        cursor: str | None = None
        for page in self.pages:
            answers[cursor] = page.scripted()
            if isinstance(page, ServedError) or page.next_page is None:
                break
            cursor = page.next_page
        return answers

    def body(self) -> bytes:
        return json.dumps([json.loads(s.body) for s in self.scripted_pages().values()]).encode("utf-8")

    def fingerprint(self) -> str:
        what = ["list", list(self.filters), self.betas]
        digest = hashlib.sha256(json.dumps(what, ensure_ascii=False).encode("utf-8") + b"\0" + self.body())
        return digest.hexdigest()[:16]

    def describe(self) -> str:
        served = [
            f"HTTP {p.error.status}" if isinstance(p, ServedError) else f"{len(p.runs)} runs"
            for p in self.pages
        ]
        filters = ", ".join(f"{k}={v!r}" for k, v in self.filters) or "no filters"
        return f"{self.label or 'generated'}: a walk of pages [{', '.join(served)}] with {filters}"


FamilyCase = RetrieveCase | ListCase


def _walk(sizes: list[int], runs_drawn: list[dict[str, Any]], cursors: list[str]) -> tuple[ServedPage, ...]:
    pages, at = [], 0
    for i, size in enumerate(sizes):
        last = i == len(sizes) - 1
        pages.append(
            ServedPage(
                tuple(runs_drawn[at : at + size]), None if last else cursors[i % len(cursors)] + f"~{i}"
            )
        )
        at += size
    return tuple(pages)


@cache
def family_cases() -> st.SearchStrategy[FamilyCase]:
    """A retrieve (ids an SDK must escape; a run from `runs()` or an HTTP error) or a walk of one
    to three pages of plain runs (`runs(extra_fields=False)`: the run cases judge unknown fields),
    only the last of them maybe empty, with filters drawn from the API's."""
    ids = requests().filter(lambda r: sdk_safe_id(r.deployment_id))
    errors = http_errors().map(_short_retry_after).map(ServedError)
    retrieved = st.builds(
        lambda r, s: RetrieveCase(r.deployment_id, r.betas, s), ids, st.one_of(runs().map(ServedRun), errors)
    )
    filters = st.fixed_dictionaries(
        {},
        optional={
            "deployment_id": st.sampled_from(("depl_011CZkYqphY8vELVzwCUpqiQ", "depl_a/b?c#d%e f&g=h")),
            "has_error": st.booleans(),
            **{bound: st.sampled_from(_INSTANTS) for bound in _BOUNDS},
            "limit": st.integers(1, 1000),
        },
    ).map(lambda f: tuple(sorted(f.items())))
    sizes = st.lists(st.integers(0, 2), min_size=1, max_size=3).map(
        # Walking on past an empty page that has a cursor is in no contract: such pages are not served.
        lambda s: [max(n, 1) for n in s[:-1]] + s[-1:]
    )
    walks = sizes.flatmap(  # as many runs as the pages hold: each run is some 25 draws
        lambda s: st.builds(
            _walk,
            st.just(s),
            st.lists(runs(extra_fields=False), min_size=sum(s), max_size=sum(s)),
            st.lists(st.sampled_from(_CURSORS), min_size=1, max_size=2),
        )
    )
    listed = st.builds(lambda f, w: ListCase(f, w), filters, walks)
    return st.one_of(retrieved, listed)


def family_coverage_cases() -> list[FamilyCase]:
    """Hand-made family cases, run after the run's: each requirement of retrieve and the walk
    met at least once whatever the draw."""
    plain = {**_base(), "id": "drun_011CZkYqphY8vELVzwCUpqi1"}
    scheduled = {"id": "drun_2", "trigger_context": {"type": "schedule", "scheduled_at": _INSTANTS[1]}}
    scheduled = {**_base(), **scheduled}
    failed = {**_base(), "id": "drun_3", **_failed("vault_archived_error")}
    other = {**_base(), "id": "drun_4", "agent": {"id": "agent_1", "type": "agent", "version": 2**31 - 1}}
    not_found = ServedError(HttpError(404, "not_found_error", "No such run.", REQUEST_ID))
    return [
        RetrieveCase("drun_011CZkYqphY8vELVzwCUpqiQ", None, ServedRun(plain), "retrieve a run"),
        RetrieveCase(
            "drun_a/b?c#d%e f", None, ServedRun(failed), "retrieve by an id with / ? # % and a space"
        ),
        RetrieveCase("drun_é中😀", ("files-api-2025-04-14",), ServedRun(other), "retrieve by a non-ASCII id"),
        RetrieveCase("drun_1", None, not_found, "retrieve answered 404"),
        ListCase((), (ServedPage((), None),), label="an empty listing"),
        ListCase(
            (("deployment_id", "depl_a/b?c#d%e f&g=h"), ("has_error", False), ("limit", 2)),
            (
                ServedPage((plain, failed), _CURSORS[2]),
                ServedPage((scheduled, other), _CURSORS[3]),
                ServedPage((), None),
            ),
            label="a walk of three pages, the last empty",
        ),
        ListCase(
            (("created_at[gte]", _INSTANTS[0]), ("created_at[lt]", _INSTANTS[2]), ("has_error", True)),
            (ServedPage((failed,), _CURSORS[1]), ServedPage((plain,), None)),
            ("files-api-2025-04-14",),
            label="a walk filtered by created_at and has_error",
        ),
        ListCase(
            (("created_at[gt]", _FRACTIONAL), ("created_at[lte]", _INSTANTS[2]), ("limit", 1000)),
            (ServedPage((plain,), _CURSORS[0]), not_found),
            label="a walk bounded to the microsecond, its second page answered 404",
        ),
    ]
