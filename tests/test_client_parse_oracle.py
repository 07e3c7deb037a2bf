"""client-parse: a refusal is charged to what the run served has. A run with an unknown field
in any object, refused, fails client.parse.unknown-fields, never client.parse.ok: an SDK that
chokes on a field a newer API adds must be named for it, at whichever level the field sits.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from drun_conformance.oracle import ClientCall, Oracle, RecordedRequest

from .conftest import VALID_RUN

ORACLE = Oracle.default()
RUN = {
    **VALID_RUN,
    "error": {"type": "vault_archived_error", "message": "The deployment's vault was archived."},
    "session_id": None,
}
REQUEST = RecordedRequest(
    "POST",
    "/v1/deployments/depl_011CZkYqphY8vELVzwCUpqiQ/run",
    {"anthropic-beta": "managed-agents-2026-04-01", "x-api-key": "k", "anthropic-version": "2023-06-01"},
    b"",
)


def _refused(served: dict[str, Any]) -> set[str]:
    call = ClientCall(
        deployment_id="depl_011CZkYqphY8vELVzwCUpqiQ",
        betas=None,
        api_key="k",
        status=200,
        served_headers={"content-type": "application/json"},
        served=served,
        requests=(REQUEST,),
        answer={"seq": 1, "outcome": "client_error", "message": "Refused: unexpected field"},
    )
    return {f.requirement for f in ORACLE.judge_client_parse(call).findings}


@pytest.mark.parametrize(
    "where", [(), ("agent",), ("error",), ("trigger_context",)], ids=lambda w: "/".join(w) or "run"
)
def test_a_refused_run_with_an_unknown_field_fails_unknown_fields(where: tuple[str, ...]) -> None:
    served = copy.deepcopy(RUN)
    node = served
    for key in where:
        node = node[key]
    node["labels"] = {"team": "payments"}
    assert _refused(served) == {"client.parse.unknown-fields"}


def test_a_refused_plain_run_fails_ok() -> None:
    assert _refused(copy.deepcopy(RUN)) == {"client.parse.ok"}


def _raised(exception: str, status: int, language: str, release: str | None) -> list[str]:
    """The client.error.exception findings of an SDK `release` raising `exception` for `status`."""
    envelope = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    call = ClientCall(
        deployment_id="depl_011CZkYqphY8vELVzwCUpqiQ",
        betas=None,
        api_key="k",
        status=status,
        served_headers={"content-type": "application/json", "request-id": "req_1"},
        served=envelope,
        requests=(REQUEST,),
        answer={"seq": 1, "outcome": "api_error", "status": status, "exception": exception},
        language=language,
        release=release,
    )
    evaluation = ORACLE.judge_client_parse(call)
    return [f.message for f in evaluation.findings if f.requirement == "client.error.exception"]


@pytest.mark.parametrize(
    ("language", "status", "generic", "specific", "older", "mapping"),
    [
        ("python", 529, "InternalServerError", "OverloadedError", None, "0.109.0"),  # every gated release
        ("python", 504, "InternalServerError", "GatewayTimeoutError", "2.4.0", "2.5.0"),
        ("python", 402, "APIStatusError", "PaymentRequiredError", "2.9.0", "2.10.0"),
        ("typescript", 413, "APIError", "ContentTooLargeError", "1.4.0", "1.5.0"),
        ("java", 529, "InternalServerException", "OverloadedException", "3.4.0", "3.5.0"),
    ],
)
def test_a_status_raises_its_own_class_from_the_release_that_maps_it(
    language: str, status: int, generic: str, specific: str, older: str | None, mapping: str
) -> None:
    assert _raised(specific, status, language, mapping) == []
    (found,) = _raised(generic, status, language, mapping)
    received, expected = found.split(" / Expected: ")
    assert received == f"Received: {generic} for the HTTP {status} served"
    assert specific in expected.split(" or ") and generic not in expected
    assert _raised("BadRequestError", status, language, "99.0.0")  # another class is never right
    if older is not None:  # before it, the generic class is what that release raises
        assert _raised(generic, status, language, older) == []
    assert _raised(generic, status, language, None) == []  # a release not known: either class
