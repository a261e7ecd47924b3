"""Assembling and running the gosim gRPC server.

GosimServer wires the pieces together in one asyncio event loop:

  JobStore (SQLite in the data directory) ─┐
  Executor (worker processes, one per core) ├─ JobManager ─┐
  Slots (max_concurrent_jobs)  ─────────────┘              ├─ SimulatorServicer
  Limits ──────────────────────────────────────────────────┘
  + grpc.health.v1 health service (aio), server reflection, the token interceptor, TLS

start(): check the bind policy (a non-loopback address needs a token unless insecure), open the
store, start the workers, recover jobs (re-queue or fail those that were running when the server
died, launch queued ones), then bind and start serving; health reports SERVING.
stop(grace): health reports NOT_SERVING, the gRPC server stops accepting calls and gives running
ones `grace` seconds to finish, then running jobs are re-queued in the store, the workers are
stopped and the store is closed.

BackgroundServer runs a GosimServer in its own thread and event loop, for tests and for
programs that want a local server for a while (start() returns the port).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import platformdirs
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from gosim.v1 import simulator_pb2, simulator_pb2_grpc, sweep_pb2_grpc
from server.admission import Slots
from server.auth import TokenAuthInterceptor
from server.executor import Executor
from server.jobs import JobManager
from server.limits import Limits
from server.servicer import SimulatorServicer
from server.store import JobStore, StoreInUse
from server.sweep import servicer as sweep_servicer
from server.sweep.jobs import SweepManager
from server.sweep.store import SweepStore

log = logging.getLogger("gosim.server")

SERVICE_NAME = simulator_pb2.DESCRIPTOR.services_by_name["SimulatorService"].full_name


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("gosim"))


@dataclass
class ServerOptions:
    """Everything `gosim serve` can configure (see server/main.py for the flags)."""

    host: str = "127.0.0.1"
    port: int = 50051
    data_dir: Path = field(default_factory=default_data_dir)
    limits: Limits = field(default_factory=Limits)
    token: str | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    insecure: bool = False  # allow a non-loopback bind without a token
    grace_s: float = 30.0
    max_attempts: int = 2  # starts of a job before a crash during its run marks it FAILED
    simulate_target: str = "simcore:simulate"
    worker_memory_bytes: int = 0  # RLIMIT_AS per worker process; 0 = none
    cluster: str | None = None  # Dask scheduler for sweeps (else $GOSIM_DASK_SCHEDULER, else local)


class ConfigurationError(Exception):
    """The server cannot start with these options (the message says why)."""


def is_loopback(host: str) -> bool:
    h = host.strip("[]")
    if h.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False  # a host name other than localhost: assume it is reachable from outside


def check_bind_policy(opts: ServerOptions) -> None:
    if not is_loopback(opts.host) and opts.token is None and not opts.insecure:
        raise ConfigurationError(
            f"refusing to listen on {opts.host}, which is not a loopback address, without a "
            "token: set GOSIM_TOKEN or --token-file, or pass --insecure to allow it")
    if (opts.tls_cert is None) != (opts.tls_key is None):
        raise ConfigurationError("--tls-cert and --tls-key must be given together")


def _address(host: str, port: int) -> str:
    return f"[{host.strip('[]')}]:{port}" if ":" in host else f"{host}:{port}"


class GosimServer:
    def __init__(self, opts: ServerOptions) -> None:
        self.opts = opts
        self.port: int | None = None
        self._server: grpc.aio.Server | None = None
        self._health: health.aio.HealthServicer | None = None
        self._store: JobStore | None = None
        self._executor: Executor | None = None
        self._jobs: JobManager | None = None
        self._sweeps: SweepManager | None = None  # SweepService (server/sweep/jobs.py)
        self._stopped = asyncio.Event()

    @property
    def address(self) -> str:
        return _address(self.opts.host, self.port or 0)

    async def start(self) -> int:
        """Start serving (see the module doc); on any failure, undo what was started."""
        try:
            return await self._start()
        except BaseException:
            await self._shutdown_backend()
            raise

    async def _start(self) -> int:
        opts, lim = self.opts, self.opts.limits
        check_bind_policy(opts)
        credentials = None
        if opts.tls_cert is not None and opts.tls_key is not None:
            try:
                credentials = grpc.ssl_server_credentials(
                    [(opts.tls_key.read_bytes(), opts.tls_cert.read_bytes())])
            except OSError as e:
                raise ConfigurationError(f"cannot read the TLS certificate or key: {e}") from e

        try:
            self._store = await asyncio.to_thread(JobStore, opts.data_dir)
        except (OSError, sqlite3.Error, StoreInUse) as e:
            raise ConfigurationError(f"cannot open the job store in {opts.data_dir}: {e}") from e
        self._executor = Executor(lim.workers, opts.simulate_target,
                                  max_wall_time_ns=lim.max_wall_time_ns,
                                  memory_limit_bytes=opts.worker_memory_bytes)
        self._executor.start()
        slots = Slots(lim.max_concurrent_jobs)
        self._jobs = JobManager(self._store, self._executor, slots,
                                max_attempts=opts.max_attempts,
                                max_page_bytes=lim.max_message_bytes // 2)
        await self._jobs.start()
        # Sweeps: sweeps.sqlite3 next to the job store; engine from --cluster, else
        # $GOSIM_DASK_SCHEDULER, else a local pool of `workers` processes, made on first use.
        sweep_store = await asyncio.to_thread(SweepStore, opts.data_dir)
        self._sweeps = SweepManager(sweep_store, lim, simulate_target=opts.simulate_target,
                                    cluster=opts.cluster)
        await self._sweeps.start()

        interceptors = [TokenAuthInterceptor(opts.token)] if opts.token else []
        server = grpc.aio.server(
            interceptors=interceptors,
            options=[
                ("grpc.max_receive_message_length", lim.max_message_bytes),
                ("grpc.max_send_message_length", lim.max_message_bytes),
                ("grpc.so_reuseport", 0),
            ],
        )
        simulator_pb2_grpc.add_SimulatorServiceServicer_to_server(  # type: ignore[no-untyped-call]
            SimulatorServicer(self._executor, self._jobs, slots, lim), server)
        sweep_pb2_grpc.add_SweepServiceServicer_to_server(  # type: ignore[no-untyped-call]
            sweep_servicer.SweepServicer(self._sweeps), server)
        self._health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        reflection.enable_server_reflection(
            (SERVICE_NAME, sweep_servicer.SERVICE_NAME, health.SERVICE_NAME,
             reflection.SERVICE_NAME), server)
        addr = _address(opts.host, opts.port)
        try:
            if credentials is not None:
                port = server.add_secure_port(addr, credentials)
            else:
                port = server.add_insecure_port(addr)
        except RuntimeError as e:
            raise ConfigurationError(f"cannot listen on {addr}: {e}") from e
        if not port:
            raise ConfigurationError(f"cannot listen on {addr}")
        self.port = port = int(port)
        self._server = server
        await server.start()
        for name in ("", SERVICE_NAME, sweep_servicer.SERVICE_NAME):
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("gosim serving on %s (data in %s, %d workers%s%s)", self.address,
                 opts.data_dir, lim.workers, ", TLS" if credentials else "",
                 ", token required" if opts.token else "")
        return port

    async def stop(self, grace: float | None = None) -> None:
        """Graceful stop (see the module doc); safe to call more than once."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        grace = self.opts.grace_s if grace is None else grace
        if self._health is not None:
            await self._health.enter_graceful_shutdown()
        if self._server is not None:
            await self._server.stop(grace)
        await self._shutdown_backend()
        log.info("gosim server stopped")

    async def _shutdown_backend(self) -> None:
        jobs, executor, store = self._jobs, self._executor, self._store
        self._jobs = self._executor = self._store = None
        sweeps, self._sweeps = self._sweeps, None
        if sweeps is not None:
            await sweeps.shutdown()
            sweeps.store.close()
        if jobs is not None:
            await jobs.shutdown()
        if executor is not None:
            await asyncio.to_thread(executor.shutdown)
        if store is not None:
            store.close()

    async def wait_stopped(self) -> None:
        await self._stopped.wait()


class BackgroundServer:
    """A GosimServer in a thread of its own: start() -> port, stop(grace)."""

    def __init__(self, opts: ServerOptions) -> None:
        self.opts = opts
        self.server: GosimServer | None = None
        self.port: int = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._done: asyncio.Event | None = None

    @property
    def target(self) -> str:
        return _address("127.0.0.1" if self.opts.host in ("0.0.0.0", "::") else self.opts.host,
                        self.port)

    def start(self, timeout: float = 30.0) -> int:
        self._thread = threading.Thread(target=self._run, name="gosim-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the server did not start in time")
        if self._error is not None:
            raise self._error
        return self.port

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._done = asyncio.Event()
        self.server = GosimServer(self.opts)
        try:
            self.port = await self.server.start()
        except BaseException as e:
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        await self._done.wait()

    def stop(self, grace: float = 1.0, timeout: float = 60.0) -> None:
        if self._loop is None or self.server is None or self._done is None:
            return
        loop, done, server = self._loop, self._done, self.server
        if self._thread is not None and self._thread.is_alive():
            fut = asyncio.run_coroutine_threadsafe(server.stop(grace), loop)
            fut.result(timeout)
            loop.call_soon_threadsafe(done.set)
            self._thread.join(timeout)
