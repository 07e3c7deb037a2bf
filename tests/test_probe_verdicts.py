"""The two verdict rules the sharper probes need: a served route that answers malformed is a
failure, never "not applicable"; under --strict a SHOULD never exercised leaves the verdict
incomplete, as a MUST does."""

from __future__ import annotations

from typing import Literal

import pytest

from drun_conformance.results import RequirementResult, target_gate, target_verdict
from drun_conformance.server import ServerOptions, check_server
from drun_conformance.server.reference import DEFAULT_API_KEY, create_app, serve_in_thread

from . import probe_mutants
from .mutant_kit import FaultInjector

Level = Literal["MUST", "SHOULD", "EDGE"]


def _requirement(rid: str, level: Level, status: Literal["passed", "skipped"]) -> RequirementResult:
    return RequirementResult(
        id=rid, level=level, side="server", area="a", title=rid, source={}, status=status
    )


def test_under_strict_an_unexercised_should_is_incomplete() -> None:
    requirements = [_requirement("a.must", "MUST", "passed"), _requirement("a.should", "SHOULD", "skipped")]
    assert target_verdict(requirements, strict=False) == "conformant"
    assert target_gate(requirements, strict=False) == "passed"
    assert target_verdict(requirements, strict=True) == "incomplete"
    assert target_gate(requirements, strict=True) == "incomplete"
    not_applicable = requirements[1].model_copy(update={"applicable": False})
    assert target_verdict([requirements[0], not_applicable], strict=True) == "conformant"


@pytest.mark.slow
def test_a_listing_served_malformed_fails_and_leaves_no_listing_requirement_not_applicable() -> None:
    mutant = next(m for m in probe_mutants.MUTANTS if m.name == "listing-without-data")
    with serve_in_thread(FaultInjector(create_app(), mutant)) as url:
        options = ServerOptions(
            base_url=url, api_key=DEFAULT_API_KEY, deployment_ids=("depl_ok",), profile="quick", seed=2
        )
        result = check_server(options)
    assert (result.verdict, result.gate) == ("non-conformant", "failed")
    listing = [r for r in result.requirements if r.id.startswith("listing.")]
    assert {r.id for r in listing if r.status == "failed"} == {"listing.page.shape"}
    assert all(r.applicable for r in listing)
