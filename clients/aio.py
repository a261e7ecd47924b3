"""The asyncio client for a gosim server: clients.client.Client's API over grpc.aio.

    import asyncio
    from clients.aio import AsyncClient
    from simcore.presets import web_api

    async def main() -> None:
        async with AsyncClient("127.0.0.1:50051") as gosim:
            results = await asyncio.gather(*(gosim.simulate(web_api(gogc=g))
                                             for g in (50, 100, 200)))
            async for event in gosim.stream(web_api()):   # Progress, CycleRecord..., Result
                ...

    asyncio.run(main())

How it works: one grpc.aio channel and stub per AsyncClient, created in the running event loop
(so create the client inside a coroutine). Requests are built and replies converted by the same
helpers as the sync client (clients.client: config_proto, event_from_proto, Job, ModelInfo),
and grpc.aio errors are raised as the same GosimError with the status code and the google.rpc
field and quota violations. An async iterator that is closed early, or a task cancelled while
it awaits a call, cancels the RPC (and so the simulation on the server).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
import grpc.aio

import simcore
from clients.client import (
    DEFAULT_ADDRESS,
    DEFAULT_RPC_TIMEOUT_S,
    ConfigLike,
    GosimError,
    Job,
    JobPage,
    JobState,
    ModelInfo,
    Progress,
    StreamEvent,
    auth_metadata,
    channel_credentials,
    channel_options,
    config_proto,
    event_from_proto,
    states_proto,
)
from gosim.v1 import simulator_pb2, simulator_pb2_grpc
from server import convert


class AsyncClient:
    """A grpc.aio connection to a gosim server; `async with`, or await close()."""

    def __init__(self, address: str = DEFAULT_ADDRESS, *, token: str | None = None,
                 tls_ca: str | Path | bytes | None = None, tls: bool = False,
                 rpc_timeout: float | None = DEFAULT_RPC_TIMEOUT_S,
                 options: Sequence[tuple[str, Any]] = (),
                 channel: grpc.aio.Channel | None = None) -> None:
        self.address = address
        self.rpc_timeout = rpc_timeout
        self._metadata = auth_metadata(token)
        if channel is None:
            creds = channel_credentials(tls_ca, tls)
            opts = channel_options(options)
            channel = (grpc.aio.secure_channel(address, creds, options=opts)
                       if creds is not None else grpc.aio.insecure_channel(address, options=opts))
        self.channel = channel
        self.stub = simulator_pb2_grpc.SimulatorServiceStub(channel)  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        await self.channel.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def _unary(self, method: Any, request: Any, timeout: float | None) -> Any:
        try:
            return await method(request, metadata=self._metadata, timeout=timeout)
        except grpc.RpcError as e:
            raise GosimError.from_rpc_error(e) from None

    async def _stream(self, method: Any, request: Any,
                      timeout: float | None) -> AsyncIterator[Any]:
        call = method(request, metadata=self._metadata, timeout=timeout)
        try:
            async for msg in call:
                yield msg
        except grpc.RpcError as e:
            raise GosimError.from_rpc_error(e) from None
        finally:
            call.cancel()

    # -- simulations

    async def simulate(self, config: ConfigLike | None = None, *, timeout: float | None = None,
                       on_progress: Callable[[Progress], None] | None = None
                       ) -> simcore.Result:
        """Run one simulation and return its result (streamed when on_progress is given)."""
        if on_progress is None:
            reply = await self._unary(
                self.stub.Simulate, simulator_pb2.SimulateRequest(config=config_proto(config)),
                timeout)
            return convert.result_from_proto(reply.result)
        async for event in self.stream(config, timeout=timeout):
            if isinstance(event, Progress):
                on_progress(event)
            elif isinstance(event, simcore.Result):
                return event
        raise GosimError(grpc.StatusCode.INTERNAL, "the stream ended without a result")

    async def stream(self, config: ConfigLike | None = None, *,
                     timeout: float | None = None) -> AsyncIterator[StreamEvent]:
        """Progress and simcore.CycleRecord events as they happen, then the simcore.Result."""
        request = simulator_pb2.StreamSimulateRequest(config=config_proto(config))
        async for msg in self._stream(self.stub.StreamSimulate, request, timeout):
            event = event_from_proto(msg)
            if event is not None:
                yield event

    # -- jobs

    async def submit(self, config: ConfigLike | None = None, label: str = "", *,
                     timeout: float | None = None) -> Job:
        reply = await self._unary(
            self.stub.SubmitJob,
            simulator_pb2.SubmitJobRequest(config=config_proto(config), label=label),
            timeout or self.rpc_timeout)
        return Job.from_proto(reply.job)

    async def get(self, job_id: str, *, timeout: float | None = None) -> Job:
        reply = await self._unary(self.stub.GetJob, simulator_pb2.GetJobRequest(id=job_id),
                                  timeout or self.rpc_timeout)
        return Job.from_proto(reply.job)

    async def list_jobs(self, states: Iterable[JobState | str | int] = (), page_size: int = 0,
                        page_token: str = "", *, timeout: float | None = None) -> JobPage:
        request = simulator_pb2.ListJobsRequest(states=states_proto(states),
                                                page_size=page_size, page_token=page_token)
        reply = await self._unary(self.stub.ListJobs, request, timeout or self.rpc_timeout)
        return JobPage(tuple(Job.from_proto(j) for j in reply.jobs), reply.next_page_token)

    list = list_jobs

    async def cancel(self, job_id: str, *, timeout: float | None = None) -> Job:
        reply = await self._unary(self.stub.CancelJob,
                                  simulator_pb2.CancelJobRequest(id=job_id),
                                  timeout or self.rpc_timeout)
        return Job.from_proto(reply.job)

    async def watch(self, job_id: str, *, timeout: float | None = None) -> AsyncIterator[Job]:
        request = simulator_pb2.WatchJobRequest(id=job_id)
        async for msg in self._stream(self.stub.WatchJob, request, timeout):
            yield Job.from_proto(msg.job)

    async def wait(self, job_id: str, *, timeout: float | None = None) -> Job:
        """Watch the job until it is terminal and return it."""
        last: Job | None = None
        async for job in self.watch(job_id, timeout=timeout):
            last = job
        if last is None:
            raise GosimError(grpc.StatusCode.INTERNAL, "the watch ended without a job")
        return last

    # -- model

    async def model_info(self, *, timeout: float | None = None) -> ModelInfo:
        reply = await self._unary(self.stub.GetModelInfo, simulator_pb2.GetModelInfoRequest(),
                                  timeout or self.rpc_timeout)
        return ModelInfo.from_proto(reply)


__all__ = ["AsyncClient"]
