"""A typed Python client for a gosim server (gosim.v1.SimulatorService), over the generated stubs.

    from clients.client import Client
    from simcore.presets import web_api

    with Client("127.0.0.1:50051") as gosim:            # token=..., tls_ca="ca.pem"
        result = gosim.simulate(web_api(gogc=50))         # a simcore.Result
        for event in gosim.stream(web_api()):             # Progress, CycleRecord..., Result
            ...
        job = gosim.submit(web_api(), label="nightly")    # a Job (state QUEUED)
        for job in gosim.watch(job.id): ...               # the job on every change
        gosim.get(job.id).result, gosim.list().jobs, gosim.cancel(job.id), gosim.model_info()

How it works. A Client owns one grpc.Channel (plaintext, or TLS when tls_ca or tls=True is
given) and a SimulatorServiceStub. Each method turns its arguments into the request message,
calls the stub with the bearer token as `authorization` metadata (so a token works over
plaintext loopback as well as TLS) and converts the reply with server.convert into simcore's
dataclasses: configs are simcore.SimConfig, results simcore.Result, cycles simcore.CycleRecord;
jobs, progress and model info are the small frozen dataclasses below (each keeps its proto in
`.proto`). A config may be given as a simcore.SimConfig, a gosim.v1.SimConfig proto, or a dict
in the proto's JSON mapping (as in a workload file).

Errors: every grpc.RpcError is re-raised as GosimError, which carries the status code, the
message and the google.rpc details from the `grpc-status-details-bin` trailer: BadRequest
field violations (field paths relative to the request, e.g. "config.runtime.gomaxprocs") and
QuotaFailure violations (subject = the server limit's name). A streaming call that is
abandoned (the iterator closed, or an exception such as KeyboardInterrupt while iterating) is
cancelled, which stops the simulation on the server.

Deadlines: simulate, stream and watch wait as long as the simulation takes unless timeout is
given; the other calls use rpc_timeout (30 s by default).

clients.aio.AsyncClient is the same API for asyncio (grpc.aio). The dict/JSON/DataFrame helpers
of clients.results are re-exported here.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2

import simcore
from clients.results import (
    ResultLike,
    cycles_frame,
    histogram_frame,
    load_result,
    result_to_dict,
    result_to_json,
    save_result,
    series_frame,
)
from gosim.v1 import config_pb2, simulator_pb2, simulator_pb2_grpc
from server import convert

DEFAULT_ADDRESS = "127.0.0.1:50051"
DEFAULT_RPC_TIMEOUT_S = 30.0
# Results of long runs can be large; the server's own default limit is 64 MiB.
MAX_MESSAGE_BYTES = 256 << 20

ConfigLike = simcore.SimConfig | config_pb2.SimConfig | Mapping[str, Any]


# ---------------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class FieldViolation:
    """One bad field: its path in the request (e.g. "config.runtime.gomaxprocs") and why."""

    field: str
    description: str


@dataclass(frozen=True)
class QuotaViolation:
    """A server limit the work exceeded: subject is the limit's name (e.g. "max_duration_ns")."""

    subject: str
    description: str


class GosimError(Exception):
    """A failed gosim call: the gRPC status code, its message and the google.rpc details."""

    def __init__(self, code: grpc.StatusCode, message: str,
                 field_violations: Sequence[FieldViolation] = (),
                 quota_violations: Sequence[QuotaViolation] = ()) -> None:
        self.code = code
        self.message = message
        self.field_violations = tuple(field_violations)
        self.quota_violations = tuple(quota_violations)
        super().__init__(self._text())

    @property
    def code_name(self) -> str:
        """The status code's name, e.g. "INVALID_ARGUMENT"."""
        return str(self.code.name)

    def _text(self) -> str:
        lines = [f"{self.code_name}: {self.message}"]
        # The server's message lists the first violations already; add the ones it left out.
        lines += [f"  {v.field}: {v.description}" for v in self.field_violations
                  if f"{v.field}: {v.description}" not in self.message]
        lines += [f"  limit {v.subject}: {v.description}" for v in self.quota_violations
                  if v.description not in self.message]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code_name, "message": self.message,
                "field_violations": [{"field": v.field, "description": v.description}
                                     for v in self.field_violations],
                "quota_violations": [{"subject": v.subject, "description": v.description}
                                     for v in self.quota_violations]}

    @classmethod
    def from_rpc_error(cls, err: grpc.RpcError) -> GosimError:
        """Build from a sync or asyncio grpc error, parsing google.rpc.Status details."""
        call: Any = err
        code = call.code() if hasattr(call, "code") else grpc.StatusCode.UNKNOWN
        message = (call.details() if hasattr(call, "details") else None) or str(err)
        fields: list[FieldViolation] = []
        quotas: list[QuotaViolation] = []
        status = _status_details(call)
        if status is not None:
            for detail in status.details:
                bad = error_details_pb2.BadRequest()
                quota = error_details_pb2.QuotaFailure()
                if detail.Is(bad.DESCRIPTOR) and detail.Unpack(bad):
                    fields += [FieldViolation(v.field, v.description)
                               for v in bad.field_violations]
                elif detail.Is(quota.DESCRIPTOR) and detail.Unpack(quota):
                    quotas += [QuotaViolation(v.subject, v.description)
                               for v in quota.violations]
        return cls(code or grpc.StatusCode.UNKNOWN, message, fields, quotas)


def _status_details(call: Any) -> status_pb2.Status | None:
    """The google.rpc.Status in the call's grpc-status-details-bin trailer, if any."""
    try:
        trailers = call.trailing_metadata() if hasattr(call, "trailing_metadata") else None
    except Exception:  # a call that never reached the server has no trailers
        return None
    for key, value in trailers or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status()
            try:
                status.ParseFromString(value)
            except Exception:
                return None
            return status
    return None


# ---------------------------------------------------------------------------------------------
# Typed values


class JobState(enum.Enum):
    """Where a job is in its life (gosim.v1.JobState without the prefix)."""

    UNSPECIFIED = simulator_pb2.JOB_STATE_UNSPECIFIED
    QUEUED = simulator_pb2.JOB_STATE_QUEUED
    RUNNING = simulator_pb2.JOB_STATE_RUNNING
    SUCCEEDED = simulator_pb2.JOB_STATE_SUCCEEDED
    FAILED = simulator_pb2.JOB_STATE_FAILED
    CANCELLED = simulator_pb2.JOB_STATE_CANCELLED

    @property
    def terminal(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)

    @classmethod
    def parse(cls, value: JobState | str | int) -> JobState:
        """From a JobState, a name ("succeeded", "JOB_STATE_SUCCEEDED") or a proto number."""
        if isinstance(value, JobState):
            return value
        if isinstance(value, int):
            return cls(value)
        name = value.strip().upper().removeprefix("JOB_STATE_")
        try:
            return cls[name]
        except KeyError:
            choices = ", ".join(s.name.lower() for s in cls if s is not cls.UNSPECIFIED)
            raise ValueError(f"unknown job state {value!r}; expected one of {choices}") from None


@dataclass(frozen=True)
class Progress:
    """Where a run is (StreamSimulate's and a job's progress): simulated time reached of the
    total, cycles and requests so far, wall clock elapsed and the server's ETA (None until it
    can extrapolate)."""

    simulated_ns: int
    duration_ns: int
    cycles: int
    requests_completed: int
    fraction: float
    elapsed_ns: int
    eta_ns: int | None

    @classmethod
    def from_proto(cls, p: simulator_pb2.Progress) -> Progress:
        return cls(simulated_ns=p.simulated_ns, duration_ns=p.duration_ns, cycles=p.cycles,
                   requests_completed=p.requests_completed, fraction=p.fraction,
                   elapsed_ns=p.elapsed_ns, eta_ns=p.eta_ns if p.HasField("eta_ns") else None)


StreamEvent = Progress | simcore.CycleRecord | simcore.Result


def _time(msg: simulator_pb2.Job, name: str) -> datetime.datetime | None:
    if not msg.HasField(name):
        return None
    ts = getattr(msg, name)
    return datetime.datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, tz=datetime.UTC)


@dataclass(frozen=True)
class Job:
    """A stored simulation (gosim.v1.Job) with simcore types: config is the SimConfig it runs
    (None if it cannot be converted; .proto has it raw), result the Result once SUCCEEDED."""

    id: str
    state: JobState
    label: str
    config: simcore.SimConfig | None
    create_time: datetime.datetime | None
    start_time: datetime.datetime | None
    finish_time: datetime.datetime | None
    progress: Progress | None
    error: str
    attempts: int
    result: simcore.Result | None
    proto: simulator_pb2.Job = field(repr=False, compare=False)

    @property
    def terminal(self) -> bool:
        return self.state.terminal

    @classmethod
    def from_proto(cls, msg: simulator_pb2.Job) -> Job:
        config: simcore.SimConfig | None = None
        if msg.HasField("config"):
            try:
                config = convert.config_from_proto(msg.config)
            except simcore.ConfigError:
                config = None
        result = convert.result_from_proto(msg.result) if msg.HasField("result") else None
        try:
            state = JobState(msg.state)
        except ValueError:
            state = JobState.UNSPECIFIED
        return cls(id=msg.id, state=state, label=msg.label, config=config,
                   create_time=_time(msg, "create_time"), start_time=_time(msg, "start_time"),
                   finish_time=_time(msg, "finish_time"),
                   progress=Progress.from_proto(msg.progress) if msg.HasField("progress")
                   else None,
                   error=msg.error, attempts=msg.attempts, result=result, proto=msg)


@dataclass(frozen=True)
class JobPage:
    """One page of ListJobs: jobs newest first (without results) and the next page's token
    ("" on the last page)."""

    jobs: tuple[Job, ...]
    next_page_token: str


@dataclass(frozen=True)
class ModelInfo:
    """GetModelInfo: versions, the defaults every absent field takes, and the server limits."""

    gosim_version: str
    go_version: str
    default_cost_model: simcore.CostModel
    default_config: simcore.SimConfig
    limits: dict[str, int]
    proto: simulator_pb2.GetModelInfoResponse = field(repr=False, compare=False)

    @classmethod
    def from_proto(cls, msg: simulator_pb2.GetModelInfoResponse) -> ModelInfo:
        cfg = convert.config_from_proto(msg.default_config)
        limits = {f.name: int(getattr(msg.limits, f.name))
                  for f in msg.limits.DESCRIPTOR.fields}
        cost = convert.config_from_proto(config_pb2.SimConfig(cost=msg.default_cost_model)).cost
        return cls(gosim_version=msg.gosim_version, go_version=msg.go_version,
                   default_cost_model=cost, default_config=cfg, limits=limits, proto=msg)


# ---------------------------------------------------------------------------------------------
# Conversions shared with clients.aio


def config_proto(config: ConfigLike | None) -> config_pb2.SimConfig:
    """The gosim.v1.SimConfig for a simcore.SimConfig, a proto (used as is) or a dict in the
    proto's JSON mapping (None: all defaults). A dict that does not parse raises ValueError."""
    if config is None:
        return config_pb2.SimConfig()
    if isinstance(config, config_pb2.SimConfig):
        return config
    if isinstance(config, simcore.SimConfig):
        return convert.config_to_proto(config)
    if isinstance(config, Mapping):
        try:
            return json_format.ParseDict(dict(config), config_pb2.SimConfig())
        except json_format.ParseError as e:
            raise ValueError(f"not a gosim.v1.SimConfig in the JSON mapping: {e}") from e
    raise TypeError(f"expected a simcore.SimConfig, a gosim.v1.SimConfig or a dict, "
                    f"got {type(config).__name__}")


def event_from_proto(msg: simulator_pb2.StreamSimulateResponse) -> StreamEvent | None:
    """A StreamSimulate message as Progress, simcore.CycleRecord or simcore.Result."""
    which = msg.WhichOneof("event")
    if which == "progress":
        return Progress.from_proto(msg.progress)
    if which == "cycle":
        return convert.cycle_from_proto(msg.cycle)
    if which == "result":
        return convert.result_from_proto(msg.result)
    return None  # an event kind newer than this client


def states_proto(states: Iterable[JobState | str | int]) -> list[str]:
    """ListJobsRequest.states by enum name ("JOB_STATE_SUCCEEDED")."""
    return [f"JOB_STATE_{JobState.parse(s).name}" for s in states]


def channel_credentials(tls_ca: str | Path | bytes | None = None,
                        tls: bool = False) -> grpc.ChannelCredentials | None:
    """TLS credentials trusting the PEM root certificate(s) tls_ca (a path or the bytes), or the
    system roots when only tls is set; None for plaintext."""
    if tls_ca is None and not tls:
        return None
    root = None
    if tls_ca is not None:
        root = tls_ca if isinstance(tls_ca, bytes) else Path(tls_ca).read_bytes()
    return grpc.ssl_channel_credentials(root_certificates=root)


def channel_options(extra: Sequence[tuple[str, Any]] = ()) -> list[tuple[str, Any]]:
    return [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES), *extra]


def auth_metadata(token: str | None) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),) if token else ()


# ---------------------------------------------------------------------------------------------
# The synchronous client


class Client:
    """A connection to a gosim server (see the module doc). Use as a context manager, or call
    close()."""

    def __init__(self, address: str = DEFAULT_ADDRESS, *, token: str | None = None,
                 tls_ca: str | Path | bytes | None = None, tls: bool = False,
                 rpc_timeout: float | None = DEFAULT_RPC_TIMEOUT_S,
                 options: Sequence[tuple[str, Any]] = (),
                 channel: grpc.Channel | None = None) -> None:
        self.address = address
        self.rpc_timeout = rpc_timeout
        self._metadata = auth_metadata(token)
        if channel is None:
            creds = channel_credentials(tls_ca, tls)
            opts = channel_options(options)
            channel = (grpc.secure_channel(address, creds, options=opts) if creds is not None
                       else grpc.insecure_channel(address, options=opts))
        self.channel = channel
        self.stub = simulator_pb2_grpc.SimulatorServiceStub(channel)  # type: ignore[no-untyped-call]

    # -- lifecycle

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _unary(self, method: Any, request: Any, timeout: float | None) -> Any:
        try:
            return method(request, metadata=self._metadata, timeout=timeout)
        except grpc.RpcError as e:
            raise GosimError.from_rpc_error(e) from None

    def _stream(self, method: Any, request: Any, timeout: float | None) -> Iterator[Any]:
        call = method(request, metadata=self._metadata, timeout=timeout)
        try:
            yield from call
        except grpc.RpcError as e:
            raise GosimError.from_rpc_error(e) from None
        finally:
            call.cancel()  # no-op once the stream has ended; stops an abandoned run

    # -- simulations

    def simulate(self, config: ConfigLike | None = None, *, timeout: float | None = None,
                 on_progress: Callable[[Progress], None] | None = None) -> simcore.Result:
        """Run one simulation and return its result. With on_progress, the run is streamed and
        on_progress is called with each Progress (about 10 a second)."""
        if on_progress is None:
            reply = self._unary(self.stub.Simulate,
                                simulator_pb2.SimulateRequest(config=config_proto(config)),
                                timeout)
            return convert.result_from_proto(reply.result)
        for event in self.stream(config, timeout=timeout):
            if isinstance(event, Progress):
                on_progress(event)
            elif isinstance(event, simcore.Result):
                return event
        raise GosimError(grpc.StatusCode.INTERNAL, "the stream ended without a result")

    def stream(self, config: ConfigLike | None = None, *,
               timeout: float | None = None) -> Iterator[StreamEvent]:
        """Run one simulation, yielding Progress and simcore.CycleRecord events as they happen
        and the simcore.Result last."""
        request = simulator_pb2.StreamSimulateRequest(config=config_proto(config))
        for msg in self._stream(self.stub.StreamSimulate, request, timeout):
            event = event_from_proto(msg)
            if event is not None:
                yield event

    # -- jobs

    def submit(self, config: ConfigLike | None = None, label: str = "", *,
               timeout: float | None = None) -> Job:
        """Store the simulation as a job and queue it; returns the QUEUED job at once."""
        reply = self._unary(self.stub.SubmitJob,
                            simulator_pb2.SubmitJobRequest(config=config_proto(config),
                                                           label=label),
                            timeout or self.rpc_timeout)
        return Job.from_proto(reply.job)

    def get(self, job_id: str, *, timeout: float | None = None) -> Job:
        """The job, with its result once it has succeeded (GosimError NOT_FOUND if unknown)."""
        reply = self._unary(self.stub.GetJob, simulator_pb2.GetJobRequest(id=job_id),
                            timeout or self.rpc_timeout)
        return Job.from_proto(reply.job)

    def list_jobs(self, states: Iterable[JobState | str | int] = (), page_size: int = 0,
                  page_token: str = "", *, timeout: float | None = None) -> JobPage:
        """One page of jobs, newest first, optionally only in these states (results left out).
        Pass the page's next_page_token for the next page."""
        request = simulator_pb2.ListJobsRequest(states=states_proto(states),
                                                page_size=page_size, page_token=page_token)
        reply = self._unary(self.stub.ListJobs, request, timeout or self.rpc_timeout)
        return JobPage(tuple(Job.from_proto(j) for j in reply.jobs), reply.next_page_token)

    list = list_jobs

    def iter_jobs(self, states: Iterable[JobState | str | int] = (),
                  page_size: int = 0) -> Iterator[Job]:
        """Every job, newest first, fetching page after page."""
        wanted = tuple(states)
        token = ""
        while True:
            page = self.list_jobs(wanted, page_size, token)
            yield from page.jobs
            token = page.next_page_token
            if not token:
                return

    def cancel(self, job_id: str, *, timeout: float | None = None) -> Job:
        """Cancel a queued or running job; a finished job is returned unchanged."""
        reply = self._unary(self.stub.CancelJob, simulator_pb2.CancelJobRequest(id=job_id),
                            timeout or self.rpc_timeout)
        return Job.from_proto(reply.job)

    def watch(self, job_id: str, *, timeout: float | None = None) -> Iterator[Job]:
        """The job now, then after every change, ending with the terminal job (carrying the
        result when it succeeded)."""
        request = simulator_pb2.WatchJobRequest(id=job_id)
        for msg in self._stream(self.stub.WatchJob, request, timeout):
            yield Job.from_proto(msg.job)

    def wait(self, job_id: str, *, timeout: float | None = None,
             on_update: Callable[[Job], None] | None = None) -> Job:
        """Watch the job until it is terminal and return it (on_update sees every update)."""
        last: Job | None = None
        for job in self.watch(job_id, timeout=timeout):
            last = job
            if on_update is not None:
                on_update(job)
        if last is None:
            raise GosimError(grpc.StatusCode.INTERNAL, "the watch ended without a job")
        return last

    # -- model

    def model_info(self, *, timeout: float | None = None) -> ModelInfo:
        """Versions, the default config and cost model, and the server's limits."""
        reply = self._unary(self.stub.GetModelInfo, simulator_pb2.GetModelInfoRequest(),
                            timeout or self.rpc_timeout)
        return ModelInfo.from_proto(reply)


def connect(address: str = DEFAULT_ADDRESS, *, token: str | None = None,
            tls_ca: str | Path | bytes | None = None, tls: bool = False) -> Client:
    """Client(address, token=..., tls_ca=..., tls=...): a connection to a gosim server."""
    return Client(address, token=token, tls_ca=tls_ca, tls=tls)


__all__ = [
    "DEFAULT_ADDRESS",
    "Client",
    "ConfigLike",
    "FieldViolation",
    "GosimError",
    "Job",
    "JobPage",
    "JobState",
    "ModelInfo",
    "Progress",
    "QuotaViolation",
    "ResultLike",
    "StreamEvent",
    "auth_metadata",
    "channel_credentials",
    "config_proto",
    "connect",
    "cycles_frame",
    "event_from_proto",
    "histogram_frame",
    "load_result",
    "result_to_dict",
    "result_to_json",
    "save_result",
    "series_frame",
]
