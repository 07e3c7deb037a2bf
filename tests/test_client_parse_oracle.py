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
