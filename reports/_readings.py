"""The report's "Your answers, as each SDK reads them": for each `reads:NAME` target (a server's
run-now answers read again by a shipped SDK, `--through-sdk`), the answers it misread and how
many it read clean, from the target's case records (one per answer, in the order served)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from drun_conformance._differential import CaseRecord
from drun_conformance.oracle import cut
from drun_conformance.results import TargetResult

__all__ = ["MOST_SHOWN", "Misread", "Reading", "reading_of"]

MOST_SHOWN = 20  # misread answers listed per SDK; the rest are counted
# case_record's excerpt of a case with findings: "<requirement> at <pointer>: <message>".
_FINDING_AT = re.compile(r"^\S+ at (/\S*): ")
_SERVED = re.compile(r"^your answer (#\d+): (.*)$")
_MISSING = object()


@dataclass(frozen=True)
class Misread:
    number: str  # "#3"
    request: str  # "POST /v1/deployments/depl_ok/run -> 200"
    failed: list[str]  # the requirement ids
    read: str  # what the SDK read: "agent.version = -2147483648", or the finding when no value
    served: str  # what the server served there: "agent.version = 2147483648", or the body


@dataclass(frozen=True)
class Reading:
    target_id: str
    anchor: str  # the target's section in the report
    sdk: str  # "anthropic-python 2.10.0"
    server: str  # the server target whose answers were read
    clean: int
    misread: list[Misread]  # the first MOST_SHOWN
    more: int  # misread, not listed
    unread: str = ""  # why the SDK read nothing (it cannot run here, say); "" when it read


def reading_of(target: TargetResult, anchor: str, sdk: str) -> Reading | None:
    """The reading a `reads:` target records; None for any other target."""
    server = target.identity.get("reads")
    if not server:
        return None
    if not target.identity.get("reached", True):
        return Reading(
            target.id, anchor, sdk, str(server), 0, [], 0, "; ".join(target.notes) or "not reached"
        )
    misread = [_misread(record) for record in target.case_records if record.answer.failed]
    clean = len(target.case_records) - len(misread)
    return Reading(
        target.id, anchor, sdk, str(server), clean, misread[:MOST_SHOWN], len(misread[MOST_SHOWN:])
    )


def _misread(record: CaseRecord) -> Misread:
    named = _SERVED.match(record.served)
    number, request = (named.group(1), named.group(2)) if named else ("", record.served)
    at = _FINDING_AT.match(record.answer.excerpt)
    read, served = _at(record.parsed, at), _at(_json(record.body), at)
    if at is None or read is _MISSING:  # no value to show: what the SDK said, against the bytes
        return Misread(number, request, record.answer.failed, record.answer.excerpt, cut(record.body, 200))
    field = at.group(1)[1:].replace("/", ".")
    return Misread(
        number, request, record.answer.failed, f"{field} = {_shown(read)}", f"{field} = {_shown(served)}"
    )


def _at(node: Any, at: re.Match[str] | None) -> Any:
    if at is None:
        return _MISSING
    for part in at.group(1).split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:  # cut short, or not JSON: no value to point at
        return None


def _shown(value: Any) -> str:
    return "(absent)" if value is _MISSING else cut(json.dumps(value, ensure_ascii=False, default=str), 80)
