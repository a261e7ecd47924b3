"""The sweep store: sweep jobs and their completed points in SQLite, next to the job store.

<data_dir>/sweeps.sqlite3 (a sibling of jobs.sqlite3, opened by the same server, which already
holds the data directory's lock) has two tables:

  sweeps        one row per sweep: id, label, state (a gosim.v1.JobState number), the
                SweepSpec as submitted (serialized), its size, times, error, engine, resumes
  sweep_points  one row per completed point: (sweep_id, idx) unique, the serialized
                SweepPoint and its failed-run count; `seq` orders points by completion so
                WatchSweep can stream the ones after the last it sent

Durability as in the job store: WAL journal, synchronous=FULL, every point committed before it
is reported. A point is written once (INSERT OR IGNORE), so a point finished twice around a
restart is stored once. State changes are single UPDATEs guarded by the states they may leave:
the first terminal write wins (a cancel racing a completion), and requeue() only moves a
RUNNING sweep.

At startup the manager resumes every QUEUED or RUNNING sweep; the points already stored are
skipped, so a restart never re-runs a finished point. Thread-safe (one connection behind a
lock); the asyncio side calls it with asyncio.to_thread.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from server.store import ACTIVE, QUEUED, RUNNING, TERMINAL

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sweeps (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    label        TEXT    NOT NULL DEFAULT '',
    state        INTEGER NOT NULL,          -- gosim.v1.JobState number
    spec         BLOB    NOT NULL,          -- serialized gosim.v1.SweepSpec
    total_points INTEGER NOT NULL,
    total_runs   INTEGER NOT NULL,
    create_ns    INTEGER NOT NULL,
    start_ns     INTEGER,
    finish_ns    INTEGER,
    error        TEXT    NOT NULL DEFAULT '',
    engine       TEXT    NOT NULL DEFAULT '',
    resumes      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sweeps_by_state ON sweeps(state, seq);
CREATE TABLE IF NOT EXISTS sweep_points (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    sweep_id     TEXT    NOT NULL,
    idx          INTEGER NOT NULL,
    failed_runs  INTEGER NOT NULL,
    point        BLOB    NOT NULL,          -- serialized gosim.v1.SweepPoint
    UNIQUE (sweep_id, idx)
);
"""

_COLUMNS = ("seq, id, label, state, spec, total_points, total_runs, create_ns, start_ns, "
            "finish_ns, error, engine, resumes")


@dataclass(frozen=True)
class SweepRow:
    seq: int
    id: str
    label: str
    state: int
    spec: bytes
    total_points: int
    total_runs: int
    create_ns: int
    start_ns: int | None
    finish_ns: int | None
    error: str
    engine: str
    resumes: int
    completed_points: int = 0
    failed_runs: int = 0


class SweepStore:
    """Sweeps in <data_dir>/sweeps.sqlite3 (see the module doc)."""

    FILENAME = "sweeps.sqlite3"

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / self.FILENAME
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                                   timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- reads

    def _row(self, r: tuple[object, ...]) -> SweepRow:
        row = SweepRow(*r)  # type: ignore[arg-type]
        done, failed = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(failed_runs), 0) FROM sweep_points "
            "WHERE sweep_id = ?", (row.id,)).fetchone()
        return dataclasses.replace(row, completed_points=int(done), failed_runs=int(failed))

    def get(self, sweep_id: str) -> SweepRow | None:
        with self._lock:
            r = self._db.execute(f"SELECT {_COLUMNS} FROM sweeps WHERE id = ?",
                                 (sweep_id,)).fetchone()
            return self._row(r) if r else None

    def list_sweeps(self, before_seq: int | None, limit: int) -> list[SweepRow]:
        """Sweeps newest first, with seq < before_seq."""
        sql = f"SELECT {_COLUMNS} FROM sweeps"
        args: list[object] = []
        if before_seq is not None:
            sql += " WHERE seq < ?"
            args.append(before_seq)
        sql += " ORDER BY seq DESC LIMIT ?"
        args.append(limit)
        with self._lock:
            return [self._row(r) for r in self._db.execute(sql, args).fetchall()]

    def active_ids(self) -> list[str]:
        """Ids of QUEUED or RUNNING sweeps, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT id FROM sweeps WHERE state IN (?, ?) ORDER BY seq",
                                    ACTIVE).fetchall()
        return [r[0] for r in rows]

    def point_indices(self, sweep_id: str) -> set[int]:
        with self._lock:
            rows = self._db.execute("SELECT idx FROM sweep_points WHERE sweep_id = ?",
                                    (sweep_id,)).fetchall()
        return {int(r[0]) for r in rows}

    def points_after(self, sweep_id: str, after_seq: int, limit: int = 1000
                     ) -> list[tuple[int, bytes]]:
        """(seq, point bytes) of points stored after after_seq, in completion order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, point FROM sweep_points WHERE sweep_id = ? AND seq > ? "
                "ORDER BY seq LIMIT ?", (sweep_id, after_seq, limit)).fetchall()
        return [(int(s), bytes(p)) for s, p in rows]

    def points(self, sweep_id: str) -> list[bytes]:
        """Every stored point, by index."""
        with self._lock:
            rows = self._db.execute("SELECT point FROM sweep_points WHERE sweep_id = ? "
                                    "ORDER BY idx", (sweep_id,)).fetchall()
        return [bytes(r[0]) for r in rows]

    # -- writes

    def insert(self, sweep_id: str, label: str, spec: bytes, total_points: int,
               total_runs: int) -> SweepRow:
        with self._lock:
            self._db.execute(
                "INSERT INTO sweeps (id, label, state, spec, total_points, total_runs, "
                "create_ns) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (sweep_id, label, QUEUED, spec, total_points, total_runs, time.time_ns()))
        row = self.get(sweep_id)
        assert row is not None
        return row

    def mark_running(self, sweep_id: str, engine: str, resumed: bool) -> bool:
        """QUEUED/RUNNING -> RUNNING on an engine; a resume after a restart is counted."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE sweeps SET state = ?, start_ns = ?, engine = ?, "
                "resumes = resumes + ? WHERE id = ? AND state IN (?, ?)",
                (RUNNING, time.time_ns(), engine, int(resumed), sweep_id, *ACTIVE))
        return cur.rowcount == 1

    def add_point(self, sweep_id: str, index: int, failed_runs: int, point: bytes) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO sweep_points (sweep_id, idx, failed_runs, point) "
                "VALUES (?, ?, ?, ?)", (sweep_id, index, failed_runs, point))

    def finish(self, sweep_id: str, state: int, error: str = "") -> bool:
        """QUEUED/RUNNING -> a terminal state; False if it had already finished. An empty
        error keeps the earlier note."""
        assert state in TERMINAL
        with self._lock:
            cur = self._db.execute(
                "UPDATE sweeps SET state = ?, finish_ns = ?, "
                "error = CASE WHEN ? = '' THEN error ELSE ? END "
                "WHERE id = ? AND state IN (?, ?)",
                (state, time.time_ns(), error, error, sweep_id, *ACTIVE))
        return cur.rowcount == 1

    def requeue(self, sweep_id: str, note: str) -> bool:
        """RUNNING -> QUEUED (a server shutdown interrupted it; it resumes at the next start)."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE sweeps SET state = ?, error = ? WHERE id = ? AND state = ?",
                (QUEUED, note, sweep_id, RUNNING))
        return cur.rowcount == 1
