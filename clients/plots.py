"""PNG plots of a simulation Result, drawn with matplotlib's Agg renderer (no display).

Figures are built with matplotlib.figure.Figure directly, never through pyplot, so nothing
touches a GUI backend or global state and plotting from several threads is safe.

- plot_heap: the heap sawtooth over time, as statsviz shows it: heap_alloc (allocated
  objects, live plus unswept garbage), the pacer's heapLive, the heap goal, the GC trigger
  and the RSS, from the TimeSeries; every GC cycle shaded from its start (STW #1) to its
  end (STW #2) from the CycleRecords, in one colour for heap-triggered cycles and others
  for the two-minute forced GC and runtime.GC(); an OOM kill as a red line. A lower panel
  shows the GC CPU fraction per sample interval.
- plot_latency: request latency as bars on the runtime/metrics buckets (log x), with the
  p50/p90/p99/p99.9 and max of the Summary marked, and the CDF from the bucket counts.
- plot_pauses: the stop-the-world pause histogram (runtime/metrics buckets, log x) and each
  cycle's two pauses over time.
- plot_mmu: the minimum mutator utilization curve from Summary.mmu (log x).
- write_all_plots: the four of them into a directory.

Durations are labelled in ns/µs/ms/s and sizes in MiB or GiB, whichever reads best.
Histogram underflow and overflow buckets (bounded by ±inf) are not drawn: their count is
given in the legend when non-zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import (
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    MultipleLocator,
    NullFormatter,
)

from simcore.results import CycleRecord, Histogram, Result, TriggerKind

MIB = 1 << 20
GIB = 1 << 30
# Values at or above this are "no trigger/goal" sentinels (MAX_UINT64 and the like).
_SENTINEL = 1 << 62
DPI = 120

# Colours (matplotlib's tab palette).
C_ALLOC = "tab:blue"
C_LIVE = "tab:cyan"
C_GOAL = "tab:green"
C_TRIGGER = "tab:olive"
C_RSS = "tab:purple"
C_GC = "tab:gray"
C_FORCED = "tab:orange"
C_USER_GC = "tab:red"
C_OOM = "red"
C_BARS = "tab:blue"
C_PCT = ("tab:green", "tab:olive", "tab:orange", "tab:red", "black")


def fmt_duration(seconds: float) -> str:
    """A duration for a tick label or legend: "250 ns", "1.5 µs", "12 ms", "2 s"."""
    if seconds <= 0:
        return "0"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale * 0.9995 or unit == "ns":
            v = seconds / scale
            return f"{v:.3g} {unit}"
    raise AssertionError("unreachable")


def _duration_formatter() -> FuncFormatter:
    return FuncFormatter(lambda x, _pos: fmt_duration(x))


def _time_axis(simulated_ns: int) -> tuple[float, str]:
    """(ns per unit, unit) for a time axis spanning simulated_ns."""
    if simulated_ns < 2_000_000_000:
        return 1e6, "ms"
    if simulated_ns < 600_000_000_000:
        return 1e9, "s"
    return 60e9, "min"


def _bytes_axis(max_bytes: float) -> tuple[float, str]:
    return (GIB, "GiB") if max_bytes >= 4 * GIB else (MIB, "MiB")


def _cycle_end_ns(c: CycleRecord) -> int:
    return c.start_ns + c.stw_sweep_term_clock_ns + c.mark_clock_ns + c.stw_mark_term_clock_ns


def _cycle_colour(c: CycleRecord) -> str:
    if c.kind is TriggerKind.TIME:
        return C_FORCED
    if c.kind is TriggerKind.CYCLE:
        return C_USER_GC
    return C_GC


def _shade_cycles(ax: Axes, cycles: Sequence[CycleRecord], ns_per_unit: float,
                  alpha: float = 0.25) -> None:
    """Shade each cycle [start, end) over the full height of ax, coloured by trigger."""
    if not cycles:
        return
    verts = []
    colours = []
    for c in cycles:
        x0 = c.start_ns / ns_per_unit
        x1 = _cycle_end_ns(c) / ns_per_unit
        verts.append([(x0, 0.0), (x0, 1.0), (x1, 1.0), (x1, 0.0)])
        colours.append(_cycle_colour(c))
    # Faces are translucent; edges more opaque, so that cycles far shorter than a pixel
    # (a few ms in a minutes-long run) still show as thin lines.
    coll = PolyCollection(verts, facecolors=[to_rgba(c, alpha) for c in colours],
                          edgecolors=[to_rgba(c, min(1.0, alpha * 2.4)) for c in colours],
                          linewidths=0.6, transform=ax.get_xaxis_transform(), zorder=0)
    ax.add_collection(coll, autolim=False)


def _cycle_legend(cycles: Sequence[CycleRecord]) -> list[Patch]:
    kinds = {c.kind for c in cycles}
    handles = []
    if TriggerKind.HEAP in kinds:
        handles.append(Patch(color=C_GC, alpha=0.4, label="GC cycle"))
    if TriggerKind.TIME in kinds:
        handles.append(Patch(color=C_FORCED, alpha=0.4, label="GC cycle (2-min forced)"))
    if TriggerKind.CYCLE in kinds:
        handles.append(Patch(color=C_USER_GC, alpha=0.4, label="GC cycle (runtime.GC)"))
    return handles


def _masked(values: Sequence[int], scale: float) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    a[a >= _SENTINEL] = np.nan
    return a / scale


def _subtitle(result: Result) -> str:
    s = result.summary
    procs = result.cycles[-1].gomaxprocs if result.cycles else (
        s.gc_cpu.total_ns // s.simulated_ns if s.simulated_ns else 0)
    return (f"gosim {result.gosim_version} ({result.go_version} runtime), GOMAXPROCS={procs}, "
            f"{s.simulated_ns / 1e9:.3g} s simulated, seed {result.seed}")


def _empty(ax: Axes, message: str) -> None:
    """Mark a panel that has nothing to show."""
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center",
            fontsize=11, color="dimgray")
    ax.set_xticks([])
    ax.set_yticks([])


def _save(fig: Figure, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, format="png", dpi=DPI)
    return p


# --- heap ---------------------------------------------------------------------------------


def plot_heap(result: Result, path: str | Path) -> Path:
    """The heap sawtooth over time with goal, trigger, RSS and GC cycles; returns path."""
    ts = result.series
    s = result.summary
    ns_per_unit, tunit = _time_axis(max(s.simulated_ns, ts.t_ns[-1] if ts.t_ns else 0))
    t = np.asarray(ts.t_ns, dtype=float) / ns_per_unit
    top = max([s.peak_rss_bytes, s.peak_heap_goal_bytes, s.peak_heap_alloc_bytes,
               *(v for v in ts.rss_bytes if v < _SENTINEL)], default=0)
    bscale, bunit = _bytes_axis(top)

    fig = Figure(figsize=(11, 6.5), layout="constrained")
    ax, ax_cpu = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    _shade_cycles(ax, result.cycles, ns_per_unit)
    _shade_cycles(ax_cpu, result.cycles, ns_per_unit)
    if len(t):
        ax.plot(t, _masked(ts.rss_bytes, bscale), color=C_RSS, lw=1.2, label="RSS")
        ax.plot(t, _masked(ts.heap_goal_bytes, bscale), color=C_GOAL, lw=1.4, ls="--",
                drawstyle="steps-post", label="heap goal")
        ax.plot(t, _masked(ts.trigger_bytes, bscale), color=C_TRIGGER, lw=1.2, ls=":",
                drawstyle="steps-post", label="GC trigger")
        ax.plot(t, _masked(ts.heap_alloc_bytes, bscale), color=C_ALLOC, lw=1.8,
                label="heap_alloc (live + unswept)")
        ax.plot(t, _masked(ts.heap_live_bytes, bscale), color=C_LIVE, lw=0.9,
                label="heapLive (pacer)")
        ax_cpu.fill_between(t, np.asarray(ts.gc_cpu_fraction, dtype=float) * 100.0,
                            step="pre", color=C_USER_GC, alpha=0.35, lw=0)
        ax_cpu.plot(t, np.asarray(ts.gc_cpu_fraction, dtype=float) * 100.0,
                    drawstyle="steps-pre", color=C_USER_GC, lw=1.0)
    else:
        _empty(ax, "no samples")
    handles, _labels = ax.get_legend_handles_labels()
    handles += _cycle_legend(result.cycles)
    end = max(s.simulated_ns, ts.t_ns[-1] if ts.t_ns else 0) / ns_per_unit
    if s.oom is not None:
        x = s.oom.at_ns / ns_per_unit
        for a in (ax, ax_cpu):
            a.axvline(x, color=C_OOM, lw=2)
        ax.axhline(s.oom.limit_bytes / bscale, color=C_OOM, lw=1.2, ls="-.")
        top = max(top, s.oom.limit_bytes, s.oom.rss_bytes)
        end = max(end, x) * 1.02  # keep the kill line off the frame
        handles.append(Line2D([], [], color=C_OOM, lw=2,
                              label=f"OOM kill ({s.oom.rss_bytes / bscale:.0f} {bunit} RSS)"))
        handles.append(Line2D([], [], color=C_OOM, lw=1.2, ls="-.",
                              label=f"container limit ({s.oom.limit_bytes / bscale:.0f} "
                                    f"{bunit})"))
    # Below the figure (constrained layout makes room), so it never hides the data.
    fig.legend(handles=handles, loc="outside lower center", fontsize=8,
               ncol=min(len(handles), 5), frameon=False)
    ax.set_ylim(bottom=0, top=top / bscale * 1.08 if top else 1)
    ax.set_ylabel(f"memory ({bunit})")
    ax.yaxis.set_major_locator(MaxNLocator(nbins=8))
    ax.grid(alpha=0.3)
    fig.suptitle(f"Heap over time — {len(result.cycles)} GC cycles, peak RSS "
                 f"{s.peak_rss_bytes / bscale:.1f} {bunit}\n{_subtitle(result)}",
                 fontsize=11)
    ax_cpu.set_ylabel("GC CPU (%)")
    peak_cpu = max(ts.gc_cpu_fraction, default=0.0) * 100.0
    ax_cpu.set_ylim(0, min(100.0, max(5.0, peak_cpu * 1.25)))
    ax_cpu.yaxis.set_major_locator(MaxNLocator(nbins=4))
    ax_cpu.grid(alpha=0.3)
    ax_cpu.set_xlabel(f"simulated time ({tunit})")
    ax_cpu.set_xlim(0, end if end > 0 else 1)
    return _save(fig, path)


# --- histograms ----------------------------------------------------------------------------


def _finite_buckets(h: Histogram) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """(lo, hi, counts) of the non-empty range of finite buckets, and the under/overflow."""
    b = h.boundaries_seconds
    lo, hi, cnt = [], [], []
    under = over = 0
    for i, c in enumerate(h.counts):
        a, z = b[i], b[i + 1]
        if math.isinf(a):
            under += c
            continue
        if math.isinf(z):
            over += c
            continue
        lo.append(a)
        hi.append(z)
        cnt.append(c)
    counts = np.asarray(cnt, dtype=float)
    nz = np.nonzero(counts)[0]
    if len(nz) == 0:
        e = np.asarray([], dtype=float)
        return e, e, e, under, over
    i0, i1 = int(nz[0]), int(nz[-1]) + 1
    return (np.asarray(lo[i0:i1]), np.asarray(hi[i0:i1]), counts[i0:i1], under, over)


def _overflow(h: Histogram) -> int:
    """Samples in a last bucket bounded by +inf."""
    b = h.boundaries_seconds
    return h.counts[-1] if h.counts and math.isinf(b[-1]) else 0


_SUBS_CHOICES: tuple[tuple[float, ...], ...] = (
    (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0),
    (1.0, 2.0, 3.0, 5.0),
    (1.0, 2.0, 5.0),
    (1.0, 3.0),
    (1.0,),
)


def _log_subs(lo: float, hi: float, max_ticks: int = 9) -> tuple[float, ...]:
    """The densest set of 1-2-5-style log tick multiples giving at most max_ticks in range."""
    if not (lo > 0 and hi > lo):
        return (1.0,)
    for subs in _SUBS_CHOICES:
        n = sum(1 for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
                for m in subs if lo <= m * 10.0**e <= hi)
        if n <= max_ticks:
            return subs
    return (1.0,)


def _log_duration_axis(ax: Axes, lo: float, hi: float, axis: str = "x") -> None:
    """A log-scale duration axis over [lo, hi] seconds, with enough labelled ticks."""
    subs = _log_subs(lo, hi)
    target: Axis
    if axis == "x":
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        target = ax.xaxis
    else:
        ax.set_yscale("log")
        ax.set_ylim(lo, hi)
        target = ax.yaxis
    target.set_major_locator(LogLocator(base=10, subs=subs, numticks=40))
    target.set_major_formatter(_duration_formatter())
    target.set_minor_locator(LogLocator(base=10, subs=tuple(range(1, 10)), numticks=40))
    target.set_minor_formatter(NullFormatter())


def _histogram_bars(ax: Axes, h: Histogram, what: str
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bars of h on log-x; returns (lo edges, hi edges, counts) of the drawn range."""
    lo, hi, counts, under, over = _finite_buckets(h)
    if len(counts) == 0:
        _empty(ax, f"no {what}")
        return lo, hi, counts
    # The first regular bucket starts at 0, which a log axis cannot show: start it at half
    # its upper edge.
    lo = np.where(lo > 0, lo, hi / 2)
    ax.bar(lo, counts, width=hi - lo, align="edge", color=C_BARS, edgecolor="white",
           linewidth=0.3, label=f"{what} per bucket (n={h.count:,})")
    _log_duration_axis(ax, float(lo[0]) / 1.5, float(hi[-1]) * 1.5)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.grid(alpha=0.3, which="major")
    extra = []
    if under:
        extra.append(f"{under} below 0")
    if over:
        extra.append(f"{over} beyond the last bucket")
    if extra:
        ax.plot([], [], " ", label=", ".join(extra))
    return lo, hi, counts


def _mark_percentiles(ax: Axes, marks: Sequence[tuple[str, float]]) -> None:
    for (name, sec), colour in zip(marks, C_PCT, strict=False):
        if sec > 0:
            ax.axvline(sec, color=colour, lw=1.2, ls="--", label=f"{name} {fmt_duration(sec)}")


def plot_latency(result: Result, path: str | Path) -> Path:
    """Request latency: histogram on the runtime/metrics buckets and CDF; returns path."""
    h = result.latency
    p = result.summary.latency
    marks = [("p50", p.p50_ns / 1e9), ("p90", p.p90_ns / 1e9), ("p99", p.p99_ns / 1e9),
             ("p99.9", p.p999_ns / 1e9), ("max", p.max_ns / 1e9)]
    fig = Figure(figsize=(12, 5), layout="constrained")
    ax, ax_cdf = fig.subplots(1, 2)
    lo, hi, counts = _histogram_bars(ax, h, "requests")
    if len(counts):
        _mark_percentiles(ax, marks)
        ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    ax.set_title("Request latency histogram (runtime/metrics buckets)", fontsize=10)
    ax.set_xlabel("latency (log scale)")
    ax.set_ylabel("requests per bucket")

    if len(counts):
        # Share of all requests (under/overflow included) at or below each upper edge.
        cdf = (np.cumsum(counts) + (h.count - counts.sum() - _overflow(h))) / h.count
        ax_cdf.step(np.concatenate(([lo[0]], hi)), np.concatenate(([0.0], cdf)) * 100,
                    where="post", color=C_BARS, lw=1.6, label="CDF (at bucket upper edges)")
        _mark_percentiles(ax_cdf, marks)
        _log_duration_axis(ax_cdf, float(lo[0]) / 1.5, float(hi[-1]) * 1.5)
        ax_cdf.set_ylim(0, 102)
        ax_cdf.yaxis.set_major_locator(MultipleLocator(10))
        ax_cdf.grid(alpha=0.3)
        ax_cdf.legend(loc="lower right", fontsize=8, framealpha=0.9)
    else:
        _empty(ax_cdf, "no requests")
    ax_cdf.set_title("Request latency CDF", fontsize=10)
    ax_cdf.set_xlabel("latency (log scale)")
    ax_cdf.set_ylabel("requests at or below (%)")
    fig.suptitle(f"Request latency — {p.count:,} requests, mean {fmt_duration(p.mean_ns / 1e9)}"
                 f", {result.summary.throughput_per_s:,.0f} req/s\n{_subtitle(result)}",
                 fontsize=11)
    return _save(fig, path)


def plot_pauses(result: Result, path: str | Path) -> Path:
    """GC stop-the-world pauses: histogram and per-cycle pauses over time; returns path."""
    h = result.pauses
    p = result.summary.pauses
    fig = Figure(figsize=(12, 5), layout="constrained")
    ax, ax_t = fig.subplots(1, 2)
    _lo, _hi, counts = _histogram_bars(ax, h, "pauses")
    if len(counts):
        _mark_percentiles(ax, [("p50", p.p50_ns / 1e9), ("p99", p.p99_ns / 1e9),
                               ("max", p.max_ns / 1e9)])
        ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    ax.set_title("GC pause histogram (/sched/pauses/total/gc:seconds)", fontsize=10)
    ax.set_xlabel("pause (log scale)")
    ax.set_ylabel("pauses per bucket")

    cycles = result.cycles
    if cycles:
        ns_per_unit, tunit = _time_axis(result.summary.simulated_ns)
        t = np.asarray([c.start_ns for c in cycles], dtype=float) / ns_per_unit
        stw1 = np.asarray([c.stw_sweep_term_clock_ns for c in cycles], dtype=float) / 1e9
        stw2 = np.asarray([c.stw_mark_term_clock_ns for c in cycles], dtype=float) / 1e9
        style = {"s": 14, "alpha": 0.8, "linewidths": 0}
        ax_t.scatter(t, stw1, color="tab:blue", marker="o", label="STW sweep termination",
                     **style)
        ax_t.scatter(t, stw2, color="tab:red", marker="^", label="STW mark termination",
                     **style)
        lo = float(min(stw1.min(), stw2.min()))
        hi = float(max(stw1.max(), stw2.max()))
        lo = lo if lo > 0 else 1e-7
        _log_duration_axis(ax_t, lo / 2, max(hi, lo) * 2, axis="y")
        ax_t.set_xlim(0, result.summary.simulated_ns / ns_per_unit)
        ax_t.set_xlabel(f"cycle start, simulated time ({tunit})")
        ax_t.grid(alpha=0.3)
        ax_t.legend(loc="upper left", fontsize=8, framealpha=0.9)
    else:
        _empty(ax_t, "no GC cycles")
    ax_t.set_title("Pauses of each GC cycle", fontsize=10)
    ax_t.set_ylabel("pause (log scale)")
    total = h.sum_ns / 1e9
    fig.suptitle(f"GC pauses — {h.count:,} pauses in {len(cycles):,} cycles, total "
                 f"{fmt_duration(total)}, max {fmt_duration(h.max_ns / 1e9)}\n"
                 f"{_subtitle(result)}", fontsize=11)
    return _save(fig, path)


def plot_mmu(result: Result, path: str | Path) -> Path:
    """The minimum mutator utilization curve (log-x window); returns path."""
    mmu = result.summary.mmu
    fig = Figure(figsize=(9, 5.5), layout="constrained")
    ax = fig.subplots()
    if mmu:
        w = np.asarray([m[0] for m in mmu], dtype=float) / 1e9
        u = np.asarray([m[1] for m in mmu], dtype=float) * 100
        ax.plot(w, u, color="tab:blue", lw=1.8, marker="o", ms=5, label="MMU")
        for x, y in zip(w, u, strict=True):
            ax.annotate(f"{y:.1f}%", (x, y), textcoords="offset points", xytext=(0, 7),
                        ha="center", fontsize=7, color="tab:blue")
        _log_duration_axis(ax, float(w[0]) / 1.5, float(w[-1]) * 1.5)
        ax.legend(loc="lower right", fontsize=9)
        ax.set_ylim(0, 105)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=11))
        ax.grid(alpha=0.3, which="both")
    else:
        _empty(ax, "no MMU data")
    ax.set_xlabel("window (log scale)")
    ax.set_ylabel("minimum mutator utilization (%)")
    ax.set_title(f"Minimum mutator utilization — the least CPU share left to the program in "
                 f"any window of a given length\n{_subtitle(result)}", fontsize=11)
    return _save(fig, path)


def write_all_plots(result: Result, out_dir: str | Path) -> list[Path]:
    """heap.png, latency.png, pauses.png and mmu.png in out_dir (created if needed)."""
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    return [plot_heap(result, d / "heap.png"), plot_latency(result, d / "latency.png"),
            plot_pauses(result, d / "pauses.png"), plot_mmu(result, d / "mmu.png")]
