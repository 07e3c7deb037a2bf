"""The oracle as a Schemathesis check, from its public home: the module users name in
`SCHEMATHESIS_HOOKS=drun_conformance.schemathesis`."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
import schemathesis.checks

from drun_conformance.schemathesis import drun_conformance as check


def _answer(body: dict[str, Any]) -> Any:
    """What the check reads of a Schemathesis response: the request's headers, the status, the
    headers (each a list of values) and the body."""
    request = SimpleNamespace(headers={"x-api-key": "k", "anthropic-beta": "managed-agents-2026-04-01"})
    headers = {"content-type": ["application/json"], "request-id": ["req_1"]}
    return SimpleNamespace(
        request=request, status_code=200, headers=headers, content=json.dumps(body).encode()
    )


def test_importing_the_hooks_module_registers_the_check() -> None:
    assert "drun_conformance" in schemathesis.checks.CHECKS.get_all_names()


def test_a_case_fails_on_a_must_finding_only(valid_run: dict[str, Any]) -> None:
    case = SimpleNamespace(method="post", path_parameters={"deployment_id": valid_run["deployment_id"]})
    assert check(None, _answer(valid_run), case) is None
    assert check(None, _answer({**valid_run, "id": "run_1"}), case) is None  # a SHOULD does not fail it
    with pytest.raises(AssertionError, match=r"run\.outcome\.exactly-one"):
        check(None, _answer({**valid_run, "error": {"type": "unknown_error", "message": "m"}}), case)
