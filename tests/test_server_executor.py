"""server/executor.py: worker processes, cancellation (cooperative and by kill), crashes, the
wall-clock limit — driven with the fake model (tests/fakesim.py) for fault injection."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from server_helpers import FAKE, wait_until

import simcore
from server.executor import Executor


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.terminal = threading.Event()

    def __call__(self, kind: str, payload: Any) -> None:
        self.events.append((kind, payload))
        if kind in ("done", "cancelled", "invalid", "limit", "failed"):
            self.terminal.set()

    def kinds(self) -> list[str]:
        return [k for k, _ in self.events]

    def last(self) -> tuple[str, Any]:
        return self.events[-1]


@pytest.fixture(scope="module")
def ex() -> Iterator[Executor]:
    e = Executor(1, FAKE, kill_after_s=0.5)
    e.start()
    yield e
    e.shutdown()


def cfg(seconds: float = 1.0, name: str = "") -> simcore.SimConfig:
    return simcore.SimConfig(duration_ns=int(seconds * 1e9), workload=simcore.Workload(name=name))


def run(ex: Executor, c: simcore.SimConfig, timeout: float = 30, **kw: Any) -> Recorder:
    r = Recorder()
    ex.submit(c, r, **kw)
    assert r.terminal.wait(timeout), r.kinds()
    return r


def test_runs_and_reports(ex: Executor) -> None:
    r = run(ex, cfg(1.0), want_cycles=True)
    kinds = r.kinds()
    assert kinds[0] == "started" and kinds[-1] == "done"
    assert kinds.count("cycle") == 4  # the fake's cycle every 250 ms
    assert "progress" in kinds
    assert kinds.count("done") == 1


def test_cooperative_cancel_is_prompt_and_frees_the_worker(ex: Executor) -> None:
    r = Recorder()
    task = ex.submit(cfg(3600), r)
    wait_until(lambda: "started" in r.kinds())
    time.sleep(0.3)
    t0 = time.monotonic()
    task.cancel("test")
    assert r.terminal.wait(2)
    assert time.monotonic() - t0 < 1.0
    assert r.last() == ("cancelled", "test")
    wait_until(lambda: ex.busy() == 0, 1.0)
    assert run(ex, cfg(0.2)).last()[0] == "done"


def test_a_stuck_model_is_killed_and_the_worker_replaced(ex: Executor) -> None:
    r = Recorder()
    task = ex.submit(cfg(1, "fake:hang"), r)
    wait_until(lambda: "started" in r.kinds())
    t0 = time.monotonic()
    task.cancel("stop")
    assert r.terminal.wait(3)
    assert time.monotonic() - t0 < 1.5
    assert r.last() == ("cancelled", "stop")
    assert run(ex, cfg(0.2)).last()[0] == "done"


def test_a_crashing_worker_fails_the_task_and_is_replaced(ex: Executor) -> None:
    kind, text = run(ex, cfg(1, "fake:crash")).last()
    assert kind == "failed" and "died" in text
    assert run(ex, cfg(0.2)).last()[0] == "done"


def test_a_model_exception_fails_the_task(ex: Executor) -> None:
    kind, text = run(ex, cfg(1, "fake:raise")).last()
    assert kind == "failed" and "the fake model failed" in text


def test_an_invalid_config_is_reported(ex: Executor) -> None:
    bad = cfg(1).replace(runtime=simcore.RuntimeConfig(gomaxprocs=0))
    kind, violations = run(ex, bad).last()
    assert kind == "invalid" and violations[0][0] == "runtime.gomaxprocs"


def test_cancel_while_queued_is_immediate(ex: Executor) -> None:
    first, second = Recorder(), Recorder()
    t1 = ex.submit(cfg(3600), first)
    t2 = ex.submit(cfg(1), second)
    t2.cancel("never mind")
    assert second.terminal.wait(0.5)
    assert second.kinds() == ["cancelled"]
    t1.cancel()
    assert first.terminal.wait(3)


def test_wall_time_limit() -> None:
    e = Executor(1, FAKE, max_wall_time_ns=500_000_000, kill_after_s=0.5)
    e.start()
    try:
        kind, payload = run(e, cfg(3600), timeout=10).last()
        assert kind == "limit" and payload[0] == "max_wall_time_ns"
    finally:
        e.shutdown()


def test_shutdown_cancels_everything() -> None:
    e = Executor(1, FAKE)
    e.start()
    a, b = Recorder(), Recorder()
    e.submit(cfg(3600), a)
    e.submit(cfg(3600), b)
    wait_until(lambda: "started" in a.kinds())
    e.shutdown()
    assert a.terminal.is_set() and b.terminal.is_set()
    assert a.last()[0] == "cancelled" and b.last()[0] == "cancelled"
    late = Recorder()
    e.submit(cfg(1), late)
    assert late.last()[0] == "cancelled"


def test_worker_memory_limit() -> None:
    e = Executor(1, FAKE, memory_limit_bytes=400 << 20)
    e.start()
    try:
        kind, text = run(e, cfg(1, "fake:hog")).last()
        assert kind == "failed" and "out of memory" in text
        assert run(e, cfg(0.2)).last()[0] == "done"
    finally:
        e.shutdown()
