"""The check of a release candidate against its baseline release (`client --baseline`): on the
same case, the candidate does what the baseline did.

What is compared is what users and servers see of a release: the requests it sends (`request_view`:
method, raw target, the contract's headers, where the key goes, the body), the exception class
it raises and the types it exposes (a changed class or type breaks users' code whatever the
values), and, where the baseline handled the case (it failed nothing there), the outcome and the
values it read back. Where the baseline did not handle a case, the candidate's outcome and values
are its own requirements' to judge: a change there is for better or worse, not a regression of
this kind. The Oracle runs it in `judge_client_parse`, on calls that carry a `BaselineCase`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._call import BaselineCase, ClientCase, request_view
from ._case import Found, show
from ._client_answer import ANSWER
from ._client_parse import UNREADABLE
from ._meaning import differences, known_part

__all__ = ["answer_outcome", "answer_values"]

_SHOWN = 5  # differences named per case: the first ones say what changed


def answer_outcome(answer: Mapping[str, Any] | None, fault: str | None) -> str:
    """The outcome of an answer, "fault" when the harness gave no valid one."""
    return "fault" if fault is not None or answer is None else str(answer.get("outcome"))


def answer_values(answer: Mapping[str, Any] | None, known: Any) -> Any:
    """What an answer read back: an ok run's defined fields (`known` paths), an API error's
    status, type, message and request id; None otherwise."""
    if answer is None:
        return None
    if answer.get("outcome") == "ok":
        return known_part(answer.get("run"), known)
    if answer.get("outcome") == "api_error":
        return {field: answer.get(field) for field in ("status", "error_type", "message", "request_id")}
    return None


@ANSWER.register("client.baseline.same")
def check_same_as_baseline(case: ClientCase) -> list[Found] | None:
    call, base = case.call, case.call.baseline
    if base is None or (call.answer is None and call.fault is None):
        return None
    as_base = f"as {base.target} did"
    found = _requests(base, tuple(request_view(r) for r in call.requests), as_base)
    answer = call.answer or {}
    outcome = answer_outcome(call.answer, call.fault)
    if outcome == base.outcome == "api_error":
        raised = answer.get("exception")
        if isinstance(raised, str) and base.exception is not None and raised != base.exception:
            found.append(("", f"Received: {raised} raised / Expected: {base.exception}, {as_base}"))
    if outcome == base.outcome == "ok":
        found += _types(base.types, answer.get("types"), as_base)
    if base.handled:
        if outcome != base.outcome:
            found.append(("", f"Received: {outcome} / Expected: {base.outcome}, {as_base}"))
        else:
            values = answer_values(call.answer, case.facts.known_paths)
            for pointer in sorted(differences(base.parsed, values, timestamps=case.facts.timestamp_paths)):
                got, wanted = _at(values, pointer), _at(base.parsed, pointer)
                found.append((pointer, f"Received: {show(got)} / Expected: {show(wanted)}, {as_base}"))
    return found[:_SHOWN]


def _requests(base: BaselineCase, sent: tuple[dict[str, Any], ...], as_base: str) -> list[Found]:
    if len(sent) != len(base.requests):
        return [("", f"Received: {len(sent)} requests / Expected: {len(base.requests)}, {as_base}")]
    found: list[Found] = []
    for mine, theirs in zip(sent, base.requests, strict=True):
        for part in ("method", "target", "key_in", "body"):
            if mine[part] != theirs[part]:
                found.append(
                    ("", f"Received: {part} {show(mine[part])} / Expected: {show(theirs[part])}, {as_base}")
                )
        for name in sorted(mine["headers"].keys() | theirs["headers"].keys()):
            got, wanted = mine["headers"].get(name), theirs["headers"].get(name)
            if got != wanted:
                said = f"{name}: {got}" if got is not None else f"no {name}"
                expected = f"{name}: {wanted}" if wanted is not None else f"no {name}"
                found.append(("", f"Received: {show(said)} / Expected: {show(expected)}, {as_base}"))
    return found


def _types(base: Mapping[str, str | None] | None, mine: Any, as_base: str) -> list[Found]:
    """Types exposed otherwise than the baseline did, where both read a value there."""
    if base is None or not isinstance(mine, dict):
        return []
    found: list[Found] = []
    for pointer in sorted(base.keys() & mine.keys()):
        theirs, got = base[pointer], mine[pointer]
        if theirs != got and None not in (theirs, got) and UNREADABLE not in (theirs, got):
            found.append((pointer, f"Received: type {show(got)} / Expected: {show(theirs)}, {as_base}"))
    return found


def _at(node: Any, pointer: str) -> Any:
    for part in pointer.split("/")[1:] if pointer else []:
        key = part.replace("~1", "/").replace("~0", "~")
        node = node.get(key) if isinstance(node, dict) else None
    return node
