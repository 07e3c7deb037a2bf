"""Runs persisted append-only in SQLite: inserted once, read back byte for byte, never changed."""

from __future__ import annotations

import json
import sqlite3
import threading
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
CREATE TRIGGER IF NOT EXISTS runs_no_update BEFORE UPDATE ON runs
    BEGIN SELECT RAISE(ABORT, 'deployment runs are append-only'); END;
CREATE TRIGGER IF NOT EXISTS runs_no_delete BEFORE DELETE ON runs
    BEGIN SELECT RAISE(ABORT, 'deployment runs are append-only'); END;
"""


def _micros(at: datetime) -> int:
    delta = at.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


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
    """One connection shared by every thread behind one lock: uvicorn's loop and any reader."""

    def __init__(self, database: str | Path = ":memory:") -> None:
        try:
            self._db = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise InputError(f"cannot open the run database {database}: {exc}") from exc
        self._lock = threading.Lock()

    def append(self, run: dict[str, Any], created_at: datetime) -> None:
        body = json.dumps(run, ensure_ascii=False, separators=(",", ":"))
        row = (
            run["id"],
            run["deployment_id"],
            _micros(created_at),
            run["error"] is not None,
            run["trigger_context"]["type"],
            body,
        )
        with self._lock:
            self._db.execute(
                "INSERT INTO runs (id, deployment_id, created_us, has_error, trigger_type, body)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )

    def get(self, run_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM runs WHERE id = ?", (run_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def has_seq(self, seq: int) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM runs WHERE seq = ?", (seq,)).fetchone() is not None

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
            rows = self._db.execute(sql, (*args, query.limit + 1)).fetchall()
        more = int(rows[query.limit - 1][0]) if len(rows) > query.limit else None
        return [json.loads(r[1]) for r in rows[: query.limit]], more

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM runs").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
