"""Checks of an SDK call: the request it sent, and how faithfully it read back what was served.

Each is a pure function of a Case whose `client` is the ClientCall; the Oracle runs them only
in a client evaluation. The answer is compared with the body served in meaning (`differences`:
timestamps as instants, integers exactly), over the fields the page defines, an absent
optional field counting as null. A difference is charged to the one requirement its pointer
belongs to; a difference at a value an EDGE label marked (a leap second, a long string...) is
the EDGE requirement's alone (see `judge_edge`), so a rare input never gates.

Valid runs are split so that a refusal is charged to what the payload has: an unknown error
type (client.parse.unknown-error-type), else unknown fields (client.parse.unknown-fields),
else nothing unusual (client.parse.ok).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from ._call import ClientCall, RecordedRequest
from ._meaning import differences
from ._model import UNPARSED, Case, Finding, show
from ._registry import Registry

__all__ = ["CLIENT", "EDGE_EXCUSES", "judge_edge"]

CLIENT = Registry()
check = CLIENT.register

# An EDGE class whose mishandling is reported at EDGE only. The unknown error type is not
# here: tolerating it is a MUST for clients (client.parse.unknown-error-type).
EDGE_EXCUSES = frozenset(
    {
        "edge.timestamp.leap-second",
        "edge.timestamp.sub-microsecond",
        "edge.timestamp.lowercase",
        "edge.timestamp.unknown-offset",
        "edge.string.long",
        "edge.string.non-ascii",
        "edge.variant.unknown-trigger-type",
    }
)
_RUN_PATH = re.compile(r"^/v1/deployments/([^/]+)/run$")
_VARIANT_OBJECTS = ("/error", "/trigger_context")


def _call(case: Case) -> ClientCall:
    assert case.client is not None  # the Oracle runs these checks in client evaluations only
    return case.client


def _one(requirement: str, message: str, pointer: str = "") -> list[Finding]:
    return [Finding(requirement, "MUST", pointer, message)]  # the Oracle sets the level


# --- the request ------------------------------------------------------------------------------


def _request(case: Case) -> RecordedRequest | None:
    return _call(case).first_request


@check("client.request.method")
def check_method(case: Case) -> list[Finding] | None:
    request = _request(case)
    if request is None:
        return None
    if request.method == "POST":
        return []
    return _one("client.request.method", f"Received: {request.method} / Expected: POST")


@check("client.request.path")
def check_path(case: Case) -> list[Finding] | None:
    request = _request(case)
    if request is None:
        return None
    wanted = _call(case).deployment_id
    match = _RUN_PATH.match(request.path)
    try:
        decoded = unquote(match[1], errors="strict") if match else None
    except UnicodeDecodeError:
        decoded = None
    if decoded == wanted:
        return []
    expected = f"/v1/deployments/{quote(wanted, safe='')}/run"
    return _one(
        "client.request.path",
        f"Received: {show(request.target, 120)} / Expected: {show(expected, 120)} "
        f"(the id {show(wanted, 60)} as one escaped segment)",
    )


@check("client.request.beta.managed")
def check_managed_beta(case: Case) -> list[Finding] | None:
    request = _request(case)
    if request is None:
        return None
    required = case.facts.conventions["required_beta"]
    if required in request.betas():
        return []
    header = request.headers.get("anthropic-beta")
    got = f"anthropic-beta: {header}" if header is not None else "no anthropic-beta header"
    return _one("client.request.beta.managed", f"Received: {got} / Expected: {required} in anthropic-beta")


@check("client.request.beta.requested")
def check_requested_betas(case: Case) -> list[Finding] | None:
    request, asked = _request(case), _call(case).betas
    if request is None or not asked:
        return None
    sent = set(request.betas())
    missing = [beta for beta in asked if beta not in sent]
    if not missing:
        return []
    header = request.headers.get("anthropic-beta")
    got = f"anthropic-beta: {header}" if header is not None else "no anthropic-beta header"
    return _one(
        "client.request.beta.requested",
        f"Received: {got} / Expected: every beta passed, missing {', '.join(missing)}",
    )


@check("client.request.api-key")
def check_api_key(case: Case) -> list[Finding] | None:
    request = _request(case)
    if request is None:
        return None
    key = _call(case).api_key
    if request.headers.get("x-api-key") == key or request.headers.get("authorization") == f"Bearer {key}":
        return []
    # Never quote a key: name the headers only.
    present = [name for name in ("x-api-key", "authorization") if name in request.headers]
    got = "a " + " and an ".join(present) + " without the configured key" if present else "no key header"
    return _one(
        "client.request.api-key",
        f"Received: {got} / Expected: x-api-key: <key> or Authorization: Bearer <key>",
    )


@check("client.request.version-header")
def check_version_header(case: Case) -> list[Finding] | None:
    request = _request(case)
    if request is None:
        return None
    header = case.facts.conventions["version_header"]
    if request.headers.get(header):
        return []
    return _one("client.request.version-header", f"Received: no {header} header / Expected: {header}: ...")


@check("client.request.once")
def check_one_request(case: Case) -> list[Finding] | None:
    call = _call(case)
    if call.outcome in (None, "skipped") and not call.requests:
        return None  # the harness gave no answer or could not express the call
    if len(call.requests) == 1:
        return []
    if not call.requests:
        return _one(
            "client.request.once",
            f"Received: no request (the harness answered {call.outcome}) / Expected: one request",
        )
    methods = ", ".join(r.method for r in call.requests)
    return _one("client.request.once", f"Received: {len(call.requests)} requests ({methods}) / Expected: one")


@check("client.request.no-body")
def check_no_body(case: Case) -> list[Finding] | None:
    request = _request(case)
    if request is None:
        return None
    if not request.body:
        return []
    return _one(
        "client.request.no-body",
        f"Received: a body of {len(request.body)} bytes {show(request.body.decode('utf-8', 'replace'), 60)}"
        " / Expected: no body",
    )


# --- the answer to a run ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Comparison:
    """A served run against the harness's answer, worked out once per case."""

    outcome: str
    answer_run: Any  # the `run` of an ok answer, else None
    charged: dict[str, list[str]]  # requirement id -> differing pointers charged to it
    edge_pointers: dict[str, list[str]]  # EDGE requirement -> the pointers it excuses
    unknown_error: bool
    unknown_fields: bool


def _served_run(case: Case) -> dict[str, Any] | None:
    call = _call(case)
    if not 200 <= call.status < 300 or not isinstance(case.run, dict) or call.answer is None:
        return None
    return None if not call.requests else case.run


def _comparison(case: Case) -> _Comparison | None:
    served = _served_run(case)
    if served is None:
        return None
    cached: _Comparison | None = case.cache.get("client_comparison")
    if cached is not None:
        return cached
    call = _call(case)
    known = case.facts.known_paths
    edges: dict[str, list[str]] = case.cache.get("edge_labels", {})
    excused = [
        (rid, _excused_pointer(p)) for rid, pointers in edges.items() if rid in EDGE_EXCUSES for p in pointers
    ]
    outcome = call.outcome or ""
    answer_run = call.answer.get("run") if call.answer is not None and outcome == "ok" else None
    charged: dict[str, list[str]] = {}
    edge_pointers: dict[str, list[str]] = {}
    unknown_error = _unknown_tag(case, served, "error")
    if outcome == "ok":
        expected, actual = _project(served, known), _project(answer_run, known)
        pointers = sorted(differences(expected, actual, timestamps=case.facts.timestamp_paths))
        for pointer in pointers:
            excusing = [rid for rid, where in excused if _under(pointer, where)]
            if excusing:
                for rid in excusing:
                    edge_pointers.setdefault(rid, []).append(pointer)
                continue
            rid = _charge(pointer, pointers, unknown_error)
            charged.setdefault(rid, []).append(pointer)
    comparison = _Comparison(
        outcome=outcome,
        answer_run=answer_run,
        charged=charged,
        edge_pointers=edge_pointers,
        unknown_error=unknown_error,
        unknown_fields=_has_unknown_fields(case, served, known),
    )
    case.cache["client_comparison"] = comparison
    return comparison


def _excused_pointer(pointer: str) -> str:
    # An unknown variant is the whole object, not its tag alone: the SDK may hold it otherwise.
    return pointer.removesuffix("/type") if pointer in ("/trigger_context/type",) else pointer


def _under(pointer: str, where: str) -> bool:
    return pointer == where or pointer.startswith(where + "/") or where == ""


def _unknown_tag(case: Case, served: dict[str, Any], member: str) -> bool:
    node = served.get(member)
    tag = node.get("type") if isinstance(node, dict) else None
    return isinstance(tag, str) and tag not in case.facts.variants.get((member, "type"), ())


def _project(node: Any, known: frozenset[tuple[str, ...]], path: tuple[str, ...] = ()) -> Any:
    """The fields the page defines, with null ones dropped (an absent optional is null)."""
    if not isinstance(node, dict):
        return node
    return {
        key: _project(value, known, (*path, key))
        for key, value in node.items()
        if (*path, key) in known and value is not None
    }


def _has_unknown_fields(case: Case, served: dict[str, Any], known: frozenset[tuple[str, ...]]) -> bool:
    def walk(node: Any, path: tuple[str, ...]) -> bool:
        if not isinstance(node, dict):
            return False
        if len(path) == 1 and _unknown_tag(case, served, path[0]):
            return False  # an unknown variant brings fields of its own: they are the variant's
        return any((*path, key) not in known or walk(value, (*path, key)) for key, value in node.items())

    return walk(served, ())


def _charge(pointer: str, all_pointers: list[str], unknown_error: bool) -> str:
    """The requirement a differing pointer belongs to."""
    if pointer == "/error" or pointer.startswith("/error/"):
        return "client.parse.unknown-error-type" if unknown_error else "client.parse.error"
    if pointer.startswith("/trigger_context") and (
        "/trigger_context/type" in all_pointers or "/trigger_context" in all_pointers
    ):
        return "client.parse.trigger"  # the variant was misread: its fields follow it
    if pointer in ("/created_at", "/trigger_context/scheduled_at"):
        return "client.parse.timestamp"
    if pointer.startswith("/trigger_context"):
        return "client.parse.trigger"
    if pointer == "/agent/version":
        return "client.parse.int64"
    if pointer == "/session_id":
        return "client.parse.session-id"
    return "client.parse.fields"


def _value_at(node: Any, pointer: str) -> Any:
    for part in pointer.split("/")[1:] if pointer else []:
        key = part.replace("~1", "/").replace("~0", "~")
        node = node.get(key, None) if isinstance(node, dict) else None
    return node


def _difference_findings(case: Case, comparison: _Comparison, requirement: str) -> list[Finding]:
    served = case.run
    return [
        Finding(
            requirement,
            "MUST",
            pointer,
            f"Received: {show(_value_at(comparison.answer_run, pointer))} / "
            f"Expected: {show(_value_at(served, pointer))}",
        )
        for pointer in comparison.charged.get(requirement, [])
    ]


def _refusal(case: Case, requirement: str, comparison: _Comparison) -> list[Finding]:
    answer = _call(case).answer or {}
    said = answer.get("message") or answer.get("error_type") or ""
    detail = f": {show(said, 100)}" if said else ""
    return _one(requirement, f"Received: {comparison.outcome}{detail} / Expected: ok, the run parsed")


def _accepts(case: Case, requirement: str, *, applies: bool) -> list[Finding] | None:
    comparison = _comparison(case)
    if comparison is None or not applies or _edge_excused(case):
        return None
    if comparison.outcome != "ok":
        return _refusal(case, requirement, comparison)
    return _difference_findings(case, comparison, requirement)


def _edge_excused(case: Case) -> bool:
    """The payload has a value of an EDGE class: its refusal is reported at EDGE only."""
    return any(rid in EDGE_EXCUSES for rid in case.cache.get("edge_labels", {}))


@check("client.parse.ok")
def check_valid_run_returned(case: Case) -> list[Finding] | None:
    comparison = _comparison(case)
    plain = comparison is not None and not comparison.unknown_error and not comparison.unknown_fields
    return _accepts(case, "client.parse.ok", applies=plain)


@check("client.parse.unknown-fields")
def check_unknown_fields_tolerated(case: Case) -> list[Finding] | None:
    comparison = _comparison(case)
    applies = comparison is not None and comparison.unknown_fields and not comparison.unknown_error
    return _accepts(case, "client.parse.unknown-fields", applies=applies)


@check("client.parse.unknown-error-type")
def check_unknown_error_type_tolerated(case: Case) -> list[Finding] | None:
    comparison = _comparison(case)
    return _accepts(
        case, "client.parse.unknown-error-type", applies=comparison is not None and comparison.unknown_error
    )


def _read_back(case: Case, requirement: str, *, applies: bool = True) -> list[Finding] | None:
    comparison = _comparison(case)
    if comparison is None or comparison.outcome != "ok" or not applies:
        return None
    return _difference_findings(case, comparison, requirement)


@check("client.parse.fields")
def check_fields(case: Case) -> list[Finding] | None:
    return _read_back(case, "client.parse.fields")


@check("client.parse.int64")
def check_int64(case: Case) -> list[Finding] | None:
    return _read_back(case, "client.parse.int64")


@check("client.parse.timestamp")
def check_timestamps(case: Case) -> list[Finding] | None:
    return _read_back(case, "client.parse.timestamp")


@check("client.parse.session-id")
def check_session_id(case: Case) -> list[Finding] | None:
    return _read_back(case, "client.parse.session-id")


@check("client.parse.error")
def check_run_error(case: Case) -> list[Finding] | None:
    comparison = _comparison(case)
    return _read_back(
        case, "client.parse.error", applies=comparison is not None and not comparison.unknown_error
    )


@check("client.parse.trigger")
def check_trigger(case: Case) -> list[Finding] | None:
    served = _served_run(case)
    known = served is not None and not _unknown_tag(case, served, "trigger_context")
    return _read_back(case, "client.parse.trigger", applies=known)


@check("client.parse.variant-class")
def check_variant_class(case: Case) -> list[Finding] | None:
    comparison, served = _comparison(case), _served_run(case)
    answer = _call(case).answer or {}
    variants = answer.get("variants")
    if comparison is None or served is None or comparison.outcome != "ok" or not isinstance(variants, dict):
        return None
    findings, exercised = [], False
    for pointer in _VARIANT_OBJECTS:
        member = pointer[1:]
        node = served.get(member)
        if not isinstance(node, dict) or pointer not in variants:
            continue
        exercised = True
        tag = node.get("type")
        expected = None if _unknown_tag(case, served, member) else tag
        held = variants[pointer]
        if held != expected:
            wanted = f"the {expected} variant" if expected else "no known variant (a generic one)"
            findings.append(
                Finding(
                    "client.parse.variant-class",
                    "SHOULD",
                    pointer,
                    f"Received: type {show(tag)} held as the {show(held)} variant / Expected: {wanted}",
                )
            )
    return findings if exercised else None


# --- the answer to an HTTP error --------------------------------------------------------------


def _served_error(case: Case) -> dict[str, Any] | None:
    """The envelope's error object, for a served 4xx/5xx the SDK was asked about."""
    call = _call(case)
    if call.status < 400 or call.answer is None or not call.requests or call.outcome == "skipped":
        return None
    body = case.run if case.run is not UNPARSED else None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


@check("client.error.api-error")
def check_reported_as_api_error(case: Case) -> list[Finding] | None:
    if _served_error(case) is None:
        return None
    call = _call(case)
    if call.outcome == "api_error":
        return []
    return _one(
        "client.error.api-error",
        f"Received: {call.outcome} / Expected: api_error for the HTTP {call.status} served",
    )


def _api_error_field(
    case: Case, requirement: str, field: str, expected: Any, pointer: str
) -> list[Finding] | None:
    call = _call(case)
    if _served_error(case) is None or call.outcome != "api_error" or call.answer is None:
        return None
    got = call.answer.get(field)
    if got == expected and type(got) is type(expected):
        return []
    return _one(requirement, f"Received: {field} {show(got)} / Expected: {show(expected)}", pointer)


@check("client.error.status")
def check_error_status(case: Case) -> list[Finding] | None:
    return _api_error_field(case, "client.error.status", "status", _call(case).status, "")


@check("client.error.type")
def check_error_type(case: Case) -> list[Finding] | None:
    error = _served_error(case)
    return _api_error_field(case, "client.error.type", "error_type", (error or {}).get("type"), "/error/type")


@check("client.error.message")
def check_error_message(case: Case) -> list[Finding] | None:
    error = _served_error(case)
    return _api_error_field(
        case, "client.error.message", "message", (error or {}).get("message"), "/error/message"
    )


@check("client.error.request-id")
def check_error_request_id(case: Case) -> list[Finding] | None:
    request_id = _call(case).served_headers.get(case.facts.conventions["request_id_header"])
    if request_id is None:
        return None
    return _api_error_field(case, "client.error.request-id", "request_id", request_id, "")


# --- the harness ------------------------------------------------------------------------------


@check("client.harness.protocol")
def check_harness_protocol(case: Case) -> list[Finding] | None:
    fault = _call(case).fault
    return [] if fault is None else _one("client.harness.protocol", fault)


# --- EDGE classes, in a client evaluation -----------------------------------------------------


def judge_edge(case: Case, requirement: str, labels: list[Finding]) -> list[Finding] | None:
    """An EDGE label on the served run, judged by the SDK's answer: None when the call did not
    get to the parse (no run served, no answer), [] when the SDK kept the value, else findings."""
    comparison = _comparison(case)
    if comparison is None or not labels:
        return None
    if comparison.outcome != "ok":
        answer = _call(case).answer or {}
        said = f": {show(answer.get('message'), 100)}" if answer.get("message") else ""
        return [
            Finding(
                requirement,
                "EDGE",
                label.pointer,
                f"{label.message}; the SDK answered {comparison.outcome}{said}",
            )
            for label in labels[:1]
        ]
    if requirement == "edge.variant.unknown-error-type":
        pointers = comparison.charged.get("client.parse.unknown-error-type", [])
    else:
        pointers = comparison.edge_pointers.get(requirement, [])
    return [
        Finding(
            requirement,
            "EDGE",
            pointer,
            f"Received: {show(_value_at(comparison.answer_run, pointer))}"
            f" / Expected: {show(_value_at(case.run, pointer))}",
        )
        for pointer in pointers
    ]
