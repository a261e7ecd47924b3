"""Histograms in the runtime/metrics layouts: timeHistogram and the by-size histograms.

timeHistogram (runtime/histogram.go) is an HDR histogram of durations in nanoseconds. A
value is placed in a bucket by its most significant set bit, so buckets are powers of two
wide, and then in one of 2^timeHistSubBucketBits linear sub-buckets by the next bits:

    minBucketBits = 9, maxBucketBits = 48, subBucketBits = 2

    011000001     bit 9 unset -> bucket 0;  sub-bucket = d >> (9-1-2) = 3
    110000001     bit 9 set   -> bucket 1;  sub-bucket = next 2 bits   = 2
    1000000010    bit 10 set  -> bucket 2;  sub-bucket = next 2 bits   = 0

Bucket 0 holds everything below 2^(minBucketBits-1) = 256 ns in four 64 ns sub-buckets;
bucket b >= 1 holds [2^(b+7), 2^(b+8)) ns. There are maxBucketBits - minBucketBits + 1 = 40
buckets of 4 sub-buckets; negative durations count as underflow, and anything with bit 48
set (>= 2^47 ns, about 1.6 days) as overflow. runtime/metrics exports the 162 counts as
[underflow, 160 regular, overflow] with 163 boundaries in seconds:
-Inf, 0, 64e-9, 128e-9, 192e-9, 256e-9, 320e-9, ..., 2^47e-9, +Inf.
A sub-bucket is at most 1/4 of its lower edge wide, so the relative error is <= 25%.

TimeHistogram takes subBucketBits as a parameter: 2 gives Go's layout exactly; 5 gives 32
sub-buckets (~3% error) for accurate simulator percentiles at the same O(1) record cost.
Besides the buckets it keeps the exact count, sum, min and max, which runtime/metrics does
not; quantiles interpolate within a bucket and are clamped to [min, max].

SizeHistogram is /gc/heap/allocs-by-size:bytes (and frees-by-size): one count per small size
class, with boundaries [1, size1+1, ..., size67+1, +Inf] (metrics.go sizeClassBuckets);
large objects all fall in the last bucket. Tiny allocations count as their 16 B blocks.

Memory is constant: a fixed list of counts, whatever the number of samples.
"""

from __future__ import annotations

import math

from simcore.sizeclasses import (
    CLASS_TO_SIZE,
    LARGE_SIZE_DIV,
    MAX_SMALL_SIZE,
    NUM_SIZE_CLASSES,
    SIZE_TO_CLASS8,
    SIZE_TO_CLASS128,
    SMALL_SIZE_DIV,
    SMALL_SIZE_MAX,
)

# runtime/histogram.go: timeHistMinBucketBits, the bit that must be set before a value gets
# past bucket 0.
TIME_HIST_MIN_BUCKET_BITS = 9
# runtime/histogram.go: timeHistMaxBucketBits ("exclusive; 1 higher than the actual range").
TIME_HIST_MAX_BUCKET_BITS = 48
# runtime/histogram.go: timeHistSubBucketBits.
TIME_HIST_SUB_BUCKET_BITS = 2
# runtime/histogram.go: timeHistNumBuckets = maxBucketBits - minBucketBits + 1.
TIME_HIST_NUM_BUCKETS = TIME_HIST_MAX_BUCKET_BITS - TIME_HIST_MIN_BUCKET_BITS + 1
# runtime/histogram.go: timeHistTotalBuckets = numBuckets*numSubBuckets + 2 (under/overflow).
TIME_HIST_TOTAL_BUCKETS = TIME_HIST_NUM_BUCKETS * (1 << TIME_HIST_SUB_BUCKET_BITS) + 2


class TimeHistogram:
    """Go's timeHistogram, generalised by sub_bucket_bits, with exact count/sum/min/max.

    Counts are laid out as runtime/metrics exports them: index 0 is underflow (d < 0), then
    the regular sub-buckets in order, then overflow (d >= 2^(max_bucket_bits-1) ns).
    """

    __slots__ = (
        "_adj",
        "_count",
        "_counts",
        "_edges",
        "_mask",
        "_max",
        "_max_bits",
        "_min",
        "_min_bits",
        "_overflow",
        "_shift0",
        "_sub_bits",
        "_sum",
    )

    def __init__(
        self,
        sub_bucket_bits: int = TIME_HIST_SUB_BUCKET_BITS,
        min_bucket_bits: int = TIME_HIST_MIN_BUCKET_BITS,
        max_bucket_bits: int = TIME_HIST_MAX_BUCKET_BITS,
    ) -> None:
        if not 1 <= sub_bucket_bits <= min_bucket_bits - 1:
            raise ValueError(
                f"sub_bucket_bits must be in [1, min_bucket_bits-1], got {sub_bucket_bits}"
            )
        if max_bucket_bits <= min_bucket_bits:
            raise ValueError("max_bucket_bits must exceed min_bucket_bits")
        self._sub_bits = sub_bucket_bits
        self._min_bits = min_bucket_bits
        self._max_bits = max_bucket_bits
        self._shift0 = min_bucket_bits - 1 - sub_bucket_bits
        self._mask = (1 << sub_bucket_bits) - 1
        # Regular index = 1 + (bucket << sub) + sub-bucket, with bucket = bitlen - min + 1,
        # folded into (bitlen << sub) + _adj + sub-bucket.
        self._adj = 1 - ((min_bucket_bits - 1) << sub_bucket_bits)
        nregular = (max_bucket_bits - min_bucket_bits + 1) << sub_bucket_bits
        self._overflow = nregular + 1
        self._counts = [0] * (nregular + 2)
        self._count = 0
        self._sum = 0
        self._min = 0
        self._max = 0
        self._edges: tuple[int, ...] | None = None

    # -- layout ------------------------------------------------------------------------

    @property
    def sub_bucket_bits(self) -> int:
        return self._sub_bits

    @property
    def min_bucket_bits(self) -> int:
        return self._min_bits

    @property
    def max_bucket_bits(self) -> int:
        return self._max_bits

    def bucket_index(self, d_ns: int) -> int:
        """Index into counts of the bucket d_ns falls in (0 underflow, last overflow)."""
        if d_ns < 0:
            return 0
        n = d_ns.bit_length()
        if n < self._min_bits:
            return 1 + (d_ns >> self._shift0)
        if n >= self._max_bits:
            return self._overflow
        return (n << self._sub_bits) + self._adj + ((d_ns >> (n - 1 - self._sub_bits)) & self._mask)

    def edges_ns(self) -> tuple[int, ...]:
        """The finite bucket boundaries in ns: 0, 64, 128, 192, 256, 320, ..., 2^47.

        edges_ns()[i] is the inclusive lower bound of counts[i+1]; the last one is the lower
        bound of overflow. This is timeHistogramMetricsBuckets without the infinities.
        """
        if self._edges is None:
            sub = self._sub_bits
            edges = [j << self._shift0 for j in range(1 << sub)]
            for i in range(self._min_bits, self._max_bits):
                edges.extend((1 << (i - 1)) | (j << (i - 1 - sub)) for j in range(1 << sub))
            edges.append(1 << (self._max_bits - 1))
            self._edges = tuple(edges)
        return self._edges

    def edges_seconds(self) -> tuple[float, ...]:
        """Boundaries exactly as runtime/metrics exports them: -Inf, ns/1e9 ..., +Inf."""
        return (-math.inf, *(e / 1e9 for e in self.edges_ns()), math.inf)

    # -- recording -----------------------------------------------------------------------

    def record(self, d_ns: int) -> None:
        """Add one duration sample (timeHistogram.record)."""
        if self._count:
            if d_ns < self._min:
                self._min = d_ns
            elif d_ns > self._max:
                self._max = d_ns
        else:
            self._min = self._max = d_ns
        self._count += 1
        self._sum += d_ns
        if d_ns < 0:
            self._counts[0] += 1
            return
        n = d_ns.bit_length()
        if n < self._min_bits:
            self._counts[1 + (d_ns >> self._shift0)] += 1
        elif n >= self._max_bits:
            self._counts[self._overflow] += 1
        else:
            sub = self._sub_bits
            self._counts[(n << sub) + self._adj + ((d_ns >> (n - 1 - sub)) & self._mask)] += 1

    def record_n(self, d_ns: int, n: int) -> None:
        """Add n samples of the same duration."""
        if n <= 0:
            if n < 0:
                raise ValueError(f"n must be >= 0, got {n}")
            return
        if self._count:
            if d_ns < self._min:
                self._min = d_ns
            elif d_ns > self._max:
                self._max = d_ns
        else:
            self._min = self._max = d_ns
        self._count += n
        self._sum += d_ns * n
        self._counts[self.bucket_index(d_ns)] += n

    def merge(self, other: TimeHistogram) -> None:
        """Add other's samples into this histogram (layouts must match)."""
        if (other._sub_bits, other._min_bits, other._max_bits) != (
            self._sub_bits,
            self._min_bits,
            self._max_bits,
        ):
            raise ValueError("cannot merge TimeHistograms with different layouts")
        if other._count == 0:
            return
        if self._count == 0:
            self._min, self._max = other._min, other._max
        else:
            self._min = min(self._min, other._min)
            self._max = max(self._max, other._max)
        self._count += other._count
        self._sum += other._sum
        counts = self._counts
        for i, c in enumerate(other._counts):
            if c:
                counts[i] += c

    def copy(self) -> TimeHistogram:
        h = TimeHistogram(self._sub_bits, self._min_bits, self._max_bits)
        h.merge(self)
        return h

    # -- reading -------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return self._count

    @property
    def sum_ns(self) -> int:
        return self._sum

    @property
    def min_ns(self) -> int:
        """Exact smallest sample (0 when empty)."""
        return self._min

    @property
    def max_ns(self) -> int:
        """Exact largest sample (0 when empty)."""
        return self._max

    @property
    def mean_ns(self) -> int:
        """Exact mean, rounded to the nearest ns (0 when empty)."""
        if self._count == 0:
            return 0
        return (2 * self._sum + self._count) // (2 * self._count)

    @property
    def counts(self) -> tuple[int, ...]:
        """[underflow, regular..., overflow] (162 entries for Go's layout)."""
        return tuple(self._counts)

    def bucket_bounds_ns(self, index: int) -> tuple[int, int]:
        """[lo, hi) of counts[index]; underflow and overflow are bounded by min and max."""
        edges = self.edges_ns()
        if index == 0:
            return (min(self._min, 0), 0)
        if index == self._overflow:
            return (edges[-1], max(self._max + 1, edges[-1] + 1))
        return (edges[index - 1], edges[index])

    def quantile(self, q: float) -> int:
        """Estimate of the nearest-rank q-quantile, in ns (0 when empty).

        The target is the sample of rank max(1, ceil(q*count)). Within its bucket (narrowed
        to [min, max]) the c samples are taken as evenly spread, the k-th at the middle of
        its 1/c share. The result lies in the same bucket as the exact sample, so it is
        within one bucket width of it, and it is exact at q=0 (min) and q=1 (max).
        """
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"q must be in [0, 1], got {q}")
        total = self._count
        if total == 0:
            return 0
        rank = max(1, math.ceil(q * total))
        if rank >= total:
            return self._max
        if rank == 1:
            return self._min
        counts = self._counts
        before = 0
        index = 0
        c = counts[0]
        while before + c < rank:
            before += c
            index += 1
            c = counts[index]
        lo, hi = self.bucket_bounds_ns(index)
        lo = max(lo, self._min)
        hi = min(hi, self._max + 1)
        est = lo + (hi - lo) * (2 * (rank - before) - 1) // (2 * c)
        return min(max(est, self._min), self._max)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TimeHistogram):
            return NotImplemented
        return (
            self._sub_bits == other._sub_bits
            and self._min_bits == other._min_bits
            and self._max_bits == other._max_bits
            and self._count == other._count
            and self._sum == other._sum
            and self._min == other._min
            and self._max == other._max
            and self._counts == other._counts
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"TimeHistogram(sub_bucket_bits={self._sub_bits}, count={self._count}, "
            f"min_ns={self._min}, max_ns={self._max})"
        )


class SizeHistogram:
    """/gc/heap/allocs-by-size:bytes: one count per small size class, plus large objects.

    Boundaries are [1, size1+1, ..., size67+1, +Inf] (metrics.go sizeClassBuckets), so
    counts[i] holds objects of class i+1 and counts[67] the large objects. record() takes
    the object's slot size (elemsize, malloc header included, or the large span size); a
    slot size is bucketed by its class. Tiny allocations count as their 16 B blocks.
    """

    __slots__ = ("_count", "_counts", "_sum")

    def __init__(self) -> None:
        self._counts = [0] * NUM_SIZE_CLASSES
        self._count = 0
        self._sum = 0

    @staticmethod
    def bucket_index(size_bytes: int) -> int:
        """Index into counts for an object of slot size size_bytes (>= 1)."""
        if size_bytes > MAX_SMALL_SIZE:
            return NUM_SIZE_CLASSES - 1
        if size_bytes <= SMALL_SIZE_MAX - SMALL_SIZE_DIV:
            return SIZE_TO_CLASS8[(size_bytes + SMALL_SIZE_DIV - 1) >> 3] - 1
        return SIZE_TO_CLASS128[(size_bytes - SMALL_SIZE_MAX + LARGE_SIZE_DIV - 1) >> 7] - 1

    @staticmethod
    def edges_bytes() -> tuple[float, ...]:
        """The 69 boundaries as runtime/metrics exports them (floats, last +Inf)."""
        return (1.0, *(float(s + 1) for s in CLASS_TO_SIZE[1:]), math.inf)

    def record(self, size_bytes: int, n: int = 1) -> None:
        """Count n objects of slot size size_bytes. Zero-size requests are not counted
        (mallocgc returns &zerobase before any accounting)."""
        if size_bytes <= 0 or n <= 0:
            if n < 0:
                raise ValueError(f"n must be >= 0, got {n}")
            return
        self._counts[self.bucket_index(size_bytes)] += n
        self._count += n
        self._sum += size_bytes * n

    def record_class(self, size_class: int, n: int = 1, large_bytes: int = 0) -> None:
        """Count n objects of a size class (0 = large, each of large_bytes)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if size_class == 0:
            self._counts[NUM_SIZE_CLASSES - 1] += n
            self._sum += large_bytes * n
        else:
            self._counts[size_class - 1] += n
            self._sum += CLASS_TO_SIZE[size_class] * n
        self._count += n

    def merge(self, other: SizeHistogram) -> None:
        for i, c in enumerate(other._counts):
            self._counts[i] += c
        self._count += other._count
        self._sum += other._sum

    @property
    def counts(self) -> tuple[int, ...]:
        return tuple(self._counts)

    @property
    def count(self) -> int:
        return self._count

    @property
    def sum_bytes(self) -> int:
        """Exact total of the recorded slot sizes."""
        return self._sum

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SizeHistogram):
            return NotImplemented
        return (self._counts, self._count, self._sum) == (
            other._counts,
            other._count,
            other._sum,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SizeHistogram(count={self._count}, sum_bytes={self._sum})"
