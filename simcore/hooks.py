"""Observation hooks: how a run reports progress without doing I/O.

The core never prints. A caller passes a Hooks object; the engine calls progress() about
every progress_interval_ns of simulated time and cycle() as each GC cycle completes. A hook
may raise Cancelled (or any exception) to stop the run: the exception propagates out of
simulate() and the run's state is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simcore.results import CycleRecord


class Cancelled(Exception):
    """Raised by a hook to stop a run early."""


@dataclass(frozen=True)
class Progress:
    """Where a run is: simulated time reached, of the total asked for."""

    simulated_ns: int
    duration_ns: int
    cycles: int
    requests_completed: int

    @property
    def fraction(self) -> float:
        return min(1.0, self.simulated_ns / self.duration_ns) if self.duration_ns else 1.0


@dataclass(frozen=True)
class Hooks:
    """Callbacks for a run; any of them may be None.

    progress_interval_ns: simulated time between progress() calls (0 = duration/200).
    """

    progress: Callable[[Progress], None] | None = None
    cycle: Callable[[CycleRecord], None] | None = None
    progress_interval_ns: int = 0
