"""The baseline heap's large pointer arrays: marked first, and dearer per byte.

Found against the Go twin (docs/fidelity.md, "Problems found" 13): its steady workload keeps
its objects in a ring of two 4 MiB pointer arrays; a runtime trace shows the first 30 % of
each mark earning assist credit 1.5x slower than the rest, and at GOMAXPROCS=1 under a
memory limit the mutators then assist for ~30 ms of each ~97 ms mark where gosim's idle
worker used to do everything. gosim charges the baseline's large scannable objects
CostModel.large_scan_ns_per_byte and scans them first (Collector._ns_for_work /
_work_for_ns convert CPU and work across that boundary).
"""

from __future__ import annotations

import dataclasses
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simcore import (
    NO_LIMIT,
    Allocate,
    BaselineHeap,
    ConfigError,
    CostModel,
    Distribution,
    Hooks,
    Lifetime,
    ObjectSize,
    Program,
    RuntimeConfig,
    SimConfig,
    Step,
    WorkerGroup,
    Workload,
    simulate,
    validate,
)
from simcore.config import MIB, MS, SECOND
from simcore.engine import _Run

RING_ARRAYS = 8 * MIB  # two goroutines' rings of 524288 slots, 8 bytes each


def ring_config(*, cost: CostModel | None = None, limit: int = NO_LIMIT, gomaxprocs: int = 1,
                array_bytes: int = 4 * MIB, scannable: float = 0.5,
                duration_ns: int = 4 * SECOND) -> SimConfig:
    """The twin's steady workload: two goroutines on a 1 ms tick allocating 64 MiB/s of
    64-byte objects that live 1 s (a 64 MiB ring), the ring's slot arrays as baseline."""
    step = Step(allocate=Allocate(bytes=Distribution.constant(64 * MIB / 2 / 1000),
                                  object_sizes=(ObjectSize(64),), scannable_fraction=scannable,
                                  lifetime=Lifetime.TTL, ttl_ns=SECOND))
    return SimConfig(
        runtime=RuntimeConfig(gomaxprocs=gomaxprocs, gogc=100, gomemlimit_bytes=limit),
        workload=Workload(workers=(WorkerGroup(count=2, program=Program(steps=(step,)),
                                               period_ns=MS),),
                          baseline_heap=BaselineHeap(live_bytes=RING_ARRAYS,
                                                     object_bytes=array_bytes,
                                                     scannable_fraction=1.0)),
        cost=cost or CostModel(), duration_ns=duration_ns, warmup_ns=2 * SECOND)


def mark_cpu(c) -> int:  # type: ignore[no-untyped-def]
    return c.assist_cpu_ns + c.dedicated_cpu_ns + c.fractional_cpu_ns + c.idle_cpu_ns


def test_only_a_baseline_of_large_objects_counts_as_large_arrays() -> None:
    assert _Run(ring_config(), Hooks()).coll.dense_scan_bytes == RING_ARRAYS
    # 32 KiB objects are small (size class 67): no large arrays.
    assert _Run(ring_config(array_bytes=32 * 1024), Hooks()).coll.dense_scan_bytes == 0
    # Only the scannable share of a large baseline.
    cfg = ring_config()
    half = dataclasses.replace(cfg, workload=dataclasses.replace(
        cfg.workload, baseline_heap=dataclasses.replace(cfg.workload.baseline_heap,
                                                        scannable_fraction=0.5)))
    assert _Run(half, Hooks()).coll.dense_scan_bytes == RING_ARRAYS // 2


def test_conversion_across_the_boundary_by_hand() -> None:
    coll = _Run(ring_config(), Hooks()).coll
    coll.dense_work, coll.ns_dense, coll.ns_per_work = 100.0, 3.0, 1.0
    coll.mark_done = 0.0
    assert coll._ns_for_work(50) == 150
    assert coll._ns_for_work(150) == 100 * 3 + 50
    assert coll._work_for_ns(300) == 100
    assert coll._work_for_ns(350) == 150
    coll.mark_done = 80.0
    assert coll._ns_for_work(50) == 20 * 3 + 30
    assert coll._work_for_ns(90) == 50
    coll.mark_done = 120.0  # past the arrays: the plain rate
    assert coll._ns_for_work(50) == 50
    assert coll._work_for_ns(50) == 50


@settings(max_examples=200, deadline=None)
@given(dense=st.floats(0, 1e8), done=st.floats(0, 1e8), work=st.floats(0, 1e8),
       d=st.floats(0.1, 10), s=st.floats(0.1, 10))
def test_conversions_are_inverse(dense: float, done: float, work: float, d: float,
                                 s: float) -> None:
    coll = _Run(ring_config(), Hooks()).coll
    coll.dense_work, coll.ns_dense, coll.ns_per_work, coll.mark_done = dense, d, s, done
    ns = coll._ns_for_work(work)
    assert min(d, s) * work * (1 - 1e-9) <= ns <= max(d, s) * work * (1 + 1e-9)
    assert coll._work_for_ns(ns) == pytest.approx(work, rel=1e-9, abs=1e-6)


def test_each_cycle_pays_the_arrays_at_their_rate_and_the_rest_at_the_scan_rate() -> None:
    # All scannable, so scan_ns_per_byte applies unweighted to everything but the arrays.
    cost = CostModel(large_scan_ns_per_byte=4.0, scan_ns_per_byte=1.5)
    res = simulate(ring_config(cost=cost, gomaxprocs=2, scannable=1.0))
    cycles = [c for c in res.cycles if c.start_ns > 2 * SECOND]
    assert len(cycles) >= 3
    for c in cycles:
        work = c.heap_scan_work_bytes + c.stacks_bytes + c.globals_bytes
        want = RING_ARRAYS * 4.0 + (work - RING_ARRAYS) * 1.5
        assert mark_cpu(c) == pytest.approx(want, rel=0.005), c.gctrace


def test_arrays_first_move_the_mark_from_the_idle_worker_to_assists() -> None:
    # GOMAXPROCS=1 under a memory limit, as the twin's steady runs that found it: with the
    # arrays at the plain rate the idle worker banks credit from the first millisecond and
    # the mutators never assist; at the default rate the mark's start is slow, the first
    # ticks' debts outrun the credit, and the mutators assist for a good part of each mark.
    limit = 114 * MIB
    plain = CostModel(large_scan_ns_per_byte=0.0)
    base = simulate(ring_config(cost=plain, limit=limit)).cycles
    dense = simulate(ring_config(limit=limit)).cycles
    base, dense = ([c for c in cs if c.start_ns > 2 * SECOND] for cs in (base, dense))
    assist_share = [statistics.median(c.assist_cpu_ns / mark_cpu(c) for c in cs)
                    for cs in (base, dense)]
    assert assist_share[0] < 0.05
    assert assist_share[1] > 0.2
    # The arrays' extra cost is all the mark's total changes by (within a few %).
    extra = RING_ARRAYS * (CostModel().large_scan_ns_per_byte - plain.scan_ns_per_byte)
    grow = statistics.median(mark_cpu(c) for c in dense) - statistics.median(
        mark_cpu(c) for c in base)
    assert grow == pytest.approx(extra, rel=0.15)


def test_a_negative_rate_is_refused_by_name() -> None:
    bad = ring_config(cost=CostModel(large_scan_ns_per_byte=-1.0))
    with pytest.raises(ConfigError, match=r"cost\.large_scan_ns_per_byte"):
        validate(bad)
