"""Checks of how an answer arrived: whole, in time, within the size cap, and not redirected.

Their input is a `Delivery`, what whoever waited for the answer saw of it on the wire (the
server prober, or a proxy reading its upstream), whether or not a body came of it. Every
answer that arrives whole meets all four; a broken one fails the one its way of breaking
names, and leaves the others it cannot tell about unexercised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from ._case import Found, cut
from ._registry import Registry

__all__ = ["TRANSPORT", "Delivery", "Ending"]

# How the wait for an answer ended: the answer came whole; it broke off (the connection closed
# before it was complete, or its framing broke); no complete answer came within the timeout;
# the answer passed the size cap.
Ending = Literal["whole", "cut", "stalled", "oversize"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """How one answer arrived, or failed to.

    `status` is None when no status line arrived; `received` counts the body bytes that did
    (decoded), `declared` is the head's content-length if any. `waited_s` is the timeout that
    ran out (a stalled answer), `cap` the size it passed (an oversize one), `detail` what the
    transport said, in its words.
    """

    method: str
    target: str  # the path and query asked for
    ending: Ending
    status: int | None = None
    received: int = 0
    declared: int | None = None
    location: str | None = None  # a redirect's location header
    waited_s: float | None = None
    cap: int | None = None
    detail: str = ""

    @property
    def asked(self) -> str:
        return f"{self.method} {cut(self.target, 120)}"


TRANSPORT = Registry[Delivery]()
check = TRANSPORT.register


def _broke(received: str, expected: str) -> list[Found]:
    return [("", f"Received: {received} / Expected: {expected}")]


def _arrived(delivery: Delivery) -> str:
    """What had arrived when the wait ended, in words."""
    if delivery.status is None:
        return "nothing, not even a status line"
    if delivery.declared is not None:
        return f"{delivery.status} and {delivery.received} of the {delivery.declared} body bytes declared"
    return f"{delivery.status} and {delivery.received} body bytes, no last chunk"


@check("http.answer.whole")
def check_answer_whole(delivery: Delivery) -> list[Found] | None:
    if delivery.ending == "whole":
        return []
    if delivery.ending != "cut":
        return None  # stopped waiting first: whether it would have come whole is unknown
    said = f" ({cut(delivery.detail, 160)})" if delivery.detail else ""
    return _broke(
        f"the answer to {delivery.asked} broke off; what came: {_arrived(delivery)}{said}",
        "a whole answer (RFC 9112 section 6.3: an answer cut short is incomplete)",
    )


@check("http.answer.in-time")
def check_answer_in_time(delivery: Delivery) -> list[Found] | None:
    if delivery.ending == "whole":
        return []
    if delivery.ending != "stalled":
        return None
    waited = f" within {delivery.waited_s:g} s" if delivery.waited_s is not None else ""
    return _broke(
        f"no complete answer to {delivery.asked}{waited}; what came: {_arrived(delivery)}",
        "a whole answer within the client's timeout, neither stalled nor trickled",
    )


@check("http.answer.within-cap")
def check_answer_within_cap(delivery: Delivery) -> list[Found] | None:
    if delivery.ending == "whole":
        return []
    if delivery.ending != "oversize":
        return None
    size = (
        f"declared {delivery.declared} bytes"
        if delivery.declared is not None and delivery.declared > delivery.received
        else f"passed {delivery.received} bytes"
    )
    cap = f"{delivery.cap} bytes" if delivery.cap is not None else "the client's cap"
    return _broke(
        f"the answer to {delivery.asked} {size}",
        f"at most {cap}, the client's cap (a DeploymentRun is a small record)",
    )


@check("http.answer.no-redirect")
def check_answer_no_redirect(delivery: Delivery) -> list[Found] | None:
    if delivery.status is None:
        return None
    if not 300 <= delivery.status < 400:
        return []
    where = cut(delivery.location, 120) if delivery.location else "no location"
    loop = " (itself: a redirect loop)" if _place(delivery.location) == _place(delivery.target) else ""
    return _broke(
        f"{delivery.status} to {where}{loop} for {delivery.asked}",
        "the operation's own answer (2xx, or an error envelope), not a redirect; "
        "if the API moved, point the client at its new address",
    )


def _place(url: str | None) -> str:
    """The path and query of a URL, absolute or not."""
    parts = urlsplit(url or "")
    return parts.path + (f"?{parts.query}" if parts.query else "")
