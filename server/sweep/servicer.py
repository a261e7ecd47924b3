"""The gosim.v1.SweepService servicer: thin async methods over the SweepManager.

Like SimulatorServicer (server/servicer.py, whose @unary / @streaming error wrappers it reuses),
each method parses the request, calls one SweepManager operation and builds the response;
ServiceErrors become statuses with google.rpc details, anything unexpected INTERNAL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from gosim.v1 import sweep_pb2 as pb
from gosim.v1 import sweep_pb2_grpc
from server.servicer import streaming, unary
from server.sweep.jobs import SweepManager

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["SweepService"].full_name


class SweepServicer(sweep_pb2_grpc.SweepServiceServicer):
    def __init__(self, sweeps: SweepManager) -> None:
        self.sweeps = sweeps

    @unary
    async def Sweep(self, request: pb.SweepRequest,
                    context: grpc.aio.ServicerContext) -> pb.SweepResponse:
        return pb.SweepResponse(job=await self.sweeps.submit(request.spec, request.label))

    @unary
    async def GetSweep(self, request: pb.GetSweepRequest,
                       context: grpc.aio.ServicerContext) -> pb.GetSweepResponse:
        job, points = await self.sweeps.get(request.id, request.include_points)
        return pb.GetSweepResponse(job=job, points=points)

    @unary
    async def ListSweeps(self, request: pb.ListSweepsRequest,
                         context: grpc.aio.ServicerContext) -> pb.ListSweepsResponse:
        jobs, token = await self.sweeps.list_sweeps(request.page_size, request.page_token)
        return pb.ListSweepsResponse(jobs=jobs, next_page_token=token)

    @unary
    async def CancelSweep(self, request: pb.CancelSweepRequest,
                          context: grpc.aio.ServicerContext) -> pb.CancelSweepResponse:
        return pb.CancelSweepResponse(job=await self.sweeps.cancel(request.id))

    @streaming
    async def WatchSweep(self, request: pb.WatchSweepRequest,
                         context: grpc.aio.ServicerContext
                         ) -> AsyncIterator[pb.WatchSweepResponse]:
        async for msg in self.sweeps.watch(request.id, request.skip_completed_points):
            yield msg

    @streaming
    async def Plan(self, request: pb.PlanRequest,
                   context: grpc.aio.ServicerContext) -> AsyncIterator[pb.PlanResponse]:
        async for msg in self.sweeps.plan(request):
            yield msg
