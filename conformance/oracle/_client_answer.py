"""Checks of what an SDK answered, besides a parsed run: an HTTP error served is reported as an
API error carrying the status, type, message and request id served; and the harness keeps to
its protocol. The Oracle runs them, with `_client_parse`'s, in `judge_client_parse`.
"""

from __future__ import annotations

from typing import Any

from ._call import ClientCase
from ._case import UNPARSED, Found, show
from ._registry import Registry

__all__ = ["ANSWER", "served_error"]

ANSWER = Registry[ClientCase]()
check = ANSWER.register


def served_error(case: ClientCase) -> dict[str, Any] | None:
    """The envelope's error object, for a served 4xx/5xx the SDK was asked about."""
    call = case.call
    if call.status < 400 or call.answer is None or not call.requests or call.outcome == "skipped":
        return None
    body = call.served if call.served is not UNPARSED else None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


@check("client.error.api-error")
def check_reported_as_api_error(case: ClientCase) -> list[Found] | None:
    if served_error(case) is None:
        return None
    call = case.call
    if call.outcome == "api_error":
        return []
    return [("", f"Received: {call.outcome} / Expected: api_error for the HTTP {call.status} served")]


def _api_error_field(case: ClientCase, field: str, expected: Any, pointer: str) -> list[Found] | None:
    call = case.call
    if served_error(case) is None or call.outcome != "api_error" or call.answer is None:
        return None
    got = call.answer.get(field)
    if got == expected and type(got) is type(expected):
        return []
    return [(pointer, f"Received: {field} {show(got)} / Expected: {show(expected)}")]


@check("client.error.status")
def check_error_status(case: ClientCase) -> list[Found] | None:
    return _api_error_field(case, "status", case.call.status, "")


@check("client.error.type")
def check_error_type(case: ClientCase) -> list[Found] | None:
    error = served_error(case)
    return _api_error_field(case, "error_type", (error or {}).get("type"), "/error/type")


@check("client.error.message")
def check_error_message(case: ClientCase) -> list[Found] | None:
    error = served_error(case)
    return _api_error_field(case, "message", (error or {}).get("message"), "/error/message")


@check("client.error.request-id")
def check_error_request_id(case: ClientCase) -> list[Found] | None:
    request_id = case.call.served_headers.get(case.facts.conventions.request_id_header)
    if request_id is None:
        return None
    return _api_error_field(case, "request_id", request_id, "")


@check("client.harness.protocol")
def check_harness_protocol(case: ClientCase) -> list[Found] | None:
    fault = case.call.fault
    return [] if fault is None else [("", fault)]
