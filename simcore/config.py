"""Simulation input: the runtime configuration, the workload and the cost model.

Everything a run needs is one frozen SimConfig. It is built once at the boundary (by the
proto conversion in server/, by a workload file, or by hand) and checked once by validate(),
which collects every violation with the field's path (in the proto's field names, e.g.
"workload.request.steps[2].allocate.scannable_fraction") and a reason, and raises ConfigError
carrying them all. The model never re-checks its input.

Units are in the names: *_ns are integer nanoseconds, *_bytes integer bytes, *_per_s floats
per simulated second. A Distribution is unit-agnostic: the field holding it carries the unit
(Compute.duration_ns is a distribution of nanoseconds).

The cost model holds every constant of the machine that Go's source does not fix: how long an
allocation, a refill, a page fault or a unit of scan work takes here. Its defaults are
documented on each field; a client may override any of them.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

# GOGC_OFF is the gc_percent of GOGC=off (Go's setGCPercent clamps negatives to -1).
GOGC_OFF = -1

# NO_LIMIT is GOMEMLIMIT unset (Go uses math.MaxInt64, src/runtime/mgcpacer.go
# maxInt64 in setMemoryLimit).
NO_LIMIT = (1 << 63) - 1

# MAX_LOGNORMAL_SIGMA bounds a log-normal's sigma (a Distribution's, the wake-up latency's):
# past it the tail is no longer a latency (sigma 5 puts p99.9 at e^(3.09 x 5), 5 million
# times the median).
MAX_LOGNORMAL_SIGMA = 5.0

MS = 1_000_000
SECOND = 1_000_000_000
KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30


class ConfigError(ValueError):
    """A configuration with one or more invalid fields.

    violations lists (field_path, reason) pairs, every one found, in field order.
    """

    def __init__(self, violations: list[tuple[str, str]]) -> None:
        self.violations = list(violations)
        text = "; ".join(f"{path}: {reason}" for path, reason in self.violations)
        super().__init__(f"invalid configuration: {text}")


class DistKind(Enum):
    """The shape of a Distribution."""

    CONSTANT = "constant"  # always value
    EXPONENTIAL = "exponential"  # mean
    UNIFORM = "uniform"  # low..high
    LOGNORMAL = "lognormal"  # median and sigma (of the underlying normal)
    EMPIRICAL = "empirical"  # values with weights


@dataclass(frozen=True)
class Distribution:
    """A distribution of non-negative numbers; the field holding it names the unit.

    Samples are rounded to integers by the model. Which parameters matter depends on kind:
    CONSTANT value; EXPONENTIAL mean; UNIFORM low, high; LOGNORMAL median, sigma;
    EMPIRICAL values, weights (same length; weights default to equal).
    """

    kind: DistKind = DistKind.CONSTANT
    value: float = 0.0
    mean: float = 0.0
    low: float = 0.0
    high: float = 0.0
    median: float = 0.0
    sigma: float = 0.0
    values: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()

    @staticmethod
    def constant(value: float) -> Distribution:
        return Distribution(DistKind.CONSTANT, value=value)

    @staticmethod
    def exponential(mean: float) -> Distribution:
        return Distribution(DistKind.EXPONENTIAL, mean=mean)

    @staticmethod
    def uniform(low: float, high: float) -> Distribution:
        return Distribution(DistKind.UNIFORM, low=low, high=high)

    @staticmethod
    def lognormal(median: float, sigma: float) -> Distribution:
        return Distribution(DistKind.LOGNORMAL, median=median, sigma=sigma)

    @staticmethod
    def empirical(values: tuple[float, ...], weights: tuple[float, ...] = ()) -> Distribution:
        return Distribution(DistKind.EMPIRICAL, values=values, weights=weights)

    def expected(self) -> float:
        """The mean of the distribution (used for sizing limits and progress estimates)."""
        k = self.kind
        if k is DistKind.CONSTANT:
            return self.value
        if k is DistKind.EXPONENTIAL:
            return self.mean
        if k is DistKind.UNIFORM:
            return (self.low + self.high) / 2
        if k is DistKind.LOGNORMAL:
            return self.median * math.exp(self.sigma * self.sigma / 2)
        w = self.weights or tuple(1.0 for _ in self.values)
        total = sum(w)
        return sum(v * x for v, x in zip(self.values, w, strict=True)) / total if total else 0.0


class Lifetime(Enum):
    """How long allocated bytes stay reachable."""

    REQUEST = "request"  # until the goroutine that allocated them finishes
    TTL = "ttl"  # for ttl_ns after allocation (a cache entry, a session)
    FOREVER = "forever"  # never freed: a leak, or a heap that only grows


@dataclass(frozen=True)
class ObjectSize:
    """One entry of an object-size mix: objects of size_bytes, in proportion weight."""

    size_bytes: int
    weight: float = 1.0


@dataclass(frozen=True)
class Compute:
    """Run on a P for a duration (user code; slowed by the write barrier during mark)."""

    duration_ns: Distribution


@dataclass(frozen=True)
class Allocate:
    """Allocate `bytes` in objects drawn from object_sizes; costs CPU from the cost model.

    scannable_fraction is the fraction of objects that contain pointers (the GC scans them;
    the rest are noscan). Lifetime says when the bytes become garbage.
    """

    bytes: Distribution
    object_sizes: tuple[ObjectSize, ...] = (ObjectSize(64),)
    scannable_fraction: float = 0.5
    lifetime: Lifetime = Lifetime.REQUEST
    ttl_ns: int = 0


@dataclass(frozen=True)
class IOWait:
    """Block off-CPU (network, disk, a downstream call): the goroutine releases its P."""

    duration_ns: Distribution


@dataclass(frozen=True)
class PoolGet:
    """sync.Pool Get from pool `pool`: reuse a pooled object, or allocate object_bytes anew."""

    pool: str
    object_bytes: int
    scannable: bool = True


@dataclass(frozen=True)
class PoolPut:
    """sync.Pool Put of the object this goroutine got from pool `pool` (if any)."""

    pool: str


@dataclass(frozen=True)
class Step:
    """One step of a goroutine's program; exactly one of the fields is set."""

    compute: Compute | None = None
    allocate: Allocate | None = None
    io_wait: IOWait | None = None
    pool_get: PoolGet | None = None
    pool_put: PoolPut | None = None

    def which(self) -> str:
        """The name of the field that is set ('' when none is)."""
        for f in ("compute", "allocate", "io_wait", "pool_get", "pool_put"):
            if getattr(self, f) is not None:
                return f
        return ""


@dataclass(frozen=True)
class Program:
    """A goroutine's work: steps run in order; stack_bytes is its stack in use."""

    steps: tuple[Step, ...] = ()
    stack_bytes: int = 8 * KIB


class ArrivalProcess(Enum):
    """How open-loop arrivals are spaced."""

    POISSON = "poisson"  # exponential gaps (a memoryless stream of independent clients)
    CONSTANT = "constant"  # evenly spaced


@dataclass(frozen=True)
class RatePoint:
    """From at_ns on, the arrival rate is rate_per_s (piecewise constant, or linear to the
    next point when OpenLoop.interpolate is set)."""

    at_ns: int
    rate_per_s: float


@dataclass(frozen=True)
class OpenLoop:
    """Requests arrive on their own schedule, whether or not earlier ones have finished.

    rate_per_s applies from time 0 unless schedule is given; schedule's points override it
    from their at_ns on.
    """

    rate_per_s: float
    process: ArrivalProcess = ArrivalProcess.POISSON
    schedule: tuple[RatePoint, ...] = ()
    interpolate: bool = False


@dataclass(frozen=True)
class ClosedLoop:
    """`clients` clients each keep one request in flight, thinking think_ns between them."""

    clients: int
    think_ns: Distribution = field(default_factory=lambda: Distribution.constant(0))


@dataclass(frozen=True)
class WorkerGroup:
    """`count` long-lived goroutines, each running `program` in a loop for the whole run.

    period_ns 0: each iteration starts when the previous one ends. period_ns > 0: iteration
    k starts at k x period_ns (from the goroutine's start), like a loop paced by a
    time.Ticker that owes its work: a goroutine that is done early sleeps until its next
    tick, one that is late (slowed by assists, the scheduler or a long step) starts the next
    iteration at once until it has caught up, so it does the program period_ns apart on
    average whatever its own delays.
    """

    count: int
    program: Program
    period_ns: int = 0


@dataclass(frozen=True)
class BaselineHeap:
    """A long-lived heap present from the start (a cache, an index) and its churn.

    churn_bytes_per_s of it is replaced each second (new entries allocated by a background
    goroutine, as many bytes of old entries dropped), which keeps the GC busy even without
    requests.
    """

    live_bytes: int = 0
    object_bytes: int = 256
    scannable_fraction: float = 0.5
    churn_bytes_per_s: float = 0.0


@dataclass(frozen=True)
class Workload:
    """What the program does.

    Requests come from open_loop or closed_loop (at most one; neither means no requests),
    each running `request`. Worker groups loop for ever. idle_goroutines are parked
    goroutines holding idle_goroutine_stack_bytes of stack each (the GC scans them).
    """

    request: Program = field(default_factory=Program)
    open_loop: OpenLoop | None = None
    closed_loop: ClosedLoop | None = None
    workers: tuple[WorkerGroup, ...] = ()
    baseline_heap: BaselineHeap = field(default_factory=BaselineHeap)
    idle_goroutines: int = 0
    idle_goroutine_stack_bytes: int = 8 * KIB
    globals_bytes: int = 64 * KIB
    name: str = ""


@dataclass(frozen=True)
class RuntimeConfig:
    """The Go runtime's knobs and the machine it runs on.

    gogc: GOGC as a percentage, GOGC_OFF (-1) for off. gomemlimit_bytes: GOMEMLIMIT,
    NO_LIMIT when unset. container_memory_bytes: the cgroup memory limit; RSS above it is an
    OOM kill (0 = no container limit). num_cpus: the CPUs the process's threads share (cores,
    or the cgroup's CPU quota); 0 = as many as GOMAXPROCS, Go's default. With no CPU to
    spare, a thread the kernel wakes waits for one (CostModel.os_tick_ns).
    """

    gomaxprocs: int = 8
    gogc: int = 100
    gomemlimit_bytes: int = NO_LIMIT
    container_memory_bytes: int = 0
    num_cpus: int = 0


@dataclass(frozen=True)
class CostModel:
    """Costs of the machine that Go's source does not fix. Defaults: see each field.

    They are starting points for a modern x86-64 server core running Go 1.26; issue-level
    calibration against real runs (docs/fidelity.md) refines them.
    """

    # mallocgc per small object (nextFreeFast, header, profiling check) and the user code's
    # own work to link it in. 28.4 ns, with alloc_ns_per_byte, wakeup_ns and
    # mark_alloc_slowdown: fitted in docs/fidelity.md, the Go twin's user CPU at
    # GOMAXPROCS=1 (31 configurations) regressed on objects/s, bytes/s (both x (1 + w x the
    # fraction of time marking)) and wake-ups/s; rms residual 11.6 %.
    alloc_ns_per_object: float = 28.4
    # Zeroing and first touch of allocated memory, per byte (memclrNoHeapPointers).
    alloc_ns_per_byte: float = 0.225
    # mcache.refill -> mcentral.cacheSpan for one span, including its share of sweeping.
    refill_ns: int = 600
    # mheap.alloc of a large object's span (heap lock, page allocator).
    large_alloc_ns: int = 1_500
    # Growing the heap from the OS: mmap plus page faults, per MiB of growth.
    heap_grow_ns_per_mib: int = 60_000
    # Mark work per byte of scannable heap, stacks and globals (scanobject/greyobject).
    # 1.76 ns/byte (about 0.57 GB/s per core): fitted in docs/fidelity.md, least squares of
    # the Go twin's mark CPU per cycle on gosim's mark work over the 62 configurations run on
    # a quiet machine, go1.27.3 on a 2-vCPU AMD EPYC VM: 1.757, rms residual 9.0 %.
    scan_ns_per_byte: float = 1.76
    # Mark work per byte of the baseline heap's large scannable objects (more than 32 KiB:
    # pointer arrays such as a cache's index or a ring of slots, scanned in 128 KiB oblets).
    # Each word of such an array points at a distinct object, and scanning it marks that
    # object (for a small scannable one, Green Tea also queues its span), so a byte of it
    # costs more than a byte of a small object. The mark reaches these arrays first
    # (they hang off the roots; gcDrain takes objects before spans, src/runtime/mgcwork.go),
    # so their cost falls at the start of every mark, before the background workers have
    # earned much assist credit. 2.6 ns/byte: fitted in docs/fidelity.md, the twin's steady
    # workload (an 8 MiB ring of pointers) on 14 quiet configurations, least rms of GC CPU;
    # its runtime trace shows the first 30 % of each mark earning credit 1.5x slower than
    # the rest. 0: the same as scan_ns_per_byte.
    large_scan_ns_per_byte: float = 2.6
    # Marking a noscan object costs about this fraction of scanning it.
    noscan_mark_fraction: float = 0.05
    # User code runs this much slower while the write barrier is on (fraction, 0.05 = 5 %).
    write_barrier_slowdown: float = 0.05
    # Allocation (the per-object and per-byte costs) costs this much more while marking
    # (fraction, 1.0 = twice): mallocgc allocates black (gcmarknewobject), charges assist
    # credit (deductAssistCredit), and the stores that link new objects in go through the
    # write barrier's buffer. 0: no extra cost.
    # 2.1 (the fit's w, on a 0..4 grid): fitted with alloc_ns_per_object.
    mark_alloc_slowdown: float = 2.1
    # Fixed cost of the sweep-termination pause (the STW that starts a cycle: finishing the
    # sweep, flushing every mcache, clearing pools) once every P is stopped. Fitted in
    # docs/fidelity.md: the Go twin's median sweep-termination STW at GOMAXPROCS=1 (27 us over
    # 31 configurations) less one stw_per_p_ns.
    stw_sweep_term_ns: int = 25_000
    # Fixed cost of the mark-termination pause (the STW that ends marking) once every P is
    # stopped. Fitted as above from the median mark-termination STW (4 us) less one
    # stw_per_p_ns.
    stw_mark_term_ns: int = 2_000
    # Extra cost per P of either pause (forEachP, per-P state). Fitted in docs/fidelity.md
    # from mark termination, 4 us at GOMAXPROCS=1 and 6 us at 2. Sweep termination grows more
    # from 1 to 2 Ps there (27 -> 50 us): on that 2-vCPU VM it is the cost of waking the
    # other, busy vCPU (stop_running_ns), not a per-P cost.
    stw_per_p_ns: int = 2_000
    # Time to stop one running goroutine (preemption request to safe point). Checked in
    # docs/fidelity.md, not refitted: /sched/pauses/stopping/gc at GOMAXPROCS=2 has p75 14 us
    # and p90 24 us (the median, 0.6 us, is pauses that found the other P idle).
    stop_running_ns: int = 15_000
    # Sweeping one span (mspan.sweep), paid by allocation and the background sweeper.
    sweep_ns_per_span: int = 200
    # Returning one 4 KiB page to the OS (madvise), paid by the scavenger.
    scavenge_ns_per_page: int = 10_000
    # Creating a goroutine (newproc) and its first schedule.
    goroutine_create_ns: int = 300
    # A goroutine switch on a P (gogo/mcall, runqueue ops).
    context_switch_ns: int = 150
    # CPU to wake a goroutine from a timer or the network poller (netpoll, ready, findRunnable
    # on the woken side): paid by the goroutine when an io_wait ends, when a paced worker's
    # tick comes, and by a request at its arrival. 0: not charged.
    # 16.8 us: fitted with alloc_ns_per_object (a 2-vCPU EPYC VM: timerfd_settime, read,
    # epoll and futex wake-ups; bare metal is likely cheaper).
    wakeup_ns: int = 16_800
    # Wall time from a timer or netpoll event to its goroutine being runnable: the kernel
    # waking the thread parked in epoll_wait (an open-loop arrival is woken this long after
    # its scheduled time, which its latency still counts from; an io_wait or a paced
    # worker's sleep lasts this much longer). Not CPU. 20 us: fitted in docs/fidelity.md (the
    # value on a 5 us grid that minimises the request p50 error of the 26 server and pool
    # configurations, 5.0 % mean; the Go twin's request generator is 18-25 us late at the
    # median). 0: none.
    wakeup_latency_ns: int = 20_000
    # The wake-up latency varies: wakeup_latency_ns is its median, and each wake-up draws
    # a log-normal with this shape (the sigma of its log; 0: every wake-up takes exactly
    # wakeup_latency_ns), plus, with probability wakeup_latency_tail_fraction, an extra
    # exponential wait of mean wakeup_latency_tail_ns (the host descheduling the vCPU, a
    # thread waiting for a busy CPU). 0.5, 0.005 and 500 us: fitted on the calibration set
    # (docs/fidelity.md, "Calibration of the cost model"): the request p99 of its 26 server
    # and pool configurations; the twin's request generator, with almost no GC at
    # GOMAXPROCS=2, is late by 22 / 42 / 102 / 766 us at p50 / p90 / p99 / p99.9.
    # wakeup_latency_ns 0 turns all of it off.
    wakeup_latency_sigma: float = 0.5
    wakeup_latency_tail_fraction: float = 0.005
    wakeup_latency_tail_ns: int = 500_000
    # The OS scheduler's tick. A thread the kernel wakes while every CPU runs a thread that
    # holds a P (RuntimeConfig.num_cpus <= GOMAXPROCS, all Ps busy) does not preempt one at
    # once: the running thread keeps its slice (Linux EEVDF's RUN_TO_PARITY), and slices end
    # at the next tick, so the woken thread runs at the next multiple of os_tick_ns (each run
    # draws the ticks' phase). Where it matters in Go: a thread parked in netpoll (epoll_wait)
    # while the Ps run idle mark workers, which then do not poll themselves (sched.lastpoll
    # is 0): the network's and timers' wake-ups wait for it. 4 ms: CONFIG_HZ=250, the Go
    # twin's VM (Linux 6.18); `perf sched` there shows such threads waiting 1.7 ms at the
    # median and 3.6 ms at p90, as a uniform wait up to a tick would. 0: the woken thread
    # runs at once.
    os_tick_ns: int = 4_000_000
    # The share of those wake-ups that wait for the tick; the others run at once (the woken
    # thread is owed CPU time, a positive EEVDF lag, and the running thread's protected
    # slice is over). 0.85: fitted in docs/fidelity.md, the request p99 of the calibration
    # set's 26 server and pool configurations (least rms); with it the waits are 0 in 15 %
    # of cases and uniform up to a tick otherwise: 1.65 ms at the median and 3.5 ms at p90,
    # where `perf sched` measured 1.7 and 3.6.
    os_tick_wait_fraction: float = 0.85
    # The runtime's own memory that is neither heap objects, the workload's goroutine stacks
    # nor heap metadata (runtime structures, its own goroutines' stacks and stack caches, OS
    # thread stacks, profiling buckets), present from the start; counted in mappedReady, so
    # against GOMEMLIMIT. 4.5625 MiB: fitted in docs/fidelity.md with metadata_fraction, a
    # line through the non-heap memory (/memory/classes/total less the /memory/classes/heap/
    # classes, plus .../heap/stacks) of the Go twin's memory-limited runs against their heap.
    runtime_base_bytes: int = 4_784_128
    # Heap metadata (span structs, mark and pointer bitmaps, heap arenas) as a fraction of
    # the heap address space mapped; counted in mappedReady. 0.0265: the slope of that line
    # (the non-heap memory of those 32 configurations is within 6 % of the line).
    metadata_fraction: float = 0.0265


@dataclass(frozen=True)
class SimConfig:
    """A whole run: runtime, workload, costs, length, seed and output options.

    sample_interval_ns: the time series' spacing (0 = duration/500, at least 1 ms).
    warmup_ns: requests that arrive before this are not recorded in the latency figures.
    trace_start_ns, trace_duration_ns: a window to record an execution trace of (what ran
    on each P, GC phases, pauses, assists); 0 duration = no trace. At most trace_max_spans
    spans are kept.
    """

    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    workload: Workload = field(default_factory=Workload)
    cost: CostModel = field(default_factory=CostModel)
    duration_ns: int = 10 * SECOND
    seed: int = 1
    sample_interval_ns: int = 0
    warmup_ns: int = 0
    trace_start_ns: int = 0
    trace_duration_ns: int = 0
    trace_max_spans: int = 100_000

    def effective_sample_interval_ns(self) -> int:
        if self.sample_interval_ns > 0:
            return self.sample_interval_ns
        return max(MS, self.duration_ns // 500)

    def replace(self, **changes: Any) -> SimConfig:
        return dataclasses.replace(self, **changes)


# ---------------------------------------------------------------------------------------
# Validation: one walk over the whole config collecting (path, reason) pairs.


class _Check:
    __slots__ = ("violations",)

    def __init__(self) -> None:
        self.violations: list[tuple[str, str]] = []

    def bad(self, path: str, reason: str) -> None:
        self.violations.append((path, reason))

    def finite(self, path: str, x: float) -> bool:
        if isinstance(x, float) and not math.isfinite(x):
            self.bad(path, f"must be a finite number, got {x}")
            return False
        return True

    def nonneg(self, path: str, x: float) -> None:
        if self.finite(path, x) and x < 0:
            self.bad(path, f"must be >= 0, got {x}")

    def positive(self, path: str, x: float) -> None:
        if self.finite(path, x) and x <= 0:
            self.bad(path, f"must be > 0, got {x}")

    def fraction(self, path: str, x: float) -> None:
        if self.finite(path, x) and not 0.0 <= x <= 1.0:
            self.bad(path, f"must be between 0 and 1, got {x}")


def _check_dist(c: _Check, path: str, d: Distribution, *, allow_zero: bool = True) -> None:
    k = d.kind
    if k is DistKind.CONSTANT:
        c.nonneg(f"{path}.value", d.value)
        if not allow_zero and c.finite(f"{path}.value", d.value) and d.value == 0:
            c.bad(f"{path}.value", "must be > 0")
    elif k is DistKind.EXPONENTIAL:
        c.positive(f"{path}.mean", d.mean)
    elif k is DistKind.UNIFORM:
        c.nonneg(f"{path}.low", d.low)
        c.nonneg(f"{path}.high", d.high)
        if math.isfinite(d.low) and math.isfinite(d.high) and d.high < d.low:
            c.bad(f"{path}.high", f"must be >= low ({d.low}), got {d.high}")
    elif k is DistKind.LOGNORMAL:
        c.positive(f"{path}.median", d.median)
        c.nonneg(f"{path}.sigma", d.sigma)
        if math.isfinite(d.sigma) and d.sigma > MAX_LOGNORMAL_SIGMA:
            c.bad(f"{path}.sigma", f"must be <= {MAX_LOGNORMAL_SIGMA} (a heavier tail is not a "
                  f"latency), got {d.sigma}")
    elif k is DistKind.EMPIRICAL:
        if not d.values:
            c.bad(f"{path}.values", "must not be empty")
        for i, v in enumerate(d.values):
            c.nonneg(f"{path}.values[{i}]", v)
        if d.weights:
            if len(d.weights) != len(d.values):
                c.bad(f"{path}.weights", f"must have {len(d.values)} entries like values, "
                      f"got {len(d.weights)}")
            for i, w in enumerate(d.weights):
                c.nonneg(f"{path}.weights[{i}]", w)
            if all(math.isfinite(w) for w in d.weights) and sum(d.weights) <= 0:
                c.bad(f"{path}.weights", "must not all be zero")
    else:  # pragma: no cover - enums are closed
        c.bad(f"{path}.kind", f"unknown distribution kind {k!r}")


def _check_program(c: _Check, path: str, p: Program) -> None:
    c.nonneg(f"{path}.stack_bytes", p.stack_bytes)
    if p.stack_bytes > 1_000_000_000:
        c.bad(f"{path}.stack_bytes", "exceeds Go's maximum stack size of 1e9 bytes")
    for i, s in enumerate(p.steps):
        sp = f"{path}.steps[{i}]"
        set_fields = [f for f in ("compute", "allocate", "io_wait", "pool_get", "pool_put")
                      if getattr(s, f) is not None]
        if len(set_fields) != 1:
            c.bad(sp, f"exactly one of compute, allocate, io_wait, pool_get, pool_put must be "
                  f"set, got {len(set_fields)}")
            continue
        if s.compute is not None:
            _check_dist(c, f"{sp}.compute.duration_ns", s.compute.duration_ns)
        elif s.io_wait is not None:
            _check_dist(c, f"{sp}.io_wait.duration_ns", s.io_wait.duration_ns)
        elif s.allocate is not None:
            a = s.allocate
            ap = f"{sp}.allocate"
            _check_dist(c, f"{ap}.bytes", a.bytes)
            if not a.object_sizes:
                c.bad(f"{ap}.object_sizes", "must not be empty")
            for j, o in enumerate(a.object_sizes):
                if o.size_bytes <= 0:
                    c.bad(f"{ap}.object_sizes[{j}].size_bytes", f"must be > 0, got {o.size_bytes}")
                c.nonneg(f"{ap}.object_sizes[{j}].weight", o.weight)
            if a.object_sizes and all(math.isfinite(o.weight) for o in a.object_sizes) and sum(
                o.weight for o in a.object_sizes
            ) <= 0:
                c.bad(f"{ap}.object_sizes", "weights must not all be zero")
            c.fraction(f"{ap}.scannable_fraction", a.scannable_fraction)
            if a.lifetime is Lifetime.TTL and a.ttl_ns <= 0:
                c.bad(f"{ap}.ttl_ns", "must be > 0 when lifetime is TTL")
            elif a.ttl_ns < 0:
                c.bad(f"{ap}.ttl_ns", f"must be >= 0, got {a.ttl_ns}")
        elif s.pool_get is not None:
            if not s.pool_get.pool:
                c.bad(f"{sp}.pool_get.pool", "must name a pool")
            if s.pool_get.object_bytes <= 0:
                c.bad(f"{sp}.pool_get.object_bytes", f"must be > 0, got {s.pool_get.object_bytes}")
        elif s.pool_put is not None and not s.pool_put.pool:
            c.bad(f"{sp}.pool_put.pool", "must name a pool")


def validate(cfg: SimConfig) -> SimConfig:
    """Check every field of cfg; return it unchanged, or raise ConfigError listing all
    violations with their field paths."""
    c = _Check()
    r = cfg.runtime
    if r.gomaxprocs < 1:
        c.bad("runtime.gomaxprocs", f"must be >= 1, got {r.gomaxprocs}")
    if r.gogc < GOGC_OFF:
        c.bad("runtime.gogc", f"must be >= 0, or -1 for off, got {r.gogc}")
    if r.gomemlimit_bytes < 0:
        c.bad("runtime.gomemlimit_bytes", f"must be >= 0, got {r.gomemlimit_bytes}")
    if r.container_memory_bytes < 0:
        c.bad("runtime.container_memory_bytes", f"must be >= 0, got {r.container_memory_bytes}")
    if r.num_cpus < 0:
        c.bad("runtime.num_cpus", f"must be >= 0 (0: as many as GOMAXPROCS), got {r.num_cpus}")

    w = cfg.workload
    _check_program(c, "workload.request", w.request)
    if w.open_loop is not None and w.closed_loop is not None:
        c.bad("workload", "set at most one of open_loop and closed_loop")
    if w.open_loop is not None:
        o = w.open_loop
        c.nonneg("workload.open_loop.rate_per_s", o.rate_per_s)
        last = -1
        for i, pt in enumerate(o.schedule):
            pp = f"workload.open_loop.schedule[{i}]"
            if pt.at_ns < 0:
                c.bad(f"{pp}.at_ns", f"must be >= 0, got {pt.at_ns}")
            elif pt.at_ns <= last:
                c.bad(f"{pp}.at_ns", "must be later than the previous point's at_ns")
            last = max(last, pt.at_ns)
            c.nonneg(f"{pp}.rate_per_s", pt.rate_per_s)
    if w.closed_loop is not None:
        if w.closed_loop.clients < 1:
            c.bad("workload.closed_loop.clients", f"must be >= 1, got {w.closed_loop.clients}")
        _check_dist(c, "workload.closed_loop.think_ns", w.closed_loop.think_ns)
    for i, g in enumerate(w.workers):
        if g.count < 1:
            c.bad(f"workload.workers[{i}].count", f"must be >= 1, got {g.count}")
        _check_program(c, f"workload.workers[{i}].program", g.program)
        c.nonneg(f"workload.workers[{i}].period_ns", g.period_ns)
        if g.period_ns <= 0 and not any(s.compute is not None or s.io_wait is not None
                                        for s in g.program.steps):
            c.bad(f"workload.workers[{i}].program.steps",
                  "a worker loops for ever, so it needs a compute or io_wait step "
                  "(or a period_ns)")
    # A pool holds one kind of object (the model keeps one size per pool).
    kinds: dict[str, tuple[int, bool, str]] = {}
    progs = [("workload.request", w.request)] + [
        (f"workload.workers[{i}].program", g.program) for i, g in enumerate(w.workers)]
    for ppath, prog in progs:
        for i, s in enumerate(prog.steps):
            if s.pool_get is None or not s.pool_get.pool:
                continue
            kind = (s.pool_get.object_bytes, s.pool_get.scannable)
            seen = kinds.setdefault(s.pool_get.pool, (*kind, f"{ppath}.steps[{i}]"))
            if seen[:2] != kind:
                c.bad(f"{ppath}.steps[{i}].pool_get",
                      f"pool {s.pool_get.pool!r} already holds {seen[0]}-byte "
                      f"{'pointerful' if seen[1] else 'pointer-free'} objects ({seen[2]}); "
                      "use one object size and scannability per pool")
    b = w.baseline_heap
    c.nonneg("workload.baseline_heap.live_bytes", b.live_bytes)
    if b.object_bytes <= 0:
        c.bad("workload.baseline_heap.object_bytes", f"must be > 0, got {b.object_bytes}")
    c.fraction("workload.baseline_heap.scannable_fraction", b.scannable_fraction)
    c.nonneg("workload.baseline_heap.churn_bytes_per_s", b.churn_bytes_per_s)
    if w.idle_goroutines < 0:
        c.bad("workload.idle_goroutines", f"must be >= 0, got {w.idle_goroutines}")
    c.nonneg("workload.idle_goroutine_stack_bytes", w.idle_goroutine_stack_bytes)
    c.nonneg("workload.globals_bytes", w.globals_bytes)

    for f in dataclasses.fields(CostModel):
        c.nonneg(f"cost.{f.name}", getattr(cfg.cost, f.name))
    if math.isfinite(cfg.cost.scan_ns_per_byte) and cfg.cost.scan_ns_per_byte <= 0:
        c.bad("cost.scan_ns_per_byte", "must be > 0")
    c.fraction("cost.noscan_mark_fraction", cfg.cost.noscan_mark_fraction)
    c.fraction("cost.wakeup_latency_tail_fraction", cfg.cost.wakeup_latency_tail_fraction)
    c.fraction("cost.os_tick_wait_fraction", cfg.cost.os_tick_wait_fraction)
    sigma = cfg.cost.wakeup_latency_sigma
    if math.isfinite(sigma) and sigma > MAX_LOGNORMAL_SIGMA:
        c.bad("cost.wakeup_latency_sigma", f"must be <= {MAX_LOGNORMAL_SIGMA} (a heavier tail "
              f"is not a latency), got {sigma}")
    if cfg.cost.wakeup_latency_tail_fraction > 0 and cfg.cost.wakeup_latency_tail_ns <= 0:
        c.bad("cost.wakeup_latency_tail_ns",
              "must be > 0 when cost.wakeup_latency_tail_fraction is set")
    c.fraction("cost.metadata_fraction", cfg.cost.metadata_fraction)

    if cfg.duration_ns <= 0:
        c.bad("duration_ns", f"must be > 0, got {cfg.duration_ns}")
    if cfg.sample_interval_ns < 0:
        c.bad("sample_interval_ns", f"must be >= 0, got {cfg.sample_interval_ns}")
    if cfg.trace_start_ns < 0:
        c.bad("trace_start_ns", f"must be >= 0, got {cfg.trace_start_ns}")
    if cfg.trace_duration_ns < 0:
        c.bad("trace_duration_ns", f"must be >= 0, got {cfg.trace_duration_ns}")
    if cfg.trace_max_spans < 0:
        c.bad("trace_max_spans", f"must be >= 0, got {cfg.trace_max_spans}")
    if cfg.warmup_ns < 0:
        c.bad("warmup_ns", f"must be >= 0, got {cfg.warmup_ns}")
    elif cfg.warmup_ns >= cfg.duration_ns > 0:
        c.bad("warmup_ns", "must be shorter than duration_ns")
    if c.violations:
        raise ConfigError(c.violations)
    return cfg
