"""Checks of an SDK call's request: what it sent to the scripted mock server (or, through the
proxy, to the upstream). The Oracle runs them in `judge_client_request`.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from drun_conformance._secrets import presented_keys

from ._call import ClientCase, RecordedRequest
from ._case import Found, show
from ._registry import Registry

__all__ = ["REQUEST", "one_segment", "request_of"]

REQUEST = Registry[ClientCase]()
check = REQUEST.register

_RUN_PATH = re.compile(r"^/v1/deployments/([^/]+)/run$")


def _request(case: ClientCase) -> RecordedRequest | None:
    return case.call.first_request


def request_of(case: ClientCase, operation: str) -> RecordedRequest | None:
    """The first request of a call of `operation` (run, retrieve, list), None for another's."""
    return case.call.first_request if case.call.operation == operation else None


def one_segment(pattern: re.Pattern[str], path: str) -> str | None:
    """The path segment `pattern` captures, percent-decoded; None when the path does not match
    or the segment is not UTF-8."""
    match = pattern.match(path)
    try:
        return unquote(match[1], errors="strict") if match else None
    except UnicodeDecodeError:
        return None


@check("client.request.method")
def check_method(case: ClientCase) -> list[Found] | None:
    request = request_of(case, "run")  # retrieve and list have checks of their own
    if request is None:
        return None
    if request.method == "POST":
        return []
    return [("", f"Received: {request.method} / Expected: POST")]


@check("client.request.path")
def check_path(case: ClientCase) -> list[Found] | None:
    request = request_of(case, "run")  # retrieve and list have checks of their own
    if request is None:
        return None
    wanted = case.call.deployment_id
    if one_segment(_RUN_PATH, request.path) == wanted:
        return []
    expected = f"/v1/deployments/{quote(wanted, safe='')}/run"
    return [
        (
            "",
            f"Received: {show(request.target, 120)} / Expected: {show(expected, 120)} "
            f"(the id {show(wanted, 60)} as one escaped segment)",
        )
    ]


@check("client.request.beta.managed")
def check_managed_beta(case: ClientCase) -> list[Found] | None:
    request = _request(case)
    if request is None:
        return None
    required = case.facts.conventions.required_beta
    if required in request.betas():
        return []
    header = request.headers.get("anthropic-beta")
    got = f"anthropic-beta: {header}" if header is not None else "no anthropic-beta header"
    return [("", f"Received: {got} / Expected: {required} in anthropic-beta")]


@check("client.request.beta.requested")
def check_requested_betas(case: ClientCase) -> list[Found] | None:
    request, asked = _request(case), case.call.betas
    if request is None or not asked:
        return None
    sent = set(request.betas())
    missing = [beta for beta in asked if beta not in sent]
    if not missing:
        return []
    header = request.headers.get("anthropic-beta")
    got = f"anthropic-beta: {header}" if header is not None else "no anthropic-beta header"
    return [("", f"Received: {got} / Expected: every beta passed, missing {', '.join(missing)}")]


@check("client.request.api-key")
def check_api_key(case: ClientCase) -> list[Found] | None:
    request = _request(case)
    if request is None:
        return None
    key = case.call.api_key
    if key in presented_keys(request.headers):
        return []
    # Never quote a key: name the headers only.
    present = [name for name in ("x-api-key", "authorization") if name in request.headers]
    got = "a " + " and an ".join(present) + " without the configured key" if present else "no key header"
    return [("", f"Received: {got} / Expected: x-api-key: <key> or Authorization: Bearer <key>")]


@check("client.request.version-header")
def check_version_header(case: ClientCase) -> list[Found] | None:
    request = _request(case)
    if request is None:
        return None
    header = case.facts.conventions.version_header
    if request.headers.get(header):
        return []
    return [("", f"Received: no {header} header / Expected: {header}: ...")]


@check("client.request.once")
def check_one_request(case: ClientCase) -> list[Found] | None:
    call = case.call
    if call.operation == "list":
        return None  # a walk sends a request a page: client.list.cursor counts them
    if call.outcome in (None, "skipped") and not call.requests:
        return None  # the harness gave no answer or could not express the call
    if len(call.requests) == 1:
        return []
    if not call.requests:
        return [("", f"Received: no request (the harness answered {call.outcome}) / Expected: one request")]
    methods = ", ".join(r.method for r in call.requests)
    return [("", f"Received: {len(call.requests)} requests ({methods}) / Expected: one")]


@check("client.request.no-body")
def check_no_body(case: ClientCase) -> list[Found] | None:
    request = _request(case)
    if request is None:
        return None
    if not request.body:
        return []
    text = show(request.body.decode("utf-8", "replace"), 60)
    return [("", f"Received: a body of {len(request.body)} bytes {text} / Expected: no body")]
