"""A stand-in for simcore.simulate with the same API, for server tests.

It honours the contract of simcore.simulate: validates the config, calls hooks.progress every
hooks.progress_interval_ns of simulated time and hooks.cycle for each "GC cycle" (one every
250 ms of simulated time), lets a hook's exception propagate, and returns a Result built from
simcore's dataclasses. It takes WALL_PER_SIM_S seconds of wall time per simulated second, so a
test can make a run as long as it needs.

Fault injection through workload.name (only here, never in simcore):
  "fake:hang"   sleep without ever calling a hook (the executor must kill the worker)
  "fake:crash"  exit the worker process abruptly
  "fake:raise"  raise RuntimeError from the model
  "fake:hog"    allocate 1 GiB (to test the workers' memory limit)
The server is pointed at it with simulate_target="fakesim:simulate" (tests/ is on sys.path,
which spawned worker processes inherit).
"""

from __future__ import annotations

import math
import os
import time

import simcore
from simcore.results import (
    GCCPU,
    CycleRecord,
    Histogram,
    LatencyBreakdown,
    OOMKill,
    Percentiles,
    Result,
    SpanKind,
    Summary,
    TimeSeries,
    Trace,
    TraceSpan,
    TriggerKind,
)

WALL_PER_SIM_S = 0.05
CYCLE_EVERY_NS = 250_000_000


def _hist(n: int) -> Histogram:
    b = (-math.inf, 0.0, 1e-6, 1e-3, 1.0, math.inf)
    counts = (0, n // 2, n - n // 2, 0, 0)
    return Histogram(boundaries_seconds=b, counts=counts, count=n, sum_ns=n * 1000,
                     min_ns=500 if n else 0, max_ns=2000 if n else 0)


def _cycle(n: int, t: int, gomaxprocs: int) -> CycleRecord:
    return CycleRecord(
        n=n, start_ns=t, kind=TriggerKind.HEAP, cpu_percent=1, stw_sweep_term_clock_ns=20_000,
        mark_clock_ns=1_000_000, stw_mark_term_clock_ns=30_000, stw_sweep_term_cpu_ns=80_000,
        assist_cpu_ns=10_000, dedicated_cpu_ns=500_000, fractional_cpu_ns=0, idle_cpu_ns=0,
        stw_mark_term_cpu_ns=120_000, heap_start_bytes=4 << 20, heap_end_bytes=5 << 20,
        heap_marked_bytes=2 << 20, heap_goal_bytes=4 << 20, trigger_bytes=3 << 20,
        stacks_bytes=8192, globals_bytes=65536, heap_scan_work_bytes=1 << 20,
        gomaxprocs=gomaxprocs, cons_mark=0.5, limiter_enabled=False, stop_ns_sweep_term=5000,
        stop_ns_mark_term=5000,
        gctrace=f"gc {n} @{t / 1e9:.3f}s 1%: 0.020+1.0+0.030 ms clock, "
                f"0.080+0.010/0.50/0+0.12 ms cpu, 4->5->2 MB, 4 MB goal, 0 MB stacks, "
                f"0 MB globals, {gomaxprocs} P",
        stranded_start_bytes=0, stranded_bytes=0, stranded_margin_bytes=0,
        stranded_refilled_bytes=0, stranded_refilled_span_bytes=0)


def simulate(config: simcore.SimConfig, hooks: simcore.Hooks | None = None) -> Result:
    simcore.validate(config)
    hooks = hooks or simcore.Hooks()
    name = config.workload.name
    if name == "fake:hang":
        time.sleep(3600)
    if name == "fake:crash":
        os._exit(3)
    if name == "fake:raise":
        raise RuntimeError("the fake model failed")
    if name == "fake:hog":
        hog = bytearray(1 << 30)
        del hog
    d = config.duration_ns
    interval = hooks.progress_interval_ns or max(1, d // 200)
    rate = config.workload.open_loop.rate_per_s if config.workload.open_loop else 0.0
    t = 0
    cycles: list[CycleRecord] = []
    next_cycle = CYCLE_EVERY_NS
    while t < d:
        step = min(interval, d - t)
        time.sleep(step / 1e9 * WALL_PER_SIM_S)
        t += step
        while next_cycle <= t:
            rec = _cycle(len(cycles) + 1, next_cycle, config.runtime.gomaxprocs)
            cycles.append(rec)
            if hooks.cycle is not None:
                hooks.cycle(rec)
            next_cycle += CYCLE_EVERY_NS
        if hooks.progress is not None:
            hooks.progress(simcore.Progress(simulated_ns=t, duration_ns=d, cycles=len(cycles),
                                            requests_completed=int(rate * t / 1e9)))
    n = int(rate * d / 1e9)
    k = max(1, d // config.effective_sample_interval_ns())
    iv = config.effective_sample_interval_ns()
    series = TimeSeries(
        interval_ns=iv, t_ns=tuple(iv * (i + 1) for i in range(k)),
        heap_alloc_bytes=(1 << 20,) * k, heap_live_bytes=(1 << 20,) * k,
        heap_goal_bytes=(4 << 20,) * k, trigger_bytes=(3 << 20,) * k,
        heap_in_use_bytes=(2 << 20,) * k, rss_bytes=(16 << 20,) * k, goroutines=(5,) * k,
        runnable_goroutines=(1,) * k, gc_cpu_fraction=(0.01,) * k,
        request_rate_per_s=(rate,) * k, gc_running=tuple(i % 2 == 0 for i in range(k)))
    pct = Percentiles(count=n, mean_ns=1000, p50_ns=900, p90_ns=1500, p99_ns=1900,
                      p999_ns=2000, max_ns=2000)
    p = config.runtime.gomaxprocs
    oom = None
    if config.runtime.container_memory_bytes and config.runtime.container_memory_bytes < 1 << 20:
        oom = OOMKill(at_ns=d, rss_bytes=16 << 20,
                      limit_bytes=config.runtime.container_memory_bytes,
                      heap_alloc_bytes=1 << 20, heap_goal_bytes=4 << 20, goroutines=5)
    summary = Summary(
        simulated_ns=d, requests_arrived=n, requests_completed=n, throughput_per_s=rate,
        latency=pct, breakdown=LatencyBreakdown(n * 800, n * 100, n * 50, n * 20, n * 30),
        pauses=pct, gc_cpu=GCCPU(1, 2, 3, 4, 5, 6, 7, 8, p * d), gc_cpu_fraction=0.01,
        cycles_total=len(cycles), cycles_heap=len(cycles), cycles_forced=0,
        peak_heap_alloc_bytes=1 << 20, peak_heap_goal_bytes=4 << 20, peak_rss_bytes=16 << 20,
        peak_goroutines=5, limiter_enabled_ns=0,
        mmu=((1_000_000, 0.5), (10_000_000, 0.9)), oom=oom, bytes_allocated=n * 1024,
        bytes_freed=n * 512, objects_allocated=n * 16, objects_freed=n * 15,
        heap_objects=n, stranded_regime_cycles=0, stranded_edge_cycles=0)
    trace = None
    if config.trace_duration_ns > 0:
        t0, t1 = config.trace_start_ns, config.trace_start_ns + config.trace_duration_ns
        spans = (TraceSpan(0, t0, t0 + 1000, SpanKind.GOROUTINE, 1, 0),
                 TraceSpan(-1, t0 + 1000, t0 + 2000, SpanKind.STW_SWEEP_TERM, 0, 1))
        trace = Trace(start_ns=t0, end_ns=t1, spans=spans[:config.trace_max_spans],
                      truncated=config.trace_max_spans < len(spans))
    return Result(summary=summary, latency=_hist(n), pauses=_hist(2 * len(cycles)),
                  sched_latency=_hist(n), cycles=tuple(cycles), series=series,
                  seed=config.seed, config=config, trace=trace,
                  gosim_version=simcore.GOSIM_VERSION,
                  go_version=simcore.GO_VERSION)
