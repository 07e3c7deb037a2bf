"""What a client check reads: one SDK call through a harness, as the scripted mock server saw it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._case import SpecFacts

__all__ = ["BaselineCase", "ClientCall", "ClientCase", "RecordedRequest", "request_view"]

# The request headers a release's behaviour is compared on (`request_view`): those the contract
# names. Others (user-agent, x-stainless-*) carry the release's own version and platform.
COMPARED_HEADERS = ("anthropic-version", "anthropic-beta", "content-type", "accept")
_KEY_HEADERS = ("x-api-key", "authorization")


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


def request_view(request: RecordedRequest) -> dict[str, Any]:
    """A request as a release is compared on it: method, raw target, the contract's headers,
    which header carries the key (never the key), and the body."""
    headers = {name: request.headers[name] for name in COMPARED_HEADERS if name in request.headers}
    return {
        "method": request.method,
        "target": request.target,
        "headers": headers,
        "key_in": [name for name in _KEY_HEADERS if name in request.headers],
        "body": request.body.decode("utf-8", "replace"),
    }


@dataclass(frozen=True, slots=True)
class BaselineCase:
    """What a baseline release did with the same case (`client --baseline`), for
    client.baseline.same: its requests (`request_view`), its outcome, the values it read back
    (an ok run's defined fields, an API error's fields), the types it exposed and the exception it
    raised; `handled`: it failed nothing on the case (then the candidate must do as it did)."""

    target: str  # "sdk:python@2.10.0"
    requests: tuple[dict[str, Any], ...]
    outcome: str
    parsed: Any
    types: Mapping[str, str | None] | None
    exception: str | None
    handled: bool


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
    language: str | None = None  # the harness's implementation.language: what its types are named in
    release: str | None = None  # the harness's implementation.version: the SDK release it drives
    baseline: BaselineCase | None = None  # the same case through the baseline release, if one is gated
    # The operation called: "run" (Run Deployment Now), "retrieve" (`deployment_id` holds the run
    # id), "list" (a walk: `requests` the pages asked for, `pages` the bodies served in turn,
    # `filters` the arguments passed, `served` None unless the walk ended on an HTTP error).
    operation: str = "run"
    filters: Mapping[str, Any] = field(default_factory=dict)
    pages: tuple[Any, ...] = ()

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
