"""Chrome trace-event / Perfetto JSON of a Result's execution trace window.

The output is the JSON Object Format of the Trace Event Format
({"traceEvents": [...], "displayTimeUnit": "ns"}), which ui.perfetto.dev and
chrome://tracing both open. One process ("gosim (<go version> runtime model)") holds one
thread per P and a "GC" thread for machine-wide spans (TraceSpan.track == -1):

    thread  tid         name  holds
    GC      GC_TID      "GC"  "STW sweep termination", "mark phase", "STW mark termination"
    P<i>    P_TID0 + i  "P<i>" goroutines ("G<id>"), "mark assist (G<id>)" nested in the
                               goroutine's slice, "dedicated mark worker", "idle mark worker"

tids are offset from the P ids (GC_TID = 999, P_TID0 = 1000) because trace viewers treat
tid 0, negative tids and a tid equal to the pid specially; "thread_sort_index" metadata
puts GC first, then P0, P1, ...
Every span is a complete event ("ph": "X") with ts and dur in microseconds (floats, so
nanoseconds survive), a category ("goroutine", "gc" or "stw") and args naming the P, the
goroutine id and the GC cycle. Within a thread, events are ordered by start time and, for
equal starts, longest first, so that a viewer nests an assist inside its goroutine's slice.
Spans are those of Result.trace, already clipped to its window; trace_json raises
ValueError if the run recorded no trace. A truncated trace (more spans than the configured
maximum) is still exported, flagged in "metadata".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simcore.results import Result, SpanKind, TraceSpan

PID = 1
GC_TID = 999
P_TID0 = 1000
GC_TRACK = -1

_CATEGORY = {
    SpanKind.GOROUTINE: "goroutine",
    SpanKind.ASSIST: "gc",
    SpanKind.DEDICATED: "gc",
    SpanKind.IDLE_MARK: "gc",
    SpanKind.FRACTIONAL: "gc",
    SpanKind.STW_SWEEP_TERM: "stw",
    SpanKind.MARK: "gc",
    SpanKind.STW_MARK_TERM: "stw",
}

# chrome://tracing's reserved colour names (Perfetto chooses its own colours).
_COLOUR = {
    SpanKind.GOROUTINE: "thread_state_running",
    SpanKind.ASSIST: "bad",
    SpanKind.DEDICATED: "thread_state_iowait",
    SpanKind.IDLE_MARK: "thread_state_sleeping",
    SpanKind.FRACTIONAL: "thread_state_iowait",
    SpanKind.STW_SWEEP_TERM: "terrible",
    SpanKind.MARK: "thread_state_iowait",
    SpanKind.STW_MARK_TERM: "terrible",
}


def span_name(span: TraceSpan) -> str:
    """The slice title of a span."""
    k = span.kind
    if k is SpanKind.GOROUTINE:
        return f"G{span.goroutine}"
    if k is SpanKind.ASSIST:
        return f"mark assist (G{span.goroutine})"
    return {
        SpanKind.DEDICATED: "dedicated mark worker",
        SpanKind.IDLE_MARK: "idle mark worker",
        SpanKind.FRACTIONAL: "fractional mark worker",
        SpanKind.STW_SWEEP_TERM: "STW sweep termination",
        SpanKind.MARK: "mark phase",
        SpanKind.STW_MARK_TERM: "STW mark termination",
    }[k]


def tid_for_track(track: int) -> int:
    """The trace-event tid of a TraceSpan track (a P id, or -1 for the GC thread)."""
    return GC_TID if track == GC_TRACK else P_TID0 + track


def _gomaxprocs(result: Result) -> int:
    if result.cycles:
        return result.cycles[-1].gomaxprocs
    s = result.summary
    return s.gc_cpu.total_ns // s.simulated_ns if s.simulated_ns else 0


def _us(ns: int) -> float:
    return ns / 1000.0


def _metadata(name: str, tid: int, args: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "ph": "M", "pid": PID, "tid": tid, "args": args}


def _event(span: TraceSpan) -> dict[str, Any]:
    args: dict[str, Any] = {"P": span.track} if span.track != GC_TRACK else {}
    if span.goroutine:
        args["goroutine"] = span.goroutine
    if span.cycle:
        args["cycle"] = span.cycle
    return {
        "name": span_name(span),
        "cat": _CATEGORY[span.kind],
        "ph": "X",
        "pid": PID,
        "tid": tid_for_track(span.track),
        "ts": _us(span.start_ns),
        "dur": _us(span.end_ns - span.start_ns),
        "cname": _COLOUR[span.kind],
        "args": args,
    }


def trace_json(result: Result) -> dict[str, Any]:
    """The trace-event JSON object (a dict ready for json.dump) of result.trace."""
    trace = result.trace
    if trace is None:
        raise ValueError(
            "the result has no execution trace: run the simulation with trace_duration_ns > 0 "
            "(and trace_start_ns inside the run) to record one")
    nprocs = max([_gomaxprocs(result), *(s.track + 1 for s in trace.spans)])
    events: list[dict[str, Any]] = [
        _metadata("process_name", GC_TID,
                  {"name": f"gosim ({result.go_version} runtime model)"}),
        _metadata("process_sort_index", GC_TID, {"sort_index": 0}),
        _metadata("thread_name", GC_TID, {"name": "GC"}),
        _metadata("thread_sort_index", GC_TID, {"sort_index": -1}),
    ]
    for p in range(nprocs):
        events.append(_metadata("thread_name", tid_for_track(p), {"name": f"P{p}"}))
        events.append(_metadata("thread_sort_index", tid_for_track(p), {"sort_index": p}))
    spans = sorted(trace.spans, key=lambda s: (tid_for_track(s.track), s.start_ns,
                                                 -(s.end_ns - s.start_ns)))
    events.extend(_event(s) for s in spans)
    return {
        "traceEvents": events,
        "displayTimeUnit": "ns",
        "metadata": {
            "gosim_version": result.gosim_version,
            "go_version": result.go_version,
            "seed": result.seed,
            "gomaxprocs": nprocs,
            "window_start_ns": trace.start_ns,
            "window_end_ns": trace.end_ns,
            "spans": len(trace.spans),
            "truncated": trace.truncated,
        },
    }


def write_trace(result: Result, path: str | Path) -> Path:
    """Write trace_json(result) to path (compact JSON); returns the path."""
    data = trace_json(result)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("w", encoding="utf-8") as f:
        json.dump(data, f, separators=(",", ":"))
    return p
