"""The GC CPU limiter: Go's TestGCCPULimiter (mgclimit_test.go; pacer-scenarios.md §6) and
properties of the bucket (simcore.limiter.GCCPULimiter)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from simcore.limiter import (
    CAPACITY_PER_PROC_NS,
    GC_CPU_LIMITER_UPDATE_PERIOD_NS,
    GCCPULimiter,
)
from simcore.pacer import GC_BACKGROUND_UTILIZATION

MS = 1_000_000
US = 1_000
SECOND = 1_000_000_000
HOUR = 3600 * SECOND

# --- TestGCCPULimiter -----------------------------------------------------------------------


def test_gc_cpu_limiter() -> None:
    procs = 14
    ticks = 0

    def advance(d: int) -> int:
        nonlocal ticks
        ticks += d
        return ticks

    def assist_time(d: int, frac: float) -> int:
        return int(frac * float(d) * procs)

    bg = GC_BACKGROUND_UTILIZATION
    lim = GCCPULimiter(ticks, procs)
    base_overflow = 0  # overflow keeps accumulating across iterations
    for _ in range(2):
        assert lim.capacity_ns == procs * CAPACITY_PER_PROC_NS
        assert lim.fill_ns == 0, "expected empty bucket to start"

        # Filling the bucket with just mutator time.
        lim.update(advance(10 * MS))
        lim.update(advance(1 * SECOND))
        lim.update(advance(1 * HOUR))
        assert lim.fill_ns == 0

        # needUpdate.
        assert not lim.need_update(advance(GC_CPU_LIMITER_UPDATE_PERIOD_NS // 2))
        assert lim.need_update(advance(GC_CPU_LIMITER_UPDATE_PERIOD_NS))
        lim.update(advance(0))
        assert not lim.need_update(advance(0))

        # Transitioning the bucket to enable the GC: the STW is all GC time.
        lim.start_gc_transition(True, advance(109 * MS))
        lim.finish_gc_transition(advance(2 * MS + 1 * US))
        assert lim.fill_ns == (2 * MS + 1 * US) * procs == 28_014_000

        # Time without assists during a GC drains window*(1-2*0.25): down to exactly procs.
        factor = 1 / (1 - 2 * bg)
        fill = (2 * MS + 1 * US) * procs
        lim.update(advance(int(factor * float(fill - procs) / procs)))
        assert lim.fill_ns == procs

        # Drain to zero for the rest of the test.
        lim.update(advance(2 * procs * CAPACITY_PER_PROC_NS))
        assert lim.fill_ns == 0

        # 50% total GC work does not move the bucket.
        lim.add_assist_time(assist_time(10 * MS, 0.5 - bg))
        lim.update(advance(10 * MS))
        assert lim.fill_ns == 0

        # 100% GC work fills it.
        lim.add_assist_time(assist_time(1 * MS, 1.0 - bg))
        lim.update(advance(1 * MS))
        assert lim.fill_ns == procs * MS
        assert not lim.limiting

        # Filling the bucket exactly full.
        lim.add_assist_time(assist_time(CAPACITY_PER_PROC_NS - 1 * MS, 1.0 - bg))
        lim.update(advance(CAPACITY_PER_PROC_NS - 1 * MS))
        assert lim.fill_ns == lim.capacity_ns
        assert lim.limiting
        assert lim.overflow_ns == base_overflow

        # A change of exactly zero (GC at 50%): still limiting, no overflow.
        lim.add_assist_time(assist_time(1 * SECOND, 0.5 - bg))
        lim.update(advance(1 * SECOND))
        assert lim.fill_ns == lim.capacity_ns
        assert lim.limiting
        assert lim.overflow_ns == base_overflow

        # Draining by half.
        lim.add_assist_time(assist_time(CAPACITY_PER_PROC_NS, 0))
        lim.update(advance(CAPACITY_PER_PROC_NS))
        assert lim.fill_ns == lim.capacity_ns // 2
        assert not lim.limiting

        # Overfilling.
        lim.add_assist_time(assist_time(CAPACITY_PER_PROC_NS, 1.0 - bg))
        lim.update(advance(CAPACITY_PER_PROC_NS))
        assert lim.fill_ns == lim.capacity_ns
        assert lim.limiting
        assert lim.overflow_ns == CAPACITY_PER_PROC_NS * procs // 2 + base_overflow

        # Ending the cycle with assists left over.
        lim.add_assist_time(assist_time(1 * MS, 1.0 - bg))
        lim.start_gc_transition(False, advance(1 * MS))
        assert lim.fill_ns == lim.capacity_ns
        assert lim.limiting
        assert lim.overflow_ns == (CAPACITY_PER_PROC_NS // 2 + 1 * MS) * procs + base_overflow

        # The STW adds to the bucket.
        lim.finish_gc_transition(advance(5 * MS))
        assert lim.fill_ns == lim.capacity_ns
        assert lim.limiting
        expect_overflow = (CAPACITY_PER_PROC_NS // 2 + 6 * MS) * procs + base_overflow
        assert lim.overflow_ns == expect_overflow

        # Resizing procs up stops limiting.
        expect_fill = lim.capacity_ns
        lim.reset_capacity(advance(0), procs + 10)
        assert lim.fill_ns == expect_fill
        assert not lim.limiting
        assert lim.overflow_ns == expect_overflow

        # Resizing procs down starts it again; overflow is unchanged.
        lim.reset_capacity(advance(0), procs - 10)
        assert lim.fill_ns == lim.capacity_ns == 4 * CAPACITY_PER_PROC_NS
        assert lim.limiting
        assert lim.overflow_ns == expect_overflow

        # Back to a zero state; the top of the loop checks it.
        lim.reset_capacity(advance(CAPACITY_PER_PROC_NS * procs), procs)
        base_overflow += (CAPACITY_PER_PROC_NS // 2 + 6 * MS) * procs
    assert lim.overflow_ns == base_overflow


# --- Transitions and bookkeeping ------------------------------------------------------------


def test_transition_misuse_throws_and_updates_during_stw_are_dropped() -> None:
    lim = GCCPULimiter(0, 4)
    with pytest.raises(RuntimeError):
        lim.finish_gc_transition(10)
    with pytest.raises(RuntimeError):
        lim.start_gc_transition(False, 10)  # already disabled
    lim.start_gc_transition(True, 10)
    lim.add_assist_time(1000)
    lim.update(20)  # the lock is held during the STW: dropped
    assert lim.last_update_ns == 10 and lim.assist_time_pool_ns == 1000
    with pytest.raises(RuntimeError):
        lim.reset_capacity(20, 8)
    lim.finish_gc_transition(30)
    assert lim.fill_ns == 20 * 4
    lim.update(40)
    assert lim.assist_time_pool_ns == 0


def test_idle_time_is_excluded_from_the_window() -> None:
    lim = GCCPULimiter(0, 4)
    lim.start_gc_transition(True, 0)
    lim.finish_gc_transition(0)
    # 10 ms on 4 Ps; 3 Ps idle the whole time, the fourth runs the 25% background worker.
    lim.add_idle_time(3 * 10 * MS)
    lim.update(10 * MS)
    assert lim.last_window_ns == 10 * MS
    assert lim.last_window_gc_ns == 10 * MS
    assert lim.gc_cpu_fraction == 1.0
    assert lim.fill_ns == 10 * MS  # change = gc - mutator = 10 ms - 0


def test_limiting_time_and_last_enabled_cycle() -> None:
    lim = GCCPULimiter(0, 2)
    lim.num_gc = 6
    lim.start_gc_transition(True, 0)
    lim.finish_gc_transition(SECOND)  # a 1 s STW fills 2 CPU-s: limiting from t = 1 s
    assert lim.limiting and lim.last_enabled_cycle == 7
    assert lim.limiting_total_ns(SECOND + 5 * MS) == 5 * MS
    lim.update(SECOND + 20 * MS)  # 25% GC only: drains, limiting stops at 1.02 s
    assert not lim.limiting
    assert lim.limiting_total_ns(5 * SECOND) == 20 * MS


# --- Properties -----------------------------------------------------------------------------

events = st.lists(
    st.one_of(
        st.tuples(st.just("update"), st.integers(0, 50 * MS), st.integers(0, 1 << 40)),
        st.tuples(st.just("assist"), st.integers(0, 1 << 36), st.integers(0, 0)),
        st.tuples(st.just("idle"), st.integers(0, 1 << 36), st.integers(0, 0)),
        st.tuples(st.just("gc"), st.integers(0, 5 * MS), st.integers(0, 0)),
        st.tuples(st.just("resize"), st.integers(0, 50 * MS), st.integers(1, 64)),
    ),
    max_size=60,
)


@settings(max_examples=300)
@given(st.integers(1, 64), events)
def test_bucket_invariants_under_arbitrary_use(procs: int, evs: list[tuple[str, int, int]]) -> None:
    """Arbitrary (even inconsistent) inputs: never above 100% GC CPU, fill within [0,
    capacity], overflow never shrinks, limiting only with a full bucket."""
    lim = GCCPULimiter(0, procs)
    now = 0
    for kind, a, _b in evs:
        overflow = lim.overflow_ns
        if kind == "update":
            now += a
            lim.update(now)
        elif kind == "assist":
            lim.add_assist_time(a)
        elif kind == "idle":
            lim.add_idle_time(a)
        elif kind == "gc":
            lim.start_gc_transition(not lim.gc_enabled, now)
            now += a
            lim.finish_gc_transition(now)
        else:
            now += a
            if lim.gc_enabled:
                lim.start_gc_transition(False, now)
                lim.finish_gc_transition(now)
            lim.reset_capacity(now, _b)
        assert 0.0 <= lim.gc_cpu_fraction <= 1.0
        assert 0 <= lim.fill_ns <= lim.capacity_ns
        assert lim.overflow_ns >= overflow
        if lim.limiting:
            assert lim.fill_ns == lim.capacity_ns
        assert 0 <= lim.limiting_total_ns(now) <= now


@given(
    procs=st.integers(1, 64),
    steps=st.lists(
        st.tuples(st.integers(1, 20 * MS), st.floats(0, 0.75), st.floats(0, 1)), max_size=30
    ),
)
# A 1 ns window on one P, all of it idle: nothing left to divide by (found by hypothesis).
@example(procs=1, steps=[(1, 0.0, 1.0)])
def test_gc_fraction_of_consistent_windows(
    procs: int, steps: list[tuple[int, float, float]]
) -> None:
    """With physically consistent inputs (assists and idle time fit in what background marking
    leaves), each window reports exactly (assist + 25%) / non-idle time, at most 100%."""
    lim = GCCPULimiter(0, procs)
    lim.start_gc_transition(True, 0)
    lim.finish_gc_transition(0)
    now = 0
    for dt, assist_frac, idle_share in steps:
        window = dt * procs
        assist = int(assist_frac * window)
        idle = int(idle_share * (window - int(window * 0.25) - assist))
        lim.add_assist_time(assist)
        lim.add_idle_time(idle)
        now += dt
        lim.update(now)
        gc = assist + int(float(window) * 0.25)
        assert lim.last_window_gc_ns == gc
        assert lim.last_window_ns == window - idle
        if window > idle:
            assert lim.gc_cpu_fraction == pytest.approx(gc / (window - idle))
        else:  # an all-idle window: no GC time in it either, and the fraction is 0
            assert gc == 0 and lim.gc_cpu_fraction == 0.0
        assert lim.gc_cpu_fraction <= 1.0


def drive(procs: int, assist_frac: float, seconds: float, dt: int) -> tuple[float, int, int]:
    """Drives a full bucket under sustained assist demand, the way the runtime does.

    Assists (assist_frac of GOMAXPROCS, on top of the 25% background workers) run only while
    the limiter is not limiting, and each assist flush updates the limiter (gcAssistAlloc
    calls update past gcAssistTimeSlack). While limiting, assists are skipped and only the
    worker scheduler's periodic check updates it (findRunnableGCWorker: needUpdate, 10 ms).
    Returns (true GC CPU fraction, ns spent limiting per the driver, per the limiter).
    """
    lim = GCCPULimiter(0, procs)
    lim.start_gc_transition(True, 0)
    lim.finish_gc_transition(SECOND)  # a 1 s STW fills the bucket: start full
    assert lim.limiting
    now = SECOND
    gc_ns = total_ns = limited_ns = 0
    while now < SECOND + int(seconds * SECOND):
        background = int(dt * procs * GC_BACKGROUND_UTILIZATION)
        if lim.limiting:
            limited_ns += dt
            gc_ns += background
            now += dt
            if lim.need_update(now):
                lim.update(now)
        else:
            assist = int(assist_frac * dt * procs)
            gc_ns += background + assist
            lim.add_assist_time(assist)
            now += dt
            lim.update(now)
        total_ns += dt * procs
    return gc_ns / total_ns, limited_ns, lim.limiting_total_ns(now)


@settings(max_examples=15, deadline=None)
@given(procs=st.integers(1, 32), assist_frac=st.floats(0.3, 0.75))
def test_sustained_gc_demand_settles_near_half(procs: int, assist_frac: float) -> None:
    """Assists wanting 30-75% of the CPU (55-100% GC in all) are held to about 50%."""
    fraction, limited_ns, reported_ns = drive(procs, assist_frac, 1.5, 100 * US)
    assert fraction == pytest.approx(0.5, abs=0.02)
    assert reported_ns == limited_ns > 0


def test_sustained_demand_at_75_percent_assists() -> None:
    fraction, limited_ns, _ = drive(8, 0.75, 3.0, 50 * US)
    assert fraction == pytest.approx(0.5, abs=0.01)
    # 10 ms limited (25% GC) alternates with ~5 ms at 100%: limiting about 2/3 of the time.
    assert limited_ns / (3.0 * SECOND) == pytest.approx(2 / 3, abs=0.02)


@settings(max_examples=10, deadline=None)
@given(procs=st.integers(1, 32), assist_frac=st.floats(0.0, 0.2))
def test_demand_below_half_is_never_limited_once_drained(procs: int, assist_frac: float) -> None:
    fraction, limited_ns, _ = drive(procs, assist_frac, 1.5, 100 * US)
    assert limited_ns <= 10 * MS + 100 * US  # only the first check after the full start
    assert fraction == pytest.approx(0.25 + assist_frac, abs=0.01)
