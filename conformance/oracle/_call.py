"""What a client check reads: one SDK call through a harness, as the scripted mock server saw it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._case import SpecFacts

__all__ = ["ClientCall", "ClientCase", "RecordedRequest"]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as it reached the mock server: the raw request target, before any decoding."""

    method: str
    target: str  # the raw path, percent-encoded as sent, with "?query" when there was one
    headers: dict[str, str]  # lower-case names; a repeated header joined with ", "
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    def betas(self) -> list[str]:
        header = self.headers.get("anthropic-beta", "")
        return [b.strip() for b in header.split(",") if b.strip()]


@dataclass(frozen=True, slots=True)
class ClientCall:
    """One Run Deployment Now call made by an SDK harness, and everything seen around it.

    The arguments the harness was asked to pass; what the mock server served (status,
    headers, and the body parsed: UNPARSED when it was not JSON); the requests it recorded; and
    the harness's answer, already validated against spec/harness/ (None when it gave no valid
    answer, and `fault` says why).
    """

    deployment_id: str
    betas: tuple[str, ...] | None
    api_key: str
    status: int
    served_headers: Mapping[str, str]
    served: Any
    requests: tuple[RecordedRequest, ...]
    answer: Mapping[str, Any] | None
    fault: str | None = None

    @property
    def outcome(self) -> str | None:
        return None if self.answer is None else str(self.answer.get("outcome"))

    @property
    def first_request(self) -> RecordedRequest | None:
        return self.requests[0] if self.requests else None


@dataclass(slots=True)  # not frozen: `cache` fills as the checks of one call run
class ClientCase:
    """What a client check reads: one SDK call, the catalog's facts, and the values of the run
    served that the EDGE labels marked (requirement id -> pointers)."""

    call: ClientCall
    facts: SpecFacts
    edge_labels: Mapping[str, list[str]] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict, compare=False)
