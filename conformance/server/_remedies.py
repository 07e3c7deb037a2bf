"""What would exercise a server requirement that no probe did: the report's answer to "why
is this incomplete, and what do I give it next time".

Only the schedule-trigger and listing requirements on a target that serves no listing are not
applicable (Run Deployment Now answers manual runs): they do not make the verdict incomplete.
"""

from __future__ import annotations

from typing import Literal

from drun_conformance import spec
from drun_conformance.results import TargetTally

from ._listing_probe import LISTING_REQUIREMENTS

__all__ = ["SCHEDULED", "Stop", "explain_unexercised", "requirements_under", "what_would_exercise"]

# Why a run stopped before its plan ended: its budget or deadline ran out, the target showed a
# transport fault (a finding), or it stopped answering (unreachable, 429 again, interrupted).
Stop = Literal["budget", "deadline", "transport", "early"]

SCHEDULED = "/trigger_context/scheduled_at"  # the pointer of what only scheduled runs carry
NO_SCHEDULED_RUNS = "the target serves no listing of scheduled runs (Run Deployment Now answers manual runs)"
NO_LISTING = "the target serves no GET /v1/deployment_runs listing to walk"


def requirements_under(pointer: str) -> list[str]:
    """The server requirements about `pointer` and what lies under it."""
    return [r.id for r in spec.load_catalog().on("server") if (r.pointer + "/").startswith(pointer + "/")]


def what_would_exercise(requirement: str, *, stopped: Stop | None, budget: int, with_ids: bool) -> str:
    """The input or budget that would exercise `requirement` on the next run, given why the run
    stopped (None: it did not)."""
    if stopped == "budget":
        return f"a larger --max-requests (all {budget} were spent)"
    if stopped == "deadline":
        return "a target that answers faster (no request starts after the run's deadline)"
    if stopped == "transport":
        return (
            "a target whose answers arrive whole, in time, within the size cap and without redirects"
            " (the run stopped at its first transport failure)"
        )
    if stopped:
        return "a target that answers every request (the run stopped early)"
    if not with_ids:
        return "give a --deployment-id"
    if requirement in requirements_under("/error"):
        return "give a --deployment-id whose runs fail"
    if requirement in requirements_under(SCHEDULED):
        return "give a --deployment-id that runs on a schedule (its runs fill the listing of scheduled runs)"
    if requirement in requirements_under("/session_id"):
        return "give a --deployment-id whose runs succeed"
    if requirement in LISTING_REQUIREMENTS:
        return "serve GET /v1/deployment_runs as the SDKs page it (page cursor in, next_page out)"
    if requirement == "run.read-back.same-record":
        return "serve GET /v1/deployment_runs/{id}: each run read back as it was answered"
    return "give deployment ids whose runs succeed and fail, or a larger --max-requests"


def explain_unexercised(tally: TargetTally, *, stopped: bool, listing_served: bool | None) -> None:
    """Say why each requirement about one kind of run was not exercised by the runs seen, and
    mark the schedule-trigger and listing ones not applicable on a target that answered it has no listing
    (`listing_served` False; None, never asked, leaves them unexercised)."""
    for pointer, why in () if stopped else _KINDS_OF_RUN:
        for requirement in requirements_under(pointer):
            if not tally.exercised(requirement):
                tally.skip(requirement, why)
    if listing_served is False:
        for requirement in requirements_under(SCHEDULED):
            tally.not_applicable(requirement, NO_SCHEDULED_RUNS)
        for requirement in LISTING_REQUIREMENTS:
            tally.not_applicable(requirement, NO_LISTING)


_KINDS_OF_RUN = (
    ("/error", "no run answered carried an error"),
    (SCHEDULED, "no scheduled run of the given deployments was listed"),
    ("/session_id", "no run answered carried a session"),
)
