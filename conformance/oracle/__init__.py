"""The oracle: pure checks, one per requirement id, over a body and, when known, its exchange."""

from ._meaning import differences
from ._model import UNPARSED, Case, Exchange, Finding, Level, SpecFacts
from ._oracle import Evaluation, Oracle
from ._registry import Check, Registry, needs_exchange
from ._rfc3339 import Timestamp, parse_rfc3339

__all__ = [
    "UNPARSED",
    "Case",
    "Check",
    "Evaluation",
    "Exchange",
    "Finding",
    "Level",
    "Oracle",
    "Registry",
    "SpecFacts",
    "Timestamp",
    "differences",
    "needs_exchange",
    "parse_rfc3339",
]
