"""Execution-trace recording for a bounded window of a run.

The machine and the collector report intervals as they end (a goroutine leaving its P, an
idle P picking up work during mark, a pause ending). TraceRecorder keeps those overlapping
the window, clipped to it, up to a maximum count; beyond that it only notes truncation. When
no trace is asked for the machine holds None and pays one attribute test per transition.
"""

from __future__ import annotations

from simcore.results import SpanKind, Trace, TraceSpan


class TraceRecorder:
    """Collects TraceSpans overlapping [start_ns, end_ns)."""

    __slots__ = ("end_ns", "max_spans", "spans", "start_ns", "truncated")

    def __init__(self, start_ns: int, end_ns: int, max_spans: int) -> None:
        self.start_ns = start_ns
        self.end_ns = end_ns
        self.max_spans = max_spans
        self.spans: list[TraceSpan] = []
        self.truncated = False

    def span(self, track: int, start_ns: int, end_ns: int, kind: SpanKind, goroutine: int,
             cycle: int) -> None:
        if end_ns <= self.start_ns or start_ns >= self.end_ns or end_ns <= start_ns:
            return
        if len(self.spans) >= self.max_spans:
            self.truncated = True
            return
        self.spans.append(TraceSpan(track, max(start_ns, self.start_ns),
                                    min(end_ns, self.end_ns), kind, goroutine, cycle))

    def result(self) -> Trace:
        return Trace(self.start_ns, self.end_ns, tuple(self.spans), self.truncated)
