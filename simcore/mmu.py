"""Minimum mutator utilization (MMU), computed online over a stream of utilization changes.

The mutator utilization u(t) is the fraction of all Ps available to user code at time t:
0 during a stop-the-world pause, 1 - 0.25 - assists/GOMAXPROCS during concurrent mark, 1
otherwise. For a window size w, MMU(w) is the smallest mean of u over any window
[s, s+w] inside the run. This is the definition of internal/trace/gc.go (MMUCurve.MMU, used
by `go tool trace`): a window longer than the run is clamped to the run's length, and a
window of 0 has MMU 0.

u is piecewise constant, so the windowed mean W(e) = (I(e) - I(e-w))/w, with I the running
integral of u and e the window's end, is continuous and piecewise linear. Its slope changes
only where either edge of the window meets a change point, so its minimum over e is at such
a point: a window ending at a change point (e = c) or starting at one (e = c + w).
internal/trace's MMUCurve walks the same breakpoints with two integrators over a whole
trace; this tracker does it online:

  - Each change point is stored with its utilization and I at that time.
  - For every window size, a sweep position e follows the newest change point. When a new
    one arrives at t, the newest segment [t_last, t) is known, so every breakpoint e in
    (t_last, t] is evaluated: the windows that start at c_j (e = c_j + w, the "lag" edge
    crossing a change point) and the window ending at t.
  - A window whose integral cannot have fallen below its minimum since it was last
    evaluated is skipped in O(1) (see MMUTracker), which is the common case.
  - The lag edge never goes back, so change points older than the largest window's lag
    edge are dropped. Memory is bounded by the change points within the largest window.

The result is exact (up to float rounding of I) for every window size given. Note that
MMU(w) is not monotone in w in general (u = 0,1,0 over three 1 ms steps gives MMU(2 ms) =
0.5 but MMU(3 ms) = 1/3); result_monotone() gives the lower envelope over the configured
windows, min over w' >= w, which is.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable

# Default window sizes: a 1-2-5 ladder from 1 ms to 1 s. This is gosim's choice, not a Go
# constant (`go tool trace` plots MMU over a continuous, log-scaled range of windows).
DEFAULT_WINDOWS_NS: tuple[int, ...] = (
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    20_000_000,
    50_000_000,
    100_000_000,
    200_000_000,
    500_000_000,
    1_000_000_000,
)

# Try to compact the change-point buffer once it holds this many points (then twice what
# was kept), so compaction costs O(1) amortised per change point.
_COMPACT_MIN = 64


class MMUTracker:
    """Online exact MMU for a fixed set of window sizes.

    Feed change(t_ns, mutator_fraction) in time order: the utilization from t_ns on.
    The first call sets the start of the run. Then call finish(t_end_ns) once and read
    result().

    Pruning: on a span [t_last, t) of utilization u, any window integral W(e) with e in the
    span is at least W(t_last) - (t - t_last)*(1 - u), since its slope u(e) - u(e-w) is at
    least u - 1. So after a window is evaluated at some change point, none of its windows
    can beat its minimum until the sum of those drops since then exceeds W - minimum. All
    windows share one running sum of drops (_drop_sum) and each keeps the value of that sum
    at which it must be looked at again (_threshold); while the sum is below the smallest
    threshold a change point costs O(1). That is the common case: in long runs of full
    utilization the drop is 0, and during mark the drops are small against the windows.
    """

    __slots__ = (
        "_base",
        "_best",
        "_compact_at",
        "_drop_sum",
        "_finished",
        "_integral",
        "_lag",
        "_min_threshold",
        "_started",
        "_t0",
        "_threshold",
        "_times",
        "_total_integral",
        "_total_ns",
        "_utils",
        "_windows",
    )

    def __init__(self, windows_ns: Iterable[int] = DEFAULT_WINDOWS_NS) -> None:
        ws = tuple(sorted(set(windows_ns)))
        if not ws:
            raise ValueError("at least one window is needed")
        if ws[0] <= 0:
            raise ValueError(f"windows must be > 0 ns, got {ws[0]}")
        self._windows = ws
        n = len(ws)
        # Change points from absolute index _base on: time, utilization after it, and the
        # integral of u from the start up to it.
        self._times: list[int] = []
        self._utils: list[float] = []
        self._integral: list[float] = []
        self._base = 0
        self._t0 = 0
        # Per window: has its sweep begun (the run reached t0 + w); the absolute index of
        # a change point at or before its start edge (a hint: it may lag behind); the
        # smallest window integral seen; the _drop_sum beyond which it must be evaluated.
        self._started = [False] * n
        self._lag = [0] * n
        self._best = [math.inf] * n
        self._threshold = [-math.inf] * n
        self._min_threshold = -math.inf
        self._drop_sum = 0.0
        self._compact_at = _COMPACT_MIN
        self._finished = False
        self._total_ns = 0
        self._total_integral = 0.0

    @property
    def windows_ns(self) -> tuple[int, ...]:
        return self._windows

    @property
    def buffered_points(self) -> int:
        """Change points currently kept (bounded by those within the largest window)."""
        return len(self._times)

    def change(self, t_ns: int, mutator_fraction: float) -> None:
        """The utilization is mutator_fraction from t_ns on (t_ns never decreases)."""
        if self._finished:
            raise RuntimeError("change() after finish()")
        if not 0.0 <= mutator_fraction <= 1.0:
            raise ValueError(f"mutator_fraction must be in [0, 1], got {mutator_fraction}")
        times = self._times
        if not times:
            self._t0 = t_ns
            times.append(t_ns)
            self._utils.append(mutator_fraction)
            self._integral.append(0.0)
            return
        t_last = times[-1]
        if t_ns <= t_last:
            if t_ns < t_last:
                raise ValueError(f"time went backwards: {t_ns} < {t_last}")
            # The previous value held for no time: replace it.
            self._utils[-1] = mutator_fraction
            return
        utils = self._utils
        u_last = utils[-1]
        if mutator_fraction == u_last:
            return
        i_new = self._integral[-1] + u_last * (t_ns - t_last)
        self._drop_sum += (t_ns - t_last) * (1.0 - u_last)
        if self._drop_sum > self._min_threshold:
            self._advance(t_ns, i_new)
        times.append(t_ns)
        utils.append(mutator_fraction)
        self._integral.append(i_new)
        if len(times) >= self._compact_at:
            self._compact()

    def finish(self, t_end_ns: int) -> None:
        """End the run at t_end_ns (the last utilization holds until then)."""
        if self._finished:
            raise RuntimeError("finish() called twice")
        self._finished = True
        times = self._times
        if not times:
            return
        t_last = times[-1]
        if t_end_ns < t_last:
            raise ValueError(f"time went backwards: {t_end_ns} < {t_last}")
        u_last = self._utils[-1]
        i_end = self._integral[-1] + u_last * (t_end_ns - t_last)
        if t_end_ns > t_last:
            self._drop_sum += (t_end_ns - t_last) * (1.0 - u_last)
            if self._drop_sum > self._min_threshold:
                self._advance(t_end_ns, i_end)
        self._total_ns = t_end_ns - self._t0
        self._total_integral = i_end

    def _advance(self, t_new: int, i_new: float) -> None:
        """Evaluate the windows whose threshold the drop sum has passed.

        For such a window, breakpoints in spans skipped since its last evaluation could not
        beat its minimum, so its start edge is first caught up (by bisection) to where a
        window ending at t_last starts. Then the breakpoints in (t_last, t_new]: windows
        starting at a change point c (e = c + w), and the window ending at t_new.
        """
        drop_sum = self._drop_sum
        thresholds = self._threshold
        times = self._times
        utils = self._utils
        integral = self._integral
        windows = self._windows
        started = self._started
        lags = self._lag
        best = self._best
        base = self._base
        n = len(times)
        t_last = times[-1]
        u_last = utils[-1]
        i_last = integral[-1]
        for k, th in enumerate(thresholds):
            if th >= drop_sum:
                continue
            w = windows[k]
            target = t_new - w  # the start edge of the window ending at t_new
            if started[k]:
                cur = best[k]
                j = lags[k] - base
                if j < 0:
                    j = 0
                edge = t_last - w
                if j + 1 < n and times[j + 1] <= edge:
                    j = bisect_right(times, edge, j + 1, n) - 1
            else:
                if target < self._t0:
                    break  # windows are sorted: the larger ones have not started either
                started[k] = True
                j = 0  # the start point t0 (nothing is dropped before all have started)
                cur = i_last + u_last * (self._t0 + w - t_last)
            while j + 1 < n:
                e = times[j + 1] + w
                if e > t_new:
                    break
                j += 1
                v = i_last + u_last * (e - t_last) - integral[j]
                if v < cur:
                    cur = v
            v = i_new - (integral[j] + utils[j] * (target - times[j]))
            if v < cur:
                cur = v
            lags[k] = j + base
            best[k] = cur
            thresholds[k] = drop_sum + (v - cur)
        self._min_threshold = min(thresholds)

    def _compact(self) -> None:
        """Drop change points no window's start edge can reach again."""
        times = self._times
        if self._started[-1]:
            # The largest window has the earliest start edge.
            keep = bisect_right(times, times[-1] - self._windows[-1]) - 1
            if keep > 0:
                del times[:keep]
                del self._utils[:keep]
                del self._integral[:keep]
                self._base += keep
        self._compact_at = max(_COMPACT_MIN, 2 * len(times))

    def result(self) -> tuple[tuple[int, float], ...]:
        """((window_ns, mmu), ...) for each window, smallest first (after finish())."""
        if not self._finished:
            raise RuntimeError("result() before finish()")
        total = self._total_ns
        out: list[tuple[int, float]] = []
        for k, w in enumerate(self._windows):
            if total <= 0:
                # No time elapsed, so nothing was measured: report full utilization.
                out.append((w, 1.0))
            elif w >= total or not self._started[k]:
                # Go clamps a window longer than the run to the run: its mean utilization.
                out.append((w, _clamp01(self._total_integral / total)))
            else:
                out.append((w, _clamp01(self._best[k] / w)))
        return tuple(out)

    def result_monotone(self) -> tuple[tuple[int, float], ...]:
        """result() made non-decreasing: each value is the min over windows >= w."""
        raw = self.result()
        out: list[tuple[int, float]] = []
        running = 1.0
        for w, m in reversed(raw):
            running = min(running, m)
            out.append((w, running))
        out.reverse()
        return tuple(out)


def _clamp01(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x
