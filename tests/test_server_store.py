"""server/store.py: the SQLite job store (WAL, guarded transitions, paging, crash recovery)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from server.store import CANCELLED, FAILED, QUEUED, RUNNING, SUCCEEDED, JobStore


def test_wal_mode_and_file_location(tmp_path: Path) -> None:
    s = JobStore(tmp_path / "data")
    assert s.journal_mode() == "wal"
    assert (tmp_path / "data" / "jobs.sqlite3").exists()
    s.close()


def test_lifecycle_and_first_terminal_write_wins(tmp_path: Path) -> None:
    s = JobStore(tmp_path)
    row = s.insert("a", "label", b"cfg")
    assert row.state == QUEUED and row.attempts == 0 and row.label == "label"
    assert s.mark_running("a")
    assert not s.mark_running("a")  # only from QUEUED
    s.save_progress("a", b"p")
    assert s.finish("a", SUCCEEDED, result=b"res")
    assert not s.finish("a", CANCELLED)  # already terminal: no-op
    got = s.get("a")
    assert got is not None
    assert (got.state, got.attempts, got.result, got.progress) == (SUCCEEDED, 1, b"res", b"p")
    assert s.get("a", with_result=False).result is None  # type: ignore[union-attr]
    assert s.get("nope") is None
    s.close()


def test_list_pages_newest_first_with_filter(tmp_path: Path) -> None:
    s = JobStore(tmp_path)
    for i in range(5):
        s.insert(f"j{i}", "", b"")
    s.finish("j1", CANCELLED)
    s.finish("j3", CANCELLED)
    rows = s.list_jobs([], None, 3)
    assert [r.id for r in rows] == ["j4", "j3", "j2"]
    rows = s.list_jobs([], rows[-1].seq, 3)
    assert [r.id for r in rows] == ["j1", "j0"]
    assert [r.id for r in s.list_jobs([CANCELLED], None, 10)] == ["j3", "j1"]
    assert s.count_active() == 3
    s.close()


def test_recover_requeues_or_fails_running_jobs(tmp_path: Path) -> None:
    s = JobStore(tmp_path)
    s.insert("once", "", b"")
    s.insert("twice", "", b"")
    s.mark_running("once")
    s.mark_running("twice")
    # "twice" crashed the server before: put it back to RUNNING with two attempts.
    s.requeue("twice", "")
    s._db.execute("UPDATE jobs SET state = ?, attempts = 2 WHERE id = 'twice'", (RUNNING,))
    s.close()  # the "crash": rows left RUNNING

    s = JobStore(tmp_path)
    requeued, failed = s.recover(max_attempts=2)
    assert requeued == ["once"] and failed == ["twice"]
    once, twice = s.get("once"), s.get("twice")
    assert once is not None and twice is not None
    assert once.state == QUEUED and "re-queued" in once.error
    assert twice.state == FAILED and "stopped unexpectedly" in twice.error
    assert s.ids_in_state(QUEUED) == ["once"]
    s.close()


def test_requeue_after_clean_shutdown_does_not_count_the_attempt(tmp_path: Path) -> None:
    s = JobStore(tmp_path)
    s.insert("a", "", b"")
    s.mark_running("a")
    assert s.requeue("a", "interrupted")
    row = s.get("a")
    assert row is not None and row.state == QUEUED and row.attempts == 0
    s.close()


def test_committed_writes_are_visible_to_another_connection(tmp_path: Path) -> None:
    s = JobStore(tmp_path)
    s.insert("a", "", b"x")
    s.mark_running("a")
    s.finish("a", SUCCEEDED, result=b"r")
    other = sqlite3.connect(tmp_path / JobStore.FILENAME)
    assert other.execute("SELECT state, result FROM jobs").fetchone() == (SUCCEEDED, b"r")
    other.close()
    s.close()
