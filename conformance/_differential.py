"""The differential view of a run with several SDK targets: the cases every target was served
the same bytes for and answered differently.

Each SDK gate keeps a `CaseRecord` per case it served (results.json holds them, so `report
merge` computes the differential of many shards again): a fingerprint of the bytes served and
the request arguments, and what the target made of it. Every target of one run gets the same
cases (the coverage cases, then the same Hypothesis draws for the seed), so `differential()`
lines the records up by fingerprint and keeps the cases where the targets disagree: another
outcome, other failed requirements, or other values read back (compared in meaning by the
oracle's `differences`). Pure: no I/O, and no check of its own (the failed requirements are the
oracle's findings).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .oracle import Finding, RecordedRequest, cut, differences
from .oracle._call import BaselineCase, request_view
from .oracle._client_baseline import answer_values

__all__ = [
    "CaseAnswer",
    "CaseRecord",
    "Differential",
    "DifferentialCase",
    "DisagreementGroup",
    "baseline_case",
    "case_record",
    "differential",
]

SHOWN_PER_GROUP = 3  # the first cases of a pattern of disagreement: the next ones say the same
MAX_GROUPS = 20
EXCERPT = 200
BODY_EXCERPT = 600
Outcome = Literal["ok", "api_error", "client_error", "skipped", "fault"]
Difference = Literal["outcome", "failed", "parsed"]
Paths = Collection[tuple[str, ...]]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseAnswer(_Model):
    """What one target made of one case."""

    outcome: Outcome  # the harness's outcome, or "fault" (no valid answer)
    failed: list[str] = Field(default_factory=list)  # the requirement ids the case failed, sorted
    excerpt: str = ""  # the answer, cut short


class CaseRecord(_Model):
    """One case as one target met it: what a baseline release is compared on, too."""

    key: str  # the fingerprint of the bytes served and the request arguments
    served: str  # what was served, in words
    body: str  # the bytes served, cut short
    answer: CaseAnswer
    parsed: Any = None  # what was read back: an ok run's defined fields, an HTTP error's fields
    label: str = ""  # a coverage case's name ("" for a drawn case)
    requests: list[dict[str, Any]] | None = None  # each request as compared (oracle.request_view)
    types: dict[str, str | None] | None = None  # what the SDK exposed, by pointer (a typed harness)
    exception: str | None = None  # what the SDK raised for an HTTP error (a typed harness)


class DifferentialCase(_Model):
    key: str
    served: str
    body: str
    differs_in: list[Difference]
    answers: dict[str, CaseAnswer]  # target id -> its answer


class DisagreementGroup(_Model):
    """The cases where the targets disagreed in the same way (outcome and failed requirements)."""

    pattern: dict[str, str]  # target id -> "ok" / "ok; failed client.parse.int64"
    cases: int
    shown: list[DifferentialCase]  # the first SHOWN_PER_GROUP


class Differential(_Model):
    targets: list[str]
    compared: int  # the cases served to every target
    disagreeing: int
    left_out: int  # disagreeing cases not shown (past SHOWN_PER_GROUP a group, or MAX_GROUPS groups)
    groups: list[DisagreementGroup]


def case_record(
    *,
    key: str,
    served: str,
    body: bytes,
    answer: Mapping[str, Any],
    findings: Sequence[Finding],
    known: Paths,
    label: str = "",
    requests: Sequence[RecordedRequest] = (),
) -> CaseRecord:
    """A record of one case from what the gate shows of it: `answer` is the harness's answer,
    or {"fault": ..., "message": ...} when it gave none; `findings` the oracle's on the case;
    `known` the paths the page defines; `requests` what reached the mock server. The excerpt
    is the first finding, else the answer."""
    outcome = "fault" if "fault" in answer else str(answer.get("outcome"))
    if outcome == "ok":
        said = json.dumps(answer.get("run"), ensure_ascii=False)
    elif outcome == "api_error":
        said = f"HTTP {answer.get('status')} {answer.get('error_type')}: {answer.get('message')}"
    else:
        said = str(answer.get("message", ""))
    if findings:
        first = findings[0]
        said = f"{first.requirement}{f' at {first.pointer}' if first.pointer else ''}: {first.message}"
    types = answer.get("types") if outcome == "ok" else None
    exception = answer.get("exception") if outcome == "api_error" else None
    return CaseRecord(
        key=key,
        served=cut(served, EXCERPT),
        body=cut(body.decode("utf-8", "replace"), BODY_EXCERPT),
        answer=CaseAnswer(
            outcome=outcome,  # type: ignore[arg-type]
            failed=sorted({f.requirement for f in findings}),
            excerpt=cut(said, EXCERPT),
        ),
        parsed=answer_values(answer, known) if outcome in ("ok", "api_error") else None,
        label=label,
        requests=[request_view(request) for request in requests],
        types=dict(types) if isinstance(types, dict) else None,
        exception=exception if isinstance(exception, str) else None,
    )


def baseline_case(target: str, record: CaseRecord) -> BaselineCase:
    """What the oracle compares a candidate with: the baseline target's record of one case."""
    return BaselineCase(
        target=target,
        requests=tuple(record.requests or ()),
        outcome=record.answer.outcome,
        parsed=record.parsed,
        types=record.types,
        exception=record.exception,
        handled=not record.answer.failed,
    )


def differential(
    targets: Sequence[tuple[str, Sequence[CaseRecord]]], *, timestamps: Paths
) -> Differential | None:
    """The disagreements among `targets` (id, records in the order served), or None for fewer
    than two targets with records. `timestamps`: the paths compared as instants."""
    if len([records for _, records in targets if records]) < 2:
        return None
    by_target = [(tid, _first_by_key(records)) for tid, records in targets]
    keys = [key for key in by_target[0][1] if all(key in records for _, records in by_target[1:])]
    groups: dict[tuple[tuple[str, str], ...], DisagreementGroup] = {}
    disagreeing = left_out = 0
    for key in keys:
        met = [(tid, records[key]) for tid, records in by_target]
        differs = _differs_in([record for _, record in met], timestamps)
        if not differs:
            continue
        disagreeing += 1
        pattern = tuple((tid, _pattern(record.answer)) for tid, record in met)
        group = groups.get(pattern)
        if group is None and len(groups) >= MAX_GROUPS:
            left_out += 1
            continue
        if group is None:
            group = groups[pattern] = DisagreementGroup(pattern=dict(pattern), cases=0, shown=[])
        group.cases += 1
        if len(group.shown) >= SHOWN_PER_GROUP:
            left_out += 1
            continue
        first = met[0][1]
        answers = {tid: record.answer for tid, record in met}
        group.shown.append(
            DifferentialCase(
                key=key, served=first.served, body=first.body, differs_in=differs, answers=answers
            )
        )
    return Differential(
        targets=[tid for tid, _ in targets],
        compared=len(keys),
        disagreeing=disagreeing,
        left_out=left_out,
        groups=list(groups.values()),
    )


def _first_by_key(records: Sequence[CaseRecord]) -> dict[str, CaseRecord]:
    """A case drawn twice counts once (its first meeting)."""
    first: dict[str, CaseRecord] = {}
    for record in records:
        first.setdefault(record.key, record)
    return first


def _differs_in(records: Sequence[CaseRecord], timestamps: Paths) -> list[Difference]:
    differs: list[Difference] = []
    if len({r.answer.outcome for r in records}) > 1:
        differs.append("outcome")
    if len({tuple(r.answer.failed) for r in records}) > 1:
        differs.append("failed")
    if not differs:  # the same outcome: the values read back, in meaning
        first = records[0].parsed
        if any(next(differences(first, r.parsed, timestamps=timestamps), None) for r in records[1:]):
            differs.append("parsed")
    return differs


def _pattern(answer: CaseAnswer) -> str:
    return answer.outcome + (f"; failed {', '.join(answer.failed)}" if answer.failed else "")
