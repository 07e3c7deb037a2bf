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

__all__ = ["GateCase", "ServedError", "ServedRun", "coverage_cases", "gate_cases", "sdk_safe_id"]

REQUEST_ID = "req_011CZdrunGateRequest000001"
INT64_MAX, INT64_MIN = 2**63 - 1, -(2**63)
RETRY_AFTER_CAP = 1  # seconds: the longest retry-after the gate serves (see _short_retry_after)
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
def gate_cases() -> st.SearchStrategy[GateCase]:
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
        GateCase("depl_é中😀", None, plain, "a non-ASCII id"),
        GateCase("depl_1", ("files-api-2025-04-14", "skills-2025-10-02"), plain, "two betas"),
        GateCase("depl_1", (), plain, "an empty betas list"),
        GateCase("depl_1", ("managed-agents-2026-04-01",), plain, "the managed beta passed explicitly"),
    ]
    return cases
