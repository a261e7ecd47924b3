"""Jobs: stored simulations that run in the background and survive server restarts.

The JobManager sits between the servicer and two other pieces: the store (server/store.py, the
truth about every job) and the executor (server/executor.py, which runs them). It lives in the
server's event loop.

Life of a job: submit() admits it (a max_concurrent_jobs slot), stores it QUEUED and launches
it: the config goes to the executor, and a driver coroutine (_drive) consumes the task's events
in order — "started" marks it RUNNING (an attempt), progress is kept in memory (and written to
the store every few seconds), and the terminal event writes SUCCEEDED with the Result, FAILED
with the reason, or CANCELLED, in one store update. Then the slot is released.

Live state: for each job that is queued or running in this process, a _Live record holds the
executor task, the latest progress and a "changed" asyncio.Event that WatchJob waits on (a new
Event is swapped in on each change, so every watcher wakes once per change).

Cancel writes CANCELLED to the store first (so the job is cancelled even if the worker takes a
moment to stop) and then cancels the executor task; the driver's later terminal write is a
no-op.

Restart: start() runs the store's crash recovery (RUNNING jobs re-queued or FAILED, see
store.recover) and launches every QUEUED job, oldest first. shutdown() (SIGTERM, after the
grace period) re-queues the jobs that are still running — the interrupted run does not count as
an attempt — so the next start re-runs them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, cast

from google.protobuf import timestamp_pb2

import simcore
from gosim.v1 import config_pb2, result_pb2, simulator_pb2
from server import convert, errors, runner
from server.admission import Slots
from server.executor import Executor, SimTask
from server.store import (
    ACTIVE,
    CANCELLED,
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    TERMINAL,
    JobRow,
    JobStore,
)

log = logging.getLogger("gosim.jobs")

PROGRESS_SAVE_EVERY_S = 2.0  # how often a running job's progress is written to the store
WATCH_MIN_GAP_S = 0.1  # WatchJob sends at most ~10 updates per second
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50
MAX_LABEL = 256


@dataclass
class _Live:
    """A job queued or running in this server process."""

    task: SimTask | None = None
    progress: simulator_pb2.Progress | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def notify(self) -> None:
        old, self.changed = self.changed, asyncio.Event()
        old.set()


def _ts(ns: int) -> timestamp_pb2.Timestamp:
    t = timestamp_pb2.Timestamp()
    t.FromNanoseconds(ns)
    return t


class JobManager:
    def __init__(self, store: JobStore, executor: Executor, slots: Slots, *,
                 max_attempts: int = 2, max_page_bytes: int = 8 << 20) -> None:
        self.store = store
        self.max_page_bytes = max_page_bytes
        self.executor = executor
        self.slots = slots
        self.max_attempts = max_attempts
        self._live: dict[str, _Live] = {}
        self._drivers: set[asyncio.Task[None]] = set()
        self._stopping = False

    # -- startup and shutdown

    async def start(self) -> None:
        requeued, failed = await asyncio.to_thread(self.store.recover, self.max_attempts)
        if requeued or failed:
            log.warning("recovered jobs after an unclean stop: %d re-queued, %d failed",
                        len(requeued), len(failed))
        for job_id in await asyncio.to_thread(self.store.ids_in_state, QUEUED):
            row = await asyncio.to_thread(self.store.get, job_id, with_result=False)
            if row is None:
                continue
            try:
                cfg = convert.config_from_proto(config_pb2.SimConfig.FromString(row.config))
            except Exception as e:  # a stored config this version cannot run
                await asyncio.to_thread(self.store.finish, job_id, FAILED,
                                        error=f"cannot re-run the stored config: {e}")
                continue
            self.slots.force()
            self._launch(job_id, cfg)

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Stop running jobs and re-queue them (they run again at the next start)."""
        self._stopping = True
        for live in list(self._live.values()):
            if live.task is not None:
                live.task.cancel("the server is shutting down")
        if self._drivers:
            await asyncio.wait(list(self._drivers), timeout=timeout)

    # -- RPC operations

    async def submit(self, cfg: simcore.SimConfig, label: str) -> simulator_pb2.Job:
        if len(label) > MAX_LABEL:
            raise errors.invalid_argument([("label", f"must be at most {MAX_LABEL} characters")])
        self.slots.acquire()
        try:
            job_id = str(uuid.uuid4())
            data = convert.config_to_proto(cfg).SerializeToString()
            row = await asyncio.to_thread(self.store.insert, job_id, label, data)
        except BaseException:
            self.slots.release()
            raise
        self._launch(job_id, cfg)
        return self._job(row, with_config=True)

    async def get(self, job_id: str, *, with_result: bool = True) -> simulator_pb2.Job:
        row = await asyncio.to_thread(self.store.get, job_id, with_result=with_result)
        if row is None:
            raise errors.not_found(f"no job with id {job_id!r}")
        return self._job(row, with_config=True)

    async def list_jobs(self, states: list[int], page_size: int,
                   page_token: str) -> tuple[list[simulator_pb2.Job], str]:
        if page_size < 0:
            raise errors.invalid_argument([("page_size", "must be >= 0")])
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        wanted = sorted({s for s in states if s != simulator_pb2.JOB_STATE_UNSPECIFIED})
        for i, s in enumerate(states):
            if s not in simulator_pb2.JobState.values():
                raise errors.invalid_argument([(f"states[{i}]", f"unknown job state {s}")])
        before = _decode_token(page_token, wanted) if page_token else None
        rows = await asyncio.to_thread(self.store.list_jobs, wanted, before, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        jobs: list[simulator_pb2.Job] = []
        total = 0
        for r in rows:  # a page stays well below the message size limit (configs can be big)
            job = self._job(r, with_config=True)
            total += job.ByteSize()
            if jobs and total > self.max_page_bytes:
                more = True
                break
            jobs.append(job)
        token = _encode_token(rows[len(jobs) - 1].seq, wanted) if more and jobs else ""
        return jobs, token

    async def cancel(self, job_id: str) -> simulator_pb2.Job:
        row = await asyncio.to_thread(self.store.get, job_id, with_result=False)
        if row is None:
            raise errors.not_found(f"no job with id {job_id!r}")
        if row.state in ACTIVE:
            await asyncio.to_thread(self.store.finish, job_id, CANCELLED,
                                    error="cancelled by a client")
            live = self._live.get(job_id)
            if live is not None:
                if live.task is not None:
                    live.task.cancel("cancelled by a client")
                live.notify()
        return await self.get(job_id)

    async def watch(self, job_id: str) -> AsyncIterator[simulator_pb2.Job]:
        """The job now, then on every change (at most ~10/s), until it is terminal."""
        last = 0.0
        while True:
            live = self._live.get(job_id)
            changed = live.changed if live is not None else None
            row = await asyncio.to_thread(self.store.get, job_id, with_result=False)
            if row is None:
                raise errors.not_found(f"no job with id {job_id!r}")
            if row.state in TERMINAL:
                yield await self.get(job_id)  # the last message carries the result
                return
            yield self._job(row, with_config=True)
            last = time.monotonic()
            if changed is None:  # active in the store but not here yet: look again shortly
                await asyncio.sleep(0.25)
            else:
                await changed.wait()
                gap = WATCH_MIN_GAP_S - (time.monotonic() - last)
                if gap > 0:
                    await asyncio.sleep(gap)

    # -- running

    def _launch(self, job_id: str, cfg: simcore.SimConfig) -> None:
        live = _Live()
        self._live[job_id] = live
        task, queue = runner.submit(self.executor, cfg, want_cycles=False)
        live.task = task
        driver = asyncio.get_running_loop().create_task(self._drive(job_id, live, queue))
        self._drivers.add(driver)
        driver.add_done_callback(self._drivers.discard)

    async def _drive(self, job_id: str, live: _Live,
                     queue: asyncio.Queue[tuple[str, Any]]) -> None:
        store = self.store
        saved = 0.0
        try:
            while True:
                kind, payload = await queue.get()
                if kind == "started":
                    await asyncio.to_thread(store.mark_running, job_id)
                elif kind == "progress":
                    live.progress = runner.progress_message(*payload)
                    if time.monotonic() - saved >= PROGRESS_SAVE_EVERY_S:
                        saved = time.monotonic()
                        await asyncio.to_thread(store.save_progress, job_id,
                                                live.progress.SerializeToString())
                else:
                    await self._finish(job_id, live, kind, payload)
                    return
                live.notify()
        except Exception:
            log.exception("job %s: driver failed", job_id)
            await asyncio.to_thread(store.finish, job_id, FAILED,
                                    error="internal error while running the job")
        finally:
            self.slots.release()
            self._live.pop(job_id, None)
            live.done.set()
            live.notify()

    async def _finish(self, job_id: str, live: _Live, kind: str, payload: Any) -> None:
        progress = live.progress.SerializeToString() if live.progress is not None else None
        store = self.store
        if kind == "done":
            try:
                # Never store bytes we cannot read back (parsed in a thread: it can be large).
                await asyncio.to_thread(result_pb2.Result.FromString, payload)
            except Exception as e:
                await asyncio.to_thread(store.finish, job_id, FAILED,
                                        error=f"unreadable result: {e}", progress=progress)
                return
            await asyncio.to_thread(store.finish, job_id, SUCCEEDED, progress=progress,
                                    result=payload)
        elif kind == "cancelled":
            if self._stopping:
                await asyncio.to_thread(
                    store.requeue, job_id,
                    "interrupted by a server shutdown; re-queued to run at the next start")
            else:
                await asyncio.to_thread(store.finish, job_id, CANCELLED,
                                        error=str(payload or "cancelled"), progress=progress)
        elif kind == "invalid":
            text = "; ".join(f"{p}: {r}" for p, r in payload)
            await asyncio.to_thread(store.finish, job_id, FAILED,
                                    error=f"invalid config: {text}", progress=progress)
        elif kind == "limit":
            await asyncio.to_thread(store.finish, job_id, FAILED,
                                    error=f"limit {payload[0]}: {payload[1]}", progress=progress)
        else:
            await asyncio.to_thread(store.finish, job_id, FAILED, error=str(payload),
                                    progress=progress)

    # -- building Job messages

    def _job(self, row: JobRow, *, with_config: bool) -> simulator_pb2.Job:
        job = simulator_pb2.Job(id=row.id, state=cast(simulator_pb2.JobState, row.state),
                                label=row.label, error=row.error, attempts=row.attempts)
        if with_config:
            job.config.ParseFromString(row.config)
        job.create_time.CopyFrom(_ts(row.create_ns))
        if row.start_ns is not None and row.state != QUEUED:
            job.start_time.CopyFrom(_ts(row.start_ns))
        if row.finish_ns is not None:
            job.finish_time.CopyFrom(_ts(row.finish_ns))
        live = self._live.get(row.id)
        if row.state == RUNNING and live is not None and live.progress is not None:
            job.progress.CopyFrom(live.progress)
        elif row.progress is not None:
            job.progress.ParseFromString(row.progress)
        if row.result is not None and row.state == SUCCEEDED:
            job.result.ParseFromString(row.result)
        return job


def _encode_token(seq: int, states: list[int]) -> str:
    raw = json.dumps({"before": seq, "states": states}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, states: list[int]) -> int:
    try:
        pad = "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(token + pad))
        before, st = data["before"], data["states"]
        if not isinstance(before, int) or not isinstance(st, list):
            raise ValueError
    except Exception:
        raise errors.invalid_argument([("page_token", "not a token this server issued")]) from None
    if st != states:
        raise errors.invalid_argument(
            [("page_token", "was issued for a different states filter")])
    return before
