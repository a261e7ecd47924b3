"""End to end: `gosim serve` as a real process — start on a free port, talk to it, SIGTERM it;
and a SIGKILL in the middle of a job, after which the next server marks the job FAILED."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from server_helpers import long_config, small_config, wait_job, wait_until

from gosim.v1 import simulator_pb2 as pb
from gosim.v1.simulator_pb2_grpc import SimulatorServiceStub

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"gosim serving on (\S+):(\d+)")


def gosim_command() -> list[str]:
    script = Path(sys.executable).parent / "gosim"  # the console script (pip install -e .)
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "clients.cli"]


class Served:
    """A `gosim serve --port 0` process and the port it printed."""

    def __init__(self, data_dir: Path, *extra: str) -> None:
        env = dict(os.environ)
        env.pop("GOSIM_TOKEN", None)
        self.proc = subprocess.Popen(
            [*gosim_command(), "serve", "--port", "0", "--data-dir", str(data_dir),
             "--workers", "1", "--grace", "2", *extra],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.port = self._read_port()
        self.stderr: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _read_port(self) -> int:
        found: list[int] = []

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                m = LINE.search(line)
                if m:
                    found.append(int(m.group(2)))
                    return

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(60)
        if not found:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=10)
            raise AssertionError(f"the server did not print its port; stderr:\n{err}")
        return found[0]

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def children(self) -> list[int]:
        """Pids of the server's child processes (its workers)."""
        kids = []
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    stat = (d / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    kids.append(int(d.name))
        return kids


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_serve_talk_and_sigterm(tmp_path: Path) -> None:
    s = Served(tmp_path)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{s.port}") as ch:
            h = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert h.status == health_pb2.HealthCheckResponse.SERVING
            stub = SimulatorServiceStub(ch)
            info = stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=10)
            assert info.limits.workers == 1
            r = stub.Simulate(pb.SimulateRequest(config=small_config()), timeout=60)
            assert r.result.summary.requests_completed > 0
            job = stub.SubmitJob(pb.SubmitJobRequest(config=small_config()), timeout=10).job
            wait_job(stub, job.id, (pb.JOB_STATE_SUCCEEDED,))
        s.proc.send_signal(signal.SIGTERM)
        assert s.proc.wait(30) == 0, "".join(s.stderr)
        assert any("stopped" in line for line in s.stderr)
    finally:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait(10)
    # The job and its result are still there for the next server.
    s2 = Served(tmp_path)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{s2.port}") as ch:
            got = SimulatorServiceStub(ch).GetJob(pb.GetJobRequest(id=job.id), timeout=10).job
            assert got.state == pb.JOB_STATE_SUCCEEDED and got.result.summary.simulated_ns
        s2.proc.send_signal(signal.SIGTERM)
        assert s2.proc.wait(30) == 0
    finally:
        if s2.proc.poll() is None:
            s2.proc.kill()
            s2.proc.wait(10)


def test_sigterm_lets_a_running_unary_call_finish(tmp_path: Path) -> None:
    s = Served(tmp_path, "--grace", "30")  # later flags win: a grace no loaded machine hits
    try:
        with grpc.insecure_channel(f"127.0.0.1:{s.port}") as ch:
            stub = SimulatorServiceStub(ch)
            stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=10)  # workers are warm
            fut = stub.Simulate.future(pb.SimulateRequest(config=small_config(5, 1000)),
                                       timeout=60)
            time.sleep(0.2)
            s.proc.send_signal(signal.SIGTERM)
            assert fut.result().result.summary.simulated_ns == 5 * 10**9
        assert s.proc.wait(60) == 0
    finally:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait(10)


def test_sigkill_during_a_job_then_restart_marks_it_failed(tmp_path: Path) -> None:
    s = Served(tmp_path, "--max-attempts", "1")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{s.port}") as ch:
            stub = SimulatorServiceStub(ch)
            job = stub.SubmitJob(pb.SubmitJobRequest(config=long_config()), timeout=10).job
            wait_job(stub, job.id, (pb.JOB_STATE_RUNNING,))
        workers = s.children()
        assert workers
        s.proc.kill()  # a crash: no chance to persist anything
        s.proc.wait(10)
        # Orphaned workers notice that their server is gone and exit on their own.
        wait_until(lambda: not any(alive(p) for p in workers), 10)
    finally:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait(10)
    s2 = Served(tmp_path, "--max-attempts", "1")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{s2.port}") as ch:
            got = SimulatorServiceStub(ch).GetJob(pb.GetJobRequest(id=job.id), timeout=10).job
            assert got.state == pb.JOB_STATE_FAILED
            assert "stopped unexpectedly" in got.error
        s2.proc.send_signal(signal.SIGTERM)
        assert s2.proc.wait(30) == 0
    finally:
        if s2.proc.poll() is None:
            s2.proc.kill()
            s2.proc.wait(10)
