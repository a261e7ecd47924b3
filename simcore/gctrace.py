"""The GODEBUG=gctrace=1 line, formatted exactly as gcMarkTermination prints it, and parsed.

At the end of each cycle (after the world restarts from mark termination) mgc.go prints:

    gc N @T s U%: a+b+c ms clock, d+e/f/g+h ms cpu, H0->H1->H2 MB, G MB goal,
        S MB stacks, Gl MB globals, P P [(forced)]

    N      memstats.numgc (after the increment)
    T      (tSweepTerm - runtimeInitTime)/1e6 printed with itoaDiv(.., 3): whole ms as s.mmm
    U      int(gc_cpu_fraction*100), cumulative since the program started
    a,b,c  tMark-tSweepTerm (STW #1), tMarkTerm-tMark (mark), tEnd-tMarkTerm (STW #2)
    d, h   stwprocs*a and stwprocs*c (stwprocs = min(GOMAXPROCS, ncpu))
    e,f,g  assist time, dedicated+fractional worker time, idle worker time
    H0..H2 heapLive at gcStart, heapLive at mark termination, bytes marked (>>20, truncated)
    G      lastHeapGoal;  S  lastStackScan;  Gl  globalsScan  (all >>20)
    P      GOMAXPROCS;  " (forced)" when the cycle came from runtime.GC()

Every duration goes through fmtNSAsMS: at least 10 ms prints whole milliseconds; below
that the value is truncated to microseconds and then to two significant digits with at
most three decimals (18 us -> 0.018, 248 us -> 0.24, 1.3 ms -> 1.3, 9.99 ms -> 9.9, under
1 us -> 0). Both it and the @T field use itoaDiv, which writes val/10^dec with exactly dec
decimals and a leading "0." when needed.

Cycles started by the two-minute forced GC are preceded by the line "GC forced", printed by
forcegchelper (proc.go) before it calls gcStart.

parse_gctrace_line reads such lines back (Go 1.6+ layout, with or without the stacks and
globals fields of Go 1.18+, and the "(forced)" suffix), for validating the simulator
against real programs.

With GODEBUG=gcpacertrace=1 as well, endCycle (mgcpacer.go, Go 1.18+) prints one more line
per cycle, during mark termination and so before that cycle's gctrace line:

    pacer: U% CPU (G exp.) for H+S+Gl B work (E B exp.) in T B -> L B (∆goal D,
        cons/mark C)

    U      int(utilization*100): gcBackgroundUtilization plus assist time over the mark
    G      int(gcGoalUtilization*100)
    H,S,Gl heapScanWork, stackScanWork, globalsScanWork: this cycle's scan work, bytes
    E      lastHeapScan + lastStackScan + globalsScan: the scan work the pacer expected
    T, L   triggered (heapLive when the cycle was triggered) and heapLive now, bytes
    D      heapLive - lastHeapGoal, bytes
    C      consMark before this cycle's update: the estimate the cycle was paced with

It is skipped for a cycle too short to measure (heapLive <= triggered, such as a
runtime.GC() right after the previous cycle). parse_pacer_line reads it; the other pacer
lines (the assist ratio at mark start, "sweep done") are not needed and are rejected.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import TypedDict

from simcore.pacer import GC_GOAL_UTILIZATION

# runtime/proc.go forcegchelper: printed (under gctrace) before a time-triggered cycle.
GC_FORCED_LINE = "GC forced"

# runtime/mgc.go gcMarkTermination: heap sizes are printed as bytes>>20 ("MB").
_MB_SHIFT = 20
# runtime/mgc.go fmtNSAsMS: from 10e6 ns on, durations print as whole milliseconds.
_WHOLE_MS_FROM_NS = 10_000_000


def _itoa_div(val: int, dec: int) -> str:
    """itoaDiv (mgc.go): val/10^dec with exactly dec decimals (at least one integer digit)."""
    if dec == 0:
        return str(val)
    digits = str(val).rjust(dec + 1, "0")
    return f"{digits[:-dec]}.{digits[-dec:]}"


def fmt_ns_as_ms(ns: int) -> str:
    """fmtNSAsMS (mgc.go): ns nanoseconds as milliseconds, the way gctrace prints them."""
    if ns < 0:
        raise ValueError(f"ns must be >= 0, got {ns}")
    if ns >= _WHOLE_MS_FROM_NS:
        return _itoa_div(ns // 1_000_000, 0)
    x = ns // 1000
    if x == 0:
        return "0"
    dec = 3
    while x >= 100:
        x //= 10
        dec -= 1
    return _itoa_div(x, dec)


def format_gctrace_line(
    *,
    cycle: int,
    start_ns: int,
    cpu_percent: int,
    stw1_ns: int,
    mark_ns: int,
    stw2_ns: int,
    stwprocs: int,
    assist_cpu_ns: int,
    dedicated_fractional_cpu_ns: int,
    idle_cpu_ns: int,
    heap0_bytes: int,
    heap1_bytes: int,
    heap2_bytes: int,
    goal_bytes: int,
    stacks_bytes: int,
    globals_bytes: int,
    gomaxprocs: int,
    forced: bool = False,
) -> str:
    """The gctrace line for one cycle, exactly as Go prints it (without the newline).

    start_ns is tSweepTerm - runtimeInitTime; stw1/mark/stw2 are the wall-clock phases;
    stwprocs multiplies the two STW phases into CPU time; forced marks runtime.GC().
    """
    f = fmt_ns_as_ms
    line = (
        f"gc {cycle} @{_itoa_div(start_ns // 1_000_000, 3)}s {cpu_percent}%: "
        f"{f(stw1_ns)}+{f(mark_ns)}+{f(stw2_ns)} ms clock, "
        f"{f(stwprocs * stw1_ns)}+{f(assist_cpu_ns)}/{f(dedicated_fractional_cpu_ns)}/"
        f"{f(idle_cpu_ns)}+{f(stwprocs * stw2_ns)} ms cpu, "
        f"{heap0_bytes >> _MB_SHIFT}->{heap1_bytes >> _MB_SHIFT}->{heap2_bytes >> _MB_SHIFT} MB, "
        f"{goal_bytes >> _MB_SHIFT} MB goal, "
        f"{stacks_bytes >> _MB_SHIFT} MB stacks, "
        f"{globals_bytes >> _MB_SHIFT} MB globals, "
        f"{gomaxprocs} P"
    )
    if forced:
        line += " (forced)"
    return line


class GCTraceRecord(TypedDict):
    """One parsed gctrace line. Times are in ms as printed; sizes in MB (bytes>>20).

    stacks_mb and globals_mb are None for lines from before Go 1.18.
    """

    cycle: int
    start_ms: int
    start_s: float
    cpu_percent: int
    stw1_clock_ms: float
    mark_clock_ms: float
    stw2_clock_ms: float
    stw1_cpu_ms: float
    assist_cpu_ms: float
    background_cpu_ms: float
    idle_cpu_ms: float
    stw2_cpu_ms: float
    heap0_mb: int
    heap1_mb: int
    heap2_mb: int
    goal_mb: int
    stacks_mb: int | None
    globals_mb: int | None
    procs: int
    forced: bool


def _num(name: str) -> str:
    return rf"(?P<{name}>\d+(?:\.\d+)?)"


_GCTRACE_RE = re.compile(
    r"(?:^|\W)gc\s+(?P<cycle>\d+)\s+@(?P<whole_s>\d+)(?:\.(?P<frac_s>\d+))?s\s+"
    r"(?P<pct>\d+)%:\s+"
    rf"{_num('c1')}\+{_num('c2')}\+{_num('c3')}\s+ms\s+clock,\s+"
    rf"{_num('p1')}\+{_num('p2')}/{_num('p3')}/{_num('p4')}\+{_num('p5')}\s+ms\s+cpu,\s+"
    r"(?P<h0>\d+)->(?P<h1>\d+)->(?P<h2>\d+)\s+MB,\s+"
    r"(?P<labelled>(?:\d+\s+MB\s+[a-z]+,\s+)*)"
    r"(?P<procs>\d+)\s+P(?P<forced>\s+\(forced\))?\s*$"
)
_LABELLED_MB_RE = re.compile(r"(\d+)\s+MB\s+([a-z]+)")


class PacerRecord(TypedDict):
    """One gcpacertrace endCycle line (see the module docstring); bytes exact."""

    utilization_percent: int
    goal_utilization_percent: int
    heap_scan_work_bytes: int
    stack_scan_work_bytes: int
    globals_scan_work_bytes: int
    expected_scan_work_bytes: int
    triggered_bytes: int
    heap_live_bytes: int
    delta_goal_bytes: int
    cons_mark: float


# runtime.print writes floats as "+1.234560e-001" in older releases and in the shortest
# form ("0.12345600000000001") in go1.27; float() reads either.
_PACER_RE = re.compile(
    r"pacer:\s+(?P<u>-?\d+)% CPU \((?P<g>-?\d+) exp\.\) for "
    r"(?P<h>\d+)\+(?P<s>\d+)\+(?P<gl>\d+) B work \((?P<e>\d+) B exp\.\) "
    r"in (?P<t>\d+) B -> (?P<l>\d+) B \(\S*goal (?P<d>-?\d+), "
    r"cons/mark (?P<c>[-+0-9.eEinfINFaN]+)\)\s*$"
)


def go_print_float(x: float) -> str:
    """A float64 as runtime.print writes it in go1.27 (print.go printfloat64:
    strconv.AppendFloat(v, 'g', -1, 64)): the shortest digits that read back as x, in %e
    form (at least two exponent digits) when the exponent is below -4 or at least 6."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    # repr is the shortest round-tripping form too; take its digits and exponent.
    sign, digit_tuple, exponent = Decimal(repr(x)).as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple)).lstrip("0")
    trimmed = digits.rstrip("0")
    exponent += len(digits) - len(trimmed)
    digits = trimmed
    nd = len(digits)
    dp = nd + exponent  # the decimal point's position in digits
    neg = "-" if sign else ""
    e = dp - 1
    if e < -4 or e >= 6:
        mant = digits[0] + ("." + digits[1:] if nd > 1 else "")
        return f"{neg}{mant}e{'-' if e < 0 else '+'}{abs(e):02d}"
    if dp <= 0:
        return f"{neg}0.{'0' * -dp}{digits}"
    if dp >= nd:
        return f"{neg}{digits}{'0' * (dp - nd)}"
    return f"{neg}{digits[:dp]}.{digits[dp:]}"


def format_pacer_line(*, utilization: float, heap_scan_work_bytes: int,
                      stack_scan_work_bytes: int, globals_scan_work_bytes: int,
                      expected_scan_work_bytes: int, triggered_bytes: int,
                      heap_live_bytes: int, last_heap_goal_bytes: int,
                      cons_mark: float) -> str:
    """gcpacertrace's end-of-cycle line as endCycle (mgcpacer.go) prints it in go1.27 (see
    the module docstring); utilization is a fraction (0.25 = 25 %), cons_mark the estimate
    before this cycle's update. The expected share printed is gcGoalUtilization."""
    return (f"pacer: {int(utilization * 100)}% CPU ({int(GC_GOAL_UTILIZATION * 100)} exp.) for "
            f"{heap_scan_work_bytes}+{stack_scan_work_bytes}+{globals_scan_work_bytes} B work "
            f"({expected_scan_work_bytes} B exp.) in {triggered_bytes} B -> {heap_live_bytes} "
            f"B (\u2206goal {heap_live_bytes - last_heap_goal_bytes}, cons/mark "
            f"{go_print_float(cons_mark)})")


def parse_pacer_line(line: str) -> PacerRecord:
    """Parse gcpacertrace's endCycle line (a log prefix before "pacer:" is ignored).

    Raises ValueError for anything else, including the pacer's other lines.
    """
    m = _PACER_RE.search(line.rstrip("\r\n"))
    if m is None:
        raise ValueError(f"not a gcpacertrace end-of-cycle line: {line!r}")
    g = m.group
    return PacerRecord(
        utilization_percent=int(g("u")), goal_utilization_percent=int(g("g")),
        heap_scan_work_bytes=int(g("h")), stack_scan_work_bytes=int(g("s")),
        globals_scan_work_bytes=int(g("gl")), expected_scan_work_bytes=int(g("e")),
        triggered_bytes=int(g("t")), heap_live_bytes=int(g("l")),
        delta_goal_bytes=int(g("d")), cons_mark=float(g("c")))


# What a gctrace line starts with ("gc N @"), and gcpacertrace's end-of-cycle line.
_LOOKS_LIKE_GCTRACE_RE = re.compile(r"(?:^|\W)gc\s+\d+\s+@")
_LOOKS_LIKE_PACER_END_RE = re.compile(r"pacer:\s+-?\d+% CPU")


def looks_like_gctrace_line(line: str) -> bool:
    """Whether line is meant as a gctrace line ("gc N @..."), parseable or not."""
    return _LOOKS_LIKE_GCTRACE_RE.search(line) is not None


def looks_like_pacer_line(line: str) -> bool:
    """Whether line is meant as gcpacertrace's end-of-cycle line, parseable or not (the
    pacer's other lines are not)."""
    return _LOOKS_LIKE_PACER_END_RE.search(line) is not None


def is_gc_forced_line(line: str) -> bool:
    """Whether line is forcegchelper's "GC forced" line."""
    return line.strip() == GC_FORCED_LINE


def parse_gctrace_line(line: str) -> GCTraceRecord:
    """Parse one gctrace line (text before "gc N @" such as a log prefix is ignored).

    Accepts the Go 1.6+ layout, with or without "S MB stacks, Gl MB globals," and with or
    without " (forced)". Raises ValueError for anything else, including "GC forced".
    """
    m = _GCTRACE_RE.search(line.rstrip("\r\n"))
    if m is None:
        raise ValueError(f"not a gctrace line: {line!r}")
    g = m.group
    whole_s, frac_s = g("whole_s"), g("frac_s") or ""
    # @T is whole ms printed with 3 decimals; tolerate other decimal counts.
    start_ms = int(whole_s) * 1000 + int((frac_s + "000")[:3])
    labelled = {label: int(mb) for mb, label in _LABELLED_MB_RE.findall(g("labelled"))}
    if "goal" not in labelled:
        raise ValueError(f"gctrace line has no goal: {line!r}")
    return GCTraceRecord(
        cycle=int(g("cycle")),
        start_ms=start_ms,
        start_s=float(f"{whole_s}.{frac_s or '0'}"),
        cpu_percent=int(g("pct")),
        stw1_clock_ms=float(g("c1")),
        mark_clock_ms=float(g("c2")),
        stw2_clock_ms=float(g("c3")),
        stw1_cpu_ms=float(g("p1")),
        assist_cpu_ms=float(g("p2")),
        background_cpu_ms=float(g("p3")),
        idle_cpu_ms=float(g("p4")),
        stw2_cpu_ms=float(g("p5")),
        heap0_mb=int(g("h0")),
        heap1_mb=int(g("h1")),
        heap2_mb=int(g("h2")),
        goal_mb=labelled["goal"],
        stacks_mb=labelled.get("stacks"),
        globals_mb=labelled.get("globals"),
        procs=int(g("procs")),
        forced=g("forced") is not None,
    )
