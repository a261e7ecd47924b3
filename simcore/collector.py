"""The garbage collector: one cycle's phases, mark work, assists, forced GC, scavenger.

A cycle follows src/runtime/mgc.go (reference §5):

  trigger   machine.alloc sees heapLive >= trigger after a refill (or sysmon's two-minute
            check fires) and calls request_start; gcStart runs from a zero-delay event so
            the allocating goroutine's step completes first.
  STW #1    stop every P (running Gs go to the global queue); pause = time to stop the
            running goroutines + stw_sweep_term_ns + stw_per_p_ns per P (CostModel). sync.Pool
            victims rotate.
  mark      startCycle sizes the workers; live bytes are snapshotted (everything reachable
            now will be marked; new objects are black). Mark work = scannable live heap +
            stacks + globals, in scan-work bytes, costing scan_ns_per_byte each (noscan
            objects add noscan_mark_fraction of that); the baseline heap's large pointer
            arrays are scanned first, at large_scan_ns_per_byte. Dedicated Ps, idle Ps (up to the
            pacer's cap) and fractional worker bursts (machine.py) do background work;
            its credit goes to a pool that assists steal from first. An allocating
            goroutine in debt assists (at least 64 KiB of work) unless the CPU limiter
            is on.
  STW #2    when the work is done (pause: stop + stw_mark_term_ns + per-P cost): endCycle,
            resetLive(bytes marked), sweep (applied at once), commit (new goal and
            trigger), the cycle record and its gctrace line.

The mark's completion time is planned from the current worker rate and re-planned whenever
the machine's P counts change (replan); a stale plan is recognised by identity.

Forced GC (proc.go sysmon, reference §9): after each cycle a check is scheduled 2 minutes
(plus a sysmon tick) later; it starts a TIME cycle if no other cycle ran since and GOGC is
not off. There is none before the first GC.

The background scavenger (mgcscavenge.go, reference §11) releases free pages toward the
pacer's two goals at 1 % of GOMAXPROCS of CPU, in ticks.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import simpy
from simpy.events import Timeout

from simcore.clock import Clock
from simcore.config import GOGC_OFF, NO_LIMIT, SimConfig
from simcore.gctrace import format_gctrace_line
from simcore.heap import OS_PAGE_BYTES, Heap
from simcore.limiter import GCCPULimiter
from simcore.pacer import MAX_UINT64, GCController
from simcore.results import CycleRecord, SpanKind, TriggerKind

if TYPE_CHECKING:
    from simcore.machine import G, Machine
    from simcore.stats import Stats

PHASE_OFF = 0
PHASE_STARTING = 1
PHASE_STW1 = 2
PHASE_MARK = 3
PHASE_STW2 = 4

# forcegcperiod (src/runtime/proc.go): 2 minutes.
FORCE_GC_PERIOD_NS = 2 * 60 * 1_000_000_000
# drainCheckThreshold (src/runtime/mgcmark.go): units of scan work between a background
# worker's checks whether to stop (pollFractionalWorkerExit for the fractional worker).
DRAIN_CHECK_THRESHOLD = 100_000
# sysmon's longest sleep while the program is busy (src/runtime/proc.go sysmon: 10 ms).
SYSMON_MAX_DELAY_NS = 10_000_000
# gcOverAssistWork (src/runtime/mgcmark.go): an assist does at least 64 KiB of work.
OVER_ASSIST_WORK = 64 << 10
# scavengePercent (src/runtime/mgcscavenge.go): the scavenger's CPU share of GOMAXPROCS.
SCAVENGE_CPU_FRACTION = 0.01
# How often the modelled background scavenger wakes (a modelling choice; Go's sleeps
# adapt, with a 1 ms work quantum).
SCAVENGE_TICK_NS = 50_000_000
# Mark work below this many bytes counts as done (float rounding of the workers' progress).
MARK_EPSILON_BYTES = 0.5
# STRANDED_EDGE_FRACTION: a sweep whose stranded-slot margin (Collector.stranded_margin) is
# within this fraction of the goal leaves the next cycle on the edge of the regime, closer
# than the model can place Go. Not a Go constant: at the sweep after which the Go twin's leak
# with a 145 MiB limit entered the regime (GOMAXPROCS=2, GOGC=off, machine 2's counting
# runtime, docs/fidelity.md "The regime's edge"), gosim's margin was +3.7 MiB, 2.9 % of the
# 130 MiB goal, and the twin's about -0.5 (runway 1.5-1.7 MiB of the difference, the spans'
# slack after the sweep 1.15, tails 1.0, non-heap memory 0.2); +1.8 MiB (1.4 %) since refills
# cover their slots byte for byte, per span class.
STRANDED_EDGE_FRACTION = 0.03
# STRANDED_REGIME_FRACTION: a heap-triggered cycle is in the regime when the stranded slots
# not yet refilled at its start are at least this fraction of the goal (they lower the goal
# by as much). Not a Go constant: below it the effect is lost in the goal's own noise. A
# class whose only refills are slow leaves a trickle at every start (the server twin's
# cache churn, 1 MiB/s of 256-byte entries: 0.02-0.07 MiB of a 92 MiB goal), where the
# leak's regime leaves 1-4 MiB of a 130 MiB goal in gosim and 5-20 in the twin.
STRANDED_REGIME_FRACTION = 0.005


class OOMKilled(Exception):
    """RSS exceeded the container's memory limit (raised out of the event loop)."""

    def __init__(self, at_ns: int, rss_bytes: int) -> None:
        super().__init__(f"OOM-killed at {at_ns} ns with RSS {rss_bytes} bytes")
        self.at_ns = at_ns
        self.rss_bytes = rss_bytes


class Collector:
    """GC state for one run; see the module docstring."""

    def __init__(self, env: Clock, cfg: SimConfig, machine: Machine, heap: Heap,
                 stats: Stats, on_cycle: object) -> None:
        rt = cfg.runtime
        self.env = env
        self.cfg = cfg
        self.cost = cfg.cost
        self.nprocs = rt.gomaxprocs
        self.machine = machine
        self.heap = heap
        self.stats = stats
        self.on_cycle = on_cycle
        self.pacer = GCController(rt.gogc, rt.gomemlimit_bytes)
        self.limiter = GCCPULimiter(0, rt.gomaxprocs)
        self.gogc = rt.gogc
        self.mem_limited = rt.gomemlimit_bytes != NO_LIMIT
        self.container_bytes = rt.container_memory_bytes
        self.phase = PHASE_OFF
        self.kind = TriggerKind.HEAP
        # stack_scan: stack bytes in use by all goroutines (the stack scan work); the
        # machine adds and removes goroutines' stacks.
        self.stack_scan = 0
        # Mark-phase state (scan-work bytes): total, done, background credit pool.
        self.mark_total = 0
        self.mark_done = 0.0
        self.bg_credit = 0.0
        self.ns_per_work = cfg.cost.scan_ns_per_byte
        # dense_scan_bytes: scan work of the baseline heap's large scannable objects
        # (bytes; set once by the engine, the baseline stays live). dense_work: this
        # mark's share of it, done first (_end_stw1). ns_dense: CPU ns per byte of it
        # (CostModel.large_scan_ns_per_byte). _ns_for_work/_work_for_ns convert across the
        # boundary at mark_done == dense_work.
        self.dense_scan_bytes = 0
        self.dense_work = 0.0
        self.ns_dense = self.ns_per_work
        self.ded_count = 0  # dedicated workers this cycle (Ps 0..ded_count-1)
        self.trigger_g: G | None = None  # the goroutine that tripped the heap trigger
        self.lim_ns_at_start = 0  # the limiter's total limiting time when the cycle began
        # The mark's work is done but booked assists have not all run: the mark ends when
        # the last one finishes or is cut (assist_settled).
        self.waiting_assists = False
        self.live0 = 0
        self.scan0 = 0
        self.stack0 = 0
        self.epoch = 0  # cycles started; a G's assist credit belongs to one epoch
        self.check_ev: Timeout | None = None
        self.check_at = 0
        # This cycle's timings and CPU (ns) for its record.
        self.t_start = 0
        self.t_mark = 0
        self.t_markterm = 0
        self.stop1 = 0
        self.stop2 = 0
        self.heap0 = 0
        self.trigger0 = 0
        self.cyc_assist = 0
        self.cyc_ded = 0.0
        self.cyc_frac = 0.0
        self.cyc_idle = 0.0
        self.last_gc_ns = 0
        # had_gc: whether any cycle has completed (Go's last_gc_nanotime != 0).
        self.had_gc = False
        self.ncycles = 0
        self.ncycles_time = 0
        self.cycles: list[CycleRecord] = []
        # CPU totals over the run (ns).
        self.cpu_assist = 0
        self.cpu_ded = 0.0
        self.cpu_frac = 0.0
        self.cpu_idle_mark = 0.0
        # Scavenger CPU (ns): all of it, and the part paid by allocating goroutines (the
        # rest is the background scavenger's, taken from idle P time).
        self.cpu_scavenge = 0
        self.cpu_scavenge_sync = 0
        self.lim_idle_seen = 0
        self.seen_grow = 0
        self.scavenging = False
        self.peak_goal = 0
        # The stranded-slot regime (Heap.stranded, docs/model.md): stranded_start is the
        # stranded bytes not yet refilled when this cycle started, and in_regime whether it
        # was heap-triggered under a binding memory-limit goal with some; stranded_margin_b
        # the margin its sweep left (stranded_margin, bytes, signed). regime_cycles and
        # edge_cycles count completed cycles for the run's summary
        # (Summary.stranded_regime_cycles, .stranded_edge_cycles). refilled_start and
        # refilled_spans_start: the stranded bytes refills reused since the previous cycle's
        # mark start, and the bytes of the partly used spans they took them from (Heap.hole_fill,
        # hole_fill_spans), read as this cycle starts (CycleRecord.stranded_refilled_bytes,
        # .stranded_refilled_span_bytes).
        self.stranded_start = 0
        self.refilled_start = 0
        self.refilled_spans_start = 0
        self.in_regime = False
        self.stranded_margin_b = 0
        self.regime_cycles = 0
        self.edge_cycles = 0

    # --- setup -------------------------------------------------------------------------

    def warm_start(self, live_bytes: int, scan_bytes: int, cons_mark: float,
                   build_cons_mark: float = 0.0) -> None:
        """Start as if a GC had just marked live_bytes (a preloaded baseline heap).

        No cycle is recorded, but the two-minute clock starts: the program built this heap
        through earlier cycles, the last of them just now. Only if the heap grew past the
        first goal (GOGC's heap minimum, or with GOGC=off the memory limit's) did such
        cycles run and measure a cons/mark; otherwise the one GC that ran is the setup's
        runtime.GC(), in which nothing is allocated, so endCycle keeps no measurement
        (heapLive <= triggered) and cons/mark stays 0, as at start.
        """
        p = self.pacer
        self.sync_memory()
        if live_bytes < p.heap_goal():
            cons_mark = build_cons_mark = 0.0
        p.heap_marked = live_bytes
        p.heap_live = live_bytes
        p.heap_scan = scan_bytes
        p.last_heap_scan = scan_bytes
        p.last_stack_scan = self.stack_scan
        p.cons_mark = max(cons_mark, build_cons_mark)
        p.last_cons_mark[-1] = build_cons_mark
        self.sync_memory()
        p.gc_controller_commit(is_sweep_done=True, gc_running=False)
        p.last_heap_goal = p.heap_goal()
        self.update_trigger()
        self.had_gc = True
        self._schedule_forced_check(0)

    def sync_memory(self) -> None:
        """Copy the heap's memory statistics into the pacer (for the memory-limit goal)."""
        p = self.pacer
        h = self.heap
        mapped_ready = h.mapped_ready()
        # Go's counters move as the sweep goes (Heap.unswept); never past mappedReady.
        unfreed, unreleased = h.unswept(self.env._now)
        free = h.free - unreleased
        over = free + h.total_alloc - (h.total_free - unfreed) - mapped_ready
        if over > 0:
            unfreed = max(0, unfreed - over)
        p.mapped_ready_bytes = mapped_ready
        p.heap_free_bytes = free
        p.heap_in_use_bytes = h.in_use + unreleased
        p.total_alloc_bytes = h.total_alloc
        p.total_free_bytes = h.total_free - unfreed
        p.globals_scan = h.globals
        p.max_stack_scan = h.stacks

    def _pacer_stats(self) -> tuple[int, int, int, int, int, int, int]:
        """The pacer's copy of the memory statistics (what sync_memory sets), to put back
        with _restore_pacer_stats after asking it a what-if."""
        p = self.pacer
        return (p.mapped_ready_bytes, p.heap_free_bytes, p.heap_in_use_bytes,
                p.total_alloc_bytes, p.total_free_bytes, p.globals_scan, p.max_stack_scan)

    def _restore_pacer_stats(self, saved: tuple[int, int, int, int, int, int, int]) -> None:
        p = self.pacer
        (p.mapped_ready_bytes, p.heap_free_bytes, p.heap_in_use_bytes, p.total_alloc_bytes,
         p.total_free_bytes, p.globals_scan, p.max_stack_scan) = saved

    def current_goal(self) -> int:
        """heapGoal() as Go would compute it now, from the heap's current memory statistics;
        leaves the pacer's copy of them (what the simulation runs on) as it was."""
        saved = self._pacer_stats()
        self.sync_memory()
        goal = self.pacer.heap_goal()
        self._restore_pacer_stats(saved)
        return goal

    def update_trigger(self) -> None:
        trigger, goal = self.pacer.trigger()
        self.machine.trigger = trigger if self.gogc != GOGC_OFF or self.mem_limited else (
            MAX_UINT64)
        if goal != MAX_UINT64 and goal > self.peak_goal:
            self.peak_goal = goal

    def _limit_binds(self) -> bool:
        """Whether the memory-limit goal is the one that binds (heapGoalInternal takes it
        when it is below the GOGC goal), from the pacer's memory statistics."""
        p = self.pacer
        return self.mem_limited and p.memory_limit_heap_goal() < p.gc_percent_heap_goal

    def stranded_margin(self) -> tuple[int, int]:
        """How far the next trigger is from the stranded-slot regime, just after a sweep:
        (margin, goal) in bytes; (0, 0) without stranded slots or a memory-limit goal that
        binds.

        Stranded slots count as non-heap memory (Go's mappedReady - heapFree - heapAlloc),
        so while they wait to be refilled they lower the memory-limit goal and the trigger.
        Refills take them first, and each byte refilled moves heapLive by itself and its
        share of the partial spans' tails (Heap.stranded_tail_ratio), so refilling all of
        them moves heapLive by stranded x (1 + ratio) from the bytes marked. margin is the
        trigger the goal gives once they are all refilled and the sweep is done, less that:
        when it is negative, the next cycle starts before they are, against a goal that
        they lower (the regime Go's leak with a limit enters, docs/fidelity.md). goal is
        that goal.
        """
        h = self.heap
        p = self.pacer
        s = h.stranded
        if not self.mem_limited or s <= 0:
            return 0, 0
        saved = self._pacer_stats()
        p.mapped_ready_bytes = h.mapped_ready()
        p.heap_free_bytes = h.free
        p.heap_in_use_bytes = h.in_use
        p.total_alloc_bytes = h.total_alloc + s
        p.total_free_bytes = h.total_free
        binds = self._limit_binds()
        trigger, goal = p.trigger()
        self._restore_pacer_stats(saved)
        if not binds:
            return 0, 0
        return trigger - p.heap_marked - int(s * (1.0 + h.stranded_tail_ratio())), goal

    def memory_changed(self, on_p: bool = True) -> int:
        """The heap grew from the OS: scavenge synchronously if over the memory limit,
        re-derive a memory-limited trigger, check for OOM.

        Returns the ns the allocating goroutine spends scavenging (mheap.allocSpan returns
        the excess over the limit at once, unless the CPU limiter is on). An allocation off
        any P (on_p False) leaves that to the background scavenger.
        """
        h = self.heap
        self.seen_grow = h.grow_events
        cost = 0
        if self.mem_limited:
            excess = h.mapped_ready() - self.cfg.runtime.gomemlimit_bytes
            if excess > 0 and on_p and not self.limiter.limiting:
                released = h.scavenge(excess + OS_PAGE_BYTES - 1)
                cost = released // OS_PAGE_BYTES * self.cost.scavenge_ns_per_page
                self.cpu_scavenge += cost
                self.cpu_scavenge_sync += cost
                self.limiter.add_assist_time(cost)
            if self.phase == PHASE_OFF:
                self.sync_memory()
                self.update_trigger()
        self.check_oom()
        self.start_scavenger()
        return cost

    def check_oom(self) -> None:
        if self.container_bytes:
            rss = self.heap.rss()
            if rss > self.container_bytes:
                raise OOMKilled(self.env._now, rss)

    # --- starting a cycle ---------------------------------------------------------------

    def request_start(self, now: int, kind: TriggerKind = TriggerKind.HEAP,
                      g: G | None = None) -> None:
        """gcTrigger.test passed: start a cycle (from a zero-delay event). g is the
        goroutine whose allocation tripped the trigger (it runs gcStart)."""
        if self.phase != PHASE_OFF:
            return
        self.phase = PHASE_STARTING
        self.trigger_g = g
        ev = Timeout(self.env, 0, kind)
        ev.callbacks.append(self._gc_start)

    def _pause_ns(self, running: int, fixed_ns: int) -> tuple[int, int]:
        """The time to stop `running` goroutines, and the whole pause: that, the pause's
        fixed cost (stw_sweep_term_ns or stw_mark_term_ns) and stw_per_p_ns per P."""
        c = self.cost
        stop = c.stop_running_ns if running > 0 else 0
        return stop, stop + fixed_ns + c.stw_per_p_ns * self.nprocs

    def _gc_start(self, ev: simpy.Event) -> None:
        kind: TriggerKind = ev._value
        now = self.env._now
        m = self.machine
        if m.n_lazy:
            m.settle(now)
        self.kind = kind
        self.t_start = now
        self.heap0 = self.pacer.heap_live
        self.trigger0 = m.trigger
        self.stranded_start = self.heap.stranded
        self.refilled_start = self.heap.hole_fill
        self.refilled_spans_start = int(self.heap.hole_fill_spans * self.heap.strand_span_bytes)
        self.in_regime = (kind is TriggerKind.HEAP and self.stranded_start > 0
                          and self._limit_binds()
                          and self.stranded_start >= STRANDED_REGIME_FRACTION
                          * self.current_goal())
        self.epoch += 1
        # The goroutine calling gcStart needs no stopping, if it is still running.
        starter = self.trigger_g
        self.trigger_g = None
        own = starter is not None and any(p.g is starter for p in m.ps)
        running = m.stop_the_world(now)
        others = running - 1 if own else running
        self.stop1, pause = self._pause_ns(others, self.cost.stw_sweep_term_ns)
        self.phase = PHASE_STW1
        self._limiter_update(now)
        self.lim_ns_at_start = self.limiter.limiting_total_ns(now)
        self.limiter.start_gc_transition(True, now)
        self.stats.mmu_change(now, 0.0)
        m.clear_pools()
        done = Timeout(self.env, pause)
        done.callbacks.append(self._end_stw1)

    def _end_stw1(self, ev: simpy.Event) -> None:
        now = self.env._now
        m = self.machine
        p = self.pacer
        self.stats.pause(now - self.t_start, self.stop1)
        if m.trace is not None:
            m.trace.span(-1, self.t_start, now, SpanKind.STW_SWEEP_TERM, 0, self.epoch)
        self.live0, self.scan0 = self.heap.mark_start(now)
        self.stack0 = self.stack_scan
        self.sync_memory()
        p.start_cycle(now, self.nprocs, self.kind)
        globals_b = self.heap.globals
        self.mark_total = self.scan0 + self.stack0 + globals_b
        self.mark_done = 0.0
        self.bg_credit = 0.0
        noscan = max(0, self.live0 - self.scan0)
        c = self.cost
        self.ns_per_work = c.scan_ns_per_byte * (
            1.0 + c.noscan_mark_fraction * noscan / max(1, self.mark_total))
        self.dense_work = float(min(self.dense_scan_bytes, self.scan0))
        self.ns_dense = c.large_scan_ns_per_byte or self.ns_per_work
        self.cyc_assist = 0
        self.waiting_assists = False
        self.cyc_ded = self.cyc_frac = self.cyc_idle = 0.0
        self.t_mark = now
        self.phase = PHASE_MARK
        dedicated = p.dedicated_mark_workers_needed
        self.ded_count = dedicated
        frac = p.fractional_utilization_goal
        m.set_marking(True, frac, p.idle_mark_workers_max, c.write_barrier_slowdown, now,
                      math.ceil(DRAIN_CHECK_THRESHOLD * self.ns_per_work))
        self.limiter.finish_gc_transition(now)
        # Fractional bursts lower it further while they run (machine._mark_rate_changed).
        self.stats.mmu_change(now, 1.0 - dedicated / self.nprocs)
        m.start_the_world(now, dedicated)
        self.check_ev = None
        self.replan()

    # --- mark -------------------------------------------------------------------------

    def mark_progress(self, dt: int, n_frac: int, n_idle: int, n_ded: int) -> None:
        """Background mark work over dt ns with these P counts (from machine.acct):
        dedicated workers, fractional bursts, and idle Ps running the idle worker (up to
        the pacer's cap)."""
        idle_mark = n_idle if n_idle < self.machine.idle_cap else self.machine.idle_cap
        frac_cpu = n_frac * dt
        ded_cpu = n_ded * dt
        idle_cpu = idle_mark * dt
        self.cyc_ded += ded_cpu
        self.cyc_frac += frac_cpu
        self.cyc_idle += idle_cpu
        work = self._work_for_ns(ded_cpu + frac_cpu + idle_cpu)
        self.mark_done += work
        self.bg_credit += work

    def _ns_for_work(self, work: float) -> float:
        """CPU ns to do the next `work` bytes of scan work from the mark's progress."""
        dense = self.dense_work - self.mark_done
        if dense <= 0:
            return work * self.ns_per_work
        if work <= dense:
            return work * self.ns_dense
        return dense * self.ns_dense + (work - dense) * self.ns_per_work

    def _work_for_ns(self, ns: float) -> float:
        """Scan work done by the next `ns` of mark CPU from the mark's progress."""
        dense = self.dense_work - self.mark_done
        if dense <= 0:
            return ns / self.ns_per_work
        cap = dense * self.ns_dense
        if ns <= cap:
            return ns / self.ns_dense
        return dense + (ns - cap) / self.ns_per_work

    def _rate(self) -> float:
        """Background mark CPU (Ps' worth) with the machine's current P counts."""
        m = self.machine
        idle_mark = m.n_idle if m.n_idle < m.idle_cap else m.idle_cap
        return m.n_ded + m.n_frac + idle_mark

    def replan(self) -> None:
        """Plan the mark's completion check for the current worker rate."""
        if self.phase != PHASE_MARK:
            return
        now = self.env._now
        remaining = self.mark_total - self.mark_done
        if remaining <= MARK_EPSILON_BYTES:
            at = now
        else:
            rate = self._rate()
            if rate <= 0:
                return
            at = now + math.ceil(self._ns_for_work(remaining) / rate)
        if self.check_ev is not None and at >= self.check_at:
            return
        self.check_at = at
        ev = Timeout(self.env, at - now)
        ev.callbacks.append(self._mark_check)
        self.check_ev = ev

    def _mark_check(self, ev: simpy.Event) -> None:
        if ev is not self.check_ev or self.phase != PHASE_MARK:
            return
        self.check_ev = None
        now = self.env._now
        self.machine.acct()
        if self.mark_total - self.mark_done <= MARK_EPSILON_BYTES:
            if self.machine.assists_pending():
                # The last work was taken by assists not yet run (their work was credited
                # when booked): the mark ends when they have (assist_settled).
                self.waiting_assists = True
                return
            self._mark_done(now)
        else:
            self.replan()

    def _scan_work_split(self) -> None:
        """Tell the pacer the work done so far: globals first, then stacks, then heap."""
        p = self.pacer
        done = int(min(self.mark_done, self.mark_total))
        g = self.heap.globals
        p.globals_scan_work = min(done, g)
        done -= p.globals_scan_work
        p.stack_scan_work = min(done, self.stack0)
        p.heap_scan_work = done - p.stack_scan_work

    def assist(self, g: G, nbytes: int, pid: int) -> int:
        """gcAssistAlloc for g (on P pid) after allocating nbytes during mark; returns the
        assist CPU ns."""
        if self.phase != PHASE_MARK:
            return 0
        # gcResetMarkState zeroes every G's gcAssistBytes at each cycle start.
        credit = g.credit if g.epoch == self.epoch else 0
        g.epoch = self.epoch
        credit -= nbytes
        if credit >= 0 or self.limiter.limiting:
            # In credit; or the CPU limiter is on, and gcAssistAlloc returns at once: the
            # debt stays (mallocgc's deductAssistCredit charged it) and is paid by the first
            # allocation after the limiter turns off.
            g.credit = credit
            return 0
        p = self.pacer
        self._scan_work_split()
        p.revise()
        need = max(-credit * p.assist_work_per_byte, OVER_ASSIST_WORK)
        steal = min(self.bg_credit, need)
        self.bg_credit -= steal
        credit += int(steal * p.assist_bytes_per_work)
        need -= steal
        ns = 0
        if need > 0:
            remaining = self.mark_total - self.mark_done
            work = min(need, remaining)
            if work > 0:
                # The work is claimed now (credited to the mark and to g); its CPU is
                # counted as it runs (assist_ran), and what the CPU limiter cuts short is
                # handed back (assist_cut).
                ns = math.ceil(self._ns_for_work(work))
                self.mark_done += work
                credit += int(work * p.assist_bytes_per_work)
                self.stats.assist_interval(self.env._now, ns)
                tr = self.machine.trace
                if tr is not None:
                    tr.span(pid, self.env._now, self.env._now + ns,
                            SpanKind.ASSIST, g.gid, self.epoch)
                if self.mark_total - self.mark_done <= MARK_EPSILON_BYTES:
                    self.check_ev = None
                    self.replan()
        g.credit = credit
        return ns

    def assist_ran(self, ns: int) -> None:
        """A goroutine spent ns of CPU on its booked assist (machine._advance)."""
        self.cyc_assist += ns
        self.pacer.assist_time_ns += ns
        self.limiter.add_assist_time(ns)

    def assist_cut(self, g: G, ns: int) -> None:
        """The CPU limiter turned on with ns of g's booked assist not yet run: gcDrainN stops
        and the work not done goes back to the mark, as debt to g."""
        work = ns / (self.ns_dense if self.mark_done <= self.dense_work else self.ns_per_work)
        self.mark_done -= work
        g.credit -= int(work * self.pacer.assist_bytes_per_work)

    def assist_finished(self) -> None:
        """A goroutine's assist ran to its end: gcAssistAlloc1 updates the CPU limiter as it
        flushes its assist time (from an event, since machine state is mid-change here)."""
        if self.phase != PHASE_MARK:
            return
        ev = Timeout(self.env, 0, self.epoch)
        ev.callbacks.append(self._limiter_event)
        self.assist_settled()

    def _limiter_event(self, ev: simpy.Event) -> None:
        if self.phase != PHASE_MARK or ev._value != self.epoch:
            return
        m = self.machine
        if m.n_lazy:
            m.settle(self.env._now)
        self._limiter_update(self.env._now)

    def scheduler_check(self, now: int) -> None:
        """findRunnableGCWorker, from every schedule() during mark: update the CPU limiter
        once gcCPULimiterUpdatePeriod (10 ms) has passed since its last update."""
        if self.limiter.need_update(now):
            self._limiter_update(now)

    def assist_settled(self) -> None:
        """A booked assist finished or was cut: if the mark was waiting for the last ones,
        check it again now."""
        if not self.waiting_assists or self.phase != PHASE_MARK:
            return
        if self.machine.assists_pending():
            return
        self.waiting_assists = False
        self.check_at = self.env._now
        ev = Timeout(self.env, 0)
        ev.callbacks.append(self._mark_check)
        self.check_ev = ev

    # --- mark termination ---------------------------------------------------------------

    def _mark_done(self, now: int) -> None:
        """gcMarkDone: stop the world for mark termination."""
        m = self.machine
        self.t_markterm = now
        self.phase = PHASE_STW2
        running = m.stop_the_world(now)
        self.stop2, pause = self._pause_ns(running, self.cost.stw_mark_term_ns)
        self._limiter_update(now)
        self.limiter.start_gc_transition(False, now)
        m.set_marking(False, 0.0, 0, 0.0)
        self.stats.mmu_change(now, 0.0)
        done = Timeout(self.env, pause)
        done.callbacks.append(self._end_stw2)

    def _end_stw2(self, ev: simpy.Event) -> None:
        now = self.env._now
        m = self.machine
        p = self.pacer
        h = self.heap
        self.stats.pause(now - self.t_markterm, self.stop2)
        tr = m.trace
        if tr is not None:
            cyc = self.epoch
            tr.span(-1, self.t_mark, self.t_markterm, SpanKind.MARK, 0, cyc)
            tr.span(-1, self.t_markterm, now, SpanKind.STW_MARK_TERM, 0, cyc)
            for pid in range(self.ded_count):
                tr.span(pid, self.t_mark, self.t_markterm, SpanKind.DEDICATED, 0, cyc)
        self.mark_done = float(self.mark_total)
        self._scan_work_split()
        p.idle_mark_time_ns = int(self.cyc_idle)
        p.end_cycle(self.t_markterm + self.stop2, self.nprocs, False)
        # The goal the cycle ran with (heapGoal() during mark is at least triggered+64 KiB).
        if p.last_heap_goal != MAX_UINT64 and p.last_heap_goal > self.peak_goal:
            self.peak_goal = p.last_heap_goal
        heap1 = p.heap_live
        marked = h.mark_done(self.live0)
        h.note_peak()  # heap_alloc peaks just before the sweep
        p.reset_live(marked)
        h.sweep(marked, now, self.cost.sweep_ns_per_span)
        h.flush_mcaches()
        self.sync_memory()
        p.last_heap_in_use_bytes = h.in_use
        p.gc_controller_commit(is_sweep_done=False, gc_running=False)
        self.update_trigger()
        self.stranded_margin_b, goal = self.stranded_margin()
        if self.in_regime:
            self.regime_cycles += 1
        if goal and abs(self.stranded_margin_b) <= goal * STRANDED_EDGE_FRACTION:
            self.edge_cycles += 1
        self.ncycles += 1
        if self.kind is TriggerKind.TIME:
            self.ncycles_time += 1
        self.limiter.finish_gc_transition(now)
        self.limiter.num_gc = self.ncycles
        self.cpu_assist += self.cyc_assist
        self.cpu_ded += self.cyc_ded
        self.cpu_frac += self.cyc_frac
        self.cpu_idle_mark += self.cyc_idle
        rec = self._record(now, heap1, marked)
        self.cycles.append(rec)
        self.phase = PHASE_OFF
        self.last_gc_ns = now
        self.had_gc = True
        self.stats.mmu_change(now, 1.0)
        m.start_the_world(now, 0)
        self._schedule_forced_check(now)
        self.start_scavenger()
        self.check_oom()
        if self.on_cycle is not None:
            self.on_cycle(rec)  # type: ignore[operator]

    def _record(self, now: int, heap1: int, marked: int) -> CycleRecord:
        n = self.ncycles
        p = self.pacer
        nprocs = self.nprocs
        stw1 = self.t_mark - self.t_start
        mark = self.t_markterm - self.t_mark
        stw2 = now - self.t_markterm
        m = self.machine
        m.acct()
        gc_cpu = (self.cpu_assist + self.cpu_ded + self.cpu_frac + m.cpu_pause)
        total = now * nprocs
        cpu_percent = int(100 * gc_cpu / total) if total else 0
        ded = int(self.cyc_ded)
        frac = int(self.cyc_frac)
        idle = int(self.cyc_idle)
        line = format_gctrace_line(
            cycle=n, start_ns=self.t_start, cpu_percent=cpu_percent, stw1_ns=stw1,
            mark_ns=mark, stw2_ns=stw2, stwprocs=nprocs, assist_cpu_ns=self.cyc_assist,
            dedicated_fractional_cpu_ns=ded + frac, idle_cpu_ns=idle, heap0_bytes=self.heap0,
            heap1_bytes=heap1, heap2_bytes=marked, goal_bytes=p.last_heap_goal,
            stacks_bytes=p.last_stack_scan, globals_bytes=p.globals_scan, gomaxprocs=nprocs,
            forced=self.kind is TriggerKind.CYCLE)
        return CycleRecord(
            n=n, start_ns=self.t_start, kind=self.kind, cpu_percent=cpu_percent,
            stw_sweep_term_clock_ns=stw1, mark_clock_ns=mark, stw_mark_term_clock_ns=stw2,
            stw_sweep_term_cpu_ns=stw1 * nprocs, assist_cpu_ns=self.cyc_assist,
            dedicated_cpu_ns=ded, fractional_cpu_ns=frac, idle_cpu_ns=idle,
            stw_mark_term_cpu_ns=stw2 * nprocs, heap_start_bytes=self.heap0,
            heap_end_bytes=heap1, heap_marked_bytes=marked, heap_goal_bytes=p.last_heap_goal,
            trigger_bytes=min(self.trigger0, MAX_UINT64), stacks_bytes=p.last_stack_scan,
            globals_bytes=p.globals_scan, heap_scan_work_bytes=p.heap_scan_work,
            gomaxprocs=nprocs, cons_mark=p.cons_mark,
            limiter_enabled=(self.limiter.limiting
                             or self.limiter.limiting_total_ns(now) > self.lim_ns_at_start),
            stop_ns_sweep_term=self.stop1, stop_ns_mark_term=self.stop2,
            stranded_start_bytes=self.stranded_start, stranded_bytes=self.heap.stranded,
            stranded_margin_bytes=self.stranded_margin_b,
            stranded_refilled_bytes=self.refilled_start,
            stranded_refilled_span_bytes=self.refilled_spans_start,
            gctrace=("GC forced\n" if self.kind is TriggerKind.TIME else "") + line)

    # --- the CPU limiter ----------------------------------------------------------------

    def _limiter_update(self, now: int) -> None:
        """Feed idle time and the assists' CPU since the last update and update the limiter;
        if it turns on during mark, running and queued assists stop (gcDrainN checks
        gcCPULimiter.limiting() as it drains)."""
        m = self.machine
        m.acct()
        if self.phase == PHASE_MARK:
            m.flush_assists(now)
        idle = m.cpu_idle - self.lim_idle_seen
        self.lim_idle_seen = m.cpu_idle
        lim = self.limiter
        if idle > 0:
            lim.add_idle_time(idle)
        was = lim.limiting
        lim.update(now)
        if lim.limiting and not was and self.phase == PHASE_MARK and m.cut_assists(now):
            self.replan()
            self.assist_settled()

    # --- forced GC ----------------------------------------------------------------------

    def _schedule_forced_check(self, now: int) -> None:
        if self.gogc == GOGC_OFF:
            return
        ev = Timeout(self.env, FORCE_GC_PERIOD_NS + SYSMON_MAX_DELAY_NS, self.ncycles)
        ev.callbacks.append(self._forced_check)

    def _forced_check(self, ev: simpy.Event) -> None:
        if ev._value != self.ncycles:
            return  # another cycle ran since; its own check is pending
        now = self.env._now
        if (self.phase == PHASE_OFF and self.had_gc
                and now - self.last_gc_ns > FORCE_GC_PERIOD_NS):
            self.request_start(now, TriggerKind.TIME)

    # --- scavenger ------------------------------------------------------------------------

    def _scavenge_excess(self) -> int:
        h = self.heap
        p = self.pacer
        excess = 0
        if p.scavenge_gc_percent_goal_bytes != MAX_UINT64:
            excess = h.in_use + h.free - p.scavenge_gc_percent_goal_bytes
        if p.scavenge_memory_limit_goal_bytes != MAX_UINT64:
            excess = max(excess, h.mapped_ready() - p.scavenge_memory_limit_goal_bytes)
        return min(excess, h.free)

    def start_scavenger(self) -> None:
        if self.scavenging or self._scavenge_excess() < OS_PAGE_BYTES:
            return
        self.scavenging = True
        ev = Timeout(self.env, SCAVENGE_TICK_NS)
        ev.callbacks.append(self._scavenge_tick)

    def _scavenge_tick(self, ev: simpy.Event) -> None:
        excess = self._scavenge_excess()
        if excess < OS_PAGE_BYTES:
            self.scavenging = False
            return
        cpu_ns = SCAVENGE_CPU_FRACTION * self.nprocs * SCAVENGE_TICK_NS
        budget = int(cpu_ns / self.cost.scavenge_ns_per_page * OS_PAGE_BYTES) if (
            self.cost.scavenge_ns_per_page) else excess
        released = self.heap.scavenge(min(excess, budget))
        if self.cost.scavenge_ns_per_page:
            self.cpu_scavenge += released // OS_PAGE_BYTES * self.cost.scavenge_ns_per_page
        nxt = Timeout(self.env, SCAVENGE_TICK_NS)
        nxt.callbacks.append(self._scavenge_tick)
