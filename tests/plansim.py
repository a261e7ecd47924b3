"""A closed-form stand-in for simcore.simulate with known, monotone answers (planning tests).

It returns an object with a `summary` (a real simcore Summary), computed from formulas instead
of a simulation, so each planning question has an answer known in advance:

- Queueing: each request needs SERVICE_NS of CPU; utilisation rho = rate x SERVICE_NS /
  gomaxprocs; p99 = SERVICE_NS / (1 - rho) (x a ±0.5 % seed-dependent jitter) while rho < 1,
  and the run falls behind (completion ratio 1/rho, p99 huge) beyond.
  => max rate with p99 <= 10 ms at 1 P: rho <= 0.9, i.e. 900/s.
  => min Ps for p99 <= 5 ms at 3500/s: rho <= 0.8, i.e. 3500/800 = 4.4 -> 5.
- Memory growth: RSS(t) = BASE_RSS + LEAK_PER_S x t; OOM when the container (if set) is
  smaller than that over the run.
  => the smallest container for 30 s is BASE_RSS + 30 x LEAK_PER_S = 40 MiB.
- GC: live heap LIVE; the heap settles at eff = min(LIVE x (1 + GOGC/100), max(GOMEMLIMIT,
  1.1 x LIVE)) (GOGC=off: the limit alone); RSS = eff + 8 MiB; GC CPU = 0.02 x LIVE /
  (eff - LIVE) (fewer cycles with more headroom).
  => within 200 MiB the best pair puts eff as high as fits: GOMEMLIMIT = 95 % of the budget
  (190 MiB) with a GOGC that does not bind first.
"""

from __future__ import annotations

import math
import types

import simcore
from simcore.config import NO_LIMIT
from simcore.results import GCCPU, LatencyBreakdown, OOMKill, Percentiles, Summary

SERVICE_NS = 1_000_000
MIB = 1 << 20
BASE_RSS = 10 * MIB
LEAK_PER_S = 1 * MIB
LIVE = 50 * MIB


def _pct(p99: int) -> Percentiles:
    return Percentiles(count=100, mean_ns=p99 // 3, p50_ns=p99 // 3, p90_ns=p99 // 2,
                       p99_ns=p99, p999_ns=p99 * 2, max_ns=p99 * 3)


def simulate(cfg: simcore.SimConfig, hooks: object = None) -> types.SimpleNamespace:
    simcore.validate(cfg)
    d = cfg.duration_ns
    rate = cfg.workload.open_loop.rate_per_s if cfg.workload.open_loop is not None else 0.0
    procs = cfg.runtime.gomaxprocs
    jitter = 1.0 + 0.005 * ((cfg.seed % 7) - 3) / 3
    rho = rate * SERVICE_NS / 1e9 / procs
    arrived = int(rate * d / 1e9)
    if rho < 1:
        p99 = int(SERVICE_NS / (1 - rho) * jitter)
        completed = arrived
    else:
        p99 = 10**12
        completed = int(arrived / rho)
    # Memory: growth, then the GC's heap.
    gogc, limit = cfg.runtime.gogc, cfg.runtime.gomemlimit_bytes
    goal = math.inf if gogc < 0 else LIVE * (1 + gogc / 100)
    floor = LIVE * 1.1
    eff = min(goal, max(limit, floor)) if limit != NO_LIMIT else goal
    if math.isinf(eff):
        eff = 4 * LIVE  # GOGC=off, no limit: grows (capped here for the formula)
    heap_rss = int(eff + 8 * MIB)
    gc = 0.02 * LIVE / (eff - LIVE)
    growth_rss = BASE_RSS + int(LEAK_PER_S * d / 1e9)
    uses_heap_model = cfg.workload.name == "gc"
    rss = heap_rss if uses_heap_model else growth_rss
    cont = cfg.runtime.container_memory_bytes
    oom = None
    simulated = d
    if cont and rss > cont:
        at = d if uses_heap_model else int((cont - BASE_RSS) / LEAK_PER_S * 1e9)
        at = max(0, min(d, at))
        oom = OOMKill(at_ns=at, rss_bytes=cont + 1, limit_bytes=cont, heap_alloc_bytes=0,
                      heap_goal_bytes=0, goroutines=1)
        simulated = at
    total = procs * d
    summary = Summary(
        simulated_ns=simulated, requests_arrived=arrived, requests_completed=completed,
        throughput_per_s=completed / (d / 1e9), latency=_pct(p99),
        breakdown=LatencyBreakdown(0, 0, 0, 0, 0), pauses=_pct(50_000),
        gc_cpu=GCCPU(0, int(gc * total), 0, 0, 0, 0, 0, 0, total), gc_cpu_fraction=gc,
        cycles_total=10, cycles_heap=10, cycles_forced=0, peak_heap_alloc_bytes=rss,
        peak_heap_goal_bytes=rss, peak_rss_bytes=min(rss, cont) if cont else rss,
        peak_goroutines=1, limiter_enabled_ns=0, mmu=(), oom=oom, bytes_allocated=0,
        bytes_freed=0, objects_allocated=0, objects_freed=0, heap_objects=0,
        stranded_regime_cycles=0, stranded_edge_cycles=0)
    return types.SimpleNamespace(summary=summary)
