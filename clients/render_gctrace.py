"""GODEBUG=gctrace=1 output of a simulation Result, line for line as Go prints it, and the
gctrace=1,gcpacertrace=1 variant.

Each CycleRecord already carries its line exactly as runtime/mgc.go's gcMarkTermination
formats it (simcore.gctrace.format_gctrace_line), and, for a cycle started by the
two-minute forced GC (TriggerKind.TIME), the "GC forced" line that runtime/proc.go's
forcegchelper prints before it calls gcStart. gctrace_text only joins them: one line per
"\\n", in cycle order, with a trailing newline (the empty string when no cycle ran), so the
text can be diffed against, or parsed like, a real program's stderr.

gcpacertrace_text adds, before each cycle's gctrace line, the pacer's end-of-cycle line as
endCycle (mgcpacer.go) prints it under GODEBUG=gcpacertrace=1
(simcore.gctrace.format_pacer_line), built from the records: the cycle's scan work
(heap_scan_work_bytes, stacks_bytes, globals_bytes), the previous cycle's as the expected
work, heapLive at the start (heap_start_bytes, which is Go's `triggered`) and at mark
termination (heap_end_bytes), the goal, the previous cycle's cons/mark estimate (the one
this cycle was paced with) and the assist utilisation over the mark. As in Go, a cycle
with heapLive at the end not above the start has no such line, and neither has the first
cycle (the expectation and estimate it ran with come from gosim's warm start, not from a
record). The pacer's other lines (the assist ratio at mark start, "sweep done") are not
produced.
"""

from __future__ import annotations

from collections.abc import Iterator

from simcore.gctrace import format_pacer_line
from simcore.pacer import GC_BACKGROUND_UTILIZATION
from simcore.results import CycleRecord, Result


def gctrace_lines(result: Result) -> Iterator[str]:
    """Every gctrace line of the run, without newlines ("GC forced" lines included)."""
    for cycle in result.cycles:
        yield from cycle.gctrace.split("\n")


def gctrace_text(result: Result) -> str:
    """The run's gctrace output: every line followed by "\\n" ("" when no cycle ran)."""
    return "".join(line + "\n" for line in gctrace_lines(result))


def pacer_line(cycle: CycleRecord, previous: CycleRecord | None) -> str | None:
    """The gcpacertrace end-of-cycle line for cycle, or None where Go prints none (see the
    module docstring)."""
    if previous is None or cycle.heap_end_bytes <= cycle.heap_start_bytes:
        return None
    assist_ns = (cycle.mark_clock_ns + cycle.stop_ns_mark_term) * cycle.gomaxprocs
    # endCycle: the background workers' share as planned, plus the assists' over the mark
    utilization = GC_BACKGROUND_UTILIZATION + (cycle.assist_cpu_ns / assist_ns
                                               if assist_ns else 0.0)
    return format_pacer_line(
        utilization=utilization, heap_scan_work_bytes=cycle.heap_scan_work_bytes,
        stack_scan_work_bytes=cycle.stacks_bytes, globals_scan_work_bytes=cycle.globals_bytes,
        expected_scan_work_bytes=(previous.heap_scan_work_bytes + previous.stacks_bytes
                                  + previous.globals_bytes),
        triggered_bytes=cycle.heap_start_bytes, heap_live_bytes=cycle.heap_end_bytes,
        last_heap_goal_bytes=cycle.heap_goal_bytes, cons_mark=previous.cons_mark)


def gcpacertrace_lines(result: Result) -> Iterator[str]:
    """gctrace_lines with each cycle's pacer end-of-cycle line just before its gctrace line."""
    previous: CycleRecord | None = None
    for cycle in result.cycles:
        lines = cycle.gctrace.split("\n")
        yield from lines[:-1]  # "GC forced"
        pacer = pacer_line(cycle, previous)
        if pacer is not None:
            yield pacer
        yield lines[-1]
        previous = cycle


def gcpacertrace_text(result: Result) -> str:
    """The run's output under GODEBUG=gctrace=1,gcpacertrace=1 (end-of-cycle lines only)."""
    return "".join(line + "\n" for line in gcpacertrace_lines(result))
