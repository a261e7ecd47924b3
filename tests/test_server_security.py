"""Bearer-token auth (health stays open), TLS with a self-signed certificate, and the refusal to
listen on a non-loopback address without a token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from server_helpers import REAL, self_signed, small_config, start_server

from gosim.v1 import simulator_pb2 as pb
from gosim.v1.simulator_pb2_grpc import SimulatorServiceStub
from server.app import (
    BackgroundServer,
    ConfigurationError,
    ServerOptions,
    check_bind_policy,
    is_loopback,
)
from server.auth import token_from
from server.main import serve_main

TOKEN = "s3cret-token"
GOOD = (("authorization", f"Bearer {TOKEN}"),)


@pytest.fixture(scope="module")
def authed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    server = start_server(tmp_path_factory.mktemp("data"), target=REAL, workers=1, token=TOKEN)
    yield server
    server.stop()


def test_calls_without_or_with_a_wrong_token_are_refused(authed: BackgroundServer) -> None:
    with grpc.insecure_channel(authed.target) as ch:
        stub = SimulatorServiceStub(ch)
        for md in ((), (("authorization", "Bearer wrong"),), (("authorization", TOKEN),)):
            with pytest.raises(grpc.RpcError) as e:
                stub.GetModelInfo(pb.GetModelInfoRequest(), metadata=md, timeout=5)
            assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as e:
            list(stub.StreamSimulate(pb.StreamSimulateRequest(config=small_config()),
                                     timeout=5))
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as e:
            stub.Simulate(pb.SimulateRequest(config=small_config()), timeout=5)
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_calls_with_the_token_are_accepted(authed: BackgroundServer) -> None:
    with grpc.insecure_channel(authed.target) as ch:
        stub = SimulatorServiceStub(ch)
        info = stub.GetModelInfo(pb.GetModelInfoRequest(), metadata=GOOD, timeout=5)
        assert info.gosim_version
        r = stub.Simulate(pb.SimulateRequest(config=small_config(0.5)), metadata=GOOD, timeout=30)
        assert r.result.summary.simulated_ns == 5 * 10**8
        msgs = list(stub.StreamSimulate(pb.StreamSimulateRequest(config=small_config(0.5)),
                                        metadata=GOOD, timeout=30))
        assert msgs[-1].HasField("result")


def test_health_stays_open_and_reflection_needs_the_token(authed: BackgroundServer) -> None:
    with grpc.insecure_channel(authed.target) as ch:
        r = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert r.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as e:
            list(ProtoReflectionDescriptorDatabase(ch).get_services())
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED


# --- TLS --------------------------------------------------------------------------------------


def test_tls_with_token(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    bg = start_server(tmp_path / "data", target=REAL, workers=1, token=TOKEN, tls_cert=cert,
                      tls_key=key)
    try:
        creds = grpc.composite_channel_credentials(
            grpc.ssl_channel_credentials(root_certificates=cert.read_bytes()),
            grpc.access_token_call_credentials(TOKEN))
        with grpc.secure_channel(f"localhost:{bg.port}", creds) as ch:
            info = SimulatorServiceStub(ch).GetModelInfo(pb.GetModelInfoRequest(), timeout=10)
            assert info.go_version
        # TLS without the token is still refused; plaintext to a TLS port does not work.
        with grpc.secure_channel(f"localhost:{bg.port}", grpc.ssl_channel_credentials(
                root_certificates=cert.read_bytes())) as ch:
            with pytest.raises(grpc.RpcError) as e:
                SimulatorServiceStub(ch).GetModelInfo(pb.GetModelInfoRequest(), timeout=10)
            assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
            r = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert r.status == health_pb2.HealthCheckResponse.SERVING
        with grpc.insecure_channel(f"localhost:{bg.port}") as ch:
            with pytest.raises(grpc.RpcError) as e:
                SimulatorServiceStub(ch).GetModelInfo(pb.GetModelInfoRequest(), metadata=GOOD,
                                                      timeout=3)
            assert e.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        bg.stop()


def test_tls_cert_and_key_go_together(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path)
    with pytest.raises(ConfigurationError, match="together"):
        check_bind_policy(ServerOptions(tls_cert=cert))


# --- binding policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(("host", "loop"), [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("127.0.0.5", True), ("0.0.0.0", False), ("::", False), ("10.1.2.3", False),
    ("example.com", False)])
def test_is_loopback(host: str, loop: bool) -> None:
    assert is_loopback(host) is loop


def test_non_loopback_without_token_is_refused(tmp_path: Path) -> None:
    opts = ServerOptions(host="0.0.0.0", port=0, data_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="not a loopback"):
        check_bind_policy(opts)
    bg = BackgroundServer(opts)
    with pytest.raises(ConfigurationError):
        bg.start()
    # With a token, or with --insecure, the policy allows it (not bound here).
    check_bind_policy(ServerOptions(host="0.0.0.0", token="t"))
    check_bind_policy(ServerOptions(host="0.0.0.0", insecure=True))


def test_serve_main_refuses_non_loopback_without_token(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GOSIM_TOKEN", raising=False)
    rc = serve_main(["--host", "0.0.0.0", "--port", "0", "--data-dir", str(tmp_path)])
    assert rc == 2
    assert "not a loopback address" in capsys.readouterr().err


def test_token_sources(tmp_path: Path) -> None:
    f = tmp_path / "token"
    f.write_text("from-file\n")
    assert token_from({"GOSIM_TOKEN": "env"}, str(f)) == "from-file"
    assert token_from({"GOSIM_TOKEN": " env "}, None) == "env"
    assert token_from({}, None) is None
    f.write_text("  \n")
    with pytest.raises(ValueError):
        token_from({}, str(f))
    with pytest.raises(ValueError):
        token_from({"GOSIM_TOKEN": ""}, None)


@pytest.mark.parametrize("flags", [["--workers", "0"], ["--max-duration-ns", "-1"],
                                   ["--max-wall-time-ns", "-5"], ["--tls-cert", "x.pem"],
                                   ["--token-file", "/nonexistent/token"]])
def test_serve_main_rejects_bad_flags(tmp_path: Path, flags: list[str],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_main(["--port", "0", "--data-dir", str(tmp_path), *flags]) == 2
    assert "gosim serve:" in capsys.readouterr().err
