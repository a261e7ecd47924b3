"""Fit gosim's cost model to the Go twin's runs (issue 6, "Calibration").

    python -m validation.calibrate_costs                  # every run in validation/results
    python -m validation.calibrate_costs --mode full --json validation/cost_fit.json

Which runs: every configuration (median over its repeats, validation.compare.group_runs)
with at least MIN_CYCLES GC cycles in its measurement window; idle runs (two cycles in five
minutes) only for the scan rate. What is fitted, and how:

scan_ns_per_byte (mark CPU per byte of scan work)
    For each configuration, y = the median over the window's cycles of the mark CPU gctrace
    reports (assist + background + idle, ms), times the run's CPU availability a (see
    validation.compare: the share of a CPU the twin really got while Go counted a P busy; Go
    counts wall time on a P as CPU, so under contention the raw figure is inflated by 1/a).
    x = the same cycles' mark work in gosim for the same workload: gosim charges
    scan_ns_per_byte x (scannable heap + stacks + globals + noscan_mark_fraction x noscan
    heap) per cycle, so x is gosim's per-cycle mark CPU / scan_ns_per_byte (the work does not
    depend on the rate). The baseline's large arrays, which gosim charges at
    large_scan_ns_per_byte, come off both sides first (their bytes x that rate off y, their
    bytes out of x). Least squares through the origin, y = s x; the residual of each
    configuration is (s x - y) / y. noscan_mark_fraction is held at its default: every twin
    workload is about half scannable, so scannable and noscan bytes are collinear and the
    data cannot separate them.

large_scan_ns_per_byte (the baseline's large pointer arrays, marked first)
    With --large-scan-grid only: on each grid value, the configurations whose workload has a
    baseline of large objects are simulated and compared (validation.compare), and the value
    with the smallest rms GC CPU error wins (fit_large_scan; docs/fidelity.md "Problems
    found" 13 for why the GC CPU, which leaves idle marking out, is what identifies it).
    The scan-rate fit then uses it.

stw_sweep_term_ns, stw_mark_term_ns, stw_per_p_ns (the pauses once the world is stopped)
    gosim's sweep-termination pause is stop + stw_sweep_term_ns + per_p x GOMAXPROCS, its
    mark-termination pause stop + stw_mark_term_ns + per_p x GOMAXPROCS. For each
    configuration, the medians of gctrace's two STW clock times over the window's cycles;
    per GOMAXPROCS, the median over the configurations. stw_per_p_ns: the slope of a line
    through the mark-termination medians (non-negative least squares). The fixed costs:
    each pause's median at GOMAXPROCS=1 less one stw_per_p_ns. Sweep termination's larger
    step from 1 to 2 Ps is, on a 2-vCPU machine, the cost of waking the other (busy) vCPU,
    which stop_running_ns models and which does not extrapolate as a per-P cost.

stop_running_ns (stopping a running goroutine)
    Not fitted: the quantiles of /sched/pauses/stopping/gc:seconds per GOMAXPROCS are
    reported (with one P there is nothing else to stop; with two, most pauses find the
    other P idle, and the upper quantiles are the stops of a running goroutine), to check
    the default against.

alloc_ns_per_object, alloc_ns_per_byte, wakeup_ns, mark_alloc_slowdown (user CPU)
    Over the GOMAXPROCS=1 configurations only: with two Ps, Go's spinning Ms (a P looking
    for work before it goes idle) are user CPU too, which gosim does not model, so those
    runs measure the scheduler rather than the mutator's costs. y = user CPU per second of
    the window (/cpu/classes/user delta / window, times a) minus the requests' compute
    (rate x compute-ns) — the mutator's allocation work plus its per-wake-up overheads
    (timers, netpoll, goroutine start). Regressors per second: objects and bytes allocated
    (/gc/heap/allocs deltas) times (1 + w x the fraction of time the GC was marking), and
    wake-ups (an arrival and an io_wait's end per request for server/pool, ticks x
    goroutines for workers). w (mark_alloc_slowdown) is chosen on a grid by the smallest
    squared error; the others by non-negative least squares. Reported with residuals;
    taken into the cost model unless --no-apply-alloc.

runtime_base_bytes, metadata_fraction (memory counted against GOMEMLIMIT)
    A line through the memory-limited configurations' non-heap memory against their heap
    mapped (fit_runtime_base).

The output (stdout, and --json) gives the fitted values, each configuration's x, y and
residual, and a CostModel with the fitted values for validation.compare --cost.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simcore.config import CostModel
from validation import compare
from validation.summary import bucket_quantile
from validation.trace import pacer_traced

MIN_CYCLES = 3
MS = 1e-3


# --------------------------------------------------------------------------------------
# Per-run measurements.


def window_cycles(run: dict[str, Any]) -> list[dict[str, Any]]:
    prog = run.get("program") or {}
    ws, we = prog.get("t_window_start_s"), prog.get("t_window_end_s")
    recs = run.get("gctrace", [])
    if ws is None or we is None:
        return [r for r in recs if not r["forced"]]
    return [r for r in recs if ws <= r["end_s"] < we and not r["forced"]]


def mark_cpu_s(rec: dict[str, Any]) -> float:
    return (rec["assist_cpu_ms"] + rec["background_cpu_ms"] + rec["idle_cpu_ms"]) * MS


def _hist_quantile(run: dict[str, Any], name: str, q: float) -> float | None:
    h = (((run.get("program") or {}).get("metrics") or {}).get("histograms") or {}).get(name)
    if not h or not h.get("count"):
        return None
    return bucket_quantile([(lo, hi, int(c)) for lo, hi, c in h["buckets"]], q)


def _median(xs: list[float]) -> float | None:
    xs = [x for x in xs if x is not None and not math.isnan(x)]
    return statistics.median(xs) if xs else None


@dataclasses.dataclass
class GroupData:
    key: str
    mode: str
    gomaxprocs: int
    runs: list[dict[str, Any]]
    cycles: int  # median window cycles over repeats
    availability: float | None
    mark_cpu_wall_s: float | None  # median per-cycle mark CPU (gctrace), as Go counts it
    mark_clock_s: float | None  # median per-cycle mark phase wall time (gctrace)
    stw1_s: float | None
    stw2_s: float | None
    stopping_p50_s: float | None
    user_cpu_per_s: float | None  # window /cpu/classes/user / window (Go's count)
    alloc_objects_per_s: float | None
    alloc_bytes_per_s: float | None
    mark_duty: float | None  # fraction of the window with marking on
    compute_per_s: float  # requests' compute, s per s (known from the flags)
    wakeups_per_s: float


def group_data(key: str, runs: list[dict[str, Any]]) -> GroupData:
    per = []
    for r in runs:
        prog = r["program"]
        cyc = window_cycles(r)
        d = (prog.get("metrics") or {}).get("deltas") or {}
        win = float(prog.get("window_s") or 0) or None
        cfg = prog.get("config") or {}
        mode = r["spec"]["mode"]
        if mode in ("server", "pool"):
            rate = float(cfg.get("rate-per-s", 0))
            compute = rate * float(cfg.get("compute-ns", 0)) * 1e-9
            # gosim charges wakeup_ns at each arrival and at the end of each io_wait
            wake = rate * (2 if float(cfg.get("io-ns", 0)) > 0 else 1)
        elif mode in ("steady", "memlimit", "leak"):
            compute = 0.0
            wake = int(cfg.get("goroutines", 1)) * 1e9 / float(cfg.get("tick-ns", 1e6))
        else:
            compute, wake = 0.0, 0.0
        duty = (sum((c["stw1_clock_ms"] + c["mark_clock_ms"] + c["stw2_clock_ms"]) * MS
                    for c in cyc) / win) if win else None
        # A --pacer-trace run's pauses include the pacer's printing: not fitted.
        stw_cyc = [] if pacer_traced(r) else cyc
        per.append(dict(
            cycles=len(cyc),
            availability=compare.availability(r),
            mark=_median([mark_cpu_s(c) for c in cyc]),
            clock=_median([c["mark_clock_ms"] * MS for c in cyc]),
            stw1=_median([c["stw1_clock_ms"] * MS for c in stw_cyc]),
            stw2=_median([c["stw2_clock_ms"] * MS for c in stw_cyc]),
            stop=(None if pacer_traced(r)
                  else _hist_quantile(r, "/sched/pauses/stopping/gc:seconds", 0.5)),
            user=(float(d["/cpu/classes/user:cpu-seconds"]) / win
                  if win and "/cpu/classes/user:cpu-seconds" in d else None),
            objs=(float(d["/gc/heap/allocs:objects"]) / win
                  if win and "/gc/heap/allocs:objects" in d else None),
            bytes=(float(d["/gc/heap/allocs:bytes"]) / win
                   if win and "/gc/heap/allocs:bytes" in d else None),
            duty=duty, compute=compute, wake=wake))
    med = {k: _median([p[k] for p in per]) for k in per[0]}
    spec = runs[0]["spec"]
    return GroupData(key=key, mode=spec["mode"], gomaxprocs=int(spec["gomaxprocs"]), runs=runs,
                     cycles=int(med["cycles"] or 0), availability=med["availability"],
                     mark_cpu_wall_s=med["mark"], mark_clock_s=med["clock"],
                     stw1_s=med["stw1"], stw2_s=med["stw2"],
                     stopping_p50_s=med["stop"], user_cpu_per_s=med["user"],
                     alloc_objects_per_s=med["objs"], alloc_bytes_per_s=med["bytes"],
                     mark_duty=med["duty"], compute_per_s=med["compute"] or 0.0,
                     wakeups_per_s=med["wake"] or 0.0)


def large_scan_bytes(cfg: Any) -> int:
    """Scan work of the baseline heap's large objects (bytes per cycle), which gosim marks
    at large_scan_ns_per_byte: simcore.engine.large_scan_bytes of the workload's baseline."""
    from simcore.engine import large_scan_bytes as baseline_large_scan_bytes

    return baseline_large_scan_bytes(cfg.workload.baseline_heap)


def large_scan_rate(cost: CostModel) -> float:
    return cost.large_scan_ns_per_byte or cost.scan_ns_per_byte


def sim_work_per_cycle(run: dict[str, Any], cost: CostModel) -> tuple[float, float] | None:
    """gosim's mark work per cycle for the run's workload, (rest, large): the baseline's
    large arrays (at large_scan_ns_per_byte) and everything else (scan-work bytes, noscan
    weighted, at scan_ns_per_byte): median over the window's cycles of mark CPU, less the
    large arrays' cost, / scan_ns_per_byte."""
    from simcore import simulate

    res = simulate(compare.sim_config(run, cost, None))
    cfg = res.config
    large = large_scan_bytes(cfg)
    win = [c for c in res.cycles if cfg.warmup_ns <= c.start_ns + c.stw_sweep_term_clock_ns
           + c.mark_clock_ns + c.stw_mark_term_clock_ns < cfg.duration_ns
           and c.kind.value != "cycle"]
    if not win:
        win = [c for c in res.cycles if c.kind.value != "cycle"]
    if not win:
        return None
    cpu = statistics.median(
        c.assist_cpu_ns + c.dedicated_cpu_ns + c.fractional_cpu_ns + c.idle_cpu_ns for c in win)
    return (cpu - large * large_scan_rate(cost)) / cost.scan_ns_per_byte, float(large)


# --------------------------------------------------------------------------------------
# Fits.


def fit_through_origin(xs: list[float], ys: list[float]) -> float:
    return sum(x * y for x, y in zip(xs, ys, strict=True)) / sum(x * x for x in xs)


def fit_line_nonneg(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """y = a + b x by least squares with a, b >= 0."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    a = my - b * mx
    if a < 0:
        a, b = 0.0, max(0.0, fit_through_origin(xs, ys))
    if b < 0:
        a, b = max(0.0, my), 0.0
    return a, b


def nnls(rows: list[list[float]], ys: list[float]) -> list[float]:
    """Non-negative least squares by active-set elimination (small problems)."""
    k = len(rows[0])
    active = list(range(k))
    while True:
        sol = _lstsq([[r[j] for j in active] for r in rows], ys)
        if all(v >= 0 for v in sol) or not active:
            out = [0.0] * k
            for j, v in zip(active, sol, strict=True):
                out[j] = max(0.0, v)
            return out
        worst = min(range(len(sol)), key=lambda i: sol[i])
        active.pop(worst)


def _lstsq(rows: list[list[float]], ys: list[float]) -> list[float]:
    k = len(rows[0]) if rows else 0
    if k == 0:
        return []
    a = [[sum(r[i] * r[j] for r in rows) for j in range(k)] for i in range(k)]
    b = [sum(r[i] * y for r, y in zip(rows, ys, strict=True)) for i in range(k)]
    for i in range(k):  # Gaussian elimination with partial pivoting
        p = max(range(i, k), key=lambda r: abs(a[r][i]))
        a[i], a[p] = a[p], a[i]
        b[i], b[p] = b[p], b[i]
        if abs(a[i][i]) < 1e-30:
            continue
        for r in range(i + 1, k):
            f = a[r][i] / a[i][i]
            for c in range(i, k):
                a[r][c] -= f * a[i][c]
            b[r] -= f * b[i]
    x = [0.0] * k
    for i in reversed(range(k)):
        s = b[i] - sum(a[i][c] * x[c] for c in range(i + 1, k))
        x[i] = s / a[i][i] if abs(a[i][i]) > 1e-30 else 0.0
    return x


def fit_scan(groups: list[GroupData], base: CostModel) -> dict[str, Any]:
    pts = []
    for g in groups:
        if g.mark_cpu_wall_s is None or g.availability is None:
            continue
        if g.mode != "idle" and g.cycles < MIN_CYCLES:
            continue
        xw = sim_work_per_cycle(g.runs[0], base)
        if not xw:
            continue
        x, large = xw
        # The large arrays' CPU at their own (fixed) rate comes off y: y - d large = s x.
        dl = large * large_scan_rate(base) * 1e-9
        pts.append({"key": g.key, "x_work_bytes": x, "x_large_bytes": large,
                    "y_mark_cpu_s": g.mark_cpu_wall_s * g.availability - dl,
                    "y_wall_s": g.mark_cpu_wall_s - dl,
                    "y_clock_s": (g.mark_clock_s or 0) * g.gomaxprocs * g.availability - dl,
                    "availability": g.availability, "gomaxprocs": g.gomaxprocs})
    xs = [p["x_work_bytes"] for p in pts]
    ys = [p["y_mark_cpu_s"] for p in pts]
    s = fit_through_origin(xs, ys)
    s_wall = fit_through_origin(xs, [p["y_wall_s"] for p in pts])
    s_clock = fit_through_origin(xs, [p["y_clock_s"] for p in pts])
    for p in pts:
        p["residual_clock"] = ((s_clock * p["x_work_bytes"] - p["y_clock_s"]) / p["y_clock_s"]
                               if p["y_clock_s"] else None)
    for p in pts:
        p["ns_per_byte"] = p["y_mark_cpu_s"] / p["x_work_bytes"] * 1e9
        p["residual"] = (s * p["x_work_bytes"] - p["y_mark_cpu_s"]) / p["y_mark_cpu_s"]
    by_p = {}
    for procs in sorted({p["gomaxprocs"] for p in pts}):
        sub = [p for p in pts if p["gomaxprocs"] == procs]
        by_p[procs] = fit_through_origin([p["x_work_bytes"] for p in sub],
                                         [p["y_mark_cpu_s"] for p in sub]) * 1e9
    return {
        "scan_ns_per_byte": s * 1e9,
        "scan_ns_per_byte_uncorrected": s_wall * 1e9,
        # the rate at which gosim's marks would last as long as the real ones (every P
        # marking for the whole mark clock, times availability)
        "scan_ns_per_byte_clock": s_clock * 1e9,
        "rms_residual_clock": math.sqrt(statistics.fmean(
            p["residual_clock"] ** 2 for p in pts if p["residual_clock"] is not None)),
        "scan_ns_per_byte_median_ratio": statistics.median(p["ns_per_byte"] for p in pts),
        "scan_ns_per_byte_by_gomaxprocs": by_p,
        "rms_residual": math.sqrt(statistics.fmean(p["residual"] ** 2 for p in pts)),
        "points": pts,
    }


def fit_large_scan(groups: list[GroupData], base: CostModel,
                   grid: list[float]) -> dict[str, Any]:
    """large_scan_ns_per_byte on a grid: for the configurations whose workload has a
    baseline of large arrays, the rms of gosim's GC CPU error (percentage points, as
    validation.compare measures it) at each grid value; the smallest wins. The large
    arrays' cost falls at the start of each mark, so it sets how much of the mark the
    assists do instead of the idle worker, which only the GC CPU fraction (idle marking
    excluded) sees; the mark's total CPU hardly separates it from scan_ns_per_byte."""
    sel = [g for g in groups if g.mode != "idle" and g.cycles >= MIN_CYCLES
           and large_scan_bytes(compare.sim_config(g.runs[0], base, None)) > 0]
    rows = []
    for d in grid:
        cost = dataclasses.replace(base, large_scan_ns_per_byte=d)
        errs = {}
        for g in sel:
            res = compare.compare_group(g.key, g.runs, cost)
            cell = next(c for c in res.cells if c.metric == "GC CPU")
            if cell.error is not None:
                errs[g.key] = cell.error
        rms = math.sqrt(statistics.fmean(e * e for e in errs.values())) if errs else None
        rows.append({"large_scan_ns_per_byte": d, "rms_gc_cpu_pp": rms, "errors_pp": errs})
    ok = [r for r in rows if r["rms_gc_cpu_pp"] is not None]
    best = min(ok, key=lambda r: r["rms_gc_cpu_pp"]) if ok else None
    return {"configurations": [g.key for g in sel], "grid": rows,
            "large_scan_ns_per_byte": best["large_scan_ns_per_byte"] if best else None}


def fit_stw(groups: list[GroupData], base: CostModel) -> dict[str, Any]:
    pts = [g for g in groups if g.stw1_s is not None and g.stw2_s is not None
           and g.cycles >= MIN_CYCLES]
    out_pts = []
    for g in pts:
        out_pts.append({"key": g.key, "gomaxprocs": g.gomaxprocs, "stw1_median_s": g.stw1_s,
                        "stw2_median_s": g.stw2_s,
                        "mean_s": (g.stw1_s + g.stw2_s) / 2,  # type: ignore[operator]
                        "stopping_p50_s": g.stopping_p50_s})
    by_p: dict[int, dict[str, float]] = {}
    for procs in sorted({p["gomaxprocs"] for p in out_pts}):
        sub = [p for p in out_pts if p["gomaxprocs"] == procs]
        by_p[procs] = {k: statistics.median(p[k] for p in sub)
                       for k in ("stw1_median_s", "stw2_median_s", "mean_s")}
        by_p[procs]["configurations"] = len(sub)
        q = {}
        for qq in (0.5, 0.75, 0.9):
            vals = [v for v in (_hist_quantile(r, "/sched/pauses/stopping/gc:seconds", qq)
                                for g in pts if g.gomaxprocs == procs for r in g.runs)
                    if v is not None]
            q[f"stopping_p{int(qq * 100)}_s"] = statistics.median(vals) if vals else None
        by_p[procs].update(q)
    # Each pause = its fixed cost + per_p x GOMAXPROCS (+ stop_running_ns when a goroutine
    # had to be stopped). per_p: the slope of the mark-termination medians over GOMAXPROCS
    # (a line through the median at each GOMAXPROCS, non-negative; medians, as a few
    # configurations have pauses ten times the others). Mark termination, not sweep
    # termination: on this 2-vCPU machine sweep termination at GOMAXPROCS=2 also pays for
    # waking the other, busy vCPU (stop_running_ns), which is not a per-P cost that
    # extrapolates to 8 or 64 Ps (docs/fidelity.md). The fixed costs: each pause's median at
    # GOMAXPROCS=1 (nothing else to stop or wake) less one per_p.
    per_p = float(base.stw_per_p_ns) * 1e-9
    if len(by_p) >= 2:
        _, per_p = fit_line_nonneg([float(k) for k in by_p],
                                   [d["stw2_median_s"] for d in by_p.values()])
    sweep = mark = None
    if 1 in by_p:
        sweep = max(0.0, by_p[1]["stw1_median_s"] - per_p)
        mark = max(0.0, by_p[1]["stw2_median_s"] - per_p)
    for p in out_pts:
        if sweep is not None and mark is not None:
            p["fit1_s"] = sweep + per_p * p["gomaxprocs"]
            p["fit2_s"] = mark + per_p * p["gomaxprocs"]
            p["residual"] = (p["fit1_s"] - p["stw1_median_s"]) / p["stw1_median_s"] \
                if p["stw1_median_s"] else None
            p["residual2"] = (p["fit2_s"] - p["stw2_median_s"]) / p["stw2_median_s"] \
                if p["stw2_median_s"] else None
    for procs, d in by_p.items():
        if sweep is not None and mark is not None:
            d["fit1_s"] = sweep + per_p * procs
            d["fit2_s"] = mark + per_p * procs
    return {"stw_sweep_term_ns": None if sweep is None else sweep * 1e9,
            "stw_mark_term_ns": None if mark is None else mark * 1e9,
            "stw_per_p_ns": per_p * 1e9, "stop_running_ns": None, "by_gomaxprocs": by_p,
            "points": out_pts}


def fit_user(groups: list[GroupData]) -> dict[str, Any]:
    """The mutator's CPU costs from its user CPU (module docstring): allocation per object
    and per byte, wake-ups, and the mark-time allocation slowdown."""
    pts = [g for g in groups if g.user_cpu_per_s is not None and g.availability is not None
           and g.alloc_objects_per_s and g.mark_duty is not None and g.cycles >= MIN_CYCLES]
    if not pts:
        return {"alloc_ns_per_object": None, "alloc_ns_per_byte": None, "wakeup_ns": None,
                "mark_alloc_slowdown": None, "rms_residual": None, "points": []}
    ys = [g.user_cpu_per_s * g.availability - g.compute_per_s for g in pts]  # type: ignore[operator]
    best: dict[str, Any] | None = None
    for i in range(0, 81):  # w in 0..4
        w = i * 0.05
        rows = [[g.alloc_objects_per_s * (1 + w * g.mark_duty),  # type: ignore[operator]
                 g.alloc_bytes_per_s * (1 + w * g.mark_duty),  # type: ignore[operator]
                 g.wakeups_per_s] for g in pts]
        coef = nnls(rows, ys)
        sse = sum((sum(c * v for c, v in zip(coef, r, strict=True)) - y) ** 2
                  for r, y in zip(rows, ys, strict=True))
        if best is None or sse < best["sse"]:
            best = {"w": w, "coef": coef, "sse": sse, "rows": rows}
    assert best is not None
    coef = best["coef"]
    out_pts = []
    for g, r, y in zip(pts, best["rows"], ys, strict=True):
        pred = sum(c * v for c, v in zip(coef, r, strict=True))
        out_pts.append({"key": g.key, "user_cpu_per_s": y, "fit": pred,
                        "residual": (pred - y) / y if y else None,
                        "objects_per_s": g.alloc_objects_per_s, "bytes_per_s": g.alloc_bytes_per_s,
                        "mark_duty": g.mark_duty, "wakeups_per_s": g.wakeups_per_s})
    return {"alloc_ns_per_object": coef[0] * 1e9, "alloc_ns_per_byte": coef[1] * 1e9,
            "wakeup_ns": coef[2] * 1e9, "mark_alloc_slowdown": best["w"],
            "rms_residual": math.sqrt(statistics.fmean(
                p["residual"] ** 2 for p in out_pts if p["residual"] is not None)),
            "points": out_pts}


def fit_wakeup(groups: list[GroupData], base: CostModel) -> dict[str, Any]:
    """wakeup_ns, the CPU of one timer or netpoll wake-up, with the allocation costs held at
    the cost model's: per configuration, y = user CPU per second x availability - the
    requests' compute - the allocation cost at the cost model's rates (x (1 + the
    write-barrier slowdown x mark duty)); x = wake-ups per second as gosim charges them (each
    arrival, each io_wait's end, each paced worker's tick); least squares through the
    origin. Residuals are of the whole user CPU."""
    pts, xs, ys = [], [], []
    for g in groups:
        if (g.user_cpu_per_s is None or g.availability is None or not g.wakeups_per_s
                or g.alloc_objects_per_s is None or g.mark_duty is None
                or g.cycles < MIN_CYCLES):
            continue
        user = g.user_cpu_per_s * g.availability
        alloc = (g.alloc_objects_per_s * base.alloc_ns_per_object
                 + (g.alloc_bytes_per_s or 0.0) * base.alloc_ns_per_byte) * 1e-9 * (
            1 + base.write_barrier_slowdown * g.mark_duty)
        xs.append(g.wakeups_per_s)
        ys.append(user - g.compute_per_s - alloc)
        pts.append({"key": g.key, "user_cpu_per_s": user, "wakeups_per_s": g.wakeups_per_s,
                    "other_s_per_s": g.compute_per_s + alloc})
    if not pts:
        return {"wakeup_ns": None, "points": []}
    w = max(0.0, fit_through_origin(xs, ys))
    for p in pts:
        p["fit"] = p["other_s_per_s"] + w * p["wakeups_per_s"]
        p["residual"] = (p["fit"] - p["user_cpu_per_s"]) / p["user_cpu_per_s"]
    return {"wakeup_ns": w * 1e9, "points": pts,
            "rms_residual": math.sqrt(statistics.fmean(p["residual"] ** 2 for p in pts))}


def fit_runtime_base(groups: list[GroupData]) -> dict[str, Any]:
    """runtime_base_bytes and metadata_fraction: gosim's mappedReady (what GOMEMLIMIT limits)
    is the heap not released + stacks + runtime_base_bytes + metadata_fraction x the heap
    mapped, so the non-heap part is runtime_base_bytes + metadata_fraction x heap. For each
    memory-limited configuration (where it matters), y = the non-heap memory at the end of
    the run (/memory/classes/total less every /memory/classes/heap/ class: metadata, OS
    stacks, other, profiling) plus /memory/classes/heap/stacks (stack spans: the runtime's
    own goroutines and stack caches, 0.4-0.6 MiB in the twin, against a few KiB for the
    twin's goroutines, which gosim counts as Heap.stacks), x = the heap mapped and not
    released (the /memory/classes/heap/ classes but released and stacks), medians over the
    repeats; a line through them, both >= 0."""
    pts = []
    for g in groups:
        if g.runs[0]["spec"].get("gomemlimit_bytes") is None:
            continue
        ys, xs = [], []
        for r in g.runs:
            e = (r.get("program") or {}).get("end_metrics") or {}
            total = e.get("/memory/classes/total:bytes")
            if total is None:
                continue
            heap = sum(v for k, v in e.items() if k.startswith("/memory/classes/heap/"))
            stacks = e.get("/memory/classes/heap/stacks:bytes", 0)
            ys.append(float(total) - heap + stacks)
            xs.append(float(sum(v for k, v in e.items()
                                if k.startswith("/memory/classes/heap/") and "released" not in k))
                      - stacks)
        if ys:
            pts.append({"key": g.key, "non_heap_bytes": statistics.median(ys),
                        "heap_mapped_bytes": statistics.median(xs)})
    base = frac = None
    if len(pts) >= 2:
        base, frac = fit_line_nonneg([p["heap_mapped_bytes"] for p in pts],
                                     [p["non_heap_bytes"] for p in pts])
        for p in pts:
            p["fit_bytes"] = base + frac * p["heap_mapped_bytes"]
            p["residual"] = (p["fit_bytes"] - p["non_heap_bytes"]) / p["non_heap_bytes"]
    return {"runtime_base_bytes": base, "metadata_fraction": frac, "points": pts}


def calibrate(runs: list[dict[str, Any]], base: CostModel | None = None,
              apply_alloc: bool = True, scan_target: str = "cpu",
              large_grid: list[float] | None = None) -> dict[str, Any]:
    base = base or CostModel()
    groups = [group_data(k, v) for k, v in compare.group_runs(runs).items()]
    large = fit_large_scan(groups, base, large_grid) if large_grid else None
    if large and large["large_scan_ns_per_byte"] is not None:
        base = dataclasses.replace(base, large_scan_ns_per_byte=large["large_scan_ns_per_byte"])
    scan = fit_scan(groups, base)
    stw = fit_stw([g for g in groups if g.mode != "idle"], base)
    user = fit_user([g for g in groups if g.mode != "idle" and g.gomaxprocs == 1])
    mem = fit_runtime_base(groups)
    wake = fit_wakeup([g for g in groups if g.mode != "idle"], base)
    fitted = {
        "scan_ns_per_byte": round(scan["scan_ns_per_byte" if scan_target == "cpu"
                                       else "scan_ns_per_byte_clock"], 3),
    }
    if large and large["large_scan_ns_per_byte"] is not None:
        fitted["large_scan_ns_per_byte"] = large["large_scan_ns_per_byte"]
    if stw["stw_sweep_term_ns"] is not None:
        fitted["stw_sweep_term_ns"] = int(round(stw["stw_sweep_term_ns"], -2))
        fitted["stw_mark_term_ns"] = int(round(stw["stw_mark_term_ns"], -2))
        fitted["stw_per_p_ns"] = int(round(stw["stw_per_p_ns"], -2))

    if mem["runtime_base_bytes"] is not None:
        fitted["runtime_base_bytes"] = int(round(mem["runtime_base_bytes"] / 65536) * 65536)
        fitted["metadata_fraction"] = round(mem["metadata_fraction"], 4)
    if apply_alloc and user["points"]:
        fitted["alloc_ns_per_object"] = round(user["alloc_ns_per_object"], 1)
        fitted["alloc_ns_per_byte"] = round(user["alloc_ns_per_byte"], 3)
        fitted["wakeup_ns"] = int(round(user["wakeup_ns"], -2))
        fitted["mark_alloc_slowdown"] = round(user["mark_alloc_slowdown"], 2)
    cost = dataclasses.replace(base, **fitted)
    return {"base": dataclasses.asdict(base), "fitted": fitted, "scan_target": scan_target,
            "cost_model": dataclasses.asdict(cost), "scan": scan, "stw": stw, "user": user,
            "memory": mem, "wakeup": wake, "large_scan": large,
            "groups": len(groups), "runs": len(runs),
            "simcore_sources": compare.simcore_fingerprint()}


def report(out: dict[str, Any]) -> str:
    s, t, u = out["scan"], out["stw"], out["user"]
    lines = [f"{out['runs']} runs in {out['groups']} configurations "
             f"(simcore sources {out['simcore_sources']})", "",
             "scan_ns_per_byte (mark CPU x availability vs gosim's mark work per cycle)",
             f"  least squares: {s['scan_ns_per_byte']:.3f} ns/B   "
             f"(uncorrected for contention {s['scan_ns_per_byte_uncorrected']:.3f}; median "
             f"ratio {s['scan_ns_per_byte_median_ratio']:.3f}; by GOMAXPROCS "
             + ", ".join(f"{k}: {v:.3f}" for k, v in s["scan_ns_per_byte_by_gomaxprocs"].items())
             + f"); rms residual {100 * s['rms_residual']:.1f} %",
             f"  (fitted to the mark clock x GOMAXPROCS instead: "
             f"{s['scan_ns_per_byte_clock']:.3f} ns/B, rms residual "
             f"{100 * s['rms_residual_clock']:.1f} %)"]
    for p in s["points"]:
        lines.append(f"    {p['key']:<44} work {p['x_work_bytes'] / 2**20:8.1f} MiB  "
                     f"cpu {p['y_mark_cpu_s'] * 1e3:7.1f} ms  (a={p['availability']:.2f})  "
                     f"{p['ns_per_byte']:.2f} ns/B  resid {100 * p['residual']:+.0f} %")
    ls = out.get("large_scan")
    if ls:
        lines += ["", "large_scan_ns_per_byte (baseline of large arrays; rms of the GC CPU "
                      f"error over {len(ls['configurations'])} configurations, pp)"]
        for r in ls["grid"]:
            rms = r["rms_gc_cpu_pp"]
            lines.append(f"    {r['large_scan_ns_per_byte']:.2f} ns/B  rms "
                         + (f"{rms:.2f}" if rms is not None else "-") + "  worst "
                         + (f"{max(r['errors_pp'].values(), key=abs):+.1f}"
                            if r["errors_pp"] else "-"))
    lines += ["", "STW: each pause = its fixed cost + stw_per_p_ns x GOMAXPROCS; per-P cost "
                  "from the mark-termination medians per GOMAXPROCS, fixed costs from "
                  "GOMAXPROCS=1",
              f"  stw_sweep_term_ns {t['stw_sweep_term_ns']:.0f}  stw_mark_term_ns "
              f"{t['stw_mark_term_ns']:.0f}  stw_per_p_ns {t['stw_per_p_ns']:.0f}; "
              "stop_running_ns kept (stopping quantiles below)"]
    for procs, d in t["by_gomaxprocs"].items():
        sq = ", ".join(f"{k.split('_')[1]} {d[k] * 1e6:.1f}" for k in d
                       if k.startswith("stopping_") and d[k] is not None)
        lines.append(f"    P={procs} ({d['configurations']:.0f} configurations): sweep-termination "
                     f"median {d['stw1_median_s'] * 1e6:.1f} µs (fit "
                     f"{d.get('fit1_s', 0) * 1e6:.1f}), mark-termination "
                     f"{d['stw2_median_s'] * 1e6:.1f} µs (fit {d.get('fit2_s', 0) * 1e6:.1f}); "
                     f"stopping (µs) {sq}")
    for name, key in (("sweep termination", "residual"), ("mark termination", "residual2")):
        res = [p[key] for p in t["points"] if p.get(key) is not None]
        if res:
            lines.append(f"    {name} residuals: median {100 * statistics.median(res):+.0f} %, "
                         f"rms {100 * math.sqrt(statistics.fmean(r * r for r in res)):.0f} %")
    if u["points"]:
        lines += ["", "user CPU at GOMAXPROCS=1 (x availability) - compute = (objects/s x "
                  "ns_obj + bytes/s x ns_byte) x (1 + w x mark duty) + wake-ups/s x ns_wake",
                  f"  alloc_ns_per_object {u['alloc_ns_per_object']:.2f}  alloc_ns_per_byte "
                  f"{u['alloc_ns_per_byte']:.4f}  wakeup_ns {u['wakeup_ns']:.0f}  "
                  f"mark_alloc_slowdown {u['mark_alloc_slowdown']:.2f}  "
                  f"rms residual {100 * u['rms_residual']:.0f} %"]
    for p in u["points"]:
        lines.append(f"    {p['key']:<44} user {p['user_cpu_per_s']:.3f} s/s  fit {p['fit']:.3f}"
                     f"  resid {100 * (p['residual'] or 0):+.0f} %")
    wk = out.get("wakeup") or {}
    if wk.get("wakeup_ns") is not None:
        lines += ["", "wakeup_ns (user CPU x availability - compute - allocation at the cost "
                      "model's rates = wake-ups/s x wakeup_ns)",
                  f"  wakeup_ns {wk['wakeup_ns']:.0f}  rms residual "
                  f"{100 * wk['rms_residual']:.0f} %"]
        for p in wk["points"]:
            lines.append(f"    {p['key']:<44} user {p['user_cpu_per_s']:.3f} s/s  fit "
                         f"{p['fit']:.3f}  wake-ups {p['wakeups_per_s']:.0f}/s  resid "
                         f"{100 * p['residual']:+.0f} %")
    m = out["memory"]
    if m["runtime_base_bytes"] is not None:
        lines += ["", "non-heap memory = runtime_base_bytes + metadata_fraction x heap mapped "
                      "(memory-limited configurations): "
                      f"{m['runtime_base_bytes'] / 2**20:.2f} MiB + "
                      f"{m['metadata_fraction']:.4f} x heap"]
        for p in m["points"]:
            lines.append(f"    {p['key']:<44} non-heap {p['non_heap_bytes'] / 2**20:6.2f} MiB  "
                         f"(heap mapped {p['heap_mapped_bytes'] / 2**20:.0f} MiB)  fit "
                         f"{p['fit_bytes'] / 2**20:6.2f}  resid {100 * p['residual']:+.1f} %")
    lines += ["", "fitted: " + ", ".join(f"{k}={v}" for k, v in out["fitted"].items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", help="result files, directories or globs")
    ap.add_argument("--mode", choices=("quick", "full", "all"), default="full")
    ap.add_argument("--json", help="write the fit (and the fitted cost model) here")
    ap.add_argument("--no-apply-alloc", dest="apply_alloc", action="store_false",
                    help="keep the cost model's allocation, wake-up and mark-time "
                         "allocation costs (report their fit only)")
    ap.add_argument("--uncontended", action="store_true",
                    help="leave out the runs flagged contended (other processes took CPU)")
    ap.add_argument("--scan-target", choices=("cpu", "clock"), default="cpu",
                    help="fit the scan rate to the mark CPU (default) or to the mark's "
                         "duration (clock x GOMAXPROCS)")
    ap.add_argument("--large-scan-grid", default="",
                    help="comma-separated large_scan_ns_per_byte values to fit on (e.g. "
                         "2.2,2.4,2.6,2.7,2.8,3.0; slow: it simulates the configurations with "
                         "a baseline of large arrays once per value); empty: keep the default")
    args = ap.parse_args(argv)
    runs = [r for r in compare.load_runs(args.paths or None)
            if (args.mode == "all" or f"-{args.mode}-" in compare.config_key(r))
            and not (args.uncontended and r.get("contended"))]
    grid = [float(v) for v in args.large_scan_grid.split(",") if v.strip()]
    out = calibrate(runs, apply_alloc=args.apply_alloc, scan_target=args.scan_target,
                    large_grid=grid or None)
    print(report(out), end="")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
