"""Checks of an SDK call, part one: the request it sent, how it reported an HTTP error, and
whether its harness kept to the protocol. `_client_parse` has the read-back of runs.

Each is a pure function of a Case whose `client` is the ClientCall; the Oracle runs the
client checks only in a client evaluation. The registry, CLIENT, holds both parts.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote

from drun_conformance._secrets import presented_keys

from ._call import ClientCall, RecordedRequest
from ._case import UNPARSED, Case, Finding, show
from ._registry import Registry

__all__ = ["CLIENT", "call_of", "one"]

CLIENT = Registry()
check = CLIENT.register

_RUN_PATH = re.compile(r"^/v1/deployments/([^/]+)/run$")


def call_of(case: Case) -> ClientCall:
    assert case.client is not None  # the Oracle runs these checks in client evaluations only
    return case.client


def one(requirement: str, message: str, pointer: str = "") -> list[Finding]:
    return [Finding(requirement, "MUST", pointer, message)]  # the Oracle sets the level


# --- the request ------------------------------------------------------------------------------


def _request(case: Case) -> RecordedRequest | None:
    return call_of(case).first_request


@check("client.request.method")
def check_method(case: Case) -> list[Finding] | None:
    request = _request(case)
    if request is None:
        return None
    if request.method == "POST":
        return []
    return one("client.request.method", f"Received: {request.method} / Expected: POST")


@check("client.request.path")
def check_path(case: Case) -> list[Finding] | None:
    request = _request(case)
    if request is None:
        return None
    wanted = call_of(case).deployment_id
    match = _RUN_PATH.match(request.path)
    try:
        decoded = unquote(match[1], errors="strict") if match else None
    except UnicodeDecodeError:
        decoded = None
    if decoded == wanted:
        return []
    expected = f"/v1/deployments/{quote(wanted, safe='')}/run"
    return one(
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
    return one("client.request.beta.managed", f"Received: {got} / Expected: {required} in anthropic-beta")


@check("client.request.beta.requested")
def check_requested_betas(case: Case) -> list[Finding] | None:
    request, asked = _request(case), call_of(case).betas
    if request is None or not asked:
        return None
    sent = set(request.betas())
    missing = [beta for beta in asked if beta not in sent]
    if not missing:
        return []
    header = request.headers.get("anthropic-beta")
    got = f"anthropic-beta: {header}" if header is not None else "no anthropic-beta header"
    return one(
        "client.request.beta.requested",
        f"Received: {got} / Expected: every beta passed, missing {', '.join(missing)}",
    )


@check("client.request.api-key")
def check_api_key(case: Case) -> list[Finding] | None:
    request = _request(case)
    if request is None:
        return None
    key = call_of(case).api_key
    if key in presented_keys(request.headers):
        return []
    # Never quote a key: name the headers only.
    present = [name for name in ("x-api-key", "authorization") if name in request.headers]
    got = "a " + " and an ".join(present) + " without the configured key" if present else "no key header"
    return one(
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
    return one("client.request.version-header", f"Received: no {header} header / Expected: {header}: ...")


@check("client.request.once")
def check_one_request(case: Case) -> list[Finding] | None:
    call = call_of(case)
    if call.outcome in (None, "skipped") and not call.requests:
        return None  # the harness gave no answer or could not express the call
    if len(call.requests) == 1:
        return []
    if not call.requests:
        return one(
            "client.request.once",
            f"Received: no request (the harness answered {call.outcome}) / Expected: one request",
        )
    methods = ", ".join(r.method for r in call.requests)
    return one("client.request.once", f"Received: {len(call.requests)} requests ({methods}) / Expected: one")


@check("client.request.no-body")
def check_no_body(case: Case) -> list[Finding] | None:
    request = _request(case)
    if request is None:
        return None
    if not request.body:
        return []
    return one(
        "client.request.no-body",
        f"Received: a body of {len(request.body)} bytes {show(request.body.decode('utf-8', 'replace'), 60)}"
        " / Expected: no body",
    )


# --- the answer to an HTTP error --------------------------------------------------------------


def _served_error(case: Case) -> dict[str, Any] | None:
    """The envelope's error object, for a served 4xx/5xx the SDK was asked about."""
    call = call_of(case)
    if call.status < 400 or call.answer is None or not call.requests or call.outcome == "skipped":
        return None
    body = case.run if case.run is not UNPARSED else None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


@check("client.error.api-error")
def check_reported_as_api_error(case: Case) -> list[Finding] | None:
    if _served_error(case) is None:
        return None
    call = call_of(case)
    if call.outcome == "api_error":
        return []
    return one(
        "client.error.api-error",
        f"Received: {call.outcome} / Expected: api_error for the HTTP {call.status} served",
    )


def _api_error_field(
    case: Case, requirement: str, field: str, expected: Any, pointer: str
) -> list[Finding] | None:
    call = call_of(case)
    if _served_error(case) is None or call.outcome != "api_error" or call.answer is None:
        return None
    got = call.answer.get(field)
    if got == expected and type(got) is type(expected):
        return []
    return one(requirement, f"Received: {field} {show(got)} / Expected: {show(expected)}", pointer)


@check("client.error.status")
def check_error_status(case: Case) -> list[Finding] | None:
    return _api_error_field(case, "client.error.status", "status", call_of(case).status, "")


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
    request_id = call_of(case).served_headers.get(case.facts.conventions["request_id_header"])
    if request_id is None:
        return None
    return _api_error_field(case, "client.error.request-id", "request_id", request_id, "")


# --- the harness ------------------------------------------------------------------------------


@check("client.harness.protocol")
def check_harness_protocol(case: Case) -> list[Finding] | None:
    fault = call_of(case).fault
    return [] if fault is None else one("client.harness.protocol", fault)
