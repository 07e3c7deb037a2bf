"""The proxy's judge keeps bounded state (Bounds): each cap holds, what goes past it is still
judged or counted, and the report says so. In-process: exchanges are handed to the judge
as its forwarder would."""

from __future__ import annotations

import asyncio
import io
import threading

from drun_conformance.proxy import OTHER_CLIENTS, Bounds, Judge, Lost
from drun_conformance.proxy._backlog import Backlog
from drun_conformance.results import TargetResult

from ._proxy_exchanges import headers, page, read_back, run, run_now, seen

UPSTREAM = "http://127.0.0.1:9"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _judge(bounds: Bounds, clock: Clock | None = None) -> Judge:
    return Judge(UPSTREAM, out=io.StringIO(), bounds=bounds, clock=clock or Clock())


def _server(judge: Judge) -> TargetResult:
    return next(t for t in judge.results() if t.kind == "server")


def _failures(target: TargetResult, requirement: str) -> int:
    return next(r.failures for r in target.requirements if r.id == requirement)


def _cases(target: TargetResult, requirement: str) -> int:
    return next(r.cases for r in target.requirements if r.id == requirement)


def test_a_read_back_of_a_forgotten_run_is_judged_without_the_comparison_and_counted() -> None:
    judge = _judge(Bounds(runs=3))
    runs = [run(n) for n in range(5)]
    for answer in runs:
        judge(run_now(answer))
    changed = [{**answer, "session_id": "sesn_changed"} for answer in runs]
    judge(read_back(changed[4]))  # remembered: compared, and found changed
    judge(read_back(changed[0]))  # forgotten (the cap is 3): judged as a run, not compared
    server = _server(judge)
    assert _failures(server, "run.read-back.same-record") == 1
    assert _cases(server, "run.read-back.same-record") == 1
    assert server.requests == 7
    note = next(n for n in server.notes if "read-backs of runs the proxy does not remember" in n)
    assert note.startswith("1 read-backs") and "among the 2 forgotten: it keeps the last 3" in note


def _expired(server: TargetResult) -> int:
    """Walks judged as they stood before the results were read (reading them judges the rest
    too, without counting them here)."""
    said = [n for n in server.notes if "listing walks judged as they stood: their next page" in n]
    return int(said[0].split()[0]) if said else 0


def test_open_walks_past_the_count_are_judged_as_they_stood() -> None:
    judge = _judge(Bounds(walks=2))
    a, b, c = run(1), run(2), run(3)
    judge(page([a, b], following="w1-2"))
    judge(page([b, c], following="w1-3", cursor="w1-2"))  # b again: listing.walk.no-repeat
    judge(page([a], following="w2-2"))
    judge(page([c], following="w3-2"))  # three open walks, two allowed: the oldest is judged now
    server = _server(judge)
    assert _expired(server) == 1
    assert _failures(server, "listing.walk.no-repeat") == 1 and _cases(server, "listing.walk.no-repeat") == 3


def test_open_walks_past_the_runs_they_hold_together_are_judged_as_they_stood() -> None:
    judge = _judge(Bounds(walks_runs=5))
    judge(page([run(1), run(2), run(1)], following="w1-2"))  # run 1 twice: listing.walk.no-repeat
    judge(page([run(3), run(4)], following="w2-2"))
    judge(page([run(5), run(6)], following="w3-2"))  # seven runs held, five allowed: the first goes
    server = _server(judge)
    assert _expired(server) == 1 and _failures(server, "listing.walk.no-repeat") == 1


def test_open_walks_past_their_age_are_judged_as_they_stood() -> None:
    clock = Clock()
    judge = _judge(Bounds(walk_idle_s=60.0), clock)
    judge(page([run(1)], following="w1-2"))
    clock.now += 30.0
    judge(page([run(2)], following="w2-2"))
    clock.now += 31.0
    judge(run_now(run(4)))  # any exchange: the first walk waited past 60 s, the second not yet
    assert _expired(_server(judge)) == 1


def test_a_walk_must_list_the_runs_answered_before_it_began() -> None:
    judge = _judge(Bounds())
    first = [run(n) for n in range(3)]
    for answer in first:
        judge(run_now(answer))
    judge(page([first[2], first[1]], following=None))  # complete, and first[0] is missing
    server = _server(judge)
    assert _failures(server, "listing.walk.no-skip") == 1
    judge = _judge(Bounds())
    judge(run_now(first[0]))
    judge(page([first[0]], following="c2", deployment_id="depl_ok"))
    judge(run_now(run(9)))  # answered after the walk began: it need not appear
    judge(page([], following=None, cursor="c2", deployment_id="depl_ok"))
    other = run(8, deployment="depl_other")
    judge(run_now(other))
    judge(page([], following=None, deployment_id="depl_other"))  # began after `other`: misses it
    server = _server(judge)
    assert _cases(server, "listing.walk.no-skip") == 2 and _failures(server, "listing.walk.no-skip") == 1


def test_clients_past_the_cap_are_judged_together_and_said_so() -> None:
    judge = _judge(Bounds(clients=2))
    for number, agent in enumerate(["a/1", "b/1", "c/1", "d/1", "a/1"]):
        judge(run_now(run(number), request_headers=headers(user_agent=agent)))
    results = judge.results()
    clients = {t.id: t.requests for t in results if t.kind == "client"}
    assert clients == {"client:a/1": 2, "client:b/1": 1, f"client:{OTHER_CLIENTS}": 2}
    notes = next(t for t in results if t.kind == "server").notes
    assert (
        f"2 run requests from clients after the first 2 User-Agents judged together as {OTHER_CLIENTS!r}"
        in notes
    )


def test_other_operations_and_not_judged_notes_are_capped_and_all_counted() -> None:
    judge = _judge(Bounds(passed_through=3, notes=2))
    for number in range(10):
        judge(seen("GET", f"/v1/files/file_{number}", 200, {}))
    for number in range(5):
        judge(Lost("GET", f"/v1/deployment_runs/r{number}", headers(), b"", "timeout", "answered 504", 1.0))
    server = _server(judge)
    assert (
        server.notes[0]
        == "0 exchanges judged, 10 of other operations passed through unjudged, 5 not judged (15 in all)"
    )
    passed = [n for n in server.notes if n.startswith("passed through: ")]
    assert len(passed) == 4 and "passed through: 7 x (other operations)" in passed
    assert "not judged: 5 x the upstream did not answer in time (answered 504)" in server.notes
    assert len([n for n in server.notes if n.startswith("not judged: GET")]) == 2


def test_the_backlog_holds_back_a_put_while_full_and_loses_nothing() -> None:
    done: list[int] = []
    backlog: Backlog[int] = Backlog(done.append, most_items=1, most_bytes=10)
    seen_done: list[list[int]] = []

    async def main() -> None:
        for item in range(5):
            await backlog.put(item, 1)
            seen_done.append(list(done))  # a put waits for room: every earlier item is done
        await asyncio.sleep(0.05)

    thread = threading.Thread(target=asyncio.run, args=(main(),))
    thread.start()
    thread.join(10)
    assert backlog.flush(10) == 0
    assert done == [0, 1, 2, 3, 4]
    assert seen_done == [[], [0], [0, 1], [0, 1, 2], [0, 1, 2, 3]]


def test_walks_waiting_for_the_same_cursor_are_each_continued() -> None:
    judge = _judge(Bounds())
    judge(page([run(1), run(2)], following="same"))  # two clients, one next_page cursor
    judge(page([run(3), run(4)], following="same"))
    judge(page([run(2)], following=None, cursor="same"))  # continues the first: run 2 again
    judge(page([run(5)], following=None, cursor="same"))
    server = _server(judge)
    assert _cases(server, "listing.walk.no-repeat") == 2 and _failures(server, "listing.walk.no-repeat") == 1
    assert _expired(server) == 0


def test_a_walk_past_its_runs_is_judged_as_it_stood() -> None:
    judge = _judge(Bounds(walk_runs=3))
    judge(page([run(1), run(2)], following="p2"))
    judge(page([run(3), run(2)], following="p3", cursor="p2"))  # four runs listed: judged here
    judge(page([run(4)], following=None, cursor="p3"))  # a walk of its own now
    server = _server(judge)
    assert "1 listing walks judged as they stood after 3 runs" in server.notes
    assert _cases(server, "listing.walk.no-repeat") == 2 and _failures(server, "listing.walk.no-repeat") == 1


def test_an_exchange_the_judge_fails_on_is_counted_once_as_not_judged() -> None:
    judge = _judge(Bounds())
    broken = run_now(run(1))
    object.__setattr__(broken, "elapsed_s", None)  # judging it raises, once counting has begun
    judge(broken)
    judge(run_now(run(2)))
    server = _server(judge)
    assert (
        server.notes[0]
        == "1 exchanges judged, 0 of other operations passed through unjudged, 1 not judged (2 in all)"
    )
    assert (
        "not judged: 1 x judging it failed (a fault in drun-conformance, not in the upstream)" in server.notes
    )
