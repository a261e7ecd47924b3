"""The GC pacer: a model of Go's gcControllerState (src/runtime/mgcpacer.go).

The pacer decides when a GC cycle starts and how hard the mutator must help it finish.

Goal. After each mark phase, commit computes the heap goal for the next cycle: the live heap
plus GOGC percent of everything the GC must scan (the marked heap, last cycle's scanned stacks
and the scannable globals), floored at heapMinimum (4 MiB at GOGC=100). With GOGC=off this
goal is infinite. heapGoal then takes the smaller of that and the memory-limit goal, which is
GOMEMLIMIT less the non-heap memory, any overage and a 3% (at least 1 MiB) headroom, floored
at heapMarked. Only when the memory limit is not the binding constraint may the goal be pushed
up: to the sweep distance (heapLive + 1 MiB at commit, while sweeping is unfinished) and,
during mark, to at least 64 KiB above the point where the cycle triggered.

Trigger and runway. The cycle should start early enough that the background workers, at 25%
of GOMAXPROCS, finish marking just as the heap reaches the goal. The runway is the heap the
mutator allocates while the GC does last cycle's scan work:

    runway = consMark * (1-0.25)/0.25 * (lastHeapScan + lastStackScan + globalsScan)

and the trigger is goal - runway, clamped to [0.7, 0.95] of the way from heapMarked to the
goal (integer division first: (goal-heapMarked)/64*45). For large heaps the upper bound is
goal - 4 MiB instead, so a big heap with little to scan still starts 4 MiB early.

Cons/mark. At mark termination endCycle measures how fast the mutator allocated relative to
how fast the GC scanned, each per CPU-ns:

    consMark = (heapLive-triggered)*(u+idleU) / (scanWork*(1-u))

where u is the GC's utilization (25% background plus assists) and idleU the idle workers'
share. The estimate used for the next cycle is the maximum of this and the previous four
measurements, which biases the pacer toward starting early rather than assisting.

Assist ratio. During mark, revise sets assistWorkPerByte = remaining scan work / remaining heap
to the goal; each allocating goroutine owes that much scan work per byte. If more work than
expected turns up (the heap grew), the goal is extrapolated toward the worst case, capped at
(1+GOGC/100)*goal; past the goal it allows 10% overshoot and assumes all scannable memory is
live. GOGC=off is treated as GOGC=100000 here.

Workers. startCycle rounds GOMAXPROCS*0.25 to a number of dedicated workers; where rounding
is more than 30% off (GOMAXPROCS <= 3 or == 6) fractional workers make up the difference.
Idle Ps may run idle-priority workers, at most GOMAXPROCS - dedicated of them (0, or 1 when
there is no dedicated worker, for periodic time-triggered cycles).

Integer semantics follow Go: byte counts are uint64 and wrap mod 2**64, int64 conversions wrap,
and float-to-integer conversions follow Go on linux/amd64 (out-of-range and NaN give
math.MinInt64 for int64). This object is pure: the simulator calls its methods at the points
where the runtime calls them and reads its fields.
"""

from __future__ import annotations

import math
from enum import Enum

from simcore.results import TriggerKind

__all__ = [
    "DEFAULT_HEAP_MINIMUM_BYTES",
    "GC_BACKGROUND_UTILIZATION",
    "GC_GOAL_UTILIZATION",
    "MAX_INT64",
    "MAX_UINT64",
    "GCController",
    "MarkWorkerMode",
    "TriggerKind",
]

# MAX_UINT64 is ^uint64(0): "no value" for triggered and an infinite goal (GOGC=off).
MAX_UINT64 = (1 << 64) - 1
# MAX_INT64 is math.MaxInt64: the memory limit meaning "no limit" (readGOMEMLIMIT).
MAX_INT64 = (1 << 63) - 1
# MIN_INT64 is what amd64's CVTTSD2SQ yields for a NaN or out-of-range float ("indefinite").
MIN_INT64 = -(1 << 63)

# GC_GOAL_UTILIZATION is gcGoalUtilization (mgcpacer.go): the goal GC CPU fraction.
GC_GOAL_UTILIZATION = 0.25
# GC_BACKGROUND_UTILIZATION is gcBackgroundUtilization (mgcpacer.go): dedicated+fractional.
GC_BACKGROUND_UTILIZATION = 0.25
# GC_CREDIT_SLACK is gcCreditSlack (mgcpacer.go): scan work buffered per P before a flush.
GC_CREDIT_SLACK = 2000
# GC_ASSIST_TIME_SLACK_NS is gcAssistTimeSlack (mgcpacer.go): assist ns buffered per P.
GC_ASSIST_TIME_SLACK_NS = 5000
# GC_OVER_ASSIST_WORK is gcOverAssistWork (mgcpacer.go): minimum scan work of one assist.
GC_OVER_ASSIST_WORK = 64 << 10
# DEFAULT_HEAP_MINIMUM_BYTES is defaultHeapMinimum (mgcpacer.go), without the
# heapminimum512kib experiment.
DEFAULT_HEAP_MINIMUM_BYTES = 4 << 20
# MAX_STACK_SCAN_SLACK_BYTES is maxStackScanSlack (mgcpacer.go): stack bytes buffered per P.
MAX_STACK_SCAN_SLACK_BYTES = 8 << 10
# MEMORY_LIMIT_MIN_HEAP_GOAL_HEADROOM_BYTES is memoryLimitMinHeapGoalHeadroom (mgcpacer.go).
MEMORY_LIMIT_MIN_HEAP_GOAL_HEADROOM_BYTES = 1 << 20
# MEMORY_LIMIT_HEAP_GOAL_HEADROOM_PERCENT is memoryLimitHeapGoalHeadroomPercent (mgcpacer.go).
MEMORY_LIMIT_HEAP_GOAL_HEADROOM_PERCENT = 3
# TRIGGER_RATIO_DEN, MIN_/MAX_TRIGGER_RATIO_NUM are triggerRatioDen, minTriggerRatioNum and
# maxTriggerRatioNum (mgcpacer.go): the trigger lies in [45/64, 61/64] of goal-heapMarked.
TRIGGER_RATIO_DEN = 64
MIN_TRIGGER_RATIO_NUM = 45
MAX_TRIGGER_RATIO_NUM = 61
# MIN_RUNWAY_BYTES is the const minRunway in heapGoalInternal (mgcpacer.go).
MIN_RUNWAY_BYTES = 64 << 10
# MAX_UTIL_ERROR is the const maxUtilError in startCycle (mgcpacer.go).
MAX_UTIL_ERROR = 0.3
# MAX_OVERSHOOT is the const maxOvershoot in revise (mgcpacer.go).
MAX_OVERSHOOT = 1.1
# GC_PERCENT_WHEN_OFF is the GOGC revise assumes when GOGC=off (revise, mgcpacer.go).
GC_PERCENT_WHEN_OFF = 100000
# MIN_SCAN_WORK_REMAINING is revise's lower bound on scanWorkRemaining (mgcpacer.go).
MIN_SCAN_WORK_REMAINING = 1000
# LAST_CONS_MARK_SAMPLES is len(gcControllerState.lastConsMark) (mgcpacer.go).
LAST_CONS_MARK_SAMPLES = 4
# SWEEP_MIN_HEAP_DISTANCE_BYTES is sweepMinHeapDistance (mgc.go).
SWEEP_MIN_HEAP_DISTANCE_BYTES = 1 << 20
# RETAIN_EXTRA_PERCENT is retainExtraPercent (mgcscavenge.go): RSS slack over the heap goal.
RETAIN_EXTRA_PERCENT = 10
# SCAVENGE_MEMORY_LIMIT_FRACTION is (1 - reduceExtraPercent/100.0) with reduceExtraPercent = 5
# (mgcscavenge.go gcPaceScavenger); Go folds the constant exactly, so 0.95 here.
SCAVENGE_MEMORY_LIMIT_FRACTION = 0.95
# PHYS_PAGE_SIZE_BYTES is physPageSize on linux/amd64 (read from the OS at startup).
PHYS_PAGE_SIZE_BYTES = 4096

_TWO_63 = 9223372036854775808.0  # float64(1 << 63)


def _u64(x: int) -> int:
    """uint64 wraparound."""
    return x & MAX_UINT64


def _i64(x: int) -> int:
    """int64 wraparound (also Go's int64(u) of a uint64 u)."""
    x &= MAX_UINT64
    return x - (1 << 64) if x >= 1 << 63 else x


def _f64_to_i64(x: float) -> int:
    """Go's int64(x) on amd64 (CVTTSD2SQ): truncates; NaN and out of range give MinInt64."""
    if math.isnan(x) or not -_TWO_63 <= x < _TWO_63:
        return MIN_INT64
    return int(x)


def _f64_to_u64(x: float) -> int:
    """Go's uint64(x) on amd64 (cmd/compile ssagen floatToUint)."""
    if x < _TWO_63:
        return _u64(_f64_to_i64(x))
    return _u64(_f64_to_i64(x - _TWO_63)) | (1 << 63)


def _fdiv(a: float, b: float) -> float:
    """IEEE 754 division, as Go does it: x/0 is ±Inf, 0/0 is NaN."""
    if b == 0.0:
        if a == 0.0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


class MarkWorkerMode(Enum):
    """gcMarkWorkerMode (mgc.go): how a background mark worker is running."""

    DEDICATED = "dedicated"
    FRACTIONAL = "fractional"
    IDLE = "idle"


class GCController:
    """gcControllerState: the GC pacer's state and its methods (src/runtime/mgcpacer.go).

    Bytes are ints in [0, 2**64) (Go uint64) unless noted; times are int ns.
    """

    def __init__(self, gc_percent: int, memory_limit_bytes: int) -> None:
        """Models gcControllerState.init: heapMinimum, triggered, GOGC, limit, commit(true)."""
        # gc_percent is GOGC; -1 means off. Set by set_gc_percent.
        self.gc_percent = 0
        # memory_limit is GOMEMLIMIT in bytes; MAX_INT64 means no limit. Set by
        # set_memory_limit. Starts at 0 (Go's zero value) until set_memory_limit stores it.
        self.memory_limit = 0
        # heap_minimum is the goal floor in bytes: 4 MiB * GOGC/100. Set by set_gc_percent.
        self.heap_minimum = DEFAULT_HEAP_MINIMUM_BYTES
        # runway is the heap bytes the mutator should allocate while the GC runs, computed
        # from cons_mark by commit.
        self.runway = 0
        # cons_mark is the estimated allocation rate over scan rate, each in B per cpu-ns.
        # Updated by end_cycle.
        self.cons_mark = 0.0
        # last_cons_mark holds the last 4 cons/mark values measured by end_cycle (oldest
        # first); not the previous values of cons_mark.
        self.last_cons_mark = [0.0] * LAST_CONS_MARK_SAMPLES
        # gc_percent_heap_goal is the goal in bytes derived from GOGC (MAX_UINT64 when off).
        # Set by commit.
        self.gc_percent_heap_goal = 0
        # sweep_dist_min_trigger is the lowest trigger (and goal, when not memory-limited) in
        # bytes that leaves the sweeper 1 MiB of runway; 0 when sweeping is done. Set by commit.
        self.sweep_dist_min_trigger = 0
        # triggered is heap_live in bytes when the current cycle started; MAX_UINT64 outside
        # mark. Set by start_cycle, reset by reset_live.
        self.triggered = MAX_UINT64
        # last_heap_goal is heap_goal() in bytes at the end of the last mark phase (gctrace's
        # "goal", the scavenger's ratio). Set by end_cycle.
        self.last_heap_goal = 0
        # heap_live is the bytes the GC considers live: heap_marked plus what was allocated
        # since (whole spans at refill). Updated by the simulator via add_heap_live/update.
        self.heap_live = 0
        # heap_scan is the scannable part of heap_live in bytes. Updated by the simulator;
        # fixed during mark in Go (see update), reset to heap_scan_work by reset_live.
        self.heap_scan = 0
        # last_heap_scan is the heap bytes scanned in the last cycle. Set by reset_live.
        self.last_heap_scan = 0
        # last_stack_scan is the stack bytes scanned in the last cycle. Set by reset_live.
        self.last_stack_scan = 0
        # max_stack_scan is the allocated goroutine stack bytes (worst-case stack scan work).
        # Updated by the simulator via add_scannable_stack.
        self.max_stack_scan = 0
        # globals_scan is the scannable global (data+bss) bytes. Set by the simulator.
        self.globals_scan = 0
        # heap_marked is the bytes marked by the previous GC. Set by reset_live.
        self.heap_marked = 0
        # heap_scan_work, stack_scan_work and globals_scan_work are the scan work (bytes)
        # done this cycle. Zeroed by start_cycle; added to by the simulator (add_scan_work).
        self.heap_scan_work = 0
        self.stack_scan_work = 0
        self.globals_scan_work = 0
        # bg_scan_credit is background scan work (bytes) that assists may steal. Zeroed by
        # start_cycle; maintained by the simulator.
        self.bg_scan_credit = 0
        # assist_time_ns is the CPU ns spent in mark assists this cycle. Zeroed by start_cycle;
        # accumulated by the simulator; read by end_cycle.
        self.assist_time_ns = 0
        # dedicated_mark_time_ns and fractional_mark_time_ns are CPU ns of those workers this
        # cycle. Zeroed by start_cycle; accumulated by mark_worker_stop.
        self.dedicated_mark_time_ns = 0
        self.fractional_mark_time_ns = 0
        # idle_mark_time_ns is CPU ns of idle mark workers this cycle. Zeroed by start_cycle;
        # accumulated by mark_worker_stop or the simulator; read by end_cycle.
        self.idle_mark_time_ns = 0
        # mark_start_time_ns is the absolute time at which assists and workers started. Set by
        # start_cycle.
        self.mark_start_time_ns = 0
        # dedicated_mark_workers_needed is the dedicated workers still to start this cycle.
        # Set by start_cycle; decremented by the scheduler as workers start.
        self.dedicated_mark_workers_needed = 0
        # idle_mark_workers_running and idle_mark_workers_max are the two int32 halves of Go's
        # packed idleMarkWorkers counter. Updated by the *_idle_mark_worker* methods.
        self.idle_mark_workers_running = 0
        self.idle_mark_workers_max = 0
        # assist_work_per_byte is the scan work an assist owes per byte allocated, and
        # assist_bytes_per_work its inverse. Set by revise.
        self.assist_work_per_byte = 0.0
        self.assist_bytes_per_work = 0.0
        # fractional_utilization_goal is the fraction of wall time each P should spend in a
        # fractional worker (0 = none). Set by start_cycle.
        self.fractional_utilization_goal = 0.0
        # Runtime memory statistics, in bytes, set by the simulator (0 in Go's test harness):
        # mapped_ready_bytes: mapped memory in the Ready state; heap_free_bytes: free,
        # unscavenged heap pages; heap_in_use_bytes: pages in in-use spans;
        # total_alloc_bytes/total_free_bytes: cumulative heap object bytes allocated/freed;
        # last_heap_in_use_bytes: heap_in_use at the last mark termination (memstats).
        self.mapped_ready_bytes = 0
        self.heap_free_bytes = 0
        self.heap_in_use_bytes = 0
        self.total_alloc_bytes = 0
        self.total_free_bytes = 0
        self.last_heap_in_use_bytes = 0
        # scavenge_gc_percent_goal_bytes and scavenge_memory_limit_goal_bytes are the
        # background scavenger's retained-memory goals (MAX_UINT64 = none). Set by
        # pace_scavenger.
        self.scavenge_gc_percent_goal_bytes = MAX_UINT64
        self.scavenge_memory_limit_goal_bytes = MAX_UINT64

        self.set_gc_percent(gc_percent)
        self.set_memory_limit(memory_limit_bytes)
        self.commit(is_sweep_done=True)  # No sweep phase in the first GC cycle.

    # -- Settings ------------------------------------------------------------------------

    def set_gc_percent(self, p: int) -> int:
        """Models setGCPercent: clamps p < 0 to -1 and sets heapMinimum. Returns the old GOGC.

        heapMinimum = defaultHeapMinimum * uint64(p) / 100 in uint64, so GOGC=off gives a
        huge (unused) minimum, exactly as in Go. Call commit afterwards.
        """
        out = self.gc_percent
        if p < 0:
            p = -1
        self.heap_minimum = _u64(DEFAULT_HEAP_MINIMUM_BYTES * _u64(p)) // 100
        self.gc_percent = p
        return out

    def set_memory_limit(self, b: int) -> int:
        """Models setMemoryLimit: stores b if b >= 0. Returns the old limit."""
        out = self.memory_limit
        if b >= 0:
            self.memory_limit = b
        return out

    # -- Goal and trigger ----------------------------------------------------------------

    def commit(self, is_sweep_done: bool) -> None:
        """Models commit: the GOGC goal, the sweep-distance floor and the runway."""
        if is_sweep_done:
            self.sweep_dist_min_trigger = 0
        else:
            self.sweep_dist_min_trigger = _u64(self.heap_live + SWEEP_MIN_HEAP_DISTANCE_BYTES)
        goal = MAX_UINT64
        if self.gc_percent >= 0:
            scannable = _u64(self.heap_marked + self.last_stack_scan + self.globals_scan)
            goal = _u64(self.heap_marked + _u64(scannable * self.gc_percent) // 100)
        goal = max(goal, self.heap_minimum)
        self.gc_percent_heap_goal = goal
        expected = _u64(self.last_heap_scan + self.last_stack_scan + self.globals_scan)
        factor = self.cons_mark * (1 - GC_GOAL_UTILIZATION) / GC_GOAL_UTILIZATION
        self.runway = _f64_to_u64(factor * float(expected))

    def heap_goal(self) -> int:
        """Models heapGoal: the current heap goal in bytes."""
        return self.heap_goal_internal()[0]

    def heap_goal_internal(self) -> tuple[int, int]:
        """Models heapGoalInternal: returns (goal, minTrigger); minTrigger <= goal."""
        goal = self.gc_percent_heap_goal
        min_trigger = 0
        new_goal = self.memory_limit_heap_goal()
        if new_goal < goal:
            goal = new_goal
        else:
            # Not memory-limited: the sweep distance and minimum runway may push the goal up.
            sweep_dist_trigger = self.sweep_dist_min_trigger
            goal = max(goal, sweep_dist_trigger)
            min_trigger = sweep_dist_trigger
            if self.triggered != MAX_UINT64 and goal < _u64(self.triggered + MIN_RUNWAY_BYTES):
                goal = _u64(self.triggered + MIN_RUNWAY_BYTES)
        return goal, min_trigger

    def memory_limit_heap_goal(self) -> int:
        """Models memoryLimitHeapGoal: the goal in bytes derived from the memory limit.

        Go re-reads its statistics until heapFree + heapAlloc <= mappedReady (torn reads);
        here they are set by the simulator, so a violation is an accounting bug: it raises.
        """
        heap_free = self.heap_free_bytes
        heap_alloc = _u64(self.total_alloc_bytes - self.total_free_bytes)
        mapped_ready = self.mapped_ready_bytes
        if heap_free + heap_alloc > mapped_ready:
            raise RuntimeError(
                f"memory statistics inconsistent: heapFree {heap_free} + heapAlloc "
                f"{heap_alloc} > mappedReady {mapped_ready}"
            )
        memory_limit = _u64(self.memory_limit)
        non_heap_memory = mapped_ready - heap_free - heap_alloc
        overage = mapped_ready - memory_limit if mapped_ready > memory_limit else 0
        if non_heap_memory + overage >= memory_limit:
            # Non-heap memory alone exceeds the limit: the lowest possible goal.
            return self.heap_marked
        goal = memory_limit - (non_heap_memory + overage)
        headroom = goal // 100 * MEMORY_LIMIT_HEAP_GOAL_HEADROOM_PERCENT
        headroom = max(headroom, MEMORY_LIMIT_MIN_HEAP_GOAL_HEADROOM_BYTES)
        if goal < headroom or goal - headroom < headroom:
            goal = headroom
        else:
            goal -= headroom
        return max(goal, self.heap_marked)

    def trigger(self) -> tuple[int, int]:
        """Models trigger: returns (trigger, goal) in bytes; GC starts once heapLive >= trigger."""
        goal, min_trigger = self.heap_goal_internal()
        if self.heap_marked >= goal:
            return goal, goal
        min_trigger = max(min_trigger, self.heap_marked)
        distance = goal - self.heap_marked
        lower_bound = distance // TRIGGER_RATIO_DEN * MIN_TRIGGER_RATIO_NUM + self.heap_marked
        min_trigger = max(min_trigger, lower_bound)
        max_trigger = distance // TRIGGER_RATIO_DEN * MAX_TRIGGER_RATIO_NUM + self.heap_marked
        if goal > DEFAULT_HEAP_MINIMUM_BYTES and goal - DEFAULT_HEAP_MINIMUM_BYTES > max_trigger:
            max_trigger = goal - DEFAULT_HEAP_MINIMUM_BYTES
        max_trigger = max(max_trigger, min_trigger)
        trigger = min_trigger if self.runway > goal else goal - self.runway
        trigger = min(max(trigger, min_trigger), max_trigger)
        if trigger > goal:
            raise RuntimeError(f"produced a trigger greater than the heap goal: {trigger} > {goal}")
        return trigger, goal

    # -- The mark phase ------------------------------------------------------------------

    def start_cycle(
        self,
        mark_start_time_ns: int,
        procs: int,
        trigger_kind: TriggerKind,
        gcstoptheworld: int = 0,
    ) -> None:
        """Models startCycle: resets per-cycle counters, sizes the workers, calls revise.

        gcstoptheworld is GODEBUG gcstoptheworld (>0: every P runs a dedicated worker).
        Clearing the per-P assist and fractional times is the caller's job.
        """
        self.heap_scan_work = 0
        self.stack_scan_work = 0
        self.globals_scan_work = 0
        self.bg_scan_credit = 0
        self.assist_time_ns = 0
        self.dedicated_mark_time_ns = 0
        self.fractional_mark_time_ns = 0
        self.idle_mark_time_ns = 0
        self.mark_start_time_ns = mark_start_time_ns
        self.triggered = self.heap_live

        # Round the dedicated workers to the nearest whole number; where that is more than
        # 30% off (GOMAXPROCS <= 3 or == 6), fractional workers make up the rest.
        total_utilization_goal = float(procs) * GC_BACKGROUND_UTILIZATION
        dedicated = _f64_to_i64(total_utilization_goal + 0.5)
        util_error = _fdiv(float(dedicated), total_utilization_goal) - 1
        if util_error < -MAX_UTIL_ERROR or util_error > MAX_UTIL_ERROR:
            if float(dedicated) > total_utilization_goal:
                dedicated -= 1
            self.fractional_utilization_goal = _fdiv(
                total_utilization_goal - float(dedicated), float(procs)
            )
        else:
            self.fractional_utilization_goal = 0.0
        if gcstoptheworld > 0:
            dedicated = procs
            self.fractional_utilization_goal = 0.0

        if trigger_kind == TriggerKind.TIME:
            # Periodic GC: the program is idle anyway; keep one idle worker only if there is
            # no dedicated worker to guarantee progress.
            self.set_max_idle_mark_workers(0 if dedicated > 0 else 1)
        else:
            self.set_max_idle_mark_workers(procs - dedicated)
        self.dedicated_mark_workers_needed = dedicated
        self.revise()

    def revise(self) -> None:
        """Models revise: recomputes the assist ratio from the work and heap still to go."""
        gc_percent = self.gc_percent
        if gc_percent < 0:
            gc_percent = GC_PERCENT_WHEN_OFF  # a forced GC with GOGC=off: act like it's huge
        live = self.heap_live
        work = _i64(self.heap_scan_work + self.stack_scan_work + self.globals_scan_work)
        heap_goal = _i64(self.heap_goal())
        triggered = _i64(self.triggered)
        expected = _i64(self.last_heap_scan + self.last_stack_scan + self.globals_scan)
        max_scan_work = _i64(self.heap_scan + self.max_stack_scan + self.globals_scan)
        if work > expected:
            # More work than expected: the heap is growing. Extrapolate the goal toward the
            # worst case, but never beyond (1+GOGC/100) times the goal.
            ratio = _fdiv(float(_i64(heap_goal - triggered)), float(expected))
            ext_heap_goal = _i64(_f64_to_i64(ratio * float(max_scan_work)) + triggered)
            expected = max_scan_work
            hard_goal = _f64_to_i64((1.0 + float(gc_percent) / 100.0) * float(heap_goal))
            heap_goal = min(ext_heap_goal, hard_goal)
        if _i64(live) > heap_goal:
            # Past even the extrapolated goal: allow some overshoot, assume the worst case.
            heap_goal = _f64_to_i64(float(heap_goal) * MAX_OVERSHOOT)
            expected = max_scan_work
        scan_work_remaining = max(_i64(expected - work), MIN_SCAN_WORK_REMAINING)
        heap_remaining = _i64(heap_goal - _i64(live))
        if heap_remaining <= 0:
            heap_remaining = 1
        self.assist_work_per_byte = float(scan_work_remaining) / float(heap_remaining)
        self.assist_bytes_per_work = float(heap_remaining) / float(scan_work_remaining)

    def end_cycle(self, now_ns: int, procs: int, user_forced: bool) -> None:
        """Models endCycle: records lastHeapGoal and updates the cons/mark estimate.

        Reads assist_time_ns and idle_mark_time_ns as accumulated by the caller. user_forced
        is accepted for parity with Go, which no longer uses it.
        """
        del user_forced
        self.last_heap_goal = self.heap_goal()
        assist_duration_ns = now_ns - self.mark_start_time_ns
        cpu_ns = float(_i64(assist_duration_ns * procs))
        utilization = GC_BACKGROUND_UTILIZATION
        if assist_duration_ns > 0:
            utilization += _fdiv(float(self.assist_time_ns), cpu_ns)
        if self.heap_live <= self.triggered:
            return  # The GC was too short to measure anything; update nothing.
        idle_utilization = 0.0
        if assist_duration_ns > 0:
            idle_utilization = _fdiv(float(self.idle_mark_time_ns), cpu_ns)
        scan_work = _i64(self.heap_scan_work + self.stack_scan_work + self.globals_scan_work)
        current = _fdiv(
            float(self.heap_live - self.triggered) * (utilization + idle_utilization),
            float(scan_work) * (1 - utilization),
        )
        # The estimate is the maximum of this measurement and the last four.
        self.cons_mark = current
        for sample in self.last_cons_mark:
            if sample > self.cons_mark:
                self.cons_mark = sample
        self.last_cons_mark = [*self.last_cons_mark[1:], current]

    def reset_live(self, bytes_marked: int) -> None:
        """Models resetLive: sets up the next cycle's inputs after endCycle, before commit."""
        self.heap_marked = bytes_marked
        self.heap_live = bytes_marked
        self.heap_scan = _u64(self.heap_scan_work)
        self.last_heap_scan = _u64(self.heap_scan_work)
        self.last_stack_scan = _u64(self.stack_scan_work)
        self.triggered = MAX_UINT64

    def gc_controller_commit(self, is_sweep_done: bool, gc_running: bool) -> tuple[int, int]:
        """Models gcControllerCommit: commit, revise during a cycle, pace the scavenger.

        Returns (trigger, goal) for the caller to pace the sweeper (gcPaceSweeper).
        """
        self.commit(is_sweep_done)
        if gc_running:
            self.revise()
        trigger, heap_goal = self.trigger()
        self.pace_scavenger(heap_goal, self.last_heap_goal)
        return trigger, heap_goal

    def pace_scavenger(self, heap_goal: int, last_heap_goal: int) -> None:
        """Models gcPaceScavenger (mgcscavenge.go): the scavenger's two retained-memory goals."""
        memory_limit_goal = _f64_to_u64(float(self.memory_limit) * SCAVENGE_MEMORY_LIMIT_FRACTION)
        if self.mapped_ready_bytes <= memory_limit_goal:
            self.scavenge_memory_limit_goal_bytes = MAX_UINT64
        else:
            self.scavenge_memory_limit_goal_bytes = memory_limit_goal
        if last_heap_goal == 0:
            self.scavenge_gc_percent_goal_bytes = MAX_UINT64  # No GC has finished yet.
            return
        goal_ratio = float(heap_goal) / float(last_heap_goal)
        goal = _f64_to_u64(float(self.last_heap_in_use_bytes) * goal_ratio)
        goal = _u64(goal + goal // (100 // RETAIN_EXTRA_PERCENT))
        goal = _u64(goal + PHYS_PAGE_SIZE_BYTES - 1) & ~(PHYS_PAGE_SIZE_BYTES - 1)
        retained = _u64(self.heap_in_use_bytes + self.heap_free_bytes)
        if retained <= goal or retained - goal < PHYS_PAGE_SIZE_BYTES:
            self.scavenge_gc_percent_goal_bytes = MAX_UINT64
        else:
            self.scavenge_gc_percent_goal_bytes = goal

    # -- Accounting helpers for the simulator --------------------------------------------

    def update(self, d_heap_live: int, d_heap_scan: int, gc_blacken_enabled: bool) -> None:
        """Models update: heapLive moves always; heapScan only outside mark, else revise."""
        self.add_heap_live(d_heap_live)
        if not gc_blacken_enabled:
            self.add_heap_scan(d_heap_scan)
        else:
            self.revise()

    def add_heap_live(self, delta: int) -> None:
        """Adds delta bytes to heapLive (gcController.heapLive.Add)."""
        self.heap_live = _u64(self.heap_live + delta)

    def add_heap_scan(self, delta: int) -> None:
        """Adds delta bytes to heapScan (gcController.heapScan.Add)."""
        self.heap_scan = _u64(self.heap_scan + delta)

    def add_scan_work(self, heap: int = 0, stack: int = 0, globals: int = 0) -> None:
        """Adds scan work in bytes (gcWork flushes to heapScanWork/stackScanWork/...)."""
        self.heap_scan_work = _i64(self.heap_scan_work + heap)
        self.stack_scan_work = _i64(self.stack_scan_work + stack)
        self.globals_scan_work = _i64(self.globals_scan_work + globals)

    def add_scannable_stack(self, amount: int) -> None:
        """Models addScannableStack (without per-P slack): maxStackScan += amount."""
        self.max_stack_scan = _u64(self.max_stack_scan + amount)

    def add_globals(self, amount: int) -> None:
        """Models addGlobals: globalsScan += amount."""
        self.globals_scan = _u64(self.globals_scan + amount)

    def mark_worker_stop(self, mode: MarkWorkerMode, duration_ns: int) -> None:
        """Models markWorkerStop: charges a worker's time and releases its slot."""
        if mode is MarkWorkerMode.DEDICATED:
            self.dedicated_mark_time_ns += duration_ns
            self.dedicated_mark_workers_needed += 1
        elif mode is MarkWorkerMode.FRACTIONAL:
            self.fractional_mark_time_ns += duration_ns
        else:
            self.idle_mark_time_ns += duration_ns
            self.remove_idle_mark_worker()

    # -- Idle mark workers (the packed idleMarkWorkers counter) --------------------------

    def add_idle_mark_worker(self) -> bool:
        """Models addIdleMarkWorker: takes an idle-worker slot if n < max."""
        n, limit = self.idle_mark_workers_running, self.idle_mark_workers_max
        if n >= limit:
            return False  # n > max is tolerated (the max may drop while workers run).
        if n < 0:
            raise RuntimeError(f"negative idle mark workers: n={n} max={limit}")
        self.idle_mark_workers_running = n + 1
        return True

    def need_idle_mark_worker(self) -> bool:
        """Models needIdleMarkWorker: a hint that another idle worker may start."""
        return self.idle_mark_workers_running < self.idle_mark_workers_max

    def remove_idle_mark_worker(self) -> None:
        """Models removeIdleMarkWorker: an idle worker stopped. Raises if n would go negative."""
        n, limit = self.idle_mark_workers_running, self.idle_mark_workers_max
        if n - 1 < 0:
            raise RuntimeError(f"negative idle mark workers: n={n} max={limit}")
        self.idle_mark_workers_running = n - 1

    def set_max_idle_mark_workers(self, n: int) -> None:
        """Models setMaxIdleMarkWorkers: running workers above the new max are not stopped."""
        if self.idle_mark_workers_running < 0:
            raise RuntimeError(f"negative idle mark workers: n={self.idle_mark_workers_running}")
        self.idle_mark_workers_max = n
