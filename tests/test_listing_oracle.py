"""The listing checks on hand-made walks: each finds its fault, and only it; clean walks pass."""

from __future__ import annotations

from typing import Any

import pytest

from drun_conformance.oracle import UNPARSED, ListingPage, ListingWalk, Oracle, run_matches

ORACLE = Oracle.default()
LISTING = {
    "listing.page.shape",
    "listing.run.same-record",
    "listing.page.limit",
    "listing.walk.no-repeat",
    "listing.walk.no-skip",
    "listing.filter.holds",
    "listing.cursor.invalid-400",
    "listing.cursor.issued-accepted",
    "listing.session_id.distinct",
}


def run(
    rid: str, *, deployment: str = "depl_a", error: bool = False, at: str = "2026-05-01T12:00:00Z"
) -> dict[str, Any]:
    return {
        "id": rid,
        "deployment_id": deployment,
        "created_at": at,
        "error": {"type": "unknown_error", "message": "x"} if error else None,
        "session_id": None if error else f"sesn_{rid}",
        "trigger_context": {"type": "manual"},
    }


def page(*runs: dict[str, Any], cursor: str | None = None, following: str | None = None) -> ListingPage:
    return ListingPage(200, {"data": list(runs), "next_page": following}, cursor)


def walk(
    *pages: ListingPage,
    filters: dict[str, str] | None = None,
    limit: int | None = 2,
    known: tuple[str, ...] = (),
    answered: tuple[dict[str, Any], ...] = (),
) -> ListingWalk:
    return ListingWalk(filters or {}, limit, pages, frozenset(known), {r["id"]: r for r in answered})


def failed(listing: ListingWalk) -> set[str]:
    return {f.requirement for f in ORACLE.judge_listing_walk(listing).violations}


CLEAN = walk(
    page(run("r4"), run("r3"), following="c2"),
    page(run("r2"), run("r1"), cursor="c2"),
    filters={"deployment_id": "depl_a", "has_error": "false", "created_at[gte]": "2026-05-01T00:00:00+02:00"},
    known=("r1", "r2", "r3", "r4"),
    answered=(run("r2"), {**run("r4"), "created_at": "2026-05-01T14:00:00+02:00"}),  # the same instant
)


def test_a_clean_walk_exercises_eight_requirements_and_passes() -> None:
    evaluation = ORACLE.judge_listing_walk(CLEAN)
    assert evaluation.violations == []
    assert evaluation.exercised == LISTING - {"listing.cursor.invalid-400"}


@pytest.mark.parametrize(
    ("listing", "requirement"),
    [
        (walk(page(run("r3"), run("r2"), run("r1"))), "listing.page.limit"),
        (
            walk(page(run("r3"), run("r2"), following="c"), page(run("r2"), run("r1"), cursor="c")),
            "listing.walk.no-repeat",
        ),
        (walk(page(run("r3"), run("r1")), known=("r1", "r2", "r3")), "listing.walk.no-skip"),
        (
            walk(page(run("r1", deployment="depl_b")), filters={"deployment_id": "depl_a"}),
            "listing.filter.holds",
        ),
        (walk(page(run("r1", error=True)), filters={"has_error": "false"}), "listing.filter.holds"),
        (walk(page(run("r1")), filters={"created_at[lt]": "2026-05-01T12:00:00Z"}), "listing.filter.holds"),
        (walk(page(run("r1")), filters={"trigger_type": "schedule"}), "listing.filter.holds"),
        (
            walk(ListingPage(200, {"data": [], "next_page": None}, "made-up", issued=False)),
            "listing.cursor.invalid-400",
        ),
        (walk(ListingPage(200, {"runs": []})), "listing.page.shape"),
        (walk(ListingPage(200, UNPARSED)), "listing.page.shape"),
        (walk(ListingPage(200, [run("r1")])), "listing.page.shape"),
        (walk(page(run("r1"), following=7)), "listing.page.shape"),  # type: ignore[arg-type]
        (walk(page(run("r1")), answered=({**run("r1"), "session_id": "sesn_2"},)), "listing.run.same-record"),
        (walk(page(run("r2"), following="c"), ListingPage(400, {}, "c")), "listing.cursor.issued-accepted"),
        (walk(page(run("r2"), {**run("r1"), "session_id": "sesn_r2"})), "listing.session_id.distinct"),
    ],
)
def test_each_fault_is_found_by_its_requirement_only(listing: ListingWalk, requirement: str) -> None:
    assert failed(listing) == {requirement}


def test_an_unfinished_walk_does_not_judge_skips() -> None:
    unfinished = walk(page(run("r3"), following="c"), known=("r1", "r3"))
    assert "listing.walk.no-skip" not in ORACLE.judge_listing_walk(unfinished).exercised


def test_a_400_envelope_for_a_made_up_cursor_passes_and_odd_bodies_do_not_crash() -> None:
    envelope = {"type": "error", "error": {"type": "invalid_request_error", "message": "bad page"}}
    assert failed(walk(ListingPage(400, envelope, "x", issued=False))) == set()
    for body in (UNPARSED, [], {"data": "no"}, {"data": [1, None, "x"]}, {"data": [{"id": 5}]}):
        ORACLE.judge_listing_walk(walk(ListingPage(200, body), answered=(run("r1"),)))


def test_a_page_without_next_page_is_a_last_page_and_an_error_page_no_page() -> None:
    assert failed(walk(ListingPage(200, {"data": [run("r1")]}))) == set()
    assert "listing.page.shape" not in ORACLE.judge_listing_walk(walk(ListingPage(404, {}))).exercised


def test_the_listing_checks_never_run_on_a_single_body() -> None:
    assert not LISTING & ORACLE.judge_recorded(run("r1")).exercised


def test_run_matches_reads_every_filter() -> None:
    assert run_matches(run("r1"), {"deployment_id": "depl_a", "has_error": "false", "trigger_type": "manual"})
    assert not run_matches(run("r1"), {"created_at[gt]": "2026-05-01T12:00:00Z"})
    assert run_matches(run("r1"), {"unknown_filter": "anything"})
