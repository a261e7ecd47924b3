"""A sweep on a real dask.distributed LocalCluster, through the same runner as the local pool."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from server_helpers import small_config, start_server, wait_until

from gosim.v1 import simulator_pb2, sweep_pb2, sweep_pb2_grpc
from server.sweep import engine as enginemod

distributed = pytest.importorskip("distributed")


@pytest.fixture
def cluster() -> Iterator[object]:
    c = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                 protocol="tcp", host="127.0.0.1", dashboard_address=None)
    try:
        yield c
    finally:
        c.close()


def test_sweep_on_a_dask_local_cluster(cluster: object,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from clients.sweep_client import run_sweep_local

    address = cluster.scheduler_address  # type: ignore[attr-defined]
    assert address.startswith("tcp://")
    spec = sweep_pb2.SweepSpec(replications=2, seed=3)
    spec.base.CopyFrom(small_config(duration_s=0.3, rate=200))
    ax = spec.axes.add(path="runtime.gomaxprocs")
    for v in (1, 2):
        ax.values.values.add(int_value=v)
    monkeypatch.setenv(enginemod.ENV_SCHEDULER, address)  # the way `gosim` finds a cluster
    eng = enginemod.engine_for(None, None)
    try:
        assert eng.name == f"dask:{address}" and eng.slots == 2
        points, st = run_sweep_local(spec, eng, batch_size=1)
    finally:
        eng.close()
    assert st.runs == 4 and st.failed_runs == 0 and st.batches == 4
    assert [p.index for p in points] == [0, 1]
    assert all(len(p.runs) == 2 and p.failed_runs == 0 for p in points)
    # The same points as on threads (deterministic runs, same seeds).
    with enginemod.thread_engine(1) as local:
        again, _ = run_sweep_local(spec, local)
    assert [p.metrics for p in again] == [p.metrics for p in points]


def test_server_started_with_cluster_runs_sweeps_on_it(cluster: object, tmp_path: Path) -> None:
    """`gosim serve --cluster ADDR` (ServerOptions.cluster): the Sweep RPC runs on Dask."""

    address = cluster.scheduler_address  # type: ignore[attr-defined]
    bg = start_server(tmp_path, workers=1, cluster=address)
    ch = grpc.insecure_channel(bg.target)
    stub = sweep_pb2_grpc.SweepServiceStub(ch)
    try:
        spec = sweep_pb2.SweepSpec(replications=1, seed=5)
        spec.base.CopyFrom(small_config(duration_s=0.2, rate=150))
        ax = spec.axes.add(path="runtime.gogc")
        for v in (50, 100):
            ax.values.values.add(int_value=v)
        job = stub.Sweep(sweep_pb2.SweepRequest(spec=spec), timeout=10).job

        seen: list[sweep_pb2.SweepJob] = []

        def done() -> bool:
            seen.append(stub.GetSweep(sweep_pb2.GetSweepRequest(id=job.id), timeout=5).job)
            return seen[-1].state == simulator_pb2.JOB_STATE_SUCCEEDED

        wait_until(done, timeout=60)
        assert seen[-1].engine == f"dask:{address}" and seen[-1].completed_points == 2
    finally:
        ch.close()
        bg.stop()
