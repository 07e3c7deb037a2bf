"""The file store under load and faults: `kill -9` while clients create runs loses no answered
run, the scheduled history is recorded once per database, and reads never wait for a write."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from drun_conformance.server.reference import _store as store_module
from drun_conformance.server.reference import create_app, default_scenario, run_path
from drun_conformance.server.reference._store import RunQuery

from ._reference import HEADERS, asgi_client, small_scenario
from .conftest import drun_command

pytestmark = pytest.mark.slow

WRITERS = 16
KILLS = 3
# Scheduled runs the default scenario has on record from its first start.
HISTORY = sum(d.schedule.history for d in default_scenario().deployments if d.schedule)


@contextmanager
def serving(database: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`drun-conformance serve --database FILE`, its output to a file (it logs every request:
    a pipe nobody reads would fill and stall it). Killed on exit if still running."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*drun_command(), "serve", "--port", "0", "--database", str(database)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not (match := re.search(r"base url: (http://\S+)", log.read_text())):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.02)
        yield match.group(1), process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)


def _write_until_gone(url: str, acknowledged: dict[str, bytes], stop: threading.Event) -> None:
    """Create runs back to back until the server goes; keep each answered run's bytes."""
    with httpx.Client(base_url=url, headers=HEADERS, timeout=10) as client:
        while not stop.is_set():
            try:
                response = client.post(run_path("depl_ok"))
            except httpx.TransportError:
                return
            assert response.status_code == 200, response.text
            acknowledged[response.json()["id"]] = response.content


def test_every_answered_run_survives_kill_9_and_the_history_is_recorded_once(tmp_path: Path) -> None:
    database = tmp_path / "runs.sqlite"
    acknowledged: dict[str, bytes] = {}
    for start in range(KILLS):
        with serving(database, tmp_path / f"serve{start}.log") as (url, process):
            stop = threading.Event()
            writers = [
                threading.Thread(target=_write_until_gone, args=(url, acknowledged, stop))
                for _ in range(WRITERS)
            ]
            for writer in writers:
                writer.start()
            before = len(acknowledged)
            deadline = time.monotonic() + 30
            while len(acknowledged) < before + 300 and time.monotonic() < deadline:
                time.sleep(0.01)
            process.send_signal(signal.SIGKILL)  # mid-load: runs are in flight
            process.wait(30)
            stop.set()
            for writer in writers:
                writer.join(30)
            assert len(acknowledged) >= before + 300
    with (
        serving(database, tmp_path / "last.log") as (url, _),
        httpx.Client(base_url=url, headers=HEADERS) as client,
    ):
        lost = [
            i for i, body in acknowledged.items() if client.get(f"/v1/deployment_runs/{i}").content != body
        ]
        assert lost == [], f"{len(lost)} of {len(acknowledged)} answered runs lost or changed"
        scheduled = client.get("/v1/deployment_runs", params={"trigger_type": "schedule", "limit": 1000})
        manual = client.get("/v1/deployment_runs", params={"trigger_type": "manual", "limit": 1000})
    # KILLS + 1 starts on one database: the scenario's history once, every answered run once.
    assert len(scheduled.json()["data"]) == HISTORY == 5
    ids = [r["id"] for r in manual.json()["data"]]
    assert len(ids) == len(set(ids)) and len(ids) >= min(1000, len(acknowledged))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_a_run_is_answered_once_stored_and_reads_never_wait_for_a_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(database=tmp_path / "runs.sqlite")
    disk = threading.Event()  # the writer's commits wait on it: a disk that stalls
    commit = store_module._commit

    def stalled(db: Any, jobs: Any) -> None:
        disk.wait(30)
        commit(db, jobs)

    monkeypatch.setattr(store_module, "_commit", stalled)
    async with asgi_client(app) as client:
        posting = asyncio.create_task(client.post(run_path("depl_ok"), headers=HEADERS))
        await asyncio.sleep(0.3)
        assert not posting.done()  # not on disk: not answered
        listing = await asyncio.wait_for(client.get("/v1/deployment_runs", headers=HEADERS), 10)
        assert listing.status_code == 200 and len(listing.json()["data"]) == HISTORY  # the loop answers
        disk.set()
        posted = await asyncio.wait_for(posting, 10)
        assert posted.status_code == 200
        again = await client.get(f"/v1/deployment_runs/{posted.json()['id']}", headers=HEADERS)
        assert again.content == posted.content
    app.state.store.close()


def test_the_history_is_recorded_once_per_deployment_and_database(tmp_path: Path) -> None:
    database = tmp_path / "runs.sqlite"
    scheduled = {"schedule": {"every_seconds": 60, "history": 4}}
    first = small_scenario(**scheduled)
    added = first.deployments[0].model_copy(update={"id": "depl_new"})
    grown = first.model_copy(update={"deployments": (*first.deployments, added)})
    for scenario in (first, first, grown, grown):  # restarts; the second scenario adds depl_new
        app = create_app(scenario, database=database)
        runs = app.state.store.list(RunQuery(trigger_type="schedule", limit=100))[0]
        app.state.store.close()
    assert sorted(r["deployment_id"] for r in runs) == ["depl"] * 4 + ["depl_new"] * 4
