"""An older harness, one that knows run alone, in a gate that sends retrieve and list too: it
answers them unsupported, and is skipped for them (never failed, never passed)."""

from __future__ import annotations

import pytest

from drun_conformance.client._check import ClientOptions, check_client

from .client_mutants import MODEL_SDK, faithful_command

pytestmark = pytest.mark.slow

FAMILY = {"client.retrieve.path", "client.list.query", "client.list.cursor", "client.list.items"}


def test_a_harness_that_knows_run_alone_is_skipped_for_the_family() -> None:
    command = faithful_command().replace(str(MODEL_SDK), f"{MODEL_SDK} --fault run-only")
    result = check_client(ClientOptions(harness=command, examples=30, seed=3, call_timeout=10.0))
    status = {r.id: r.status for r in result.requirements}
    assert {rid for rid in FAMILY if status[rid] != "skipped"} == set()
    assert {rid for rid, s in status.items() if s == "failed"} == set()
    assert result.verdict == "incomplete"  # skipped MUSTs: not conformant, not failed
    said = " ".join(result.notes)
    assert "does not support retrieve" in said and "does not support list" in said
    skipped = next(r for r in result.requirements if r.id == "client.list.items")
    assert "unsupported" in (skipped.message or "") + (skipped.remedy or "")
