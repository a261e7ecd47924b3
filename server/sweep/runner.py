"""Running a sweep's points on an engine, point by point as they complete.

SweepRunner.run(points, seeds, on_point) simulates every point once per seed and calls
on_point(SweepPoint) as soon as all of a point's replications are in — from the calling thread,
in completion order (not index order). It is synchronous (the server calls it in a thread; the
CLI directly) and works the same on every engine, since it only uses engine.submit() and
concurrent.futures.wait():

1. Tasks: one (point, replication, config with that replication's seed) per simulation, in
   point order, so early points finish first.
2. Batches: consecutive tasks are packed into one engine task (work.run_batch) until the
   batch's estimated cost reaches TARGET_BATCH_EVENTS (server.limits.estimate's event count,
   ~50-100 ms of simulation) — small simulations share a task, hiding the engine's per-task
   overhead — but never so few batches that a worker would sit idle (at least
   BATCHES_PER_SLOT per engine slot while there are enough tasks). batch_size > 0 fixes it.
3. Flow: at most `max_inflight` batches (default 2 per slot) are submitted at once; as each
   completes the next is submitted, so several sweeps can share one engine fairly and a
   cancellation has little queued work to drop.
4. Cancellation: when `cancel` is set the runner cancels its queued batches, creates the
   run's cancel-token file (work.py: batches already on a local worker stop at their next
   check, within ~0.1 s) and raises SweepCancelled without waiting for them (their results
   are dropped).

A simulation that fails (the model raised, the config was rejected) is recorded in its Run's
error and left out of the point's metrics; a batch whose task failed as a whole (a worker
died) marks its runs failed the same way. Only a broken engine (the pool cannot run anything
any more) aborts the sweep, with EngineError.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import contextlib
import math
import os
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gosim.v1 import result_pb2, sweep_pb2
from server import convert, limits
from server.sweep import stats, work
from server.sweep.engine import Engine, EngineError
from server.sweep.spec import Point

TARGET_BATCH_EVENTS = 60_000  # estimated events per batch (~50-100 ms of simulation)
BATCHES_PER_SLOT = 3
POLL_S = 0.1


_LEFT: set[str] = set()  # cancel-token directories still in use by running batches


def _remove(path: str) -> None:
    _LEFT.discard(path)
    shutil.rmtree(path, ignore_errors=True)


@atexit.register
def _remove_left() -> None:
    for path in list(_LEFT):
        _remove(path)


class SweepCancelled(Exception):
    """The sweep was cancelled (its cancel Event was set, or the engine was shut down)."""


@dataclass
class RunStats:
    """What a run of the runner did."""

    points: int = 0
    runs: int = 0
    failed_runs: int = 0
    batches: int = 0
    wall_s: float = 0.0


def build_point(point: Point, seeds: Sequence[int],
                outcomes: dict[int, work.Outcome]) -> sweep_pb2.SweepPoint:
    """The SweepPoint message of a point from its replications' outcomes."""
    msg = sweep_pb2.SweepPoint(index=point.index, coordinates=point.coordinates)
    msg.config.CopyFrom(point.config)
    summaries = []
    for r in range(len(seeds)):
        _, _, summary, error, wall_ns = outcomes[r]
        run = msg.runs.add(replication=r, seed=seeds[r], error=error, wall_ns=wall_ns)
        if summary is not None and not error:
            convert.to_proto(summary, run.summary)
            summaries.append(summary)
        else:
            run.error = error or "no result"
    msg.failed_runs = len(seeds) - len(summaries)
    msg.metrics.extend(stats.point_metrics(summaries))
    return msg


def summary_of(run: sweep_pb2.Run) -> result_pb2.Summary:
    return run.summary


class SweepRunner:
    """Runs points on an engine (see the module doc)."""

    def __init__(self, engine: Engine, *, target: str = "simcore:simulate",
                 batch_size: int = 0, max_inflight: int = 0,
                 target_batch_events: int = TARGET_BATCH_EVENTS) -> None:
        self.engine = engine
        self.target = target
        self.batch_size = batch_size
        self.max_inflight = max_inflight or 2 * engine.slots
        self.target_batch_events = target_batch_events

    def batches(self, points: Sequence[Point], seeds: Sequence[int]) -> list[list[work.Item]]:
        """Pack the simulations into engine tasks (see the module doc)."""
        tasks: list[tuple[work.Item, int]] = []
        for p in points:
            cost = max(1, limits.estimate(p.sim).events)
            for r, s in enumerate(seeds):
                tasks.append(((p.index, r, p.with_seed(s)), cost))
        if not tasks:
            return []
        if self.batch_size > 0:
            cap, budget = self.batch_size, math.inf
        else:
            want = self.engine.slots * BATCHES_PER_SLOT
            cap = max(1, math.ceil(len(tasks) / want))
            budget = float(self.target_batch_events)
        out: list[list[work.Item]] = []
        cur: list[work.Item] = []
        spent = 0.0
        for item, cost in tasks:
            if cur and (len(cur) >= cap or spent + cost > budget):
                out.append(cur)
                cur, spent = [], 0.0
            cur.append(item)
            spent += cost
        if cur:
            out.append(cur)
        return out

    def run(self, points: Sequence[Point], seeds: Sequence[int],
            on_point: Callable[[sweep_pb2.SweepPoint], None],
            cancel: threading.Event | None = None) -> RunStats:
        """Simulate the points; on_point(SweepPoint) as each completes (see the module doc)."""
        t0 = time.monotonic()
        st = RunStats()
        by_index = {p.index: p for p in points}
        reps = len(seeds)
        pending = deque(self.batches(points, seeds))
        inflight: dict[cf.Future[list[work.Outcome]], list[work.Item]] = {}
        acc: dict[int, dict[int, work.Outcome]] = {}
        token_dir = tempfile.mkdtemp(prefix="gosim-sweep-")
        token = os.path.join(token_dir, "cancel")
        try:
            while pending or inflight:
                if cancel is not None and cancel.is_set():
                    raise SweepCancelled("the sweep was cancelled")
                while pending and len(inflight) < self.max_inflight:
                    batch = pending.popleft()
                    try:
                        fut = self.engine.submit(work.run_batch, self.target, batch, token)
                    except RuntimeError as e:  # the executor was shut down
                        raise SweepCancelled(f"the engine stopped: {e}") from e
                    inflight[fut] = batch
                    st.batches += 1
                done, _ = cf.wait(list(inflight), timeout=POLL_S,
                                  return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    batch = inflight.pop(fut)
                    for outcome in self._outcomes(fut, batch):
                        idx, rep = outcome[0], outcome[1]
                        acc.setdefault(idx, {})[rep] = outcome
                        st.runs += 1
                        if outcome[2] is None or outcome[3]:
                            st.failed_runs += 1
                        if len(acc[idx]) == reps:
                            point = build_point(by_index[idx], seeds, acc.pop(idx))
                            st.points += 1
                            on_point(point)
        finally:
            for fut in inflight:
                fut.cancel()
            if inflight:  # tell the batches already running to stop
                with contextlib.suppress(OSError):
                    open(token, "w").close()
                _LEFT.add(token_dir)  # removed at exit, or in 30 s (running batches look at it)
                cleanup = threading.Timer(30.0, _remove, (token_dir,))
                cleanup.daemon = True
                cleanup.start()
            else:
                shutil.rmtree(token_dir, ignore_errors=True)
            st.wall_s = time.monotonic() - t0
        return st

    def _outcomes(self, fut: cf.Future[list[work.Outcome]],
                  batch: list[work.Item]) -> list[work.Outcome]:
        try:
            return fut.result()
        except cf.CancelledError:
            raise SweepCancelled("the engine cancelled the sweep's tasks") from None
        except cf.BrokenExecutor as e:
            raise EngineError(f"the engine broke: {e}") from e
        except Exception as e:  # the task as a whole failed (a worker died, a Dask error)
            text = f"the task failed: {type(e).__name__}: {e}"
            return [(p, r, None, text, 0) for p, r, _ in batch]
