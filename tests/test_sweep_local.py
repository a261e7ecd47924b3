"""Sweeps in process: the local process pool end to end, batching, failures, cancellation."""

from __future__ import annotations

import threading

import pytest
from server_helpers import small_config

from gosim.v1 import sweep_pb2
from server.sweep import engine as enginemod
from server.sweep import spec as specmod
from server.sweep.runner import SweepCancelled, SweepRunner


def _spec(reps: int = 2) -> sweep_pb2.SweepSpec:
    s = sweep_pb2.SweepSpec(replications=reps, seed=5)
    s.base.CopyFrom(small_config(duration_s=0.5, rate=300))
    ax = s.axes.add(path="runtime.gogc")
    for v in (50, 200):
        ax.values.values.add(int_value=v)
    ax.values.values.add(string_value="off")
    return s


def test_local_pool_sweep_end_to_end() -> None:
    from clients.sweep_client import run_sweep_local

    spec = _spec()
    seen: list[int] = []
    with enginemod.local_engine(2) as eng:
        assert eng.name == "local:2" and eng.slots == 2
        points, st = run_sweep_local(spec, eng, on_point=lambda p: seen.append(p.index))
    assert sorted(seen) == [0, 1, 2] and [p.index for p in points] == [0, 1, 2]
    assert st.runs == 6 and st.failed_runs == 0
    exp = specmod.expand(spec)
    for p in points:
        assert [r.seed for r in p.runs] == list(exp.seeds) and p.failed_runs == 0
        m = {x.name: x for x in p.metrics}
        assert m["latency_p99_ns"].count == 2 and m["latency_p99_ns"].HasField("ci_low")
        assert m["latency_p99_ns"].ci_low <= m["latency_p99_ns"].mean <= \
            m["latency_p99_ns"].ci_high
        assert m["throughput_per_s"].mean > 200
        assert all(r.summary.requests_completed > 0 and r.wall_ns > 0 for r in p.runs)
    cycles = [{x.name: x for x in p.metrics}["cycles_total"].mean for p in points]
    assert cycles[0] > cycles[1] > cycles[2] == 0  # GOGC 50 > 200 > off
    # The same sweep on threads gives identical figures: runs are deterministic.
    with enginemod.thread_engine(2) as eng:
        again, _ = run_sweep_local(spec, eng)
    assert [p.metrics for p in again] == [p.metrics for p in points]


def test_batching_packs_small_runs_but_keeps_every_slot_busy() -> None:
    exp = specmod.expand(_spec(reps=4))  # 12 small runs
    eng = enginemod.thread_engine(2)
    try:
        batches = SweepRunner(eng).batches(exp.points, exp.seeds)
        assert sum(len(b) for b in batches) == 12
        assert len(batches) >= 2 * 2  # at least a couple of batches per slot
        assert max(len(b) for b in batches) > 1  # small runs share a task
        items = [(i[0], i[1]) for b in batches for i in b]
        assert items == sorted(items)  # in point order: early points finish first
        assert [len(b) for b in SweepRunner(eng, batch_size=5).batches(exp.points,
                                                                        exp.seeds)] == [5, 5, 2]
        assert SweepRunner(eng, target_batch_events=1).batches(exp.points, exp.seeds) == \
            [[i] for b in batches for i in b]  # big runs: one per task
    finally:
        eng.close()


def test_a_failing_run_is_recorded_not_fatal() -> None:
    s = _spec(reps=2)
    s.base.workload.name = "fake:raise"
    exp = specmod.expand(s)
    with enginemod.thread_engine(1) as eng:
        pts: list[sweep_pb2.SweepPoint] = []
        st = SweepRunner(eng, target="fakesim:simulate").run(exp.points, exp.seeds, pts.append)
    assert st.failed_runs == 6 and len(pts) == 3
    assert all(p.failed_runs == 2 and "fake model failed" in p.runs[0].error for p in pts)
    assert all(m.count == 0 for m in pts[0].metrics)


def test_cancel_stops_the_runner() -> None:
    s = _spec(reps=1)
    s.base.duration_ns = 2_000_000_000
    exp = specmod.expand(s)
    cancel = threading.Event()
    done: list[int] = []

    def on_point(p: sweep_pb2.SweepPoint) -> None:
        done.append(p.index)
        cancel.set()

    with enginemod.thread_engine(1) as eng, pytest.raises(SweepCancelled):
        SweepRunner(eng, target="fakesim:simulate", batch_size=1).run(
            exp.points, exp.seeds, on_point, cancel)
    assert len(done) < 3


def test_engine_for_picks_dask_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(enginemod.ENV_SCHEDULER, "tcp://127.0.0.1:1")
    assert enginemod.scheduler_address(None) == "tcp://127.0.0.1:1"
    assert enginemod.scheduler_address("tcp://h:8786") == "tcp://h:8786"
    with pytest.raises(enginemod.EngineError, match="cannot connect"):
        enginemod.dask_engine("tcp://127.0.0.1:1", timeout_s=1)
    monkeypatch.delenv(enginemod.ENV_SCHEDULER)
    assert enginemod.scheduler_address(None) is None
