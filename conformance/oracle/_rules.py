"""Checks of a run record wherever it is seen (a run-now answer, a read-back, a listed run, a
recorded body): the body is JSON, and the page's prose rules and the SHOULDs on its values.

Each is a small pure function registered under its requirement id. It says what it found;
the Oracle adds the id and the catalog's level.
"""

from __future__ import annotations

from typing import Any

from ._body import unparsed_because
from ._case import UNPARSED, Case, Found, show
from ._registry import Registry
from ._rfc3339 import parse_rfc3339

__all__ = ["BODY", "RECORD", "run_of", "value_at"]

BODY = Registry[Case]()  # of the bytes: the one check that reads a body that is not JSON
RECORD = Registry[Case]()  # of the parsed run
rule = RECORD.register


def run_of(case: Case) -> dict[str, Any] | None:
    """The run, when the body is a JSON object."""
    return case.run if isinstance(case.run, dict) else None


def value_at(case: Case, path: tuple[str, ...]) -> Any:
    """The value at `path` in the run, None where some step is missing or not an object."""
    node: Any = run_of(case)
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


@BODY.register("payload.json")
def check_payload_is_json(case: Case) -> list[Found] | None:
    if case.run is not UNPARSED:
        return []
    why = unparsed_because(case)  # JSON that is no I-JSON is another requirement's finding
    if why is None:
        return [("", "Received: bytes that are not JSON / Expected: a JSON document")]
    return [why[1]] if why[0] == "payload.json" else []


@rule("run.outcome.exactly-one")
def check_exactly_one_outcome(case: Case) -> list[Found] | None:
    run = run_of(case)
    if run is None:
        return None
    session_id, error = run.get("session_id"), run.get("error")
    if (session_id is None) != (error is None):
        return []
    got = "both non-null" if session_id is not None else "both null or absent"
    return [("", f"Received: session_id and error {got} / Expected: exactly one of them non-null")]


@rule("run.id.prefix")
def check_run_id_prefix(case: Case) -> list[Found] | None:
    run = run_of(case)
    if run is None or not isinstance(run.get("id"), str):
        return None
    if run["id"].startswith("drun_"):
        return []
    return [("/id", f"Received: {show(run['id'])} / Expected: drun_...")]


def _non_empty(case: Case, *path: str) -> list[Found] | None:
    node = value_at(case, path)
    if not isinstance(node, str):
        return None
    if node:
        return []
    return [("/" + "/".join(path), 'Received: "" / Expected: a non-empty string')]


@rule("run.session_id.non-empty")
def check_session_id_non_empty(case: Case) -> list[Found] | None:
    return _non_empty(case, "session_id")


@rule("run.error.message.non-empty")
def check_error_message_non_empty(case: Case) -> list[Found] | None:
    return _non_empty(case, "error", "message")


@rule("run.trigger_context.scheduled-not-after-created")
def check_scheduled_not_after_created(case: Case) -> list[Found] | None:
    run = run_of(case)
    if run is None or not isinstance(run.get("trigger_context"), dict):
        return None
    scheduled = parse_rfc3339(run["trigger_context"].get("scheduled_at"))
    created = parse_rfc3339(run.get("created_at"))
    if scheduled is None or created is None:
        return None
    if scheduled.instant <= created.instant:
        return []
    return [
        (
            "/trigger_context/scheduled_at",
            f"Received: scheduled_at {scheduled.text} / Expected: not after created_at {created.text}",
        )
    ]
