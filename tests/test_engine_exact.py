"""Small exact scenarios of the runtime model, with hand-computed numbers.

Each scenario is tiny (a few Ps, one or a few goroutines, usually one GC cycle) and uses
a cost model whose incidental costs are zero (goroutine creation, context switches,
allocation, refills, page faults), so that latencies and pauses are exact sums of the inputs:
a compute step of N ns takes exactly N ns, a pause is exactly its fixed cost + stw_per_p * P (+
stop_running when a goroutine had to be stopped), and the first GC of a cold start triggers
exactly when heapLive reaches 3997696 bytes (reference §7.2).

Arrivals are made deterministic with a constant open-loop process whose rate drops to 0 after
the last wanted arrival (a constant process at rate r arrives at 1/r, 2/r, ... seconds).
"""

from __future__ import annotations

import dataclasses
import math
import re

import pytest

from simcore import (
    GOGC_OFF,
    Allocate,
    ArrivalProcess,
    BaselineHeap,
    ClosedLoop,
    Compute,
    ConfigError,
    CostModel,
    Distribution,
    Hooks,
    IOWait,
    Lifetime,
    ObjectSize,
    OpenLoop,
    Program,
    Progress,
    RatePoint,
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
from simcore.engine import _Run
from simcore.results import SpanKind
from simcore.workload import Streams

# Every cost that would blur the arithmetic is zero; the GC's own costs are pinned here
# (stw_sweep_term_ns=20000, stw_mark_term_ns=8000, stw_per_p_ns=3000, stop_running_ns=15000,
# scan_ns_per_byte=1.0), so
# the arithmetic does not move when the defaults are recalibrated (docs/fidelity.md).
ZERO_COST = CostModel(
    scan_ns_per_byte=1.0,
    stw_sweep_term_ns=20_000,
    stw_mark_term_ns=8_000,
    stw_per_p_ns=3_000,
    stop_running_ns=15_000,
    goroutine_create_ns=0,
    context_switch_ns=0,
    alloc_ns_per_object=0.0,
    alloc_ns_per_byte=0.0,
    refill_ns=0,
    large_alloc_ns=0,
    heap_grow_ns_per_mib=0,
    sweep_ns_per_span=0,
    wakeup_ns=0,
    wakeup_latency_ns=0,
    mark_alloc_slowdown=0.0,
)
SWEEP_TERM = ZERO_COST.stw_sweep_term_ns
MARK_TERM = ZERO_COST.stw_mark_term_ns
STW_PER_P = ZERO_COST.stw_per_p_ns
STOP_RUNNING = ZERO_COST.stop_running_ns

# reference §7.2: the first GC at GOGC=100 has goal 4194304 and trigger 3997696.
FIRST_GOAL = 4_194_304
FIRST_TRIGGER = 3_997_696
# A 64 KiB object is large (> 32760 B): its own span of 8 pages, so heapLive moves by exactly
# 65536 per object and the 61st one reaches the trigger (61 * 65536 == 3997696).
LARGE = 64 * KIB
assert FIRST_TRIGGER % LARGE == 0 and FIRST_TRIGGER // LARGE == 61

GCTRACE_RE = re.compile(
    r"^gc (?P<n>\d+) @(?P<t>\d+\.\d{3})s (?P<u>\d+)%: "
    r"(?P<a>[\d.]+)\+(?P<b>[\d.]+)\+(?P<c>[\d.]+) ms clock, "
    r"(?P<d>[\d.]+)\+(?P<e>[\d.]+)/(?P<f>[\d.]+)/(?P<g>[\d.]+)\+(?P<h>[\d.]+) ms cpu, "
    r"(?P<h0>\d+)->(?P<h1>\d+)->(?P<h2>\d+) MB, (?P<goal>\d+) MB goal, "
    r"(?P<stacks>\d+) MB stacks, (?P<globals>\d+) MB globals, (?P<p>\d+) P( \(forced\))?$"
)


def const(x: float) -> Distribution:
    return Distribution.constant(x)


def compute(ns: int) -> Step:
    return Step(compute=Compute(const(ns)))


def io(ns: int) -> Step:
    return Step(io_wait=IOWait(const(ns)))


def alloc_large(nbytes: int = LARGE, lifetime: Lifetime = Lifetime.REQUEST) -> Step:
    """One noscan object of nbytes (large when nbytes > 32760)."""
    return Step(allocate=Allocate(bytes=const(nbytes), object_sizes=(ObjectSize(nbytes),),
                                  scannable_fraction=0.0, lifetime=lifetime))


def arrivals(count: int, every_ns: int) -> OpenLoop:
    """Exactly `count` arrivals, at every_ns, 2*every_ns, ..., count*every_ns."""
    rate = SECOND / every_ns
    stop = count * every_ns + every_ns // 2
    return OpenLoop(rate_per_s=rate, process=ArrivalProcess.CONSTANT,
                    schedule=(RatePoint(stop, 0.0),))


def config(steps: tuple[Step, ...] | list[Step], *, procs: int = 1, gogc: int = 100,
           duration_ns: int = 100 * MS, **workload: object) -> SimConfig:
    return SimConfig(
        runtime=RuntimeConfig(gomaxprocs=procs, gogc=gogc),
        workload=Workload(request=Program(steps=tuple(steps)), **workload),  # type: ignore[arg-type]
        cost=ZERO_COST,
        duration_ns=duration_ns,
    )


def pause_ns(procs: int, stopped_running: bool, fixed_ns: int) -> int:
    """A pause: its fixed cost (SWEEP_TERM or MARK_TERM), the per-P cost, the stop."""
    return fixed_ns + STW_PER_P * procs + (STOP_RUNNING if stopped_running else 0)


# --- scheduling: latency is the sum of the steps --------------------------------------


def test_one_request_latency_equals_its_compute() -> None:
    n = 3_456_789
    r = simulate(config([compute(n)], open_loop=arrivals(1, 1 * MS)))
    s = r.summary
    assert s.requests_arrived == 1 and s.requests_completed == 1
    assert (r.latency.count, r.latency.min_ns, r.latency.max_ns, r.latency.sum_ns) == (1, n, n, n)
    assert s.latency.p50_ns == s.latency.max_ns == n
    b = s.breakdown
    assert (b.running_ns, b.runnable_ns, b.assist_ns, b.stw_ns, b.io_ns) == (n, 0, 0, 0, 0)
    assert r.cycles == () and r.pauses.count == 0


def test_closed_loop_one_client_runs_back_to_back() -> None:
    """1 client, think 0: request k runs [k*N, (k+1)*N); the one in flight at the end is not
    counted."""
    n = 3 * MS
    r = simulate(config([compute(n)], closed_loop=ClosedLoop(1), duration_ns=100 * MS))
    s = r.summary
    assert r.latency.min_ns == r.latency.max_ns == n
    assert s.requests_completed == 33  # completions at 3, 6, ..., 99 ms
    assert s.requests_arrived == 34
    assert r.latency.sum_ns == 33 * n
    assert s.gc_cpu.user_ns == 100 * MS  # the P was never idle
    assert s.gc_cpu.idle_p_ns == 0


def test_compute_io_compute_adds_up() -> None:
    r = simulate(config([compute(1 * MS), io(2 * MS), compute(3 * MS)],
                        open_loop=arrivals(1, 1 * MS)))
    assert r.latency.count == 1
    assert r.latency.sum_ns == 6 * MS
    b = r.summary.breakdown
    assert (b.running_ns, b.io_ns) == (4 * MS, 2 * MS)
    assert b.runnable_ns == b.assist_ns == b.stw_ns == 0


def test_io_releases_the_p() -> None:
    """Two requests on one P, each 1 ms compute + 5 ms I/O + 1 ms compute, arriving 1 ms
    apart: the second runs while the first is blocked, so neither waits at all."""
    r = simulate(config([compute(1 * MS), io(5 * MS), compute(1 * MS)],
                        open_loop=arrivals(2, 1 * MS)))
    assert r.latency.count == 2
    assert r.latency.min_ns == r.latency.max_ns == 7 * MS
    assert r.summary.breakdown.runnable_ns == 0


def test_two_requests_on_one_p_queue_behind_each_other() -> None:
    """Arrivals at 1 ms and 2 ms, 5 ms of compute each, one P: the second waits exactly the
    first's remaining 4 ms and finishes at 11 ms."""
    r = simulate(config([compute(5 * MS)], open_loop=arrivals(2, 1 * MS)))
    assert r.latency.count == 2
    assert r.latency.min_ns == 5 * MS
    assert r.latency.max_ns == 9 * MS
    assert r.latency.sum_ns == 14 * MS
    b = r.summary.breakdown
    assert b.runnable_ns == 4 * MS
    assert b.running_ns == 10 * MS


def test_two_requests_on_two_ps_run_in_parallel() -> None:
    r = simulate(config([compute(5 * MS)], procs=2, open_loop=arrivals(2, 1 * MS)))
    assert r.latency.count == 2
    assert r.latency.min_ns == r.latency.max_ns == 5 * MS
    assert r.summary.breakdown.runnable_ns == 0
    # Both Ps were busy from 2 ms to 6 ms: 1 + 4 + 4 + 1 ms of user time in all.
    assert r.summary.gc_cpu.user_ns == 10 * MS


def _preemption_config() -> SimConfig:
    """One P. A worker starts at 0 with 25 ms of compute (then blocks for a long time); a
    1 ms request arrives 1 us later. No P is idle, so it waits in the netpoller until
    sysmon polls (10 ms after the last poll, in the pass that also preempts the worker)."""
    worker = WorkerGroup(1, Program(steps=(compute(25 * MS), io(10 * SECOND))))
    return config([compute(1 * MS)], workers=(worker,), open_loop=arrivals(1, 1000),
                  duration_ns=100 * MS)


def test_preemption_lets_a_short_goroutine_through() -> None:
    """Without preemption the request would wait for the whole 25 ms compute (latency 26 ms
    - 1 us); the 10 ms time slice lets it run before the worker is done."""
    r = simulate(_preemption_config())
    assert r.latency.count == 1
    assert r.latency.max_ns < 25 * MS
    assert r.summary.breakdown.running_ns == 1 * MS
    assert r.summary.gc_cpu.user_ns == 26 * MS


def test_network_arrival_on_a_busy_p_waits_for_sysmon_and_the_local_queue() -> None:
    """One P, two CPU-bound workers (the second in the P's run queue) and a request arriving
    at 1 ms. No thread is parked in netpoll while the P is busy, so nobody sees the arrival
    until sysmon polls at 10 ms (injectglist: the global queue, behind nothing). The worker
    preempted then goes to the global queue behind it, but the P takes its local queue
    first: the second worker runs 10..20 ms, and only then the request (20..21 ms). Had the
    arrival gone to runnext, it would have run at 10 ms."""
    worker = WorkerGroup(2, Program(steps=(compute(40 * MS), io(10 * SECOND))))
    r = simulate(config([compute(1 * MS)], workers=(worker,), open_loop=arrivals(1, 1 * MS),
                        duration_ns=100 * MS))
    assert r.latency.count == 1
    assert r.latency.max_ns == 20 * MS
    assert r.summary.breakdown.running_ns == 1 * MS


def test_preempted_at_10ms_short_goroutine_finishes_at_about_11ms() -> None:
    """The worker is preempted when its 10 ms slice ends and the request, which sysmon's
    netpoll has just put on the global queue ahead of it, runs next. It must get to run (a
    runnext G inheriting an already expired slice used to be preempted after 0 ns and
    finished at 21 ms: found by this test, fixed in machine._schedule)."""
    r = simulate(_preemption_config())
    # The worker is preempted at 10 ms; the request (arrived at 1 us) runs 10..11 ms.
    assert 10 * MS <= r.latency.max_ns <= 12 * MS


def test_work_conservation_no_p_idles_while_a_goroutine_waits() -> None:
    """3 closed-loop clients on 2 Ps, 1 ms of compute each, think 0: both Ps are always
    busy (new goroutines go to a runnext, but an idle P takes them at once)."""
    r = simulate(config([compute(1 * MS)], procs=2, closed_loop=ClosedLoop(3),
                        duration_ns=100 * MS))
    g = r.summary.gc_cpu
    assert g.idle_p_ns == 0
    assert g.user_ns == 2 * 100 * MS
    assert r.summary.requests_completed == 198  # 2 per ms, minus the 2 still running
    assert r.summary.breakdown.running_ns == 198 * MS


def test_sched_latency_samples_every_8th_switch() -> None:
    """Two CPU-bound workers on 1 P alternate every 10 ms (preemption): in 1 s each is
    switched in ~50 times after waiting exactly 10 ms, and every 8th switch of a G is
    recorded (reference §13): 2 * floor(50 / 8) = 12 samples of 10 ms."""
    w = WorkerGroup(2, Program(steps=(compute(10 * SECOND),)))
    r = simulate(SimConfig(runtime=RuntimeConfig(gomaxprocs=1), workload=Workload(workers=(w,)),
                           cost=ZERO_COST, duration_ns=SECOND))
    h = r.sched_latency
    assert h.count == 12
    assert h.min_ns == h.max_ns == 10 * MS
    assert sum(h.counts) == 12


def test_cost_model_adds_up() -> None:
    """One request: 1 ms of compute and one 64 KiB object on a cold heap. Costs: create 300 +
    switch 150 + 12 per object + 0.02 per byte (1310.72) + large alloc 1500 + growing the
    heap at 1 ns per byte of the object's 65536 faulted-in bytes; rounded up once."""
    cost = dataclasses.replace(ZERO_COST, goroutine_create_ns=300, context_switch_ns=150,
                               alloc_ns_per_object=12.0, alloc_ns_per_byte=0.02,
                               large_alloc_ns=1500, heap_grow_ns_per_mib=MIB)
    steps = [compute(1 * MS), alloc_large()]
    r = simulate(config(steps, open_loop=arrivals(1, 1 * MS)).replace(cost=cost))
    assert r.latency.sum_ns == math.ceil(1 * MS + 300 + 150 + 12 + 0.02 * LARGE + 1500 + LARGE)
    assert r.summary.breakdown.running_ns == r.latency.sum_ns
    # A second request 5 ms later finds room in the 4 MiB arena: no growth cost.
    r2 = simulate(config(steps, open_loop=arrivals(2, 5 * MS)).replace(cost=cost))
    assert r2.latency.min_ns == math.ceil(1 * MS + 300 + 150 + 12 + 0.02 * LARGE + 1500)
    assert r2.latency.max_ns == r.latency.sum_ns


def test_wakeup_cost_is_paid_at_arrival_and_after_each_io_wait() -> None:
    """wakeup_ns = 7000: a request (2 ms compute, 3 ms I/O, 1 ms compute) pays it at its
    arrival and when its I/O ends; with no other cost its latency is 6 ms + 2 x 7000 ns."""
    cost = dataclasses.replace(ZERO_COST, wakeup_ns=7_000)
    steps = [compute(2 * MS), io(3 * MS), compute(1 * MS)]
    r = simulate(config(steps, open_loop=arrivals(1, 1 * MS)).replace(cost=cost))
    assert r.latency.sum_ns == 6 * MS + 2 * 7_000
    assert r.summary.breakdown.running_ns == 3 * MS + 2 * 7_000
    plain = simulate(config(steps, open_loop=arrivals(1, 1 * MS)))
    assert plain.latency.sum_ns == 6 * MS


def test_paced_worker_keeps_its_period_and_catches_up() -> None:
    """WorkerGroup.period_ns: a worker of 300 us compute every 1 ms uses 30 % of its P; one
    whose iteration takes 1.5 ms runs back to back (100 %); and a paced worker delayed by
    another goroutine hogging the P for 20 ms catches up the iterations it owes, so over
    the run it still does one per period."""
    def run(per_iter_ns: int, period_ns: int, hog: bool = False) -> tuple[float, int]:
        workers = [WorkerGroup(1, Program(steps=(compute(per_iter_ns),)), period_ns=period_ns)]
        if hog:
            workers.append(WorkerGroup(1, Program(steps=(compute(20 * MS), io(10 * SECOND)))))
        r = simulate(SimConfig(runtime=RuntimeConfig(gomaxprocs=1), cost=ZERO_COST,
                               workload=Workload(workers=tuple(workers)),
                               duration_ns=100 * MS))
        return r.summary.gc_cpu.user_ns / (100 * MS), r.summary.gc_cpu.user_ns
    share, _ = run(300_000, 1 * MS)
    assert share == pytest.approx(0.30, abs=0.005)
    share, _ = run(1_500_000, 1 * MS)
    assert share == pytest.approx(1.0, abs=0.005)
    # 100 iterations of 300 us owed in 100 ms, plus the hog's 20 ms: 50 ms of user time.
    _, user = run(300_000, 1 * MS, hog=True)
    assert user == pytest.approx(100 * 300_000 + 20 * MS, abs=300_000)


def test_a_worker_needs_a_step_that_takes_time_unless_paced() -> None:
    alloc_only = Program(steps=(alloc_large(),))
    with pytest.raises(ConfigError) as e:
        validate(SimConfig(workload=Workload(workers=(WorkerGroup(1, alloc_only),))))
    assert "workload.workers[0].program.steps" in str(e.value)
    validate(SimConfig(workload=Workload(workers=(WorkerGroup(1, alloc_only, period_ns=MS),))))
    with pytest.raises(ConfigError) as e:
        validate(SimConfig(workload=Workload(
            workers=(WorkerGroup(1, Program(steps=(compute(1),)), period_ns=-1),))))
    assert "workload.workers[0].period_ns" in str(e.value)


def test_tiny_objects_are_packed_in_16_byte_blocks() -> None:
    """8 KiB of 8-byte noscan objects: 1024 tiny objects, two per 16 B block."""
    tiny = Step(allocate=Allocate(bytes=const(8192), object_sizes=(ObjectSize(8),),
                                  scannable_fraction=0.0))
    r = simulate(config([compute(10_000), tiny], open_loop=arrivals(10, 1 * MS),
                        duration_ns=20 * MS))
    assert r.summary.bytes_allocated == 10 * 8192
    assert r.summary.objects_allocated == 10 * 512  # blocks, as /gc/heap/allocs:objects


# --- one GC cycle by hand ------------------------------------------------------------------


def _gc_config(procs: int = 1, duration_ns: int = 8 * MS) -> SimConfig:
    """Closed loop, 1 client, think 0: each request computes 100 us and allocates one 64 KiB
    noscan object (request lifetime). The allocation is accounted when the request starts
    running, so request k (from 0) adds its span at k*100 us and request 60 (t = 6 ms) brings
    heapLive to 61 * 65536 = 3997696 = the first trigger."""
    return config([compute(100_000), alloc_large()], procs=procs, closed_loop=ClosedLoop(1),
                  duration_ns=duration_ns)


def test_first_gc_triggers_at_3997696_with_goal_4194304() -> None:
    r = simulate(_gc_config())
    assert len(r.cycles) == 1
    c = r.cycles[0]
    assert c.n == 1
    assert c.kind is TriggerKind.HEAP
    assert c.start_ns == 60 * 100_000
    assert c.heap_start_bytes == FIRST_TRIGGER
    assert c.trigger_bytes == FIRST_TRIGGER
    assert c.heap_goal_bytes == FIRST_GOAL
    assert c.gomaxprocs == 1
    assert c.globals_bytes == 64 * KIB  # the Workload default
    assert c.stacks_bytes == 8 * KIB  # the one request's stack (Program default)
    # Large objects move heapLive by exactly their size, and objects allocated during mark
    # are black: marked = the running request's object + everything allocated during mark.
    assert (c.heap_end_bytes - c.heap_start_bytes) % LARGE == 0
    assert c.heap_marked_bytes == LARGE + (c.heap_end_bytes - c.heap_start_bytes)
    s = r.summary
    assert (s.cycles_total, s.cycles_heap, s.cycles_forced) == (1, 1, 0)


@pytest.mark.parametrize(("procs", "stopped"), [(1, False), (2, False), (4, True)])
def test_exactly_two_pauses_with_hand_computed_durations(procs: int, stopped: bool) -> None:
    """STW #1 runs on the allocating goroutine (nothing else runs: no stop cost). The mark
    (77 us of work) is short: with 1 or 2 Ps the fractional worker, which findRunnable runs
    before any goroutine when mark starts, does it all in its first burst (one drain check,
    100 us), so mark termination finds nothing running; with 4, a dedicated worker marks
    while the client's request runs on another P, and the request has to be stopped."""
    r = simulate(_gc_config(procs=procs))
    assert len(r.cycles) == 1
    c = r.cycles[0]
    stw1 = pause_ns(procs, stopped_running=False, fixed_ns=SWEEP_TERM)
    stw2 = pause_ns(procs, stopped_running=stopped, fixed_ns=MARK_TERM)
    assert c.stop_ns_sweep_term == 0
    assert c.stw_sweep_term_clock_ns == stw1
    assert c.stop_ns_mark_term == (STOP_RUNNING if stopped else 0)
    assert (c.fractional_cpu_ns > 0) == (not stopped)
    assert c.stw_mark_term_clock_ns == stw2
    assert c.stw_sweep_term_cpu_ns == stw1 * procs
    assert c.stw_mark_term_cpu_ns == stw2 * procs
    assert r.pauses.count == 2
    assert (r.pauses.min_ns, r.pauses.max_ns, r.pauses.sum_ns) == (
        min(stw1, stw2), max(stw1, stw2), stw1 + stw2)
    assert sum(r.pauses.counts) == 2
    assert r.summary.pauses.count == 2
    assert r.summary.gc_cpu.pause_ns == (stw1 + stw2) * procs
    if stopped:  # the request that was stopped by STW #2 was charged the pause
        assert r.summary.breakdown.stw_ns >= stw2


def test_pause_has_no_stop_cost_when_nothing_runs() -> None:
    """Requests allocate 64 KiB and then block on I/O for 50 ms; arrivals 1 ms apart. The
    61st arrival triggers the GC and blocks at once, and mark (a few hundred us of work on an
    otherwise idle P) ends with nothing running: the pauses are 20000 + 3000 ns (sweep
    termination) and 8000 + 3000 ns (mark termination)."""
    r = simulate(config([alloc_large(), io(50 * MS)], open_loop=arrivals(70, 1 * MS),
                        duration_ns=100 * MS))
    assert len(r.cycles) == 1
    c = r.cycles[0]
    assert c.start_ns == 61 * MS
    assert c.heap_start_bytes == FIRST_TRIGGER
    assert c.stop_ns_sweep_term == c.stop_ns_mark_term == 0
    assert c.stw_sweep_term_clock_ns == pause_ns(1, False, SWEEP_TERM) == 23_000
    assert c.stw_mark_term_clock_ns == pause_ns(1, False, MARK_TERM) == 11_000
    assert r.pauses.count == 2 and r.pauses.sum_ns == 34_000
    # Nothing ran during mark, so an idle worker did all of it: no assists, no user time.
    assert c.assist_cpu_ns == 0
    assert c.idle_cpu_ns > 0


def test_stw1_charges_the_stop_of_a_goroutine_running_elsewhere() -> None:
    """2 Ps. A worker computes for 200 ms on one P; requests (64 KiB, then 50 ms of I/O)
    arrive every ms on the other. The 61st triggers the GC and blocks at once; the worker is
    running and must be stopped for STW #1, as it is for STW #2. (The model used to assume
    the triggering goroutine was always one of the running ones and charged no stop here.)"""
    worker = WorkerGroup(1, Program(steps=(compute(200 * MS), io(10 * SECOND))))
    r = simulate(config([alloc_large(), io(50 * MS)], procs=2, workers=(worker,),
                        open_loop=arrivals(70, 1 * MS), duration_ns=100 * MS))
    assert len(r.cycles) == 1
    c = r.cycles[0]
    assert c.start_ns == 61 * MS and c.heap_start_bytes == FIRST_TRIGGER
    assert c.stw_mark_term_clock_ns == pause_ns(2, stopped_running=True, fixed_ns=MARK_TERM)
    assert c.stop_ns_sweep_term == STOP_RUNNING
    assert c.stw_sweep_term_clock_ns == pause_ns(2, stopped_running=True, fixed_ns=SWEEP_TERM)


def test_peak_heap_alloc_is_the_real_peak() -> None:
    """heap_alloc only falls at a sweep, so its peak is just before one: the summary must
    report it, not the largest sample of the time series (which it used to)."""
    r = simulate(_gc_config())
    c = r.cycles[0]
    # Large objects only and nothing freed before the first sweep: heap_alloc == heapLive,
    # so at mark termination heap_alloc was exactly H1.
    assert r.summary.bytes_freed == c.heap_end_bytes - c.heap_marked_bytes
    assert r.summary.peak_heap_alloc_bytes >= c.heap_end_bytes


def _metrics_boundaries() -> list[float]:
    """runtime/metrics timeHistogram edges in seconds (reference §13)."""
    edges = [-math.inf, 0.0, 64e-9, 128e-9, 192e-9]
    edges += [(2 ** (i - 1) + j * 2 ** (i - 3)) * 1e-9 for i in range(9, 48) for j in range(4)]
    return [*edges, 2**47 * 1e-9, math.inf]


def _bucket(boundaries: tuple[float, ...], ns: int) -> int:
    return max(i for i, b in enumerate(boundaries[:-1]) if b <= ns * 1e-9)


def test_histograms_use_the_runtime_metrics_layout() -> None:
    """163 edges, 162 counts; each sample lands in the bucket holding its value: pauses of
    23 us and 11 us, a latency of 3456789 ns."""
    r = simulate(_gc_config())
    for h in (r.latency, r.pauses, r.sched_latency):
        assert len(h.boundaries_seconds) == 163 and len(h.counts) == 162
        assert list(h.boundaries_seconds) == pytest.approx(_metrics_boundaries(), rel=1e-12)
    b = r.pauses.boundaries_seconds
    want = [0] * 162
    for pause in (pause_ns(1, False, SWEEP_TERM), pause_ns(1, False, MARK_TERM)):
        want[_bucket(b, pause)] += 1
    assert list(r.pauses.counts) == want
    assert b[_bucket(b, 23_000)] == pytest.approx(20_480e-9)  # [20.48 us, 24.576 us)
    one = simulate(config([compute(3_456_789)], open_loop=arrivals(1, 1 * MS)))
    i = _bucket(one.latency.boundaries_seconds, 3_456_789)
    assert one.latency.counts[i] == 1 == sum(one.latency.counts)


@pytest.mark.parametrize("procs", [1, 3])
def test_heap_live_moves_in_whole_spans(procs: int) -> None:
    """64 B noscan objects (one-page spans), 4 KiB per request: heapLive grows a whole 8 KiB
    span at a time per P, so every cycle starts a whole number of spans above the previous
    mark, and on 1 P the first one exactly at the trigger (488 spans)."""
    small = Step(allocate=Allocate(bytes=const(4096), object_sizes=(ObjectSize(64),),
                                   scannable_fraction=0.0))
    r = simulate(config([compute(10_000), small], procs=procs, closed_loop=ClosedLoop(procs),
                        duration_ns=30 * MS))
    assert len(r.cycles) >= 2
    prev_marked = 0
    for c in r.cycles:
        assert (c.heap_start_bytes - prev_marked) % 8192 == 0
        assert c.trigger_bytes <= c.heap_start_bytes < c.trigger_bytes + procs * 8192
        prev_marked = c.heap_marked_bytes
    if procs == 1:
        assert r.cycles[0].heap_start_bytes == FIRST_TRIGGER


@pytest.mark.parametrize(("scannable", "idle_goroutines", "mark_ns"), [
    # 4 MiB of 256 B objects, all scannable, + 64 KiB of globals, at 1 ns per byte.
    (1.0, 0, 4 * MIB + 64 * KIB),
    # Half noscan: 2 MiB + 64 KiB to scan, and the other 2 MiB marked at 5 % of the cost.
    (0.5, 0, math.ceil(2 * MIB + 64 * KIB + 0.05 * 2 * MIB)),
    # 100 parked goroutines add their 8 KiB stacks to the scan work.
    (1.0, 100, 4 * MIB + 64 * KIB + 100 * 8 * KIB),
])
def test_mark_work_is_scannable_heap_plus_stacks_plus_globals(
        scannable: float, idle_goroutines: int, mark_ns: int) -> None:
    """An idle 1-P program's forced GC: the mark workers have the whole P, so the mark phase
    lasts exactly the mark work at scan_ns_per_byte (1.0)."""
    r = simulate(SimConfig(
        runtime=RuntimeConfig(gomaxprocs=1),
        workload=Workload(baseline_heap=BaselineHeap(live_bytes=4 * MIB, object_bytes=256,
                                                     scannable_fraction=scannable),
                          idle_goroutines=idle_goroutines),
        cost=ZERO_COST, duration_ns=121 * SECOND))
    assert len(r.cycles) == 1
    c = r.cycles[0]
    assert c.kind is TriggerKind.TIME
    assert c.mark_clock_ns == mark_ns
    # The P marked all along: idle and fractional workers shared it, nobody assisted.
    assert abs(c.idle_cpu_ns + c.fractional_cpu_ns - mark_ns) <= 2
    assert c.assist_cpu_ns == c.dedicated_cpu_ns == 0
    assert c.heap_scan_work_bytes == int(4 * MIB * scannable)
    assert c.heap_marked_bytes == 4 * MIB
    assert c.stacks_bytes == idle_goroutines * 8 * KIB


def test_a_goroutine_gets_its_stack_when_it_first_runs() -> None:
    """newproc1 gives a goroutine a 2 KiB stack (stackMin) with a 32-byte frame on it, and
    the GC scans hi - sp: 32 B. It grows (copystack) when it runs. One P, five 10 ms
    requests with 8 KiB stacks arriving 1 ms apart: each waits on the run queue with its
    2 KiB stack until the one before it ends, then runs with 8 KiB."""
    cfg = config([compute(10 * MS)], open_loop=arrivals(5, 1 * MS), duration_ns=80 * MS)
    cfg = cfg.replace(workload=dataclasses.replace(
        cfg.workload, request=Program(steps=(compute(10 * MS),), stack_bytes=8 * KIB)))
    seen: dict[int, tuple[int, int]] = {}

    def progress(_: Progress) -> None:
        seen[run.env.now] = (run.heap.stacks, run.coll.stack_scan)

    run = _Run(cfg, Hooks(progress=progress, progress_interval_ns=MS // 2))
    run.run()
    assert seen[MS // 2] == (0, 0)
    # (allocated stack bytes, stack bytes the GC would scan)
    assert seen[3 * MS // 2] == (8 * KIB, 8 * KIB)  # the first, running since 1 ms
    assert seen[5 * MS] == (8 * KIB + 4 * 2 * KIB, 8 * KIB + 4 * 32)  # four waiting
    assert seen[15 * MS] == (8 * KIB + 3 * 2 * KIB, 8 * KIB + 3 * 32)  # the second runs
    assert seen[25 * MS] == (8 * KIB + 2 * 2 * KIB, 8 * KIB + 2 * 32)
    assert seen[45 * MS] == (8 * KIB, 8 * KIB)  # the last, running
    assert seen[55 * MS] == (0, 0)


def test_peak_heap_goal_covers_every_cycle_goal() -> None:
    """GOGC=25: heapMinimum is 1 MiB, the trigger 61/64 of it (999424), reached by the 16th
    64 KiB object at heapLive 1048576; during mark the goal is kept 64 KiB above that, and
    the summary's peak goal must include it (it used to count only goals at commit)."""
    r = simulate(config([compute(100_000), alloc_large()], gogc=25, closed_loop=ClosedLoop(1),
                        duration_ns=5 * MS))
    first = r.cycles[0]
    assert first.trigger_bytes == 999_424 and first.heap_start_bytes == 1_048_576
    assert first.heap_goal_bytes == 1_048_576 + 64 * KIB
    assert r.summary.peak_heap_goal_bytes >= max(c.heap_goal_bytes for c in r.cycles)


def test_gc_workers_and_assists_fit_in_the_ps_during_mark() -> None:
    """1 P, an 8 MiB fully scannable heap, one closed-loop client allocating 4 KiB per 1 us
    request: the mutator assists heavily. Assists and workers together can use at most
    every P for the length of the mark phase. (An assisting P's time used to be credited
    to the fractional worker as well: 118-120 % of the P, and gctrace U% above 100.)"""
    small = Step(allocate=Allocate(bytes=const(4096), object_sizes=(ObjectSize(64),),
                                   scannable_fraction=0.0))
    cfg = SimConfig(
        runtime=RuntimeConfig(gomaxprocs=1),
        workload=Workload(request=Program(steps=(compute(1000), small)),
                          closed_loop=ClosedLoop(1),
                          baseline_heap=BaselineHeap(live_bytes=8 * MIB, object_bytes=64,
                                                     scannable_fraction=1.0)),
        cost=ZERO_COST, duration_ns=50 * MS)
    r = simulate(cfg)
    assert r.cycles
    for c in r.cycles:
        assert c.assist_cpu_ns > 0
        gc = c.assist_cpu_ns + c.dedicated_cpu_ns + c.fractional_cpu_ns + c.idle_cpu_ns
        assert gc <= 1 * c.mark_clock_ns + 2, (c.n, gc, c.mark_clock_ns)
        assert c.cpu_percent <= 100


def test_mark_does_not_end_before_its_assists_ran() -> None:
    """1 P, GOGC=25, one closed-loop client allocating 1 KiB of tiny objects per 1 us
    request: the mark work is 512 KiB of globals plus a 2 KiB stack; the fractional worker's
    first burst (findRunnable runs it before the client) does 100 KB of it, and the first
    allocation after it assists for the rest."""
    tiny = Step(allocate=Allocate(bytes=const(1024), object_sizes=(ObjectSize(8),),
                                  scannable_fraction=0.0))
    cfg = SimConfig(runtime=RuntimeConfig(gomaxprocs=1, gogc=25),
                    workload=Workload(request=Program(steps=(compute(1000), tiny),
                                                      stack_bytes=2048),
                                      closed_loop=ClosedLoop(1), globals_bytes=512 * KIB),
                    cost=ZERO_COST, duration_ns=20 * MS)
    r = simulate(cfg)
    assert len(r.cycles) >= 5
    for c in r.cycles:
        assert c.assist_cpu_ns > 0
        gc = c.assist_cpu_ns + c.dedicated_cpu_ns + c.fractional_cpu_ns + c.idle_cpu_ns
        assert gc <= 1 * c.mark_clock_ns + 2, (c.n, gc, c.mark_clock_ns)


def test_cpu_booked_but_not_yet_spent_is_not_counted() -> None:
    """1 P, GOGC=off, GOMEMLIMIT 24 MiB over a 7 MiB baseline; 26723 req/s each allocating
    18 KB of tiny objects: the heap hits the limit at about 18 ms and the allocating
    goroutine scavenges synchronously (~10 ms of work)."""
    tiny = Step(allocate=Allocate(bytes=const(18158), object_sizes=(ObjectSize(8),),
                                  scannable_fraction=0.0))
    cfg = SimConfig(
        runtime=RuntimeConfig(gomaxprocs=1, gogc=GOGC_OFF, gomemlimit_bytes=24 * MIB),
        workload=Workload(request=Program(steps=(compute(1000), tiny), stack_bytes=2048),
                          open_loop=OpenLoop(26723, process=ArrivalProcess.CONSTANT),
                          baseline_heap=BaselineHeap(live_bytes=7 * MIB, object_bytes=64),
                          globals_bytes=0),
        # the cost model this repro was found with (before the docs/fidelity.md calibration)
        # (one fixed cost for both pauses then; no metadata counted against the limit)
        # (and the mutator's costs of then)
        cost=CostModel(scan_ns_per_byte=1.0, stw_sweep_term_ns=20_000, stw_mark_term_ns=20_000,
                       stw_per_p_ns=3_000, runtime_base_bytes=8 * MIB, metadata_fraction=0.0,
                       alloc_ns_per_object=12.0, alloc_ns_per_byte=0.02, wakeup_ns=0,
                       wakeup_latency_ns=0, mark_alloc_slowdown=0.0),
        duration_ns=20 * MS)
    for duration in (15 * MS, 20 * MS, 40 * MS):
        g = simulate(cfg.replace(duration_ns=duration)).summary.gc_cpu
        parts = (g.user_ns + g.assist_ns + g.dedicated_ns + g.fractional_ns + g.idle_ns
                 + g.idle_p_ns + g.pause_ns + g.scavenge_ns)
        assert abs(parts - g.total_ns) <= 8, (duration, parts - g.total_ns, g)


def test_assist_debt_is_kept_while_the_cpu_limiter_is_on() -> None:
    """gcAssistAlloc returns at once while the GC CPU limiter is on, but mallocgc has
    already charged the allocation to gcAssistBytes (deductAssistCredit): the debt is kept
    and paid by the goroutine's first allocation after the limiter turns off. (White-box:
    drives Collector.assist in the first cycle's mark with the limiter forced on, then off.)"""
    from simcore import Hooks, engine
    from simcore.collector import PHASE_MARK
    from simcore.machine import G_REQUEST, G

    run = engine._Run(validate(_gc_config()), Hooks(), False)
    run.start()
    coll = run.coll
    while coll.phase != PHASE_MARK:
        run.env.step()
    g = G(10_000, run.req_ops, G_REQUEST, run.env.ns, 0, False)
    coll.limiter._enabled = True  # the bucket is full
    assert coll.assist(g, 100_000, 0) == 0 and g.credit == -100_000
    assert coll.assist(g, 100_000, 0) == 0 and g.credit == -200_000
    coll.limiter._enabled = False
    ratio = coll.pacer.assist_work_per_byte
    ns = coll.assist(g, 0, 0)  # the next allocation, however small, pays the whole debt
    assert ns == math.ceil(200_000 * ratio * coll.ns_per_work)
    assert -1 <= g.credit <= 0


def test_gctrace_line_of_the_first_cycle() -> None:
    r = simulate(_gc_config())
    c = r.cycles[0]
    line = c.gctrace
    assert "\n" not in line  # a HEAP cycle has no "GC forced" line
    m = GCTRACE_RE.match(line)
    assert m is not None, line
    assert m["n"] == "1"
    assert m["t"] == "0.006"  # started at 6.000 ms
    # STW #1 = 23 us -> "0.023"; STW #2 = 11 us (the fractional worker finished the mark:
    # nothing to stop) -> "0.011"; CPU = clock * 1 P.
    assert (m["a"], m["c"], m["d"], m["h"]) == ("0.023", "0.011", "0.023", "0.011")
    assert m["h0"] == str(FIRST_TRIGGER >> 20) == "3"
    assert m["h1"] == str(c.heap_end_bytes >> 20)
    assert m["h2"] == str(c.heap_marked_bytes >> 20)
    assert m["goal"] == "4"
    assert (m["stacks"], m["globals"], m["p"]) == ("0", "0", "1")
    assert int(m["u"]) == c.cpu_percent
    assert not line.endswith("(forced)")


def test_mmu_windows_cover_the_whole_run() -> None:
    """MMU windows are measured over the whole run, from t=0: an 8 ms run with one GC at
    6 ms has MMU(1 s) = its mean utilization, not the mean after the first GC (the tracker
    used to start at the first cycle's gcStart)."""
    r = simulate(_gc_config())
    c = r.cycles[0]
    mmu = dict(r.summary.mmu)
    run_ns = r.summary.simulated_ns
    pauses = c.stw_sweep_term_clock_ns + c.stw_mark_term_clock_ns
    # Utilization lost to the GC: every P during pauses, the fractional worker's bursts,
    # at most all of the P during assists.
    most = pauses + c.fractional_cpu_ns + c.assist_cpu_ns
    least = pauses
    # A window of the whole run (1 s is clamped to the 8 ms run) averages over all of it.
    assert 1 - most / run_ns <= mmu[1_000_000_000] <= 1 - least / run_ns
    # A 5 ms window fits around the whole GC inside the 8 ms run.
    assert 1 - most / (5 * MS) <= mmu[5 * MS] <= 1 - least / (5 * MS)


def test_gc_cpu_fraction_series_is_never_negative() -> None:
    """A sample taken during STW #2 used to lose the cycle's whole mark CPU (it was neither
    in the running cycle's figures nor folded into the totals yet): -78 here."""
    # Sample every microsecond so that samples fall inside the mark phase and inside STW #2.
    r = simulate(_gc_config().replace(sample_interval_ns=1000))
    assert len(r.cycles) == 1
    assert min(r.series.gc_cpu_fraction) >= 0.0


def test_gc_cpu_by_class_does_not_shrink_when_the_run_ends_in_stw2() -> None:
    """GC CPU by class only grows with the run's length; a run ending inside STW #2 used to
    drop the cut-off cycle's assist and fractional CPU (counted as user time instead)."""
    base = _gc_config()
    # Mark work beyond the fractional worker's first burst (100 KB), so the client assists.
    base = base.replace(workload=dataclasses.replace(base.workload, globals_bytes=512 * KIB))
    c = simulate(base).cycles[0]
    mark_end = c.start_ns + c.stw_sweep_term_clock_ns + c.mark_clock_ns
    before = simulate(base.replace(duration_ns=mark_end - 10_000)).summary.gc_cpu
    during = simulate(base.replace(duration_ns=mark_end + 10_000)).summary.gc_cpu
    assert before.assist_ns > 0 and before.fractional_ns > 0
    assert during.assist_ns >= before.assist_ns
    assert during.fractional_ns >= before.fractional_ns


# --- GOGC=off and the memory limit ---------------------------------------------------------


def test_gogc_off_without_a_limit_never_collects() -> None:
    """1000 requests of 64 KiB each: 64 MiB, 16 times the first trigger, and no cycle."""
    cfg = config([compute(10_000), alloc_large()], gogc=GOGC_OFF,
                 open_loop=arrivals(1000, 50_000), duration_ns=60 * MS)
    r = simulate(cfg)
    s = r.summary
    assert s.bytes_allocated == 1000 * LARGE
    assert r.cycles == () and s.cycles_total == 0
    assert r.pauses.count == 0
    assert s.bytes_freed == 0
    assert s.gc_cpu.gc_total_ns() == 0


def test_memory_limit_with_gogc_off_collects() -> None:
    limit = 32 * MIB
    cfg = config([compute(10_000), alloc_large()], gogc=GOGC_OFF,
                 open_loop=arrivals(1000, 50_000), duration_ns=60 * MS)
    cfg = cfg.replace(runtime=RuntimeConfig(gomaxprocs=1, gogc=GOGC_OFF, gomemlimit_bytes=limit))
    r = simulate(cfg)
    s = r.summary
    assert s.cycles_total >= 1
    assert r.pauses.count >= 2 * s.cycles_total
    assert s.bytes_freed > 0
    assert all(c.kind is TriggerKind.HEAP for c in r.cycles)
    # The goal is the memory-limit goal, below the limit itself.
    assert all(c.heap_goal_bytes < limit for c in r.cycles)


# --- the two-minute forced GC --------------------------------------------------------------

FORCE_PERIOD = 120 * SECOND


def _idle_config(gogc: int = 100, live_bytes: int = 4 * MIB, duration_ns: int = 370 * SECOND,
                 steps: tuple[Step, ...] = (), **workload: object) -> SimConfig:
    return SimConfig(
        runtime=RuntimeConfig(gomaxprocs=2, gogc=gogc),
        workload=Workload(request=Program(steps=steps),
                          baseline_heap=BaselineHeap(live_bytes=live_bytes),
                          **workload),  # type: ignore[arg-type]
        cost=ZERO_COST, duration_ns=duration_ns)


def test_idle_program_gets_forced_gc_every_two_minutes() -> None:
    """A warm baseline heap counts as a finished GC at t=0; sysmon then forces a cycle
    120 s (plus its 10 ms tick) after each one."""
    r = simulate(_idle_config())
    cycles = r.cycles
    assert len(cycles) == 3  # ~120 s, ~240 s, ~360 s
    assert r.summary.cycles_forced == 3 and r.summary.cycles_heap == 0
    assert r.pauses.count == 6
    prev_end = 0
    for i, c in enumerate(cycles, start=1):
        assert c.n == i
        assert c.kind is TriggerKind.TIME
        assert c.gctrace.startswith(f"GC forced\ngc {i} @")
        line = c.gctrace.split("\n", 1)[1]
        assert GCTRACE_RE.match(line), line
        assert not line.endswith("(forced)")  # that suffix is for runtime.GC()
        assert FORCE_PERIOD < c.start_ns - prev_end <= FORCE_PERIOD + 100 * MS
        prev_end = c.start_ns + c.stw_sweep_term_clock_ns + c.mark_clock_ns + (
            c.stw_mark_term_clock_ns)
    first = cycles[0]
    assert FORCE_PERIOD < first.start_ns <= FORCE_PERIOD + 100 * MS  # + a sysmon tick
    assert first.gctrace.startswith("GC forced\ngc 1 @120.0")
    # Nothing runs in an idle program: nothing to stop.
    assert first.stw_sweep_term_clock_ns == pause_ns(2, False, SWEEP_TERM)
    assert first.stw_mark_term_clock_ns == pause_ns(2, False, MARK_TERM)


@pytest.mark.parametrize(("procs", "frac_goal"), [
    (1, 0.25),  # no dedicated worker: a fractional goal of 25 % of the P
    (2, 0.25),  # 2 x 25 % = 0.5 P rounds to one dedicated worker, 100 % off: fractional
    (4, 0.0),  # one dedicated worker on another P
    (8, 0.0),
    (6, 0.5 / 6),  # 1 dedicated + fractional 0.5 / 6 of every P
])
def test_request_during_mark_waits_for_a_fractional_burst(procs: int, frac_goal: float) -> None:
    """A 1 ms request arriving at 120.020 s, inside the forced GC's mark of a 64 MiB fully
    scannable heap (from 120.010 s, ~67 ms of work at 1 ns/B): user code runs 5 % slower
    (write barrier), and where GOMAXPROCS/4 does not round well the P it lands on first
    runs the fractional worker. The Ps were idle (idle marking), which does not count as
    fractional time, so the P is behind its goal; the burst lasts whole drain checks
    (100000 units of scan work = 100 us here) until pollFractionalWorkerExit sees the P's
    fractional time above 1.2 x the goal since mark start, as in src/runtime/mgc.go.
    Where the P was idle marking, no thread waits in netpoll: the arrival is seen at the
    idle worker's next drain check (pollWork), and the burst starts then."""
    at = 120_020 * MS
    once = OpenLoop(rate_per_s=0.0, process=ArrivalProcess.CONSTANT,
                    schedule=(RatePoint(at, 1000.0), RatePoint(at + 1_500_000, 0.0)))
    cfg = SimConfig(runtime=RuntimeConfig(gomaxprocs=procs),
                    workload=Workload(request=Program(steps=(compute(1 * MS),)),
                                      open_loop=once,
                                      baseline_heap=BaselineHeap(live_bytes=64 * MIB,
                                                                 scannable_fraction=1.0)),
                    cost=ZERO_COST, duration_ns=121 * SECOND)
    r = simulate(cfg)
    c = r.cycles[0]
    t_mark = c.start_ns + c.stw_sweep_term_clock_ns
    mark_end = t_mark + c.mark_clock_ns
    assert c.start_ns < at + 1 * MS and at + 10 * MS < mark_end
    assert r.latency.count == 1
    wait = r.latency.sum_ns - round(1 * MS * 1.05)
    if frac_goal == 0.0:
        assert wait == 0
    else:
        q = 100_000  # drainCheckThreshold x 1 ns per unit of scan work
        own = q  # the P's first burst, at mark start: one drain check, then it idled
        arrival = at + 1 * MS  # the one arrival comes 1 / rate after `at`
        poll = 0
        if procs == 1:
            # The idle worker started at t_mark + q; its checks come every q after that.
            poll = q - (arrival - t_mark - q) % q
        d = arrival + poll - t_mark
        burst = wait - poll
        assert own <= frac_goal * d  # behind its goal: the fractional worker runs first
        assert burst > 0 and burst % q == 0
        # pollFractionalWorkerExit: above 1.2 x goal at the burst's last check, not before.
        assert (own + burst) / (d + burst) > 1.2 * frac_goal
        assert (own + burst - q) / (d + burst - q) <= 1.2 * frac_goal
        assert c.fractional_cpu_ns >= own + burst
    # The same request outside mark takes exactly its 1 ms.
    later = OpenLoop(rate_per_s=0.0, process=ArrivalProcess.CONSTANT,
                     schedule=(RatePoint(at + 200 * MS, 1000.0),
                               RatePoint(at + 201_500_000, 0.0)))
    r2 = simulate(cfg.replace(workload=dataclasses.replace(cfg.workload, open_loop=later)))
    assert r2.latency.sum_ns == 1 * MS


def test_fractional_worker_takes_its_share_of_a_busy_p() -> None:
    """GOMAXPROCS=1, a CPU-bound closed loop (10 us requests back to back, nothing
    allocated) and a 64 MiB scannable heap marked by the forced GC: the only P is never idle,
    so the mark is done by the fractional worker alone, in bursts at the scheduling points,
    and its CPU is 25-30 % of the mark's duration (goal 0.25, exit above 0.3)."""
    cfg = SimConfig(runtime=RuntimeConfig(gomaxprocs=1),
                    workload=Workload(request=Program(steps=(compute(10_000),)),
                                      closed_loop=ClosedLoop(1),
                                      baseline_heap=BaselineHeap(live_bytes=64 * MIB,
                                                                 scannable_fraction=1.0)),
                    cost=ZERO_COST, duration_ns=121 * SECOND, trace_start_ns=120 * SECOND,
                    trace_duration_ns=1 * SECOND)
    r = simulate(cfg)
    c = r.cycles[0]
    assert c.kind is TriggerKind.TIME
    assert c.idle_cpu_ns == 0 and c.dedicated_cpu_ns == 0 and c.assist_cpu_ns == 0
    share = c.fractional_cpu_ns / c.mark_clock_ns
    assert 0.25 <= share <= 0.30, share
    bursts = [s for s in r.trace.spans if s.kind is SpanKind.FRACTIONAL]
    assert len(bursts) > 10
    assert sum(s.end_ns - s.start_ns for s in bursts) == c.fractional_cpu_ns
    # Bursts grow with the mark's age (about 7 % of it) and never pass sysmon's 10 ms.
    assert max(s.end_ns - s.start_ns for s in bursts) <= 10 * MS
    t_mark = c.start_ns + c.stw_sweep_term_clock_ns
    late = [s for s in bursts[:-1] if s.start_ns - t_mark > 40 * MS]  # the last is cut
    assert late and all(s.end_ns - s.start_ns > 0.02 * (s.start_ns - t_mark) for s in late)


def test_no_forced_gc_with_gogc_off() -> None:
    r = simulate(_idle_config(gogc=GOGC_OFF))
    assert r.cycles == () and r.summary.cycles_forced == 0


def test_no_forced_gc_before_the_first_gc() -> None:
    """A cold start (no baseline heap) that never allocates never had a GC: no periodic GC."""
    r = simulate(_idle_config(live_bytes=0, duration_ns=250 * SECOND))
    assert r.cycles == () and r.pauses.count == 0


def test_forced_gc_counts_from_the_first_heap_triggered_gc() -> None:
    """A cold start allocating 4.5 MiB at once (70 requests at 1 ms) gets its first GC from
    the heap trigger; the program then idles and the next cycle is forced 2 minutes later."""
    cfg = _idle_config(live_bytes=0, duration_ns=200 * SECOND, steps=(alloc_large(),),
                       open_loop=arrivals(70, 1 * MS))
    r = simulate(cfg)
    kinds = [c.kind for c in r.cycles]
    assert kinds == [TriggerKind.HEAP, TriggerKind.TIME]
    heap_gc, forced = r.cycles
    assert heap_gc.heap_start_bytes == FIRST_TRIGGER
    end = heap_gc.start_ns + heap_gc.stw_sweep_term_clock_ns + heap_gc.mark_clock_ns + (
        heap_gc.stw_mark_term_clock_ns)
    assert FORCE_PERIOD < forced.start_ns - end <= FORCE_PERIOD + 100 * MS
    assert r.summary.cycles_forced == 1 and r.summary.cycles_heap == 1


def _two_arrivals_in_a_mark(num_cpus: int, **cost: object) -> SimConfig:
    """Requests at 1000/s until 34.9 ms, then at 35.1 and 35.3 ms, each 50 us and 1 MiB: the
    cycle triggered near 34 ms marks a 48 MiB scannable heap while both arrivals come."""
    big = Step(allocate=Allocate(bytes=const(1 * MIB), object_sizes=(ObjectSize(1 * MIB),),
                                 scannable_fraction=0.0, lifetime=Lifetime.REQUEST))
    two = OpenLoop(rate_per_s=1000.0, process=ArrivalProcess.CONSTANT,
                   schedule=(RatePoint(34_900_000, 5000.0), RatePoint(35_350_000, 0.0)))
    cfg = config([compute(50_000), big], procs=2, open_loop=two, duration_ns=80 * MS,
                 baseline_heap=BaselineHeap(live_bytes=48 * MIB, scannable_fraction=1.0))
    return dataclasses.replace(
        cfg, runtime=dataclasses.replace(cfg.runtime, num_cpus=num_cpus),
        cost=dataclasses.replace(cfg.cost, **cost),  # type: ignore[arg-type]
        trace_start_ns=30 * MS, trace_duration_ns=20 * MS)


def test_arrivals_while_every_idle_p_marks_wait_for_a_drain_check_and_the_acceptor() -> None:
    """Two Ps idle marking a 48 MiB scannable heap (a heap-triggered cycle at 34.026 ms, so
    both Ps may run idle workers), on three CPUs: the thread parked in netpoll has a CPU and
    comes back with the arrival at 35.1 ms at once, finds no idle P and leaves it to the
    first idle worker's drain check to come (pollWork every 100000 units of scan work: P1's,
    whose worker started at 34.126 ms). That P's fractional worker is behind (idle marking
    does not count), so it runs first, with the acceptor waiting on its queue: the arrival
    at 35.3 ms is not read until the burst ends, although P0 idle-marks all along. Then the
    acceptor starts both, the newest in runnext."""
    r = simulate(_two_arrivals_in_a_mark(num_cpus=3))
    c = r.cycles[0]
    assert c.start_ns + c.stw_sweep_term_clock_ns == 34_026_000
    spans = r.trace.spans
    run = {s.goroutine: s for s in spans if s.kind is SpanKind.GOROUTINE}
    first, second = run[35], run[36]  # arrived at 35.1 and 35.3 ms
    burst = next(s for s in spans if s.kind is SpanKind.FRACTIONAL and s.end_ns == second.start_ns)
    q = burst.start_ns - 34_126_105  # P1's idle worker started at 34.126105 ms ...
    assert burst.track == second.track == first.track == 1
    assert 35_100_000 < burst.start_ns <= 35_100_000 + 100_105  # ... its next check
    assert q % 100_105 == 0
    assert burst.start_ns < 35_300_000 < burst.end_ns  # the second arrival came meanwhile
    assert second.start_ns < first.start_ns  # the newest first (runnext)
    p0 = [s for s in spans if s.track == 0 and s.kind is SpanKind.IDLE_MARK
          and s.start_ns <= 35_100_000 and s.end_ns >= burst.end_ns]
    assert p0, "P0 idle-marked through the burst and never saw either arrival"


def test_a_mark_s_first_wake_up_waits_for_the_os_tick_with_no_cpu_to_spare() -> None:
    """The same two arrivals on two CPUs. A thread is parked in netpoll when the mark starts
    (the M of the P that last ran dry), so the idle workers do not poll, and with both CPUs
    running the Ps' threads it runs only at the OS's next tick (4 ms ticks at a phase the
    run draws: seed 1's first tick after 35.1 ms is at 35.968683 ms). Both arrivals are
    ready then, together; the first idle worker's drain check after the tick takes them, its
    P's fractional burst runs first, and the acceptor starts both, the newest first. With a
    spare CPU, os_tick_ns 0 or os_tick_wait_fraction 0 the run is the one of the test above."""
    cfg = _two_arrivals_in_a_mark(num_cpus=2, os_tick_wait_fraction=1.0)
    tick = cfg.cost.os_tick_ns
    phase = Streams(cfg.seed).get("os_tick").randrange(tick)
    at = 35_100_000 + tick - (35_100_000 - phase) % tick
    assert (cfg.seed, tick, at) == (1, 4_000_000, 35_968_683)
    r = simulate(cfg)
    spans = r.trace.spans
    run = {s.goroutine: s for s in spans if s.kind is SpanKind.GOROUTINE}
    first, second = run[35], run[36]  # arrived at 35.1 and 35.3 ms
    burst = next(s for s in spans if s.kind is SpanKind.FRACTIONAL and s.end_ns == second.start_ns)
    assert at < burst.start_ns <= at + 100_105  # the first drain check after the tick
    assert burst.start_ns < second.start_ns < first.start_ns  # the newest first
    spare = simulate(_two_arrivals_in_a_mark(num_cpus=3, os_tick_wait_fraction=1.0))
    early = {s.goroutine: s for s in spare.trace.spans if s.kind is SpanKind.GOROUTINE}
    early_burst = next(s for s in spare.trace.spans if s.kind is SpanKind.FRACTIONAL
                       and s.end_ns == early[36].start_ns)
    assert 35_100_000 < early_burst.start_ns <= 35_100_000 + 100_105 < at  # no wait for a CPU
    assert first.start_ns > early[35].start_ns
    for same in (_two_arrivals_in_a_mark(num_cpus=2, os_tick_ns=0),
                 _two_arrivals_in_a_mark(num_cpus=2, os_tick_wait_fraction=0.0)):
        assert simulate(same).trace.spans == spare.trace.spans
