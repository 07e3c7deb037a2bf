"""Checks of a run as the answer to one request: to Run Deployment Now (it echoes the deployment
asked for, its id is new, its created_at is fresh, its trigger manual), and to a read-back by id
(it is the record first answered).

The Oracle runs RUN_NOW on run-now answers (and on recorded bodies, taken as such) and READ_BACK
on read-backs; a run listed or read back is not judged as a run-now answer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ._case import Case, Found, show
from ._meaning import differences
from ._registry import Registry, needs_deployment, needs_exchange
from ._rfc3339 import parse_rfc3339
from ._rules import run_of

__all__ = ["READ_BACK", "RUN_NOW"]

RUN_NOW = Registry[Case]()
READ_BACK = Registry[Case]()
_UNIX_EPOCH, _MICROSECOND = datetime(1970, 1, 1, tzinfo=UTC), timedelta(microseconds=1)
_GONE = frozenset({404, 410})  # a run no longer served by its id


@RUN_NOW.register("run.deployment_id.echo")
@needs_deployment
def check_deployment_id_echo(case: Case) -> list[Found] | None:
    run = run_of(case)
    if run is None or case.deployment_id is None or not isinstance(run.get("deployment_id"), str):
        return None
    if run["deployment_id"] == case.deployment_id:
        return []
    return [
        (
            "/deployment_id",
            f"Received: {show(run['deployment_id'])} / Expected: {show(case.deployment_id)}"
            " (the id in the request path)",
        )
    ]


@RUN_NOW.register("run.id.unique")
@needs_exchange
def check_run_id_unique(case: Case) -> list[Found] | None:
    run = run_of(case)
    if run is None or not isinstance(run.get("id"), str):
        return None
    if run["id"] not in case.seen_run_ids:
        return []
    return [("/id", f"Received: {show(run['id'])} / Expected: an id not answered before")]


@RUN_NOW.register("run.trigger_context.manual-on-run-now")
def check_manual_trigger_on_run_now(case: Case) -> list[Found] | None:
    run = run_of(case)
    trigger = run.get("trigger_context") if run else None
    kind = trigger.get("type") if isinstance(trigger, dict) else None
    if not isinstance(kind, str) or kind not in case.facts.variants.get(("trigger_context", "type"), ()):
        return None
    if kind == "manual":
        return []
    return [
        (
            "/trigger_context/type",
            f'Received: {show(kind)} / Expected: "manual" for a run started by Run Deployment Now',
        )
    ]


@RUN_NOW.register("run.created_at.within-skew")
@needs_exchange
def check_created_at_within_skew(case: Case) -> list[Found] | None:
    run = run_of(case)
    created = parse_rfc3339(run.get("created_at")) if run else None
    received = case.exchange.received_at if case.exchange else None
    if created is None or received is None:
        return None
    # In whole microseconds: exact at every instant, where a `datetime` would be clamped.
    apart = abs(created.microseconds - (received - _UNIX_EPOCH) // _MICROSECOND)
    if apart <= case.skew // _MICROSECOND:
        return []
    return [
        (
            "/created_at",
            f"Received: {created.text} / Expected: within {case.skew} of {received.isoformat()}",
        )
    ]


@READ_BACK.register("run.read-back.same-record")
def check_read_back_same_record(case: Case) -> list[Found] | None:
    if case.original is None:
        return None
    status = case.exchange.status if case.exchange is not None else 200
    if status in _GONE:  # asked only of a target that serves runs by id (see judge_read_back)
        return [
            (
                "",
                f"Received: {status} for run {show(case.original.get('id'))}, answered before by a target"
                " that serves runs by id / Expected: the record first answered (runs are append-only)",
            )
        ]
    if not 200 <= status < 300 or not isinstance(case.run, dict):
        return None
    changed = sorted(differences(case.original, case.run, timestamps=case.facts.timestamp_paths))
    if not changed:
        return []
    where = ", ".join(p or "(whole body)" for p in changed[:5])
    return [(changed[0], f"Received: a record that differs at {where} / Expected: the record first answered")]
