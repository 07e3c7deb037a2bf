"""Checks of the HTTP exchange: status, headers and the error envelope (the API conventions).

They judge every answer the suite sees, whatever was asked (run now, read back, a listing page).
"""

from __future__ import annotations

from typing import Any

from ._body import unparsed_because
from ._case import Case, Exchange, Found, show
from ._registry import Registry, needs_exchange

__all__ = ["HTTP"]

HTTP = Registry[Case]()
rule = HTTP.register
# 529 is the API's documented "overloaded" answer: a load signal, not a fault.
_OVERLOADED = 529


def _exchange(case: Case) -> Exchange:
    assert case.exchange is not None  # guaranteed by @needs_exchange
    return case.exchange


def _envelope_error(case: Case) -> dict[str, Any] | None:
    """The `error` object of a well-formed error envelope, else None."""
    body = case.run
    if not isinstance(body, dict) or body.get("type") != "error":
        return None
    error = body.get("error")
    if not isinstance(error, dict):
        return None
    if not isinstance(error.get("type"), str) or not isinstance(error.get("message"), str):
        return None
    return error


@rule("http.success.content-type")
@needs_exchange
def check_success_content_type(case: Case) -> list[Found] | None:
    exchange = _exchange(case)
    if not 200 <= exchange.status < 300:
        return None
    if exchange.media_type == "application/json":
        return []
    got = exchange.response_headers.get("content-type", "no content-type")
    return [("", f"Received: {got} / Expected: application/json")]


@rule("http.success.200")
@needs_exchange
def check_success_is_200(case: Case) -> list[Found] | None:
    exchange = _exchange(case)
    if not 200 <= exchange.status < 300:
        return None
    if exchange.status == 200:
        return []
    return [("", f"Received: HTTP {exchange.status} / Expected: HTTP 200, the one success status documented")]


@rule("http.success.charset")
@needs_exchange
def check_success_charset(case: Case) -> list[Found] | None:
    exchange = _exchange(case)
    if not 200 <= exchange.status < 300:
        return None
    charset = _charset(exchange.response_headers.get("content-type", ""))
    if charset is None or charset.lower() == "utf-8":
        return []
    got = exchange.response_headers["content-type"]
    return [("", f"Received: content-type {show(got, 80)} / Expected: no charset, or charset=utf-8")]


def _charset(content_type: str) -> str | None:
    """The charset parameter of a content-type (RFC 9110 section 8.3), None when it has none."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"')
    return None


@rule("http.error.envelope")
@needs_exchange
def check_error_envelope(case: Case) -> list[Found] | None:
    exchange = _exchange(case)
    if exchange.status < 400:
        return None
    if exchange.media_type == "application/json" and _envelope_error(case) is not None:
        return []
    why = unparsed_because(case)  # JSON no client reads alike is no envelope: say why
    unread = f" ({why[1][1].partition(' / ')[0].removeprefix('Received: ')})" if why else ""
    return [
        (
            "",
            f"Received: {exchange.status} {exchange.media_type or 'no content-type'} "
            f"{show(exchange.body.decode('utf-8', 'replace'), 60)}{unread} / Expected: application/json "
            '{"type": "error", "error": {"type": ..., "message": ...}}',
        )
    ]


@rule("http.no-server-error")
@needs_exchange
def check_no_server_error(case: Case) -> list[Found] | None:
    exchange = _exchange(case)
    if exchange.status == _OVERLOADED:
        return None
    if exchange.status < 500:
        return []
    return [("", f"Received: {exchange.status} / Expected: no 5xx")]


@rule("http.unknown-deployment.no-run")
@needs_exchange
def check_unknown_deployment_no_run(case: Case) -> list[Found] | None:
    exchange = _exchange(case)
    if exchange.deployment_known is not False or not exchange.has_credentials:
        return None
    if not 200 <= exchange.status < 300:
        return []
    return [
        (
            "",
            f"Received: {exchange.status} for unknown deployment {show(exchange.deployment_id)}"
            " / Expected: a 4xx and no run",
        )
    ]


@rule("http.auth.no-run")
@needs_exchange
def check_no_run_without_credentials(case: Case) -> list[Found] | None:
    exchange = _exchange(case)
    if exchange.has_credentials:
        return None
    if not 200 <= exchange.status < 300:
        return []
    return [
        ("", f"Received: {exchange.status} to a request without credentials / Expected: a 4xx and no run")
    ]


@rule("http.auth.wrong-key.no-run")
@needs_exchange
def check_no_run_with_wrong_key(case: Case) -> list[Found] | None:
    exchange = _exchange(case)
    if not exchange.key_wrong:
        return None
    if not 200 <= exchange.status < 300:
        return []
    return [
        ("", f"Received: {exchange.status} to a request with a wrong API key / Expected: a 4xx and no run")
    ]


@rule("http.request-id")
@needs_exchange
def check_request_id_header(case: Case) -> list[Found] | None:
    if _exchange(case).response_headers.get("request-id"):
        return []
    return [("", "Received: no request-id header / Expected: request-id: req_...")]


@rule("http.error.message.non-empty")
@needs_exchange
def check_error_message_non_empty(case: Case) -> list[Found] | None:
    error = _envelope_error(case) if _exchange(case).status >= 400 else None
    if error is None:
        return None
    if error["message"]:
        return []
    return [("/error/message", 'Received: "" / Expected: a message')]


def _expect_status(case: Case, status: int, error_type: str) -> list[Found]:
    exchange = _exchange(case)
    error = _envelope_error(case)
    got_type = error["type"] if error else None
    if exchange.status == status and got_type == error_type:
        return []
    got = f"{exchange.status} {got_type or '(no error envelope)'}"
    return [("", f"Received: {got} / Expected: {status} {error_type}")]


@rule("http.unknown-deployment.404")
@needs_exchange
def check_unknown_deployment_404(case: Case) -> list[Found] | None:
    exchange = _exchange(case)
    if exchange.deployment_known is not False or not exchange.has_credentials:
        return None
    if exchange.status >= 500:  # a 5xx is http.no-server-error's finding
        return None
    return _expect_status(case, 404, "not_found_error")


@rule("run.read-back.unknown-404")
@needs_exchange
def check_unknown_run_404(case: Case) -> list[Found] | None:
    exchange = _exchange(case)
    if exchange.run_known is not False or exchange.status >= 500:  # a 5xx: http.no-server-error's
        return None
    return _expect_status(case, 404, "not_found_error")


@rule("http.auth.401")
@needs_exchange
def check_unauthenticated_401(case: Case) -> list[Found] | None:
    if _exchange(case).has_credentials:
        return None
    return _expect_status(case, 401, "authentication_error")


@rule("http.auth.wrong-key.401")
@needs_exchange
def check_wrong_key_401(case: Case) -> list[Found] | None:
    if not _exchange(case).key_wrong:
        return None
    return _expect_status(case, 401, "authentication_error")


@rule("http.beta.400")
@needs_exchange
def check_missing_beta_400(case: Case) -> list[Found] | None:
    exchange = _exchange(case)
    required = case.facts.conventions.required_beta
    if not exchange.has_credentials or required in exchange.betas():
        return None
    return _expect_status(case, 400, "invalid_request_error")


@rule("http.beta.among-others")
@needs_exchange
def check_beta_among_others_served(case: Case) -> list[Found] | None:
    exchange = _exchange(case)
    betas = exchange.betas()
    required = case.facts.conventions.required_beta
    if exchange.deployment_known is not True or exchange.key_wrong or required not in betas or len(betas) < 2:
        return None
    if exchange.status != 400:  # a refusal of the header is a 400; a 2xx served it
        return [] if 200 <= exchange.status < 300 else None
    sent = exchange.request_headers.get("anthropic-beta", "")
    return [
        (
            "",
            f"Received: 400 for anthropic-beta: {show(sent, 80)} / Expected: served as with {required} alone",
        )
    ]
