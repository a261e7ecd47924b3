"""Terminal rendering of a simulation Result: summary tables and histogram bars (rich).

render_result(result, console) prints:
- the run: simulated time, requests, throughput, OOM if any;
- request latency percentiles and where the time went;
- GC: cycles (automatic / forced), GC CPU by class, pauses, peak heap / RSS, MMU;
- the request-latency and GC-pause histograms as horizontal bars over their non-empty
  buckets (runtime/metrics bucket layout, merged to at most `max_rows` rows).
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from simcore.results import Histogram, Result

MIB = 1 << 20


def fmt_ns(ns: float) -> str:
    """A duration in the unit that reads best: ns, µs, ms or s."""
    if ns < 1_000:
        return f"{ns:.0f} ns"
    if ns < 1_000_000:
        return f"{ns / 1e3:.1f} µs"
    if ns < 1_000_000_000:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e9:.2f} s"


def fmt_bytes(b: float) -> str:
    if b < 1 << 10:
        return f"{b:.0f} B"
    if b < MIB:
        return f"{b / 1024:.1f} KiB"
    if b < 1 << 30:
        return f"{b / MIB:.1f} MiB"
    return f"{b / (1 << 30):.2f} GiB"


def histogram_rows(h: Histogram, max_rows: int = 16) -> list[tuple[float, float, int]]:
    """Non-empty buckets as (lo_s, hi_s, count), merged into at most max_rows rows."""
    b = h.boundaries_seconds
    rows = [(b[i], b[i + 1], c) for i, c in enumerate(h.counts) if c]
    if not rows:
        return []
    lo_i = next(i for i, c in enumerate(h.counts) if c)
    hi_i = max(i for i, c in enumerate(h.counts) if c)
    span = hi_i - lo_i + 1
    if span <= max_rows:
        return [(b[i], b[i + 1], h.counts[i]) for i in range(lo_i, hi_i + 1)]
    per = -(-span // max_rows)
    out = []
    for start in range(lo_i, hi_i + 1, per):
        end = min(start + per, hi_i + 1)
        out.append((b[start], b[end], sum(h.counts[start:end])))
    return out


def _edge(s: float, lo: float) -> str:
    if s == float("-inf"):
        return "-inf"
    if s == float("inf"):
        return "+inf"
    return fmt_ns(s * 1e9) if s else "0"


def histogram_table(title: str, h: Histogram, width: int = 40) -> Table:
    t = Table(title=f"{title}  (n={h.count}, min {fmt_ns(h.min_ns)}, max {fmt_ns(h.max_ns)})",
              title_justify="left", show_edge=False, box=None, pad_edge=False)
    t.add_column("bucket", justify="right", no_wrap=True)
    t.add_column("count", justify="right")
    t.add_column("", no_wrap=True)
    rows = histogram_rows(h)
    top = max((c for _, _, c in rows), default=0)
    for lo, hi, c in rows:
        bar = "█" * max(1 if c else 0, round(width * c / top)) if top else ""
        t.add_row(f"{_edge(lo, lo)} – {_edge(hi, lo)}", str(c), f"[cyan]{bar}[/cyan]")
    return t


# A run whose cycles are this share or more on the stranded-slot regime's edge
# (Summary.stranded_edge_cycles / cycles_total) gets the warning: every memory-limited leak
# of the fidelity tables has 50-92 %, every other memory-limited workload none
# (docs/fidelity.md, "The regime's edge").
STRANDED_EDGE_WARN_SHARE = 0.25


def on_stranded_edge(edge: int, cycles: int) -> bool:
    """Whether a run with this many of its cycles on the regime's edge gets the warning."""
    return cycles > 0 and edge >= STRANDED_EDGE_WARN_SHARE * cycles


def stranded_note(regime: int, edge: int, cycles: int) -> str:
    """The summary's line on the stranded-slot regime (Summary.stranded_regime_cycles,
    .stranded_edge_cycles): how many cycles were in it or on its edge, and, when a quarter
    of them or more were on the edge, a warning that the cycle rate is fragile there."""
    text = (f"{regime} of {cycles} cycles started before the last sweep's stranded slots "
            f"were refilled; {edge} left a margin within 3% of the goal")
    if on_stranded_edge(edge, cycles):
        text += ("\n[yellow]on the regime's edge: measured against Go on such runs, gosim's "
                 "cycle rate was within 8% on one machine and up to 32% low on a faster one "
                 "(docs/fidelity.md, the leak with a limit)[/yellow]")
    return text


def summary_table(r: Result) -> Table:
    s = r.summary
    t = Table(title="gosim result", title_justify="left", show_header=False, box=None)
    t.add_column(style="bold")
    t.add_column()
    t.add_row("simulated", f"{fmt_ns(s.simulated_ns)}  (seed {r.seed}, models {r.go_version})")
    t.add_row("requests", f"{s.requests_completed} completed of {s.requests_arrived} arrived, "
              f"{s.throughput_per_s:,.0f}/s")
    lat = s.latency
    t.add_row("latency", f"p50 {fmt_ns(lat.p50_ns)}  p90 {fmt_ns(lat.p90_ns)}  "
              f"p99 {fmt_ns(lat.p99_ns)}  p99.9 {fmt_ns(lat.p999_ns)}  max {fmt_ns(lat.max_ns)}")
    b = s.breakdown
    tot = b.running_ns + b.runnable_ns + b.assist_ns + b.stw_ns + b.io_ns
    if tot:
        parts = [("running", b.running_ns), ("runnable", b.runnable_ns),
                 ("assist", b.assist_ns), ("STW", b.stw_ns), ("I/O", b.io_ns)]
        t.add_row("time went to", "  ".join(f"{n} {100 * v / tot:.1f}%" for n, v in parts))
    t.add_row("GC cycles", f"{s.cycles_total} ({s.cycles_heap} heap-triggered, "
              f"{s.cycles_forced} forced by the 2-minute timer)")
    c = s.gc_cpu
    tot_cpu = c.total_ns or 1
    t.add_row("GC CPU", f"{100 * s.gc_cpu_fraction:.2f}% of all CPU — "
              f"assist {100 * c.assist_ns / tot_cpu:.2f}%, dedicated "
              f"{100 * c.dedicated_ns / tot_cpu:.2f}%, fractional "
              f"{100 * c.fractional_ns / tot_cpu:.2f}%, pause {100 * c.pause_ns / tot_cpu:.3f}%"
              f" (+ idle marking {100 * c.idle_ns / tot_cpu:.2f}%)")
    p = s.pauses
    t.add_row("GC pauses", f"{p.count} — p50 {fmt_ns(p.p50_ns)}  p99 {fmt_ns(p.p99_ns)}  "
              f"max {fmt_ns(p.max_ns)}")
    t.add_row("peak", f"heap {fmt_bytes(s.peak_heap_alloc_bytes)}, goal "
              f"{fmt_bytes(s.peak_heap_goal_bytes)}, RSS {fmt_bytes(s.peak_rss_bytes)}, "
              f"{s.peak_goroutines} goroutines")
    if s.limiter_enabled_ns:
        t.add_row("CPU limiter", f"on for {fmt_ns(s.limiter_enabled_ns)}")
    if s.stranded_regime_cycles or s.stranded_edge_cycles:
        t.add_row("stranded slots", stranded_note(s.stranded_regime_cycles,
                                                  s.stranded_edge_cycles, s.cycles_total))
    if s.mmu:
        t.add_row("MMU", "  ".join(f"{fmt_ns(w)}: {u:.2f}" for w, u in s.mmu))
    if s.oom is not None:
        o = s.oom
        t.add_row("[red]OOM-killed[/red]", f"at {fmt_ns(o.at_ns)}: RSS {fmt_bytes(o.rss_bytes)}"
                  f" > limit {fmt_bytes(o.limit_bytes)}")
    return t


def render_result(r: Result, console: Console | None = None) -> None:
    con = console or Console()
    con.print(summary_table(r))
    con.print()
    con.print(histogram_table("request latency", r.latency))
    con.print()
    con.print(histogram_table("GC pauses (/sched/pauses/total/gc)", r.pauses))
