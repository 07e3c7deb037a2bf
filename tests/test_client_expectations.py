"""Scoped expectations: a known failure covers exactly what was recorded (its coverage cases
and a scope of drawn values), a failure of the same requirement elsewhere is new, "now passes"
is said only when every recorded case passes through the same types, and
`--record-expectations` writes the entries the gate then reads back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from drun_conformance import spec
from drun_conformance.client._check import ClientOptions, check_client
from drun_conformance.client._expectations import Ledger, load_expectations
from drun_conformance.client._scope import names_at, tightest
from drun_conformance.oracle import Evaluation, Finding, Oracle
from drun_conformance.results import Counterexample, TargetResult, TargetTally

from .client_mutants import CLIENT_MUTANTS, faithful_command

CATALOG = spec.load_catalog()
FACTS = Oracle(CATALOG).facts
INT64 = "client.parse.int64"
SCOPED = (
    "sdk: x\n"
    "failures:\n"
    "  - requirement: client.parse.int64\n"
    "    reason: doubles\n"
    '    cases: ["version 2^53 + 1"]\n'
    '    scope: ["version beyond ±2^53"]\n'
    "    reads:\n"
    '      "/agent/version": "number"\n'
)
EXAMPLE = Counterexample(summary="x")


def _run(version: int) -> dict[str, Any]:
    return {
        "agent": {"id": "agent_1", "type": "agent", "version": version},
        "created_at": "2026-11-27T18:11:19Z",
    }


def _ledger(tmp_path: Path, text: str = SCOPED) -> Ledger:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    return Ledger(load_expectations(path, version=None, catalog=CATALOG), FACTS)


def _settle(ledger: Ledger, exercised: set[str], new: list[Finding] = ()) -> TargetResult:  # type: ignore[assignment]
    tally = TargetTally(CATALOG, sides={"client-request", "client-parse"})
    tally.record(Evaluation(list(new), frozenset(exercised)))
    return ledger.settle(
        tally.result(target_id="sdk:x", kind="client", identity={}, strict=False), strict=False
    )


def _finding(version: int) -> Finding:
    return Finding(INT64, "MUST", "/agent/version", f"Received: {version - 1} / Expected: {version}")


def test_a_value_is_named_by_every_scope_it_passes_tightest_first() -> None:
    assert names_at("/agent/version", _run(2**53 + 1), FACTS) == (
        "version beyond ±2^53",
        "version beyond int32",
    )
    assert names_at("/agent/version", _run(2**31), FACTS) == ("version beyond int32",)
    assert names_at("/agent/version", _run(3), FACTS) == ()
    assert names_at("/created_at", _run(2**60), FACTS) == ()  # a version's scope is no timestamp's
    # Recorded: the tightest name of each failure; a name within a looser one chosen is dropped.
    assert tightest([("version beyond ±2^53", "version beyond int32")]) == ["version beyond ±2^53"]
    assert tightest([("version beyond ±2^53", "version beyond int32"), ("version beyond int32",)]) == [
        "version beyond int32"
    ]


def test_a_failure_outside_the_recorded_scope_is_new(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    split = ledger.split  # each failure of the same requirement, on another value or case

    def new(version: int, label: str = "") -> list[Finding]:
        return split([_finding(version)], label=label, served=_run(version), types={}, example=EXAMPLE)

    assert new(2**60) == [] and new(2**53 + 1, "version 2^53 + 1") == []  # in scope; a recorded case
    narrowed = [_finding(2**31)]
    assert new(2**31) == narrowed  # a version narrowed to 32 bits: no double loses it
    assert new(2**31, "version 2^31") == narrowed  # a coverage case it was not recorded on
    result = _settle(ledger, {INT64}, [*narrowed, *narrowed])
    int64 = next(r for r in result.requirements if r.id == INT64)
    assert int64.status == "failed" and not int64.expected and result.gate == "failed"
    assert any(
        f"2 failures outside what {tmp_path.name}/x.yaml records" in n and "2 known" in n
        for n in result.notes
    )


def test_now_passes_only_when_every_recorded_case_passes_through_the_same_types(tmp_path: Path) -> None:
    def notes(ran: dict[str, dict[str, Any]]) -> str:
        ledger = _ledger(tmp_path)
        for label, types in ran.items():
            ledger.split([], label=label, served=_run(3), types=types, example=EXAMPLE)
        return " ".join(_settle(ledger, {INT64}).notes)

    assert "now passes: remove it" in notes({"version 2^53 + 1": {"/agent/version": "number"}})
    changed = notes({"version 2^53 + 1": {"/agent/version": "string"}})
    assert (
        "through other types" in changed and "not counted as fixed" in changed and "now passes" not in changed
    )
    assert "did not run (version 2^53 + 1)" in notes({"a plain successful run": {}})


def test_recording_writes_scoped_entries_and_keeps_the_rest_of_the_file(tmp_path: Path) -> None:
    text = (
        "# why these fail\nsdk: x\nfailures:\n"
        "  - {requirement: client.parse.int64, reason: doubles}\n\ndrift: []\n"
    )
    ledger = _ledger(tmp_path, text)
    for version, label in ((2**53 + 1, "version 2^53 + 1"), (2**62, "")):
        ledger.split(
            [_finding(version)],
            label=label,
            served=_run(version),
            types={"/agent/version": "number"},
            example=EXAMPLE,
        )
    result = _settle(
        ledger, {INT64, "client.parse.fields"}, [Finding("client.parse.fields", "MUST", "/id", "x")]
    )
    path = tmp_path / "x.yaml"
    said = ledger.record(result, path, version=None)
    assert said == ["client.parse.fields: added to x.yaml: give its reason"]
    written = path.read_text(encoding="utf-8")
    assert written.startswith("# why these fail\nsdk: x\nfailures:\n") and written.endswith("\ndrift: []\n")
    entries = load_expectations(path, version=None, catalog=CATALOG).failures
    int64 = entries[INT64]
    assert (int64.reason, int64.cases, int64.scope) == (
        "doubles",
        {"version 2^53 + 1"},
        ("version beyond ±2^53",),
    )
    assert int64.reads == {"/agent/version": "number"}
    assert (
        entries["client.parse.fields"].scope == ()
        and "--record-expectations" in entries["client.parse.fields"].reason
    )


# --- end to end, with the model SDK -----------------------------------------------------------------


def _gate(fault: str | None, path: Path, **options: Any) -> TargetResult:
    command = next(m.command for m in CLIENT_MUTANTS if m.name == fault) if fault else faithful_command()
    settings = {"examples": 20, "seed": 3, "shrink_calls": 10, "shrink_seconds": 5.0, "call_timeout": 10.0}
    return check_client(
        ClientOptions(harness=command, expectations_file=str(path), **{**settings, **options})
    )  # type: ignore[arg-type]


@pytest.mark.slow
def test_an_expectation_recorded_on_one_build_lets_it_pass_and_catches_a_narrower_one(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    recorded = _gate("version-as-double", path, record_expectations=True)
    assert recorded.gate == "failed" and any("added to model.yaml" in n for n in recorded.notes)
    (entry,) = load_expectations(path, version=None, catalog=CATALOG).failures.values()
    assert (entry.requirement, entry.scope) == (INT64, ("version beyond ±2^53",))
    assert entry.cases == {"version 2^53 + 1", "version int64 max"}  # -2^63 is a double
    again = _gate("version-as-double", path)
    assert (again.verdict, again.gate) == ("non-conformant", "passed")
    # A version narrowed to 32 bits fails the same requirement outside the recorded scope.
    narrowed = _gate("version-int32", path)
    assert narrowed.gate == "failed" and any("outside what" in n for n in narrowed.notes), narrowed.notes
    fixed = _gate(None, path)
    assert fixed.gate == "passed" and any("now passes" in n for n in fixed.notes)
