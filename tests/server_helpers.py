"""Helpers shared by the server tests: configs, an in-process server, error details.

Configs are small so the real engine (simcore.simulate) finishes them in well under a second;
LONG is a run that takes minutes of wall time, used to test cancellation, deadlines and
restarts (it is always cancelled or interrupted, never waited for).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from gosim.v1 import config_pb2, simulator_pb2, simulator_pb2_grpc
from server.app import BackgroundServer, ServerOptions
from server.limits import Limits

REAL = "simcore:simulate"
FAKE = "fakesim:simulate"


def request_program(msg: config_pb2.Program) -> None:
    """compute ~200 µs, allocate 64 KiB, wait 1 ms on I/O."""
    s = msg.steps.add()
    s.compute.duration_ns.kind = config_pb2.DIST_KIND_EXPONENTIAL
    s.compute.duration_ns.mean = 200_000
    a = msg.steps.add().allocate
    a.bytes.kind = config_pb2.DIST_KIND_CONSTANT
    a.bytes.value = 64 * 1024
    a.object_sizes.add(size_bytes=512, weight=1)
    io = msg.steps.add().io_wait
    io.duration_ns.kind = config_pb2.DIST_KIND_CONSTANT
    io.duration_ns.value = 1_000_000


def small_config(duration_s: float = 1.0, rate: float = 200.0,
                 gomaxprocs: int = 2) -> config_pb2.SimConfig:
    cfg = config_pb2.SimConfig(duration_ns=int(duration_s * 1e9), seed=7)
    cfg.runtime.gomaxprocs = gomaxprocs
    request_program(cfg.workload.request)
    cfg.workload.open_loop.rate_per_s = rate
    return cfg


def long_config() -> config_pb2.SimConfig:
    """An hour of simulated time at 2000 requests/s: minutes of wall time with either engine."""
    return small_config(duration_s=3600, rate=2000)


def start_server(data_dir: Path, *, target: str = REAL, workers: int = 2,
                 limits: Limits | None = None, **opts: Any) -> BackgroundServer:
    lim = limits or Limits(workers=workers)
    bg = BackgroundServer(ServerOptions(port=0, data_dir=data_dir, limits=lim,
                                        simulate_target=target, grace_s=1.0, **opts))
    bg.start()
    return bg


def stub_for(target: str) -> tuple[grpc.Channel, simulator_pb2_grpc.SimulatorServiceStub]:
    ch = grpc.insecure_channel(target)
    return ch, simulator_pb2_grpc.SimulatorServiceStub(ch)


def field_violations(err: grpc.RpcError) -> dict[str, str]:
    """BadRequest field violations of an error, as {field: description}."""
    st = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert st is not None, "no google.rpc.Status details"
    out: dict[str, str] = {}
    for d in st.details:
        br = error_details_pb2.BadRequest()
        if d.Unpack(br):
            out.update({v.field: v.description for v in br.field_violations})
    return out


def quota_subjects(err: grpc.RpcError) -> list[str]:
    st = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert st is not None, "no google.rpc.Status details"
    subjects = []
    for d in st.details:
        qf = error_details_pb2.QuotaFailure()
        if d.Unpack(qf):
            subjects += [v.subject for v in qf.violations]
    return subjects


def wait_until(cond: Callable[[], bool], timeout: float = 10.0, every: float = 0.02) -> float:
    """Wait until cond() is true; return the seconds it took (fails after timeout)."""
    start = time.monotonic()
    while not cond():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)
    return time.monotonic() - start


def wait_job(stub: simulator_pb2_grpc.SimulatorServiceStub, job_id: str,
             states: tuple[int, ...], timeout: float = 30.0) -> simulator_pb2.Job:
    found: list[simulator_pb2.Job] = []

    def ok() -> bool:
        job = stub.GetJob(simulator_pb2.GetJobRequest(id=job_id), timeout=5).job
        found[:] = [job]
        return job.state in states

    wait_until(ok, timeout, 0.05)
    return found[0]


def self_signed(dir: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost / 127.0.0.1 and its key, written as PEM files
    into dir (for TLS tests); returns (cert, key) paths. Needs `cryptography` (dev extra)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = dir / "cert.pem", dir / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
