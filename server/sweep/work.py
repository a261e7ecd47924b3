"""The task function of a sweep: run a batch of simulations and return their summaries.

run_batch(target, items) runs in whatever the engine uses as a worker — a process of the local
pool, a Dask worker (process or thread), or a thread in tests — so it only needs simcore (and
the module named by `target`, "simcore:simulate" unless a test points it elsewhere). Each item
is (point index, replication, simcore.SimConfig with the replication's seed); each outcome is
(point index, replication, Summary or None, error text, wall-clock ns). A failing simulation
does not fail the batch: its error travels back as text, so one bad run costs one run.

Batching several small simulations per task hides the per-task overhead of the engine (pickling,
scheduling, and for Dask a round trip to the scheduler); the runner decides the batch sizes.

Cancellation: `cancel_token` is the path of a file the runner creates when the sweep is
cancelled. Before each simulation, and from its progress hook (at most every CHECK_EVERY_S of
wall time, 200 times per run), the batch looks for it and stops with simcore.Cancelled, so a
cancelled sweep frees a local worker within about a tenth of a second instead of finishing the
batch. (Workers on other machines do not see the file; there the batch runs to its end.)
Hooks only observe: a run with them gives the same result as without.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import simcore
from simcore.results import Summary

Item = tuple[int, int, simcore.SimConfig]
Outcome = tuple[int, int, Summary | None, str, int]

CHECK_EVERY_S = 0.1
CANCELLED = "cancelled"

_RESOLVED: dict[str, Callable[..., Any]] = {}


def _resolve(target: str) -> Callable[..., Any]:
    fn = _RESOLVED.get(target)
    if fn is None:
        from server.worker import resolve

        fn = _RESOLVED[target] = resolve(target)
    return fn


def run_batch(target: str, items: Sequence[Item], cancel_token: str | None = None
              ) -> list[Outcome]:
    """Simulate each item in turn (see the module doc)."""
    simulate = _resolve(target)
    out: list[Outcome] = []
    last = time.monotonic()

    def check(_: simcore.Progress | None = None) -> None:
        nonlocal last
        now = time.monotonic()
        if cancel_token is not None and now - last >= CHECK_EVERY_S:
            last = now
            if os.path.exists(cancel_token):
                raise simcore.Cancelled()

    for point, rep, cfg in items:
        t0 = time.perf_counter_ns()
        if cancel_token is not None and os.path.exists(cancel_token):
            out.append((point, rep, None, CANCELLED, 0))
            continue
        hooks = simcore.Hooks(progress=check,
                              progress_interval_ns=max(1, cfg.duration_ns // 200))
        try:
            result = simulate(cfg, hooks)
            out.append((point, rep, result.summary, "", time.perf_counter_ns() - t0))
        except simcore.Cancelled:
            out.append((point, rep, None, CANCELLED, time.perf_counter_ns() - t0))
        except simcore.ConfigError as e:
            text = "; ".join(f"{p}: {r}" for p, r in e.violations)
            out.append((point, rep, None, f"invalid config: {text}",
                        time.perf_counter_ns() - t0))
        except MemoryError:
            out.append((point, rep, None, "the simulation ran out of memory",
                        time.perf_counter_ns() - t0))
        except Exception as e:  # the model failed on this input: report it, go on
            tb = traceback.format_exc(limit=-2)
            out.append((point, rep, None, f"{type(e).__name__}: {e}\n{tb}",
                        time.perf_counter_ns() - t0))
    return out


def noop_batch(n: int) -> int:
    """A task that does nothing (the benchmark's measure of per-task overhead)."""
    return n
