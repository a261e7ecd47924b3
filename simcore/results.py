"""Simulation output: immutable records, built once at the end of a run.

A Result holds everything a Go engineer would measure on the real program:
- histograms in the runtime/metrics bucket layout (request latency, GC pauses with two
  samples per cycle, scheduling latency), each with exact count, sum, min and max;
- one CycleRecord per GC cycle, carrying every gctrace field and the gctrace line itself;
- a TimeSeries sampled at a fixed interval (columns of equal length);
- a Summary: percentiles, throughput, GC CPU by class, cycle counts, peaks, MMU, OOM.

Memory is bounded by the number of GC cycles and samples, never by the number of requests.
Same config and seed give an identical Result (== compares equal) on any machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from simcore.config import SimConfig


@dataclass(frozen=True)
class Histogram:
    """A histogram with explicit bucket boundaries.

    boundaries_seconds has len(counts)+1 entries; bucket i counts samples in
    [boundaries_seconds[i], boundaries_seconds[i+1]). The first and last boundaries may be
    -inf and +inf, as runtime/metrics exports them. count, sum_ns, min_ns and max_ns are
    exact (not derived from the buckets); min_ns and max_ns are 0 when count is 0.
    """

    boundaries_seconds: tuple[float, ...]
    counts: tuple[int, ...]
    count: int
    sum_ns: int
    min_ns: int
    max_ns: int


@dataclass(frozen=True)
class Percentiles:
    """Quantiles of a duration distribution, in ns (0 when there are no samples)."""

    count: int
    mean_ns: int
    p50_ns: int
    p90_ns: int
    p99_ns: int
    p999_ns: int
    max_ns: int


@dataclass(frozen=True)
class LatencyBreakdown:
    """Where recorded requests' time went, summed over them (ns). The parts add up to the
    sum of their latencies.

    running: on a P doing user work (including allocation costs); runnable: waiting for a P;
    assist: doing GC mark assists (or parked waiting for credit); stw: stopped by a
    stop-the-world pause; io: blocked off-CPU (I/O waits, and an arrival's wait from its
    scheduled time to being read: the wake-up latency, CostModel.wakeup_latency_*).
    """

    running_ns: int
    runnable_ns: int
    assist_ns: int
    stw_ns: int
    io_ns: int


class TriggerKind(Enum):
    """Why a GC cycle started (Go's gcTriggerKind)."""

    HEAP = "heap"  # heapLive reached the trigger (gcTriggerHeap)
    TIME = "time"  # two minutes since the last GC (gcTriggerTime, "GC forced" line)
    CYCLE = "cycle"  # runtime.GC() (gcTriggerCycle, "(forced)" on the line)


@dataclass(frozen=True)
class CycleRecord:
    """One GC cycle: every field of its gctrace line, and more.

    Times are absolute simulated ns unless named *_clock_ns (wall durations) or *_cpu_ns
    (CPU time summed over Ps). Heap sizes follow gctrace: heap_start_bytes is heapLive at
    gcStart (H0), heap_end_bytes heapLive at mark termination (H1), heap_marked_bytes the
    bytes marked (H2).
    """

    n: int
    start_ns: int
    kind: TriggerKind
    cpu_percent: int  # cumulative GC CPU % since start, as gctrace's U% (idle marking excluded)
    stw_sweep_term_clock_ns: int
    mark_clock_ns: int
    stw_mark_term_clock_ns: int
    stw_sweep_term_cpu_ns: int
    assist_cpu_ns: int
    dedicated_cpu_ns: int
    fractional_cpu_ns: int
    idle_cpu_ns: int
    stw_mark_term_cpu_ns: int
    heap_start_bytes: int
    heap_end_bytes: int
    heap_marked_bytes: int
    heap_goal_bytes: int
    trigger_bytes: int
    stacks_bytes: int
    globals_bytes: int
    heap_scan_work_bytes: int
    gomaxprocs: int
    cons_mark: float
    limiter_enabled: bool  # the GC CPU limiter was on at some time during the cycle
    stop_ns_sweep_term: int  # the stopping part of STW #1
    stop_ns_mark_term: int  # the stopping part of STW #2
    gctrace: str  # the line exactly as Go prints it (a "GC forced" line precedes TIME ones)
    # Stranded slots (free slots of spans a sweep left in use, docs/model.md): those not
    # yet refilled when the cycle started, and those its sweep left.
    stranded_start_bytes: int
    stranded_bytes: int
    # How far the next trigger is from the stranded-slot regime after this cycle's sweep
    # (Collector.stranded_margin; negative: the next cycle starts before the stranded slots
    # are refilled); 0 without stranded slots or a binding memory-limit goal.
    stranded_margin_bytes: int
    # What refills reused of the stranded slots between the previous cycle's mark start and
    # this cycle's start, and the bytes of the partly used spans they took (each refill
    # takes a whole span, and heapLive counts its tail: Heap.refill_stranded); their ratio
    # is those spans' free share, which the Go twin's counting runtime reports too.
    stranded_refilled_bytes: int
    stranded_refilled_span_bytes: int


@dataclass(frozen=True)
class TimeSeries:
    """Samples every interval_ns; every column has one entry per t_ns.

    heap_alloc_bytes: bytes in allocated heap objects (runtime/metrics /gc/heap/allocs minus
    frees: live plus not-yet-swept garbage); heap_live_bytes: the pacer's heapLive;
    heap_goal_bytes: heapGoal() at t from the heap's statistics at t (/gc/heap/goal);
    gc_cpu_fraction: GC CPU over all Ps in the interval ending at t (assists, workers,
    pauses); request_rate_per_s: requests completed in the interval per second.
    """

    interval_ns: int
    t_ns: tuple[int, ...]
    heap_alloc_bytes: tuple[int, ...]
    heap_live_bytes: tuple[int, ...]
    heap_goal_bytes: tuple[int, ...]
    trigger_bytes: tuple[int, ...]
    heap_in_use_bytes: tuple[int, ...]
    rss_bytes: tuple[int, ...]
    goroutines: tuple[int, ...]
    runnable_goroutines: tuple[int, ...]
    gc_cpu_fraction: tuple[float, ...]
    request_rate_per_s: tuple[float, ...]
    gc_running: tuple[bool, ...]


@dataclass(frozen=True)
class GCCPU:
    """CPU time spent by class over the run (ns summed over Ps), and the total available.

    The classes partition the total: user + assist + dedicated + fractional + idle (idle
    mark workers) + pause + scavenge + idle_p == total_ns (up to rounding). Scavenging done by
    allocating goroutines is taken out of user time, the background scavenger's out of idle
    time.
    """

    assist_ns: int
    dedicated_ns: int
    fractional_ns: int
    idle_ns: int
    pause_ns: int
    scavenge_ns: int
    user_ns: int
    idle_p_ns: int  # Ps idle with nothing at all to run
    total_ns: int  # gomaxprocs x simulated time

    def gc_total_ns(self) -> int:
        """GC CPU without idle marking, as runtime/metrics' /cpu/classes/gc/total minus idle."""
        return self.assist_ns + self.dedicated_ns + self.fractional_ns + self.pause_ns


@dataclass(frozen=True)
class OOMKill:
    """The container's memory limit was exceeded: the run ended here."""

    at_ns: int
    rss_bytes: int
    limit_bytes: int
    heap_alloc_bytes: int
    heap_goal_bytes: int
    goroutines: int


@dataclass(frozen=True)
class Summary:
    """Headline figures of a run."""

    simulated_ns: int  # how long the run lasted (shorter than asked if OOM-killed)
    requests_arrived: int
    requests_completed: int
    throughput_per_s: float  # completed requests per simulated second after warm-up
    latency: Percentiles
    breakdown: LatencyBreakdown
    pauses: Percentiles
    gc_cpu: GCCPU
    gc_cpu_fraction: float  # (assist+dedicated+fractional+pause)/total, as gctrace's U%
    cycles_total: int
    cycles_heap: int  # started by the heap trigger
    cycles_forced: int  # started by the two-minute timer (gcTriggerTime)
    peak_heap_alloc_bytes: int
    peak_heap_goal_bytes: int
    peak_rss_bytes: int
    peak_goroutines: int
    limiter_enabled_ns: int  # simulated time the GC CPU limiter was on
    mmu: tuple[tuple[int, float], ...]  # (window_ns, minimum mutator utilization)
    oom: OOMKill | None
    bytes_allocated: int  # total bytes ever allocated (runtime/metrics /gc/heap/allocs)
    bytes_freed: int  # total bytes freed by sweeping (/gc/heap/frees)
    objects_allocated: int
    objects_freed: int
    heap_objects: int  # objects allocated and not yet swept at the end (/gc/heap/objects)
    # Heap-triggered cycles that started, under a binding memory-limit goal, before the
    # stranded slots were refilled (CycleRecord.stranded_start_bytes at least
    # collector.STRANDED_REGIME_FRACTION of the goal): the regime.
    stranded_regime_cycles: int
    # Cycles whose sweep left a stranded-slot margin within STRANDED_EDGE_FRACTION of the
    # goal: the regime's edge, where the cycle rate is sensitive (docs/fidelity.md).
    stranded_edge_cycles: int


class SpanKind(Enum):
    """What a trace span shows."""

    GOROUTINE = "goroutine"  # a goroutine running user code on a P
    ASSIST = "assist"  # a goroutine doing a mark assist
    DEDICATED = "dedicated"  # a dedicated mark worker owning a P
    IDLE_MARK = "idle_mark"  # an idle P running the idle mark worker
    FRACTIONAL = "fractional"  # a burst of the fractional mark worker on a P
    STW_SWEEP_TERM = "stw_sweep_termination"  # pause #1 (track -1: the whole machine)
    MARK = "mark"  # the concurrent mark phase (track -1)
    STW_MARK_TERM = "stw_mark_termination"  # pause #2 (track -1)


@dataclass(frozen=True)
class TraceSpan:
    """One interval of an execution trace. track is the P's id, or -1 for the machine."""

    track: int
    start_ns: int
    end_ns: int
    kind: SpanKind
    goroutine: int  # goroutine id for GOROUTINE/ASSIST, else 0
    cycle: int  # GC cycle number for GC spans, else 0


@dataclass(frozen=True)
class Trace:
    """Spans overlapping [start_ns, end_ns), in the order they ended; truncated is set
    when more than the configured maximum were seen."""

    start_ns: int
    end_ns: int
    spans: tuple[TraceSpan, ...]
    truncated: bool


@dataclass(frozen=True)
class Result:
    """Everything one run produced."""

    summary: Summary
    latency: Histogram  # request latency, arrival to completion
    pauses: Histogram  # /sched/pauses/total/gc:seconds, two samples per cycle
    sched_latency: Histogram  # /sched/latencies:seconds, sampled every 8th switch
    cycles: tuple[CycleRecord, ...]
    series: TimeSeries
    seed: int
    config: SimConfig  # the configuration that produced this result
    trace: Trace | None  # when a trace window was asked for
    gosim_version: str
    go_version: str  # the Go release whose runtime this models
