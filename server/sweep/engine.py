"""Where sweep simulations run: one concurrent.futures.Executor interface, several engines.

An Engine is a concurrent.futures.Executor plus what the runner needs to keep it busy: how
many tasks it can run at once (`slots`) and a name for reports. The runner only ever calls
engine.submit(fn, *args) and waits on the concurrent.futures.Future it returns, so every engine
runs the same code path:

  local_engine(n)       concurrent.futures.ProcessPoolExecutor with n "spawn" worker
                        processes (the default: n = the number of cores); kill() terminates the
                        workers for a fast shutdown even when a long simulation is running
  dask_engine(address)  a dask.distributed Client connected to an existing scheduler
                        ("tcp://host:8786"), through Client.get_executor(); slots = the
                        cluster's total worker threads. Needs the `cluster` extra
                        (pip install 'gosim[cluster]'); the workers need gosim installed too
  thread_engine(n)      a ThreadPoolExecutor (tests and tiny runs; no parallel speed-up
                        because the model holds the GIL)
  Engine(executor, slots, name)
                        any other concurrent.futures.Executor

engine_for(cluster, workers) picks one: Dask when a scheduler address is given or set in the
environment variable GOSIM_DASK_SCHEDULER, else the local pool.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import os
from collections.abc import Callable
from typing import Any

log = logging.getLogger("gosim.sweep.engine")

ENV_SCHEDULER = "GOSIM_DASK_SCHEDULER"


class EngineError(RuntimeError):
    """The engine cannot be created or has broken (the message says why)."""


class Engine:
    """A concurrent.futures.Executor with a size and a name (see the module doc)."""

    def __init__(self, executor: cf.Executor, slots: int, name: str,
                 closer: Callable[[], None] | None = None,
                 killer: Callable[[], None] | None = None) -> None:
        self.executor = executor
        self.slots = max(1, slots)
        self.name = name
        self._closer = closer
        self._killer = killer
        self.closed = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future[Any]:
        return self.executor.submit(fn, *args)

    def close(self, *, wait: bool = True) -> None:
        """Stop the engine: cancel queued tasks; wait for running ones if `wait`."""
        if self.closed:
            return
        self.closed = True
        try:
            try:
                self.executor.shutdown(wait=wait, cancel_futures=True)
            except TypeError:  # Dask's ClientExecutor: wait=False cancels what is left
                self.executor.shutdown(wait=wait)
        finally:
            if self._closer is not None:
                self._closer()

    def kill(self) -> None:
        """Stop at once: running tasks are abandoned (local pool: workers are terminated)."""
        if self._killer is not None:
            with contextlib.suppress(Exception):
                self._killer()
        self.close(wait=False)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Engine({self.name}, slots={self.slots})"


def local_engine(workers: int | None = None) -> Engine:
    """A process pool of `workers` spawned processes (default: the number of cores)."""
    n = workers or os.cpu_count() or 1
    pool = cf.ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))

    def kill() -> None:
        # ProcessPoolExecutor has no public way to stop a running task (3.14 adds
        # kill_workers()); terminate its processes so a shutdown is not held up.
        procs = getattr(pool, "_processes", None) or {}
        for p in list(procs.values()):
            with contextlib.suppress(Exception):
                p.kill()

    return Engine(pool, n, f"local:{n}", killer=kill)


def thread_engine(workers: int = 1) -> Engine:
    return Engine(cf.ThreadPoolExecutor(max_workers=workers), workers, f"threads:{workers}")


def dask_engine(address: str, *, timeout_s: float = 30.0) -> Engine:
    """Connect to a Dask distributed scheduler and use it through its executor."""
    try:
        import distributed
    except ImportError as e:
        raise EngineError("Dask is not installed: pip install 'gosim[cluster]' "
                          "(dask[distributed])") from e
    client_class: Any = distributed.Client
    try:
        client: Any = client_class(address, timeout=timeout_s, set_as_default=False)
    except Exception as e:  # OSError, TimeoutError, ValueError for a bad address...
        raise EngineError(f"cannot connect to the Dask scheduler at {address}: {e}") from e
    try:
        threads = sum(client.nthreads().values())
    except Exception:
        threads = 0
    if threads <= 0:
        log.warning("the Dask cluster at %s has no workers yet", address)
    executor: cf.Executor = client.get_executor(pure=False)

    def close() -> None:
        with contextlib.suppress(Exception):
            client.close()

    return Engine(executor, threads or 1, f"dask:{address}", closer=close)


def scheduler_address(cluster: str | None = None) -> str | None:
    """The Dask scheduler to use: the argument, else $GOSIM_DASK_SCHEDULER, else None."""
    return cluster or os.environ.get(ENV_SCHEDULER) or None


def engine_for(cluster: str | None = None, workers: int | None = None) -> Engine:
    """Dask when a scheduler address is given (or in the environment), else a local pool."""
    address = scheduler_address(cluster)
    if address:
        return dask_engine(address)
    return local_engine(workers)
