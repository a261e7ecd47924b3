"""Run statistics: histograms, the latency breakdown, MMU input and time-series columns.

Everything here has a size bounded by the histogram layouts, the number of GC cycles and the
number of samples; nothing grows with the number of requests.

Two histograms are kept for each duration: one in Go's runtime/metrics layout (2 sub-bucket
bits, bucket width <= 25 %), which is what results export, and a finer one (5 sub-bucket
bits, <= 3.2 %) from which percentiles are read.

The MMU tracker is fed the fraction of Ps available to user code: 0 during a pause, the
background workers' complement during mark, less 1/GOMAXPROCS for each assist in progress
(assists are short and are tracked with a small heap of their end times).
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from simcore.histogram import TimeHistogram
from simcore.mmu import MMUTracker
from simcore.results import Histogram, LatencyBreakdown, Percentiles

if TYPE_CHECKING:
    from simcore.machine import G

FINE_SUB_BUCKET_BITS = 5


class Stats:
    """Accumulators for one run."""

    def __init__(self, nprocs: int, warmup_ns: int) -> None:
        self.nprocs = nprocs
        self.warmup_ns = warmup_ns
        # Request latency is recorded once, in the fine layout; the runtime/metrics layout
        # is derived from it at the end (its buckets nest exactly in the coarse ones).
        self.latency_fine = TimeHistogram(FINE_SUB_BUCKET_BITS)
        self.pauses = TimeHistogram()
        self.pauses_fine = TimeHistogram(FINE_SUB_BUCKET_BITS)
        self.stopping = TimeHistogram()
        self.sched = TimeHistogram()
        self.t_run = 0
        self.t_wait = 0
        self.t_assist = 0
        self.t_stw = 0
        self.t_io = 0
        self.completed = 0  # requests completed (all)
        self.recorded = 0  # requests recorded (arrived after warm-up)
        self.arrived = 0
        self.pool_hits = 0
        self.pool_misses = 0
        self.mmu = MMUTracker()
        self.mmu.change(0, 1.0)  # the run starts with the mutator owning every P
        self._mmu_base = 1.0
        self._assists = 0
        self._assist_ends: list[int] = []

    def request_done(self, g: G, now: int) -> None:
        self.completed += 1
        if g.arrival_ns < self.warmup_ns:
            return
        self.recorded += 1
        self.latency_fine.record(now - g.arrival_ns)
        self.t_run += g.t_run
        self.t_wait += g.t_wait
        self.t_assist += g.t_assist
        self.t_stw += g.t_stw
        self.t_io += g.t_io

    def pause(self, total_ns: int, stopping_ns: int) -> None:
        self.pauses.record(total_ns)
        self.pauses_fine.record(total_ns)
        self.stopping.record(stopping_ns)

    # --- MMU --------------------------------------------------------------------------

    def _flush_assists(self, t: int) -> None:
        ends = self._assist_ends
        while ends and ends[0] <= t:
            e = heapq.heappop(ends)
            self._assists -= 1
            self.mmu.change(e, self._util())

    def _util(self) -> float:
        u = self._mmu_base - self._assists / self.nprocs
        return u if u > 0.0 else 0.0

    def mmu_change(self, t: int, base: float) -> None:
        """A phase change: the background utilization is `base` from t on."""
        self._flush_assists(t)
        if base == 0.0 or base == 1.0:
            self._assists = 0
            self._assist_ends.clear()
        self._mmu_base = base
        self.mmu.change(t, self._util())

    def mmu_background(self, t: int, base: float) -> None:
        """Within mark: background workers now leave `base` of the machine to the
        mutator (fractional bursts start or end); assists in progress are kept."""
        self._flush_assists(t)
        self._mmu_base = base
        self.mmu.change(t, self._util())

    def assist_interval(self, t: int, ns: int) -> None:
        """A goroutine assists for ns from t."""
        self._flush_assists(t)
        self._assists += 1
        heapq.heappush(self._assist_ends, t + ns)
        self.mmu.change(t, self._util())

    def finish_mmu(self, t_end: int) -> tuple[tuple[int, float], ...]:
        self._flush_assists(t_end)
        self.mmu.finish(t_end)
        return self.mmu.result_monotone()

    # --- results ------------------------------------------------------------------------

    def breakdown(self) -> LatencyBreakdown:
        return LatencyBreakdown(running_ns=self.t_run, runnable_ns=self.t_wait,
                                assist_ns=self.t_assist, stw_ns=self.t_stw, io_ns=self.t_io)


def coarsen(fine: TimeHistogram) -> Histogram:
    """The runtime/metrics-layout Histogram of the samples in a finer TimeHistogram.

    Each fine bucket lies inside one coarse bucket, so counts move over exactly; count,
    sum, min and max are the fine histogram's exact figures.
    """
    coarse = TimeHistogram()
    counts = [0] * len(coarse.counts)
    for i, c in enumerate(fine.counts):
        if c:
            lo = fine.bucket_bounds_ns(i)[0]
            counts[0 if i == 0 else coarse.bucket_index(lo)] += c
    return Histogram(boundaries_seconds=coarse.edges_seconds(), counts=tuple(counts),
                     count=fine.count, sum_ns=fine.sum_ns, min_ns=fine.min_ns,
                     max_ns=fine.max_ns)


def histogram_result(h: TimeHistogram) -> Histogram:
    return Histogram(boundaries_seconds=h.edges_seconds(), counts=h.counts, count=h.count,
                     sum_ns=h.sum_ns, min_ns=h.min_ns, max_ns=h.max_ns)


def percentiles(h: TimeHistogram) -> Percentiles:
    if h.count == 0:
        return Percentiles(0, 0, 0, 0, 0, 0, 0)
    return Percentiles(count=h.count, mean_ns=h.mean_ns, p50_ns=h.quantile(0.5),
                       p90_ns=h.quantile(0.9), p99_ns=h.quantile(0.99),
                       p999_ns=h.quantile(0.999), max_ns=h.max_ns)
