"""Checks of the body's meaning: the page's prose rules, the SHOULDs, and the EDGE labels.

Each is a small pure function registered under its requirement id. The level comes from
the catalog; the function only says what it found.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from ._case import UNPARSED, Case, Finding, Level, show
from ._encoding import encoding_problem
from ._meaning import differences
from ._registry import Registry, needs_exchange
from ._rfc3339 import Timestamp, parse_rfc3339

__all__ = ["RULES"]

RULES = Registry()
rule = RULES.register
LONG_STRING = 1000
_UNIX_EPOCH, _MICROSECOND = datetime(1970, 1, 1, tzinfo=UTC), timedelta(microseconds=1)


def _run(case: Case) -> dict[str, Any] | None:
    return case.run if isinstance(case.run, dict) else None


def _found(requirement: str, pointer: str, message: str, level: Level = "MUST") -> list[Finding]:
    # Level is filled from the catalog by the Oracle; MUST is a placeholder.
    return [Finding(requirement, level, pointer, message)]


@rule("payload.json")
def check_payload_is_json(case: Case) -> list[Finding] | None:
    if case.run is not UNPARSED:
        return []
    body = case.exchange.body if case.exchange is not None else case.body
    problem = encoding_problem(body) if body is not None else None
    if problem is not None:
        return _found(
            "payload.json",
            "",
            f"Received: {problem} / Expected: JSON in UTF-8 without a byte order mark (RFC 8259 section 8.1)",
        )
    return _found("payload.json", "", "Received: bytes that are not JSON / Expected: a JSON document")


@rule("run.outcome.exactly-one")
def check_exactly_one_outcome(case: Case) -> list[Finding] | None:
    run = _run(case)
    if run is None:
        return None
    session_id, error = run.get("session_id"), run.get("error")
    if (session_id is None) != (error is None):
        return []
    got = "both non-null" if session_id is not None else "both null or absent"
    return _found(
        "run.outcome.exactly-one",
        "",
        f"Received: session_id and error {got} / Expected: exactly one of them non-null",
    )


@rule("run.deployment_id.echo")
@needs_exchange
def check_deployment_id_echo(case: Case) -> list[Finding] | None:
    run = _run(case)
    if run is None or case.exchange is None or not isinstance(run.get("deployment_id"), str):
        return None
    if run["deployment_id"] == case.exchange.deployment_id:
        return []
    return _found(
        "run.deployment_id.echo",
        "/deployment_id",
        f"Received: {show(run['deployment_id'])} / Expected: {show(case.exchange.deployment_id)}"
        " (the id in the request path)",
    )


@rule("run.id.unique")
@needs_exchange
def check_run_id_unique(case: Case) -> list[Finding] | None:
    run = _run(case)
    if run is None or not isinstance(run.get("id"), str):
        return None
    if run["id"] not in case.seen_run_ids:
        return []
    return _found(
        "run.id.unique", "/id", f"Received: {show(run['id'])} / Expected: an id not answered before"
    )


@rule("run.read-back.same-record")
@needs_exchange
def check_read_back_same_record(case: Case) -> list[Finding] | None:
    if case.original is None or not isinstance(case.run, dict):
        return None
    changed = sorted(differences(case.original, case.run, timestamps=case.facts.timestamp_paths))
    if not changed:
        return []
    where = ", ".join(p or "(whole body)" for p in changed[:5])
    return _found(
        "run.read-back.same-record",
        changed[0],
        f"Received: a record that differs at {where} / Expected: the record first answered",
    )


@rule("run.id.prefix")
def check_run_id_prefix(case: Case) -> list[Finding] | None:
    run = _run(case)
    if run is None or not isinstance(run.get("id"), str):
        return None
    if run["id"].startswith("drun_"):
        return []
    return _found("run.id.prefix", "/id", f"Received: {show(run['id'])} / Expected: drun_...")


def _non_empty(case: Case, requirement: str, *path: str) -> list[Finding] | None:
    node: Any = _run(case)
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, str):
        return None
    if node:
        return []
    return _found(requirement, "/" + "/".join(path), 'Received: "" / Expected: a non-empty string')


@rule("run.session_id.non-empty")
def check_session_id_non_empty(case: Case) -> list[Finding] | None:
    return _non_empty(case, "run.session_id.non-empty", "session_id")


@rule("run.error.message.non-empty")
def check_error_message_non_empty(case: Case) -> list[Finding] | None:
    return _non_empty(case, "run.error.message.non-empty", "error", "message")


def _trigger_type(case: Case) -> str | None:
    run = _run(case)
    trigger = run.get("trigger_context") if run else None
    kind = trigger.get("type") if isinstance(trigger, dict) else None
    return kind if isinstance(kind, str) else None


@rule("run.trigger_context.manual-on-run-now")
def check_manual_trigger_on_run_now(case: Case) -> list[Finding] | None:
    kind = _trigger_type(case)
    if not case.run_now or kind not in case.facts.variants.get(("trigger_context", "type"), ()):
        return None
    if kind == "manual":
        return []
    return _found(
        "run.trigger_context.manual-on-run-now",
        "/trigger_context/type",
        f'Received: {show(kind)} / Expected: "manual" for a run started by Run Deployment Now',
    )


@rule("run.trigger_context.scheduled-not-after-created")
def check_scheduled_not_after_created(case: Case) -> list[Finding] | None:
    run = _run(case)
    if run is None or not isinstance(run.get("trigger_context"), dict):
        return None
    scheduled = parse_rfc3339(run["trigger_context"].get("scheduled_at"))
    created = parse_rfc3339(run.get("created_at"))
    if scheduled is None or created is None:
        return None
    if scheduled.instant <= created.instant:
        return []
    return _found(
        "run.trigger_context.scheduled-not-after-created",
        "/trigger_context/scheduled_at",
        f"Received: scheduled_at {scheduled.text} / Expected: not after created_at {created.text}",
    )


@rule("run.created_at.within-skew")
@needs_exchange
def check_created_at_within_skew(case: Case) -> list[Finding] | None:
    run = _run(case)
    created = parse_rfc3339(run.get("created_at")) if run else None
    received = case.exchange.received_at if case.exchange else None
    if created is None or received is None:
        return None
    # In whole microseconds: exact at every instant, where a `datetime` would be clamped.
    apart = abs(created.microseconds - (received - _UNIX_EPOCH) // _MICROSECOND)
    if apart <= case.skew // _MICROSECOND:
        return []
    return _found(
        "run.created_at.within-skew",
        "/created_at",
        f"Received: {created.text} / Expected: within {case.skew} of {received.isoformat()}",
    )


# --- EDGE labels: the payload exercises a valid-but-rare class --------------------------------


def _timestamps(case: Case) -> Iterator[tuple[str, Timestamp]]:
    cached = case.cache.get("timestamps")
    if cached is None:
        cached = []
        for path in case.facts.timestamp_paths:
            node: Any = _run(case)
            for key in path:
                node = node.get(key) if isinstance(node, dict) else None
            if (stamp := parse_rfc3339(node)) is not None:
                cached.append(("/" + "/".join(path), stamp))
        case.cache["timestamps"] = cached
    return iter(cached)


def _edge_timestamps(case: Case, requirement: str, attribute: str, words: str) -> list[Finding] | None:
    if case.run is UNPARSED:
        return None
    return [
        Finding(requirement, "EDGE", pointer, f"{stamp.text}: {words}")
        for pointer, stamp in _timestamps(case)
        if getattr(stamp, attribute)
    ]


@rule("edge.timestamp.leap-second")
def label_leap_second(case: Case) -> list[Finding] | None:
    return _edge_timestamps(case, "edge.timestamp.leap-second", "leap_second", "a leap second")


@rule("edge.timestamp.sub-microsecond")
def label_sub_microsecond(case: Case) -> list[Finding] | None:
    return _edge_timestamps(
        case, "edge.timestamp.sub-microsecond", "sub_microsecond", "more than 6 fractional digits"
    )


@rule("edge.timestamp.lowercase")
def label_lowercase(case: Case) -> list[Finding] | None:
    return _edge_timestamps(case, "edge.timestamp.lowercase", "lowercase", "a lowercase t or z")


@rule("edge.timestamp.unknown-offset")
def label_unknown_offset(case: Case) -> list[Finding] | None:
    return _edge_timestamps(
        case, "edge.timestamp.unknown-offset", "unknown_offset", "the unknown local offset -00:00"
    )


def _unusual_strings(case: Case) -> list[tuple[str, str]]:
    """The strings that are long or not ASCII, with their pointers; worked out once a case."""
    found = case.cache.get("unusual_strings")
    if found is None:
        try:
            text = orjson.dumps(case.run)
            usual = text.isascii() and len(text) <= LONG_STRING
        except (TypeError, orjson.JSONEncodeError):  # integers past 64 bits
            usual = False
        found = (
            []
            if usual
            else [
                (pointer, s) for pointer, s in _strings(case.run) if len(s) > LONG_STRING or not s.isascii()
            ]
        )
        case.cache["unusual_strings"] = found
    return found


def _strings(node: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield pointer, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{pointer}/{index}")


@rule("edge.string.long")
def label_long_string(case: Case) -> list[Finding] | None:
    if case.run is UNPARSED:
        return None
    return [
        Finding("edge.string.long", "EDGE", pointer, f"a string of {len(text)} characters")
        for pointer, text in _unusual_strings(case)
        if len(text) > LONG_STRING
    ]


@rule("edge.string.non-ascii")
def label_non_ascii(case: Case) -> list[Finding] | None:
    if case.run is UNPARSED:
        return None
    return [
        Finding("edge.string.non-ascii", "EDGE", pointer, f"non-ASCII text {show(text, 40)}")
        for pointer, text in _unusual_strings(case)
        if not text.isascii()
    ]


def _unknown_variant(case: Case, requirement: str, *path: str) -> list[Finding] | None:
    node: Any = _run(case)
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, str):
        return None
    if node in case.facts.variants.get(path, ()):
        return []
    return [Finding(requirement, "EDGE", "/" + "/".join(path), f"{show(node)} is not on the page")]


@rule("edge.variant.unknown-error-type")
def label_unknown_error_type(case: Case) -> list[Finding] | None:
    return _unknown_variant(case, "edge.variant.unknown-error-type", "error", "type")


@rule("edge.variant.unknown-trigger-type")
def label_unknown_trigger_type(case: Case) -> list[Finding] | None:
    return _unknown_variant(case, "edge.variant.unknown-trigger-type", "trigger_context", "type")
