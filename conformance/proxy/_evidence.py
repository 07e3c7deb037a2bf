"""What a report may keep of an exchange through the proxy: its counterexample, the findings
that failed it, its lines and names; each scrubbed of every credential as it is made, with
the credentials of the exchange it comes from and every one still remembered (KeyRing)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from drun_conformance._secrets import Redactor, redact_headers
from drun_conformance.oracle import UNPARSED, Exchange, Finding, cut
from drun_conformance.results import Counterexample

from ._forward import Seen
from ._walks import Walk

__all__ = ["Judged", "counterexample", "scrubbed", "shown", "walk_counterexample"]

_TEXT_CAP = 65536  # of a body, in a counterexample


@dataclass(slots=True)
class Judged:
    """One exchange being judged: what it is, and what scrubs it."""

    seen: Seen
    body: bytes
    parsed: Any
    exchange: Exchange
    redactor: Redactor
    keys: set[str]
    made: Counterexample | None = None  # once a finding needed it


def counterexample(judged: Judged, upstream: str) -> Counterexample:
    """The exchange as a counterexample shows it (made once, when a finding first needs it)."""
    if judged.made is None:
        judged.made = _counterexample(judged, upstream)
    return judged.made


def _counterexample(judged: Judged, upstream: str) -> Counterexample:
    seen, redactor = judged.seen, judged.redactor
    # Twice the cap read, so a key across the cut is still whole when it is replaced.
    text = redactor.text(judged.body[: 2 * _TEXT_CAP].decode("utf-8", "replace"))[:_TEXT_CAP]
    unparsed = judged.parsed is UNPARSED
    return Counterexample(
        summary="",
        payload=None if unparsed else redactor.data(judged.parsed),
        payload_text=text if unparsed else None,
        request={
            "method": seen.method,
            "url": redactor.text(upstream + seen.target),
            "headers": redactor.data(redact_headers(seen.request_headers)),
        },
        response={"status": seen.status, "headers": redactor.data(seen.response_headers), "body": text},
    )


def walk_counterexample(walk: Walk, redactor: Redactor) -> Counterexample:
    """A listing walk as a counterexample shows it: its query and each page's runs."""
    pages = [{"page": p.cursor, "status": p.status, "ids": [r.get("id") for r in p.runs]} for p in walk.pages]
    return Counterexample(
        summary="a walk through the listing",
        payload=redactor.data({"query": walk.filters, "limit": walk.limit, "pages": pages}),
    )


def scrubbed(findings: list[Finding], redactor: Redactor) -> list[Finding]:
    """`findings` as a tally may keep them: a finding may quote what it found."""
    return [replace(f, pointer=redactor.text(f.pointer), message=redactor.text(f.message)) for f in findings]


def shown(redactor: Redactor, text: str, most: int) -> str:
    """`text` for a line or a name: credentials out first, so a cut never leaves half a key."""
    return cut(redactor.text(text), most)
