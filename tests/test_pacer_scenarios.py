"""Go's TestGcPacer, ported: the pacer driven through an idealised GC cycle, checked per cycle.

The harness (shared/reference/pacer-scenarios.md §1, Go's src/runtime/mgcpacer_test.go and the
export_test.go hooks NewGCController/StartCycle/Revise/EndCycle) and the 19 scenarios with
Go's exact checks and tolerances. Checks run after every cycle, before EndCycle, as in Go.

The three random scenarios run twice over: with Go's own math/rand streams (Go's seeds; the
values stored in tests/golden/go_math_rand.json by tests/gorand, which
tests/test_pacer_go_streams.py checks against Go), as Go's test runs them, and with Python's
random.Random over many seeds (uniform in [-amp, amp)), which Go's single seeds cannot show.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from simcore.pacer import (
    DEFAULT_HEAP_MINIMUM_BYTES,
    GC_BACKGROUND_UTILIZATION,
    GC_GOAL_UTILIZATION,
    MAX_INT64,
    GCController,
    TriggerKind,
)

KIB = 1 << 10
MIB = 1 << 20
INITIAL_HEAP_BYTES = 256 << 10
REVISE_PERIOD_NS = 500_000  # 500 µs
RATE_CONV = 1024 * float(REVISE_PERIOD_NS) / float(1_000_000)  # KiB/cpu-ms -> bytes per core
MIN_RATE = 0.0001
RANDOM_SEEDS = range(20)
# With Python's streams, JitterAlloc's seed 7 has five slow cycles (rates 120-125) followed by
# a jump to 144 KiB/cpu-ms at cycle 19. cons/mark is the max of the last five measurements,
# so the pacer under-estimates that one cycle and assists lift utilization to 0.2770, just
# above the 0.275 bound. It is a property of the stream, not the pacer (Go's fixed seed 0xf
# has no such jump); test_random_scenario_failures_are_rare_near_misses measures how rare.
KNOWN_STREAM_MISSES = {("JitterAlloc", 7)}

# --- Streams (§2) ---------------------------------------------------------------------------

Stream = Callable[[], float]


def constant(c: float) -> Stream:
    return lambda: c


def unit(amp: float) -> Stream:
    state = {"dropped": False}

    def f() -> float:
        if state["dropped"]:
            return 0.0
        state["dropped"] = True
        return amp

    return f


def oscillate(amp: float, phase: float, period: int) -> Stream:
    state = {"cycle": 0}

    def f() -> float:
        p = float(state["cycle"]) / float(period) * 2 * math.pi + phase
        state["cycle"] += 1
        if state["cycle"] == period:
            state["cycle"] = 0
        return math.sin(p) * amp

    return f


def ramp(height: float, length: int) -> Stream:
    state = {"cycle": 0}

    def f() -> float:
        h = height * float(state["cycle"]) / float(length)
        if state["cycle"] < length:
            state["cycle"] += 1
        return h

    return f


def rand_stream(amp: float, seed: int) -> Stream:
    """Go's random(amp, seed), with Python's generator in place of math/rand."""
    r = random.Random(seed)
    return lambda: ((r.random() - 0.5) * 2) * amp


# rand.New(rand.NewSource(seed)).Float64() for each seed the scenarios use, in order
# (tests/gorand; at least as many values as any scenario has cycles).
GO_MATH_RAND = Path(__file__).parent / "golden" / "go_math_rand.json"


def go_stream(amp: float, seed: int) -> Stream:
    """Go's random(amp, seed) itself: (r.Float64()-0.5)*2*amp over Go's stream."""
    values = iter(json.loads(GO_MATH_RAND.read_text())[f"{seed:#x}"])
    return lambda: ((next(values) - 0.5) * 2) * amp


def delay(f: Stream, cycles: int) -> Stream:
    state = {"zeroes": 0}

    def g() -> float:
        if state["zeroes"] < cycles:
            state["zeroes"] += 1
            return 0.0
        return f()

    return g


def offset(f: Stream, amt: float) -> Stream:
    return lambda: f() + amt


def ssum(f: Stream, *fs: Stream) -> Stream:
    def g() -> float:
        total = f()
        for s in fs:
            total += s()
        return total

    return g


def quantize(f: Stream, mult: float) -> Stream:
    def g() -> float:
        r = f() / mult
        return (math.ceil(r) if r < 0 else math.floor(r)) * mult

    return g


def smin(f: Stream, m: float) -> Stream:
    """Go's f.min(m): values below m become m."""
    return lambda: max(m, f())


def limit(f: Stream, lo: float, hi: float) -> Stream:
    def g() -> float:
        v = f()
        return lo if v < lo else hi if v > hi else v

    return g


# --- Harness (§1) ---------------------------------------------------------------------------


@dataclass
class CycleResult:
    cycle: int
    heap_live: int  # heapMarked going into the cycle
    heap_trigger: int
    heap_goal: int
    heap_peak: int
    heap_scannable: int
    gc_utilization: float

    def goal_ratio(self) -> float:
        return float(self.heap_peak) / float(self.heap_goal)

    def runway(self) -> float:
        return float(self.heap_goal - self.heap_trigger)

    def trigger_ratio(self) -> float:
        return float(self.heap_trigger - self.heap_live) / float(self.heap_goal - self.heap_live)


Checker = Callable[[list[CycleResult]], None]


@dataclass
class Scenario:
    name: str
    gc_percent: int
    memory_limit: int
    globals_bytes: int
    n_cores: int
    alloc_rate: Stream  # KiB / cpu-ms
    scan_rate: Stream  # KiB / cpu-ms
    growth_rate: Stream
    scannable_frac: Stream
    stack_bytes: Stream
    length: int
    checker: Checker

    def __post_init__(self) -> None:
        self._alloc = smin(self.alloc_rate, MIN_RATE)
        self._scan = smin(self.scan_rate, MIN_RATE)
        self._growth = smin(self.growth_rate, MIN_RATE)
        self._frac = limit(self.scannable_frac, 0, 1)
        self._stack = smin(quantize(self.stack_bytes, 2048), 0)

    def next(self) -> tuple[float, float, float, float, int]:
        """gcExecTest.next: one draw from each stream, in Go's order."""
        return (self._alloc(), self._scan(), self._growth(), self._frac(), int(self._stack()))


class RangeError(AssertionError):
    """A failed assertInRange/assertInEpsilon, with its numbers."""

    def __init__(self, name: str, x: float, lo: float, hi: float, n: int) -> None:
        super().__init__(f"cycle {n}: {name} not in range ({lo}, {hi}): {x}")
        self.name, self.x, self.lo, self.hi, self.n = name, x, lo, hi, n

    def miss(self) -> float:
        """How far outside the range x fell."""
        return self.lo - self.x if self.x < self.lo else self.x - self.hi


def assert_in_range(name: str, x: float, lo: float, hi: float, n: int) -> None:
    if not lo <= x <= hi:
        raise RangeError(name, x, lo, hi, n)


def assert_in_epsilon(name: str, x: float, b: float, eps: float, n: int) -> None:
    assert_in_range(name, x, b - eps, b + eps, n)


def general_checks(results: list[CycleResult]) -> None:
    """gcExecTest.check's checks before the scenario's own."""
    n = len(results)
    if n == 1:
        assert results[0].cycle == 1, "first cycle has incorrect number"
    else:
        assert results[n - 1].cycle == results[n - 2].cycle + 1, "cycle numbers out of order"
    u = results[n - 1].gc_utilization
    assert 0 <= u <= 1, f"cycle {n}: GC utilization not within acceptable bounds: {u}"
    assert results[n - 1].heap_scannable >= 0, f"cycle {n}: heapScannable is negative"


def harness_start_cycle(
    c: GCController, stack_size: int, globals_size: int, scannable_frac: float, procs: int
) -> None:
    """export_test.go's GCController.StartCycle."""
    trigger, _ = c.trigger()
    if c.heap_marked > trigger:
        trigger = c.heap_marked
    c.max_stack_scan = stack_size
    c.globals_scan = globals_size
    c.heap_live = trigger
    c.add_heap_scan(int(float(trigger - c.heap_marked) * scannable_frac))
    c.start_cycle(0, procs, TriggerKind.HEAP)


def harness_end_cycle(
    c: GCController, bytes_marked: int, assist_time_ns: int, elapsed_ns: int, procs: int
) -> None:
    """export_test.go's GCController.EndCycle."""
    c.assist_time_ns = assist_time_ns
    c.end_cycle(elapsed_ns, procs, False)
    c.reset_live(bytes_marked)
    c.commit(False)


def do_work(left: list[int], work: int) -> list[int]:
    """The harness's doWork: uses up work on globals, then stacks, then heap (in place)."""
    deltas = [0, 0, 0]
    for k in range(3):
        if left[k] == 0:
            continue
        if left[k] > work:
            deltas[k] += work
            left[k] -= work
            work = 0
            break
        deltas[k] += left[k]
        work -= left[k]
        left[k] = 0
    return deltas


def run_scenario(e: Scenario) -> tuple[GCController, list[CycleResult]]:
    """The body of TestGcPacer's t.Run for one scenario; checks after every cycle."""
    c = GCController(e.gc_percent, e.memory_limit)
    bytes_allocated_black_last = 0
    results: list[CycleResult] = []
    for i in range(e.length):
        alloc_rate, scan_rate, growth_rate, scannable_frac, stack_bytes = e.next()
        harness_start_cycle(c, stack_bytes, e.globals_bytes, scannable_frac, e.n_cores)

        if i == 0:
            next_heap_marked = INITIAL_HEAP_BYTES
        else:
            next_heap_marked = int(float(c.heap_marked - bytes_allocated_black_last) * growth_rate)
        # Work left, in the order doWork consumes it: globals, stacks, heap.
        left = [e.globals_bytes, stack_bytes, int(float(next_heap_marked) * scannable_frac)]

        gc_duration_ns = 0
        assist_time_ns = 0
        bytes_allocated_black = 0
        while sum(left) > 0:
            # Idealised assist pacing: the assist ratio fixes scanned/allocated over a period.
            assist_ratio = c.assist_work_per_byte
            utilization = assist_ratio * alloc_rate / (assist_ratio * alloc_rate + scan_rate)
            if utilization < GC_BACKGROUND_UTILIZATION:
                utilization = GC_BACKGROUND_UTILIZATION
            bytes_scanned = int(scan_rate * RATE_CONV * float(e.n_cores) * utilization)
            bytes_allocated = int(alloc_rate * RATE_CONV * float(e.n_cores) * (1 - utilization))
            globals_scanned, stack_scanned, heap_scanned = do_work(left, bytes_scanned)

            actual_elapsed_ns = REVISE_PERIOD_NS
            actual_allocated = bytes_allocated
            actual_scanned = globals_scanned + stack_scanned + heap_scanned
            if actual_scanned < bytes_scanned:
                # The cycle ends inside this period.
                actual_elapsed_ns = int(
                    float(actual_scanned)
                    * float(REVISE_PERIOD_NS)
                    / (scan_rate * RATE_CONV * float(e.n_cores) * utilization)
                )
                actual_allocated = int(
                    alloc_rate
                    * RATE_CONV
                    * float(actual_elapsed_ns)
                    / float(REVISE_PERIOD_NS)
                    * float(e.n_cores)
                    * (1 - utilization)
                )
            # GCController.Revise.
            c.add_heap_live(actual_allocated)
            c.add_heap_scan(int(float(actual_allocated) * scannable_frac))
            c.add_scan_work(heap=heap_scanned, stack=stack_scanned, globals=globals_scanned)
            c.revise()

            assist_time_ns += int(
                float(actual_elapsed_ns)
                * float(e.n_cores)
                * (utilization - GC_BACKGROUND_UTILIZATION)
            )
            gc_duration_ns += actual_elapsed_ns
            bytes_allocated_black += actual_allocated

        results.append(
            CycleResult(
                cycle=i + 1,
                heap_live=c.heap_marked,
                heap_scannable=int(
                    float(c.heap_marked - bytes_allocated_black_last) * scannable_frac
                ),
                heap_trigger=c.triggered,
                heap_peak=c.heap_live,
                heap_goal=c.heap_goal(),
                gc_utilization=float(assist_time_ns) / (float(gc_duration_ns) * float(e.n_cores))
                + GC_BACKGROUND_UTILIZATION,
            )
        )
        general_checks(results)
        e.checker(results)

        harness_end_cycle(
            c, next_heap_marked + bytes_allocated_black, assist_time_ns, gc_duration_ns, e.n_cores
        )
        bytes_allocated_black_last = bytes_allocated_black
    return c, results


def apply_memory_limit_heap_goal_headroom(goal: int) -> int:
    """The test file's applyMemoryLimitHeapGoalHeadroom."""
    headroom = max(goal // 100 * 3, 1 << 20)
    if goal < headroom or goal - headroom < headroom:
        return headroom
    return goal - headroom


LIM = apply_memory_limit_heap_goal_headroom(512 << 20)

# --- Checkers (§4.2) ------------------------------------------------------------------------

U = GC_GOAL_UTILIZATION


def check_steady(c: list[CycleResult]) -> None:
    n = len(c)
    if n >= 25:
        assert_in_epsilon("GC utilization", c[n - 1].gc_utilization, U, 0.005, n)
        assert_in_epsilon(
            "GC utilization", c[n - 1].gc_utilization, c[n - 2].gc_utilization, 0.005, n
        )
        assert_in_range("goal ratio", c[n - 1].goal_ratio(), 0.95, 1.05, n)


def check_steady_big(c: list[CycleResult]) -> None:
    n = len(c)
    if n >= 25:
        assert_in_epsilon("GC utilization", c[n - 1].gc_utilization, U, 0.005, n)
        assert_in_range("goal ratio", c[n - 1].goal_ratio(), 0.95, 1.05, n)
        assert_in_epsilon(
            "GC utilization", c[n - 1].gc_utilization, c[n - 2].gc_utilization, 0.005, n
        )


def check_step(c: list[CycleResult]) -> None:
    n = len(c)
    if (25 <= n < 50) or n >= 75:
        assert_in_epsilon(
            "GC utilization", c[n - 1].gc_utilization, c[n - 2].gc_utilization, 0.005, n
        )
        assert_in_range("goal ratio", c[n - 1].goal_ratio(), 0.95, 1.05, n)


def check_high_gogc(c: list[CycleResult]) -> None:
    n = len(c)
    if n > 12:
        if n == 26:
            # The heap grows 15x here: overshoot is allowed, but never beyond the next GOGC.
            assert_in_range("goal ratio", c[n - 1].goal_ratio(), 0.90, 15, n)
        else:
            assert_in_range("goal ratio", c[n - 1].goal_ratio(), 0.90, 1.05, n)
        assert_in_epsilon("GC utilization", c[n - 1].gc_utilization, U, U + 0.03, n)
        assert_in_epsilon(
            "GC utilization", c[n - 1].gc_utilization, c[n - 2].gc_utilization, 0.03, n
        )


def check_osc(c: list[CycleResult]) -> None:
    n = len(c)
    if n > 12:
        assert_in_range("goal ratio", c[n - 1].goal_ratio(), 0.95, 1.05, n)
        assert_in_range("GC utilization", c[n - 1].gc_utilization, 0.25, 0.3, n)


def check_jitter(c: list[CycleResult]) -> None:
    n = len(c)
    if n > 12:
        assert_in_range("goal ratio", c[n - 1].goal_ratio(), 0.95, 1.025, n)
        assert_in_range("GC utilization", c[n - 1].gc_utilization, 0.25, 0.275, n)


def check_heavy_jitter(c: list[CycleResult]) -> None:
    n = len(c)
    if n > 13:
        assert_in_range("goal ratio", c[n - 1].goal_ratio(), 0.95, 1.05, n)
        assert_in_epsilon(
            "GC utilization", c[n - 1].gc_utilization, c[n - 2].gc_utilization, 0.05, n
        )
        assert_in_epsilon("GC utilization", c[n - 1].gc_utilization, c[11].gc_utilization, 0.05, n)


def _check_settled_utilization(c: list[CycleResult], n: int) -> None:
    assert_in_epsilon("GC utilization", c[n - 1].gc_utilization, U, 0.005, n)
    assert_in_epsilon("GC utilization", c[n - 1].gc_utilization, c[n - 2].gc_utilization, 0.05, n)
    assert_in_epsilon("GC utilization", c[n - 1].gc_utilization, c[11].gc_utilization, 0.05, n)


def make_check_slow_alloc(first: int) -> Checker:
    """SmallHeapSlowAlloc (first=4) and MediumHeapSlowAlloc (first=9)."""

    def check(c: list[CycleResult]) -> None:
        n = len(c)
        if n > first:
            assert_in_range("goal ratio", c[n - 1].goal_ratio(), 0.925, 1.025, n)
            assert_in_range("trigger ratio", c[n - 1].trigger_ratio(), 0.925, 0.975, n)
        if n > 25:
            _check_settled_utilization(c, n)

    return check


def check_large_heap_slow_alloc(c: list[CycleResult]) -> None:
    n = len(c)
    if n > 13:
        assert_in_range("goal ratio", c[n - 1].goal_ratio(), 0.95, 1.05, n)
        assert_in_range(
            "runway",
            c[n - 1].runway(),
            DEFAULT_HEAP_MINIMUM_BYTES - 64 * KIB,
            DEFAULT_HEAP_MINIMUM_BYTES + 64 * KIB,
            n,
        )
    if n > 25:
        _check_settled_utilization(c, n)


def check_steady_memory_limit(c: list[CycleResult]) -> None:
    n = len(c)
    assert c[n - 1].heap_peak < LIM, f"cycle {n}: peak heap size reaches heap limit"
    check_steady(c)


def check_steady_memory_limit_no_gc_percent(c: list[CycleResult]) -> None:
    n = len(c)
    assert c[n - 1].heap_goal == LIM, f"cycle {n}: heap goal is not the heap limit"
    check_steady(c)


def _check_exceed_tail(c: list[CycleResult], n: int) -> None:
    if n > 12:
        assert c[n - 1].heap_goal == c[n - 1].heap_live, (
            f"cycle {n}: heap goal is not equal to live heap: "
            f"{c[n - 1].heap_goal} != {c[n - 1].heap_live}"
        )
    if n >= 25:
        assert_in_epsilon("GC utilization", c[n - 1].gc_utilization, 1.0, 0.005, n)
        assert_in_epsilon(
            "GC utilization", c[n - 1].gc_utilization, c[n - 2].gc_utilization, 0.005, n
        )


def check_exceed_memory_limit(c: list[CycleResult]) -> None:
    _check_exceed_tail(c, len(c))


def check_exceed_memory_limit_no_gc_percent(c: list[CycleResult]) -> None:
    n = len(c)
    if n < 10:
        assert c[n - 1].heap_goal == LIM, f"cycle {n}: heap goal is not the heap limit"
    _check_exceed_tail(c, n)


def check_maintain_memory_limit(c: list[CycleResult]) -> None:
    n = len(c)
    if n > 12:
        assert c[n - 1].heap_goal == LIM, f"cycle {n}: heap goal is not the heap limit"
    check_steady(c)


def check_maintain_memory_limit_no_gc_percent(c: list[CycleResult]) -> None:
    n = len(c)
    assert c[n - 1].heap_goal == LIM, f"cycle {n}: heap goal is not the heap limit"
    check_steady(c)


# --- Scenarios (§4.1) -----------------------------------------------------------------------


def growth(start: float, length: int) -> Stream:
    """constant(start).sum(ramp(1-start, length)): start, falling to 1.0 at cycle length+1."""
    return ssum(constant(start), ramp(1.0 - start, length))


def scenario(
    name: str,
    checker: Checker,
    *,
    gc_percent: int = 100,
    memory_limit: int = MAX_INT64,
    globals_bytes: int = 32 << 10,
    alloc_rate: Stream | None = None,
    scan_rate: float = 1024.0,
    growth_rate: Stream | None = None,
    scannable_frac: Stream | None = None,
    stack_bytes: Stream | None = None,
    length: int = 50,
) -> Scenario:
    return Scenario(
        name=name,
        gc_percent=gc_percent,
        memory_limit=memory_limit,
        globals_bytes=globals_bytes,
        n_cores=8,
        alloc_rate=alloc_rate or constant(33.0),
        scan_rate=constant(scan_rate),
        growth_rate=growth_rate or growth(2.0, 12),
        scannable_frac=scannable_frac or constant(1.0),
        stack_bytes=stack_bytes or constant(8192),
        length=length,
        checker=checker,
    )


def deterministic_scenarios() -> dict[str, Callable[[], Scenario]]:
    """Factories (streams carry state, so each run needs fresh ones)."""
    lim = 512 << 20
    return {
        "Steady": lambda: scenario("Steady", check_steady),
        "SteadyBigStacks": lambda: scenario(
            "SteadyBigStacks",
            check_steady_big,
            alloc_rate=constant(132.0),
            stack_bytes=ssum(constant(2048), ramp(128 << 20, 8)),
        ),
        "SteadyBigGlobals": lambda: scenario(
            "SteadyBigGlobals",
            check_steady_big,
            globals_bytes=128 << 20,
            alloc_rate=constant(132.0),
        ),
        "StepAlloc": lambda: scenario(
            "StepAlloc",
            check_step,
            length=100,
            alloc_rate=ssum(constant(33.0), delay(ramp(66.0, 1), 50)),
        ),
        "HeavyStepAlloc": lambda: scenario(
            "HeavyStepAlloc",
            check_step,
            length=100,
            alloc_rate=ssum(constant(33), delay(ramp(330, 1), 50)),
        ),
        "StepScannableFrac": lambda: scenario(
            "StepScannableFrac",
            check_step,
            length=100,
            alloc_rate=constant(128.0),
            scannable_frac=ssum(constant(0.2), delay(unit(0.5), 50)),
        ),
        "OscAlloc": lambda: scenario(
            "OscAlloc", check_osc, alloc_rate=offset(oscillate(13, 0, 8), 67)
        ),
        "SmallHeapSlowAlloc": lambda: scenario(
            "SmallHeapSlowAlloc",
            make_check_slow_alloc(4),
            alloc_rate=constant(1.0),
            scan_rate=2048.0,
            growth_rate=growth(2.0, 3),
            scannable_frac=constant(0.01),
        ),
        "MediumHeapSlowAlloc": lambda: scenario(
            "MediumHeapSlowAlloc",
            make_check_slow_alloc(9),
            alloc_rate=constant(1.0),
            scan_rate=2048.0,
            growth_rate=growth(2.0, 8),
            scannable_frac=constant(0.01),
        ),
        "LargeHeapSlowAlloc": lambda: scenario(
            "LargeHeapSlowAlloc",
            check_large_heap_slow_alloc,
            alloc_rate=constant(1.0),
            scan_rate=2048.0,
            growth_rate=growth(4.0, 12),
            scannable_frac=constant(0.01),
        ),
        "SteadyMemoryLimit": lambda: scenario(
            "SteadyMemoryLimit", check_steady_memory_limit, memory_limit=lim
        ),
        "SteadyMemoryLimitNoGCPercent": lambda: scenario(
            "SteadyMemoryLimitNoGCPercent",
            check_steady_memory_limit_no_gc_percent,
            gc_percent=-1,
            memory_limit=lim,
        ),
        "ExceedMemoryLimit": lambda: scenario(
            "ExceedMemoryLimit",
            check_exceed_memory_limit,
            memory_limit=lim,
            growth_rate=growth(3.5, 12),
        ),
        "ExceedMemoryLimitNoGCPercent": lambda: scenario(
            "ExceedMemoryLimitNoGCPercent",
            check_exceed_memory_limit_no_gc_percent,
            gc_percent=-1,
            memory_limit=lim,
            growth_rate=growth(3.5, 12),
        ),
        "MaintainMemoryLimit": lambda: scenario(
            "MaintainMemoryLimit",
            check_maintain_memory_limit,
            memory_limit=lim,
            growth_rate=growth(3.0, 12),
        ),
        "MaintainMemoryLimitNoGCPercent": lambda: scenario(
            "MaintainMemoryLimitNoGCPercent",
            check_maintain_memory_limit_no_gc_percent,
            gc_percent=-1,
            memory_limit=lim,
            growth_rate=growth(3.0, 12),
        ),
    }


def seed_for(go_seed: int, k: int) -> int:
    """Python seed for Go's stream seed go_seed in run k (distinct per stream and run)."""
    return go_seed * 1000 + k


def random_scenarios(k: int) -> dict[str, Scenario]:
    """The three random scenarios with Python's streams, run k of them."""
    return random_scenarios_with(lambda amp, go_seed: rand_stream(amp, seed_for(go_seed, k)))


def go_random_scenarios() -> dict[str, Scenario]:
    """The three random scenarios exactly as Go's test runs them (its seeds, its streams)."""
    return random_scenarios_with(go_stream)


def random_scenarios_with(stream: Callable[[float, int], Stream]) -> dict[str, Scenario]:
    """stream(amp, go_seed): the noise Go draws as random(amp, go_seed)."""
    return {
        "HighGOGC": scenario(
            "HighGOGC",
            check_high_gogc,
            gc_percent=1500,
            alloc_rate=offset(stream(7, 0x53), 165),
            growth_rate=ssum(
                constant(2.0),
                ramp(-1.0, 12),
                stream(0.01, 0x1),
                delay(unit(14), 25),
            ),
        ),
        "JitterAlloc": scenario(
            "JitterAlloc",
            check_jitter,
            alloc_rate=offset(stream(13, 0xF), 132),
            growth_rate=ssum(constant(2.0), ramp(-1.0, 12), stream(0.01, 0xE)),
        ),
        "HeavyJitterAlloc": scenario(
            "HeavyJitterAlloc",
            check_heavy_jitter,
            alloc_rate=offset(stream(33.0, 0x0), 330),
            growth_rate=ssum(constant(2.0), ramp(-1.0, 12), stream(0.01, 0x152)),
        ),
    }


DETERMINISTIC = deterministic_scenarios()


@pytest.mark.parametrize("name", list(DETERMINISTIC))
def test_gc_pacer_deterministic(name: str) -> None:
    _, results = run_scenario(DETERMINISTIC[name]())
    assert len(results) == DETERMINISTIC[name]().length


RANDOM_NAMES = ["HighGOGC", "JitterAlloc", "HeavyJitterAlloc"]


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_gc_pacer_random_with_gos_streams(name: str) -> None:
    """Go's TestGcPacer case itself: the same seeds and math/rand's values, the same checks."""
    _, results = run_scenario(go_random_scenarios()[name])
    assert len(results) == 50


@pytest.mark.parametrize(
    ("name", "seed"),
    [
        pytest.param(
            name,
            seed,
            marks=[
                pytest.mark.xfail(
                    strict=True, raises=RangeError, reason="stream jump; see KNOWN_STREAM_MISSES"
                )
            ]
            if (name, seed) in KNOWN_STREAM_MISSES
            else [],
        )
        for name in RANDOM_NAMES
        for seed in RANDOM_SEEDS
    ],
)
def test_gc_pacer_random(name: str, seed: int) -> None:
    _, results = run_scenario(random_scenarios(seed)[name])
    assert len(results) == 50


@pytest.mark.slow
def test_random_scenario_failures_are_rare_near_misses() -> None:
    """Over 100 seeds per random scenario, at most 3 runs miss a bound, and only a GC
    utilization bound, by less than 0.01 (Go's own run is one fixed seed that passes)."""
    for name in RANDOM_NAMES:
        misses: list[RangeError] = []
        for seed in range(100):
            try:
                run_scenario(random_scenarios(seed)[name])
            except RangeError as err:
                misses.append(err)
        assert len(misses) <= 3, (name, [str(m) for m in misses])
        for m in misses:
            assert m.name == "GC utilization" and m.miss() < 0.01, (name, str(m))


def test_all_19_scenarios_are_covered() -> None:
    assert len(DETERMINISTIC) + len(random_scenarios(0)) == 19


# --- Reference values (pacer-scenarios.md §1 worked example and §7) -------------------------


def test_first_cycle_trigger_and_goal_gogc_100() -> None:
    c = GCController(100, MAX_INT64)
    assert c.trigger() == (3997696, 4194304)
    assert c.heap_goal() == 4194304
    _, results = run_scenario(DETERMINISTIC["Steady"]())
    assert results[0].heap_trigger == 3997696
    assert results[0].heap_goal == 4194304


def test_first_cycle_trigger_and_goal_gogc_off_with_limit() -> None:
    c = GCController(-1, 512 << 20)
    assert LIM == 520764785
    assert c.trigger() == (516570481, 520764785)
    assert 520764785 - DEFAULT_HEAP_MINIMUM_BYTES == 516570481
    _, results = run_scenario(DETERMINISTIC["SteadyMemoryLimitNoGCPercent"]())
    assert (results[0].heap_trigger, results[0].heap_goal) == (516570481, 520764785)


def test_steady_final_goal() -> None:
    _, results = run_scenario(DETERMINISTIC["Steady"]())
    assert results[-1].heap_goal == 41813836
    assert results[-1].gc_utilization == pytest.approx(0.25, abs=5e-5)


def test_exceed_memory_limit_final_goal() -> None:
    _, results = run_scenario(DETERMINISTIC["ExceedMemoryLimit"]())
    assert results[-1].heap_goal == 1174734432
    assert results[-1].heap_goal == results[-1].heap_live
    assert results[-1].gc_utilization == pytest.approx(1.0, abs=5e-4)


def test_large_heap_slow_alloc_final_goal_magnitude() -> None:
    _, results = run_scenario(DETERMINISTIC["LargeHeapSlowAlloc"]())
    assert results[-1].heap_goal == pytest.approx(6.81e9, rel=0.01)


def test_a_broken_pacer_fails_the_harness(monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness can fail: a pacer that ignores cons/mark (zero runway) misses Steady."""
    monkeypatch.setattr(GCController, "commit", _commit_without_runway)
    with pytest.raises(RangeError):
        run_scenario(DETERMINISTIC["Steady"]())


_real_commit = GCController.commit


def _commit_without_runway(self: GCController, is_sweep_done: bool) -> None:
    _real_commit(self, is_sweep_done)
    self.runway = 0
