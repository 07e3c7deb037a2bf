"""The oracle's delivery checks: how an answer arrived, judged by its own door; each way of
breaking fails exactly its requirement, and a whole answer passes all four."""

from __future__ import annotations

import pytest

from drun_conformance import spec
from drun_conformance.oracle import Delivery, Ending, Exchange, Oracle

ORACLE = Oracle.default()
TRANSPORT = {"http.answer.whole", "http.answer.in-time", "http.answer.within-cap", "http.answer.no-redirect"}
RUN_NOW = "/v1/deployments/depl_1/run"


def _failed(delivery: Delivery) -> set[str]:
    return {f.requirement for f in ORACLE.judge_delivery(delivery).violations}


def test_the_catalog_holds_the_four_as_server_musts() -> None:
    entries = [r for r in spec.load_catalog() if r.id in TRANSPORT]
    assert {r.id for r in entries} == TRANSPORT
    assert {(r.level, r.side, r.area) for r in entries} == {("MUST", "server", "transport")}


@pytest.mark.parametrize("status", [200, 201, 400, 404, 429, 500])
def test_a_whole_answer_passes_all_four(status: int) -> None:
    evaluation = ORACLE.judge_delivery(Delivery("POST", RUN_NOW, "whole", status=status, received=300))
    assert evaluation.findings == [] and evaluation.exercised == TRANSPORT


@pytest.mark.parametrize(
    ("ending", "status", "requirement", "exercised"),
    [
        ("cut", 200, "http.answer.whole", {"http.answer.whole", "http.answer.no-redirect"}),
        ("cut", None, "http.answer.whole", {"http.answer.whole"}),
        ("stalled", 200, "http.answer.in-time", {"http.answer.in-time", "http.answer.no-redirect"}),
        ("stalled", None, "http.answer.in-time", {"http.answer.in-time"}),
        ("oversize", 200, "http.answer.within-cap", {"http.answer.within-cap", "http.answer.no-redirect"}),
    ],
)
def test_each_way_of_breaking_fails_its_requirement_only(
    ending: Ending, status: int | None, requirement: str, exercised: set[str]
) -> None:
    delivery = Delivery(
        "POST", RUN_NOW, ending, status=status, received=12, declared=1000, cap=10, waited_s=2
    )
    evaluation = ORACLE.judge_delivery(delivery)
    assert [(f.requirement, f.level) for f in evaluation.findings] == [(requirement, "MUST")]
    # What the broken answer cannot tell (would it have come whole? in time?) is left unexercised.
    assert evaluation.exercised == exercised
    assert (
        evaluation.findings[0].message.startswith("Received: ")
        and " / Expected: " in evaluation.findings[0].message
    )


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_fails_no_redirect_only(status: int) -> None:
    delivery = Delivery("POST", RUN_NOW, "whole", status=status, location="https://elsewhere.example/run")
    assert _failed(delivery) == {"http.answer.no-redirect"}


def test_a_redirect_to_itself_is_called_a_loop() -> None:
    (loop,) = ORACLE.judge_delivery(Delivery("POST", RUN_NOW, "whole", status=307, location=RUN_NOW)).findings
    (away,) = ORACLE.judge_delivery(
        Delivery("POST", RUN_NOW, "whole", status=307, location=RUN_NOW + "?moved=1")
    ).findings
    assert "redirect loop" in loop.message and "redirect loop" not in away.message
    absolute = Delivery(
        "GET",
        "/v1/deployment_runs?limit=2",
        "whole",
        status=302,
        location="http://h/v1/deployment_runs?limit=2",
    )
    assert "redirect loop" in ORACLE.judge_delivery(absolute).findings[0].message


def test_the_messages_say_what_came() -> None:
    declared = Delivery("POST", RUN_NOW, "cut", status=200, received=151, declared=302, detail="peer closed")
    assert "151 of the 302 body bytes" in _message(declared) and "peer closed" in _message(declared)
    chunked = Delivery("POST", RUN_NOW, "cut", status=200, received=151)
    assert "no last chunk" in _message(chunked)
    silent = Delivery("POST", RUN_NOW, "stalled", waited_s=30)
    assert "within 30 s" in _message(silent) and "not even a status line" in _message(silent)
    flood = Delivery("POST", RUN_NOW, "oversize", status=200, received=0, declared=1 << 30, cap=1000)
    assert f"declared {1 << 30} bytes" in _message(flood) and "at most 1000 bytes" in _message(flood)


def _message(delivery: Delivery) -> str:
    return ORACLE.judge_delivery(delivery).findings[0].message


def test_the_body_door_never_runs_them() -> None:
    """Each requirement is judged by one door: a 3xx or any body through the other doors leaves
    the delivery checks to `judge_delivery`."""
    exchange = Exchange(
        method="POST",
        deployment_id="depl_1",
        request_headers={"x-api-key": "k"},
        status=307,
        response_headers={"location": RUN_NOW},
        body=b"",
    )
    assert not ORACLE.judge_run_now(exchange, None).exercised & TRANSPORT
    assert not ORACLE.judge_read_back(exchange, None, original=None).exercised & TRANSPORT
    assert not ORACLE.judge_listing_page(exchange, None).page.exercised & TRANSPORT
    assert not ORACLE.judge_recorded({}).exercised & TRANSPORT
