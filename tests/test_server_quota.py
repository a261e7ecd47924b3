"""Server limits over gRPC: RESOURCE_EXHAUSTED naming the limit (google.rpc.QuotaFailure)."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from server_helpers import (
    REAL,
    long_config,
    quota_subjects,
    small_config,
    start_server,
    stub_for,
    wait_job,
    wait_until,
)

from gosim.v1 import config_pb2
from gosim.v1 import simulator_pb2 as pb
from gosim.v1.simulator_pb2_grpc import SimulatorServiceStub
from server.app import BackgroundServer
from server.limits import Limits

LIMITS = Limits(max_duration_ns=3600 * 10**9, max_gomaxprocs=4, max_expected_requests=10_000_000,
                max_goroutines=50_000, max_concurrent_jobs=2, max_message_bytes=64 * 1024,
                max_series_samples=2000, max_wall_time_ns=1_500_000_000, workers=1)


@pytest.fixture(scope="module")
def bg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    server = start_server(tmp_path_factory.mktemp("data"), target=REAL, limits=LIMITS)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stub(bg: BackgroundServer) -> Iterator[SimulatorServiceStub]:
    ch, s = stub_for(bg.target)
    yield s
    ch.close()


def exhausted(stub: SimulatorServiceStub, cfg: config_pb2.SimConfig) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as e:
        stub.Simulate(pb.SimulateRequest(config=cfg), timeout=30)
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, e.value.details()
    return e.value


def test_limits_are_reported(stub: SimulatorServiceStub) -> None:
    lim = stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=5).limits
    assert lim.max_gomaxprocs == 4 and lim.max_concurrent_jobs == 2
    assert lim.max_message_bytes == 64 * 1024 and lim.max_wall_time_ns == 1_500_000_000


@pytest.mark.parametrize(("name", "edit"), [
    ("max_duration_ns", lambda c: setattr(c, "duration_ns", 3601 * 10**9)),
    ("max_gomaxprocs", lambda c: setattr(c.runtime, "gomaxprocs", 5)),
    ("max_expected_requests", lambda c: setattr(c.workload.open_loop, "rate_per_s", 2e7)),
    ("max_goroutines", lambda c: setattr(c.workload, "idle_goroutines", 60_000)),
    ("max_series_samples", lambda c: setattr(c, "sample_interval_ns", 100_000)),
    ("max_trace_spans", lambda c: (setattr(c, "trace_duration_ns", 10**8),
                                   setattr(c, "trace_max_spans", 10**7))),
])
def test_over_a_limit(stub: SimulatorServiceStub, name: str, edit: object) -> None:
    cfg = small_config()
    edit(cfg)  # type: ignore[operator]
    err = exhausted(stub, cfg)
    assert quota_subjects(err) == [name]
    assert name in (err.details() or "")


def test_message_too_large(stub: SimulatorServiceStub) -> None:
    cfg = small_config()
    d = cfg.workload.request.steps[0].compute.duration_ns
    d.Clear()
    d.kind = config_pb2.DIST_KIND_EMPIRICAL
    d.values.extend(range(20_000))  # ~160 KB > 64 KiB
    exhausted(stub, cfg)
    assert stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=5).limits


def test_wall_time_limit(stub: SimulatorServiceStub) -> None:
    err = exhausted(stub, long_config())
    assert quota_subjects(err) == ["max_wall_time_ns"]


def test_max_concurrent_jobs(bg: BackgroundServer, stub: SimulatorServiceStub) -> None:
    # Two admitted simulations (one running on the only worker, one queued) fill the limit.
    a = stub.SubmitJob(pb.SubmitJobRequest(config=small_config(60, 1000)), timeout=5).job
    b = stub.SubmitJob(pb.SubmitJobRequest(config=small_config(60, 1000)), timeout=5).job
    try:
        with pytest.raises(grpc.RpcError) as e:
            stub.SubmitJob(pb.SubmitJobRequest(config=small_config()), timeout=5)
        assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert quota_subjects(e.value) == ["max_concurrent_jobs"]
        err = exhausted(stub, small_config())
        assert quota_subjects(err) == ["max_concurrent_jobs"]
        queued = stub.GetJob(pb.GetJobRequest(id=b.id), timeout=5).job
        assert queued.state == pb.JOB_STATE_QUEUED
    finally:
        stub.CancelJob(pb.CancelJobRequest(id=b.id), timeout=5)
        stub.CancelJob(pb.CancelJobRequest(id=a.id), timeout=5)
    assert bg.server is not None and bg.server._executor is not None
    ex = bg.server._executor
    wait_until(lambda: ex.busy() == 0, 3)
    job = stub.SubmitJob(pb.SubmitJobRequest(config=small_config()), timeout=5).job
    wait_job(stub, job.id, (pb.JOB_STATE_SUCCEEDED,))


def test_list_pages_stay_under_the_message_limit(stub: SimulatorServiceStub) -> None:
    """Pages are cut short (with a next_page_token) to stay under half the message limit."""
    ids = []
    for _ in range(5):
        cfg = small_config(0.2, 50)
        d = cfg.workload.request.steps[0].compute.duration_ns
        d.Clear()
        d.kind = config_pb2.DIST_KIND_EMPIRICAL
        d.values.extend(float(v) for v in range(1000, 2200))  # ~10 KB of config
        job = stub.SubmitJob(pb.SubmitJobRequest(config=cfg, label="big"), timeout=5).job
        wait_job(stub, job.id, (pb.JOB_STATE_SUCCEEDED,))
        ids.append(job.id)
    first = stub.ListJobs(pb.ListJobsRequest(page_size=10), timeout=5)
    assert 1 <= len(first.jobs) < 5 and first.next_page_token
    assert first.ByteSize() < 64 * 1024
    seen = [j.id for j in first.jobs]
    token = first.next_page_token
    while token:
        page = stub.ListJobs(pb.ListJobsRequest(page_size=10, page_token=token), timeout=5)
        seen += [j.id for j in page.jobs]
        token = page.next_page_token
    assert set(ids) <= set(seen) and len(seen) == len(set(seen))
