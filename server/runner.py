"""Running one simulation from asyncio: the bridge between the event loop and the executor.

events() submits a config to the executor (server/executor.py) and yields its events in the
event loop as (kind, payload) pairs; the executor's slot thread hands them over with
loop.call_soon_threadsafe into an asyncio.Queue. If the consumer stops early — the RPC was
cancelled, its deadline passed (grpc.aio cancels the handler's task), or the client went away —
the generator's `finally` cancels the executor task, which stops the worker within about a
second.

run() and stream() are what Simulate and StreamSimulate do: run() waits for the result,
stream() turns the events into StreamSimulateResponse messages (progress with elapsed time and
ETA, cycle records, then the result). Terminal failures become ServiceErrors: a rejected config
INVALID_ARGUMENT, the wall-clock limit RESOURCE_EXHAUSTED, a model failure INTERNAL, a
cancellation by the server's shutdown UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import grpc

import simcore
from gosim.v1 import result_pb2, simulator_pb2
from server import convert, errors
from server.executor import Executor, SimTask


def eta_ns(p: simcore.Progress, elapsed_ns: int) -> int | None:
    """Wall time left, extrapolated linearly from the fraction done (None without progress)."""
    f = p.fraction
    if f <= 0 or elapsed_ns <= 0:
        return None
    return int(elapsed_ns * (1 - f) / f)


def progress_message(p: simcore.Progress, elapsed_ns: int) -> simulator_pb2.Progress:
    return convert.progress_to_proto(p, elapsed_ns=elapsed_ns, eta_ns=eta_ns(p, elapsed_ns))


def failure(kind: str, payload: Any) -> errors.ServiceError:
    """The ServiceError for a terminal event other than "done"."""
    if kind == "invalid":
        return errors.invalid_argument(convert.prefix_violations(payload, "config"),
                                       "invalid simulation config")
    if kind == "limit":
        return errors.resource_exhausted(*payload)
    if kind == "cancelled":
        if payload and "shutting down" in str(payload):
            return errors.ServiceError(grpc.StatusCode.UNAVAILABLE, str(payload))
        return errors.ServiceError(grpc.StatusCode.CANCELLED, f"simulation cancelled: {payload}")
    return errors.internal(f"simulation failed: {payload}")


def submit(executor: Executor, cfg: simcore.SimConfig, *, want_cycles: bool
           ) -> tuple[SimTask, asyncio.Queue[tuple[str, Any]]]:
    """Submit cfg; its events arrive in the returned queue, in order, in this event loop."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def on_event(kind: str, payload: Any) -> None:  # runs in a slot thread
        # RuntimeError: the loop is closed, so nobody is listening any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(queue.put_nowait, (kind, payload))

    return executor.submit(cfg, on_event, want_cycles=want_cycles), queue


async def events(executor: Executor, cfg: simcore.SimConfig, *,
                 want_cycles: bool) -> AsyncGenerator[tuple[str, Any], None]:
    """Yield the simulation's events up to and including the terminal one."""
    task, queue = submit(executor, cfg, want_cycles=want_cycles)
    try:
        while True:
            kind, payload = await queue.get()
            yield kind, payload
            if kind in ("done", "cancelled", "invalid", "limit", "failed"):
                return
    finally:
        task.cancel("the client cancelled the call or its deadline passed")


async def run(executor: Executor, cfg: simcore.SimConfig) -> result_pb2.Result:
    """Run cfg to the end and return its Result proto (or raise ServiceError)."""
    gen = events(executor, cfg, want_cycles=False)
    try:
        async for kind, payload in gen:
            if kind == "done":
                return await asyncio.to_thread(result_pb2.Result.FromString, payload)
            if kind in ("cancelled", "invalid", "limit", "failed"):
                raise failure(kind, payload)
    finally:
        await gen.aclose()
    raise errors.internal("the simulation ended without a result")


async def stream(executor: Executor, cfg: simcore.SimConfig
                 ) -> AsyncIterator[simulator_pb2.StreamSimulateResponse]:
    """StreamSimulate's messages: progress and cycles as they happen, the result last."""
    resp = simulator_pb2.StreamSimulateResponse
    gen = events(executor, cfg, want_cycles=True)
    try:
        async for kind, payload in gen:
            if kind == "started":
                p0 = simcore.Progress(0, cfg.duration_ns, 0, 0)
                yield resp(progress=progress_message(p0, 0))
            elif kind == "progress":
                yield resp(progress=progress_message(*payload))
            elif kind == "cycle":
                yield resp(cycle=result_pb2.CycleRecord.FromString(payload))
            elif kind == "done":
                result = await asyncio.to_thread(result_pb2.Result.FromString, payload)
                yield resp(result=result)
                return
            else:
                raise failure(kind, payload)
    finally:
        await gen.aclose()
