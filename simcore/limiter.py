"""The GC CPU limiter: a model of Go's gcCPULimiterState (src/runtime/mgclimit.go).

The limiter keeps the GC from taking over the CPU (a death spiral under a tight memory
limit). Its core is a leaky bucket measured in CPU-ns: GC CPU time fills it, mutator CPU time
drains it, one for one. Because fill and drain are unweighted, the bucket can only stay full
while the GC uses at least half of the CPU: the limiter caps GC CPU at about 50%, and the
bucket's capacity (1 CPU-second per P) is how long a spike above that is tolerated.

Each update(now) covers the window since the last update, window = (now-lastUpdate)*GOMAXPROCS
CPU-ns. GC time in it is the assist time reported since (add_assist_time), plus 25% of the
window while the GC is marking (the background workers are assumed to hit their goal). Time
Ps spent idle (add_idle_time; idle mark workers count as idle) is taken out of the window
afterwards, so an idle program does not drain the bucket. The rest is mutator time. The change
gc - mutator fills or drains the bucket; what does not fit is added to overflow.

Limiting turns on when the bucket fills and stays on until a window with a nonzero change
leaves it below capacity. While it is on the runtime skips mark assists and allocation-time
scavenging; the simulator asks limiting before each of them. A GC transition's STW pause
counts entirely as GC time (finish_gc_transition).

The bucket never goes negative: the GC earns no credit from long idle or mutator-only periods.
The bucket state is pure; the simulator calls these methods where the runtime does (worker
scheduling and assist flushes call update, the STW phases call the transitions, procresize
calls reset_capacity). Go's per-P in-flight events are not modelled: the simulator reports
assist and idle time into the pools before it updates. The ~50% cap relies on Go's update
cadence: assists update at every flush (so limiting starts as soon as the bucket fills),
while a limited program is only rechecked every 10 ms. Updating at one fixed period instead
lets GC CPU overshoot: assists wanting 75% of the CPU then alternate 100% and 25% windows,
62.5% on average.

Besides Go's state, this object records what the simulator reports: the cumulative time
limiting was on (limiting_total_ns) and the GC CPU fraction of the last window.
"""

from __future__ import annotations

from simcore.pacer import GC_BACKGROUND_UTILIZATION

__all__ = ["CAPACITY_PER_PROC_NS", "GC_CPU_LIMITER_UPDATE_PERIOD_NS", "GCCPULimiter"]

# CAPACITY_PER_PROC_NS is capacityPerProc (mgclimit.go): bucket capacity per P, 1 s.
CAPACITY_PER_PROC_NS = 1_000_000_000
# GC_CPU_LIMITER_UPDATE_PERIOD_NS is gcCPULimiterUpdatePeriod (mgclimit.go): 10 ms, the most
# wall time that may pass before an update is due.
GC_CPU_LIMITER_UPDATE_PERIOD_NS = 10_000_000


class GCCPULimiter:
    """gcCPULimiterState: the GC CPU limiter's leaky bucket (src/runtime/mgclimit.go).

    All quantities are int ns; fill, capacity and overflow are CPU-ns (wall ns x Ps).
    """

    def __init__(self, now_ns: int, gomaxprocs: int) -> None:
        """Models NewGCCPULimiter (export_test.go): zero state, then resetCapacity."""
        # fill_ns is the bucket's level in CPU-ns, 0 <= fill_ns <= capacity_ns. Updated by
        # every accumulation (update, finish_gc_transition) and by reset_capacity.
        self.fill_ns = 0
        # capacity_ns is the bucket's size in CPU-ns: GOMAXPROCS * 1 s. Set by reset_capacity.
        self.capacity_ns = 0
        # overflow_ns is the cumulative GC CPU-ns that did not fit in a full bucket.
        self.overflow_ns = 0
        # gc_enabled mirrors gcBlackenEnabled: whether 25% background GC time is counted.
        # Flipped by start_gc_transition.
        self.gc_enabled = False
        # transitioning is true between start_gc_transition and finish_gc_transition (STW);
        # in Go the limiter's lock is held then, so updates are dropped.
        self.transitioning = False
        # assist_time_pool_ns is assist (and scavenge assist) CPU-ns reported since the last
        # update. Filled by add_assist_time, drained by update.
        self.assist_time_pool_ns = 0
        # idle_time_pool_ns is CPU-ns Ps spent idle (or in idle mark workers) since the last
        # update. Filled by add_idle_time, drained by update.
        self.idle_time_pool_ns = 0
        # last_update_ns is the time of the last update or transition.
        self.last_update_ns = 0
        # nprocs is the GOMAXPROCS the window is measured with. Set by reset_capacity.
        self.nprocs = 0
        # num_gc is memstats.numgc, kept current by the simulator; last_enabled_cycle is
        # num_gc+1 when limiting last turned on (/gc/limiter/last-enabled:gc-cycle).
        self.num_gc = 0
        self.last_enabled_cycle = 0
        # _enabled is whether limiting is on (Go's enabled flag); read it through limiting.
        self._enabled = False
        # limiting_closed_ns is the total time of finished limiting periods, and
        # _enabled_since_ns the start of the current one. Maintained by _set_enabled.
        self._limiting_closed_ns = 0
        self._enabled_since_ns = 0
        # last_window_ns and last_window_gc_ns are the CPU-ns (idle time excluded) and GC
        # CPU-ns of the last accumulation; they give gc_cpu_fraction.
        self.last_window_ns = 0
        self.last_window_gc_ns = 0
        self.reset_capacity(now_ns, gomaxprocs)

    @property
    def limiting(self) -> bool:
        """Models limiting(): whether the GC should limit its CPU use (skip assists)."""
        return self._enabled

    def limiting_total_ns(self, now_ns: int) -> int:
        """Cumulative wall ns limiting has been on, up to now_ns."""
        if self._enabled:
            return self._limiting_closed_ns + max(0, now_ns - self._enabled_since_ns)
        return self._limiting_closed_ns

    @property
    def gc_cpu_fraction(self) -> float:
        """GC share of the non-idle CPU time in the last window, clamped to [0, 1].

        The 25% background share is an assumption (Go's), so with much idle time the raw
        ratio can exceed 1; the clamp reports that as 100%.
        """
        if self.last_window_ns <= 0:
            return 1.0 if self.last_window_gc_ns > 0 else 0.0
        return min(1.0, max(0.0, self.last_window_gc_ns / self.last_window_ns))

    def add_assist_time(self, ns: int) -> None:
        """Models addAssistTime: assist CPU-ns to include in the next update."""
        self.assist_time_pool_ns += ns

    def add_idle_time(self, ns: int) -> None:
        """Models addIdleTime: idle CPU-ns to exclude from the next update's window."""
        self.idle_time_pool_ns += ns

    def need_update(self, now_ns: int) -> bool:
        """Models needUpdate: more than 10 ms since the last update."""
        return now_ns - self.last_update_ns > GC_CPU_LIMITER_UPDATE_PERIOD_NS

    def update(self, now_ns: int) -> None:
        """Models update: accumulates the window since the last update.

        During a GC transition Go's lock is held, so the update is dropped (the pools keep
        their time for the next one).
        """
        if self.transitioning:
            return
        self._update_locked(now_ns)

    def start_gc_transition(self, enable_gc: bool, now_ns: int) -> None:
        """Models startGCTransition: flushes the window, flips gc_enabled, enters the STW."""
        if self.transitioning:
            raise RuntimeError("failed to acquire lock to start a GC transition")
        if self.gc_enabled == enable_gc:
            raise RuntimeError("transitioning GC to the same state as before?")
        self._update_locked(now_ns)
        self.gc_enabled = enable_gc
        self.transitioning = True

    def finish_gc_transition(self, now_ns: int) -> None:
        """Models finishGCTransition: the STW pause counts as GC time on every P."""
        if not self.transitioning:
            raise RuntimeError("finishGCTransition called without starting one?")
        if now_ns >= self.last_update_ns:
            self._accumulate(0, (now_ns - self.last_update_ns) * self.nprocs, now_ns)
        self.last_update_ns = now_ns
        self.transitioning = False

    def reset_capacity(self, now_ns: int, nprocs: int) -> None:
        """Models resetCapacity: flushes the window, then resizes the bucket for nprocs."""
        if self.transitioning:
            raise RuntimeError("failed to acquire lock to reset capacity")
        self._update_locked(now_ns)
        self.nprocs = nprocs
        self.capacity_ns = nprocs * CAPACITY_PER_PROC_NS
        if self.fill_ns > self.capacity_ns:
            self.fill_ns = self.capacity_ns
            self._set_enabled(True, now_ns)
            self.last_enabled_cycle = self.num_gc + 1
        elif self.fill_ns < self.capacity_ns:
            self._set_enabled(False, now_ns)

    def _update_locked(self, now_ns: int) -> None:
        """Models updateLocked."""
        if now_ns < self.last_update_ns:
            return  # A stale time: this isn't even the latest update.
        window_total_ns = (now_ns - self.last_update_ns) * self.nprocs
        self.last_update_ns = now_ns
        assist_ns, self.assist_time_pool_ns = self.assist_time_pool_ns, 0
        idle_ns, self.idle_time_pool_ns = self.idle_time_pool_ns, 0
        window_gc_ns = assist_ns
        if self.gc_enabled:
            window_gc_ns += int(float(window_total_ns) * GC_BACKGROUND_UTILIZATION)
        # Idle time comes out after the GC share, which is of the real total time.
        window_total_ns -= idle_ns
        self._accumulate(window_total_ns - window_gc_ns, window_gc_ns, now_ns)

    def _accumulate(self, mutator_ns: int, gc_ns: int, now_ns: int) -> None:
        """Models accumulate: moves the bucket by gc - mutator and sets limiting."""
        self.last_window_ns = mutator_ns + gc_ns
        self.last_window_gc_ns = gc_ns
        headroom = self.capacity_ns - self.fill_ns
        # Go infers the previous state from a full bucket rather than reading the flag.
        was_full = headroom == 0
        change = gc_ns - mutator_ns
        if change > 0 and headroom <= change:
            self.overflow_ns += change - headroom
            self.fill_ns = self.capacity_ns
            if not was_full:
                self._set_enabled(True, now_ns)
            return
        self.fill_ns = max(0, self.fill_ns + change)
        if change != 0 and was_full:
            self._set_enabled(False, now_ns)

    def _set_enabled(self, enabled: bool, now_ns: int) -> None:
        """Stores the limiting flag, keeping the limiting-time total and lastEnabledCycle."""
        if enabled and not self._enabled:
            self._enabled_since_ns = now_ns
            self.last_enabled_cycle = self.num_gc + 1
        elif not enabled and self._enabled:
            self._limiting_closed_ns += max(0, now_ns - self._enabled_since_ns)
        self._enabled = enabled
