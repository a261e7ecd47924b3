"""The job store: jobs in SQLite (WAL mode) in the server's data directory.

One table, `jobs`, one row per job; `seq` (an AUTOINCREMENT key) orders jobs by submission and
pages ListJobs. The config, progress and result are stored as serialized gosim.v1 protos
(SimConfig, Progress, Result): the config as the server converted it, with every field explicit,
so a re-run uses exactly the submitted values even if defaults change.

Durability: WAL journal with synchronous=FULL, so every committed write (a submission, a state
change, a result) survives a crash of the server or of the machine. Every state change is one
UPDATE guarded by the states it may leave (e.g. finish() only moves a QUEUED or RUNNING job), so
races between a completion and a cancellation are decided by the database: the first write
wins and the other is a no-op. A finished job's result is written in the same UPDATE that makes
it SUCCEEDED.

Recovery: recover() runs once at startup, before anything else. A job still RUNNING then was
running when the server died (a clean shutdown re-queues its jobs): it is QUEUED again, to be
re-run, unless it has already started max_attempts times, in which case it is FAILED with the
reason.

One server per data directory: the store holds an exclusive lock (flock) on
<data_dir>/server.lock while it is open, so a second server on the same directory fails to start
(StoreInUse) instead of "recovering" the first one's running jobs. The OS drops the lock when
the process dies, so a crash never leaves it behind.

The store is synchronous and thread-safe (one connection behind a lock); the asyncio side calls
it with asyncio.to_thread. Times are wall-clock nanoseconds since the Unix epoch.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gosim.v1 import simulator_pb2

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no data-directory lock
    fcntl = None  # type: ignore[assignment]

QUEUED = simulator_pb2.JOB_STATE_QUEUED
RUNNING = simulator_pb2.JOB_STATE_RUNNING
SUCCEEDED = simulator_pb2.JOB_STATE_SUCCEEDED
FAILED = simulator_pb2.JOB_STATE_FAILED
CANCELLED = simulator_pb2.JOB_STATE_CANCELLED
ACTIVE = (QUEUED, RUNNING)
TERMINAL = (SUCCEEDED, FAILED, CANCELLED)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT    NOT NULL UNIQUE,
    label      TEXT    NOT NULL DEFAULT '',
    state      INTEGER NOT NULL,          -- gosim.v1.JobState number
    config     BLOB    NOT NULL,          -- serialized gosim.v1.SimConfig
    create_ns  INTEGER NOT NULL,
    start_ns   INTEGER,
    finish_ns  INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0,
    error      TEXT    NOT NULL DEFAULT '',
    progress   BLOB,                      -- serialized gosim.v1.Progress
    result     BLOB                       -- serialized gosim.v1.Result (SUCCEEDED only)
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state, seq);
"""

_COLUMNS = ("seq, id, label, state, config, create_ns, start_ns, finish_ns, attempts, error, "
            "progress")


@dataclass(frozen=True)
class JobRow:
    seq: int
    id: str
    label: str
    state: int
    config: bytes
    create_ns: int
    start_ns: int | None
    finish_ns: int | None
    attempts: int
    error: str
    progress: bytes | None
    result: bytes | None = None


class StoreInUse(Exception):
    """Another server holds the data directory."""


class JobStore:
    """Jobs in <data_dir>/jobs.sqlite3 (see the module doc)."""

    FILENAME = "jobs.sqlite3"
    LOCKNAME = "server.lock"

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / self.FILENAME
        self._dir_lock = open(data_dir / self.LOCKNAME, "a+")  # noqa: SIM115 - held while open
        if fcntl is not None:
            try:
                fcntl.flock(self._dir_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._dir_lock.close()
                raise StoreInUse(f"the data directory {data_dir} is in use by another gosim "
                                 "server") from None
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False,
                                       isolation_level=None, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except BaseException:
            self._dir_lock.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()
            with contextlib.suppress(OSError):
                self._dir_lock.close()  # releases the flock

    def journal_mode(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    # -- reads

    def get(self, job_id: str, *, with_result: bool = True) -> JobRow | None:
        cols = _COLUMNS + (", result" if with_result else "")
        with self._lock:
            r = self._db.execute(f"SELECT {cols} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return JobRow(*r) if r else None

    def list_jobs(self, states: Iterable[int], before_seq: int | None,
                  limit: int) -> list[JobRow]:
        """Jobs newest first, in the given states (all if empty), with seq < before_seq."""
        where, args = [], []
        st = sorted(set(states))
        if st:
            where.append(f"state IN ({','.join('?' * len(st))})")
            args += st
        if before_seq is not None:
            where.append("seq < ?")
            args.append(before_seq)
        sql = f"SELECT {_COLUMNS} FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC LIMIT ?"
        args.append(limit)
        with self._lock:
            return [JobRow(*r) for r in self._db.execute(sql, args).fetchall()]

    def ids_in_state(self, state: int) -> list[str]:
        """Ids of jobs in a state, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT id FROM jobs WHERE state = ? ORDER BY seq",
                                    (state,)).fetchall()
        return [r[0] for r in rows]

    def count_active(self) -> int:
        with self._lock:
            return int(self._db.execute(
                "SELECT COUNT(*) FROM jobs WHERE state IN (?, ?)", ACTIVE).fetchone()[0])

    # -- writes

    def insert(self, job_id: str, label: str, config: bytes) -> JobRow:
        now = time.time_ns()
        with self._lock:
            self._db.execute(
                "INSERT INTO jobs (id, label, state, config, create_ns) VALUES (?, ?, ?, ?, ?)",
                (job_id, label, QUEUED, config, now))
        row = self.get(job_id)
        assert row is not None
        return row

    def mark_running(self, job_id: str) -> bool:
        """QUEUED -> RUNNING, counting an attempt."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE jobs SET state = ?, start_ns = ?, attempts = attempts + 1 "
                "WHERE id = ? AND state = ?", (RUNNING, time.time_ns(), job_id, QUEUED))
        return cur.rowcount == 1

    def save_progress(self, job_id: str, progress: bytes) -> None:
        with self._lock:
            self._db.execute("UPDATE jobs SET progress = ? WHERE id = ? AND state = ?",
                             (progress, job_id, RUNNING))

    def finish(self, job_id: str, state: int, *, error: str = "",
               progress: bytes | None = None, result: bytes | None = None) -> bool:
        """QUEUED/RUNNING -> a terminal state, with the result for SUCCEEDED. False if the job
        had already finished (the first terminal write wins). An empty error keeps the job's
        earlier note (e.g. that it was re-queued after a crash)."""
        assert state in TERMINAL
        with self._lock:
            cur = self._db.execute(
                "UPDATE jobs SET state = ?, finish_ns = ?, "
                "error = CASE WHEN ? = '' THEN error ELSE ? END, "
                "progress = COALESCE(?, progress), result = ? "
                "WHERE id = ? AND state IN (?, ?)",
                (state, time.time_ns(), error, error, progress, result, job_id, *ACTIVE))
        return cur.rowcount == 1

    def requeue(self, job_id: str, note: str) -> bool:
        """RUNNING -> QUEUED after a clean shutdown interrupted the run; the interrupted run
        does not count as an attempt."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE jobs SET state = ?, attempts = MAX(0, attempts - 1), error = ?, "
                "progress = NULL WHERE id = ? AND state = ?", (QUEUED, note, job_id, RUNNING))
        return cur.rowcount == 1

    def recover(self, max_attempts: int) -> tuple[list[str], list[str]]:
        """After a crash: RUNNING jobs are re-queued, or FAILED once they have started
        max_attempts times. Returns (requeued ids, failed ids)."""
        requeued, failed = [], []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = self._db.execute("SELECT id, attempts FROM jobs WHERE state = ?",
                                        (RUNNING,)).fetchall()
                now = time.time_ns()
                for job_id, attempts in rows:
                    if attempts >= max_attempts:
                        self._db.execute(
                            "UPDATE jobs SET state = ?, finish_ns = ?, error = ? WHERE id = ?",
                            (FAILED, now,
                             f"the server stopped unexpectedly while the job was running "
                             f"(attempt {attempts} of {max_attempts}); not re-run", job_id))
                        failed.append(job_id)
                    else:
                        self._db.execute(
                            "UPDATE jobs SET state = ?, progress = NULL, error = ? WHERE id = ?",
                            (QUEUED,
                             f"re-queued: the server stopped unexpectedly while the job was "
                             f"running (attempt {attempts} of {max_attempts})", job_id))
                        requeued.append(job_id)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return requeued, failed
