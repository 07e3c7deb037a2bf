"""The oracle: pure checks, one per requirement id, over a body and, when known, its exchange
or the SDK call around it; over a listing walk; and over how an answer arrived (a Delivery)."""

from ._body import parse_body, payload_conforms
from ._call import ClientCall, RecordedRequest
from ._case import UNPARSED, Case, Exchange, Finding, Level, SpecFacts, cut
from ._listing import FILTERS as LISTING_FILTERS
from ._listing import run_matches
from ._meaning import differences, known_part
from ._oracle import Evaluation, Oracle
from ._registry import Check, Registry, needs_exchange
from ._rfc3339 import Timestamp, parse_rfc3339
from ._transport import Delivery, Ending
from ._walk import ListingPage, ListingWalk

__all__ = [
    "LISTING_FILTERS",
    "UNPARSED",
    "Case",
    "Check",
    "ClientCall",
    "Delivery",
    "Ending",
    "Evaluation",
    "Exchange",
    "Finding",
    "Level",
    "ListingPage",
    "ListingWalk",
    "Oracle",
    "RecordedRequest",
    "Registry",
    "SpecFacts",
    "Timestamp",
    "cut",
    "differences",
    "known_part",
    "needs_exchange",
    "parse_body",
    "parse_rfc3339",
    "payload_conforms",
    "run_matches",
]
