"""How much the proxy's judge keeps, whatever the traffic (see _judge)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Bounds"]


@dataclass(frozen=True, slots=True)
class Bounds:
    """What the judge keeps at most; past a cap the oldest goes first (or the newcomer is
    pooled), and the report says how much."""

    runs: int = 10_000  # run-now answers remembered, for read-backs and the walks' known runs
    walks: int = 100  # listing walks waiting for their next page
    walks_runs: int = 20_000  # runs listed over all their pages together
    walk_idle_s: float = 300.0  # a walk whose next page has not come by then is judged as it stands
    walk_runs: int = 10_000  # runs listed over one walk's pages; then it is judged as it stands
    clients: int = 32  # clients (User-Agents) judged apart; the rest as one, OTHER_CLIENTS
    passed_through: int = 100  # other operations counted apart; the rest as one
    notes: int = 20  # not-judged exchanges described one by one (all are counted)
    keys: int = 256  # credentials remembered (see KeyRing)
    backlog_items: int = 256  # exchanges handed over and not yet judged; then the forwarder waits
    backlog_bytes: int = 16 * 1024 * 1024  # their bodies' bytes, likewise
    answers: int = 1000  # run-now answers kept to read through SDKs (--through-sdk); the rest counted
    answer_bytes: int = 64 * 1024 * 1024  # their bodies' bytes, likewise
