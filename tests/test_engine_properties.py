"""Invariants of the runtime model, as hypothesis property tests over small random configs.

Configs: GOMAXPROCS 1..8, GOGC in {off, 25, 50, 100, 200, 400}, an optional GOMEMLIMIT and
container limit, open-loop (Poisson or constant, optionally with a rate change, stepped or
interpolated), closed-loop or no requests, worker goroutines, request programs mixing
compute, allocation (object-size mixes from tiny to large, any scannable fraction, request /
TTL / forever lifetimes), I/O and sync.Pool, a baseline heap with churn, idle goroutines and
globals. Every run simulates at most 0.5 s and about 600 requests, so each example takes a
fraction of a second.

Invariants (issue 3's list and the Result's documented promises):
- bytes allocated = bytes freed + heap_alloc at the end, with live <= heap_alloc (nothing
  reachable is freed); no negative cache, counter or memory figure;
- exactly two pauses per cycle (one more if the run ends inside a cycle), each one exactly
  its fixed cost (sweep or mark termination) + stw_per_p * P (+ stop_running);
- forced cycles more than 120 s after the previous cycle, never before the first GC;
- no request finishes before it arrives, nor before its own compute and I/O are done;
- the latency breakdown adds up to the latency sum; CPU classes add up to GOMAXPROCS x time;
- same config and seed => identical Result; another seed => another latency sum;
- histogram counts add up to their count; cycles are numbered 1..n; a cycle's goal is at
  least the previous cycle's marked heap; time-series columns have equal lengths.

One known bug is pinned by an exact xfail test in test_engine_exact.py (synchronous
scavenging CPU booked but not yet spent is counted at the end of a run); the check it would
break skips exactly its signature, marked "Known bug" below. Deeper runs: set
GOSIM_PROPERTY_EXAMPLES (see EXAMPLES).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from simcore import (
    GOGC_OFF,
    NO_LIMIT,
    Allocate,
    ArrivalProcess,
    BaselineHeap,
    ClosedLoop,
    Compute,
    CostModel,
    DistKind,
    Distribution,
    Hooks,
    IOWait,
    Lifetime,
    ObjectSize,
    OpenLoop,
    PoolGet,
    PoolPut,
    Program,
    RatePoint,
    Result,
    RuntimeConfig,
    SimConfig,
    Step,
    TriggerKind,
    WorkerGroup,
    Workload,
    simulate,
    validate,
)
from simcore.config import KIB, MIB, MS, SECOND

FORCE_GC_PERIOD_NS = 120 * SECOND  # forcegcperiod (reference §9)

ZERO_COST = CostModel(
    goroutine_create_ns=0, context_switch_ns=0, alloc_ns_per_object=0.0,
    alloc_ns_per_byte=0.0, refill_ns=0, large_alloc_ns=0, heap_grow_ns_per_mib=0,
    sweep_ns_per_span=0, wakeup_ns=0, wakeup_latency_ns=0, mark_alloc_slowdown=0.0)

# GOSIM_PROPERTY_EXAMPLES scales every test's example count (default 20) for a deeper run:
#   GOSIM_PROPERTY_EXAMPLES=300 .venv/bin/python -m pytest tests/test_engine_properties.py
EXAMPLES = int(os.environ.get("GOSIM_PROPERTY_EXAMPLES", "20"))


def _settings(fraction: float = 1.0) -> settings:
    return settings(max_examples=max(1, int(EXAMPLES * fraction)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


PROPERTY = _settings()

MAX_REQUESTS = 600
MAX_DURATION_MS = 500

# --- strategies ------------------------------------------------------------------------


def dists(lo: int, hi: int, *, constant_only: bool = False) -> st.SearchStrategy[Distribution]:
    """Distributions of non-negative integers, mostly within [lo, hi]."""
    if constant_only:
        return st.integers(lo, hi).map(Distribution.constant)
    return st.one_of(
        st.integers(lo, hi).map(Distribution.constant),
        st.integers(max(lo, 1), hi).map(Distribution.exponential),
        st.tuples(st.integers(lo, hi), st.integers(0, hi)).map(
            lambda t: Distribution.uniform(t[0], t[0] + t[1])),
        st.tuples(st.integers(max(lo, 1), hi), st.floats(0, 1.5)).map(
            lambda t: Distribution.lognormal(t[0], t[1])),
        st.lists(st.integers(lo, hi), min_size=1, max_size=3).map(
            lambda v: Distribution.empirical(tuple(v))),
    )


SIZES = [8, 12, 16, 24, 48, 64, 256, 600, 1024, 4096, 20_000, 40_000, 100_000]
object_sizes = st.lists(st.tuples(st.sampled_from(SIZES), st.integers(1, 4)), min_size=1,
                        max_size=3).map(lambda ws: tuple(ObjectSize(s, float(w)) for s, w in ws))


@st.composite
def alloc_steps(draw: Any) -> Step:
    life = draw(st.sampled_from([Lifetime.REQUEST, Lifetime.REQUEST, Lifetime.TTL,
                                 Lifetime.FOREVER]))
    ttl = draw(st.integers(1, 300)) * MS if life is Lifetime.TTL else 0
    if life is Lifetime.FOREVER:  # keep leaks small
        nbytes = Distribution.constant(draw(st.integers(64, 2048)))
    else:
        nbytes = draw(dists(256, 64 * KIB))
    return Step(allocate=Allocate(
        bytes=nbytes, object_sizes=draw(object_sizes),
        scannable_fraction=draw(st.sampled_from([0.0, 0.3, 0.6, 1.0])), lifetime=life,
        ttl_ns=ttl))


@st.composite
def programs(draw: Any, *, worker: bool = False, constant: bool = False) -> Program:
    """A request (or worker) program. constant: only constant compute/io durations."""
    steps = [Step(compute=Compute(draw(dists(1_000, 800_000, constant_only=constant))))]
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["compute", "alloc", "alloc", "io", "pool"]))
        if kind == "compute":
            steps.append(Step(compute=Compute(draw(dists(1_000, 500_000,
                                                          constant_only=constant)))))
        elif kind == "alloc":
            steps.append(draw(alloc_steps()))
        elif kind == "io":
            steps.append(Step(io_wait=IOWait(draw(dists(10_000, 5_000_000,
                                                        constant_only=constant)))))
        else:
            # One object kind per pool (mixing kinds in one pool is a known bug, pinned by
            # test_engine_workloads.test_a_pool_of_mixed_objects_keeps_the_live_heap_exact).
            name = draw(st.sampled_from(["small", "small-noscan", "big"]))
            size, scannable = {"small": (4096, True), "small-noscan": (4096, False),
                               "big": (40_000, True)}[name]
            steps.append(Step(pool_get=PoolGet(name, size, scannable)))
            if draw(st.booleans()):
                steps.append(Step(compute=Compute(Distribution.constant(
                    draw(st.integers(1, 100_000))))))
            if draw(st.integers(0, 3)):
                steps.append(Step(pool_put=PoolPut(name)))
    if worker:  # a worker loops for ever: give each iteration a real pause
        steps.append(Step(io_wait=IOWait(draw(dists(1_000_000, 5_000_000,
                                                    constant_only=constant)))))
    return Program(steps=tuple(steps),
                   stack_bytes=draw(st.sampled_from([2 * KIB, 8 * KIB, 64 * KIB])))


@st.composite
def configs(draw: Any, *, zero_cost: bool = False, constant: bool = False) -> SimConfig:
    duration = draw(st.integers(20, MAX_DURATION_MS)) * MS
    max_rate = MAX_REQUESTS * SECOND / duration
    kind = draw(st.sampled_from(["open", "open", "closed", "none"]))
    open_loop = closed_loop = None
    if kind == "open":
        schedule: tuple[RatePoint, ...] = ()
        if draw(st.booleans()):
            at = draw(st.integers(1, duration // MS)) * MS
            schedule = (RatePoint(at, draw(st.floats(0, max_rate))),)
        open_loop = OpenLoop(rate_per_s=draw(st.floats(20, max_rate)),
                             process=draw(st.sampled_from(list(ArrivalProcess))),
                             schedule=schedule, interpolate=draw(st.booleans()))
    elif kind == "closed":
        clients = draw(st.integers(1, 16))
        think_min = max(1, clients * duration // MAX_REQUESTS)
        closed_loop = ClosedLoop(clients, draw(dists(think_min, think_min + 5 * MS,
                                                     constant_only=constant)))
    workers: tuple[WorkerGroup, ...] = ()
    if kind == "none" or draw(st.integers(0, 3)) == 0:
        workers = (WorkerGroup(draw(st.integers(1, 4)),
                               draw(programs(worker=True, constant=constant))),)
    base = BaselineHeap()
    if draw(st.booleans()):
        base = BaselineHeap(
            live_bytes=draw(st.integers(1, 24)) * MIB,
            object_bytes=draw(st.sampled_from([64, 512, 4096])),
            scannable_fraction=draw(st.sampled_from([0.0, 0.5, 1.0])),
            churn_bytes_per_s=draw(st.sampled_from([0.0, 1.0 * MIB, 8.0 * MIB])))
    workload = Workload(
        request=draw(programs(constant=constant)), open_loop=open_loop,
        closed_loop=closed_loop, workers=workers, baseline_heap=base,
        idle_goroutines=draw(st.sampled_from([0, 10, 100])),
        globals_bytes=draw(st.sampled_from([0, 64 * KIB, 1 * MIB])))
    runtime = RuntimeConfig(
        gomaxprocs=draw(st.integers(1, 8)),
        gogc=draw(st.sampled_from([GOGC_OFF, 25, 50, 100, 200, 400])),
        gomemlimit_bytes=draw(st.sampled_from([NO_LIMIT, NO_LIMIT, 24 * MIB, 48 * MIB,
                                               128 * MIB])),
        container_memory_bytes=draw(st.sampled_from([0, 0, 0, 96 * MIB])),
        num_cpus=draw(st.sampled_from([0, 0, 1, 2, 16])))
    return SimConfig(runtime=runtime, workload=workload,
                     cost=ZERO_COST if zero_cost else CostModel(), duration_ns=duration,
                     seed=draw(st.integers(0, 2**32)),
                     warmup_ns=draw(st.sampled_from([0, 0, duration // 4])))


def mark_workers(procs: int) -> tuple[int, float]:
    """startCycle's worker plan: (dedicated workers, fractional utilization goal per P)."""
    goal = procs * 0.25
    dedicated = int(goal + 0.5)
    if abs(dedicated / goal - 1) > 0.3:
        if dedicated > goal:
            dedicated -= 1
        return dedicated, (goal - dedicated) / procs
    return dedicated, 0.0


def _run_with_state(cfg: SimConfig) -> tuple[Result, Any]:
    """Simulate and also return the engine's final state (heap, machine, collector).

    Uses simcore.engine._Run, the object simulate() drives, to read the end-of-run heap that
    the Result does not expose.
    """
    from simcore.engine import _Run

    run = _Run(validate(cfg), Hooks())
    return run.run(), run


# --- memory ----------------------------------------------------------------------------


@PROPERTY
@given(configs())
def test_bytes_allocated_equal_bytes_freed_plus_heap_alloc(cfg: SimConfig) -> None:
    res, run = _run_with_state(cfg)
    s = res.summary
    heap = run.heap
    alloc = heap.heap_alloc()
    assert s.bytes_allocated - s.bytes_freed == alloc
    assert 0 <= s.bytes_freed <= s.bytes_allocated
    # Nothing reachable was freed: what is live is still allocated.
    assert 0 <= heap.live <= alloc, (heap.live, alloc)
    assert 0 <= heap.live_scan <= heap.live
    assert s.peak_heap_alloc_bytes >= max(res.series.heap_alloc_bytes)
    for c in res.cycles:  # marked bytes were allocated at some point
        assert 0 <= c.heap_marked_bytes <= s.bytes_allocated
    if s.oom is not None:
        assert s.oom.heap_alloc_bytes == alloc
        assert s.simulated_ns == s.oom.at_ns < cfg.duration_ns


@PROPERTY
@given(configs())
def test_no_negative_caches_or_counters(cfg: SimConfig) -> None:
    res, run = _run_with_state(cfg)
    heap, m, coll = run.heap, run.m, run.coll
    for pid, cache in enumerate(heap.mcache):
        assert min(cache) >= 0, f"P{pid} mcache {cache}"
    for f in ("in_use", "free", "released", "mapped", "stacks", "globals", "total_alloc",
              "total_free", "objects_alloc", "objects_free"):
        assert getattr(heap, f) >= 0, f"heap.{f} = {getattr(heap, f)}"
    assert heap.mapped == heap.in_use + heap.free + heap.released
    assert heap.objects_free <= heap.objects_alloc
    for pool in m.pools:
        assert pool.victim >= 0 and min(pool.local, default=0) >= 0
    assert m.gs >= 0 and coll.stack_scan >= 0
    queued = len(m.global_q) + sum(len(p.runq) + (p.runnext is not None) for p in m.ps)
    assert m.runnable == queued
    s = res.summary
    assert min(dataclasses.astuple(s.gc_cpu)) >= 0, s.gc_cpu
    assert s.requests_completed <= s.requests_arrived
    assert s.peak_rss_bytes > 0 and s.peak_goroutines >= 0 and s.limiter_enabled_ns >= 0
    se = res.series
    for col in ("heap_alloc_bytes", "heap_live_bytes", "heap_goal_bytes", "trigger_bytes",
                "heap_in_use_bytes", "rss_bytes", "goroutines", "runnable_goroutines",
                "request_rate_per_s", "gc_cpu_fraction"):
        assert min(getattr(se, col)) >= 0, col
    assert max(se.gc_cpu_fraction) <= 1.0


# --- pauses and cycles -----------------------------------------------------------------


@PROPERTY
@given(configs())
def test_exactly_two_pauses_per_cycle(cfg: SimConfig) -> None:
    res = simulate(cfg)
    n = len(res.cycles)
    # A cycle cut off by the end of the run has recorded its first pause or not yet.
    assert res.pauses.count - 2 * n in (0, 1)
    assert res.summary.pauses.count == res.pauses.count
    cost = cfg.cost
    procs = cfg.runtime.gomaxprocs
    base1 = cost.stw_sweep_term_ns + cost.stw_per_p_ns * procs
    base2 = cost.stw_mark_term_ns + cost.stw_per_p_ns * procs
    base = max(base1, base2)
    total = 0
    for c in res.cycles:
        assert c.stop_ns_sweep_term in (0, cost.stop_running_ns)
        assert c.stop_ns_mark_term in (0, cost.stop_running_ns)
        assert c.stw_sweep_term_clock_ns == base1 + c.stop_ns_sweep_term
        assert c.stw_mark_term_clock_ns == base2 + c.stop_ns_mark_term
        total += c.stw_sweep_term_clock_ns + c.stw_mark_term_clock_ns
    # A cycle cut off by the end has recorded its sweep-termination pause or nothing.
    assert res.pauses.sum_ns - total in (0, base1, base1 + cost.stop_running_ns)
    # Pause CPU is every P for every pause (plus a pause in progress at the end).
    assert res.summary.gc_cpu.pause_ns >= res.pauses.sum_ns * procs
    assert res.summary.gc_cpu.pause_ns <= (res.pauses.sum_ns + base + cost.stop_running_ns) * procs


@PROPERTY
@given(configs())
def test_cycle_records_are_consistent(cfg: SimConfig) -> None:
    res = simulate(cfg)
    s = res.summary
    n = len(res.cycles)
    assert [c.n for c in res.cycles] == list(range(1, n + 1))
    assert s.cycles_total == n == s.cycles_heap + s.cycles_forced
    assert s.cycles_forced == sum(c.kind is TriggerKind.TIME for c in res.cycles)
    prev_end = -1
    for i, c in enumerate(res.cycles):
        assert c.gomaxprocs == cfg.runtime.gomaxprocs
        assert c.gctrace.startswith(f"gc {c.n} @") or c.gctrace.startswith(
            f"GC forced\ngc {c.n} @")
        assert c.gctrace.startswith("GC forced\n") == (c.kind is TriggerKind.TIME)
        assert c.mark_clock_ns >= 0
        assert c.start_ns >= prev_end  # cycles never overlap
        prev_end = (c.start_ns + c.stw_sweep_term_clock_ns + c.mark_clock_ns
                    + c.stw_mark_term_clock_ns)
        assert prev_end <= s.simulated_ns
        assert c.cpu_percent >= 0
        assert c.cpu_percent <= 100
        if i:
            # The goal is derived from the previous mark and never below it.
            assert c.heap_goal_bytes >= res.cycles[i - 1].heap_marked_bytes
        if c.kind is TriggerKind.HEAP:
            assert c.heap_start_bytes >= c.trigger_bytes
        # GC workers come before user goroutines: the dedicated ones hold their Ps for the
        # whole mark; fractional and idle workers share the other Ps.
        procs = cfg.runtime.gomaxprocs
        ded, frac = mark_workers(procs)
        assert abs(c.dedicated_cpu_ns - ded * c.mark_clock_ns) <= 1, (ded, c)
        # Fractional workers run in bursts (a whole P while they run) on the non-dedicated
        # Ps, only where rounding leaves a fractional goal.
        if frac == 0:
            assert c.fractional_cpu_ns == 0
        assert c.fractional_cpu_ns <= (procs - ded) * c.mark_clock_ns + 1
        idle_cap = (0 if ded else 1) if c.kind is TriggerKind.TIME else procs - ded
        assert c.idle_cpu_ns <= idle_cap * c.mark_clock_ns + 1
        # Assists are counted as they run and the mark waits for running ones: workers and
        # assists together fit in the Ps for the mark's duration.
        gc_mark = c.assist_cpu_ns + c.dedicated_cpu_ns + c.fractional_cpu_ns + c.idle_cpu_ns
        assert gc_mark <= procs * c.mark_clock_ns + 2, (gc_mark, c)
    assert s.peak_heap_goal_bytes >= max((c.heap_goal_bytes for c in res.cycles), default=0)


@_settings(0.3)
@given(
    procs=st.integers(1, 8),
    gogc=st.sampled_from([25, 50, 100, 200, 400]),
    live_mib=st.integers(1, 64),
    burst=st.integers(0, 200),
    duration_s=st.integers(100, 400),
)
def test_forced_cycles_are_spaced_by_more_than_two_minutes(procs: int, gogc: int,
                                                           live_mib: int, burst: int,
                                                           duration_s: int) -> None:
    """A mostly idle program (an optional burst of allocating requests in its first 200 ms)
    with a warm baseline heap: after the burst, only the two-minute timer starts cycles."""
    request = Program(steps=(Step(compute=Compute(Distribution.constant(50_000))),
                             Step(allocate=Allocate(bytes=Distribution.constant(256 * KIB)))))
    open_loop = OpenLoop(rate_per_s=burst * 5.0, schedule=(RatePoint(200 * MS, 0.0),))
    cfg = SimConfig(
        runtime=RuntimeConfig(gomaxprocs=procs, gogc=gogc),
        workload=Workload(request=request, open_loop=open_loop,
                          baseline_heap=BaselineHeap(live_bytes=live_mib * MIB)),
        duration_ns=duration_s * SECOND)
    res = simulate(cfg)
    forced = [c for c in res.cycles if c.kind is TriggerKind.TIME]
    heap_cycles = [c for c in res.cycles if c.kind is TriggerKind.HEAP]
    assert all(c.start_ns < 1 * SECOND for c in heap_cycles)
    prev_end = 0  # the warm baseline heap counts as a GC that just finished
    for c in res.cycles:
        if c.kind is TriggerKind.TIME:
            assert c.start_ns - prev_end > FORCE_GC_PERIOD_NS
            assert c.start_ns - prev_end < FORCE_GC_PERIOD_NS + 1 * SECOND
        prev_end = (c.start_ns + c.stw_sweep_term_clock_ns + c.mark_clock_ns
                    + c.stw_mark_term_clock_ns)
    # Periodic cycles cap idle mark workers: none when there is a dedicated worker, else 1.
    ded, _ = mark_workers(procs)
    for c in forced:
        assert c.idle_cpu_ns <= (0 if ded else 1) * c.mark_clock_ns + 1
        assert c.gctrace.startswith(f"GC forced\ngc {c.n} @")
    # ... and the timer does start them: one per idle stretch of two minutes.
    last_heap_end = 0 if not heap_cycles else heap_cycles[-1].start_ns + 1 * SECOND
    assert len(forced) >= (duration_s * SECOND - last_heap_end) // (121 * SECOND)


@PROPERTY
@given(configs())
def test_mmu_is_a_monotone_curve_below_every_pause(cfg: SimConfig) -> None:
    res = simulate(cfg)
    mmu = res.summary.mmu
    windows = [w for w, _ in mmu]
    values = [u for _, u in mmu]
    assert windows == sorted(windows) and windows[0] == 1 * MS
    assert all(0.0 <= u <= 1.0 for u in values)
    assert values == sorted(values)  # the lower envelope is non-decreasing
    if res.pauses.count == 0 and not res.cycles:
        assert values == [1.0] * len(values)
    longest = res.pauses.max_ns
    for w, u in mmu:
        # A window of w holding the longest pause fits in the run: the world was stopped
        # for `longest` of it.
        if longest and longest <= w <= res.summary.simulated_ns:
            assert u <= 1 - longest / w + 1e-6, (w, u, longest)


# --- requests ----------------------------------------------------------------------------


@PROPERTY
@given(configs(zero_cost=True, constant=True))
def test_no_request_finishes_before_its_own_work_is_done(cfg: SimConfig) -> None:
    """With zero incidental costs and constant durations, a request's latency is at least the
    sum of its compute and I/O steps (marking only slows it down)."""
    res = simulate(cfg)
    steps = cfg.workload.request.steps
    compute_ns = sum(round(s.compute.duration_ns.value) for s in steps if s.compute)
    io_ns = sum(round(s.io_wait.duration_ns.value) for s in steps if s.io_wait)
    n = res.latency.count
    if n:
        assert res.latency.min_ns >= compute_ns + io_ns
        b = res.summary.breakdown
        assert b.running_ns + b.assist_ns >= n * compute_ns
        assert b.io_ns == n * io_ns


@PROPERTY
@given(configs())
def test_latency_breakdown_and_histograms_add_up(cfg: SimConfig) -> None:
    res = simulate(cfg)
    lat = res.latency
    b = res.summary.breakdown
    parts = (b.running_ns, b.runnable_ns, b.assist_ns, b.stw_ns, b.io_ns)
    assert min(parts) >= 0
    assert sum(parts) == lat.sum_ns
    assert lat.count == res.summary.latency.count <= res.summary.requests_completed
    if lat.count:
        assert 0 <= lat.min_ns <= res.summary.latency.p50_ns <= res.summary.latency.p99_ns
        assert res.summary.latency.p99_ns <= lat.max_ns == res.summary.latency.max_ns
        assert lat.min_ns * lat.count <= lat.sum_ns <= lat.max_ns * lat.count
    for h in (res.latency, res.pauses, res.sched_latency):
        assert sum(h.counts) == h.count
        assert len(h.boundaries_seconds) == len(h.counts) + 1
        assert h.counts[0] == 0  # no negative duration (underflow bucket)
        if h.count:
            assert 0 <= h.min_ns <= h.max_ns
            assert h.min_ns * h.count <= h.sum_ns <= h.max_ns * h.count
        else:
            assert h.sum_ns == h.min_ns == h.max_ns == 0


@PROPERTY
@given(configs())
def test_cpu_classes_sum_to_total(cfg: SimConfig) -> None:
    """GCCPU's classes partition GOMAXPROCS x time: user + assist + dedicated + fractional +
    idle marking + pause + scavenge + idle Ps (results.GCCPU)."""
    res = simulate(cfg)
    g = res.summary.gc_cpu
    assert g.total_ns == cfg.runtime.gomaxprocs * res.summary.simulated_ns
    parts = (g.user_ns, g.assist_ns, g.dedicated_ns, g.fractional_ns, g.idle_ns, g.idle_p_ns,
             g.pause_ns, g.scavenge_ns)
    assert min(parts) >= 0, g
    # Known bug (test_engine_exact.test_cpu_booked_but_not_yet_spent_is_not_counted):
    # synchronous-scavenge CPU is counted when booked; what a goroutine has not run yet when
    # the run ends makes user time negative, clamped to 0. Skip that signature.
    assume(not (g.user_ns == 0 and sum(parts) > g.total_ns + 8))
    # Within rounding: each float class is truncated to an integer.
    assert abs(sum(parts) - g.total_ns) <= 8, (sum(parts) - g.total_ns, g)
    frac = res.summary.gc_cpu_fraction
    assert frac == pytest.approx(g.gc_total_ns() / g.total_ns)
    assert 0.0 <= frac <= 1.0


# --- determinism and output shape ------------------------------------------------------


def _has_random_durations(p: Program) -> bool:
    """Whether some compute or I/O step draws from a continuous, non-degenerate law."""
    for step in p.steps:
        d = (step.compute.duration_ns if step.compute
             else step.io_wait.duration_ns if step.io_wait else None)
        if d is None:
            continue
        if d.kind is DistKind.EXPONENTIAL or (
                d.kind is DistKind.UNIFORM and d.high - d.low >= 10_000) or (
                d.kind is DistKind.LOGNORMAL and d.sigma >= 0.5):
            return True
    return False


@_settings(0.6)
@given(configs())
def test_same_seed_same_result_other_seed_other_latencies(cfg: SimConfig) -> None:
    a = simulate(cfg)
    b = simulate(cfg)
    assert a == b
    c = simulate(cfg.replace(seed=cfg.seed + 1))
    assert c.seed == cfg.seed + 1
    # Each request draws its own durations: another seed gives another latency sum.
    if _has_random_durations(cfg.workload.request) and min(a.latency.count,
                                                           c.latency.count) >= 50:
        assert (a.latency.sum_ns, a.latency.count) != (c.latency.sum_ns, c.latency.count)


@PROPERTY
@given(configs())
def test_time_series_columns_have_equal_lengths(cfg: SimConfig) -> None:
    res = simulate(cfg)
    se = res.series
    n = len(se.t_ns)
    assert n >= 1
    for col in ("heap_alloc_bytes", "heap_live_bytes", "heap_goal_bytes", "trigger_bytes",
                "heap_in_use_bytes", "rss_bytes", "goroutines", "runnable_goroutines",
                "gc_cpu_fraction", "request_rate_per_s", "gc_running"):
        assert len(getattr(se, col)) == n, col
    assert se.interval_ns == cfg.effective_sample_interval_ns()
    assert se.t_ns[0] == 0
    assert all(b - a == se.interval_ns for a, b in zip(se.t_ns, se.t_ns[1:], strict=False))
    assert se.t_ns[-1] < res.summary.simulated_ns or res.summary.simulated_ns == 0
    assert n <= cfg.duration_ns // se.interval_ns + 1
    # Output size does not grow with the run: 500 samples by default, fixed histograms.
    if cfg.sample_interval_ns == 0:
        assert n <= 501
    assert len(res.latency.counts) == len(res.pauses.counts) == len(res.sched_latency.counts)


@_settings(0.5)
@given(configs())
def test_lazy_completion_does_not_change_the_result(cfg: SimConfig) -> None:
    """The machine completes a finishing goroutine without an event when nothing can
    intervene (Machine.lazy_ok, an optimisation). Turned off, the Result must be identical."""
    from simcore.engine import _Run

    fast, _ = _run_with_state(cfg)
    run = _Run(validate(cfg), Hooks())
    if not hasattr(run.m, "lazy_ok"):
        pytest.skip("the machine has no lazy-completion switch any more")
    run.m.lazy_ok = False
    assert run.run() == fast


def test_lazy_completion_and_two_ps_ending_at_the_same_instant() -> None:
    """A falsifying example hypothesis found for the property above (4 Ps, GOGC=off, 44 us
    requests at 11 418/s, seed 1). Two requests that started together end at 10.356356 ms
    on two Ps, one with a new goroutine in runnext, the other with nothing local while an
    arrival waits in the netpoller. Events at one time fire in their order of creation, and
    here the order decides which P takes the arrival. A lazy completion's event is made
    later than it is decided (materialize), so it used to come second and the two requests
    ran in the other order (latencies 76.9 / 87.0 us against 104.7 / 59.2 us); it now takes
    its place in that order when it goes lazy (simcore.timers.reserve_eid)."""
    from simcore.engine import _Run

    cfg = SimConfig(
        runtime=RuntimeConfig(gomaxprocs=4, gogc=GOGC_OFF),
        workload=Workload(request=Program(steps=(Step(compute=Compute(
            Distribution.constant(44129))),), stack_bytes=2048),
            open_loop=OpenLoop(rate_per_s=11418.0), globals_bytes=0),
        duration_ns=20 * MS, seed=1)
    fast = simulate(cfg)
    run = _Run(validate(cfg), Hooks())
    run.m.lazy_ok = False
    assert run.run() == fast


# --- baseline-heap churn ------------------------------------------------------------------


def test_churn_assists_are_not_counted_as_cpu_nobody_spent() -> None:
    """The churn is allocated by an off-P goroutine: it must not assist (it used to book
    ~0.3 s of assist CPU here that no P ever ran, with mark work done for free)."""
    cfg = SimConfig(
        runtime=RuntimeConfig(gomaxprocs=1, gogc=25),
        workload=Workload(baseline_heap=BaselineHeap(live_bytes=64 * MIB,
                                                     churn_bytes_per_s=256 * MIB)),
        duration_ns=SECOND)
    g = simulate(cfg).summary.gc_cpu
    assert g.assist_ns == 0  # no goroutine ever ran, so none assisted
    parts = (g.user_ns + g.assist_ns + g.dedicated_ns + g.fractional_ns + g.idle_ns
             + g.idle_p_ns + g.pause_ns + g.scavenge_ns)
    assert abs(parts - g.total_ns) <= 8


def test_churn_scavenging_is_not_counted_as_cpu_nobody_spent() -> None:
    """No goroutine at all: 24 MiB of baseline heap churning at 8 MiB/s under a 48 MiB
    GOMEMLIMIT (GOGC=off). The churn runs on no P, so it must not scavenge synchronously
    either (that used to be booked against user time nobody spent)."""
    cfg = SimConfig(
        runtime=RuntimeConfig(gomaxprocs=1, gogc=GOGC_OFF, gomemlimit_bytes=48 * MIB),
        workload=Workload(baseline_heap=BaselineHeap(live_bytes=24 * MIB, object_bytes=64,
                                                     scannable_fraction=0.0,
                                                     churn_bytes_per_s=8.0 * MIB)),
        duration_ns=2 * SECOND)
    g = simulate(cfg).summary.gc_cpu
    assert g.user_ns == 0
    parts = (g.user_ns + g.assist_ns + g.dedicated_ns + g.fractional_ns + g.idle_ns
             + g.idle_p_ns + g.pause_ns + g.scavenge_ns)
    assert abs(parts - g.total_ns) <= 8, parts - g.total_ns


# --- the network poller -------------------------------------------------------------------


@PROPERTY
@given(configs())
def test_nothing_waits_in_the_poller_that_a_p_could_take(cfg: SimConfig) -> None:
    """At the end of any run: a wake-up waits in the poller only while no P is idle (an idle
    P's thread would have taken it), and then something will poll (an idle worker's drain
    check or sysmon); arrivals wait for the acceptor only behind a P that is not idle."""
    _, run = _run_with_state(cfg)
    m = run.m
    if m.n_idle > (m.idle_cap if m.marking else 0):
        assert not m.poll_q and not m.accept_wait and m.accept_p is None
    if m.poll_q:
        assert m.poll_ev is not None or m.sysmon_ev is not None
    if m.accept_wait:
        assert m.accept_p is not None and not m.accept_p.idle
    else:
        assert m.accept_p is None
