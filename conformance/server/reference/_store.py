"""Runs persisted append-only in SQLite: inserted once, read back byte for byte, never changed.

A file store writes from one thread of its own: it takes every run waiting and commits them
in one transaction (group commit: one fsync for all), so the event loop never waits on the
disk. `append` answers a future that completes once the runs are on disk; the server answers
a run only then, so an answered run survives `kill -9` (and a power cut). Reads have their own
connection and, in WAL mode, never wait for a write. The in-memory store has no disk to wait
on: it writes in place, its future done on return.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drun_conformance._errors import InputError

__all__ = ["RunQuery", "RunStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    deployment_id TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    has_error INTEGER NOT NULL,
    trigger_type TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_deployment ON runs (deployment_id, seq);
-- One run per firing of a deployment's schedule (the SDKs: "At most one run is recorded per
-- (deployment_id, scheduled_at) pair").
CREATE UNIQUE INDEX IF NOT EXISTS runs_one_per_firing
    ON runs (deployment_id, json_extract(body, '$.trigger_context.scheduled_at'))
    WHERE trigger_type = 'schedule';
CREATE TRIGGER IF NOT EXISTS runs_no_update BEFORE UPDATE ON runs
    BEGIN SELECT RAISE(ABORT, 'deployment runs are append-only'); END;
CREATE TRIGGER IF NOT EXISTS runs_no_delete BEFORE DELETE ON runs
    BEGIN SELECT RAISE(ABORT, 'deployment runs are append-only'); END;
"""
_COLUMNS = "id, deployment_id, created_us, has_error, trigger_type, body"
_INSERT = f"INSERT INTO runs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
_BATCH = 1024  # appends one transaction takes at most: bounds a commit's time, not throughput

_Row = tuple[str, str, int, bool, str, str]
_Job = tuple[list[_Row], "Future[None]"]


def _micros(at: datetime) -> int:
    delta = at.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _row(run: dict[str, Any], created_at: datetime) -> _Row:
    body = json.dumps(run, ensure_ascii=False, separators=(",", ":"))
    return (
        run["id"],
        run["deployment_id"],
        _micros(created_at),
        run["error"] is not None,
        run["trigger_context"]["type"],
        body,
    )


def _insert(db: sqlite3.Connection, rows: list[_Row]) -> None:
    """Insert `rows`, all or none: one INSERT is so by itself, several need a savepoint."""
    if len(rows) == 1:
        db.execute(_INSERT, rows[0])
        return
    db.execute("SAVEPOINT job")
    try:
        db.executemany(_INSERT, rows)
    except sqlite3.IntegrityError:
        db.execute("ROLLBACK TO job")
        raise
    finally:
        db.execute("RELEASE job")


def _commit(db: sqlite3.Connection, jobs: list[_Job]) -> None:
    """Store `jobs` in one transaction, each job all or nothing, then complete their futures:
    a job that breaks a constraint fails alone; a failed commit fails them all."""
    stored: list[Future[None]] = []
    try:
        db.execute("BEGIN IMMEDIATE")
        for rows, future in jobs:
            try:
                _insert(db, rows)
            except sqlite3.IntegrityError as exc:
                future.set_exception(exc)
            else:
                stored.append(future)
        db.execute("COMMIT")
    except Exception as exc:  # the disk, or a bug: never leave a request waiting for ever
        for _, future in jobs:
            if not future.done():
                future.set_exception(exc)
        with suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        return
    for future in stored:
        future.set_result(None)


class _Writer:
    """The thread that owns a file store's write connection (it holds no reference to the
    store, so the store can be collected, and a finalizer then stops the thread)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="drun-run-store-writer", daemon=True)
        self._thread.start()

    def submit(self, job: _Job) -> None:
        self._jobs.put(job)

    def stop(self) -> None:
        """Commit what is queued, then end the thread (the caller does not wait)."""
        self._jobs.put(None)

    def join(self) -> None:
        self._thread.join()

    def _loop(self) -> None:
        running = True
        while running:
            first = self._jobs.get()
            if first is None:
                break
            jobs = [first]
            while len(jobs) < _BATCH:  # everything that queued while the last commit ran
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    running = False
                    break
                jobs.append(job)
            _commit(self._db, jobs)
        self._db.close()


def _connect(database: str | Path) -> sqlite3.Connection:
    return sqlite3.connect(database, check_same_thread=False, isolation_level=None)


@dataclass(frozen=True, slots=True)
class RunQuery:
    """The filters of `GET /v1/deployment_runs`; None leaves a filter out."""

    deployment_id: str | None = None
    has_error: bool | None = None
    trigger_type: str | None = None
    created_at_gt: datetime | None = None
    created_at_gte: datetime | None = None
    created_at_lt: datetime | None = None
    created_at_lte: datetime | None = None
    before_seq: int | None = None  # the page of runs older than this one (the cursor's)
    limit: int = 20


class RunStore:
    """Runs in SQLite (`database`: a file, or ":memory:"). Reads share one connection behind a
    lock (uvicorn's loop and any other thread); a file store writes from its own thread."""

    def __init__(self, database: str | Path = ":memory:") -> None:
        in_memory = str(database) in (":memory:", "")
        try:
            db = _connect(database)
            if not in_memory:
                # WAL: readers never wait for the writer; FULL: a commit is on disk when it returns.
                mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if mode != "wal":
                    db.close()
                    raise sqlite3.OperationalError(f"journal_mode stays {mode!r}, WAL is not available")
                db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
            self._read = db if in_memory else _connect(database)
        except sqlite3.Error as exc:
            raise InputError(f"cannot open the run database {database}: {exc}") from exc
        self._lock = threading.Lock()
        self._writer = None if in_memory else _Writer(db)
        # Dropped without close(): the writer still commits what is queued and ends.
        self._stop = weakref.finalize(self, self._writer.stop) if self._writer else None

    def append(self, runs: Sequence[tuple[dict[str, Any], datetime]]) -> Future[None]:
        """Store `runs` (each with its creation instant) in one transaction. The future
        completes once they are on disk, or with the error that kept them out."""
        job: _Job = ([_row(run, created_at) for run, created_at in runs], Future())
        if self._stop is not None and not self._stop.alive:
            job[1].set_exception(sqlite3.ProgrammingError("the run store is closed"))
        elif self._writer is None:
            with self._lock:
                _commit(self._read, [job])
        else:
            self._writer.submit(job)
        return job[1]

    def get(self, run_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._read.execute("SELECT body FROM runs WHERE id = ?", (run_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def has_seq(self, seq: int) -> bool:
        with self._lock:
            return self._read.execute("SELECT 1 FROM runs WHERE seq = ?", (seq,)).fetchone() is not None

    def list(self, query: RunQuery) -> tuple[list[dict[str, Any]], int | None]:
        """Newest first (the order the server created them), and the seq of the page's last run
        when more match past `limit` (where the next page starts), else None."""
        where, args = ["1"], list[Any]()
        for column, op, value in (
            ("deployment_id", "=", query.deployment_id),
            ("has_error", "=", query.has_error),
            ("trigger_type", "=", query.trigger_type),
            ("seq", "<", query.before_seq),
        ):
            if value is not None:
                where.append(f"{column} {op} ?")
                args.append(value)
        for op, bound in (
            (">", query.created_at_gt),
            (">=", query.created_at_gte),
            ("<", query.created_at_lt),
            ("<=", query.created_at_lte),
        ):
            if bound is not None:
                where.append(f"created_us {op} ?")
                args.append(_micros(bound))
        sql = f"SELECT seq, body FROM runs WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?"
        with self._lock:
            rows = self._read.execute(sql, (*args, query.limit + 1)).fetchall()
        more = int(rows[query.limit - 1][0]) if len(rows) > query.limit else None
        return [json.loads(r[1]) for r in rows[: query.limit]], more

    def count(self) -> int:
        with self._lock:
            return int(self._read.execute("SELECT count(*) FROM runs").fetchone()[0])

    def close(self) -> None:
        """Commit what is queued, then close both connections."""
        if self._writer is not None and self._stop is not None:
            self._stop()
            self._writer.join()
        with self._lock:
            self._read.close()
