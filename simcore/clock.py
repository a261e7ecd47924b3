"""The simulation clock: SimPy's Environment with integer-nanosecond time.

Every delay gosim schedules is an int, so the clock only ever holds ints; `ns` reads it with
that type. advance(t) moves the clock to t when no event is due before t: the arrival loop
uses it to take the next arrival without scheduling an event for it (nothing can happen in
between, so the result is the same as an event at t).
"""

from __future__ import annotations

import simpy


class Clock(simpy.Environment):
    """A SimPy Environment whose time is integer ns."""

    @property
    def ns(self) -> int:
        """The current simulated time in ns."""
        return self._now  # type: ignore[return-value]

    def advance(self, t: int) -> None:
        """Move the clock to t; no event may be due before t."""
        assert self._now <= t <= self.peek()
        self._now = t
