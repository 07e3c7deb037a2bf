"""The oracle: pure checks, one per requirement id, and one door per thing judged.

    from drun_conformance.oracle import Oracle, parse_body

    oracle = Oracle.default()
    evaluation = oracle.judge_recorded(parse_body(raw), body=raw)
    [f.requirement for f in evaluation.violations]      # ["run.outcome.exactly-one"]

The doors (see `Oracle`): a run-now answer, a read-back, a listing page, a listing walk, an SDK
call's request and its parse, a recorded body, and how an answer arrived (a Delivery).
"""

from ._body import parse_body
from ._call import ClientCall, ClientCase, RecordedRequest
from ._case import DEFAULT_SKEW, UNPARSED, Case, Exchange, Finding, Found, Level, SpecFacts, cut
from ._listing import FILTERS as LISTING_FILTERS
from ._listing import ListingPage, ListingWalk, run_matches
from ._meaning import differences, known_part
from ._oracle import Evaluation, Oracle, PageEvaluation
from ._registry import Check, Registry, needs_deployment, needs_exchange
from ._rfc3339 import Timestamp, parse_rfc3339
from ._transport import Delivery, Ending

__all__ = [
    "DEFAULT_SKEW",
    "LISTING_FILTERS",
    "UNPARSED",
    "Case",
    "Check",
    "ClientCall",
    "ClientCase",
    "Delivery",
    "Ending",
    "Evaluation",
    "Exchange",
    "Finding",
    "Found",
    "Level",
    "ListingPage",
    "ListingWalk",
    "Oracle",
    "PageEvaluation",
    "RecordedRequest",
    "Registry",
    "SpecFacts",
    "Timestamp",
    "cut",
    "differences",
    "known_part",
    "needs_deployment",
    "needs_exchange",
    "parse_body",
    "parse_rfc3339",
    "run_matches",
]
