"""Jobs survive restarts: results are kept, running jobs are re-queued on a clean stop and
re-run or FAILED after a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from server_helpers import (
    REAL,
    long_config,
    small_config,
    start_server,
    stub_for,
    wait_job,
)

from gosim.v1 import simulator_pb2 as pb
from server.app import BackgroundServer, ConfigurationError, ServerOptions
from server.limits import Limits
from server.store import QUEUED, JobStore


def test_restart_keeps_jobs_and_results(tmp_path: Path) -> None:
    a = start_server(tmp_path, target=REAL, workers=1)
    ch, stub = stub_for(a.target)
    try:
        done = stub.SubmitJob(pb.SubmitJobRequest(config=small_config(), label="done"),
                              timeout=5).job
        done = wait_job(stub, done.id, (pb.JOB_STATE_SUCCEEDED,))
        cancelled = stub.SubmitJob(pb.SubmitJobRequest(config=long_config(), label="c"),
                                   timeout=5).job
        stub.CancelJob(pb.CancelJobRequest(id=cancelled.id), timeout=5)
    finally:
        ch.close()
        a.stop()

    b = start_server(tmp_path, target=REAL, workers=1)
    ch, stub = stub_for(b.target)
    try:
        listed = {j.id: j for j in stub.ListJobs(pb.ListJobsRequest(), timeout=5).jobs}
        assert listed[done.id].state == pb.JOB_STATE_SUCCEEDED
        assert listed[cancelled.id].state == pb.JOB_STATE_CANCELLED
        again = stub.GetJob(pb.GetJobRequest(id=done.id), timeout=5).job
        assert again.result == done.result and again.result.summary.requests_completed > 0
        assert again.create_time == done.create_time and again.label == "done"
    finally:
        ch.close()
        b.stop()


def test_clean_stop_requeues_a_running_job_and_restart_reruns_it(tmp_path: Path) -> None:
    a = start_server(tmp_path, target=REAL, workers=1)
    ch, stub = stub_for(a.target)
    try:
        job = stub.SubmitJob(pb.SubmitJobRequest(config=long_config()), timeout=5).job
        wait_job(stub, job.id, (pb.JOB_STATE_RUNNING,))
    finally:
        ch.close()
        a.stop(grace=0.2)
    store = JobStore(tmp_path)
    row = store.get(job.id)
    store.close()
    assert row is not None and row.state == QUEUED and "shutdown" in row.error
    assert row.attempts == 0  # the interrupted run does not count

    b = start_server(tmp_path, target=REAL, workers=1)
    ch, stub = stub_for(b.target)
    try:
        running = wait_job(stub, job.id, (pb.JOB_STATE_RUNNING,))
        assert running.attempts == 1
        stub.CancelJob(pb.CancelJobRequest(id=job.id), timeout=5)
    finally:
        ch.close()
        b.stop()


def _crashed_running_job(data_dir: Path, config: bytes) -> str:
    """Leave the store as a server crash during a run would: the job RUNNING, one attempt."""
    store = JobStore(data_dir)
    store.insert("crashed", "x", config)
    assert store.mark_running("crashed")
    store.close()
    return "crashed"


def test_crash_with_attempts_left_reruns_the_job(tmp_path: Path) -> None:
    job_id = _crashed_running_job(tmp_path, small_config().SerializeToString())
    b = start_server(tmp_path, target=REAL, workers=1, max_attempts=2)
    ch, stub = stub_for(b.target)
    try:
        job = wait_job(stub, job_id, (pb.JOB_STATE_SUCCEEDED, pb.JOB_STATE_FAILED))
        assert job.state == pb.JOB_STATE_SUCCEEDED
        assert job.attempts == 2 and "re-queued" in job.error
        assert job.result.summary.requests_completed > 0
    finally:
        ch.close()
        b.stop()


def test_crash_without_attempts_left_marks_the_job_failed(tmp_path: Path) -> None:
    job_id = _crashed_running_job(tmp_path, small_config().SerializeToString())
    b = start_server(tmp_path, target=REAL, workers=1, max_attempts=1)
    ch, stub = stub_for(b.target)
    try:
        job = stub.GetJob(pb.GetJobRequest(id=job_id), timeout=5).job
        assert job.state == pb.JOB_STATE_FAILED
        assert "stopped unexpectedly" in job.error and job.HasField("finish_time")
    finally:
        ch.close()
        b.stop()


def test_one_server_per_data_directory_and_port(tmp_path: Path) -> None:
    a = start_server(tmp_path / "a", target=REAL, workers=1)
    try:
        with pytest.raises(ConfigurationError, match="in use by another gosim server"):
            start_server(tmp_path / "a", target=REAL, workers=1)
        other = BackgroundServer(ServerOptions(port=a.port, data_dir=tmp_path / "b",
                                               limits=Limits(workers=1)))
        with pytest.raises(ConfigurationError, match="cannot listen"):
            other.start()
        # The failed starts left the running server alone.
        ch, stub = stub_for(a.target)
        assert stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=5).limits.workers == 1
        ch.close()
    finally:
        a.stop()
    # Stopped: the directory is free again.
    b = start_server(tmp_path / "a", target=REAL, workers=1)
    b.stop()
