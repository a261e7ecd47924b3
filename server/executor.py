"""The executor: a pool of worker processes that run simulations, with real cancellation.

There is one *slot* per worker process (by default one per core). A slot is a daemon thread in
the server that owns one worker process (server/worker.py) and its Pipe. Submitted tasks wait in
one FIFO queue; a free slot takes the next task, sends it to its worker, then reads the worker's
messages and turns them into events for the task's callback:

  ("started", None)                      the task reached a worker
  ("progress", (simcore.Progress, elapsed_ns))
  ("cycle", CycleRecord proto bytes)     only when submitted with want_cycles
  ("done", Result proto bytes)           terminal
  ("cancelled", reason)                  terminal
  ("invalid", [(path, reason), ...])     terminal (simcore rejected the config)
  ("limit", (limit_name, message))       terminal (max_wall_time_ns exceeded)
  ("failed", text)                       terminal (the model raised, or the worker died)

Exactly one terminal event is delivered per task, always. The callback runs in the slot's
thread (or in the canceller's thread for a task cancelled while still queued), so it must be
quick; the asyncio side forwards events with loop.call_soon_threadsafe (server/runner.py).

Cancellation: task.cancel() on a queued task removes it from the queue at once; on a running
task the slot sets the worker's shared cancel Event, which the worker's hooks turn into
simcore.Cancelled. If the worker has not answered within `kill_after_s` (a model stuck between
two hook calls), the slot kills the process, reports the task cancelled and spawns a fresh
worker: either way the task ends within about a second and the slot is free again. A worker
that dies (crash, OOM kill) fails its task and is replaced the same way. The same mechanism
enforces the wall-clock limit per simulation.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import threading
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from typing import Any

import simcore
from server import worker

log = logging.getLogger("gosim.executor")

EventCallback = Callable[[str, Any], None]

TERMINAL = frozenset({"done", "cancelled", "invalid", "limit", "failed"})

_POLL_S = 0.05  # how often a slot looks at cancellation, deadlines and its worker's health


class SimTask:
    """One submitted simulation. cancel() may be called from any thread, any number of times."""

    _ids = itertools.count(1)

    def __init__(self, config: simcore.SimConfig, want_cycles: bool,
                 on_event: EventCallback) -> None:
        self.id = next(self._ids)
        self.config = config
        self.want_cycles = want_cycles
        self._on_event = on_event
        self.state = "queued"  # queued | running | finished (guarded by the executor's lock)
        self.cancel_reason: str | None = None
        self._executor: Executor | None = None
        self.finished = threading.Event()

    def cancel(self, reason: str = "cancelled") -> None:
        if self._executor is not None:
            self._executor._cancel(self, reason)

    def emit(self, kind: str, payload: Any) -> None:
        """Deliver an event (exactly one terminal event, then nothing)."""
        if self.finished.is_set():
            return
        if kind in TERMINAL:
            self.finished.set()
        try:
            self._on_event(kind, payload)
        except Exception:  # a broken callback must not kill the slot
            log.exception("task %d: event callback failed on %s", self.id, kind)


class _Slot:
    """A thread owning one worker process."""

    def __init__(self, ex: Executor, index: int) -> None:
        self.ex = ex
        self.index = index
        self.proc: SpawnProcess | None = None
        self.conn: Connection | None = None
        self.cancel_event = ex._ctx.Event()
        self.task: SimTask | None = None
        self.thread = threading.Thread(target=self._loop, name=f"gosim-slot-{index}",
                                       daemon=True)

    # -- worker process management

    def spawn(self) -> None:
        parent, child = self.ex._ctx.Pipe(duplex=True)
        proc = self.ex._ctx.Process(
            target=worker.worker_main,
            args=(child, self.cancel_event, self.ex.simulate_target, self.ex.memory_limit_bytes),
            name=f"gosim-worker-{self.index}", daemon=True)
        proc.start()
        child.close()
        self.proc, self.conn = proc, parent

    def respawn(self) -> None:
        """Replace a dead or killed worker right away (so the next task does not wait for
        it), unless the executor is shutting down."""
        if not self.ex._stopping:
            self.spawn()

    def kill(self) -> None:
        if self.proc is not None:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(timeout=5)
            if not self.proc.is_alive():
                self.proc.close()
        if self.conn is not None:
            self.conn.close()
        self.proc = self.conn = None

    def stop(self) -> None:
        """Ask an idle worker to exit; kill it if it does not."""
        if self.proc is None:
            return
        try:
            if self.conn is not None:
                self.conn.send(None)
            self.proc.join(timeout=2)
        except (OSError, ValueError):
            pass
        self.kill()

    # -- the slot's thread

    def _loop(self) -> None:
        try:
            self.spawn()
        except Exception:
            log.exception("slot %d: cannot start a worker", self.index)
        while True:
            task = self.ex._next_task()
            if task is None:
                break
            self.task = task
            replace = False
            try:
                replace = self._run(task)
            except Exception as e:  # never leave a task without its terminal event
                log.exception("slot %d: task %d", self.index, task.id)
                task.emit("failed", f"executor error: {e}")
                replace = True
            finally:
                self.task = None
                self.ex._task_done(task)
            if replace:  # after the task is done, so nobody waits for the new process
                self.kill()
                self.respawn()
        self.stop()

    def _run(self, task: SimTask) -> bool:
        """Run one task to its terminal event; True when the worker must be replaced."""
        if self.proc is None or not self.proc.is_alive():
            self.kill()
            self.spawn()
        assert self.conn is not None and self.proc is not None
        self.cancel_event.clear()
        try:
            self.conn.send((task.id, task.config, task.want_cycles))
        except (OSError, ValueError):  # the worker died while idle: replace it once
            self.kill()
            self.spawn()
            self.conn.send((task.id, task.config, task.want_cycles))
        task.emit("started", None)
        start = time.monotonic()
        stop_at: float | None = None  # when the cancel Event was set
        stop_kind: tuple[str, Any] = ("cancelled", "")
        max_wall = self.ex.max_wall_time_ns / 1e9
        while True:
            if self.conn.poll(_POLL_S):
                try:
                    msg = self.conn.recv()
                    dead = False
                except (EOFError, OSError):  # the worker's end closed: it died
                    dead = True
                else:
                    if self._handle(task, msg, start, stop_at is not None, stop_kind):
                        return False
            else:
                dead = not self.proc.is_alive()
            now = time.monotonic()
            if dead:
                self.proc.join(timeout=1)
                code = self.proc.exitcode
                self.kill()
                if stop_at is not None:
                    task.emit(*stop_kind)
                else:
                    task.emit("failed", f"the worker process died (exit code {code})")
                return True
            if stop_at is None:
                if task.cancel_reason is not None:
                    stop_kind = ("cancelled", task.cancel_reason)
                elif max_wall and now - start > max_wall:
                    stop_kind = ("limit", ("max_wall_time_ns",
                                           f"the simulation ran longer than the server limit "
                                           f"max_wall_time_ns={self.ex.max_wall_time_ns}"))
                else:
                    continue
                self.cancel_event.set()
                stop_at = now
            elif now - stop_at > self.ex.kill_after_s:
                # The model did not reach a hook in time: kill and replace the worker.
                log.info("slot %d: killing worker to stop task %d", self.index, task.id)
                self.kill()
                task.emit(*stop_kind)
                return True

    def _handle(self, task: SimTask, msg: tuple[Any, ...], start: float, stopping: bool,
                stop_kind: tuple[str, Any]) -> bool:
        """Forward one worker message; True when the task is over."""
        kind, task_id = msg[0], msg[1]
        if task_id != task.id:  # a late message of an earlier task: ignore it
            return False
        if kind == "progress":
            task.emit("progress", (msg[2], int((time.monotonic() - start) * 1e9)))
            return False
        if kind == "cycle":
            task.emit("cycle", msg[2])
            return False
        if kind == "done":
            task.emit("done", msg[2])
        elif kind == "cancelled":
            task.emit(*(stop_kind if stopping else ("cancelled", "cancelled")))
        elif kind == "invalid":
            task.emit("invalid", msg[2])
        else:
            task.emit("failed", msg[2])
        return True


class Executor:
    """A fixed pool of worker processes fed from one FIFO queue (see the module doc)."""

    def __init__(self, workers: int, simulate_target: str = "simcore:simulate", *,
                 max_wall_time_ns: int = 0, kill_after_s: float = 0.75,
                 memory_limit_bytes: int = 0) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.workers = workers
        self.simulate_target = simulate_target
        self.max_wall_time_ns = max_wall_time_ns
        self.kill_after_s = kill_after_s
        self.memory_limit_bytes = memory_limit_bytes
        self._ctx = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._queue: deque[SimTask] = deque()
        self._running: set[SimTask] = set()
        self._stopping = False
        self._slots = [_Slot(self, i) for i in range(workers)]
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            for s in self._slots:
                s.thread.start()

    def submit(self, config: simcore.SimConfig, on_event: EventCallback, *,
               want_cycles: bool = False) -> SimTask:
        task = SimTask(config, want_cycles, on_event)
        task._executor = self
        with self._cond:
            if self._stopping:
                task.state = "finished"
                stopped = True
            else:
                self._queue.append(task)
                self._cond.notify()
                stopped = False
        if stopped:
            task.emit("cancelled", "the server is shutting down")
        return task

    def busy(self) -> int:
        """Simulations running now."""
        with self._lock:
            return len(self._running)

    def queued(self) -> int:
        with self._lock:
            return len(self._queue)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel everything, stop the slots and their workers."""
        with self._cond:
            self._stopping = True
            pending = list(self._queue)
            self._queue.clear()
            running = list(self._running)
            self._cond.notify_all()
        for t in pending:
            t.state = "finished"
            t.emit("cancelled", "the server is shutting down")
        for t in running:
            self._cancel(t, "the server is shutting down")
        deadline = time.monotonic() + timeout
        for s in self._slots:
            if s.thread.is_alive():
                s.thread.join(max(0.0, deadline - time.monotonic()))
        for s in self._slots:
            if s.thread.is_alive():  # still busy: kill its worker outright
                s.kill()

    # -- used by the slots and tasks

    def _next_task(self) -> SimTask | None:
        with self._cond:
            while not self._queue and not self._stopping:
                self._cond.wait()
            if self._stopping:
                return None
            task = self._queue.popleft()
            task.state = "running"
            self._running.add(task)
            return task

    def _task_done(self, task: SimTask) -> None:
        with self._lock:
            task.state = "finished"
            self._running.discard(task)

    def _cancel(self, task: SimTask, reason: str) -> None:
        with self._lock:
            if task.state == "queued":
                self._queue.remove(task)
                task.state = "finished"
                emit_now = True
            else:
                emit_now = False
                if task.state == "running" and task.cancel_reason is None:
                    task.cancel_reason = reason
        if emit_now:
            task.emit("cancelled", reason)
