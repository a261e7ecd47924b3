"""Every RPC of gosim.v1.SimulatorService against an in-process server on port 0, running the
real engine (simcore.simulate) in 2 worker processes."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from server_helpers import (
    REAL,
    field_violations,
    long_config,
    small_config,
    start_server,
    stub_for,
    wait_job,
    wait_until,
)

import simcore
from gosim.v1 import config_pb2, simulator_pb2
from gosim.v1 import simulator_pb2 as pb
from gosim.v1.simulator_pb2_grpc import SimulatorServiceStub
from server import convert
from server.app import BackgroundServer
from server.executor import Executor


@pytest.fixture(scope="module")
def bg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    server = start_server(tmp_path_factory.mktemp("data"), target=REAL, workers=2)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stub(bg: BackgroundServer) -> Iterator[SimulatorServiceStub]:
    ch, s = stub_for(bg.target)
    yield s
    ch.close()


@pytest.fixture()
def executor(bg: BackgroundServer) -> Executor:
    assert bg.server is not None and bg.server._executor is not None
    ex = bg.server._executor
    wait_until(lambda: ex.busy() == 0 and ex.queued() == 0, 5)  # every test starts idle
    return ex


# --- model info, health, reflection ---------------------------------------------------------


def test_get_model_info(stub: SimulatorServiceStub) -> None:
    info = stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=5)
    assert info.gosim_version == simcore.GOSIM_VERSION
    assert info.go_version == simcore.GO_VERSION
    assert info.default_cost_model == convert.cost_model_to_proto(simcore.CostModel())
    assert info.default_config.runtime.gomaxprocs == simcore.RuntimeConfig().gomaxprocs
    assert info.limits.workers == 2
    assert info.limits.max_duration_ns > 0 and info.limits.max_message_bytes > 0


def test_health_serving(bg: BackgroundServer) -> None:
    with grpc.insecure_channel(bg.target) as ch:
        h = health_pb2_grpc.HealthStub(ch)
        for service in ("", "gosim.v1.SimulatorService"):
            r = h.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert r.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_services(bg: BackgroundServer) -> None:
    with grpc.insecure_channel(bg.target) as ch:
        db = ProtoReflectionDescriptorDatabase(ch)
        services = set(db.get_services())
        assert {"gosim.v1.SimulatorService", "grpc.health.v1.Health"} <= services
        fd = db.FindFileContainingSymbol("gosim.v1.SimulatorService")
        assert fd.package == "gosim.v1"


# --- Simulate and StreamSimulate --------------------------------------------------------------


def test_simulate(stub: SimulatorServiceStub) -> None:
    r = stub.Simulate(pb.SimulateRequest(config=small_config()), timeout=60).result
    assert r.summary.simulated_ns == 10**9
    assert r.summary.requests_completed > 100
    assert r.seed == 7 and r.go_version == simcore.GO_VERSION
    assert len(r.latency.boundaries_seconds) == len(r.latency.counts) + 1
    assert len(r.series.t_ns) == len(r.series.heap_alloc_bytes) > 0
    # The same config and seed give the same result.
    again = stub.Simulate(pb.SimulateRequest(config=small_config()), timeout=60).result
    assert again == r


def test_stream_simulate_order(stub: SimulatorServiceStub) -> None:
    msgs = list(stub.StreamSimulate(pb.StreamSimulateRequest(config=small_config(2, 500)),
                                    timeout=60))
    kinds = [m.WhichOneof("event") for m in msgs]
    assert kinds[0] == "progress"
    assert kinds[-1] == "result" and kinds.count("result") == 1
    result = msgs[-1].result
    cycles = [m.cycle for m in msgs if m.HasField("cycle")]
    assert len(cycles) == len(result.cycles) > 0
    assert list(cycles) == list(result.cycles)  # every cycle, in order, as it completed
    progress = [m.progress for m in msgs if m.HasField("progress")]
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(p.duration_ns == 2 * 10**9 for p in progress)
    assert progress[-1].cycles == len(result.cycles)


def test_stream_progress_rate_and_eta(stub: SimulatorServiceStub) -> None:
    """A run of a few seconds: progress at most ~10/s of wall time, with an ETA."""
    start = time.monotonic()
    progress = []
    for m in stub.StreamSimulate(pb.StreamSimulateRequest(config=small_config(20, 2000)),
                                 timeout=120):
        if m.HasField("progress"):
            progress.append((time.monotonic(), m.progress))
    wall = time.monotonic() - start
    assert len(progress) <= 12 * wall + 3
    middle = [p for _, p in progress if 0 < p.fraction < 1]
    assert middle, "expected progress messages while the run was under way"
    assert all(p.HasField("eta_ns") and p.eta_ns >= 0 and p.elapsed_ns > 0 for p in middle)


# --- validation -------------------------------------------------------------------------------


def _bad(stub: SimulatorServiceStub, cfg: config_pb2.SimConfig) -> dict[str, str]:
    with pytest.raises(grpc.RpcError) as e:
        stub.Simulate(pb.SimulateRequest(config=cfg), timeout=10)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    return field_violations(e.value)


def test_validation_zero_ps(stub: SimulatorServiceStub) -> None:
    cfg = small_config()
    cfg.runtime.gomaxprocs = 0
    v = _bad(stub, cfg)
    assert "must be >= 1" in v["config.runtime.gomaxprocs"]


def test_validation_negative_rate_and_nan(stub: SimulatorServiceStub) -> None:
    cfg = small_config()
    cfg.workload.open_loop.rate_per_s = -5
    cfg.workload.request.steps[1].allocate.scannable_fraction = math.nan
    v = _bad(stub, cfg)
    assert "must be >= 0" in v["config.workload.open_loop.rate_per_s"]
    assert "finite" in v["config.workload.request.steps[1].allocate.scannable_fraction"]


def test_validation_unknown_enum_values(stub: SimulatorServiceStub) -> None:
    cfg = small_config()
    cfg.workload.request.steps[0].compute.duration_ns.kind = 77
    cfg.workload.open_loop.process = 9
    v = _bad(stub, cfg)
    assert "unknown enum value 77" in v["config.workload.request.steps[0].compute.duration_ns.kind"]
    assert "unknown enum value 9" in v["config.workload.open_loop.process"]


def test_validation_impossible_distributions(stub: SimulatorServiceStub) -> None:
    cfg = small_config()
    d = cfg.workload.request.steps[0].compute.duration_ns
    d.Clear()
    d.kind = config_pb2.DIST_KIND_UNIFORM
    d.low, d.high = 10, 5
    io = cfg.workload.request.steps[2].io_wait.duration_ns
    io.Clear()
    io.kind = config_pb2.DIST_KIND_LOGNORMAL
    io.median, io.sigma = 1000, 9
    e = cfg.workload.request.steps.add().compute.duration_ns
    e.kind = config_pb2.DIST_KIND_EMPIRICAL
    e.values.extend([1, 2])
    e.weights.extend([1])
    v = _bad(stub, cfg)
    assert "must be >= low" in v["config.workload.request.steps[0].compute.duration_ns.high"]
    assert "<= 5" in v["config.workload.request.steps[2].io_wait.duration_ns.sigma"]
    assert "2 entries" in v["config.workload.request.steps[3].compute.duration_ns.weights"]


def test_validation_gomemlimit_unset_step_and_missing_fields(stub: SimulatorServiceStub) -> None:
    cfg = small_config()
    cfg.runtime.gomemlimit_bytes = -1
    cfg.runtime.gogc = -7
    cfg.workload.request.steps.add()  # no kind
    cfg.workload.request.steps.add().compute.SetInParent()  # no distribution
    v = _bad(stub, cfg)
    assert "must be >= 0" in v["config.runtime.gomemlimit_bytes"]
    assert "-1 for off" in v["config.runtime.gogc"]
    assert "exactly one of" in v["config.workload.request.steps[3]"]
    assert v["config.workload.request.steps[4].compute.duration_ns"] == "must be set"


def test_validation_applies_to_every_rpc_taking_a_config(stub: SimulatorServiceStub) -> None:
    cfg = small_config()
    cfg.duration_ns = 0
    with pytest.raises(grpc.RpcError) as e:
        stub.SubmitJob(pb.SubmitJobRequest(config=cfg), timeout=10)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "config.duration_ns" in field_violations(e.value)
    with pytest.raises(grpc.RpcError) as e:
        list(stub.StreamSimulate(pb.StreamSimulateRequest(config=cfg), timeout=10))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "config.duration_ns" in field_violations(e.value)


def test_garbage_bytes_do_not_hurt_the_server(bg: BackgroundServer,
                                              stub: SimulatorServiceStub) -> None:
    with grpc.insecure_channel(bg.target) as ch:
        raw = ch.unary_unary("/gosim.v1.SimulatorService/Simulate")
        for junk in (b"\xff\xff\xff", b"\x0a\x05\x0a\x03\x08\x80", bytes(range(256))):
            with pytest.raises(grpc.RpcError) as e:
                raw(junk, timeout=10)
            assert e.value.code() in (grpc.StatusCode.INTERNAL, grpc.StatusCode.INVALID_ARGUMENT,
                                      grpc.StatusCode.UNKNOWN)
    assert stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=5).gosim_version


# --- cancellation, deadlines, responsiveness ---------------------------------------------------


def test_deadline_stops_the_simulation_and_frees_the_workers(
        stub: SimulatorServiceStub, executor: Executor) -> None:
    errors: list[grpc.StatusCode] = []

    def call() -> None:
        try:
            stub.Simulate(pb.SimulateRequest(config=long_config()), timeout=1.0)
        except grpc.RpcError as e:
            errors.append(e.code())

    threads = [threading.Thread(target=call) for _ in range(2)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == [grpc.StatusCode.DEADLINE_EXCEEDED] * 2
    assert time.monotonic() - t0 < 3
    # Both workers are free again within about a second of the deadline.
    wait_until(lambda: executor.busy() == 0, 2.0)
    r = stub.Simulate(pb.SimulateRequest(config=small_config()), timeout=30)
    assert r.result.summary.requests_completed > 0


def test_client_cancel_stops_the_simulation(stub: SimulatorServiceStub,
                                            executor: Executor) -> None:
    fut = stub.Simulate.future(pb.SimulateRequest(config=long_config()), timeout=120)
    wait_until(lambda: executor.busy() == 1, 10)
    fut.cancel()
    took = wait_until(lambda: executor.busy() == 0, 2.0)
    assert took < 1.5
    assert fut.cancelled()


def test_stream_cancel_stops_the_simulation(stub: SimulatorServiceStub,
                                            executor: Executor) -> None:
    it = stub.StreamSimulate(pb.StreamSimulateRequest(config=long_config()), timeout=120)
    first = next(it)
    assert first.HasField("progress")
    it.cancel()
    took = wait_until(lambda: executor.busy() == 0, 2.0)
    assert took < 1.5


def test_health_and_get_job_answer_while_two_simulations_run(
        bg: BackgroundServer, stub: SimulatorServiceStub, executor: Executor) -> None:
    job = stub.SubmitJob(pb.SubmitJobRequest(config=long_config(), label="busy"), timeout=5).job
    fut = stub.Simulate.future(pb.SimulateRequest(config=long_config()), timeout=120)
    try:
        wait_until(lambda: executor.busy() == 2, 10)
        with grpc.insecure_channel(bg.target) as ch:
            h = health_pb2_grpc.HealthStub(ch)
            for _ in range(5):
                t0 = time.monotonic()
                r = h.Check(health_pb2.HealthCheckRequest(), timeout=5)
                assert r.status == health_pb2.HealthCheckResponse.SERVING
                assert time.monotonic() - t0 < 0.5
                t0 = time.monotonic()
                got = stub.GetJob(pb.GetJobRequest(id=job.id), timeout=5).job
                assert got.state == pb.JOB_STATE_RUNNING
                assert time.monotonic() - t0 < 0.5
                t0 = time.monotonic()
                stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=5)
                assert time.monotonic() - t0 < 0.5
                time.sleep(0.1)
    finally:
        fut.cancel()
        stub.CancelJob(pb.CancelJobRequest(id=job.id), timeout=5)
    wait_until(lambda: executor.busy() == 0, 3)


# --- jobs -------------------------------------------------------------------------------------


def test_submit_get_job_result(stub: SimulatorServiceStub) -> None:
    job = stub.SubmitJob(pb.SubmitJobRequest(config=small_config(), label="small"),
                         timeout=5).job
    assert job.state == pb.JOB_STATE_QUEUED and job.label == "small" and job.id
    assert job.config.duration_ns == 10**9
    done = wait_job(stub, job.id, (pb.JOB_STATE_SUCCEEDED, pb.JOB_STATE_FAILED))
    assert done.state == pb.JOB_STATE_SUCCEEDED, done.error
    assert done.attempts == 1 and done.progress.fraction == 1.0
    assert done.result.summary.simulated_ns == 10**9
    assert done.HasField("start_time") and done.HasField("finish_time")
    direct = stub.Simulate(pb.SimulateRequest(config=small_config()), timeout=60).result
    assert done.result == direct


def test_get_job_not_found(stub: SimulatorServiceStub) -> None:
    for call in (lambda: stub.GetJob(pb.GetJobRequest(id="nope"), timeout=5),
                 lambda: stub.CancelJob(pb.CancelJobRequest(id="nope"), timeout=5),
                 lambda: list(stub.WatchJob(pb.WatchJobRequest(id="nope"), timeout=5))):
        with pytest.raises(grpc.RpcError) as e:
            call()
        assert e.value.code() == grpc.StatusCode.NOT_FOUND


def test_cancel_job_frees_the_worker(stub: SimulatorServiceStub, executor: Executor) -> None:
    job = stub.SubmitJob(pb.SubmitJobRequest(config=long_config()), timeout=5).job
    wait_job(stub, job.id, (pb.JOB_STATE_RUNNING,))
    t0 = time.monotonic()
    got = stub.CancelJob(pb.CancelJobRequest(id=job.id), timeout=5).job
    assert got.state == pb.JOB_STATE_CANCELLED and "cancelled" in got.error
    wait_until(lambda: executor.busy() == 0, 2.0)
    assert time.monotonic() - t0 < 2.0
    # Cancelling a finished job returns it unchanged.
    again = stub.CancelJob(pb.CancelJobRequest(id=job.id), timeout=5).job
    assert again.state == pb.JOB_STATE_CANCELLED


def test_watch_job_until_succeeded(stub: SimulatorServiceStub) -> None:
    job = stub.SubmitJob(pb.SubmitJobRequest(config=small_config(20, 2000)), timeout=5).job
    updates = list(stub.WatchJob(pb.WatchJobRequest(id=job.id), timeout=60))
    states = [u.job.state for u in updates]
    assert states[-1] == pb.JOB_STATE_SUCCEEDED
    assert pb.JOB_STATE_RUNNING in states
    assert updates[-1].job.HasField("result")
    assert not any(u.job.HasField("result") for u in updates[:-1])
    fractions = [u.job.progress.fraction for u in updates]
    assert fractions == sorted(fractions)


def test_watch_job_ends_when_cancelled(stub: SimulatorServiceStub) -> None:
    job = stub.SubmitJob(pb.SubmitJobRequest(config=long_config()), timeout=5).job
    it = stub.WatchJob(pb.WatchJobRequest(id=job.id), timeout=30)
    first = next(it)
    assert first.job.id == job.id
    stub.CancelJob(pb.CancelJobRequest(id=job.id), timeout=5)
    rest = list(it)
    assert rest and rest[-1].job.state == pb.JOB_STATE_CANCELLED


def test_list_jobs_paged_and_filtered(stub: SimulatorServiceStub) -> None:
    label = f"page-{time.monotonic_ns()}"
    ids = [stub.SubmitJob(pb.SubmitJobRequest(config=small_config(0.2, 50), label=label),
                          timeout=5).job.id for _ in range(5)]
    for i in ids:
        wait_job(stub, i, (pb.JOB_STATE_SUCCEEDED,))
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = stub.ListJobs(pb.ListJobsRequest(page_size=2, page_token=token,
                                                states=[pb.JOB_STATE_SUCCEEDED]), timeout=5)
        pages += 1
        assert len(page.jobs) <= 2
        assert all(j.state == pb.JOB_STATE_SUCCEEDED for j in page.jobs)
        assert not any(j.HasField("result") for j in page.jobs)
        seen += [j.id for j in page.jobs]
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == len(set(seen)) and pages >= 3
    mine = [i for i in seen if i in ids]
    assert mine == list(reversed(ids))  # newest first
    cancelled = stub.ListJobs(pb.ListJobsRequest(states=[pb.JOB_STATE_CANCELLED]), timeout=5)
    assert not set(ids) & {j.id for j in cancelled.jobs}


def test_list_jobs_bad_token(stub: SimulatorServiceStub) -> None:
    for _ in range(2):
        stub.SubmitJob(pb.SubmitJobRequest(config=small_config(0.1, 10)), timeout=5)
    page = stub.ListJobs(pb.ListJobsRequest(page_size=1), timeout=5)
    assert page.next_page_token
    for req in (pb.ListJobsRequest(page_token="garbage!"),
                pb.ListJobsRequest(page_token=page.next_page_token,
                                   states=[pb.JOB_STATE_FAILED])):
        with pytest.raises(grpc.RpcError) as e:
            stub.ListJobs(req, timeout=5)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "page_token" in field_violations(e.value)


def test_submit_job_label_too_long(stub: SimulatorServiceStub) -> None:
    with pytest.raises(grpc.RpcError) as e:
        stub.SubmitJob(pb.SubmitJobRequest(config=small_config(), label="x" * 300), timeout=5)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "label" in field_violations(e.value)


def test_model_failure_is_internal_not_a_crash(tmp_path: Path) -> None:
    """A model that raises gives INTERNAL for Simulate and FAILED for a job; the server lives."""
    fake = start_server(tmp_path, target="fakesim:simulate", workers=1)
    ch, s = stub_for(fake.target)
    try:
        cfg = small_config()
        cfg.workload.name = "fake:raise"
        with pytest.raises(grpc.RpcError) as e:
            s.Simulate(pb.SimulateRequest(config=cfg), timeout=30)
        assert e.value.code() == grpc.StatusCode.INTERNAL
        assert "the fake model failed" in (e.value.details() or "")
        cfg.workload.name = "fake:crash"
        job = s.SubmitJob(pb.SubmitJobRequest(config=cfg), timeout=5).job
        failed = wait_job(s, job.id, (pb.JOB_STATE_FAILED,))
        assert "died" in failed.error
        cfg.workload.name = ""
        assert s.Simulate(pb.SimulateRequest(config=cfg), timeout=30).result.summary
    finally:
        ch.close()
        fake.stop()


def test_jobs_are_stored_as_submitted(stub: SimulatorServiceStub) -> None:
    cfg = small_config()
    job = stub.SubmitJob(pb.SubmitJobRequest(config=cfg), timeout=5).job
    # The stored config has every field explicit (defaults filled in at submission).
    assert job.config.cost.HasField("scan_ns_per_byte")
    assert convert.config_from_proto(job.config) == convert.config_from_proto(cfg)
    wait_job(stub, job.id, (pb.JOB_STATE_SUCCEEDED,))


def test_simulator_pb2_is_the_generated_module() -> None:
    assert simulator_pb2.DESCRIPTOR.package == "gosim.v1"
