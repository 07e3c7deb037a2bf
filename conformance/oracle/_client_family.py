"""Checks of an SDK's calls of the rest of the family: retrieve a run by id, and walk the listing.

A retrieve is judged as a run call is (its answer by the same parse checks); only its request
differs: GET /v1/deployment_runs/{id}, the id one escaped segment. A walk's requests are judged
here (the filters as the API spells them, each page asked for by the previous page's cursor,
none after the last), and the runs it answers: every one served, in order. Each listed run is
then read as a run is read: `listed_calls` makes one call of each, for the parse checks.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from ._call import ClientCall, ClientCase, RecordedRequest
from ._case import Found, show
from ._client_request import REQUEST, one_segment, request_of
from ._rfc3339 import parse_rfc3339

__all__ = ["FILTERS", "listed_calls", "walk_items"]

check = REQUEST.register

_RETRIEVE_PATH = re.compile(r"^/v1/deployment_runs/([^/]+)$")
_LIST_PATH = "/v1/deployment_runs"
# The listing's query parameters, as the API names them (the cursor is `page`).
FILTERS = (
    "deployment_id",
    "has_error",
    "created_at[gt]",
    "created_at[gte]",
    "created_at[lt]",
    "created_at[lte]",
    "limit",
)


@check("client.retrieve.path")
def check_retrieve_path(case: ClientCase) -> list[Found] | None:
    request = request_of(case, "retrieve")
    if request is None:
        return None
    wanted = case.call.deployment_id
    if request.method == "GET" and one_segment(_RETRIEVE_PATH, request.path) == wanted:
        return []
    expected = f"GET /v1/deployment_runs/{quote(wanted, safe='')}"
    return [
        (
            "",
            f"Received: {request.method} {show(request.target, 120)} / Expected: {show(expected, 120)} "
            f"(the id {show(wanted, 60)} as one escaped segment)",
        )
    ]


# --- the walk -----------------------------------------------------------------------------------


def _query(request: RecordedRequest) -> dict[str, list[str]] | None:
    """The request's query parameters, decoded (None when not UTF-8)."""
    _, _, raw = request.target.partition("?")
    found: dict[str, list[str]] = {}
    try:
        for name, value in parse_qsl(raw, keep_blank_values=True, errors="strict"):
            found.setdefault(name, []).append(value)
    except UnicodeDecodeError:
        return None
    return found


def _spelled(value: Any) -> str:
    """A filter's value as the API spells it in a query."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _same_value(name: str, sent: str, value: Any) -> bool:
    if name.startswith("created_at["):  # a date-time: the same instant, however the SDK writes it
        ours, theirs = parse_rfc3339(value), parse_rfc3339(sent)
        return ours is not None and theirs is not None and ours.instant == theirs.instant
    return sent == _spelled(value)


def _filter_problems(request: RecordedRequest, filters: Mapping[str, Any]) -> list[str]:
    """How the request's filters differ from those passed (empty: as the API spells them)."""
    query = _query(request)
    if query is None:
        return [f"a query that is not UTF-8: {show(request.target, 120)}"]
    problems = []
    for name in FILTERS:
        sent = query.get(name)
        if name not in filters:
            if sent is not None:
                problems.append(f"{name}={show(sent[0])} not passed")
        elif sent is None:
            problems.append(f"no {name} (passed {show(filters[name])})")
        elif len(sent) > 1 or not _same_value(name, sent[0], filters[name]):
            problems.append(f"{name}={show(sent if len(sent) > 1 else sent[0])} for {show(filters[name])}")
    return problems


@check("client.list.query")
def check_list_query(case: ClientCase) -> list[Found] | None:
    request = request_of(case, "list")
    if request is None:
        return None
    filters = case.call.filters
    problems = (
        [] if request.method == "GET" and request.path == _LIST_PATH else [f"{request.method} {request.path}"]
    )
    problems += _filter_problems(request, filters)
    page = (_query(request) or {}).get("page")
    if page is not None:
        problems.append(f"page={show(page[0])} on the first request")
    if not problems:
        return []
    expected = urlencode({name: _spelled(v) for name, v in filters.items()})
    return [
        (
            "",
            f"Received: {show(request.target, 160)} ({'; '.join(problems)}) / Expected: "
            f"GET {_LIST_PATH}{'?' + expected if expected else ''}",
        )
    ]


def _next_page(page: Any) -> str | None:
    cursor = page.get("next_page") if isinstance(page, dict) else None
    return cursor if isinstance(cursor, str) else None


def _ended(call: ClientCall) -> bool:
    """The walk got to its end: every page scripted asked for, the last with no next_page (the
    last page, or an HTTP error)."""
    return bool(call.pages) and len(call.pages) == len(call.requests) and _next_page(call.pages[-1]) is None


@check("client.list.cursor")
def check_list_cursor(case: ClientCase) -> list[Found] | None:
    call, first = case.call, request_of(case, "list")
    if first is None:
        return None
    filters = {name: values for name, values in (_query(first) or {}).items() if name in FILTERS}
    for at, request in enumerate(call.requests[1:], start=1):
        cursor = _next_page(call.pages[at - 1]) if at - 1 < len(call.pages) else None
        if cursor is None:
            return [
                (
                    "",
                    f"Received: request {at + 1} {show(request.target, 120)} / Expected: no request "
                    "after a page whose next_page is null",
                )
            ]
        query = _query(request) or {}
        same = {name: values for name, values in query.items() if name in FILTERS} == filters
        right = request.method == "GET" and request.path == _LIST_PATH and query.get("page") == [cursor]
        if not (same and right):
            return [
                (
                    "",
                    f"Received: request {at + 1} {show(request.target, 120)} / Expected: GET {_LIST_PATH} "
                    f"with page={show(cursor)} exactly and the first request's filters",
                )
            ]
    if call.outcome == "ok" and not _ended(call):
        cursor = _next_page(call.pages[len(call.requests) - 1]) if call.pages else None
        return [
            (
                "",
                f"Received: the walk ended after {len(call.requests)} requests / Expected: a request "
                f"for page={show(cursor)} (next_page was not null)",
            )
        ]
    return []


def walk_items(call: ClientCall) -> list[Any]:
    """Every run of every page served in the walk, in order."""
    return [item for page in call.pages if isinstance(page, dict) for item in page.get("data") or []]


def _answered(call: ClientCall) -> list[Any]:
    runs = call.answer.get("runs") if call.answer is not None else None
    return runs if isinstance(runs, list) else []


@check("client.list.items")
def check_list_items(case: ClientCase) -> list[Found] | None:
    call = case.call
    if call.operation != "list" or call.outcome != "ok" or call.served is not None or not _ended(call):
        return None
    served = [item.get("id") if isinstance(item, dict) else None for item in walk_items(call)]
    answered = [
        entry["run"].get("id") if isinstance(entry.get("run"), dict) else None for entry in _answered(call)
    ]
    if served == answered:
        return []
    return [
        (
            "",
            f"Received: {len(answered)} runs {show(answered, 160)} / Expected: the {len(served)} runs "
            f"served, in order: {show(served, 160)}",
        )
    ]


def listed_calls(call: ClientCall) -> list[ClientCall]:
    """Each run a walk listed as a call of its own, for the parse checks: the run served, and
    what the harness read of it (its place in `runs`); the walk's refusal for every run, when
    the SDK refused the walk with every page served. A walk that ended early (the cursor's
    finding) or on an HTTP error (an API error's) lists none."""
    if call.operation != "list" or call.served is not None or call.answer is None:
        return []
    if call.outcome == "ok" and not _ended(call):
        return []
    served, answered = walk_items(call), _answered(call)
    if call.outcome == "ok":
        pairs = [
            (item, {"seq": call.answer.get("seq"), "outcome": "ok", **entry})
            for item, entry in zip(served, answered, strict=False)
        ]
    elif call.outcome == "client_error":
        pairs = [(item, dict(call.answer)) for item in served]
    else:
        return []
    return [
        # The baseline is the walk's, judged on the walk's call: its requests and its outcome.
        dataclasses.replace(call, served=item, answer=answer, pages=(), filters={}, baseline=None)
        for item, answer in pairs
    ]
