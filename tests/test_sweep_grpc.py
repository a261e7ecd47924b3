"""SweepService over gRPC: a durable sweep job streaming its points, resuming after a server
restart without re-running finished points (counted simulation by simulation), cancel,
Get/List, errors, and Plan."""

from __future__ import annotations

import time
from pathlib import Path

import grpc
import pytest
from server_helpers import (
    field_violations,
    quota_subjects,
    small_config,
    start_server,
    stub_for,
    wait_until,
)

from gosim.v1 import simulator_pb2, sweep_pb2, sweep_pb2_grpc
from server.limits import Limits
from server.store import QUEUED
from server.sweep.store import SweepStore

SUCCEEDED = simulator_pb2.JOB_STATE_SUCCEEDED
CANCELLED = simulator_pb2.JOB_STATE_CANCELLED


def _stub(target: str) -> tuple[grpc.Channel, sweep_pb2_grpc.SweepServiceStub]:
    ch = grpc.insecure_channel(target)
    return ch, sweep_pb2_grpc.SweepServiceStub(ch)


def _gogc_spec(values: list[int], reps: int = 2, duration_s: float = 0.3
               ) -> sweep_pb2.SweepSpec:
    s = sweep_pb2.SweepSpec(replications=reps, seed=9)
    s.base.CopyFrom(small_config(duration_s=duration_s, rate=150))
    ax = s.axes.add(path="runtime.gogc", name="GOGC")
    for v in values:
        ax.values.values.add(int_value=v)
    return s


def _job(stub: sweep_pb2_grpc.SweepServiceStub, sweep_id: str) -> sweep_pb2.SweepJob:
    return stub.GetSweep(sweep_pb2.GetSweepRequest(id=sweep_id), timeout=5).job


def test_sweep_job_streams_points_and_is_listed(tmp_path: Path) -> None:
    bg = start_server(tmp_path, workers=2)
    ch, stub = _stub(bg.target)
    try:
        job = stub.Sweep(sweep_pb2.SweepRequest(spec=_gogc_spec([50, 100, 200]), label="g"),
                         timeout=10).job
        assert job.id and job.total_points == 3 and job.total_runs == 6 and job.label == "g"
        events = list(stub.WatchSweep(sweep_pb2.WatchSweepRequest(id=job.id), timeout=60))
        kinds = [e.WhichOneof("event") for e in events]
        assert kinds[0] == "job" and kinds[-1] == "job"
        points = [e.point for e in events if e.WhichOneof("event") == "point"]
        assert sorted(p.index for p in points) == [0, 1, 2]  # each point once
        final = events[-1].job
        assert final.state == SUCCEEDED and final.completed_points == 3
        assert final.engine == "local:2" and final.HasField("finish_time")
        got = stub.GetSweep(sweep_pb2.GetSweepRequest(id=job.id, include_points=True),
                            timeout=5)
        assert [p.index for p in got.points] == [0, 1, 2]
        assert got.points[0].coordinates[0].name == "GOGC"
        assert all(len(p.runs) == 2 and p.metrics for p in got.points)
        # A late watcher gets the whole story, or only the job when skipping the replay.
        late = list(stub.WatchSweep(sweep_pb2.WatchSweepRequest(id=job.id), timeout=10))
        assert sum(1 for e in late if e.WhichOneof("event") == "point") == 3
        skip = list(stub.WatchSweep(sweep_pb2.WatchSweepRequest(
            id=job.id, skip_completed_points=True), timeout=10))
        assert all(e.WhichOneof("event") == "job" for e in skip)
        listed = stub.ListSweeps(sweep_pb2.ListSweepsRequest(page_size=10), timeout=5).jobs
        assert [j.id for j in listed] == [job.id]
    finally:
        ch.close()
        bg.stop()


def test_sweep_errors(tmp_path: Path) -> None:
    bg = start_server(tmp_path, workers=1)
    ch, stub = _stub(bg.target)
    try:
        bad = _gogc_spec([50])
        procs = bad.axes.add(path="runtime.gomaxprocs")
        procs.values.values.add(int_value=2)
        procs.values.values.add(int_value=0)
        with pytest.raises(grpc.RpcError) as info:
            stub.Sweep(sweep_pb2.SweepRequest(spec=bad), timeout=10)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        v = field_violations(info.value)
        assert v["spec.axes[1].values.values[1]"].startswith("runtime.gomaxprocs = 0")

        big = _gogc_spec(list(range(20_000)))
        with pytest.raises(grpc.RpcError) as info:
            stub.Sweep(sweep_pb2.SweepRequest(spec=big), timeout=10)
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert quota_subjects(info.value) == ["max_sweep_points"]

        long = _gogc_spec([50], duration_s=10 * 24 * 3600)
        with pytest.raises(grpc.RpcError) as info:
            stub.Sweep(sweep_pb2.SweepRequest(spec=long), timeout=10)
        assert quota_subjects(info.value) == ["max_duration_ns"]

        for call in (lambda: stub.GetSweep(sweep_pb2.GetSweepRequest(id="nope"), timeout=5),
                     lambda: stub.CancelSweep(sweep_pb2.CancelSweepRequest(id="nope"),
                                              timeout=5)):
            with pytest.raises(grpc.RpcError) as info:
                call()
            assert info.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        ch.close()
        bg.stop()


def _count(path: Path) -> list[tuple[int, int]]:
    if not path.exists():
        return []
    return [(int(a), int(b)) for a, b in (ln.split() for ln in path.read_text().splitlines())]


def test_restart_resumes_without_redoing_finished_points(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    counts = tmp_path / "count.txt"
    monkeypatch.setenv("GOSIM_SIMCOUNT_FILE", str(counts))  # inherited by the pool workers
    monkeypatch.setenv("GOSIM_SIMCOUNT_SLEEP_S", "0.2")
    data = tmp_path / "data"
    gogcs = [25, 50, 75, 100, 150, 200, 300, 400]
    spec = _gogc_spec(gogcs, reps=2, duration_s=0.2)
    a = start_server(data, workers=1, target="countsim:simulate")
    ch, stub = _stub(a.target)
    try:
        job = stub.Sweep(sweep_pb2.SweepRequest(spec=spec), timeout=10).job
        wait_until(lambda: _job(stub, job.id).completed_points >= 2, timeout=60, every=0.05)
    finally:
        ch.close()
        a.stop(grace=0.2)
    store = SweepStore(data)
    row = store.get(job.id)
    before = store.point_indices(job.id)
    store.close()
    assert row is not None and row.state == QUEUED and "shutdown" in row.error
    assert 2 <= len(before) < len(gogcs)
    seeds = {r.seed for r in _first_point_runs(data, job.id)}
    done_before = {(gogcs[i], s) for i in before for s in seeds}
    n_before = len(_count(counts))

    b = start_server(data, workers=1, target="countsim:simulate")
    ch, stub = _stub(b.target)
    try:
        wait_until(lambda: _job(stub, job.id).state == SUCCEEDED, timeout=90, every=0.1)
        final = stub.GetSweep(sweep_pb2.GetSweepRequest(id=job.id, include_points=True),
                              timeout=5)
    finally:
        ch.close()
        b.stop()
    assert final.job.resumes == 1 and final.job.completed_points == len(gogcs)
    assert [p.index for p in final.points] == list(range(len(gogcs)))
    after = _count(counts)[n_before:]
    # Not one simulation of a point finished before the restart was run again...
    assert not done_before & set(after)
    # ...and exactly the missing points' runs were simulated after it.
    assert len(after) == (len(gogcs) - len(before)) * 2
    assert {g for g, _ in after} == {gogcs[i] for i in range(len(gogcs)) if i not in before}


def _first_point_runs(data: Path, sweep_id: str) -> list[sweep_pb2.Run]:
    store = SweepStore(data)
    try:
        return list(sweep_pb2.SweepPoint.FromString(store.points(sweep_id)[0]).runs)
    finally:
        store.close()


def test_cancel_stops_a_running_sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counts = tmp_path / "count.txt"
    monkeypatch.setenv("GOSIM_SIMCOUNT_FILE", str(counts))
    monkeypatch.setenv("GOSIM_SIMCOUNT_SLEEP_S", "0.2")
    bg = start_server(tmp_path / "data", workers=1, target="countsim:simulate")
    ch, stub = _stub(bg.target)
    try:
        job = stub.Sweep(sweep_pb2.SweepRequest(spec=_gogc_spec(list(range(20, 420, 10)),
                                                                reps=2, duration_s=0.2)),
                         timeout=10).job
        wait_until(lambda: _job(stub, job.id).completed_points >= 1, timeout=60, every=0.05)
        t0 = time.monotonic()
        cancelled = stub.CancelSweep(sweep_pb2.CancelSweepRequest(id=job.id), timeout=5).job
        assert cancelled.state == CANCELLED and "cancelled" in cancelled.error
        events = list(stub.WatchSweep(sweep_pb2.WatchSweepRequest(id=job.id), timeout=10))
        assert events[-1].job.state == CANCELLED
        assert time.monotonic() - t0 < 5
        time.sleep(1.5)  # at most the batch that was running finishes
        n = len(_count(counts))
        time.sleep(1.0)
        assert len(_count(counts)) == n  # nothing more is simulated
        assert n < 80
        again = stub.CancelSweep(sweep_pb2.CancelSweepRequest(id=job.id), timeout=5).job
        assert again.state == CANCELLED
    finally:
        ch.close()
        bg.stop()


def test_plan_streams_steps_and_answers(tmp_path: Path) -> None:
    bg = start_server(tmp_path, workers=2, target="plansim:simulate")
    ch, stub = _stub(bg.target)
    try:
        base = small_config(duration_s=1.0, rate=100, gomaxprocs=1)
        req = sweep_pb2.PlanRequest(base=base, replications=2)
        req.max_rate.slo.max_latency_p99_ns = 10_000_000
        msgs = list(stub.Plan(req, timeout=120))
        steps = [m.step for m in msgs if m.WhichOneof("event") == "step"]
        assert msgs[-1].WhichOneof("event") == "answer" and len(steps) >= 5
        ans = msgs[-1].answer
        assert ans.found and 855 <= ans.bracket_pass <= 900
        assert len(ans.evaluated) == len(steps)

        bad = sweep_pb2.PlanRequest(base=base)
        bad.min_gc_cpu.memory_budget_bytes = -1
        with pytest.raises(grpc.RpcError) as info:
            list(stub.Plan(bad, timeout=30))
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "min_gc_cpu.memory_budget_bytes" in field_violations(info.value)

        # A rate above the server's limits counts as failing, with the reason.
        huge = sweep_pb2.PlanRequest(base=small_config(duration_s=1.0, rate=1e7), replications=1)
        huge.max_rate.slo.max_latency_p99_ns = 10_000_000
        huge.max_rate.max_rate_per_s = 1e9
        ans = [m for m in stub.Plan(huge, timeout=60)][-1].answer
        assert "above the server limit" in ans.evaluated[0].reason
    finally:
        ch.close()
        bg.stop()


def test_sweep_limits_are_the_servers_and_reported(tmp_path: Path) -> None:
    """max_sweep_points / max_sweep_runs come from the server's Limits (gosim serve's
    --max-sweep-* flags) and GetModelInfo reports them."""
    bg = start_server(tmp_path, limits=Limits(workers=1, max_sweep_points=3, max_sweep_runs=4))
    ch, stub = _stub(bg.target)
    sim_ch, sim = stub_for(bg.target)
    try:
        info = sim.GetModelInfo(simulator_pb2.GetModelInfoRequest(), timeout=5)
        assert (info.limits.max_sweep_points, info.limits.max_sweep_runs) == (3, 4)
        with pytest.raises(grpc.RpcError) as err:
            stub.Sweep(sweep_pb2.SweepRequest(spec=_gogc_spec([50, 100, 150, 200])), timeout=10)
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert quota_subjects(err.value) == ["max_sweep_points"]
        two = _gogc_spec([50, 100])
        two.replications = 3  # 6 simulations > 4
        with pytest.raises(grpc.RpcError) as err:
            stub.Sweep(sweep_pb2.SweepRequest(spec=two), timeout=10)
        assert quota_subjects(err.value) == ["max_sweep_runs"]
    finally:
        ch.close()
        sim_ch.close()
        bg.stop()
