"""Behaviour of the runtime model on whole workloads: the effects a Go engineer expects.

Each test compares runs (with and without sync.Pool, GOGC=50 against GOGC=200, 2 Ps against
4, ...) or checks one qualitative effect (a leak ends in an OOM kill, the CPU limiter stops a
death spiral), with margins wide enough for Poisson noise and modelling choices but narrow
enough to fail when the effect is missing. Simulated durations are short (at most 1.5 s).
"""

from __future__ import annotations

import dataclasses
import functools
import math

import pytest

from simcore import (
    GOGC_OFF,
    NO_LIMIT,
    Allocate,
    ArrivalProcess,
    BaselineHeap,
    Cancelled,
    ClosedLoop,
    Compute,
    ConfigError,
    CostModel,
    CycleRecord,
    Distribution,
    Hooks,
    IOWait,
    Lifetime,
    ObjectSize,
    OpenLoop,
    PoolGet,
    PoolPut,
    Program,
    Progress,
    RatePoint,
    Result,
    RuntimeConfig,
    SimConfig,
    Step,
    WorkerGroup,
    Workload,
    simulate,
    validate,
)
from simcore.config import KIB, MIB, MS, SECOND
from simcore.engine import RUNTIME_GOROUTINES


def compute(ns: int) -> Step:
    return Step(compute=Compute(Distribution.constant(ns)))


def io(ns: int) -> Step:
    return Step(io_wait=IOWait(Distribution.constant(ns)))


def alloc(nbytes: int, size: int = 1024, lifetime: Lifetime = Lifetime.REQUEST,
          ttl_ns: int = 0, scannable: float = 0.5) -> Step:
    return Step(allocate=Allocate(bytes=Distribution.constant(nbytes),
                                  object_sizes=(ObjectSize(size),), scannable_fraction=scannable,
                                  lifetime=lifetime, ttl_ns=ttl_ns))


def run(steps: tuple[Step, ...] | list[Step], *, procs: int = 2, gogc: int = 100,
        limit: int = NO_LIMIT, container: int = 0, duration_ns: int = SECOND,
        sample_interval_ns: int = 0, cost: CostModel | None = None,
        **workload: object) -> Result:
    return simulate(SimConfig(
        runtime=RuntimeConfig(gomaxprocs=procs, gogc=gogc, gomemlimit_bytes=limit,
                              container_memory_bytes=container),
        workload=Workload(request=Program(steps=tuple(steps)), **workload),  # type: ignore[arg-type]
        cost=cost or CostModel(), duration_ns=duration_ns,
        sample_interval_ns=sample_interval_ns))


def mean(xs: list[float] | tuple[float, ...]) -> float:
    return sum(xs) / len(xs)


# --- sync.Pool -----------------------------------------------------------------------------


def test_sync_pool_reduces_bytes_allocated() -> None:
    """A 32 KiB buffer per request, from a pool or freshly allocated, 2000 req/s for 1 s."""
    pooled = run([Step(pool_get=PoolGet("buf", 32 * KIB)), compute(200_000),
                  Step(pool_put=PoolPut("buf"))], open_loop=OpenLoop(2000))
    fresh = run([alloc(32 * KIB, size=32 * KIB), compute(200_000)], open_loop=OpenLoop(2000))
    assert pooled.summary.requests_completed == fresh.summary.requests_completed > 1500
    assert fresh.summary.bytes_allocated >= 1500 * 32 * KIB
    # Only the few buffers in use at once are ever allocated.
    assert pooled.summary.bytes_allocated * 20 < fresh.summary.bytes_allocated
    assert pooled.summary.cycles_total < fresh.summary.cycles_total


def test_pooled_object_survives_one_gc_as_a_victim() -> None:
    """sync.Pool's victim cache (reference §12): a 1 MiB buffer is pooled by requests every
    5 ms until 95 ms, while a worker's garbage keeps the GC cycling. After the last Put the
    next GC moves the idle buffer to the victim cache (still reachable, still marked) and the
    one after drops it."""
    worker = WorkerGroup(1, Program(steps=(compute(100_000), alloc(256 * KIB, scannable=0.0),
                                           io(1 * MS))))
    request = Program(steps=(Step(pool_get=PoolGet("big", 1 * MIB, scannable=False)),
                             compute(2 * MS), Step(pool_put=PoolPut("big"))))
    r = simulate(SimConfig(
        runtime=RuntimeConfig(gomaxprocs=2),
        workload=Workload(request=request, workers=(worker,),
                          open_loop=OpenLoop(200, process=ArrivalProcess.CONSTANT,
                                             schedule=(RatePoint(100 * MS, 0.0),))),
        duration_ns=400 * MS))
    assert r.summary.requests_completed == 19  # at 5, 10, ..., 95 ms
    last_put = 95 * MS + r.latency.max_ns
    during = [c for c in r.cycles if c.start_ns < 90 * MS]
    after = [c for c in r.cycles if c.start_ns > last_put]
    assert len(during) >= 3 and len(after) >= 3
    assert all(c.heap_marked_bytes >= 1 * MIB for c in during)  # held or pooled
    assert after[0].heap_marked_bytes >= 1 * MIB  # a victim now
    assert all(c.heap_marked_bytes < 1 * MIB for c in after[1:])  # dropped


def test_pool_get_without_put_allocates_every_time() -> None:
    """Get without Put never returns the object: the pool is always empty."""
    leaky = run([Step(pool_get=PoolGet("buf", 32 * KIB)), compute(200_000)],
                open_loop=OpenLoop(2000))
    s = leaky.summary
    assert s.bytes_allocated >= s.requests_completed * 32 * KIB


def test_pooled_object_is_held_until_the_work_before_its_put_is_done() -> None:
    """Get, 2 ms of compute, Put; arrivals 1 ms apart on 2 Ps: the second request starts
    while the first still holds the 1 MiB buffer, so it misses and allocates a second one
    (the Put used to take effect when the segment started, with the compute still ahead);
    from the third on, every Get finds a buffer a request put back."""
    request = Program(steps=(Step(pool_get=PoolGet("big", 1 * MIB, scannable=False)),
                             compute(2 * MS), Step(pool_put=PoolPut("big"))))
    r = simulate(SimConfig(
        runtime=RuntimeConfig(gomaxprocs=2, gogc=GOGC_OFF),
        workload=Workload(request=request,
                          open_loop=OpenLoop(1000, process=ArrivalProcess.CONSTANT,
                                             schedule=(RatePoint(10_500_000, 0.0),))),
        duration_ns=20 * MS))
    assert r.summary.requests_completed == 10
    assert r.summary.bytes_allocated == 2 * MIB  # two buffers, never more


@pytest.mark.parametrize("size", [49, 50])
def test_every_pool_miss_allocates_one_object(size: int) -> None:
    """1 P, 1 closed-loop client, Get without Put then 1 ms of compute: requests start at
    0, 1, ..., 10 ms and each Get misses. (49 B used to allocate one object less: the miss
    was an Allocate of 49 B whose 49 * (1/49) objects truncated to 0 on the first call.)"""
    r = simulate(SimConfig(
        runtime=RuntimeConfig(gomaxprocs=1),
        workload=Workload(request=Program(steps=(
            Step(pool_get=PoolGet("p", size, scannable=False)), compute(1 * MS))),
            closed_loop=ClosedLoop(1)),
        duration_ns=10 * MS + 500_000))
    assert r.summary.requests_arrived == 11
    assert r.summary.objects_allocated == 11
    assert r.summary.bytes_allocated == 11 * 64  # both sizes are in the 64 B size class


def _pool_config(second_pool: str) -> SimConfig:
    """Ten requests (1 ms apart) Get a 4096 B noscan object from pool 'p' and a 4096 B
    pointerful one (4864 B class with its header) from `second_pool`, and never Put them
    back; a 4 MiB baseline heap; a forced GC two minutes later."""
    request = Program(steps=(Step(pool_get=PoolGet("p", 4096, scannable=False)),
                             Step(pool_get=PoolGet(second_pool, 4096, scannable=True)),
                             compute(1 * MS)))
    return SimConfig(
        runtime=RuntimeConfig(gomaxprocs=1),
        workload=Workload(request=request,
                          open_loop=OpenLoop(1000, process=ArrivalProcess.CONSTANT,
                                             schedule=(RatePoint(10_500_000, 0.0),)),
                          baseline_heap=BaselineHeap(live_bytes=4 * MIB)),
        duration_ns=121 * SECOND)


def test_dropped_pool_objects_leave_only_the_baseline_live() -> None:
    r = simulate(_pool_config("q"))
    assert [c.heap_marked_bytes for c in r.cycles] == [4 * MIB]
    assert r.summary.bytes_allocated == 4 * MIB + 10 * (4096 + 4864)


def test_a_pool_holds_one_kind_of_object() -> None:
    """The model keeps one object size per pool: Gets of different sizes or scannability
    from one pool are rejected, naming the step. (They used to be accepted, and the live
    heap drifted by 768 B per request, even below zero.)"""
    with pytest.raises(ConfigError) as exc:
        simulate(_pool_config("p"))
    assert [p for p, _ in exc.value.violations] == ["workload.request.steps[1].pool_get"]


# --- leaks, OOM and lifetimes --------------------------------------------------------------


def _leak(container: int = 0, duration_ns: int = SECOND) -> Result:
    return run([compute(200_000), alloc(64 * KIB, lifetime=Lifetime.FOREVER)],
               open_loop=OpenLoop(2000), container=container, duration_ns=duration_ns)


def test_forever_leak_grows_the_heap() -> None:
    r = _leak()
    marked = [c.heap_marked_bytes for c in r.cycles]
    assert len(marked) >= 3
    assert marked == sorted(marked)
    assert marked[-1] > 8 * marked[0]
    # Nothing allocated is ever garbage, so sweeping frees next to nothing.
    s = r.summary
    assert s.bytes_freed < s.bytes_allocated // 20
    assert s.oom is None


def test_leak_with_a_container_limit_is_oom_killed() -> None:
    limit = 128 * MIB
    duration = 2 * SECOND
    r = _leak(container=limit, duration_ns=duration)
    s = r.summary
    assert s.oom is not None
    oom = s.oom
    assert s.simulated_ns == oom.at_ns < duration
    assert oom.limit_bytes == limit
    assert oom.rss_bytes > limit
    assert s.peak_rss_bytes >= oom.rss_bytes
    # The state at the moment of the kill: exactly the bytes allocated and not freed.
    assert oom.heap_alloc_bytes == s.bytes_allocated - s.bytes_freed
    assert oom.goroutines >= RUNTIME_GOROUTINES
    assert s.gc_cpu.total_ns == 2 * oom.at_ns
    assert all(t <= oom.at_ns for t in r.series.t_ns)
    # The leak (64 KiB * 2000/s = 125 MiB/s, more after size-class rounding) explains when:
    # well before 2 s, and not before the heap could have filled half the limit.
    assert (limit / 2) / (64 * KIB * 2000) * SECOND < oom.at_ns < 1.5 * SECOND
    assert oom.heap_alloc_bytes > limit // 2


def test_ttl_lifetime_keeps_rate_times_bytes_times_ttl_live() -> None:
    """2000 req/s each keeping 64 KiB for 200 ms: about 2000 * 64 KiB * 0.2 = 25 MiB live."""
    ttl = 200 * MS
    r = run([compute(200_000), alloc(64 * KIB, lifetime=Lifetime.TTL, ttl_ns=ttl)],
            open_loop=OpenLoop(2000))
    expected = 2000 * 64 * KIB * ttl / SECOND
    late = [c.heap_marked_bytes for c in r.cycles if c.start_ns > 2 * ttl]
    assert len(late) >= 2
    for m in late:
        assert 0.85 * expected < m < 1.35 * expected, (m, expected)
    # The same requests with request lifetime keep next to nothing live.
    short = run([compute(200_000), alloc(64 * KIB)], open_loop=OpenLoop(2000))
    assert max(c.heap_marked_bytes for c in short.cycles) < 0.2 * expected


# --- GOGC, GOMAXPROCS, the memory limit, the CPU limiter ---------------------------------


def test_lower_gogc_means_more_cycles() -> None:
    steps = [compute(200_000), alloc(64 * KIB)]
    r50 = run(steps, gogc=50, open_loop=OpenLoop(2000))
    r200 = run(steps, gogc=200, open_loop=OpenLoop(2000))
    assert r50.summary.cycles_total > 2 * r200.summary.cycles_total > 0
    assert r50.summary.peak_heap_goal_bytes < r200.summary.peak_heap_goal_bytes
    assert r50.summary.gc_cpu.gc_total_ns() > r200.summary.gc_cpu.gc_total_ns()


def test_more_procs_lower_p99_on_a_saturated_workload() -> None:
    """0.5 ms average compute at 3700 req/s: 93 % busy on 2 Ps, 46 % on 4."""
    steps = [Step(compute=Compute(Distribution.exponential(500_000))), alloc(4 * KIB)]
    p2 = run(steps, procs=2, open_loop=OpenLoop(3700))
    p4 = run(steps, procs=4, open_loop=OpenLoop(3700))
    assert p4.summary.latency.p99_ns * 2 < p2.summary.latency.p99_ns
    assert p4.summary.breakdown.runnable_ns * 3 < p2.summary.breakdown.runnable_ns


def test_memory_limit_caps_the_heap_that_gogc_off_lets_grow() -> None:
    steps = [compute(200_000), alloc(64 * KIB)]
    limit = 64 * MIB
    limited = run(steps, gogc=GOGC_OFF, limit=limit, open_loop=OpenLoop(2000))
    unlimited = run(steps, gogc=GOGC_OFF, open_loop=OpenLoop(2000))
    u = unlimited.summary
    assert u.cycles_total == 0
    assert u.peak_heap_alloc_bytes > 2 * limit
    s = limited.summary
    assert s.cycles_total >= 1
    assert max(c.heap_end_bytes for c in limited.cycles) <= limit
    assert s.peak_heap_alloc_bytes <= limit
    # ... and the heap does use the room the limit gives it (GOGC is off: no earlier GC).
    assert s.peak_heap_alloc_bytes > limit // 2
    assert all(c.heap_goal_bytes > limit // 2 for c in limited.cycles)


@functools.cache
def _death_spiral() -> Result:
    """GOMEMLIMIT barely above a 16 MiB live heap with GOGC=off and 250 MiB/s of garbage on
    1 P: the GC runs back to back and assists take most of the P. The limiter's bucket (1
    CPU-second per P) fills after about a second. The mutator's own costs are those the
    scenario was built with (12 ns/object, 0.02 ns/B, no wake-up or mark-time charge), so
    the P keeps up with the requests. The same scenario with the fitted costs, against
    three runs of the Go twin, is tests/test_limiter_twin.py (GC CPU while limiting, the
    cycle rate, the backlog's stacks)."""
    old = CostModel(alloc_ns_per_object=12.0, alloc_ns_per_byte=0.02, wakeup_ns=0,
                    wakeup_latency_ns=0, mark_alloc_slowdown=0.0)
    return run([compute(20_000), alloc(64 * KIB)], procs=1, gogc=GOGC_OFF, limit=26 * MIB,
               open_loop=OpenLoop(4000), baseline_heap=BaselineHeap(live_bytes=16 * MIB),
               duration_ns=5 * SECOND // 2, sample_interval_ns=50 * MS, cost=old)


def _first_limited_cycle_start(r: Result) -> int:
    on = [c for c in r.cycles if c.limiter_enabled]
    assert on, "the GC CPU limiter never turned on"
    return on[0].start_ns


def test_cpu_limiter_engages_in_a_death_spiral() -> None:
    r = _death_spiral()
    assert r.summary.limiter_enabled_ns > 0
    first_on = _first_limited_cycle_start(r)
    assert 0.5 * SECOND < first_on < 2 * SECOND
    before = [f for t, f in zip(r.series.t_ns, r.series.gc_cpu_fraction, strict=True)
              if 0 < t < first_on]
    assert mean(before) > 0.7  # the spiral


# --- arrivals ------------------------------------------------------------------------------


def test_closed_loop_keeps_at_most_n_requests_in_flight() -> None:
    n = 7
    r = run([compute(100_000), Step(io_wait=IOWait(Distribution.exponential(5 * MS))),
             alloc(8 * KIB)], closed_loop=ClosedLoop(n))
    s = r.summary
    assert 0 <= s.requests_arrived - s.requests_completed <= n
    assert max(r.series.goroutines) == n + RUNTIME_GOROUTINES
    assert s.peak_goroutines == n + RUNTIME_GOROUTINES
    assert s.requests_completed > 500


def test_closed_loop_throughput_follows_littles_law() -> None:
    """4 clients on 4 Ps, 1 ms of work and 4 ms of think each: 4 / 5 ms = 800 req/s."""
    r = run([compute(1 * MS)], procs=4,
            closed_loop=ClosedLoop(4, Distribution.constant(4 * MS)))
    assert 780 <= r.summary.throughput_per_s <= 800
    # 1 ms of work plus the client's wake-up from its think time (CostModel.wakeup_ns).
    assert r.summary.latency.p99_ns < 1.01 * MS + CostModel().wakeup_ns


def test_piecewise_rate_schedule_changes_throughput_in_its_segment() -> None:
    r = run([compute(100_000), alloc(8 * KIB)],
            open_loop=OpenLoop(1000, schedule=(RatePoint(SECOND // 2, 4000),)),
            sample_interval_ns=50 * MS)
    s = r.series
    samples = list(zip(s.t_ns, s.request_rate_per_s, strict=True))
    first = [x for t, x in samples if 100 * MS <= t <= 500 * MS]
    second = [x for t, x in samples if t >= 600 * MS]
    assert 850 <= mean(first) <= 1150
    assert 3600 <= mean(second) <= 4400
    assert 2300 <= r.summary.requests_arrived <= 2700


def test_interpolated_schedule_ramps_linearly() -> None:
    """0 -> 4000 req/s over 1 s: 2000 arrivals, a quarter of them in the first half."""
    r = run([compute(100_000)],
            open_loop=OpenLoop(0, schedule=(RatePoint(0, 0), RatePoint(SECOND, 4000)),
                               interpolate=True),
            sample_interval_ns=100 * MS)
    assert 1850 <= r.summary.requests_arrived <= 2150
    rates = r.series.request_rate_per_s
    assert mean(rates[1:5]) < mean(rates[6:]) / 2


def test_constant_arrivals_are_evenly_spaced() -> None:
    r = run([compute(100_000)], open_loop=OpenLoop(1000, process=ArrivalProcess.CONSTANT))
    assert r.summary.requests_arrived == 999  # at 1, 2, ..., 999 ms
    assert r.summary.breakdown.runnable_ns == 0  # never two at once on 2 Ps


def test_workers_run_without_recording_latency() -> None:
    w = WorkerGroup(3, Program(steps=(compute(300_000), alloc(16 * KIB), io(1 * MS))))
    r = run([], workers=(w,))
    s = r.summary
    assert s.requests_arrived == s.requests_completed == 0
    assert r.latency.count == 0 and s.latency.count == 0 and s.throughput_per_s == 0
    b = s.breakdown
    assert (b.running_ns, b.runnable_ns, b.assist_ns, b.stw_ns, b.io_ns) == (0, 0, 0, 0, 0)
    # ... but they run: each loops ~1.3 ms, 300 us of it on a P.
    assert 3 * 0.2 * SECOND < s.gc_cpu.user_ns < 3 * 0.3 * SECOND
    assert s.bytes_allocated > 3 * 700 * 16 * KIB
    assert s.cycles_total >= 1
    assert s.peak_goroutines == 3 + RUNTIME_GOROUTINES


def test_idle_goroutines_count_and_are_scanned() -> None:
    steps = [compute(100_000), alloc(64 * KIB)]
    none = run(steps, open_loop=OpenLoop(1000))
    many = run(steps, open_loop=OpenLoop(1000), idle_goroutines=1000,
               idle_goroutine_stack_bytes=16 * KIB)
    assert many.summary.peak_goroutines >= none.summary.peak_goroutines + 1000
    assert all(c.stacks_bytes >= 1000 * 16 * KIB for c in many.cycles[1:])
    assert max(c.stacks_bytes for c in none.cycles) < 1 * MIB
    assert many.summary.peak_rss_bytes >= none.summary.peak_rss_bytes + 1000 * 16 * KIB


def test_warmup_requests_are_not_recorded() -> None:
    """Constant 1000 req/s for 1 s with a 0.5 s warm-up: the 500 requests arriving from
    0.5 s on are recorded, and throughput is measured over the last 0.5 s. The wake-up
    latency is made constant (no spread, no tail) so each request's time is exact."""
    cfg = SimConfig(
        runtime=RuntimeConfig(gomaxprocs=2),
        workload=Workload(request=Program(steps=(compute(100_000),)),
                          open_loop=OpenLoop(1000, process=ArrivalProcess.CONSTANT)),
        cost=CostModel(wakeup_latency_sigma=0.0, wakeup_latency_tail_fraction=0.0),
        duration_ns=SECOND, warmup_ns=SECOND // 2)
    r = simulate(cfg)
    s = r.summary
    assert s.requests_arrived == s.requests_completed == 999
    assert r.latency.count == s.latency.count == 500
    assert s.throughput_per_s == pytest.approx(1000.0)
    # Each one: the wake-up's latency, then 100 us of compute plus its arrival's wake-up
    # CPU, creating and switching to its goroutine.
    per_request = (cfg.cost.wakeup_latency_ns + 100_000 + cfg.cost.wakeup_ns
                   + cfg.cost.goroutine_create_ns + cfg.cost.context_switch_ns)
    assert r.latency.sum_ns == sum(dataclasses.astuple(s.breakdown)) == 500 * per_request
    assert s.breakdown.io_ns == 500 * cfg.cost.wakeup_latency_ns


def test_scavenger_returns_memory_after_the_heap_shrinks() -> None:
    """A burst keeping 64 KiB per request for 300 ms at 3000 req/s, then 300 req/s: once the
    GC has seen the smaller heap, the background scavenger releases the free pages and RSS
    falls (at 1 % of the CPU: a few MiB per second)."""
    r = run([compute(50_000), alloc(64 * KIB, size=64, lifetime=Lifetime.TTL, ttl_ns=300 * MS)],
            open_loop=OpenLoop(3000, schedule=(RatePoint(400 * MS, 300),)),
            duration_ns=3 * SECOND, sample_interval_ns=100 * MS)
    s = r.summary
    rss = r.series.rss_bytes
    assert s.gc_cpu.scavenge_ns > 0
    assert s.peak_rss_bytes >= max(rss)
    assert rss[-1] < max(rss) - 4 * MIB
    # The heap in use shrank much more than RSS: the rest is free pages not yet released.
    assert r.series.heap_in_use_bytes[-1] < max(r.series.heap_in_use_bytes) // 4


def test_hooks_report_progress_and_cycles() -> None:
    seen: list[CycleRecord] = []
    progress: list[Progress] = []
    cfg = SimConfig(runtime=RuntimeConfig(gomaxprocs=2),
                    workload=Workload(request=Program(steps=(compute(100_000),
                                                             alloc(64 * KIB))),
                                      open_loop=OpenLoop(2000)),
                    duration_ns=SECOND // 2)
    r = simulate(cfg, Hooks(progress=progress.append, cycle=seen.append,
                            progress_interval_ns=50 * MS))
    assert tuple(seen) == r.cycles and len(seen) >= 2
    times = [p.simulated_ns for p in progress]
    assert times == sorted(times)
    assert len(progress) >= 9
    assert progress[-1].simulated_ns == cfg.duration_ns and progress[-1].fraction == 1.0
    assert progress[-1].cycles == len(r.cycles)
    assert progress[-1].requests_completed == r.summary.requests_completed
    # Hooks only observe: the result is the one a run without them gives.
    assert simulate(cfg) == r


def test_a_hook_can_cancel_the_run() -> None:
    def stop(p: Progress) -> None:
        if p.simulated_ns >= 100 * MS:
            raise Cancelled()

    cfg = SimConfig(workload=Workload(request=Program(steps=(compute(100_000),)),
                                      open_loop=OpenLoop(1000)), duration_ns=10 * SECOND)
    with pytest.raises(Cancelled):
        simulate(cfg, Hooks(progress=stop, progress_interval_ns=10 * MS))


# --- configuration errors ------------------------------------------------------------------

_OK_REQ = Program(steps=(compute(100_000), alloc(4 * KIB)))


def _cfg(**kw: object) -> SimConfig:
    rt = kw.pop("runtime", RuntimeConfig())
    wl = kw.pop("workload", Workload(request=_OK_REQ, open_loop=OpenLoop(100)))
    return SimConfig(runtime=rt, workload=wl, duration_ns=100 * MS, **kw)  # type: ignore[arg-type]


def _req(*steps: Step) -> Workload:
    return Workload(request=Program(steps=steps), open_loop=OpenLoop(100))


BAD_CONFIGS = {
    "gomaxprocs 0": (_cfg(runtime=RuntimeConfig(gomaxprocs=0)), "runtime.gomaxprocs"),
    "gogc -2": (_cfg(runtime=RuntimeConfig(gogc=-2)), "runtime.gogc"),
    "negative gomemlimit": (_cfg(runtime=RuntimeConfig(gomemlimit_bytes=-1)),
                            "runtime.gomemlimit_bytes"),
    "negative container": (_cfg(runtime=RuntimeConfig(container_memory_bytes=-5)),
                           "runtime.container_memory_bytes"),
    "negative num_cpus": (_cfg(runtime=RuntimeConfig(num_cpus=-1)), "runtime.num_cpus"),
    "negative OS tick": (_cfg(cost=CostModel(os_tick_ns=-1)), "cost.os_tick_ns"),
    "OS tick wait share > 1": (_cfg(cost=CostModel(os_tick_wait_fraction=1.5)),
                               "cost.os_tick_wait_fraction"),
    "NaN rate": (_cfg(workload=Workload(request=_OK_REQ, open_loop=OpenLoop(math.nan))),
                 "workload.open_loop.rate_per_s"),
    "infinite rate": (_cfg(workload=Workload(request=_OK_REQ, open_loop=OpenLoop(math.inf))),
                      "workload.open_loop.rate_per_s"),
    "uniform high < low": (
        _cfg(workload=_req(Step(compute=Compute(Distribution.uniform(10, 5))))),
        "workload.request.steps[0].compute.duration_ns.high"),
    "empty object_sizes": (
        _cfg(workload=_req(compute(1), Step(allocate=Allocate(
            bytes=Distribution.constant(1024), object_sizes=())))),
        "workload.request.steps[1].allocate.object_sizes"),
    "TTL with ttl_ns 0": (
        _cfg(workload=_req(alloc(1024, lifetime=Lifetime.TTL, ttl_ns=0))),
        "workload.request.steps[0].allocate.ttl_ns"),
    "scannable_fraction > 1": (
        _cfg(workload=_req(alloc(1024, scannable=1.5))),
        "workload.request.steps[0].allocate.scannable_fraction"),
    "worker without compute or io": (
        _cfg(workload=Workload(workers=(WorkerGroup(2, Program(steps=(alloc(1024),))),))),
        "workload.workers[0].program.steps"),
    "worker count 0": (
        _cfg(workload=Workload(workers=(WorkerGroup(0, Program(steps=(compute(1),))),))),
        "workload.workers[0].count"),
    "step with two fields": (
        _cfg(workload=_req(Step(compute=Compute(Distribution.constant(1)),
                                io_wait=IOWait(Distribution.constant(1))))),
        "workload.request.steps[0]"),
    "both loops": (
        _cfg(workload=Workload(request=_OK_REQ, open_loop=OpenLoop(1),
                               closed_loop=ClosedLoop(1))),
        "workload"),
    "closed loop 0 clients": (
        _cfg(workload=Workload(request=_OK_REQ, closed_loop=ClosedLoop(0))),
        "workload.closed_loop.clients"),
    "schedule not increasing": (
        _cfg(workload=Workload(request=_OK_REQ, open_loop=OpenLoop(
            1, schedule=(RatePoint(5, 1.0), RatePoint(5, 2.0))))),
        "workload.open_loop.schedule[1].at_ns"),
    "zero duration": (_cfg().replace(duration_ns=0), "duration_ns"),
    "warmup >= duration": (_cfg().replace(warmup_ns=100 * MS), "warmup_ns"),
    "zero scan rate": (_cfg().replace(cost=CostModel(scan_ns_per_byte=0.0)),
                       "cost.scan_ns_per_byte"),
}


@pytest.mark.parametrize("name", list(BAD_CONFIGS))
def test_config_error_names_the_field(name: str) -> None:
    cfg, path = BAD_CONFIGS[name]
    with pytest.raises(ConfigError) as exc:
        simulate(cfg)
    paths = [p for p, _ in exc.value.violations]
    assert path in paths, paths
    assert all(reason for _, reason in exc.value.violations)
    assert path in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_config_error_lists_every_violation_in_field_order() -> None:
    cfg = SimConfig(
        runtime=RuntimeConfig(gomaxprocs=0, gomemlimit_bytes=-1),
        workload=Workload(request=Program(steps=(
            Step(compute=Compute(Distribution.uniform(3, 1))),
            Step(allocate=Allocate(bytes=Distribution.constant(8), object_sizes=(),
                                   lifetime=Lifetime.TTL)),
        )), open_loop=OpenLoop(math.nan)),
        duration_ns=SECOND)
    with pytest.raises(ConfigError) as exc:
        validate(cfg)
    assert [p for p, _ in exc.value.violations] == [
        "runtime.gomaxprocs",
        "runtime.gomemlimit_bytes",
        "workload.request.steps[0].compute.duration_ns.high",
        "workload.request.steps[1].allocate.object_sizes",
        "workload.request.steps[1].allocate.ttl_ns",
        "workload.open_loop.rate_per_s",
    ]


def test_valid_config_passes_validation_unchanged() -> None:
    cfg = _cfg()
    assert validate(cfg) is cfg
