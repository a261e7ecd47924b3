"""Properties and hand-computed values of the pacer (simcore.pacer.GCController)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simcore.pacer import (
    DEFAULT_HEAP_MINIMUM_BYTES,
    MAX_INT64,
    MAX_UINT64,
    GCController,
    TriggerKind,
)

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30

# --- Trigger and goal bounds ----------------------------------------------------------------

byte_counts = st.integers(min_value=0, max_value=1 << 44)
limits = st.one_of(st.just(MAX_INT64), st.integers(min_value=0, max_value=1 << 45))
cons_marks = st.one_of(
    st.floats(min_value=0.0, max_value=1e6),
    st.floats(min_value=0.0, allow_infinity=True),
    st.just(math.nan),
)


@st.composite
def pacer_states(draw: st.DrawFn) -> GCController:
    """A controller after some commit, with arbitrary inputs; sometimes in a mark phase."""
    c = GCController(draw(st.integers(min_value=-5, max_value=5000)), draw(limits))
    c.heap_marked = draw(byte_counts)
    c.heap_live = c.heap_marked + draw(byte_counts)
    c.last_heap_scan = draw(st.integers(min_value=0, max_value=c.heap_marked))
    c.last_stack_scan = draw(byte_counts)
    c.globals_scan = draw(byte_counts)
    c.cons_mark = draw(cons_marks)
    # Runtime memory statistics (mappedReady >= heapFree + heapAlloc always holds in Go).
    c.total_free_bytes = draw(byte_counts)
    c.total_alloc_bytes = c.total_free_bytes + draw(byte_counts)
    c.heap_free_bytes = draw(byte_counts)
    c.mapped_ready_bytes = (
        c.heap_free_bytes + c.total_alloc_bytes - c.total_free_bytes + draw(byte_counts)
    )
    c.commit(is_sweep_done=draw(st.booleans()))
    if draw(st.booleans()):
        c.heap_scan = draw(byte_counts)
        c.start_cycle(0, draw(st.integers(min_value=1, max_value=64)), TriggerKind.HEAP)
    return c


@settings(max_examples=400)
@given(pacer_states())
def test_trigger_lies_between_heap_marked_and_goal(c: GCController) -> None:
    trigger, goal = c.trigger()
    assert c.heap_marked <= trigger <= goal
    assert goal == c.heap_goal()


@settings(max_examples=400)
@given(pacer_states())
def test_goal_is_never_below_heap_marked(c: GCController) -> None:
    assert c.heap_goal() >= c.heap_marked
    assert c.heap_goal_internal()[1] <= c.heap_goal()
    assert c.memory_limit_heap_goal() >= c.heap_marked


@settings(max_examples=200)
@given(pacer_states())
def test_trigger_clamps(c: GCController) -> None:
    """trigger is within [45/64, max(61/64, goal-4MiB)] of the way from heapMarked to goal."""
    trigger, goal = c.trigger()
    if goal <= c.heap_marked:
        assert trigger == goal
        return
    d = goal - c.heap_marked
    lo = d // 64 * 45 + c.heap_marked
    hi = d // 64 * 61 + c.heap_marked
    if goal > DEFAULT_HEAP_MINIMUM_BYTES:
        hi = max(hi, goal - DEFAULT_HEAP_MINIMUM_BYTES)
    assert trigger >= lo
    assert trigger <= max(hi, lo, c.heap_goal_internal()[1])


@settings(max_examples=200)
@given(pacer_states())
def test_assist_ratio_is_positive_and_reciprocal(c: GCController) -> None:
    c.revise()
    assert c.assist_work_per_byte > 0 and c.assist_bytes_per_work > 0
    assert c.assist_work_per_byte * c.assist_bytes_per_work == pytest.approx(1.0)


# --- Settings -------------------------------------------------------------------------------


def test_gc_percent_settings() -> None:
    c = GCController(100, MAX_INT64)
    assert c.heap_minimum == 4 * MIB
    assert c.set_gc_percent(200) == 100
    assert c.heap_minimum == 8 * MIB
    c.set_gc_percent(0)
    assert c.heap_minimum == 0
    assert c.set_gc_percent(-7) == 0
    assert c.gc_percent == -1
    # uint64(-1) wraps in Go: 4 MiB * (2**64-1) mod 2**64 / 100. Never used, but Go's value.
    assert c.heap_minimum == (2**64 - 4 * MIB) // 100
    c.commit(True)
    assert c.gc_percent_heap_goal == MAX_UINT64


def test_memory_limit_settings() -> None:
    c = GCController(100, 512 * MIB)
    assert c.set_memory_limit(-1) == 512 * MIB  # negative: only a query
    assert c.memory_limit == 512 * MIB
    assert c.set_memory_limit(MAX_INT64) == 512 * MIB
    assert c.memory_limit == MAX_INT64


def test_goal_includes_stacks_and_globals() -> None:
    c = GCController(100, MAX_INT64)
    c.heap_marked, c.last_stack_scan, c.globals_scan = 100 * MIB, 10 * MIB, 6 * MIB
    c.commit(True)
    assert c.heap_goal() == 100 * MIB + 116 * MIB
    c.set_gc_percent(50)
    c.commit(True)
    assert c.heap_goal() == 100 * MIB + 58 * MIB


def test_sweep_distance_raises_goal_only_when_not_memory_limited() -> None:
    c = GCController(100, MAX_INT64)
    c.heap_marked = c.heap_live = 10 * MIB
    c.commit(False)  # sweeping unfinished: goal >= heapLive + 1 MiB
    assert c.sweep_dist_min_trigger == 11 * MIB
    assert c.heap_goal() == 20 * MIB
    c.heap_live = 30 * MIB
    c.commit(False)
    assert c.heap_goal() == 31 * MIB
    assert c.trigger() == (31 * MIB, 31 * MIB)
    c.set_memory_limit(16 * MIB)
    c.commit(False)
    lim_goal = 16 * MIB - max(16 * MIB // 100 * 3, MIB)
    assert c.heap_goal() == lim_goal  # the sweep distance is ignored when memory-limited


def test_memory_limit_goal_with_non_heap_memory() -> None:
    c = GCController(100, 200 * MIB)
    c.mapped_ready_bytes = 100 * MIB
    c.heap_free_bytes = 10 * MIB
    c.total_alloc_bytes, c.total_free_bytes = 80 * MIB, 30 * MIB
    goal = 200 * MIB - 40 * MIB  # non-heap = 100 - 10 - 50
    assert c.memory_limit_heap_goal() == goal - goal // 100 * 3
    c.mapped_ready_bytes = 300 * MIB  # 100 MiB over the limit
    non_heap, overage = 300 * MIB - 60 * MIB, 100 * MIB
    assert non_heap + overage >= 200 * MIB
    c.heap_marked = 5 * MIB
    assert c.memory_limit_heap_goal() == 5 * MIB
    c.total_alloc_bytes = 10**12
    with pytest.raises(RuntimeError, match="inconsistent"):
        c.memory_limit_heap_goal()


def test_small_memory_limit_uses_minimum_headroom() -> None:
    c = GCController(-1, 3 * MIB // 2)
    assert c.memory_limit_heap_goal() == MIB  # goal - 1 MiB < 1 MiB: goal = headroom
    c.set_memory_limit(20 * MIB)
    assert c.memory_limit_heap_goal() == 19 * MIB


def test_infinite_cons_mark_gives_lowest_trigger() -> None:
    c = GCController(100, MAX_INT64)
    c.heap_marked = c.last_heap_scan = 100 * MIB
    c.cons_mark = math.inf
    c.commit(True)
    assert c.runway == 1 << 63  # uint64(+Inf) on amd64
    assert c.trigger() == (100 * MIB // 64 * 45 + 100 * MIB, 200 * MIB)  # the 45/64 bound
    c.cons_mark = math.nan
    c.commit(True)
    assert c.runway == 1 << 63  # uint64(NaN) on amd64


# --- Workers --------------------------------------------------------------------------------

# From pacer-scenarios' reference §7.6.
REFERENCE_SPLIT = {
    1: (0, 0.25),
    2: (0, 0.25),
    3: (0, 0.25),
    4: (1, 0.0),
    5: (1, 0.0),
    6: (1, 0.5 / 6),
    7: (2, 0.0),
    8: (2, 0.0),
    9: (2, 0.0),
    10: (3, 0.0),
    12: (3, 0.0),
    16: (4, 0.0),
}
# Every n, by hand: total = n/4, d = int(total + 0.5); if |d/total - 1| > 0.3 then d drops
# by one when above total, and the fraction (total-d)/n goes to fractional workers.
#  n  total  int(total+.5)  d/total-1   -> (dedicated, fractional)
#  1  0.25   0              -1.000      -> (0, 0.25/1)
#  2  0.50   1              +1.000      -> (0, 0.50/2)
#  3  0.75   1              +0.333      -> (0, 0.75/3)
#  4  1.00   1               0          -> (1, 0)
#  5  1.25   1              -0.200      -> (1, 0)
#  6  1.50   2              +0.333      -> (1, 0.50/6)
#  7  1.75   2              +0.143      -> (2, 0)
#  8  2.00   2               0          -> (2, 0)
#  9  2.25   2              -0.111      -> (2, 0)
# 10  2.50   3              +0.200      -> (3, 0)
# 11  2.75   3              +0.091      -> (3, 0)
# 12  3.00   3               0          -> (3, 0)
# 13  3.25   3              -0.077      -> (3, 0)
# 14  3.50   4              +0.143      -> (4, 0)
# 15  3.75   4              +0.067      -> (4, 0)
# 16  4.00   4               0          -> (4, 0)
HAND_SPLIT = {
    1: (0, 0.25),
    2: (0, 0.25),
    3: (0, 0.25),
    4: (1, 0.0),
    5: (1, 0.0),
    6: (1, 0.08333333333333333),
    7: (2, 0.0),
    8: (2, 0.0),
    9: (2, 0.0),
    10: (3, 0.0),
    11: (3, 0.0),
    12: (3, 0.0),
    13: (3, 0.0),
    14: (4, 0.0),
    15: (4, 0.0),
    16: (4, 0.0),
}


def split(procs: int, kind: TriggerKind = TriggerKind.HEAP) -> GCController:
    c = GCController(100, MAX_INT64)
    c.start_cycle(0, procs, kind)
    return c


@pytest.mark.parametrize("procs", sorted(REFERENCE_SPLIT))
def test_worker_split_matches_reference(procs: int) -> None:
    c = split(procs)
    dedicated, fractional = REFERENCE_SPLIT[procs]
    assert c.dedicated_mark_workers_needed == dedicated
    assert c.fractional_utilization_goal == pytest.approx(fractional, abs=1e-15)


@pytest.mark.parametrize("procs", range(1, 17))
def test_worker_split_exact(procs: int) -> None:
    c = split(procs)
    assert (c.dedicated_mark_workers_needed, c.fractional_utilization_goal) == HAND_SPLIT[procs]
    assert c.idle_mark_workers_max == procs - HAND_SPLIT[procs][0]
    assert split(procs, TriggerKind.CYCLE).idle_mark_workers_max == procs - HAND_SPLIT[procs][0]


@pytest.mark.parametrize("procs", range(1, 65))
def test_time_triggered_idle_cap(procs: int) -> None:
    c = split(procs, TriggerKind.TIME)
    assert c.idle_mark_workers_max in (0, 1)
    assert c.idle_mark_workers_max == (1 if c.dedicated_mark_workers_needed == 0 else 0)
    assert c.dedicated_mark_workers_needed == split(procs).dedicated_mark_workers_needed


@given(st.integers(min_value=1, max_value=4096))
def test_background_utilization_is_near_25_percent(procs: int) -> None:
    c = split(procs)
    d, f = c.dedicated_mark_workers_needed, c.fractional_utilization_goal
    total = procs * 0.25
    if f > 0:
        assert d + f * procs == pytest.approx(total)
    else:
        assert abs(d / total - 1) <= 0.3
    assert 0 <= d <= procs


def test_stop_the_world_mode_dedicates_every_p() -> None:
    c = GCController(100, MAX_INT64)
    c.start_cycle(0, 6, TriggerKind.HEAP, gcstoptheworld=1)
    assert (c.dedicated_mark_workers_needed, c.fractional_utilization_goal) == (6, 0.0)


# --- revise, end_cycle, reset_live ----------------------------------------------------------


def marking(gc_percent: int = 100, heap_scan: int = 12 * MIB) -> GCController:
    """heapMarked = lastHeapScan = 10 MiB, no stacks or globals; triggered at 15 MiB."""
    c = GCController(gc_percent, MAX_INT64)
    c.heap_marked = c.last_heap_scan = 10 * MIB
    c.commit(True)
    c.heap_live = 15 * MIB
    c.heap_scan = heap_scan
    c.start_cycle(1000, 8, TriggerKind.HEAP)
    return c


def test_revise_steady_state() -> None:
    c = marking()
    assert c.triggered == 15 * MIB and c.heap_goal() == 20 * MIB
    c.add_scan_work(heap=5 * MIB)
    c.add_heap_live(1 * MIB)
    c.revise()
    assert c.assist_work_per_byte == (10 * MIB - 5 * MIB) / (20 * MIB - 16 * MIB)


def test_revise_extrapolates_goal_when_work_exceeds_expectation() -> None:
    c = marking()
    c.add_scan_work(heap=11 * MIB)  # more than lastHeapScan = 10 MiB
    c.add_heap_live(1 * MIB)
    c.revise()
    ext_goal = int((20 * MIB - 15 * MIB) / (10 * MIB) * (12 * MIB)) + 15 * MIB
    assert ext_goal == 22020096
    assert c.assist_work_per_byte == (12 * MIB - 11 * MIB) / (ext_goal - 16 * MIB)
    c.add_heap_live(7 * MIB)  # 23 MiB: past the extrapolated goal, allow 10% overshoot
    c.revise()
    over_goal = int(ext_goal * 1.1)
    assert c.assist_work_per_byte == (12 * MIB - 11 * MIB) / (over_goal - 23 * MIB)


def test_revise_caps_extrapolation_at_hard_goal() -> None:
    c = GCController(10, MAX_INT64)
    c.heap_marked = c.last_heap_scan = 10 * MIB
    c.commit(True)
    goal = 10 * MIB + 10 * MIB * 10 // 100
    assert c.heap_goal() == goal
    c.heap_live = 10 * MIB + MIB // 2
    c.heap_scan = GIB
    c.start_cycle(0, 8, TriggerKind.HEAP)
    c.add_scan_work(heap=11 * MIB)
    c.add_heap_live(MIB // 2)
    c.revise()
    hard = int((1.0 + 10 / 100.0) * goal)
    assert int((goal - c.triggered) / (10 * MIB) * GIB) + c.triggered > hard
    assert c.assist_work_per_byte == (GIB - 11 * MIB) / (hard - 11 * MIB)


def test_revise_treats_gogc_off_as_100000() -> None:
    c = GCController(-1, 64 * MIB)
    c.heap_marked = c.last_heap_scan = 10 * MIB
    c.commit(True)
    goal = c.heap_goal()
    c.heap_live, c.heap_scan = 20 * MIB, 1 << 40
    c.start_cycle(0, 8, TriggerKind.CYCLE)
    c.add_scan_work(heap=11 * MIB)
    c.revise()
    ext = int((goal - 20 * MIB) / (10 * MIB) * (1 << 40)) + 20 * MIB
    hard = int((1.0 + 100000 / 100.0) * goal)
    assert ext > hard
    assert c.assist_work_per_byte == ((1 << 40) - 11 * MIB) / (hard - 20 * MIB)


def test_revise_lower_bounds() -> None:
    c = marking()
    c.add_scan_work(heap=10 * MIB)  # exactly the expected work: 1000 units remain at least
    c.heap_live = 20 * MIB  # at the goal: one byte of heap remains at least
    c.revise()
    assert c.assist_work_per_byte == 1000.0 / 1.0


def test_end_cycle_cons_mark_is_max_of_last_five() -> None:
    c = GCController(100, MAX_INT64)
    measured = []
    for i, assist_ns in enumerate([0, 4_000_000, 1_000_000, 0, 0, 0, 0]):
        c.heap_live = 10 * MIB
        c.start_cycle(1_000_000, 4, TriggerKind.HEAP)
        c.add_heap_live(2 * MIB + i * KIB)
        c.add_scan_work(heap=3 * MIB, stack=KIB, globals=KIB)
        c.assist_time_ns = assist_ns
        c.idle_mark_time_ns = 500_000
        c.end_cycle(11_000_000, 4, False)
        cpu = 10_000_000 * 4
        u = 0.25 + assist_ns / cpu
        current = (2 * MIB + i * KIB) * (u + 500_000 / cpu) / ((3 * MIB + 2 * KIB) * (1 - u))
        measured.append(current)
        assert c.last_cons_mark[-1] == current
        assert c.cons_mark == max(measured[-5:])
        c.reset_live(c.heap_live)
    assert c.last_cons_mark == measured[-4:]


def test_end_cycle_too_short_updates_nothing_but_last_goal() -> None:
    c = GCController(100, MAX_INT64)
    c.heap_live = 3 * MIB
    c.start_cycle(0, 8, TriggerKind.HEAP)
    c.cons_mark = 0.5
    c.end_cycle(1000, 8, True)
    assert c.cons_mark == 0.5 and c.last_cons_mark == [0.0] * 4
    assert c.last_heap_goal == 4 * MIB


def test_reset_live_and_commit_prepare_next_cycle() -> None:
    c = GCController(100, MAX_INT64)
    c.heap_live = 5 * MIB
    c.start_cycle(0, 8, TriggerKind.HEAP)
    c.add_scan_work(heap=3 * MIB, stack=64 * KIB, globals=32 * KIB)
    c.globals_scan = 32 * KIB
    c.reset_live(6 * MIB)
    assert (c.heap_marked, c.heap_live, c.heap_scan) == (6 * MIB, 6 * MIB, 3 * MIB)
    assert (c.last_heap_scan, c.last_stack_scan, c.triggered) == (3 * MIB, 64 * KIB, MAX_UINT64)
    c.commit(False)
    assert c.heap_goal() == 6 * MIB + 6 * MIB + 64 * KIB + 32 * KIB


def test_update_follows_go_update() -> None:
    c = GCController(100, MAX_INT64)
    c.update(4096, 1024, gc_blacken_enabled=False)
    assert (c.heap_live, c.heap_scan) == (4096, 1024)
    c.start_cycle(0, 8, TriggerKind.HEAP)
    c.update(8192, 1024, gc_blacken_enabled=True)  # heapScan is fixed during mark
    assert (c.heap_live, c.heap_scan) == (12288, 1024)


def test_controller_commit_paces_scavenger() -> None:
    c = GCController(100, 100 * MIB)
    c.mapped_ready_bytes = 99 * MIB
    trigger, goal = c.gc_controller_commit(is_sweep_done=True, gc_running=False)
    assert (trigger, goal) == c.trigger()
    assert c.scavenge_memory_limit_goal_bytes == int(100 * MIB * 0.95)
    assert c.scavenge_gc_percent_goal_bytes == MAX_UINT64  # no GC has finished yet
    c.last_heap_goal = 8 * MIB
    c.last_heap_in_use_bytes = 5 * MIB
    c.heap_in_use_bytes, c.heap_free_bytes = 6 * MIB, 4 * MIB
    c.mapped_ready_bytes = 10 * MIB
    c.pace_scavenger(12 * MIB, 8 * MIB)
    want = int(5 * MIB * 1.5)
    want = (want + want // 10 + 4095) // 4096 * 4096
    assert c.scavenge_gc_percent_goal_bytes == want
    assert c.scavenge_memory_limit_goal_bytes == MAX_UINT64
    c.heap_free_bytes = 0
    c.pace_scavenger(12 * MIB, 8 * MIB)
    assert c.scavenge_gc_percent_goal_bytes == MAX_UINT64  # retained is within the goal
