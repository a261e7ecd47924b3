"""Fit a gosim workload and cost model to a real program's GODEBUG=gctrace=1 output.

    gosim calibrate GCTRACE_LOG [--metrics SNAPSHOT.json] [-o workload.yaml]

The log is the program's stderr (any other lines and log prefixes are ignored; a JSON
result file of validation/runner.py works too). With GODEBUG=gctrace=1,gcpacertrace=1 the
log also has each cycle's exact scan work (heap, stacks, globals), trigger and cons/mark
estimate (simcore.gctrace.parse_pacer_line), which the fit then prefers, as noted below.
What is fitted, from the cycles of the steady part of the trace (every cycle after the
first STEADY_SKIP fraction that was neither runtime.GC() nor a two-minute periodic cycle):

GOMAXPROCS           the "P" field.
GOGC                 from goal / previous marked heap:
                     goal_i = H2_{i-1} + (H2_{i-1} + stacks + globals) x GOGC/100, the median
                     over cycles, rounded to a multiple of 5 (gctrace truncates sizes to MB);
                     /gc/gogc:percent from --metrics when given. GOMEMLIMIT only from
                     --metrics (/gc/gomemlimit:bytes): a trace alone cannot tell a memory
                     limit from a smaller GOGC.
allocation rate      the heap's growth over the cycles: allocated per cycle = (H1_i - H0_i)
                     during mark + (H0_{i+1} - H2_i) between cycles, over the time from one
                     start to the next.
live heap            what is reachable at mark start: H2 (marked) less what was allocated
                     during the mark (H1 - H0: new objects are black and counted as marked);
                     the median over cycles. It becomes the workload's baseline heap.
leak                 the live heap's least-squares trend over the cycles, when it is clearly
                     one (fit_leak, the LEAK_* constants) and the goal follows it as GOGC
                     makes it (with no memory limit from --metrics: a goal that stays put
                     is a limit's); the live heap is then the trend's value at the window's
                     start, and that much of the allocation rate is kept for ever.
stacks, globals      gcpacertrace's stack and globals scan work (median, exact bytes), else
                     /gc/scan/stack:bytes and /gc/scan/globals:bytes from --metrics, else
                     the gctrace fields (MB); stacks become parked goroutines.
scannable fraction   with gcpacertrace: each cycle's heap scan work over its live heap at
and scan rate        mark start (H2 less heapLive - triggered), and mark CPU over the whole
                     scan work (noscan bytes at noscan_mark_fraction), medians over cycles.
                     Else with --metrics: /gc/scan/heap:bytes over the heap's objects, and
                     the equation below solved for scan_ns. Else from the mark CPU (assist
                     + background + idle per cycle), given the cost model's scan rate:
                     markCPU = scan_ns x (f x live + stacks + globals +
                     noscan_mark_fraction x (1-f) x live), solved for f.
object size          /gc/heap/allocs:bytes / /gc/heap/allocs:objects, else 64 B.
STW costs            stw_sweep_term_ns and stw_mark_term_ns: the median sweep- and
                     mark-termination clock times, each less stw_per_p_ns x GOMAXPROCS.
                     Not from a gcpacertrace log: Go prints the pacer's lines inside both
                     pauses, which lengthens them (mark termination 4 -> 38 us median in a
                     GOMAXPROCS=2 twin run on the machine of docs/fidelity.md).
runtime memory       with --metrics: runtime_base_bytes = /memory/classes/total less the
                     /memory/classes/heap/ classes but stacks, less the fitted goroutines'
                     stacks and metadata_fraction x the heap mapped.

The workload: the live heap as a BaselineHeap (scannable fraction f), GOMAXPROCS worker
goroutines that allocate the fitted rate in 1 ms ticks (garbage: lifetime REQUEST; the leak's
share FOREVER, and the baseline less what the run's warm-up leaks), the stacks as parked
goroutines. With a leak the run is as long as the observed window (its cycles change as it
grows). It is simulated for long enough to see ~SIM_CYCLES cycles, and
the observed and simulated cycles are compared (cycles/s, goal, marked heap, pauses, GC CPU;
with gcpacertrace also the trigger and the cons/mark estimate each cycle was paced with).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simcore.config import (
    NO_LIMIT as _NO_LIMIT,
)
from simcore.config import (
    SECOND,
    Allocate,
    BaselineHeap,
    CostModel,
    Distribution,
    IOWait,
    Lifetime,
    ObjectSize,
    Program,
    RuntimeConfig,
    SimConfig,
    Step,
    WorkerGroup,
    Workload,
)
from simcore.gctrace import (
    PacerRecord,
    is_gc_forced_line,
    looks_like_gctrace_line,
    parse_gctrace_line,
    parse_pacer_line,
)
from simcore.sizeclasses import CLASS_TO_SIZE, MAX_SMALL_SIZE

MIB = 1 << 20
KIB = 1 << 10
MS = 1_000_000
# The first part of a trace is the heap being built: skipped.
STEADY_SKIP = 0.2
# Simulate long enough for about this many cycles.
SIM_CYCLES = 14
TICK_NS = 1_000_000
DEFAULT_OBJECT_BYTES = 64
IDLE_STACK_BYTES = 8 * KIB
# A leak is fitted when the live heap's least-squares trend over the steady cycles is
# positive, at least LEAK_MIN_T standard errors from zero (gctrace's whole MB make each
# point +-0.5 MiB), over at least LEAK_MIN_CYCLES cycles, and grows over the window by at
# least LEAK_MIN_GROWTH_BYTES and LEAK_MIN_GROWTH_FRACTION of the live heap. Modelling
# choices: the Go twin's leak (4 MiB/s, 20 s) passes by far in every configuration, its
# steady, server and pool runs (a constant live heap) never (tests/test_calibrate.py).
LEAK_MIN_CYCLES = 4
LEAK_MIN_T = 4.0
LEAK_MIN_GROWTH_BYTES = 2 * MIB
LEAK_MIN_GROWTH_FRACTION = 0.05
# Without a known memory limit the leak is replayed only if the goal's trend is at least this
# share of (1 + GOGC/100) x the leak's: the twin's leak runs give 0.78-1.00 where GOGC sets the
# goal and 0.02-0.72 under a 145 MiB limit (tests/test_calibrate.py), a narrow gap.
LEAK_GOAL_FOLLOWS = 0.75


class CalibrationError(ValueError):
    """The input cannot be calibrated from (no gctrace lines, too few cycles...)."""


# --------------------------------------------------------------------------------------
# Reading the inputs.


def parse_log(text: str) -> list[dict[str, Any]]:
    """gctrace records in order, each with `periodic` (after a "GC forced" line), `end_s`,
    and `pacer` (the parsed gcpacertrace end-of-cycle line printed just before it, when the
    log has one). A runner result JSON (validation/runner.py) is accepted too."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("gctrace"), list):
            lines = []
            for r in data["gctrace"]:
                if r.get("periodic"):
                    lines.append("GC forced")
                if r.get("pacer_line"):
                    lines.append(r["pacer_line"])
                lines.append(r["line"])
            text = "\n".join(lines)
    out: list[dict[str, Any]] = []
    pending = False
    pacer: PacerRecord | None = None
    for line in text.splitlines():
        if is_gc_forced_line(line.split(": ", 1)[-1] if ": GC forced" in line else line):
            pending = True
            continue
        if "pacer:" in line:
            # endCycle's line; the pacer's other lines (and a garbled one) are skipped, as
            # lines that are not gctrace are
            with contextlib.suppress(ValueError):
                pacer = parse_pacer_line(line)
            continue
        if "gc " not in line or "@" not in line:
            continue
        try:
            rec: dict[str, Any] = dict(parse_gctrace_line(line))
        except ValueError:
            if looks_like_gctrace_line(line):
                pacer = None  # a garbled cycle: its pacer line is not the next one's
            continue
        rec["periodic"] = pending
        pending = False
        if pacer is not None:
            rec["pacer"] = pacer
            pacer = None
        rec["end_s"] = rec["start_s"] + (rec["stw1_clock_ms"] + rec["mark_clock_ms"]
                                         + rec["stw2_clock_ms"]) / 1000.0
        rec["line"] = line.strip()
        out.append(rec)
    return out


def load_metrics(path: str | Path) -> dict[str, float]:
    """A runtime/metrics snapshot: a JSON object {"/metric/name:unit": value, ...}. The
    gosimtwin report (its end_metrics) and a runner result file are accepted too."""
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict):
        raise CalibrationError(f"{path}: not a JSON object")
    for key in ("program",):
        if isinstance(data.get(key), dict):
            data = data[key]
    for key in ("end_metrics", "metrics"):
        if isinstance(data.get(key), dict) and any(
                str(k).startswith("/") for k in data[key]):
            data = data[key]
            break
    return {k: float(v) for k, v in data.items()
            if isinstance(k, str) and k.startswith("/") and isinstance(v, (int, float))}


# --------------------------------------------------------------------------------------
# The fit.


@dataclass
class Fit:
    gomaxprocs: int
    gogc: int
    gomemlimit_bytes: int | None
    alloc_bytes_per_s: float
    live_bytes: float
    scannable_fraction: float
    stacks_bytes: float
    globals_bytes: float
    object_bytes: int
    goroutines: int  # parked goroutines holding the stacks
    cost: CostModel
    cycles_used: int
    window_s: tuple[float, float]
    # Bytes per second the live heap grows by (fit_leak; 0: no leak). live_bytes is then
    # the live heap at the window's start.
    leak_bytes_per_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)


def steady_cycles(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cycles used for fitting.

    Heap-triggered cycles (neither runtime.GC()'s "(forced)" nor periodic) after the last
    runtime.GC() when at least three follow it (a program that builds its heap and then
    calls runtime.GC(), as the gosimtwin does), else after the first STEADY_SKIP of them. A
    program with fewer than two such cycles but periodic ones is idle: its periodic cycles
    are the steady state.
    """
    last_forced = max((i for i, r in enumerate(recs) if r["forced"]), default=-1)
    after = [r for r in recs[last_forced + 1:] if not r["forced"] and not r["periodic"]]
    if len(after) >= 3:
        auto = after
        skip = 1 if len(auto) >= 5 else 0
    else:
        auto = [r for r in recs if not r["forced"] and not r["periodic"]]
        skip = max(1, int(len(auto) * STEADY_SKIP)) if len(auto) >= 4 else 0
        if last_forced >= 0:  # what came before runtime.GC() was the setup
            auto = after
            skip = 0
    auto = auto[skip:]
    periodic = [r for r in recs if r["periodic"]]
    if len(auto) < 2 and periodic:
        return periodic
    return auto


def is_idle(cycles: list[dict[str, Any]]) -> bool:
    return bool(cycles) and all(r["periodic"] for r in cycles)


def size_class_at_most(size: int) -> int:
    """The largest size class not above size (objects of the mean size would otherwise be
    rounded up a class), or size itself for large objects."""
    if size > MAX_SMALL_SIZE:
        return size
    return max((c for c in CLASS_TO_SIZE if 0 < c <= size), default=8)


def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


# GOGC values people set; an estimate within its uncertainty of one of them is taken as it.
COMMON_GOGC = (10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90, 100, 110, 120, 125, 150, 175, 200,
               250, 300, 400, 500, 600, 800, 1000)


def _round_gogc(g: float, uncertainty: float = 0.0) -> int:
    """The GOGC an estimate stands for: the nearest common value within max(2 %, the
    estimate's uncertainty), else the estimate rounded."""
    best = min(COMMON_GOGC, key=lambda c: abs(c - g))
    if abs(best - g) <= max(0.02 * g, uncertainty):
        return best
    return max(1, round(g))


def _trend(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    """Least squares of y on t over (t, y) points: (slope, mean t, mean y, sum of (t - mean
    t)^2); slope 0 when every t is the same."""
    tm = statistics.fmean(t for t, _ in points)
    ym = statistics.fmean(y for _, y in points)
    sxx = sum((t - tm) ** 2 for t, _ in points)
    slope = sum((t - tm) * (y - ym) for t, y in points) / sxx if sxx > 0 else 0.0
    return slope, tm, ym, sxx


def fit_leak(points: list[tuple[float, float]], live: float) -> tuple[float, float] | None:
    """(bytes/s, live heap at the first point's time) of the live heap's least-squares trend
    over (time s, live bytes) points, when it is a leak by the LEAK_* criteria; else None."""
    n = len(points)
    if n < LEAK_MIN_CYCLES:
        return None
    slope, tm, ym, sxx = _trend(points)
    if sxx <= 0:
        return None
    t0, t1 = points[0][0], points[-1][0]
    resid = sum((y - ym - slope * (t - tm)) ** 2 for t, y in points)
    # the residuals' spread, at least gctrace's rounding (uniform over a MB: 0.29 MiB)
    sd = max(math.sqrt(resid / (n - 2)) if n > 2 else 0.0, 0.29 * MIB)
    if (slope <= 0 or slope / (sd / math.sqrt(sxx)) < LEAK_MIN_T
            or slope * (t1 - t0) < max(LEAK_MIN_GROWTH_BYTES, LEAK_MIN_GROWTH_FRACTION * live)):
        return None
    return slope, ym + slope * (t0 - tm)


def fit_trace(recs: list[dict[str, Any]], metrics: dict[str, float] | None = None,
              cost: CostModel | None = None) -> Fit:
    """Fit the workload and cost model (see the module docstring)."""
    if not recs:
        raise CalibrationError("no gctrace lines found (was GODEBUG=gctrace=1 set?)")
    metrics = metrics or {}
    cost = cost or CostModel()
    notes: list[str] = []
    src: dict[str, str] = {}
    cyc = steady_cycles(recs)
    procs = int(recs[-1]["procs"])
    by_idx = {id(r): i for i, r in enumerate(recs)}

    # gcpacertrace's exact scan work per cycle, when the log has it.
    pac = [r for r in cyc if r.get("pacer")]

    # Stacks and globals.
    stacks = metrics.get("/gc/scan/stack:bytes")
    if pac:
        stacks = float(statistics.median(r["pacer"]["stack_scan_work_bytes"] for r in pac))
        src["stacks"] = "gcpacertrace stack scan work (median over cycles)"
    elif stacks is None:
        stacks = float(_median([float((r.get("stacks_mb") or 0) * MIB) for r in recs]) or 0.0)
        src["stacks"] = "gctrace (MB, truncated)"
    else:
        src["stacks"] = "runtime/metrics /gc/scan/stack:bytes"
    glob_b = metrics.get("/gc/scan/globals:bytes")
    if pac:
        glob_b = float(statistics.median(r["pacer"]["globals_scan_work_bytes"] for r in pac))
        src["globals"] = "gcpacertrace globals scan work"
    elif glob_b is None:
        glob_b = float((recs[-1].get("globals_mb") or 0) * MIB)
        src["globals"] = "gctrace (MB, truncated)"
        if glob_b == 0:
            glob_b = 64.0 * KIB
            notes.append("globals: gctrace shows 0 MB; assumed 64 KiB")
    else:
        src["globals"] = "runtime/metrics /gc/scan/globals:bytes"

    # GOGC.
    gogc_m = metrics.get("/gc/gogc:percent")
    if gogc_m is not None:
        gogc = int(gogc_m)
        src["gogc"] = "runtime/metrics /gc/gogc:percent"
    else:
        # gctrace truncates sizes to whole MB: take each at the middle of its MB.
        ests, marked_mb = [], []
        for r in cyc:
            i = by_idx[id(r)]
            if i == 0:
                continue
            prev = recs[i - 1]
            h2 = prev["heap2_mb"] + 0.5
            base = h2 * MIB + (prev.get("stacks_mb") or 0) * MIB + glob_b
            if prev["heap2_mb"] >= 4 and base > 0:
                ests.append(100 * (r["goal_mb"] + 0.5 - h2) * MIB / base)
                marked_mb.append(h2)
        g = _median(ests)
        if g is None or g <= 0:
            gogc = 100
            notes.append("GOGC: could not be derived from goal/live; assumed 100")
        else:
            # one MB of truncation in the goal moves the estimate by 100/marked MB
            unc = 100.0 / float(_median(marked_mb) or 1.0)
            gogc = _round_gogc(g, unc)
            src["gogc"] = (f"gctrace goal/live (median {g:.1f} ± {unc:.1f}, taken as {gogc})")
    lim = metrics.get("/gc/gomemlimit:bytes")
    gomemlimit = int(lim) if lim is not None and lim < _NO_LIMIT else None

    idle = is_idle(cyc)
    if len(cyc) < 2 and not idle:
        raise CalibrationError(
            f"only {len(cyc)} steady GC cycle(s) in the trace; at least 2 are needed to fit an "
            "allocation rate (a longer trace, or a program that allocates)")

    # Allocation rate: heap growth per cycle over the start-to-start time.
    alloc = 0.0
    span = 0.0
    in_cyc = {id(r) for r in cyc}
    for b in cyc:
        i = by_idx[id(b)]
        if i == 0:
            continue
        a = recs[i - 1]
        if not idle and id(a) not in in_cyc:
            continue
        grew = (a["heap1_mb"] - a["heap0_mb"]) + (b["heap0_mb"] - a["heap2_mb"])
        dt = b["start_s"] - a["start_s"]
        if dt > 0:
            alloc += max(0, grew) * MIB
            span += dt
    if span <= 0:
        raise CalibrationError("no consecutive steady cycles to measure the allocation rate")
    rate = alloc / span
    src["alloc_rate"] = "gctrace heap growth between and during cycles"
    if idle:
        notes.append("only periodic (two-minute) cycles after the setup: an idle program")

    # Live heap at mark start.
    lives = [max(0.0, (r["heap2_mb"] - max(0, r["heap1_mb"] - r["heap0_mb"])) * MIB)
             for r in cyc]
    live = float(_median(lives) or 0.0)
    leak = 0.0
    trend = None if idle else fit_leak([(r["start_s"], x) for r, x in zip(cyc, lives,
                                                                            strict=True)], live)
    if trend is not None and gomemlimit is None:
        # Under GOGC the goal follows the live heap, (1 + GOGC/100) x its growth; a goal that
        # does not is a memory limit's, which a trace alone cannot give (see GOGC above):
        # replaying the leak against GOGC alone would put the cycles in the wrong places.
        gslope = _trend([(r["start_s"], float(r["goal_mb"]) * MIB) for r in cyc])[0]
        if gslope < LEAK_GOAL_FOLLOWS * (1 + max(gogc, 0) / 100) * trend[0]:
            notes.append(f"the live heap grows {trend[0] / MIB:.2f} MiB/s but the goal does not "
                         "follow it, as under a memory limit: not replayed as a leak; give "
                         "--metrics with /gc/gomemlimit:bytes")
            trend = None
    if trend is not None:
        leak, live = trend[0], max(0.0, trend[1])
        src["leak"] = (f"the live heap's trend over {len(cyc)} cycles (least squares; "
                       f"+{leak * (cyc[-1]['start_s'] - cyc[0]['start_s']) / MIB:.1f} MiB)")
        src["live"] = "the trend's value at the window's start"
        leak = min(leak, rate)
    if live < 4 * MIB:
        notes.append("live heap under 4 MiB: gctrace's whole-MB sizes make the fit coarse; "
                     "give --metrics")

    # Object size.
    ab, ao = metrics.get("/gc/heap/allocs:bytes"), metrics.get("/gc/heap/allocs:objects")
    if ab and ao:
        obj = size_class_at_most(max(8, int(ab / ao)))
        src["object_bytes"] = ("runtime/metrics allocs:bytes / allocs:objects "
                               f"({ab / ao:.0f} B), as the size class at most that")
    else:
        obj = DEFAULT_OBJECT_BYTES
        notes.append(f"object size unknown without --metrics; assumed {obj} B")

    # Scannable fraction and scan rate from the mark CPU.
    mark_cpu = _median([(r["assist_cpu_ms"] + r["background_cpu_ms"] + r["idle_cpu_ms"]) * MS
                        for r in cyc]) or 0.0
    nmf = cost.noscan_mark_fraction
    # /gc/scan/heap is the pacer's heapScan: the last cycle's scan work plus the scannable
    # bytes allocated since, so it is set against the heap's objects now
    # (/memory/classes/heap/objects), not /gc/heap/live (the bytes the last cycle marked),
    # which gives a fraction up to 1.7x too high in a snapshot taken late in a cycle.
    scan_heap = metrics.get("/gc/scan/heap:bytes")
    heap_now = metrics.get("/memory/classes/heap/objects:bytes")
    heap_what = "/memory/classes/heap/objects"
    if not heap_now:
        heap_now, heap_what = metrics.get("/gc/heap/live:bytes"), "/gc/heap/live"
    scan_ns = cost.scan_ns_per_byte
    if pac:
        # Each cycle's heap scan work against its live heap at mark start (the marked heap
        # less what the mark allocated black: heapLive - triggered, exact); the scan rate
        # from each cycle's mark CPU over its whole scan work, noscan bytes at nmf.
        fs, rates = [], []
        for r in pac:
            pr = r["pacer"]
            live_i = (r["heap2_mb"] + 0.5) * MIB - max(0, pr["heap_live_bytes"]
                                                       - pr["triggered_bytes"])
            if live_i <= 0:
                continue
            hs = pr["heap_scan_work_bytes"]
            fs.append(min(1.0, hs / live_i))
            work_i = (hs + pr["stack_scan_work_bytes"] + pr["globals_scan_work_bytes"]
                      + nmf * max(0.0, live_i - hs))
            cpu_i = (r["assist_cpu_ms"] + r["background_cpu_ms"] + r["idle_cpu_ms"]) * MS
            if work_i > 0 and cpu_i > 0:
                rates.append(cpu_i / work_i)
        f = statistics.median(fs) if fs else 0.5
        if not fs:
            notes.append("gcpacertrace: no cycle had a live heap to set its scan work "
                         "against; scannable fraction assumed 0.5")
        src["scannable_fraction"] = ("gcpacertrace heap scan work / live heap at mark start "
                                     f"(median of {len(fs)} cycles)")
        if rates:
            scan_ns = float(statistics.median(rates))
            src["scan_ns_per_byte"] = "gctrace mark CPU / gcpacertrace scan work, per cycle"
        else:
            src["scan_ns_per_byte"] = "cost model default"
    elif scan_heap is not None and heap_now:
        f = min(1.0, max(0.0, scan_heap / heap_now))
        src["scannable_fraction"] = f"runtime/metrics /gc/scan/heap / {heap_what}"
        work = f * live + stacks + glob_b + nmf * (1 - f) * live
        if work > 0 and mark_cpu > 0:
            scan_ns = mark_cpu / work
            src["scan_ns_per_byte"] = "gctrace mark CPU / scan work (scannable from metrics)"
    else:
        if mark_cpu > 0 and live > 0:
            need = mark_cpu / scan_ns - stacks - glob_b - nmf * live
            f = need / ((1 - nmf) * live)
            src["scannable_fraction"] = (f"gctrace mark CPU at the cost model's "
                                         f"{scan_ns:.2f} ns/B")
            src["scan_ns_per_byte"] = "cost model default"
            if not 0.0 <= f <= 1.0:
                f0 = f
                f = min(1.0, max(0.0, f))
                work = f * live + stacks + glob_b + nmf * (1 - f) * live
                scan_ns = mark_cpu / work
                notes.append(f"the mark CPU at {cost.scan_ns_per_byte:.2f} ns/B would need a "
                             f"scannable fraction of {f0:.2f}: took {f:.0f} and fitted the scan "
                             f"rate instead ({scan_ns:.2f} ns/B); --metrics gives the exact "
                             "scannable heap")
                src["scannable_fraction"] = "clamped (see note)"
                src["scan_ns_per_byte"] = "gctrace mark CPU / scan work at that fraction"
        else:
            f = 0.5
            notes.append("no mark CPU to fit the scannable fraction from; assumed 0.5")
            src["scan_ns_per_byte"] = "cost model default"

    # The fixed costs of the two pauses.
    changes: dict[str, Any] = {"scan_ns_per_byte": round(scan_ns, 4)}
    if obj > MAX_SMALL_SIZE:
        # The replayed baseline is then made of large objects, which gosim marks at
        # large_scan_ns_per_byte; the trace gives one rate for the whole heap.
        changes["large_scan_ns_per_byte"] = round(scan_ns, 4)
        src["large_scan_ns_per_byte"] = "the fitted scan rate (large objects only)"
    if pac:
        # gcpacertrace prints inside both pauses (startCycle in the sweep-termination STW,
        # endCycle in the mark-termination STW): on the machine of docs/fidelity.md they read
        # ~35 us longer (mark termination 4 -> 38 us median). The pauses are not fitted.
        notes.append("STW costs not fitted: gcpacertrace prints during both pauses, which "
                     "makes them longer; fit them from a log without gcpacertrace")
    else:
        for name, key in (("stw_sweep_term_ns", "stw1_clock_ms"),
                          ("stw_mark_term_ns", "stw2_clock_ms")):
            stw = _median([r[key] * MS for r in cyc])
            if stw is not None:
                changes[name] = max(0, round(stw - cost.stw_per_p_ns * procs))
                src[name] = "gctrace STW clock median"

    goroutines = round(stacks / IDLE_STACK_BYTES) if stacks > 0 else 0
    total = metrics.get("/memory/classes/total:bytes")
    if total is not None:
        # Stack spans count as the runtime's memory, less the stacks the replayed workload's
        # goroutines hold (Heap.stacks), as in validation/calibrate_costs.py.
        st_b = metrics.get("/memory/classes/heap/stacks:bytes", 0.0)
        heap_classes = sum(v for k, v in metrics.items() if k.startswith("/memory/classes/heap/"))
        heap_mapped = sum(v for k, v in metrics.items()
                          if k.startswith("/memory/classes/heap/") and "released" not in k)
        base = int(total - heap_classes + st_b - min(st_b, stacks)
                   - cost.metadata_fraction * (heap_mapped - st_b))
        if base > 0:
            changes["runtime_base_bytes"] = base
            src["runtime_base_bytes"] = ("runtime/metrics non-heap memory less "
                                         "metadata_fraction x heap")
    fitted_cost = dataclasses.replace(cost, **changes)
    return Fit(gomaxprocs=procs, gogc=gogc, gomemlimit_bytes=gomemlimit,
               alloc_bytes_per_s=rate, live_bytes=live, scannable_fraction=f,
               stacks_bytes=stacks, globals_bytes=glob_b, object_bytes=obj,
               goroutines=goroutines, cost=fitted_cost, cycles_used=len(cyc),
               window_s=(cyc[0]["start_s"], cyc[-1]["end_s"]), leak_bytes_per_s=leak,
               notes=notes, sources=src)


def observed_cycles_per_s(recs: list[dict[str, Any]]) -> float | None:
    cyc = steady_cycles(recs)
    if len(cyc) < 2:
        return None
    span = cyc[-1]["start_s"] - cyc[0]["start_s"]
    return (len(cyc) - 1) / span if span > 0 else None


def default_duration_ns(recs: list[dict[str, Any]]) -> int:
    """Long enough for ~SIM_CYCLES cycles at the observed rate, 5 s to 10 min; an idle
    program for as many periodic cycles as observed (at least two)."""
    cyc = steady_cycles(recs)
    if is_idle(cyc):
        return int((120.5 * max(2, len(cyc)) + 5) * SECOND)
    rate = observed_cycles_per_s(recs)
    if not rate:
        return 10 * SECOND
    return int(min(600.0, max(5.0, SIM_CYCLES / rate)) * SECOND)


def build_config(fit: Fit, duration_ns: int, seed: int = 1) -> SimConfig:
    """The fitted workload as a SimConfig (see the module docstring)."""
    n = max(1, fit.gomaxprocs)
    steps: list[Step] = []
    if fit.alloc_bytes_per_s <= 0:  # an idle program: the heap and nothing else
        w = Workload(
            name="calibrated",
            baseline_heap=BaselineHeap(live_bytes=int(fit.live_bytes),
                                       object_bytes=fit.object_bytes,
                                       scannable_fraction=fit.scannable_fraction),
            idle_goroutines=fit.goroutines, idle_goroutine_stack_bytes=IDLE_STACK_BYTES,
            globals_bytes=int(fit.globals_bytes))
        rt = RuntimeConfig(gomaxprocs=fit.gomaxprocs, gogc=fit.gogc,
                           gomemlimit_bytes=fit.gomemlimit_bytes or _NO_LIMIT)
        return SimConfig(runtime=rt, workload=w, cost=fit.cost, duration_ns=duration_ns,
                         warmup_ns=0, seed=seed)
    leak = max(0.0, min(fit.leak_bytes_per_s, fit.alloc_bytes_per_s))
    est = 0.0
    for rate, life in ((fit.alloc_bytes_per_s - leak, Lifetime.REQUEST),
                       (leak, Lifetime.FOREVER)):
        batch = rate / n * TICK_NS / SECOND
        if batch <= 0:
            continue
        steps.append(Step(allocate=Allocate(
            bytes=Distribution.constant(batch), object_sizes=(ObjectSize(fit.object_bytes),),
            scannable_fraction=fit.scannable_fraction, lifetime=life)))
        est += (batch / fit.object_bytes * fit.cost.alloc_ns_per_object
                + batch * fit.cost.alloc_ns_per_byte)
    steps.append(Step(io_wait=IOWait(Distribution.constant(max(0.0, TICK_NS - est)))))
    workers = (WorkerGroup(count=n, program=Program(steps=tuple(steps), stack_bytes=2 * KIB)),)
    idle = fit.alloc_bytes_per_s <= 0
    warmup_ns = 0 if idle else int(duration_ns * STEADY_SKIP)
    # With a leak the run's warm-up leaks too: start below the window's live heap by that.
    live = max(0, int(fit.live_bytes - leak * warmup_ns / SECOND))
    w = Workload(
        name="calibrated",
        workers=workers,
        baseline_heap=BaselineHeap(live_bytes=live, object_bytes=fit.object_bytes,
                                   scannable_fraction=fit.scannable_fraction),
        idle_goroutines=fit.goroutines, idle_goroutine_stack_bytes=IDLE_STACK_BYTES,
        globals_bytes=int(fit.globals_bytes))
    rt = RuntimeConfig(gomaxprocs=fit.gomaxprocs, gogc=fit.gogc,
                       gomemlimit_bytes=fit.gomemlimit_bytes or _NO_LIMIT)
    return SimConfig(runtime=rt, workload=w, cost=fit.cost, duration_ns=duration_ns,
                     warmup_ns=warmup_ns, seed=seed)


# --------------------------------------------------------------------------------------
# Comparing the fitted workload's cycles with the observed ones.


def _figures(cycles: list[dict[str, Any]], procs: int) -> dict[str, float | None]:
    """cycles/s, goal, marked, STW medians, mark time, GC CPU of a list of cycle dicts."""
    if not cycles:
        return {}
    starts = [c["start_s"] for c in cycles]
    span = max(starts) - min(starts)
    period = span / (len(cycles) - 1) if len(cycles) > 1 and span > 0 else None
    gc_ms = sum(c["stw1_cpu_ms"] + c["assist_cpu_ms"] + c["background_cpu_ms"]
                + c["stw2_cpu_ms"] for c in cycles)
    paced = [c for c in cycles if c.get("pacer")]
    return {
        "cycles_per_s": 1 / period if period else None,
        "goal_mib": statistics.median(c["goal_mb"] for c in cycles),
        "marked_mib": statistics.median(c["heap2_mb"] for c in cycles),
        "peak_mib": statistics.median(c["heap1_mb"] for c in cycles),
        "stw1_us": statistics.median(c["stw1_clock_ms"] for c in cycles) * 1000,
        "stw2_us": statistics.median(c["stw2_clock_ms"] for c in cycles) * 1000,
        "mark_ms": statistics.median(c["mark_clock_ms"] for c in cycles),
        "mark_cpu_ms": statistics.median(c["assist_cpu_ms"] + c["background_cpu_ms"]
                                         + c["idle_cpu_ms"] for c in cycles),
        # GC CPU over the cycles' own period (n cycles per n periods), idle marking excluded
        "gc_cpu": (gc_ms / 1000 / (period * len(cycles) * procs)) if period else None,
        # from gcpacertrace (observed) or the cycle records (simulated), when there
        "trigger_mib": _median([c["pacer"]["triggered_bytes"] / MIB for c in paced]),
        "cons_mark": _median([c["pacer"]["cons_mark"] for c in paced
                              if c["pacer"].get("cons_mark") is not None]),
    }


def simulated_cycle_dicts(result: Any) -> list[dict[str, Any]]:
    """The simulated cycles after warm-up, as parsed gctrace records (exact bytes kept).

    Each has `pacer` with what gcpacertrace would show for it: the trigger and the cons/mark
    estimate the cycle was paced with (the previous cycle's updated estimate)."""
    out = []
    cfg = result.config
    prev_cons_mark: float | None = None
    for c in result.cycles:
        paced_with, prev_cons_mark = prev_cons_mark, c.cons_mark
        if c.start_ns < cfg.warmup_ns or c.kind.value == "cycle":
            continue
        line = c.gctrace.splitlines()[-1]
        d: dict[str, Any] = dict(parse_gctrace_line(line))
        # exact values instead of gctrace's rounding
        d.update(start_s=c.start_ns / SECOND, stw1_clock_ms=c.stw_sweep_term_clock_ns / MS,
                 stw2_clock_ms=c.stw_mark_term_clock_ns / MS, mark_clock_ms=c.mark_clock_ns / MS,
                 stw1_cpu_ms=c.stw_sweep_term_cpu_ns / MS, stw2_cpu_ms=c.stw_mark_term_cpu_ns / MS,
                 assist_cpu_ms=c.assist_cpu_ns / MS,
                 background_cpu_ms=(c.dedicated_cpu_ns + c.fractional_cpu_ns) / MS,
                 idle_cpu_ms=c.idle_cpu_ns / MS, goal_mb=c.heap_goal_bytes / MIB,
                 heap0_mb=c.heap_start_bytes / MIB, heap1_mb=c.heap_end_bytes / MIB,
                 heap2_mb=c.heap_marked_bytes / MIB, periodic=c.kind.value == "time", line=line,
                 pacer={"triggered_bytes": c.trigger_bytes, "cons_mark": paced_with})
        out.append(d)
    return out


ROWS = (("cycles/s", "cycles_per_s", "{:.3f}"), ("goal (MiB)", "goal_mib", "{:.1f}"),
        ("marked (MiB)", "marked_mib", "{:.1f}"), ("peak heapLive (MiB)", "peak_mib", "{:.1f}"),
        ("mark (ms)", "mark_ms", "{:.1f}"), ("mark CPU (ms)", "mark_cpu_ms", "{:.1f}"),
        ("STW sweep-term (µs)", "stw1_us", "{:.0f}"), ("STW mark-term (µs)", "stw2_us", "{:.0f}"),
        ("GC CPU (%)", "gc_cpu", "{:.2%}"))
# Shown when the log has gcpacertrace lines (GODEBUG=gctrace=1,gcpacertrace=1).
PACER_ROWS = (("trigger (MiB)", "trigger_mib", "{:.1f}"), ("cons/mark", "cons_mark", "{:.4f}"))


def comparison_rows(observed: dict[str, float | None]) -> tuple[tuple[str, str, str], ...]:
    """ROWS, and PACER_ROWS when the observed cycles have gcpacertrace figures."""
    if observed.get("trigger_mib") is None:
        return ROWS
    return ROWS + PACER_ROWS


@dataclass
class Calibration:
    fit: Fit
    config: SimConfig
    observed: dict[str, float | None]
    simulated: dict[str, float | None]
    observed_lines: list[str]
    simulated_lines: list[str]


def calibrate(text: str, metrics: dict[str, float] | None = None,
              cost: CostModel | None = None, duration_ns: int | None = None,
              seed: int = 1, simulate: bool = True) -> Calibration:
    """Parse, fit, build the workload, simulate it and compare (see the module docstring)."""
    recs = parse_log(text)
    fit = fit_trace(recs, metrics, cost)
    if duration_ns is None:
        duration_ns = default_duration_ns(recs)
        if fit.leak_bytes_per_s > 0:
            # A leak's cycles change as it grows: simulate the observed window's length.
            span_s = (fit.window_s[1] - fit.window_s[0]) / (1 - STEADY_SKIP)
            duration_ns = int(min(600.0, max(5.0, span_s)) * SECOND)
    cfg = build_config(fit, duration_ns, seed)
    cyc = steady_cycles(recs)
    observed = _figures(cyc, fit.gomaxprocs)
    sim_fig: dict[str, float | None] = {}
    sim_lines: list[str] = []
    if simulate:
        from simcore import simulate as run_sim

        res = run_sim(cfg)
        sc = simulated_cycle_dicts(res)
        sim_fig = _figures([c for c in sc if not c["periodic"]] or sc, fit.gomaxprocs)
        sim_lines = [c["line"] for c in sc[-3:]]
    return Calibration(fit, cfg, observed, sim_fig, [c["line"] for c in cyc[-3:]], sim_lines)


def error_text(key: str, obs: float | None, sim: float | None) -> str:
    if obs is None or sim is None:
        return "–"
    if key == "gc_cpu":
        return f"{100 * (sim - obs):+.2f} pp"
    if obs == 0:
        return "–"
    return f"{100 * (sim - obs) / obs:+.1f} %"


def fit_summary(fit: Fit) -> list[tuple[str, str, str]]:
    """(field, value, where it came from) for the fitted workload and costs."""
    lim = "unset" if fit.gomemlimit_bytes is None else f"{fit.gomemlimit_bytes / MIB:.1f} MiB"
    return [
        ("runtime.gomaxprocs", str(fit.gomaxprocs), "gctrace P field"),
        ("runtime.gogc", str(fit.gogc), fit.sources.get("gogc", "default")),
        ("runtime.gomemlimit_bytes", lim, "runtime/metrics" if fit.gomemlimit_bytes else
         "not in a trace (give --metrics)"),
        ("allocation rate", f"{fit.alloc_bytes_per_s / MIB:.1f} MiB/s",
         fit.sources.get("alloc_rate", "")),
        ("leak", f"{fit.leak_bytes_per_s / MIB:.2f} MiB/s" if fit.leak_bytes_per_s else "none",
         fit.sources.get("leak", "no trend in the live heap")),
        ("baseline_heap.live_bytes", f"{fit.live_bytes / MIB:.1f} MiB",
         "marked heap less allocation during mark"
         + (f" ({fit.sources['live']})" if "live" in fit.sources else "")),
        ("scannable_fraction", f"{fit.scannable_fraction:.2f}",
         fit.sources.get("scannable_fraction", "")),
        ("object size", f"{fit.object_bytes} B", fit.sources.get("object_bytes", "assumed")),
        ("stacks", f"{fit.stacks_bytes / KIB:.0f} KiB ({fit.goroutines} parked goroutine"
                   f"{'' if fit.goroutines == 1 else 's'})",
         fit.sources.get("stacks", "")),
        ("globals_bytes", f"{fit.globals_bytes / KIB:.0f} KiB", fit.sources.get("globals", "")),
        ("cost.scan_ns_per_byte", f"{fit.cost.scan_ns_per_byte:.3f}",
         fit.sources.get("scan_ns_per_byte", "")),
        ("cost.stw_sweep_term_ns", str(fit.cost.stw_sweep_term_ns),
         fit.sources.get("stw_sweep_term_ns", "cost model default")),
        ("cost.stw_mark_term_ns", str(fit.cost.stw_mark_term_ns),
         fit.sources.get("stw_mark_term_ns", "cost model default")),
        ("cost.runtime_base_bytes", f"{fit.cost.runtime_base_bytes / MIB:.1f} MiB",
         fit.sources.get("runtime_base_bytes", "cost model default")),
    ]


def workload_yaml(cfg: SimConfig, comment: str = "") -> str:
    """cfg as a workload file: the proto JSON mapping (json_format) dumped as YAML."""
    import yaml
    from google.protobuf import json_format

    from server.convert import config_to_proto

    d = json_format.MessageToDict(config_to_proto(cfg), preserving_proto_field_name=True)

    def tidy(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: tidy(x) for k, x in v.items()}
        if isinstance(v, list):
            return [tidy(x) for x in v]
        if isinstance(v, str) and v.lstrip("-").isdigit():
            return int(v)  # int64 fields are strings in the JSON mapping
        if isinstance(v, float) and v.is_integer() and abs(v) < 2 ** 53:
            return int(v)
        return v

    head = "".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines())
    return head + yaml.safe_dump(tidy(d), sort_keys=False, default_flow_style=None, width=100)


def math_ok(x: float | None) -> bool:
    return x is not None and not math.isnan(x)
