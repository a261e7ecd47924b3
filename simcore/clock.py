"""The simulation clock: SimPy's Environment with integer-nanosecond time.

Every delay gosim schedules is an int, so the clock only ever holds ints; `ns` reads it with
that type, and the compiled modules read `_now` itself (this class is interpreted, as it
subclasses SimPy's: a property call from compiled code costs a Python frame, ~0.6 M of
them per 30 simulated s of the benchmark's reference run; simcore.timers moves the clock
and schedules events from compiled code for the same reason).
"""

from __future__ import annotations

import simpy


class Clock(simpy.Environment):
    """A SimPy Environment whose time is integer ns."""

    _now: int  # every delay is an int (see the module doc)

    @property
    def ns(self) -> int:
        """The current simulated time in ns."""
        return self._now
