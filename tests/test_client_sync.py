"""The synchronous Python client (clients.client.Client) against an in-process server running
the real engine: every call, typed results, and errors carrying the status code and the
google.rpc field / quota violations."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from server_helpers import (
    REAL,
    long_config,
    self_signed,
    small_config,
    start_server,
    wait_until,
)

import simcore
from clients.client import (
    Client,
    GosimError,
    Job,
    JobState,
    ModelInfo,
    Progress,
    config_proto,
    connect,
)
from gosim.v1 import config_pb2
from server import convert
from server.app import BackgroundServer
from server.limits import Limits

TOKEN = "client-test-token"


@pytest.fixture(scope="module")
def bg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    server = start_server(tmp_path_factory.mktemp("data"), target=REAL, workers=2,
                          limits=Limits(workers=2, max_duration_ns=10**13))
    yield server
    server.stop()


@pytest.fixture()
def client(bg: BackgroundServer) -> Iterator[Client]:
    with Client(bg.target) as c:
        yield c


def small_simcore(duration_s: float = 0.5) -> simcore.SimConfig:
    return convert.config_from_proto(small_config(duration_s))


# --- simulate / stream ------------------------------------------------------------------------


def test_simulate_accepts_dataclass_proto_and_dict(client: Client) -> None:
    cfg = small_simcore()
    from_dataclass = client.simulate(cfg)
    from_proto = client.simulate(small_config(0.5))
    steps = [
        {"compute": {"duration_ns": {"kind": "DIST_KIND_EXPONENTIAL", "mean": 200000}}},
        {"allocate": {"bytes": {"kind": "DIST_KIND_CONSTANT", "value": 65536},
                      "object_sizes": [{"size_bytes": 512}]}},
        {"io_wait": {"duration_ns": {"kind": "DIST_KIND_CONSTANT", "value": 1000000}}},
    ]
    as_dict = {"duration_ns": 500_000_000, "seed": 7, "runtime": {"gomaxprocs": 2},
               "workload": {"open_loop": {"rate_per_s": 200}, "request": {"steps": steps}}}
    from_dict = client.simulate(as_dict)
    assert isinstance(from_dataclass, simcore.Result)
    assert from_dataclass == from_proto == from_dict  # same config and seed, same result
    assert from_dataclass == simcore.simulate(cfg)  # and the same as in this process
    assert from_dataclass.summary.requests_completed > 50


def test_stream_yields_progress_cycles_then_the_result(client: Client) -> None:
    events = list(client.stream(small_simcore(1.0)))
    assert isinstance(events[0], Progress)
    assert isinstance(events[-1], simcore.Result)
    assert sum(isinstance(e, simcore.Result) for e in events) == 1
    cycles = [e for e in events if isinstance(e, simcore.CycleRecord)]
    result = events[-1]
    assert tuple(cycles) == result.cycles
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress[-1].fraction == 1.0 and progress[-1].simulated_ns == 10**9


def test_simulate_with_on_progress_streams(client: Client) -> None:
    seen: list[Progress] = []
    result = client.simulate(small_simcore(), on_progress=seen.append)
    assert seen and all(isinstance(p, Progress) for p in seen)
    assert result.summary.simulated_ns == 5 * 10**8


def test_abandoned_stream_cancels_the_simulation(client: Client, bg: BackgroundServer) -> None:
    assert bg.server is not None and bg.server._executor is not None
    ex = bg.server._executor
    wait_until(lambda: ex.busy() == 0, 10)
    events = client.stream(long_config())
    first = next(events)
    assert isinstance(first, Progress)
    wait_until(lambda: ex.busy() == 1, 10)
    events.close()  # the generator's finally cancels the call
    wait_until(lambda: ex.busy() == 0, 10)


# --- jobs ------------------------------------------------------------------------------------


def test_submit_get_watch_and_list(client: Client) -> None:
    job = client.submit(small_simcore(), label="client-test")
    assert isinstance(job, Job)
    assert job.state in (JobState.QUEUED, JobState.RUNNING)
    assert job.label == "client-test" and job.config == small_simcore()
    updates = list(client.watch(job.id))
    final = updates[-1]
    assert final.state is JobState.SUCCEEDED and final.terminal
    assert isinstance(final.result, simcore.Result)
    assert final.result == simcore.simulate(small_simcore())
    got = client.get(job.id)
    assert got.state is JobState.SUCCEEDED and got.result == final.result
    assert got.create_time is not None and got.finish_time is not None
    assert got.finish_time >= got.create_time
    assert got.progress is not None and got.progress.fraction == 1.0
    page = client.list(states=["succeeded"])
    assert job.id in [j.id for j in page.jobs]
    assert all(j.state is JobState.SUCCEEDED and j.result is None for j in page.jobs)
    assert job.id not in [j.id for j in client.list_jobs(states=[JobState.FAILED]).jobs]
    assert job.id in [j.id for j in client.iter_jobs(page_size=1)]


def test_wait_and_cancel(client: Client) -> None:
    job = client.submit(long_config(), label="to-cancel")
    cancelled = client.cancel(job.id)
    assert cancelled.state is JobState.CANCELLED
    final = client.wait(job.id, timeout=30)
    assert final.state is JobState.CANCELLED and final.result is None
    # Cancelling a finished job returns it unchanged.
    assert client.cancel(job.id).state is JobState.CANCELLED


def test_job_state_parse() -> None:
    assert JobState.parse("running") is JobState.RUNNING
    assert JobState.parse("JOB_STATE_FAILED") is JobState.FAILED
    assert JobState.parse(3) is JobState.SUCCEEDED
    with pytest.raises(ValueError, match="expected one of queued, running"):
        JobState.parse("done")


def test_model_info(client: Client) -> None:
    info = client.model_info()
    assert isinstance(info, ModelInfo)
    assert info.gosim_version == simcore.GOSIM_VERSION and info.go_version == simcore.GO_VERSION
    assert info.default_config == simcore.SimConfig()
    assert info.default_cost_model == simcore.CostModel()
    assert info.limits["workers"] == 2 and info.limits["max_duration_ns"] == 10**13


# --- errors ----------------------------------------------------------------------------------


def test_invalid_argument_carries_every_field_violation(client: Client) -> None:
    bad = small_config()
    bad.runtime.gomaxprocs = 0
    bad.workload.request.steps[0].compute.duration_ns.mean = -5
    bad.duration_ns = -1
    with pytest.raises(GosimError) as e:
        client.simulate(bad)
    err = e.value
    assert err.code is grpc.StatusCode.INVALID_ARGUMENT and err.code_name == "INVALID_ARGUMENT"
    fields = {v.field: v.description for v in err.field_violations}
    assert set(fields) == {"config.runtime.gomaxprocs", "config.duration_ns",
                           "config.workload.request.steps[0].compute.duration_ns.mean"}
    assert "must be >= 1" in fields["config.runtime.gomaxprocs"]
    assert "INVALID_ARGUMENT" in str(err) and "config.duration_ns" in str(err)
    d = err.to_dict()
    assert d["code"] == "INVALID_ARGUMENT" and len(d["field_violations"]) == 3
    # The same errors on every kind of call, streaming included.
    for call in (lambda: list(client.stream(bad)), lambda: client.submit(bad)):
        with pytest.raises(GosimError) as e2:
            call()
        assert {v.field for v in e2.value.field_violations} == set(fields)


def test_missing_distribution_names_the_field(client: Client) -> None:
    bad = small_config()
    bad.workload.request.steps[0].compute.ClearField("duration_ns")
    with pytest.raises(GosimError) as e:
        client.simulate(bad)
    assert [v.field for v in e.value.field_violations] == [
        "config.workload.request.steps[0].compute.duration_ns"]


def test_resource_exhausted_names_the_limit(client: Client) -> None:
    big = small_config()
    big.runtime.gomaxprocs = 100_000
    with pytest.raises(GosimError) as e:
        client.simulate(big)
    assert e.value.code is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert [q.subject for q in e.value.quota_violations] == ["max_gomaxprocs"]
    assert not e.value.field_violations


def test_not_found(client: Client) -> None:
    for call in (client.get, client.cancel, lambda i: list(client.watch(i))):
        with pytest.raises(GosimError) as e:
            call("no-such-job")
        assert e.value.code is grpc.StatusCode.NOT_FOUND


def test_unreachable_server_is_unavailable() -> None:
    with Client("127.0.0.1:1") as c, pytest.raises(GosimError) as e:
        c.model_info(timeout=5)
    assert e.value.code is grpc.StatusCode.UNAVAILABLE


def test_bad_config_types_are_refused_before_any_call() -> None:
    with pytest.raises(ValueError, match="JSON mapping"):
        config_proto({"runtime": {"gogcc": 1}})
    with pytest.raises(TypeError):
        config_proto(42)  # type: ignore[arg-type]
    assert config_proto(None) == config_pb2.SimConfig()


def test_deadline_exceeded(client: Client) -> None:
    with pytest.raises(GosimError) as e:
        client.simulate(long_config(), timeout=0.5)
    assert e.value.code is grpc.StatusCode.DEADLINE_EXCEEDED


# --- token and TLS ---------------------------------------------------------------------------


def test_token(tmp_path: Path) -> None:
    server = start_server(tmp_path, target=REAL, workers=1, token=TOKEN)
    try:
        with Client(server.target) as anonymous, pytest.raises(GosimError) as e:
            anonymous.model_info()
        assert e.value.code is grpc.StatusCode.UNAUTHENTICATED
        with connect(server.target, token=TOKEN) as authed:
            assert authed.model_info().gosim_version == simcore.GOSIM_VERSION
            assert authed.simulate(small_simcore(0.2)).summary.simulated_ns == 2 * 10**8
            assert isinstance(next(iter(authed.stream(small_simcore(0.2)))), Progress)
    finally:
        server.stop()


def test_tls_with_a_root_certificate_and_token(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    cert, key = self_signed(tmp_path)
    server = start_server(tmp_path / "data", target=REAL, workers=1, token=TOKEN,
                          tls_cert=cert, tls_key=key)
    try:
        with Client(f"localhost:{server.port}", tls_ca=cert, token=TOKEN) as c:
            assert c.model_info().limits["workers"] == 1
            assert c.simulate(small_simcore(0.2)).summary.simulated_ns == 2 * 10**8
        with Client(f"localhost:{server.port}", tls_ca=cert.read_bytes()) as c, \
                pytest.raises(GosimError) as e:
            c.model_info()
        assert e.value.code is grpc.StatusCode.UNAUTHENTICATED
    finally:
        server.stop()


def test_client_is_usable_from_threads(client: Client) -> None:
    results: list[simcore.Result] = []
    threads = [threading.Thread(target=lambda: results.append(client.simulate(small_simcore())))
               for _ in range(3)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 3 and results[0] == results[1] == results[2]
    assert time.monotonic() - start < 60


def test_job_dataclass_keeps_its_proto(client: Client) -> None:
    job = client.submit(small_simcore(0.2))
    assert job.proto.id == job.id
    assert dataclasses.replace(job, label="x") == dataclasses.replace(job, label="x")
    client.wait(job.id)
