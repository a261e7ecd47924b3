"""The gosim.v1.SimulatorService servicer: thin async methods over admission, runner and jobs.

Each method only parses the request, calls one operation and builds the response. Errors are
raised as errors.ServiceError by the layers below and turned into a status (with google.rpc
details) by the @unary / @streaming wrappers, which also make sure that nothing a client sends
can escape as an unhandled exception: anything unexpected is logged and answered with INTERNAL.

The servicer runs in the grpc.aio event loop; simulations run in the executor's worker
processes and store access in threads (asyncio.to_thread), so no method blocks the loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc

import simcore
from gosim.v1 import simulator_pb2 as pb
from gosim.v1 import simulator_pb2_grpc
from server import convert, errors, runner
from server.admission import Slots, admit_config
from server.executor import Executor
from server.jobs import JobManager
from server.limits import Limits

log = logging.getLogger("gosim.servicer")

Req = TypeVar("Req")
Resp = TypeVar("Resp")


def unary(fn: Callable[[Any, Req, grpc.aio.ServicerContext], Awaitable[Resp]]
          ) -> Callable[[Any, Req, grpc.aio.ServicerContext], Awaitable[Resp]]:
    @functools.wraps(fn)
    async def wrapper(self: Any, request: Req, context: grpc.aio.ServicerContext) -> Resp:
        try:
            return await fn(self, request, context)
        except errors.ServiceError as e:
            await errors.abort(context, e)
        except grpc.aio.AbortError:
            raise
        except Exception:
            log.exception("%s failed", fn.__name__)
            await errors.abort(context, errors.internal(f"internal error in {fn.__name__}"))
        raise AssertionError("unreachable")  # abort() always raises

    return wrapper


def streaming(fn: Callable[[Any, Req, grpc.aio.ServicerContext], AsyncIterator[Resp]]
              ) -> Callable[[Any, Req, grpc.aio.ServicerContext], AsyncIterator[Resp]]:
    @functools.wraps(fn)
    async def wrapper(self: Any, request: Req,
                      context: grpc.aio.ServicerContext) -> AsyncIterator[Resp]:
        gen = fn(self, request, context)
        try:
            async for msg in gen:
                yield msg
        except errors.ServiceError as e:
            await errors.abort(context, e)
        except grpc.aio.AbortError:
            raise
        except Exception:
            log.exception("%s failed", fn.__name__)
            await errors.abort(context, errors.internal(f"internal error in {fn.__name__}"))
        finally:
            await gen.aclose()  # type: ignore[attr-defined]

    return wrapper


class SimulatorServicer(simulator_pb2_grpc.SimulatorServiceServicer):
    def __init__(self, executor: Executor, jobs: JobManager, slots: Slots,
                 limits: Limits) -> None:
        self.executor = executor
        self.jobs = jobs
        self.slots = slots
        self.limits = limits

    async def _admit(self, config: Any) -> simcore.SimConfig:
        # In a thread: a request near max_message_bytes can take a while to convert and
        # validate, and the event loop must keep answering other calls meanwhile.
        return await asyncio.to_thread(admit_config, config, self.limits)

    @unary
    async def Simulate(self, request: pb.SimulateRequest,
                       context: grpc.aio.ServicerContext) -> pb.SimulateResponse:
        cfg = await self._admit(request.config)
        self.slots.acquire()
        try:
            return pb.SimulateResponse(result=await runner.run(self.executor, cfg))
        finally:
            self.slots.release()

    @streaming
    async def StreamSimulate(self, request: pb.StreamSimulateRequest,
                             context: grpc.aio.ServicerContext
                             ) -> AsyncIterator[pb.StreamSimulateResponse]:
        cfg = await self._admit(request.config)
        self.slots.acquire()
        try:
            async for msg in runner.stream(self.executor, cfg):
                yield msg
        finally:
            self.slots.release()

    @unary
    async def SubmitJob(self, request: pb.SubmitJobRequest,
                        context: grpc.aio.ServicerContext) -> pb.SubmitJobResponse:
        cfg = await self._admit(request.config)
        return pb.SubmitJobResponse(job=await self.jobs.submit(cfg, request.label))

    @unary
    async def GetJob(self, request: pb.GetJobRequest,
                     context: grpc.aio.ServicerContext) -> pb.GetJobResponse:
        return pb.GetJobResponse(job=await self.jobs.get(request.id))

    @unary
    async def ListJobs(self, request: pb.ListJobsRequest,
                       context: grpc.aio.ServicerContext) -> pb.ListJobsResponse:
        jobs, token = await self.jobs.list_jobs(list(request.states), request.page_size,
                                                request.page_token)
        return pb.ListJobsResponse(jobs=jobs, next_page_token=token)

    @unary
    async def CancelJob(self, request: pb.CancelJobRequest,
                        context: grpc.aio.ServicerContext) -> pb.CancelJobResponse:
        return pb.CancelJobResponse(job=await self.jobs.cancel(request.id))

    @streaming
    async def WatchJob(self, request: pb.WatchJobRequest,
                       context: grpc.aio.ServicerContext) -> AsyncIterator[pb.WatchJobResponse]:
        async for job in self.jobs.watch(request.id):
            yield pb.WatchJobResponse(job=job)

    @unary
    async def GetModelInfo(self, request: pb.GetModelInfoRequest,
                           context: grpc.aio.ServicerContext) -> pb.GetModelInfoResponse:
        return pb.GetModelInfoResponse(
            gosim_version=simcore.GOSIM_VERSION,
            go_version=simcore.GO_VERSION,
            default_cost_model=convert.cost_model_to_proto(simcore.CostModel()),
            default_config=convert.config_to_proto(simcore.SimConfig()),
            # Limits mirrors ServerLimits field for field.
            limits=pb.ServerLimits(**dataclasses.asdict(self.limits)),
        )
