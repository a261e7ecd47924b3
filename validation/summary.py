"""One run of the Go twin reduced to the figures gosim is compared on.

summarize(run) takes a run record as runner.py writes it (results/*.json) and returns:

    window_s                the measurement window (the run without its warm-up)
    gc_cycles               gctrace cycles that ended in the window (a line is printed, and
                            runtime/metrics counts the cycle and its CPU, at its end)
    gc_cycles_per_s         gc_cycles / window_s
    gc_cycles_per_s_metrics /gc/cycles/total delta / window_s
    goal_live_ratio_mean    mean over window cycles of goal_i / marked_{i-1} (gctrace MB)
    goal_live_ratio_sampled the same from the sampler's exact bytes (/gc/heap/goal over
                            /gc/heap/live after each cycle it saw), if it ran
    peak_heap_bytes         peak /memory/classes/heap/objects (sampler), else the largest of
                            max H1 (gctrace) and that metric at the window's two ends
    peak_heap_gctrace_bytes max heapLive at mark termination (H1) over window cycles
    gc_cpu_fraction         window delta of (gc total - idle mark) / total CPU (runtime/metrics)
    gc_cpu_fraction_gctrace the same from gctrace's per-cycle CPU (STW, assist, background)
    pause_quantiles_s       {"metrics": from /sched/pauses/total/gc, "gctrace": from the STW
                            clock times, two per cycle}: count, p50, p90, p99, max
    forced_periodic_cycles  cycles preceded by "GC forced" (two-minute timer), whole run
    forced_gaps_s           for each: its start minus the previous cycle's start
    forced_gaps_from_end_s  ... minus the previous cycle's end (what the timer measures)
    runtime_gc_cycles       cycles with "(forced)": runtime.GC(), i.e. the setup's one
    request_p50_s, request_p99_s, request_count   (server and pool)

Quantiles of a bucketed histogram follow simcore.histogram.TimeHistogram.quantile: the
sample of rank max(1, ceil(q n)), placed evenly within its bucket.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from simcore.histogram import TimeHistogram

MIB = 1 << 20
QUANTILES = (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0))


def bucket_quantile(buckets: list[tuple[float | None, float | None, int]], q: float) -> float:
    """q-quantile of a histogram given as (lo, hi, count) buckets in increasing order.

    Infinite edges (None or +-inf) are replaced by the finite edge of the same bucket.
    """
    total = sum(c for _, _, c in buckets)
    if total == 0:
        return 0.0
    rank = max(1, math.ceil(q * total))
    before = 0
    last = 0.0
    for lo, hi, c in buckets:
        lo_f = hi if lo is None or math.isinf(lo) else lo
        hi_f = lo_f if hi is None or math.isinf(hi) else hi
        if lo_f is None or hi_f is None:  # both edges infinite: no position to give
            continue
        last = hi_f
        if c and before + c >= rank:
            return lo_f + (hi_f - lo_f) * (2 * (rank - before) - 1) / (2 * c)
        before += c
    return last


def nearest_rank(samples: list[float], q: float) -> float:
    """Nearest-rank q-quantile of raw samples (0 when empty)."""
    if not samples:
        return 0.0
    s = sorted(samples)
    return s[min(len(s), max(1, math.ceil(q * len(s)))) - 1]


def latency_histogram_buckets(h: dict[str, Any]) -> list[tuple[float, float, int]]:
    """The Go latency histogram's sparse counts ([[index, count], ...], the layout of
    TimeHistogram(sub_bucket_bits)) as (lo_ns, hi_ns, count) buckets."""
    th = TimeHistogram(sub_bucket_bits=int(h.get("sub_bucket_bits", 5)))
    edges = th.edges_ns()
    out = []
    for idx, c in h.get("counts", []):
        if idx == 0:
            lo, hi = float(h.get("min_ns", 0)), 0.0
        elif idx >= len(edges):
            lo, hi = float(edges[-1]), float(h.get("max_ns", edges[-1]) + 1)
        else:
            lo, hi = float(edges[idx - 1]), float(edges[idx])
        out.append((lo, hi, int(c)))
    return out


def latency_quantile_ns(h: dict[str, Any], q: float) -> int:
    """TimeHistogram.quantile on the Go latency histogram: buckets narrowed to [min, max],
    exact at q=1 (max)."""
    n = int(h.get("count", 0))
    if n == 0:
        return 0
    mn, mx = int(h["min_ns"]), int(h["max_ns"])
    rank = max(1, math.ceil(q * n))
    if rank >= n:
        return mx
    if rank == 1:
        return mn
    before = 0
    for lo, hi, c in latency_histogram_buckets(h):
        if before + c >= rank:
            lo_i, hi_i = max(int(lo), mn), min(int(hi), mx + 1)
            est = lo_i + (hi_i - lo_i) * (2 * (rank - before) - 1) // (2 * c)
            return min(max(est, mn), mx)
        before += c
    return mx


def _window(run: dict[str, Any]) -> tuple[float, float]:
    prog = run.get("program") or {}
    ws = prog.get("t_window_start_s")
    we = prog.get("t_window_end_s")
    if ws is None or we is None:  # no report: the whole trace
        recs = run.get("gctrace", [])
        return 0.0, (recs[-1]["end_s"] if recs else 0.0)
    return float(ws), float(we)


def summarize(run: dict[str, Any]) -> dict[str, Any]:
    """The comparison figures of one run record (see the module docstring)."""
    prog = run.get("program") or {}
    recs: list[dict[str, Any]] = run.get("gctrace", [])
    ws, we = _window(run)
    window = max(we - ws, 1e-9)
    # Cycles that ended in the window, like the runtime/metrics deltas. (gctrace's @T has ms
    # resolution and an origin up to ~1 ms before the program's clock.)
    in_win = [r for r in recs if ws <= r["end_s"] < we]
    procs = int(prog.get("gomaxprocs") or (recs[-1]["procs"] if recs else 1))
    out: dict[str, Any] = {
        "mode": run.get("mode") or prog.get("mode"),
        "gomaxprocs": procs,
        "gogc": run.get("spec", {}).get("gogc"),
        "gomemlimit_bytes": run.get("spec", {}).get("gomemlimit_bytes"),
        "contended": run.get("contended"),
        "window_s": window,
        "gc_cycles": len(in_win),
        "gc_cycles_per_s": len(in_win) / window,
    }
    metrics = prog.get("metrics") or {}
    derived = metrics.get("derived") or {}
    if "gc_cycles_per_s" in derived:
        out["gc_cycles_per_s_metrics"] = derived["gc_cycles_per_s"]

    # goal / previous cycle's marked.
    by_index = {r["index"]: r for r in recs}
    ratios = []
    for r in in_win:
        prev = by_index.get(r["index"] - 1)
        if prev is not None and prev["heap2_mb"] > 0:
            ratios.append(r["goal_mb"] / prev["heap2_mb"])
    out["goal_live_ratio_mean"] = statistics.fmean(ratios) if ratios else None
    samples = prog.get("samples") or {}
    cols = samples.get("cycles_columns") or []
    if cols and samples.get("cycles"):
        ci = {c: i for i, c in enumerate(cols)}
        sr = [row[ci["goal_bytes"]] / row[ci["live_bytes"]]
              for row in samples["cycles"]
              if ws <= row[ci["t_s"]] < we and row[ci["live_bytes"]] > 0]
        out["goal_live_ratio_sampled"] = statistics.fmean(sr) if sr else None

    # Peak heap.
    peak_gctrace = max((r["heap1_mb"] for r in in_win), default=0) * MIB
    out["peak_heap_gctrace_bytes"] = peak_gctrace
    ends = [float((prog.get(k) or {}).get("/memory/classes/heap/objects:bytes", 0))
            for k in ("run_start_metrics", "end_metrics")]
    out["peak_heap_bytes"] = samples.get("peak_heap_objects_bytes") or max(peak_gctrace, *ends)

    # GC CPU.
    out["gc_cpu_fraction"] = derived.get("gc_cpu_fraction")
    gc_ms = sum(r["stw1_cpu_ms"] + r["assist_cpu_ms"] + r["background_cpu_ms"] + r["stw2_cpu_ms"]
                for r in in_win)
    out["gc_cpu_fraction_gctrace"] = gc_ms / 1000.0 / (window * procs)

    # Pauses.
    pauses: dict[str, Any] = {}
    ph = (metrics.get("histograms") or {}).get("/sched/pauses/total/gc:seconds")
    if ph:
        buckets: list[tuple[float | None, float | None, int]] = [
            (lo, hi, int(c)) for lo, hi, c in ph["buckets"]]
        pauses["metrics"] = {"count": int(ph["count"]),
                             **{k: bucket_quantile(buckets, q) for k, q in QUANTILES}}
    stw = [x / 1000.0 for r in in_win for x in (r["stw1_clock_ms"], r["stw2_clock_ms"])]
    pauses["gctrace"] = {"count": len(stw), **{k: nearest_rank(stw, q) for k, q in QUANTILES}}
    out["pause_quantiles_s"] = pauses

    # Forced cycles: the two-minute timer's ("GC forced") and runtime.GC()'s ("(forced)").
    gaps, gaps_end = [], []
    for r in recs:
        if r["periodic"] and r["index"] > 0:
            prev = by_index[r["index"] - 1]
            gaps.append(r["start_s"] - prev["start_s"])
            gaps_end.append(r["start_s"] - prev["end_s"])
    out["forced_periodic_cycles"] = sum(1 for r in recs if r["periodic"])
    out["forced_gaps_s"] = gaps
    out["forced_gaps_from_end_s"] = gaps_end
    out["runtime_gc_cycles"] = sum(1 for r in recs if r["forced"])

    srv = prog.get("server")
    if srv:
        lat = srv["latency"]
        out["request_count"] = int(lat.get("count", 0))
        out["request_p50_s"] = latency_quantile_ns(lat, 0.5) / 1e9
        out["request_p99_s"] = latency_quantile_ns(lat, 0.99) / 1e9
        out["request_unfinished"] = srv.get("unfinished")
    return out


def median_summary(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the numeric top-level figures of repeated runs (others from the first)."""
    if not summaries:
        return {}
    out = dict(summaries[0])
    for k, v in summaries[0].items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            vals = [s[k] for s in summaries if isinstance(s.get(k), (int, float))]
            out[k] = statistics.median(vals)
    out["repeats"] = len(summaries)
    return out
