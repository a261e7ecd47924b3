"""Tests for simcore.histogram: Go's timeHistogram layout and the by-size histogram."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simcore.histogram import (
    TIME_HIST_TOTAL_BUCKETS,
    SizeHistogram,
    TimeHistogram,
)
from simcore.sizeclasses import CLASS_TO_SIZE


def go_record_index(d: int) -> int:
    """runtime/histogram.go timeHistogram.record, transcribed with Go's constants, as the
    index into the exported counts ([underflow, 160 regular, overflow])."""
    min_bits, max_bits, sub_bits = 9, 48, 2
    if d < 0:
        return 0
    n = d.bit_length()
    if n < min_bits:
        bucket_bit, bucket = min_bits, 0
    else:
        bucket_bit, bucket = n, n - min_bits + 1
    if bucket >= max_bits - min_bits + 1:
        return 161
    sub = (d >> (bucket_bit - 1 - sub_bits)) % 4
    return 1 + bucket * 4 + sub


# -- layout --------------------------------------------------------------------------------


def test_default_layout_sizes() -> None:
    h = TimeHistogram()
    assert TIME_HIST_TOTAL_BUCKETS == 162
    assert len(h.counts) == 162
    assert len(h.edges_seconds()) == 163
    assert len(h.edges_ns()) == 161


@pytest.mark.parametrize(
    ("d_ns", "index"),
    [
        (-1, 0),
        (-(10**12), 0),
        (0, 1),
        (63, 1),
        (64, 2),
        (127, 2),
        (128, 3),
        (192, 4),
        (255, 4),
        (256, 5),
        (319, 5),
        (320, 6),
        (383, 6),
        (384, 7),
        (447, 7),
        (448, 8),
        (511, 8),
        (512, 9),
        (639, 9),
        (640, 10),
        (1023, 12),
        (1024, 13),
        # 1e9 = 0b111011100110101100101000000000: bit length 30 -> bucket 22; the next two
        # bits after the top one are 11 -> sub-bucket 3.
        (1_000_000_000, 1 + 22 * 4 + 3),
        (2**47 - 1, 160),
        (2**46, 157),
        (2**47, 161),
        (2**48, 161),
        (2**48 + 12345, 161),
        (2**63 - 1, 161),
    ],
)
def test_bucket_index_hand_picked(d_ns: int, index: int) -> None:
    h = TimeHistogram()
    assert h.bucket_index(d_ns) == index
    assert go_record_index(d_ns) == index
    h.record(d_ns)
    counts = h.counts
    assert counts[index] == 1
    assert sum(counts) == 1


@given(st.integers(min_value=-(2**50), max_value=2**50))
def test_bucket_index_matches_go_record(d: int) -> None:
    assert TimeHistogram().bucket_index(d) == go_record_index(d)


def test_exported_edges_first_and_last() -> None:
    e = TimeHistogram().edges_seconds()
    assert e[0] == -math.inf
    assert e[1:11] == (
        0.0,
        64e-9,
        128e-9,
        192e-9,
        256e-9,
        320e-9,
        384e-9,
        448e-9,
        512e-9,
        640e-9,
    )
    assert e[11:14] == (768e-9, 896e-9, 1024e-9)
    assert e[-2] == 2**47 / 1e9
    assert e[-1] == math.inf
    # The largest regular bucket starts at 2^46 + 3*2^44 ns.
    assert e[-3] == (2**46 + 3 * 2**44) / 1e9


def test_exported_edges_match_go_generator() -> None:
    """timeHistogramMetricsBuckets transcribed: float64(bucketNanos)/1e9."""
    b = [-math.inf]
    for j in range(4):
        b.append(float(j << (9 - 1 - 2)) / 1e9)
    for i in range(9, 48):
        for j in range(4):
            b.append(float((1 << (i - 1)) | (j << (i - 1 - 2))) / 1e9)
    b.append(float(1 << 47) / 1e9)
    b.append(math.inf)
    assert TimeHistogram().edges_seconds() == tuple(b)


def test_edges_strictly_increasing_and_index_consistent() -> None:
    for bits in (2, 5):
        h = TimeHistogram(bits)
        edges = h.edges_ns()
        assert all(a < b for a, b in itertools.pairwise(edges))
        for i, lo in enumerate(edges):
            # Each edge is the smallest value of counts[i+1].
            assert h.bucket_index(lo) == i + 1
            if lo > 0:
                assert h.bucket_index(lo - 1) == i


@pytest.mark.parametrize("bits", [2, 5])
def test_relative_width(bits: int) -> None:
    h = TimeHistogram(bits)
    edges = h.edges_ns()
    bound = 1 / (1 << bits)
    for lo, hi in itertools.pairwise(edges):
        if lo >= 1 << (h.min_bucket_bits - 1):
            assert (hi - lo) / lo <= bound + 1e-12
    assert bound <= 0.25


def test_sub_bucket_bits_5_layout() -> None:
    h = TimeHistogram(5)
    assert len(h.counts) == 40 * 32 + 2
    assert len(h.edges_seconds()) == 40 * 32 + 3
    assert h.edges_ns()[:3] == (0, 8, 16)
    assert h.bucket_index(7) == 1
    assert h.bucket_index(8) == 2
    assert h.bucket_index(256) == 33
    assert h.bucket_index(263) == 33
    assert h.bucket_index(264) == 34
    assert h.bucket_index(2**47) == len(h.counts) - 1


def test_bad_layouts() -> None:
    with pytest.raises(ValueError):
        TimeHistogram(0)
    with pytest.raises(ValueError):
        TimeHistogram(9)
    with pytest.raises(ValueError):
        TimeHistogram(2, 9, 9)


# -- statistics ----------------------------------------------------------------------------


def test_exact_stats() -> None:
    h = TimeHistogram()
    assert (h.count, h.sum_ns, h.min_ns, h.max_ns, h.mean_ns) == (0, 0, 0, 0, 0)
    assert h.quantile(0.5) == 0
    for d in (5, 1_000, 7_000_000, 300):
        h.record(d)
    assert h.count == 4
    assert h.sum_ns == 7_001_305
    assert h.min_ns == 5
    assert h.max_ns == 7_000_000
    assert h.mean_ns == 1_750_326
    h.record_n(-3, 2)
    assert h.min_ns == -3
    assert h.counts[0] == 2
    assert h.count == 6


def test_record_n_equals_repeated_record() -> None:
    a, b = TimeHistogram(), TimeHistogram()
    a.record_n(12345, 7)
    a.record_n(99, 0)
    for _ in range(7):
        b.record(12345)
    assert a == b
    with pytest.raises(ValueError):
        a.record_n(1, -1)


def test_overflow_quantile_uses_max() -> None:
    h = TimeHistogram()
    h.record(2**47 + 5)
    h.record(2**49)
    h.record(10)
    assert h.quantile(1.0) == 2**49
    assert h.quantile(0.0) == 10
    assert 2**47 <= h.quantile(0.5) <= 2**49


def test_quantile_exact_at_extremes_and_single_sample() -> None:
    h = TimeHistogram()
    h.record(777_777)
    for q in (0.0, 0.3, 0.5, 0.99, 1.0):
        assert h.quantile(q) == 777_777
    with pytest.raises(ValueError):
        h.quantile(1.5)


def _nearest_rank(sorted_samples: list[int], q: float) -> int:
    rank = max(1, math.ceil(q * len(sorted_samples)))
    return sorted_samples[rank - 1]


@settings(max_examples=300, deadline=None)
@given(
    samples=st.lists(
        st.one_of(
            st.integers(min_value=0, max_value=10**10),
            st.integers(min_value=0, max_value=5_000),
            st.integers(min_value=-1000, max_value=-1),
        ),
        min_size=1,
        max_size=300,
    ),
    q=st.floats(min_value=0.0, max_value=1.0),
    bits=st.sampled_from([2, 5]),
)
def test_quantile_within_one_bucket(samples: list[int], q: float, bits: int) -> None:
    h = TimeHistogram(bits)
    for s in samples:
        h.record(s)
    exact = _nearest_rank(sorted(samples), q)
    est = h.quantile(q)
    lo, hi = h.bucket_bounds_ns(h.bucket_index(exact))
    assert min(samples) <= est <= max(samples)
    assert abs(est - exact) <= hi - lo
    # In fact the estimate lies in the same bucket as the exact sample.
    assert h.bucket_index(est) == h.bucket_index(exact)


def test_quantile_accuracy_fine_layout() -> None:
    h = TimeHistogram(5)
    samples = [1_000 + (i * 7919) % 1_000_000 for i in range(20_000)]
    for s in samples:
        h.record(s)
    ordered = sorted(samples)
    for q in (0.5, 0.9, 0.99, 0.999):
        exact = _nearest_rank(ordered, q)
        assert abs(h.quantile(q) - exact) / exact < 1 / 32


@settings(max_examples=200, deadline=None)
@given(
    a=st.lists(st.integers(min_value=-(2**10), max_value=2**49)),
    b=st.lists(st.integers(min_value=-(2**10), max_value=2**49)),
    bits=st.sampled_from([2, 5]),
)
def test_merge_equals_recording_both(a: list[int], b: list[int], bits: int) -> None:
    ha, hb, both = TimeHistogram(bits), TimeHistogram(bits), TimeHistogram(bits)
    for d in a:
        ha.record(d)
        both.record(d)
    for d in b:
        hb.record(d)
        both.record(d)
    ha.merge(hb)
    assert ha == both
    assert ha.counts == both.counts
    assert (ha.count, ha.sum_ns, ha.min_ns, ha.max_ns) == (
        both.count,
        both.sum_ns,
        both.min_ns,
        both.max_ns,
    )
    assert hb.copy() == hb


def test_merge_rejects_other_layout() -> None:
    with pytest.raises(ValueError):
        TimeHistogram(2).merge(TimeHistogram(5))


def test_memory_is_constant() -> None:
    h = TimeHistogram()
    n_counts = len(h.counts)
    for i in range(100_000):
        h.record(i * 104_729)
    assert len(h.counts) == n_counts
    assert sum(h.counts) == 100_000


# -- size histogram ------------------------------------------------------------------------


def test_size_histogram_edges() -> None:
    e = SizeHistogram.edges_bytes()
    assert len(e) == 69
    assert e[:6] == (1.0, 9.0, 17.0, 25.0, 33.0, 49.0)
    assert e[-2] == 32769.0
    assert e[-1] == math.inf
    assert len(SizeHistogram().counts) == 68


def test_size_histogram_buckets_follow_edges() -> None:
    edges = SizeHistogram.edges_bytes()
    for size in [*range(1, 33_000), 40_960, 10**9]:
        i = SizeHistogram.bucket_index(size)
        assert edges[i] <= size < edges[i + 1]


def test_size_histogram_record() -> None:
    h = SizeHistogram()
    h.record(8)
    h.record(16, 3)
    h.record(576)
    h.record(40_960)
    h.record(0)  # zero-size allocations are not counted
    c = h.counts
    assert c[0] == 1 and c[1] == 3
    assert c[CLASS_TO_SIZE.index(576) - 1] == 1
    assert c[-1] == 1
    assert h.count == 6
    assert h.sum_bytes == 8 + 48 + 576 + 40_960
    g = SizeHistogram()
    g.record_class(1)
    g.record_class(2, 3)
    g.record_class(CLASS_TO_SIZE.index(576))
    g.record_class(0, large_bytes=40_960)
    assert g == h
    g.merge(h)
    assert g.count == 12
