"""Sweep jobs and plans in the server: the SweepManager behind SweepService.

It lives in the server's event loop, next to the JobManager, and owns:

- the SweepStore (sweeps.sqlite3 in the data directory);
- one Engine shared by every sweep and plan, created on first use in a thread (spawning a
  process pool or connecting to Dask takes a moment): Dask when $GOSIM_DASK_SCHEDULER (or the
  `cluster` argument) names a scheduler, else a local process pool of `workers` processes;
- for each sweep running in this process, a _Live record with its cancel Event (a
  threading.Event the runner polls) and a "changed" asyncio.Event that watchers wait on.

Life of a sweep: submit() expands and validates the spec in a thread (SpecError ->
INVALID_ARGUMENT naming the axis and path; sweep size or a point above a server limit ->
RESOURCE_EXHAUSTED), stores it QUEUED and launches a driver task. The driver marks it RUNNING,
reads which points are already stored, and runs the others with SweepRunner in a thread; each
completed point is committed to the store from that thread before watchers are woken. At the
end the sweep is SUCCEEDED (failed runs are recorded in their points), FAILED (the engine broke
or could not be created) or CANCELLED.

Cancel writes CANCELLED first, then sets the cancel Event: the runner drops its queued batches
at once and returns without waiting for running ones. Shutdown sets every cancel Event with
the manager marked stopping, so the drivers re-queue their sweeps instead, and kills the engine.
start() resumes every QUEUED or RUNNING sweep (RUNNING ones were interrupted by a crash), and
skips the points already stored, so a restart never re-runs a finished point.

plan() runs a capacity-planning search (server/sweep/plan.py) in a thread on the same engine,
streaming each evaluated point; cancelling the call (client cancel, deadline) stops it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, cast

import grpc
from google.protobuf import timestamp_pb2

import simcore
from gosim.v1 import simulator_pb2, sweep_pb2
from server import errors, limits
from server.store import CANCELLED, FAILED, SUCCEEDED, TERMINAL
from server.sweep import plan as planmod
from server.sweep import spec as specmod
from server.sweep.engine import Engine, EngineError, engine_for
from server.sweep.runner import SweepCancelled, SweepRunner
from server.sweep.store import SweepRow, SweepStore

log = logging.getLogger("gosim.sweeps")

MAX_LABEL = 256
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
WATCH_POLL_S = 0.25


@dataclass
class _Live:
    cancel: threading.Event = field(default_factory=threading.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def notify(self) -> None:
        old, self.changed = self.changed, asyncio.Event()
        old.set()


def _ts(ns: int) -> timestamp_pb2.Timestamp:
    t = timestamp_pb2.Timestamp()
    t.FromNanoseconds(ns)
    return t


def _limit_problem(sim: simcore.SimConfig, lim: limits.Limits) -> limits.LimitExceeded | None:
    try:
        limits.check(sim, lim)
    except limits.LimitExceeded as e:
        return e
    return None


class SweepManager:
    def __init__(self, store: SweepStore, lim: limits.Limits, *,
                 simulate_target: str = "simcore:simulate", cluster: str | None = None,
                 engine: Engine | None = None) -> None:
        self.store = store
        self.limits = lim
        self.target = simulate_target
        self.cluster = cluster
        self._engine = engine
        self._engine_lock = asyncio.Lock()
        self._live: dict[str, _Live] = {}
        self._drivers: set[asyncio.Task[None]] = set()
        self._plans: set[threading.Event] = set()
        self._stopping = False

    # -- lifecycle

    async def engine(self) -> Engine:
        async with self._engine_lock:
            if self._engine is None:
                self._engine = await asyncio.to_thread(engine_for, self.cluster,
                                                       self.limits.workers)
                log.info("sweeps run on %s", self._engine.name)
            return self._engine

    async def start(self) -> None:
        """Resume the sweeps that were queued or running when the server stopped."""
        for sweep_id in await asyncio.to_thread(self.store.active_ids):
            self._launch(sweep_id, None)

    async def shutdown(self, timeout: float = 5.0) -> None:
        self._stopping = True
        for live in list(self._live.values()):
            live.cancel.set()
        for ev in list(self._plans):
            ev.set()
        if self._drivers:
            await asyncio.wait(list(self._drivers), timeout=timeout)
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await asyncio.to_thread(engine.kill)

    # -- RPC operations

    def _validate(self, spec: sweep_pb2.SweepSpec) -> specmod.Expansion:
        max_points, max_runs = self.limits.max_sweep_points, self.limits.max_sweep_runs
        n = specmod.count_points(spec)
        if n > max_points:
            raise errors.resource_exhausted(
                "max_sweep_points", f"the sweep has {n} points, above the server limit "
                                    f"max_sweep_points={max_points}")
        runs = n * specmod.replications_of(spec)
        if runs > max_runs:
            raise errors.resource_exhausted(
                "max_sweep_runs", f"the sweep needs {runs} simulations, above the server limit "
                                  f"max_sweep_runs={max_runs}")
        try:
            exp = specmod.expand(spec, max_points=max_points)
        except specmod.SpecError as e:
            raise errors.invalid_argument(
                [(f"spec.{p}", r) for p, r in e.violations], "invalid sweep") from None
        for p in exp.points:
            problem = _limit_problem(p.sim, self.limits)
            if problem is not None:
                where = ", ".join(f"{c.path}={c.label}" for c in p.coordinates)
                raise errors.resource_exhausted(
                    problem.limit, f"point {p.index} ({where or 'the base'}): {problem}")
        return exp

    async def submit(self, spec: sweep_pb2.SweepSpec, label: str) -> sweep_pb2.SweepJob:
        if len(label) > MAX_LABEL:
            raise errors.invalid_argument([("label", f"must be at most {MAX_LABEL} characters")])
        exp = await asyncio.to_thread(self._validate, spec)
        sweep_id = str(uuid.uuid4())
        row = await asyncio.to_thread(self.store.insert, sweep_id, label,
                                      spec.SerializeToString(), len(exp.points), exp.total_runs)
        self._launch(sweep_id, exp)
        return self._job(row)

    async def get(self, sweep_id: str, include_points: bool = False
                  ) -> tuple[sweep_pb2.SweepJob, list[sweep_pb2.SweepPoint]]:
        row = await asyncio.to_thread(self.store.get, sweep_id)
        if row is None:
            raise errors.not_found(f"no sweep with id {sweep_id!r}")
        points: list[sweep_pb2.SweepPoint] = []
        if include_points:
            blobs = await asyncio.to_thread(self.store.points, sweep_id)
            points = [sweep_pb2.SweepPoint.FromString(b) for b in blobs]
        return self._job(row), points

    async def list_sweeps(self, page_size: int, page_token: str
                          ) -> tuple[list[sweep_pb2.SweepJob], str]:
        if page_size < 0:
            raise errors.invalid_argument([("page_size", "must be >= 0")])
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        before = _decode_token(page_token) if page_token else None
        rows = await asyncio.to_thread(self.store.list_sweeps, before, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        token = _encode_token(rows[-1].seq) if more and rows else ""
        return [self._job(r) for r in rows], token

    async def cancel(self, sweep_id: str) -> sweep_pb2.SweepJob:
        row = await asyncio.to_thread(self.store.get, sweep_id)
        if row is None:
            raise errors.not_found(f"no sweep with id {sweep_id!r}")
        if row.state not in TERMINAL:
            await asyncio.to_thread(self.store.finish, sweep_id, CANCELLED,
                                    "cancelled by a client")
            live = self._live.get(sweep_id)
            if live is not None:
                live.cancel.set()
                live.notify()
        job, _ = await self.get(sweep_id)
        return job

    async def watch(self, sweep_id: str, skip_completed: bool
                    ) -> AsyncIterator[sweep_pb2.WatchSweepResponse]:
        """The job, the points so far, then new points and job changes until terminal."""
        resp = sweep_pb2.WatchSweepResponse
        row = await asyncio.to_thread(self.store.get, sweep_id)
        if row is None:
            raise errors.not_found(f"no sweep with id {sweep_id!r}")
        yield resp(job=self._job(row))
        last_seq = 0
        if skip_completed:
            got = await asyncio.to_thread(self.store.points_after, sweep_id, 0, 1 << 30)
            last_seq = got[-1][0] if got else 0
        last_job = self._job(row)
        while True:
            live = self._live.get(sweep_id)
            changed = live.changed if live is not None else None
            while True:  # every stored point not sent yet
                batch = await asyncio.to_thread(self.store.points_after, sweep_id, last_seq)
                for seq, blob in batch:
                    last_seq = seq
                    yield resp(point=sweep_pb2.SweepPoint.FromString(blob))
                if len(batch) < 1000:
                    break
            row = await asyncio.to_thread(self.store.get, sweep_id)
            if row is None:
                return
            job = self._job(row)
            if row.state in TERMINAL:
                # Points stored between the read above and the terminal state.
                for _, blob in await asyncio.to_thread(self.store.points_after, sweep_id,
                                                       last_seq, 1 << 30):
                    yield resp(point=sweep_pb2.SweepPoint.FromString(blob))
                yield resp(job=job)
                return
            if job != last_job:
                yield resp(job=job)
                last_job = job
            if changed is None:
                await asyncio.sleep(WATCH_POLL_S)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), timeout=5.0)

    async def plan(self, request: sweep_pb2.PlanRequest
                   ) -> AsyncIterator[sweep_pb2.PlanResponse]:
        """Stream the search's steps, then its answer (see server/sweep/plan.py)."""
        engine = await self.engine()
        runner = SweepRunner(engine, target=self.target)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[sweep_pb2.PlanStep] = asyncio.Queue()
        cancel = threading.Event()
        self._plans.add(cancel)

        def on_step(step: sweep_pb2.PlanStep) -> None:  # in the search's thread
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(queue.put_nowait, step)

        def check(sim: simcore.SimConfig) -> str | None:
            problem = _limit_problem(sim, self.limits)
            return None if problem is None else f"above the server limit {problem.limit}: " \
                                                f"{problem}"

        fut = asyncio.ensure_future(asyncio.to_thread(
            planmod.plan, request, runner, on_step=on_step, cancel=cancel, check=check))
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, fut}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield sweep_pb2.PlanResponse(step=getter.result())
                    continue
                getter.cancel()
                while not queue.empty():
                    yield sweep_pb2.PlanResponse(step=queue.get_nowait())
                try:
                    answer = fut.result()
                except planmod.PlanError as e:
                    raise errors.invalid_argument(e.violations, "invalid plan") from None
                except SweepCancelled:
                    raise errors.ServiceError(
                        grpc.StatusCode.UNAVAILABLE if self._stopping
                        else grpc.StatusCode.CANCELLED, "the search was stopped") from None
                except EngineError as e:
                    raise errors.internal(str(e)) from None
                yield sweep_pb2.PlanResponse(answer=answer)
                return
        finally:
            cancel.set()
            self._plans.discard(cancel)
            if not fut.done():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(fut), timeout=5.0)

    # -- running

    def _launch(self, sweep_id: str, exp: specmod.Expansion | None) -> None:
        live = _Live()
        self._live[sweep_id] = live
        driver = asyncio.get_running_loop().create_task(self._drive(sweep_id, live, exp))
        self._drivers.add(driver)
        driver.add_done_callback(self._drivers.discard)

    async def _drive(self, sweep_id: str, live: _Live, exp: specmod.Expansion | None) -> None:
        store = self.store
        loop = asyncio.get_running_loop()
        try:
            row = await asyncio.to_thread(store.get, sweep_id)
            if row is None or row.state in TERMINAL:
                return
            if exp is None:  # resuming: expand the stored spec again (deterministic)
                try:
                    spec = sweep_pb2.SweepSpec.FromString(row.spec)
                    exp = await asyncio.to_thread(specmod.expand, spec)
                except Exception as e:
                    await asyncio.to_thread(store.finish, sweep_id, FAILED,
                                            f"cannot resume the stored sweep: {e}")
                    return
            try:
                engine = await self.engine()
            except EngineError as e:
                await asyncio.to_thread(store.finish, sweep_id, FAILED, str(e))
                return
            done = await asyncio.to_thread(store.point_indices, sweep_id)
            resumed = row.start_ns is not None
            if not await asyncio.to_thread(store.mark_running, sweep_id, engine.name, resumed):
                return
            live.notify()
            todo = [p for p in exp.points if p.index not in done]
            if resumed:
                log.info("sweep %s: resuming, %d of %d points already done", sweep_id,
                         len(exp.points) - len(todo), len(exp.points))

            def on_point(point: sweep_pb2.SweepPoint) -> None:  # in the runner's thread
                store.add_point(sweep_id, point.index, point.failed_runs,
                                point.SerializeToString())
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(live.notify)

            runner = SweepRunner(engine, target=self.target)
            try:
                await asyncio.to_thread(runner.run, todo, exp.seeds, on_point, live.cancel)
            except SweepCancelled:
                if self._stopping:
                    await asyncio.to_thread(
                        store.requeue, sweep_id,
                        "interrupted by a server shutdown; resumes at the next start")
                else:
                    await asyncio.to_thread(store.finish, sweep_id, CANCELLED,
                                            "cancelled by a client")
                return
            except EngineError as e:
                await asyncio.to_thread(store.finish, sweep_id, FAILED, str(e))
                return
            await asyncio.to_thread(store.finish, sweep_id, SUCCEEDED)
        except Exception:
            log.exception("sweep %s: driver failed", sweep_id)
            await asyncio.to_thread(store.finish, sweep_id, FAILED,
                                    "internal error while running the sweep")
        finally:
            self._live.pop(sweep_id, None)
            live.done.set()
            live.notify()

    # -- messages

    def _job(self, row: SweepRow) -> sweep_pb2.SweepJob:
        job = sweep_pb2.SweepJob(
            id=row.id, state=cast(simulator_pb2.JobState, row.state), label=row.label,
            total_points=row.total_points, completed_points=row.completed_points,
            total_runs=row.total_runs, failed_runs=row.failed_runs, error=row.error,
            engine=row.engine, resumes=row.resumes)
        job.spec.ParseFromString(row.spec)
        job.create_time.CopyFrom(_ts(row.create_ns))
        if row.start_ns is not None:
            job.start_time.CopyFrom(_ts(row.start_ns))
        if row.finish_ns is not None:
            job.finish_time.CopyFrom(_ts(row.finish_ns))
        return job


def _encode_token(seq: int) -> str:
    raw = json.dumps({"before": seq}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> int:
    try:
        data: Any = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        before = data["before"]
        if not isinstance(before, int):
            raise ValueError
    except Exception:
        raise errors.invalid_argument([("page_token", "not a token this server issued")]) from None
    return before
