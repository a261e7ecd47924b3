"""Go's TestIdleMarkWorkerCount (src/runtime/mgcpacer_test.go; pacer-scenarios.md §5)."""

from __future__ import annotations

import pytest

from simcore.pacer import MAX_INT64, GCController, MarkWorkerMode

WORKERS = 10


def test_idle_mark_worker_count() -> None:
    c = GCController(100, MAX_INT64)
    c.set_max_idle_mark_workers(WORKERS)
    for i in range(WORKERS):
        assert c.need_idle_mark_worker(), f"expected to need idle mark workers: i={i}"
        assert c.add_idle_mark_worker(), f"expected to be able to add an idle mark worker: i={i}"
    assert not c.need_idle_mark_worker(), "expected to not need idle mark workers"
    assert not c.add_idle_mark_worker(), "expected to not be able to add an idle mark worker"
    for i in range(WORKERS):
        c.remove_idle_mark_worker()
        assert c.need_idle_mark_worker(), f"expected to need idle mark workers after removal: {i}"
    for i in range(WORKERS - 1):
        assert c.add_idle_mark_worker(), f"expected to add idle mark workers again: i={i}"
    for i in range(10):
        assert c.add_idle_mark_worker(), f"expected to add idle mark workers interleaved: i={i}"
        assert not c.add_idle_mark_worker(), f"expected not to add interleaved: i={i}"
        c.remove_idle_mark_worker()
    # Support the max being below the count.
    c.set_max_idle_mark_workers(0)
    assert not c.need_idle_mark_worker(), "expected to not need idle mark workers at capacity 0"
    assert not c.add_idle_mark_worker(), "expected to not be able to add at capacity 0"
    for _ in range(WORKERS - 1):
        c.remove_idle_mark_worker()
    assert not c.need_idle_mark_worker(), "expected to not need idle mark workers at capacity 0"
    assert not c.add_idle_mark_worker(), "expected to not be able to add at capacity 0"
    c.set_max_idle_mark_workers(1)
    assert c.need_idle_mark_worker(), "expected to need idle mark workers at capacity 1"
    assert c.add_idle_mark_worker(), "expected to be able to add idle mark workers at capacity 1"


def test_counter_state_follows_the_rule() -> None:
    """Add succeeds iff n < max (then n += 1); the count may exceed a lowered max."""
    c = GCController(100, MAX_INT64)
    c.set_max_idle_mark_workers(3)
    assert [c.add_idle_mark_worker() for _ in range(5)] == [True, True, True, False, False]
    assert c.idle_mark_workers_running == 3
    c.set_max_idle_mark_workers(1)
    assert c.idle_mark_workers_running == 3 and c.idle_mark_workers_max == 1
    c.remove_idle_mark_worker()
    c.remove_idle_mark_worker()
    assert not c.need_idle_mark_worker()
    c.remove_idle_mark_worker()
    assert c.need_idle_mark_worker()


def test_remove_below_zero_throws() -> None:
    c = GCController(100, MAX_INT64)
    c.set_max_idle_mark_workers(2)
    with pytest.raises(RuntimeError, match="negative idle mark workers"):
        c.remove_idle_mark_worker()
    assert c.idle_mark_workers_running == 0


def test_idle_worker_stop_releases_its_slot_and_charges_time() -> None:
    c = GCController(100, MAX_INT64)
    c.set_max_idle_mark_workers(1)
    assert c.add_idle_mark_worker()
    assert not c.need_idle_mark_worker()
    c.mark_worker_stop(MarkWorkerMode.IDLE, 1234)
    assert c.need_idle_mark_worker()
    assert c.idle_mark_time_ns == 1234
    c.dedicated_mark_workers_needed = 0
    c.mark_worker_stop(MarkWorkerMode.DEDICATED, 50)
    assert c.dedicated_mark_workers_needed == 1 and c.dedicated_mark_time_ns == 50
    c.mark_worker_stop(MarkWorkerMode.FRACTIONAL, 7)
    assert c.fractional_mark_time_ns == 7
