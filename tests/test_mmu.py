"""Tests for simcore.mmu: online minimum mutator utilization."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simcore.mmu import DEFAULT_WINDOWS_NS, MMUTracker

MS = 1_000_000
S = 1_000_000_000


def brute_force_mmu(points: list[tuple[int, float]], t_end: int, windows: list[int]) -> list[float]:
    """MMU by definition: evaluate every window that starts or ends at a change point
    (or at the run's start/end), integrating u segment by segment. Windows longer than the
    run are clamped to it, as internal/trace does."""
    segs: list[tuple[int, float]] = []
    for t, u in points:
        if segs and segs[-1][0] == t:
            segs[-1] = (t, u)
        else:
            segs.append((t, u))
    t0 = segs[0][0]
    bounds = [t for t, _ in segs] + [t_end]

    def integral(a: int, b: int) -> float:
        total = 0.0
        for (t, u), nt in zip(segs, bounds[1:], strict=True):
            lo, hi = max(a, t), min(b, nt)
            if hi > lo:
                total += u * (hi - lo)
        return total

    out = []
    for w in windows:
        span = t_end - t0
        if span <= 0:
            out.append(1.0)
            continue
        ww = min(w, span)
        starts = {t0, t_end - ww}
        for t in bounds:
            for s in (t, t - ww):
                if t0 <= s <= t_end - ww:
                    starts.add(s)
        out.append(min(integral(s, s + ww) / ww for s in starts))
    return out


def windows(m: MMUTracker) -> list[int]:
    return [w for w, _ in m.result()]


def values(m: MMUTracker) -> list[float]:
    return [v for _, v in m.result()]


def run(points: list[tuple[int, float]], t_end: int, windows: list[int]) -> list[float]:
    m = MMUTracker(windows)
    for t, u in points:
        m.change(t, u)
    m.finish(t_end)
    return [v for _, v in m.result()]


# -- hand-computed cases -------------------------------------------------------------------


def test_single_stw_in_ten_seconds() -> None:
    m = MMUTracker()
    m.change(0, 1.0)
    m.change(5 * S, 0.0)
    m.change(5 * S + MS, 1.0)
    m.finish(10 * S)
    r = dict(m.result())
    assert r[1 * MS] == 0.0
    assert r[2 * MS] == pytest.approx(0.5)
    assert r[10 * MS] == pytest.approx(0.9)
    assert r[100 * MS] == pytest.approx(0.99)
    assert r[1 * S] == pytest.approx(0.999)
    assert tuple(w for w, _ in m.result()) == DEFAULT_WINDOWS_NS


def test_stw_at_the_very_start_and_end() -> None:
    m = MMUTracker([MS, 10 * MS])
    m.change(0, 0.0)
    m.change(MS, 1.0)
    m.change(S - MS, 0.0)
    m.finish(S)
    assert windows(m) == [MS, 10 * MS]
    assert values(m) == pytest.approx([0.0, 0.9])


def test_quarter_mark_phase() -> None:
    m = MMUTracker()
    m.change(0, 1.0)
    m.change(2 * S, 0.75)
    m.change(2 * S + 100 * MS, 1.0)
    m.finish(4 * S)
    r = dict(m.result())
    assert r[1 * MS] == pytest.approx(0.75)
    assert r[10 * MS] == pytest.approx(0.75)
    assert r[100 * MS] == pytest.approx(0.75)
    assert r[200 * MS] == pytest.approx(0.875)
    assert r[1 * S] == pytest.approx(0.975)


def test_gc_cycle_with_two_pauses_and_assists() -> None:
    # STW 0.1 ms, mark 4 ms at 0.75 with a 1 ms assist burst at 0.5, STW 0.1 ms.
    pts = [
        (0, 1.0),
        (50 * MS, 0.0),
        (50 * MS + 100_000, 0.75),
        (51 * MS, 0.5),
        (52 * MS, 0.75),
        (54 * MS + 100_000, 0.0),
        (54 * MS + 200_000, 1.0),
    ]
    got = run(pts, 200 * MS, [MS, 2 * MS, 5 * MS, 10 * MS])
    # 1 ms: the assist burst alone (0.5) beats any window containing a pause.
    assert got[0] == pytest.approx(0.5)
    assert got == pytest.approx(brute_force_mmu(pts, 200 * MS, [MS, 2 * MS, 5 * MS, 10 * MS]))


def test_window_longer_than_run_is_clamped() -> None:
    m = MMUTracker([MS, 10 * S])
    m.change(0, 1.0)
    m.change(100 * MS, 0.5)
    m.finish(200 * MS)
    assert windows(m) == [MS, 10 * S]
    assert values(m) == pytest.approx([0.5, 0.75])


def test_empty_and_zero_length_runs() -> None:
    m = MMUTracker([MS])
    m.finish(10)
    assert m.result() == ((MS, 1.0),)
    m = MMUTracker([MS])
    m.change(5, 0.0)
    m.finish(5)
    assert m.result() == ((MS, 1.0),)


def test_same_time_change_replaces_value() -> None:
    m = MMUTracker([MS])
    m.change(0, 1.0)
    m.change(10 * MS, 0.0)
    m.change(10 * MS, 0.5)  # the 0.0 lasted no time at all
    m.change(11 * MS, 1.0)
    m.finish(20 * MS)
    assert values(m) == pytest.approx([0.5])


def test_errors() -> None:
    with pytest.raises(ValueError):
        MMUTracker([])
    with pytest.raises(ValueError):
        MMUTracker([0])
    m = MMUTracker([MS])
    with pytest.raises(ValueError):
        m.change(0, 1.5)
    m.change(10, 1.0)
    with pytest.raises(ValueError):
        m.change(5, 1.0)
    with pytest.raises(RuntimeError):
        m.result()
    m.finish(20)
    with pytest.raises(RuntimeError):
        m.change(30, 1.0)
    with pytest.raises(RuntimeError):
        m.finish(40)


# -- monotonicity --------------------------------------------------------------------------


def gc_like_points(rng: random.Random, cycles: int) -> tuple[list[tuple[int, float]], int]:
    """Periodic GC cycles: a pause, a 25 % mark phase with assist bursts, a pause."""
    pts: list[tuple[int, float]] = []
    t = 0
    for _ in range(cycles):
        pts.append((t, 1.0))
        t += rng.randint(5 * MS, 50 * MS)
        pts.append((t, 0.0))
        t += rng.randint(10_000, 300_000)
        for _ in range(rng.randint(1, 20)):
            pts.append((t, 0.75 - 0.25 * rng.random()))
            t += rng.randint(10_000, 500_000)
        pts.append((t, 0.0))
        t += rng.randint(10_000, 200_000)
    pts.append((t, 1.0))
    return pts, t + 10 * MS


def test_monotone_for_isolated_pauses() -> None:
    # Pauses far apart (further than the largest window): MMU rises with the window.
    m = MMUTracker()
    t = 0
    for i in range(20):
        m.change(t, 1.0)
        t += 2 * S
        m.change(t, 0.0)
        t += 100_000 + 10_000 * i
        m.change(t, 0.75)
        t += 3 * MS
        m.change(t, 0.0)
        t += 50_000
    m.change(t, 1.0)
    m.finish(t + 2 * S)
    values = [v for _, v in m.result()]
    assert values == sorted(values)


def test_raw_mmu_is_not_always_monotone() -> None:
    # u = 0, 1, 0 over three 1 ms steps: MMU(2 ms) = 0.5 but MMU(3 ms) = 1/3.
    pts = [(0, 0.0), (MS, 1.0), (2 * MS, 0.0)]
    m = MMUTracker([2 * MS, 3 * MS])
    for t, u in pts:
        m.change(t, u)
    m.finish(3 * MS)
    assert values(m) == pytest.approx([0.5, 1 / 3])
    assert [v for _, v in m.result_monotone()] == pytest.approx([1 / 3, 1 / 3])


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_monotone_envelope(seed: int) -> None:
    rng = random.Random(seed)
    pts, t_end = gc_like_points(rng, rng.randint(1, 40))
    m = MMUTracker()
    for t, u in pts:
        m.change(t, u)
    m.finish(t_end)
    raw = m.result()
    mono = m.result_monotone()
    values = [v for _, v in mono]
    assert values == sorted(values)
    assert all(mv <= rv for (_, mv), (_, rv) in zip(mono, raw, strict=True))
    assert mono[-1] == raw[-1]


# -- against the definition ----------------------------------------------------------------

util_st = st.one_of(
    st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), st.floats(min_value=0.0, max_value=1.0)
)


@settings(max_examples=400, deadline=None)
@given(
    start=st.integers(min_value=0, max_value=10**6),
    steps=st.lists(
        st.tuples(st.integers(min_value=0, max_value=5_000), util_st), min_size=1, max_size=40
    ),
    tail=st.integers(min_value=0, max_value=5_000),
    windows=st.lists(st.integers(min_value=1, max_value=20_000), min_size=1, max_size=6),
)
def test_matches_brute_force(
    start: int, steps: list[tuple[int, float]], tail: int, windows: list[int]
) -> None:
    pts = []
    t = start
    for gap, u in steps:
        t += gap
        pts.append((t, u))
    t_end = t + tail
    ws = sorted(set(windows))
    got = run(pts, t_end, ws)
    want = brute_force_mmu(pts, t_end, ws)
    assert got == pytest.approx(want, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_matches_brute_force_gc_like(seed: int) -> None:
    rng = random.Random(seed)
    pts, t_end = gc_like_points(rng, rng.randint(1, 15))
    ws = [100_000, MS, 3 * MS, 20 * MS, 70 * MS, 300 * MS]
    assert run(pts, t_end, ws) == pytest.approx(brute_force_mmu(pts, t_end, ws), abs=1e-9)


# -- memory --------------------------------------------------------------------------------


def cycle_points(t: int, assists: list[float]) -> tuple[list[tuple[int, float]], int]:
    """One GC cycle from t: 15 ms of full utilization, a 50 us pause, mark with the given
    assist-dependent utilizations for 50 us each, a 30 us pause."""
    pts = [(t, 1.0)]
    t += 15 * MS
    pts.append((t, 0.0))
    t += 50_000
    for u in assists:
        pts.append((t, u))
        t += 50_000
    pts.append((t, 0.0))
    t += 30_000
    return pts, t


@pytest.mark.slow
def test_bounded_memory_over_a_million_change_points() -> None:
    """10^6 change points over ~12 minutes of GC cycles: the buffer only ever holds the
    points within the largest window (1 s), plus compaction slack."""
    rng = random.Random(1)
    assists = [0.75 - 0.2 * rng.random() for _ in range(20)]
    per_cycle = len(assists) + 3
    m = MMUTracker()
    t = 0
    fed = 0
    peak = 0
    while fed < 1_000_000:
        pts, t = cycle_points(t, assists)
        for p in pts:
            m.change(*p)
        fed += len(pts)
        peak = max(peak, m.buffered_points)
    m.finish(t)
    cycle_ns = 15 * MS + 80_000 + 50_000 * len(assists)
    points_per_second = per_cycle * S // cycle_ns + per_cycle
    assert peak <= 2 * points_per_second + 64
    assert m.buffered_points <= 2 * points_per_second + 64
    # Every cycle is the same, so three of them give the same MMU for windows < 1 cycle.
    few: list[tuple[int, float]] = []
    t = 0
    for _ in range(3):
        pts, t = cycle_points(t, assists)
        few += pts
    small = [MS, 2 * MS, 5 * MS, 10 * MS]
    r = dict(m.result())
    assert [r[w] for w in small] == pytest.approx(brute_force_mmu(few, t, small), abs=1e-9)
    assert 0.0 < r[S] < 1.0
