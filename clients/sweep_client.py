"""A small synchronous Python client for gosim.v1.SweepService, and in-process equivalents.

    from clients.sweep_client import SweepClient, run_sweep_local
    with SweepClient("127.0.0.1:50051") as c:
        job = c.submit(spec, label="gogc")          # a SweepJob (durable on the server)
        for event in c.watch(job.id):               # WatchSweepResponse: job or point
            ...
        job, points = c.get(job.id, include_points=True)
        answer = c.plan(request, on_step=print)      # PlanAnswer

The bearer token comes from the argument or $GOSIM_TOKEN (sent as `authorization: Bearer`);
`tls_ca` (a PEM file) makes the channel TLS.

run_sweep_local(spec, engine) and plan_local(request, engine) do the same work in this process
(on a local pool or a Dask cluster) without a server, through the same server/sweep code.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc

from gosim.v1 import sweep_pb2, sweep_pb2_grpc
from server.sweep import plan as planmod
from server.sweep import spec as specmod
from server.sweep.engine import Engine
from server.sweep.runner import RunStats, SweepRunner


class SweepClient:
    """SweepService over a gRPC channel (see the module doc)."""

    def __init__(self, target: str, *, token: str | None = None,
                 tls_ca: Path | None = None, timeout: float = 30.0) -> None:
        opts = [("grpc.max_receive_message_length", 64 << 20)]
        if tls_ca is not None:
            creds = grpc.ssl_channel_credentials(tls_ca.read_bytes())
            self.channel = grpc.secure_channel(target, creds, options=opts)
        else:
            self.channel = grpc.insecure_channel(target, options=opts)
        self.stub: Any = sweep_pb2_grpc.SweepServiceStub(  # type: ignore[no-untyped-call]
            self.channel)
        token = token if token is not None else os.environ.get("GOSIM_TOKEN")
        self.metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self.timeout = timeout

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> SweepClient:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def submit(self, spec: sweep_pb2.SweepSpec, label: str = "") -> sweep_pb2.SweepJob:
        job: sweep_pb2.SweepJob = self.stub.Sweep(
            sweep_pb2.SweepRequest(spec=spec, label=label), timeout=self.timeout,
            metadata=self.metadata).job
        return job

    def get(self, sweep_id: str, include_points: bool = False
            ) -> tuple[sweep_pb2.SweepJob, list[sweep_pb2.SweepPoint]]:
        r = self.stub.GetSweep(sweep_pb2.GetSweepRequest(id=sweep_id,
                                                         include_points=include_points),
                               timeout=self.timeout, metadata=self.metadata)
        return r.job, list(r.points)

    def list(self, page_size: int = 0, page_token: str = ""
             ) -> tuple[list[sweep_pb2.SweepJob], str]:
        r = self.stub.ListSweeps(sweep_pb2.ListSweepsRequest(page_size=page_size,
                                                             page_token=page_token),
                                 timeout=self.timeout, metadata=self.metadata)
        return list(r.jobs), r.next_page_token

    def cancel(self, sweep_id: str) -> sweep_pb2.SweepJob:
        job: sweep_pb2.SweepJob = self.stub.CancelSweep(
            sweep_pb2.CancelSweepRequest(id=sweep_id), timeout=self.timeout,
            metadata=self.metadata).job
        return job

    def watch(self, sweep_id: str, *, skip_completed_points: bool = False,
              timeout: float | None = None) -> Iterator[sweep_pb2.WatchSweepResponse]:
        req = sweep_pb2.WatchSweepRequest(id=sweep_id,
                                          skip_completed_points=skip_completed_points)
        yield from self.stub.WatchSweep(req, timeout=timeout, metadata=self.metadata)

    def plan(self, request: sweep_pb2.PlanRequest, *,
             on_step: Callable[[sweep_pb2.PlanStep], None] | None = None,
             timeout: float | None = None) -> sweep_pb2.PlanAnswer:
        for msg in self.stub.Plan(request, timeout=timeout, metadata=self.metadata):
            if msg.WhichOneof("event") == "step":
                if on_step is not None:
                    on_step(msg.step)
            else:
                answer: sweep_pb2.PlanAnswer = msg.answer
                return answer
        raise RuntimeError("the Plan stream ended without an answer")


def run_sweep_local(spec: sweep_pb2.SweepSpec, engine: Engine, *,
                    on_point: Callable[[sweep_pb2.SweepPoint], None] | None = None,
                    cancel: threading.Event | None = None, batch_size: int = 0,
                    target: str = "simcore:simulate"
                    ) -> tuple[list[sweep_pb2.SweepPoint], RunStats]:
    """Expand and run a sweep in this process (raises spec.SpecError); points by index."""
    exp = specmod.expand(spec)
    points: list[sweep_pb2.SweepPoint] = []

    def collect(p: sweep_pb2.SweepPoint) -> None:
        points.append(p)
        if on_point is not None:
            on_point(p)

    stats = SweepRunner(engine, target=target, batch_size=batch_size).run(
        exp.points, exp.seeds, collect, cancel)
    return sorted(points, key=lambda p: p.index), stats


def plan_local(request: sweep_pb2.PlanRequest, engine: Engine, *,
               on_step: Callable[[sweep_pb2.PlanStep], None] | None = None,
               target: str = "simcore:simulate") -> sweep_pb2.PlanAnswer:
    """Answer a planning question in this process (raises plan.PlanError)."""
    return planmod.plan(request, SweepRunner(engine, target=target), on_step=on_step)
