"""The SDK gate proves its power: each faulty harness is caught by its requirement, and only
by it; EDGE faults are reported and gate on nothing; the faithful harness passes clean; a
harness that speaks garbage, hangs or dies is a finding, never a crash of the suite."""

from __future__ import annotations

import pytest

from drun_conformance import spec
from drun_conformance.client._check import ClientOptions, check_client
from drun_conformance.results import TargetResult

from .client_mutants import (
    CLIENT_MUTANTS,
    EDGE_ALSO,
    MISBEHAVIOURS,
    ClientMutant,
    faithful_command,
    misbehaving_command,
)

CATALOG = spec.load_catalog()
CLIENT_REQUIREMENTS = {r.id for r in CATALOG.on("client-request", "client-parse")}
LEVELS = {r.id: r.level for r in CATALOG}


def gate(command: str, *, baseline: bool = False, **options: object) -> TargetResult:
    """The gate on `command`; with `baseline`, against the faithful model SDK's run as its baseline."""
    settings = {"examples": 12, "seed": 7, "shrink_calls": 15, "shrink_seconds": 10.0, "call_timeout": 10.0}
    given = ClientOptions(harness=command, **{**settings, **options})  # type: ignore[arg-type]
    base = check_client(ClientOptions(harness=faithful_command(), **settings)) if baseline else None  # type: ignore[arg-type]
    return check_client(given, baseline=base)


def failed(result: TargetResult, *levels: str) -> set[str]:
    return {r.id for r in result.requirements if r.status == "failed" and r.level in levels}


def test_every_client_requirement_is_backed_by_a_mutant() -> None:
    backed = {m.requirement for m in CLIENT_MUTANTS} | set(EDGE_ALSO.values()) | {"client.harness.protocol"}
    assert CLIENT_REQUIREMENTS - backed == set()
    assert len(CLIENT_MUTANTS) >= 16 and len({m.name for m in CLIENT_MUTANTS}) == len(CLIENT_MUTANTS)


@pytest.mark.slow
def test_the_faithful_harness_passes_clean() -> None:
    result = gate(faithful_command(), examples=40, baseline=True)
    assert failed(result, "MUST", "SHOULD", "EDGE") == set(), [
        r.message for r in result.requirements if r.message
    ]
    assert result.verdict == "conformant"
    unexercised = {r.id for r in result.requirements if r.status != "passed"}
    assert unexercised == set(), "the coverage cases must exercise every client requirement"


@pytest.mark.slow
@pytest.mark.parametrize("mutant", CLIENT_MUTANTS, ids=lambda m: m.name)
def test_each_mutant_is_caught_by_its_requirement_only(mutant: ClientMutant) -> None:
    result = gate(mutant.command, baseline=mutant.baseline)
    gating = failed(result, "MUST", "SHOULD")
    if LEVELS[mutant.requirement] == "EDGE":
        assert mutant.requirement in failed(result, "EDGE"), f"{mutant.name} escaped"
        assert gating == set(), f"an EDGE fault gated: {sorted(gating)}"
        assert result.verdict == "conformant"
        return
    assert mutant.requirement in gating, f"{mutant.name} escaped: failed {sorted(gating)}"
    assert gating - {mutant.requirement} <= mutant.also, (
        f"{mutant.name} also broke {sorted(gating - mutant.also)}"
    )
    if LEVELS[mutant.requirement] == "MUST":
        assert result.verdict == "non-conformant"
    also_edge = EDGE_ALSO.get(mutant.name)
    if also_edge:
        assert also_edge in failed(result, "EDGE")


@pytest.mark.slow
def test_a_failure_shrinks_to_a_minimal_case() -> None:
    mutant = next(m for m in CLIENT_MUTANTS if m.name == "offset-dropped")
    result = gate(mutant.command, examples=30, coverage=False, shrink_calls=300, shrink_seconds=60.0)
    timestamps = next(r for r in result.requirements if r.id == "client.parse.timestamp")
    assert timestamps.status == "failed" and timestamps.counterexample is not None
    example = timestamps.counterexample
    # Shrunk to the strategies' simplest run: ids of zeros, the first instant, no extra field.
    assert example.payload["id"] == "drun_" + "0" * 24
    assert example.payload["created_at"] == "2000-01-01T00:00:00Z"
    assert set(example.payload) <= {*spec.load_schema()["properties"]}
    assert example.request is not None and example.request["method"] == "POST"
    assert example.answer is not None and example.answer["run"]["created_at"] == "2000-01-01T00:00:00"
    assert example.pointer == "/created_at"


@pytest.mark.slow
@pytest.mark.parametrize("mode", MISBEHAVIOURS)
def test_a_misbehaving_harness_is_a_finding(mode: str) -> None:
    result = gate(misbehaving_command(mode), examples=3, call_timeout=1.0, coverage=mode != "hang")
    protocol = next(r for r in result.requirements if r.id == "client.harness.protocol")
    assert protocol.status == "failed", mode
    assert result.verdict == "non-conformant"
    words = {
        "garbage": "not JSON",
        "off-schema": "breaks spec/harness",
        "wrong-seq": "answered seq",
        "hang": "no answer to run within 1 s",
        "die": "exited with status 3",
        "chatty": "not JSON",
    }[mode]
    assert protocol.message is not None and words in protocol.message, protocol.message
    if mode == "die":
        assert "segmentation fault (pretend)" in protocol.message
    assert protocol.counterexample is not None and protocol.counterexample.answer is not None


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["refuse", "no-start"])
def test_a_harness_that_cannot_start_is_unreached(mode: str) -> None:
    result = gate(misbehaving_command(mode))
    assert result.identity["reached"] is False
    protocol = next(r for r in result.requirements if r.id == "client.harness.protocol")
    assert protocol.status == "failed"
    assert any("did not start" in note for note in result.notes)


@pytest.mark.slow
def test_a_candidate_better_than_its_baseline_passes_and_says_so() -> None:
    settings = {"examples": 12, "seed": 7, "shrink_calls": 15, "shrink_seconds": 10.0, "call_timeout": 10.0}
    worse = next(m for m in CLIENT_MUTANTS if m.name == "version-as-double")
    base = check_client(ClientOptions(harness=worse.command, **settings))  # type: ignore[arg-type]
    result = check_client(ClientOptions(harness=faithful_command(), **settings), baseline=base)  # type: ignore[arg-type]
    assert result.gate == "passed" and failed(result, "MUST", "SHOULD", "EDGE") == set()
    said = " ".join(result.notes)
    assert "better than the baseline" in said and "version 2^53 + 1" in said, result.notes


@pytest.mark.slow
@pytest.mark.parametrize("name", ["crash-on-unknown-fields", "crash-on-unknown-fields-in-errors"])
def test_the_coverage_cases_alone_find_unknown_fields_refused_at_any_level(name: str) -> None:
    """Whatever the draw holds (unknown fields come in about half the objects), the hand-made
    cases put one at every level: at the run's, its agent's and trigger's, and its error's."""
    mutant = next(m for m in CLIENT_MUTANTS if m.name == name)
    assert mutant.requirement in failed(gate(mutant.command, examples=0), "MUST")
