"""The worker process: runs simulations one at a time for the executor (server/executor.py).

Each worker is a separate OS process (multiprocessing "spawn"), so a simulation never runs in
the server's threads, cannot block its event loop, and cannot crash it. The worker talks to its
executor slot over one duplex Pipe:

  slot -> worker:  (task_id, SimConfig, want_cycles)  — run this; None — exit
  worker -> slot:  ("progress", task_id, simcore.Progress)      at most every 0.1 s of wall time,
                                                               plus one final report
                   ("cycle", task_id, CycleRecord proto bytes)   if want_cycles, per GC cycle
                   ("done", task_id, Result proto bytes)
                   ("cancelled", task_id)
                   ("invalid", task_id, [(path, reason), ...])  simcore.ConfigError
                   ("error", task_id, text)                     anything else that went wrong

Results and cycle records are converted to proto bytes here, in the worker, so the server's
event loop only parses bytes. Cancellation is cooperative first: the slot sets the shared
`cancel` Event and the progress and cycle hooks raise simcore.Cancelled when they see it (the
hooks are called every duration/2000 of simulated time); if that does not stop the run within
the slot's kill delay, the slot kills the process and spawns a new one.

A worker whose server died (its parent changed, or the pipe broke) exits on its own.
"""

from __future__ import annotations

import importlib
import os
import resource
import signal
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from typing import Any

import simcore

PROGRESS_EVERY_S = 0.1  # at most ~10 progress messages per second of wall time
HOOK_CALLS_PER_RUN = 2000  # progress hook every duration/2000 of simulated time


def resolve(target: str) -> Callable[..., Any]:
    """'package.module:function' -> the function (the simulate entry point to call)."""
    mod, _, name = target.partition(":")
    return getattr(importlib.import_module(mod), name or "simulate")  # type: ignore[no-any-return]


class _ParentGone(BaseException):
    """The server is gone: stop at once (BaseException so no model code swallows it)."""


def worker_main(conn: Connection, cancel: Event, simulate_target: str,
                memory_limit_bytes: int = 0) -> None:
    """Entry point of a worker process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the server, which stops us
    if memory_limit_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit_bytes, memory_limit_bytes))
    simulate = resolve(simulate_target)
    from server import convert  # imported here: the worker converts results to proto bytes

    parent = os.getppid()
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        task_id, cfg, want_cycles = msg
        try:
            _run_one(conn, cancel, simulate, convert, parent, task_id, cfg, want_cycles)
        except (_ParentGone, BrokenPipeError, EOFError, OSError):
            return


def _run_one(conn: Connection, cancel: Event, simulate: Callable[..., Any], convert: Any,
             parent: int, task_id: int, cfg: simcore.SimConfig, want_cycles: bool) -> None:
    last = time.monotonic()

    def check() -> None:
        if cancel.is_set():
            raise simcore.Cancelled()
        if os.getppid() != parent:
            raise _ParentGone()

    def on_progress(p: simcore.Progress) -> None:
        nonlocal last
        check()
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S:
            last = now
            conn.send(("progress", task_id, p))

    def on_cycle(rec: simcore.CycleRecord) -> None:
        check()
        if want_cycles:
            conn.send(("cycle", task_id, convert.cycle_to_proto(rec).SerializeToString()))

    hooks = simcore.Hooks(progress=on_progress, cycle=on_cycle,
                          progress_interval_ns=max(1, cfg.duration_ns // HOOK_CALLS_PER_RUN))
    try:
        result = simulate(cfg, hooks)
        data = convert.result_to_proto(result).SerializeToString()
    except simcore.Cancelled:
        conn.send(("cancelled", task_id))
        return
    except simcore.ConfigError as e:
        conn.send(("invalid", task_id, e.violations))
        return
    except (_ParentGone, BrokenPipeError):
        raise
    except MemoryError:
        conn.send(("error", task_id, "the simulation ran out of memory"))
        return
    except Exception as e:  # anything else the model raised: report it, keep the worker
        tb = traceback.format_exc(limit=-3)
        conn.send(("error", task_id, f"{type(e).__name__}: {e}\n{tb}"))
        return
    s = result.summary
    conn.send(("progress", task_id, simcore.Progress(
        simulated_ns=s.simulated_ns, duration_ns=cfg.duration_ns,
        cycles=len(result.cycles), requests_completed=s.requests_completed)))
    conn.send(("done", task_id, data))
