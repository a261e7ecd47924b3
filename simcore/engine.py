"""One run: build the model from a SimConfig, drive SimPy to the end, assemble the Result.

run() owns the SimPy Environment and every seeded stream, so nothing is shared between
runs. Besides the machine's and the collector's own events it schedules:
- arrivals (open loop: one event per request; closed loop: a think time after each
  completion), and the worker goroutines at time 0;
- baseline-heap churn every CHURN_TICK_NS (allocation by an off-P goroutine: it moves
  heapLive and can trigger a GC but costs no P time);
- the time-series sampler every sample interval (also the OOM check for stack growth);
- progress hooks.

A baseline heap starts warm: as if a GC had just marked it (Collector.warm_start).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import simpy

from simcore import sizeclasses as sc
from simcore.clock import Clock
from simcore.collector import PHASE_MARK, PHASE_OFF, PHASE_STW2, Collector, OOMKilled
from simcore.config import (
    Allocate,
    BaselineHeap,
    Distribution,
    Lifetime,
    ObjectSize,
    Program,
    SimConfig,
    Step,
)
from simcore.heap import HEAP_ARENA_GROW_BYTES, PAGE_BYTES, SPAN_SLACK_FRACTION, Heap
from simcore.hooks import Hooks, Progress
from simcore.machine import G_REQUEST, G_WORKER, STACK_MIN, G, Machine
from simcore.pacer import MAX_UINT64
from simcore.results import GCCPU, OOMKill, Result, SpanKind, Summary, TimeSeries
from simcore.stats import Stats, coarsen, histogram_result, percentiles
from simcore.timers import advance_to, call_after
from simcore.tracing import TraceRecorder
from simcore.version import GO_VERSION, GOSIM_VERSION
from simcore.workload import (
    AllocOp,
    OpenLoopArrivals,
    Sampler,
    Streams,
    WakeupSampler,
    compile_program,
    make_sampler,
)

CHURN_TICK_NS = 10_000_000
# Goroutines the Go runtime itself keeps (main, sysmon has none, forcegc helper, bgsweep,
# bgscavenge, finalizer): counted in the goroutine figures.
RUNTIME_GOROUTINES = 4


class _Run:
    """The state of one run (kept together so callbacks are cheap bound methods)."""

    def __init__(self, cfg: SimConfig, hooks: Hooks, one_event_per_step: bool = False) -> None:
        self.cfg = cfg
        self.hooks = hooks
        rt = cfg.runtime
        w = cfg.workload
        cost = cfg.cost
        self.env = env = Clock()
        self.nprocs = n = rt.gomaxprocs
        self.duration = cfg.duration_ns
        self.streams = streams = Streams(cfg.seed)
        self.heap = heap = Heap(n, cost, w.globals_bytes)
        self.stats = stats = Stats(n, cfg.warmup_ns)
        pools: dict[str, int] = {}
        self.req_ops = compile_program(w.request, streams, heap, "request", pools)
        self.req_stack = w.request.stack_bytes
        self.workers = [(compile_program(g.program, streams, heap, f"workers[{i}]", pools),
                         g.count, g.program.stack_bytes, g.period_ns)
                        for i, g in enumerate(w.workers)]
        self.m = m = Machine(env, n, heap, stats, cost.alloc_ns_per_object,
                             cost.alloc_ns_per_byte, cost.refill_ns, cost.large_alloc_ns,
                             cost.sweep_ns_per_span, cost.goroutine_create_ns,
                             cost.context_switch_ns, len(pools))
        m.wakeup_ns = cost.wakeup_ns
        m.mark_alloc_factor = 1.0 + cost.mark_alloc_slowdown
        m.wakeup = WakeupSampler(cost.wakeup_latency_ns, cost.wakeup_latency_sigma,
                                 cost.wakeup_latency_tail_fraction,
                                 cost.wakeup_latency_tail_ns, streams.get("wakeup"))
        m.cpu_spare = cfg.runtime.num_cpus > n
        m.os_tick_ns = cost.os_tick_ns
        m.os_tick_wait_fraction = cost.os_tick_wait_fraction
        m.os_tick_rng = streams.get("os_tick")
        if cost.os_tick_ns > 0:
            m.os_tick_phase_ns = m.os_tick_rng.randrange(cost.os_tick_ns)
        self.coll = coll = Collector(env, cfg, m, heap, stats, hooks.cycle)
        # one_event_per_step turns off lazy completions and arrival batching: the reference
        # against which tests check that those optimisations change nothing.
        m.lazy_ok = not one_event_per_step
        self.batch_arrivals = not one_event_per_step
        m.coll = coll
        m.on_finish = self._client_done
        if cfg.trace_duration_ns > 0:
            m.trace = TraceRecorder(cfg.trace_start_ns, cfg.trace_start_ns + cfg.trace_duration_ns,
                                    cfg.trace_max_spans)
        for p in reversed(m.ps):
            p.idle = True
            m.idle.append(p)
        m.n_idle = n
        # Idle goroutines hold their stacks for the whole run.
        self.idle_gs = w.idle_goroutines
        alloc = STACK_MIN
        while alloc < w.idle_goroutine_stack_bytes:
            alloc <<= 1
        heap.stacks += w.idle_goroutines * alloc
        coll.stack_scan += w.idle_goroutines * w.idle_goroutine_stack_bytes
        self._preload_baseline()
        # Series columns.
        self.series: dict[str, list[Any]] = {k: [] for k in (
            "t_ns", "heap_alloc_bytes", "heap_live_bytes", "heap_goal_bytes", "trigger_bytes",
            "heap_in_use_bytes", "rss_bytes", "goroutines", "runnable_goroutines",
            "gc_cpu_fraction", "request_rate_per_s", "gc_running")}
        self.interval = cfg.effective_sample_interval_ns()
        self.last_gc_cpu = 0.0
        self.last_completed = 0
        self.peak_rss = heap.rss()
        self.peak_gs = 0
        self.end_ns = self.duration
        self.oom: OOMKill | None = None
        self.arrivals: OpenLoopArrivals | None = None
        self.next_arrival_ns = -1  # scheduled time of the next open-loop arrival (_arrive)
        self.think: Sampler | None = None
        b = w.baseline_heap
        self.churn_op: AllocOp | None = None
        if b.churn_bytes_per_s > 0:
            a = Allocate(bytes=Distribution.constant(b.churn_bytes_per_s * CHURN_TICK_NS / 1e9),
                         object_sizes=(ObjectSize(b.object_bytes),),
                         scannable_fraction=b.scannable_fraction, lifetime=Lifetime.FOREVER)
            self.churn_op = AllocOp(a, make_sampler(a.bytes, streams.get("churn")), heap)
            self.churn_g = G(0, (), G_WORKER, 0, 0, False)
        (heap.strand_share, heap.strand_fresh, heap.strand_span_bytes, heap.strand_tail,
         heap.strand_span_free, heap.strand_classes) = self._strand_rates()

    # --- setup ------------------------------------------------------------------------

    def _preload_baseline(self) -> None:
        b = self.cfg.workload.baseline_heap
        heap = self.heap
        coll = self.coll
        if b.live_bytes <= 0:
            coll.sync_memory()
            coll.update_trigger()
            return
        # The baseline's objects, class-rounded like any allocation.
        elem = sc.elem_size(b.object_bytes, b.scannable_fraction == 0.0)
        nobj = max(1, b.live_bytes // b.object_bytes)
        nbytes = nobj * elem
        scan = int(nbytes * b.scannable_fraction)
        heap.total_alloc += nbytes
        heap.objects_alloc += nobj
        heap.live += nbytes
        heap.live_scan += scan
        in_use = int(nbytes * (1 + SPAN_SLACK_FRACTION))
        in_use = -(-in_use // PAGE_BYTES) * PAGE_BYTES
        heap.in_use = in_use
        heap.mapped = -(-in_use // HEAP_ARENA_GROW_BYTES) * HEAP_ARENA_GROW_BYTES
        heap.free = heap.mapped - in_use
        heap.note_peak()
        heap.alloc_at_mark = heap.total_alloc
        coll.dense_scan_bytes = large_scan_bytes(b)
        coll.warm_start(nbytes, scan, self._cons_mark_estimate(), self._build_cons_mark(elem))

    def _strand_rates(self) -> tuple[float, float, float, float, float, frozenset[int]]:
        """Which garbage a sweep strands, and in what spans: (share, fresh, span_bytes,
        tail, span_free, classes) for Heap.strand_share, strand_fresh, strand_span_bytes,
        strand_tail, strand_span_free and strand_classes (the span classes that strand:
        only their refills reuse stranded slots).

        Sweeping frees a span only when all of its objects are dead. Garbage can share its
        spans with survivors when the workload allocates both in one span class from
        different steps (a leak's objects among short-lived ones); share is that garbage's
        part of all garbage (bytes). A class fed by one step (a TTL ring dies in allocation
        order) or by garbage only frees whole spans.

        fresh is how much of that garbage stays when it was allocated into fresh spans.
        Each P fills a span in allocation order, so survivors come in runs (one per program
        iteration that allocates them, or one per 1/k iterations if an iteration allocates
        k < 1 of them) with n garbage objects between runs. A span of S slots strands its
        garbage if it takes part of a survivor run: a garbage object at a uniform place in a
        run of n, in a span at a uniform offset, is stranded with probability min(1, S / n).
        The twin's leak: 262 garbage objects of 64 bytes per 1 ms tick and class, then 33
        kept, ~125 slots a span (what inline mark bits leave of 128): 0.48 (its first sweep
        after the build strands 0.45). Requests
        interleaving on a P make runs shorter than this, so it is a lower bound. The
        baseline's churn drops entries scattered among live ones: all stranded.

        Rates weight request steps by the arrival rate (or the closed-loop clients), worker
        steps by count / period; garbage is counted in bytes.

        The spans, averaged over the stranding ones: a span's bytes, its tail (what no
        object can use), and the free bytes a fresh span keeps when it strands: the slots
        around the survivor run it took, U - min(run, U / 2) for U usable bytes (a run
        longer than half a span leaves partial spans only at its ends, half free on
        average); the twin's leak: 33 survivors of 64 B a run, 5.9 KiB free of 7.9 (from its
        heapLive over the first refills after the first sweep: 6,300 spans for 35.6 MiB).
        Scattered garbage (the baseline's churn) leaves U / 2 (the server twin's churn of
        1 MiB/s adds at most 0.4 % to heapLive over the 2.4 % of its fresh spans' tails).
        """
        w = self.cfg.workload
        progs: list[tuple[Program, float, bool]] = []  # (program, iterations/s, scattered)
        if w.open_loop is not None:
            progs.append((w.request, w.open_loop.rate_per_s, False))
        elif w.closed_loop is not None:
            progs.append((w.request, float(w.closed_loop.clients), False))
        for g in w.workers:
            progs.append((g.program, g.count * (1e9 / g.period_ns if g.period_ns > 0 else 1.0),
                          False))
        b = w.baseline_heap
        if b.churn_bytes_per_s > 0:
            # The baseline's churn: the entries it drops die scattered among live ones
            # (garbage next to a survivor); the baseline stands for a second step.
            # It inserts its new entries every CHURN_TICK_NS.
            churn = Allocate(bytes=Distribution.constant(
                                 b.churn_bytes_per_s * CHURN_TICK_NS / 1e9),
                             object_sizes=(ObjectSize(b.object_bytes),),
                             scannable_fraction=b.scannable_fraction, lifetime=Lifetime.TTL)
            progs.append((Program(steps=(Step(allocate=churn), Step(allocate=replace(
                churn, lifetime=Lifetime.FOREVER)))), 1e9 / CHURN_TICK_NS, True))
        survivors: dict[int, set[int]] = {}  # span class -> steps whose objects survive
        runs: dict[int, float] = {}  # span class -> survivor runs per second
        kept_objs: dict[int, float] = {}  # span class -> surviving objects per second
        slots: dict[int, int] = {}  # span class -> objects per span
        elem: dict[int, int] = {}  # span class -> bytes per object slot
        span_b: dict[int, int] = {}  # span class -> bytes per span
        # span class -> step -> (garbage bytes/s, garbage objects/s, scattered)
        garbage: dict[int, dict[int, tuple[float, float, bool]]] = {}
        total = 0.0
        step_id = 0
        for prog, weight, scattered in progs:
            for step in prog.steps:
                a = step.allocate
                step_id += 1
                if a is None:
                    continue
                plan = sc.plan_allocation(a.object_sizes, a.scannable_fraction)
                per_iter = a.bytes.expected() / plan.mean_request_bytes
                for e in plan.entries:
                    n_iter = per_iter * e.object_fraction  # objects per iteration
                    nbytes = n_iter * weight * e.elem_bytes
                    if e.size_class == 0:  # a large object has its own span
                        total += 0.0 if a.lifetime == Lifetime.FOREVER else nbytes
                        continue
                    if a.lifetime != Lifetime.REQUEST:
                        survivors.setdefault(e.span_class, set()).add(step_id)
                        runs[e.span_class] = (runs.get(e.span_class, 0.0)
                                              + weight * min(1.0, n_iter))
                        kept_objs[e.span_class] = (kept_objs.get(e.span_class, 0.0)
                                                   + weight * n_iter)
                    slots[e.span_class] = e.objects_per_span
                    elem[e.span_class] = e.elem_bytes
                    span_b[e.span_class] = e.span_bytes
                    if a.lifetime != Lifetime.FOREVER:
                        d = garbage.setdefault(e.span_class, {})
                        gb, go, _ = d.get(step_id, (0.0, 0.0, scattered))
                        d[step_id] = (gb + nbytes, go + n_iter * weight, scattered)
                        total += nbytes
        none = (0.0, 0.0, float(sc.PAGE_SIZE), 0.0, float(sc.PAGE_SIZE))
        if total <= 0:
            return (*none, frozenset())
        shared = kept = 0.0
        # Over the stranding spans (kept bytes / free bytes per span): their count, and
        # their bytes and tails summed.
        nspans = sum_span = sum_tail = 0.0
        stranding: set[int] = set()
        for cls, by_step in garbage.items():
            keep = survivors.get(cls, set())
            between = sum(go for _, go, _ in by_step.values()) / runs[cls] if cls in runs else 0.0
            rate = min(1.0, slots[cls] / between) if between > 0 else 1.0
            usable = slots[cls] * elem[cls]
            run = kept_objs.get(cls, 0.0) / runs[cls] * elem[cls] if runs.get(cls) else 0.0
            for sid, (nbytes, _, scattered) in by_step.items():
                if keep - {sid}:
                    stranding.add(cls)
                    shared += nbytes
                    k = nbytes * (1.0 if scattered else rate)
                    kept += k
                    free = usable / 2 if scattered else usable - min(run, usable / 2)
                    n = k / free if free > 0 else 0.0
                    nspans += n
                    sum_span += n * span_b[cls]
                    sum_tail += n * (span_b[cls] - usable)
        classes = frozenset(stranding)
        if shared <= 0 or nspans <= 0:
            return (shared / total, 0.0, *none[2:], classes)
        return (shared / total, kept / shared, sum_span / nspans, sum_tail / nspans,
                kept / nspans, classes)

    def _build_cons_mark(self, elem_bytes: int) -> float:
        """cons/mark Go measured in the cycle that ran while the baseline heap was built.

        A program builds its cache at start on one goroutine allocating as fast as it can,
        the heap growing past the 4 MiB first goal: that cycle's measurement is bytes
        allocated per CPU-ns of a pure allocation loop (dearer while marking:
        mark_alloc_slowdown) times the CPU-ns of marking per byte. Go's estimate is the
        maximum of the last measurements (endCycle, lastConsMark), so it paces the first
        cycles of the run after this one.
        """
        c = self.cfg.cost
        ns = (c.alloc_ns_per_object + c.alloc_ns_per_byte * elem_bytes) * (
            1.0 + c.mark_alloc_slowdown)
        if ns <= 0:
            return 0.0
        return elem_bytes / ns * c.scan_ns_per_byte

    def _cons_mark_estimate(self) -> float:
        """cons/mark the pacer would have learned while the baseline heap was built.

        Bytes allocated per CPU-ns of user work (from the request program's expected values,
        or the workers') times the CPU-ns of marking per byte. Go learns this over the
        build-up cycles; a warm start seeds it so the first cycle is not paced blind.
        """
        w = self.cfg.workload
        progs = [w.request] if (w.open_loop or w.closed_loop) else []
        progs += [g.program for g in w.workers]
        nbytes = 0.0
        cpu = 0.0
        c = self.cfg.cost
        for prog in progs:
            for step in prog.steps:
                if step.compute is not None:
                    cpu += step.compute.duration_ns.expected()
                elif step.allocate is not None:
                    b = step.allocate.bytes.expected()
                    nbytes += b
                    cpu += b * c.alloc_ns_per_byte
        if cpu <= 0 or nbytes <= 0:
            return 0.0
        return nbytes / cpu * c.scan_ns_per_byte

    def start(self) -> None:
        env = self.env
        w = self.cfg.workload
        if w.open_loop is not None:
            self.arrivals = OpenLoopArrivals(w.open_loop, self.duration,
                                             self.streams.get("arrivals"))
            t = self.arrivals.next_after(-1)
            if 0 <= t < self.duration:
                self.next_arrival_ns = t
                call_after(env, t + self.m.wakeup.draw(), self._arrive)
        if w.closed_loop is not None:
            self.think = make_sampler(w.closed_loop.think_ns, self.streams.get("think"))
            for c in range(w.closed_loop.clients):
                call_after(env, self.think.draw(), self._client_issue, c)
        for ops, count, stack, period in self.workers:
            for _ in range(count):
                g = self.m.spawn(ops, G_WORKER, stack, False)
                if period > 0:
                    g.period = period
                    g.next_tick = env._now
        if self.churn_op is not None:
            call_after(env, CHURN_TICK_NS, self._churn)
        call_after(env, 0, self._sample)
        if self.hooks.progress is not None:
            iv = self.hooks.progress_interval_ns or max(1, self.duration // 200)
            self.progress_iv = iv
            call_after(env, iv, self._progress)

    # --- event callbacks --------------------------------------------------------------

    def _arrive(self, ev: simpy.Event) -> None:
        """Open-loop arrivals, read as the twin's generator (or a server's accept loop)
        reads them: it sleeps until the next one is due, is woken the OS's wake-up latency
        after that (a fresh draw each time, Machine.wakeup), and then reads every arrival
        already due without sleeping again. Each request's latency counts from its
        scheduled time (Machine.spawn); only the first of a wake-up pays the wake-up's CPU.
        While the next wake-up comes before any scheduled event, the clock is advanced to
        it directly (nothing can happen in between), so a burst of arrivals costs one
        event."""
        env = self.env
        m = self.m
        arrivals = self.arrivals
        assert arrivals is not None
        ops = self.req_ops
        stack = self.req_stack
        stats = self.stats
        now = env._now
        woken = True
        while True:
            if m.n_lazy:
                m.settle(now)
            stats.arrived += 1
            due = self.next_arrival_ns
            m.spawn(ops, G_REQUEST, stack, True, woken=woken, arrival_ns=due)
            t = arrivals.next_after(due)  # the next scheduled arrival
            if not 0 <= t < self.duration:
                return
            self.next_arrival_ns = t
            if t <= now:
                woken = False  # already due: read in this wake-up
                continue
            woken = True
            t += m.wakeup.draw()  # when the sleeping reader is woken for it
            if self.batch_arrivals and advance_to(env, t):
                now = t
                continue
            call_after(env, t - now, self._arrive)
            return

    def _client_issue(self, ev: simpy.Event) -> None:
        if self.m.n_lazy:
            self.m.settle(self.env._now)
        self.stats.arrived += 1
        self.m.spawn(self.req_ops, G_REQUEST, self.req_stack, True,
                     client=ev._value, woken=True)

    def _client_done(self, client: int, now: int) -> None:
        assert self.think is not None
        call_after(self.env, self.think.draw(), self._client_issue, client)

    def _churn(self, ev: simpy.Event) -> None:
        op = self.churn_op
        assert op is not None
        m = self.m
        if m.n_lazy:
            m.settle(self.env._now)
        nbytes = m.alloc(m.ps[0], self.churn_g, op, self.env._now, True, on_p=False)
        # As many old bytes of the baseline are dropped as new ones were added.
        scan = int(nbytes * op.scan_heap_fraction)
        self.heap.live -= nbytes
        self.heap.live_scan -= scan
        self.churn_g.user_left = 0.0
        self.churn_g.assist_left = 0
        call_after(self.env, CHURN_TICK_NS, self._churn)

    def gc_cpu_ns(self) -> float:
        c = self.coll
        m = self.m
        m.acct()
        if c.phase == PHASE_MARK:
            m.flush_assists(self.env._now)
        busy = c.cpu_assist + c.cpu_ded + c.cpu_frac + m.cpu_pause
        if c.phase in (PHASE_MARK, PHASE_STW2):  # the cycle's mark CPU is not folded in yet
            busy += c.cyc_assist + c.cyc_ded + c.cyc_frac
        return busy

    def _sample(self, ev: simpy.Event) -> None:
        now = self.env._now
        if self.m.n_lazy:
            self.m.settle(now)
        h = self.heap
        c = self.coll
        p = c.pacer
        h.expire(now)
        h.note_peak()
        s = self.series
        rss = h.rss()
        gs = self.m.gs + self.idle_gs + RUNTIME_GOROUTINES
        s["t_ns"].append(now)
        s["heap_alloc_bytes"].append(h.heap_alloc())
        s["heap_live_bytes"].append(p.heap_live)
        goal = self.coll.current_goal()
        s["heap_goal_bytes"].append(goal if goal != MAX_UINT64 else 0)
        trig = self.m.trigger
        s["trigger_bytes"].append(trig if trig < MAX_UINT64 else 0)
        s["heap_in_use_bytes"].append(h.in_use)
        s["rss_bytes"].append(rss)
        s["goroutines"].append(gs)
        s["runnable_goroutines"].append(self.m.runnable)
        gc = self.gc_cpu_ns()
        span = self.interval * self.nprocs
        s["gc_cpu_fraction"].append(min(1.0, (gc - self.last_gc_cpu) / span) if now else 0.0)
        self.last_gc_cpu = gc
        done = self.stats.completed
        s["request_rate_per_s"].append((done - self.last_completed) * 1e9 / self.interval
                                       if now else 0.0)
        self.last_completed = done
        s["gc_running"].append(c.phase != PHASE_OFF)
        if rss > self.peak_rss:
            self.peak_rss = rss
        if gs > self.peak_gs:
            self.peak_gs = gs
        c.check_oom()
        if now + self.interval < self.duration:
            call_after(self.env, self.interval, self._sample)

    def _progress(self, ev: simpy.Event) -> None:
        now = self.env._now
        if self.m.n_lazy:
            self.m.settle(now)
        assert self.hooks.progress is not None
        self.hooks.progress(Progress(now, self.duration, self.coll.ncycles,
                                     self.stats.completed))
        if now + self.progress_iv < self.duration:
            call_after(self.env, self.progress_iv, self._progress)

    # --- the run ----------------------------------------------------------------------

    def run(self) -> Result:
        self.start()
        try:
            self.env.run(until=self.duration)
        except OOMKilled as e:
            self.end_ns = e.at_ns
            h = self.heap
            goal = self.coll.pacer.heap_goal()
            self.oom = OOMKill(at_ns=e.at_ns, rss_bytes=e.rss_bytes,
                               limit_bytes=self.cfg.runtime.container_memory_bytes,
                               heap_alloc_bytes=h.heap_alloc(),
                               heap_goal_bytes=goal if goal != MAX_UINT64 else 0,
                               goroutines=self.m.gs + self.idle_gs + RUNTIME_GOROUTINES)
            self.peak_rss = max(self.peak_rss, e.rss_bytes)
        if self.m.n_lazy:
            self.m.settle(self.end_ns)
        if self.hooks.progress is not None:
            self.hooks.progress(Progress(self.end_ns, self.duration, self.coll.ncycles,
                                         self.stats.completed))
        return self.result()

    def _trace_result(self, end: int) -> Any:
        tr = self.m.trace
        if tr is None:
            return None
        for p in self.m.ps:  # what was still running when the run ended
            if p.g is not None:
                tr.span(p.pid, p.run_start, end, SpanKind.GOROUTINE, p.g.gid, 0)
        return tr.result()

    def result(self) -> Result:
        end = self.end_ns
        m = self.m
        c = self.coll
        st = self.stats
        h = self.heap
        m.acct()
        if c.phase == PHASE_MARK:
            m.flush_assists(end)  # assist CPU spent by running goroutines up to the end
        n = self.nprocs
        assist = c.cpu_assist
        ded, frac, idle_mark = c.cpu_ded, c.cpu_frac, c.cpu_idle_mark
        h.note_peak()
        if c.phase in (PHASE_MARK, PHASE_STW2):  # a cycle cut off by the end of the run
            assist += c.cyc_assist
            ded += c.cyc_ded
            frac += c.cyc_frac
            idle_mark += c.cyc_idle
        # The classes partition the CPU. Synchronous scavenging ran on the allocating
        # goroutines (user time); the background scavenger, which has no P of its own in
        # the model, is taken from idle time, then from idle marking, then from user time.
        user = m.cpu_user - assist - frac - c.cpu_scavenge_sync
        idle_p = m.cpu_idle - idle_mark
        bg = float(c.cpu_scavenge - c.cpu_scavenge_sync)
        take = min(bg, max(0.0, idle_p))
        idle_p -= take
        bg -= take
        take = min(bg, max(0.0, idle_mark))
        idle_mark -= take
        user -= bg - take
        gc_cpu = GCCPU(
            assist_ns=assist, dedicated_ns=int(ded), fractional_ns=int(frac),
            idle_ns=int(idle_mark), pause_ns=m.cpu_pause, scavenge_ns=c.cpu_scavenge,
            user_ns=max(0, int(user)), idle_p_ns=max(0, int(idle_p)), total_ns=n * end)
        total = n * end
        measured = max(1, end - min(self.cfg.warmup_ns, end))
        summary = Summary(
            simulated_ns=end, requests_arrived=st.arrived, requests_completed=st.completed,
            throughput_per_s=st.recorded * 1e9 / measured,
            latency=percentiles(st.latency_fine), breakdown=st.breakdown(),
            pauses=percentiles(st.pauses_fine), gc_cpu=gc_cpu,
            gc_cpu_fraction=gc_cpu.gc_total_ns() / total if total else 0.0,
            cycles_total=c.ncycles, cycles_heap=c.ncycles - c.ncycles_time,
            cycles_forced=c.ncycles_time, peak_heap_alloc_bytes=h.peak_alloc,
            peak_heap_goal_bytes=c.peak_goal, peak_rss_bytes=self.peak_rss,
            peak_goroutines=self.peak_gs,
            limiter_enabled_ns=c.limiter.limiting_total_ns(end),
            mmu=st.finish_mmu(end), oom=self.oom, bytes_allocated=h.total_alloc,
            bytes_freed=h.total_free, objects_allocated=h.objects_alloc,
            objects_freed=h.objects_free, heap_objects=h.objects_alloc - h.objects_free,
            stranded_regime_cycles=c.regime_cycles, stranded_edge_cycles=c.edge_cycles)
        s = self.series
        series = TimeSeries(interval_ns=self.interval,
                            **{k: tuple(v) for k, v in s.items()})
        return Result(summary=summary, latency=coarsen(st.latency_fine),
                      pauses=histogram_result(st.pauses), sched_latency=histogram_result(st.sched),
                      cycles=tuple(c.cycles), series=series, seed=self.cfg.seed,
                      config=self.cfg,
                      trace=self._trace_result(end),
                      gosim_version=GOSIM_VERSION, go_version=GO_VERSION)


def large_scan_bytes(b: BaselineHeap) -> int:
    """Scan work of a baseline heap's large scannable objects (over 32 KiB: pointer arrays),
    which the collector marks first, at CostModel.large_scan_ns_per_byte; 0 for a baseline
    of small objects. The baseline stays live, so it is the same every cycle."""
    if b.live_bytes <= 0:
        return 0
    elem = sc.elem_size(b.object_bytes, b.scannable_fraction == 0.0)
    if elem <= sc.MAX_SMALL_SIZE:
        return 0
    return int(max(1, b.live_bytes // b.object_bytes) * elem * b.scannable_fraction)


def run(cfg: SimConfig, hooks: Hooks, one_event_per_step: bool = False) -> Result:
    """Simulate cfg (already validated) and return its Result.

    one_event_per_step=True schedules an event for every segment end and every arrival (no
    lazy completions, no arrival batching): slower, and meant to give the same Result.
    """
    return _Run(cfg, hooks, one_event_per_step).run()
