"""Prometheus and OpenMetrics exposition of a simulation Result, with the Go collector's names.

The text is what a scrape of the simulated program would return at the end of the run, so a
Result drops into dashboards built for client_golang's Go collector. It is produced by
prometheus_client's own exposition code: ResultCollector yields metric families, a private
CollectorRegistry holds it, and prometheus_client.exposition.generate_latest (Prometheus
text 0.0.4) or prometheus_client.openmetrics.exposition.generate_latest (OpenMetrics 1.0)
writes them. Nothing here formats exposition text by hand. No sample carries a timestamp.

Names. runtime/metrics names are translated as client_golang's RuntimeMetricsToProm does
(prometheus/internal/go_runtime_metrics.go): "go_" + the path without its last element
("/" and "-" become "_") + "_" + the last element ("-" becomes "_") + "_" + the unit
("-" becomes "_", "*" becomes "_", "/" becomes "_per_"), plus "_total" for cumulative
metrics that are not histograms. So /cpu/classes/gc/mark/assist:cpu-seconds is
go_cpu_classes_gc_mark_assist_cpu_seconds_total, /gc/cycles/automatic:gc-cycles is
go_gc_cycles_automatic_gc_cycles_total and /sched/latencies:seconds is
go_sched_latencies_seconds. The MemStats-based families keep their go_memstats_* names.

Histograms. Result histograms use the runtime/metrics layout: boundaries with -Inf and
+Inf at the ends, buckets closed below ([lo, hi)). As client_golang's batchHistogram does,
the -Inf boundary is dropped and the underflow bucket is merged into the first regular one;
every bucket is then exposed with its upper boundary as "le", cumulative counts, and the
last one as le="+Inf" (== _count). Unlike client_golang, the full runtime/metrics
resolution is kept (no re-bucketing to powers of 10 or 2), and le is the runtime/metrics
edge itself where client_golang writes math.Nextafter(edge, lower) to make the exclusive
bound inclusive; the two differ in the last bit of the float only. _sum is the exact sum
the simulator keeps (client_golang has to estimate it from bucket lower bounds for the
pause histogram).

go_gc_duration_seconds is a summary with quantiles 0, 0.25, 0.5, 0.75 and 1, as
client_golang derives it from debug.ReadGCStats: one observation per completed GC cycle,
that cycle's total stop-the-world time (both pauses, stopping included, as Go's
work.pauseNS), quantile i of 4 being sorted[n*i/4] of the last 256 cycles (the length of
MemStats.PauseNs) and the maximum for 1; _count is NumGC and _sum PauseTotalNs over all
cycles. It is computed exactly from the CycleRecords rather than estimated from the pause
histogram (which has two samples per cycle, bucketed); its _sum equals the pause
histogram's sum.

Gauges are the state at the end of the run, from the last TimeSeries sample
(go_goroutines, go_memstats_heap_alloc_bytes, go_memstats_heap_inuse_bytes,
go_memstats_next_gc_bytes, go_gc_heap_goal_bytes, process_resident_memory_bytes) or from
the last cycle (go_gc_heap_live_bytes is /gc/heap/live: the bytes marked by the last
cycle, 0 before the first). go_memstats_sys_bytes is the peak RSS: Go's Sys counts address
space obtained from the OS and does not go down when the scavenger returns pages, and the
peak RSS is the closest figure the model has.

Cycle counts follow runtime/metrics, not Summary's naming: /gc/cycles/forced counts cycles
forced by the application (runtime.GC(), TriggerKind.CYCLE) and /gc/cycles/automatic all
the others, including the two-minute forced GC (TriggerKind.TIME), which Summary calls
"forced".

CPU classes are GCCPU's figures as they are: /cpu/classes/gc/mark/dedicated includes the
fractional worker's time and /cpu/classes/gc/total includes idle marking and pauses, as
in the runtime (mstats.go cpuStats.accumulate). Go derives /cpu/classes/user as the
remainder of the total; here it is the simulator's own user time.

OpenMetrics has one family per name without its _total suffix, so there the gauge
go_memstats_alloc_bytes (the same value as go_memstats_heap_alloc_bytes) is left out: it
would collide with the counter go_memstats_alloc_bytes_total.

gosim's own families: gosim_request_latency_seconds (requests that arrived after warm-up,
arrival to completion), gosim_requests_total (completed) and gosim_requests_arrived_total,
gosim_oom_killed (1 if the container's limit killed the run), gosim_mmu_ratio per window,
peaks, the simulated duration and gosim_info.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

from prometheus_client.exposition import generate_latest as _prometheus_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.openmetrics.exposition import (
    generate_latest as _openmetrics_latest_untyped,
)
from prometheus_client.registry import CollectorRegistry
from prometheus_client.utils import floatToGoString as _float_to_go_string

from simcore.results import Histogram, Result, TriggerKind

# prometheus_client's own formatting of le label values, and its OpenMetrics exposition
# (both untyped in the library).
float_to_go_string: Callable[[float], str] = _float_to_go_string
_openmetrics_latest: Callable[[CollectorRegistry], bytes] = _openmetrics_latest_untyped

NS_PER_S = 1e9
# len(MemStats.PauseNs): debug.ReadGCStats' quantiles cover at most the last 256 pauses.
PAUSE_HISTORY = 256
# client_golang's go_gc_duration_seconds quantiles (debug.GCStats.PauseQuantiles of len 5).
GC_DURATION_QUANTILES = ("0", "0.25", "0.5", "0.75", "1")


def _seconds(ns: float) -> float:
    return ns / NS_PER_S


def histogram_buckets(h: Histogram) -> list[tuple[str, float]]:
    """(le, cumulative count) pairs of a runtime/metrics histogram, ending with "+Inf".

    The -Inf boundary is dropped and the underflow bucket merged into the next one, as
    client_golang does; each remaining bucket [lo, hi) is exposed as le=hi.
    """
    bounds = list(h.boundaries_seconds)
    counts = list(h.counts)
    if len(counts) >= 2 and bounds[0] == -math.inf:
        counts = [counts[0] + counts[1], *counts[2:]]
        bounds = bounds[1:]
    out: list[tuple[str, float]] = []
    total = 0
    for count, hi in zip(counts, bounds[1:], strict=True):
        total += count
        out.append((float_to_go_string(hi), float(total)))
    if not out or out[-1][0] != "+Inf":
        out.append(("+Inf", float(total)))
    return out


def _histogram(name: str, doc: str, h: Histogram) -> HistogramMetricFamily:
    return HistogramMetricFamily(name, doc, buckets=histogram_buckets(h),
                                 sum_value=_seconds(h.sum_ns), unit="seconds")


def cycle_pauses_ns(result: Result) -> list[int]:
    """Each completed cycle's stop-the-world time (both pauses), as Go's work.pauseNS."""
    return [c.stw_sweep_term_clock_ns + c.stw_mark_term_clock_ns for c in result.cycles]


def gc_duration_quantiles(pauses_ns: Sequence[int]) -> list[float]:
    """debug.ReadGCStats' PauseQuantiles (len 5) in seconds, over the last 256 pauses."""
    recent = sorted(pauses_ns[-PAUSE_HISTORY:])
    n = len(recent)
    if n == 0:
        return [0.0] * len(GC_DURATION_QUANTILES)
    nq = len(GC_DURATION_QUANTILES) - 1
    return [_seconds(recent[n * i // nq]) for i in range(nq)] + [_seconds(recent[-1])]


def _gc_duration(result: Result) -> Metric:
    pauses = cycle_pauses_ns(result)
    m = Metric("go_gc_duration_seconds",
               "A summary of the wall-time pause (stop-the-world) duration in garbage "
               "collection cycles.", "summary", unit="seconds")
    for q, v in zip(GC_DURATION_QUANTILES, gc_duration_quantiles(pauses), strict=True):
        m.add_sample("go_gc_duration_seconds", {"quantile": q}, v)
    m.add_sample("go_gc_duration_seconds_count", {}, float(len(pauses)))
    m.add_sample("go_gc_duration_seconds_sum", {}, _seconds(sum(pauses)))
    return m


def _gauge(name: str, doc: str, value: float, unit: str = "") -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=float(value), unit=unit)


def _counter(name: str, doc: str, value: float, unit: str = "") -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=float(value), unit=unit)


def _last(values: Sequence[int], default: int = 0) -> int:
    return values[-1] if values else default


def gomaxprocs(result: Result) -> int:
    """GOMAXPROCS of the run (from the cycle records, else total CPU over time)."""
    if result.cycles:
        return result.cycles[-1].gomaxprocs
    s = result.summary
    return s.gc_cpu.total_ns // s.simulated_ns if s.simulated_ns else 0


class ResultCollector:
    """A prometheus_client collector exposing one Result (see the module docstring)."""

    def __init__(self, result: Result, openmetrics: bool = False) -> None:
        self.result = result
        self.openmetrics = openmetrics

    def collect(self) -> Iterator[Metric]:
        yield from self._go_collector()
        yield from self._cpu_classes()
        yield from self._gc_metrics()
        yield from self._gosim()

    def _go_collector(self) -> Iterator[Metric]:
        """The families of client_golang's default Go collector (MemStats-based)."""
        r = self.result
        s, ts = r.summary, r.series
        yield _gc_duration(r)
        yield _gauge("go_goroutines", "Number of goroutines that currently exist.",
                     _last(ts.goroutines))
        info = GaugeMetricFamily("go_info", "Information about the Go environment.",
                                 labels=["version"])
        info.add_metric([r.go_version], 1.0)
        yield info
        heap_alloc = _last(ts.heap_alloc_bytes)
        if not self.openmetrics:
            # In OpenMetrics the counter below is the family go_memstats_alloc_bytes too.
            yield _gauge("go_memstats_alloc_bytes",
                         "Number of bytes allocated in heap and currently in use. Equals to "
                         "/memory/classes/heap/objects:bytes.", heap_alloc)
        yield _counter("go_memstats_alloc_bytes_total",
                       "Total number of bytes allocated in heap until now, even if released "
                       "already. Equals to /gc/heap/allocs:bytes.", s.bytes_allocated)
        yield _gauge("go_memstats_heap_alloc_bytes",
                     "Number of heap bytes allocated and currently in use, same as "
                     "go_memstats_alloc_bytes. Equals to /memory/classes/heap/objects:bytes.",
                     heap_alloc)
        yield _gauge("go_memstats_heap_inuse_bytes",
                     "Number of heap bytes that are in use. Equals to "
                     "/memory/classes/heap/objects:bytes + "
                     "/memory/classes/heap/unused:bytes.", _last(ts.heap_in_use_bytes))
        yield _counter("go_memstats_mallocs_total",
                       "Total number of heap objects allocated, both live and gc-ed. "
                       "Semantically a counter version for go_memstats_heap_objects gauge. "
                       "Equals to /gc/heap/allocs:objects + /gc/heap/tiny/allocs:objects.",
                       s.objects_allocated)
        yield _gauge("go_memstats_next_gc_bytes",
                     "Number of heap bytes when next garbage collection will take place. "
                     "Equals to /gc/heap/goal:bytes.", _last(ts.heap_goal_bytes))
        yield _gauge("go_memstats_sys_bytes",
                     "Number of bytes obtained from system. gosim: the peak RSS of the run.",
                     s.peak_rss_bytes)
        yield _gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                     _last(ts.rss_bytes), unit="bytes")

    def _cpu_classes(self) -> Iterator[Metric]:
        """/cpu/classes/...:cpu-seconds, cumulative CPU time by class."""
        g = self.result.summary.gc_cpu
        gc_total = g.gc_total_ns() + g.idle_ns
        classes = (
            ("gc_mark_assist", "gc/mark/assist", g.assist_ns,
             "Estimated total CPU time goroutines spent performing GC tasks to assist the "
             "GC and prevent it from falling behind the application."),
            ("gc_mark_dedicated", "gc/mark/dedicated", g.dedicated_ns + g.fractional_ns,
             "Estimated total CPU time spent performing GC tasks on processors (as defined "
             "by GOMAXPROCS) dedicated to those tasks (fractional workers included)."),
            ("gc_mark_idle", "gc/mark/idle", g.idle_ns,
             "Estimated total CPU time spent performing GC tasks on spare CPU resources "
             "that the Go scheduler could not otherwise find a use for."),
            ("gc_pause", "gc/pause", g.pause_ns,
             "Estimated total CPU time spent with the application paused by the GC, "
             "as the pause times multiplied by GOMAXPROCS."),
            ("gc_total", "gc/total", gc_total,
             "Estimated total CPU time spent performing GC tasks. Sum of all metrics in "
             "/cpu/classes/gc."),
            ("idle", "idle", g.idle_p_ns,
             "Estimated total available CPU time not spent executing any Go or Go runtime "
             "code."),
            ("scavenge_total", "scavenge/total", g.scavenge_ns,
             "Estimated total CPU time spent performing tasks that return unused memory to "
             "the underlying platform."),
            ("total", "total", g.total_ns,
             "Estimated total available CPU time for user Go code or the Go runtime, as "
             "defined by GOMAXPROCS."),
            ("user", "user", g.user_ns,
             "Estimated total CPU time spent running user Go code."),
        )
        for key, path, ns, doc in classes:
            yield _counter(f"go_cpu_classes_{key}_cpu_seconds_total",
                           f"{doc} Sourced from /cpu/classes/{path}:cpu-seconds.", _seconds(ns),
                           unit="seconds")

    def _gc_metrics(self) -> Iterator[Metric]:
        """runtime/metrics' /gc/... and /sched/... families."""
        r = self.result
        s, ts = r.summary, r.series
        total = len(r.cycles)
        forced = sum(1 for c in r.cycles if c.kind is TriggerKind.CYCLE)
        yield _counter("go_gc_cycles_automatic_gc_cycles_total",
                       "Count of completed GC cycles generated by the Go runtime. Sourced "
                       "from /gc/cycles/automatic:gc-cycles.", total - forced)
        yield _counter("go_gc_cycles_forced_gc_cycles_total",
                       "Count of completed GC cycles forced by the application. Sourced from "
                       "/gc/cycles/forced:gc-cycles.", forced)
        yield _counter("go_gc_cycles_total_gc_cycles_total",
                       "Count of all completed GC cycles. Sourced from "
                       "/gc/cycles/total:gc-cycles.", total)
        yield _gauge("go_gc_heap_goal_bytes",
                     "Heap size target for the end of the GC cycle. Sourced from "
                     "/gc/heap/goal:bytes.", _last(ts.heap_goal_bytes), unit="bytes")
        live = r.cycles[-1].heap_marked_bytes if r.cycles else 0
        yield _gauge("go_gc_heap_live_bytes",
                     "Heap memory occupied by live objects that were marked by the previous "
                     "GC. Sourced from /gc/heap/live:bytes.", live, unit="bytes")
        yield _counter("go_gc_heap_allocs_bytes_total",
                       "Cumulative sum of memory allocated to the heap by the application. "
                       "Sourced from /gc/heap/allocs:bytes.", s.bytes_allocated, unit="bytes")
        yield _counter("go_gc_heap_frees_bytes_total",
                       "Cumulative sum of heap memory freed by the garbage collector. Sourced "
                       "from /gc/heap/frees:bytes.", s.bytes_freed, unit="bytes")
        yield _counter("go_gc_heap_allocs_objects_total",
                       "Cumulative count of heap allocations triggered by the application. "
                       "Sourced from /gc/heap/allocs:objects.", s.objects_allocated)
        if r.cycles:
            last = r.cycles[-1]
            yield _gauge("go_gc_scan_stack_bytes",
                         "The number of bytes of stack that were scanned last GC cycle. "
                         "Sourced from /gc/scan/stack:bytes.", last.stacks_bytes,
                         unit="bytes")
            yield _gauge("go_gc_scan_globals_bytes",
                         "The total amount of global variable space that is scannable. "
                         "Sourced from /gc/scan/globals:bytes.", last.globals_bytes,
                         unit="bytes")
        enabled = [c.n for c in r.cycles if c.limiter_enabled]
        yield _gauge("go_gc_limiter_last_enabled_gc_cycle",
                     "GC cycle the last time the GC CPU limiter was enabled. Sourced from "
                     "/gc/limiter/last-enabled:gc-cycle.", enabled[-1] if enabled else 0)
        pauses_doc = ("Distribution of individual GC-related stop-the-world pause latencies. "
                      "Bucketed counts. Sourced from {}.")
        yield _histogram("go_gc_pauses_seconds", pauses_doc.format("/gc/pauses:seconds"),
                         r.pauses)
        yield _histogram("go_sched_pauses_total_gc_seconds",
                         pauses_doc.format("/sched/pauses/total/gc:seconds"), r.pauses)
        yield _histogram("go_sched_latencies_seconds",
                         "Distribution of the time goroutines have spent in the scheduler in "
                         "a runnable state before actually running. Bucketed counts. Sourced "
                         "from /sched/latencies:seconds.", r.sched_latency)
        yield _gauge("go_sched_goroutines_goroutines",
                     "Count of live goroutines. Sourced from /sched/goroutines:goroutines.",
                     _last(ts.goroutines))
        yield _gauge("go_sched_gomaxprocs_threads",
                     "The current runtime.GOMAXPROCS setting. Sourced from "
                     "/sched/gomaxprocs:threads.", gomaxprocs(r))

    def _gosim(self) -> Iterator[Metric]:
        """OpenMetrics has one family per name without its _total suffix, so there the gauge
go_memstats_alloc_bytes (the same value as go_memstats_heap_alloc_bytes) is left out: it
would collide with the counter go_memstats_alloc_bytes_total.

gosim's own families: requests, OOM, MMU, peaks, the run itself."""
        r = self.result
        s = r.summary
        yield _histogram("gosim_request_latency_seconds",
                         "Request latency from arrival to completion (requests that arrived "
                         "after warm-up), in the runtime/metrics bucket layout.", r.latency)
        yield _counter("gosim_requests_total", "Requests completed.", s.requests_completed)
        yield _counter("gosim_requests_arrived_total", "Requests arrived.", s.requests_arrived)
        yield _gauge("gosim_oom_killed",
                     "1 if the run ended in an OOM kill (RSS above the container's memory "
                     "limit), else 0.", 1 if s.oom is not None else 0)
        if s.oom is not None:
            yield _gauge("gosim_oom_killed_at_seconds",
                         "Simulated time of the OOM kill.", _seconds(s.oom.at_ns),
                         unit="seconds")
        mmu = GaugeMetricFamily("gosim_mmu_ratio",
                                "Minimum mutator utilization over any window of the given "
                                "length in seconds.", labels=["window_seconds"], unit="ratio")
        for window_ns, value in s.mmu:
            mmu.add_metric([float_to_go_string(_seconds(window_ns))], value)
        yield mmu
        yield _counter("gosim_gc_limiter_enabled_seconds_total",
                       "Simulated time the GC CPU limiter was on.",
                       _seconds(s.limiter_enabled_ns), unit="seconds")
        yield _counter("gosim_gc_stranded_regime_cycles_total",
                       "Heap-triggered cycles that started, under a binding memory-limit goal, "
                       "before the last sweep's stranded slots were refilled.",
                       s.stranded_regime_cycles)
        yield _counter("gosim_gc_stranded_edge_cycles_total",
                       "Cycles whose sweep left a stranded-slot margin within 3% of the goal.",
                       s.stranded_edge_cycles)
        yield _gauge("gosim_peak_heap_alloc_bytes", "Peak of heap_alloc over the run.",
                     s.peak_heap_alloc_bytes, unit="bytes")
        yield _gauge("gosim_peak_heap_goal_bytes", "Peak of the heap goal over the run.",
                     s.peak_heap_goal_bytes, unit="bytes")
        yield _gauge("gosim_peak_rss_bytes", "Peak RSS over the run.", s.peak_rss_bytes,
                     unit="bytes")
        yield _gauge("gosim_peak_goroutines", "Peak number of goroutines over the run.",
                     s.peak_goroutines)
        yield _gauge("gosim_simulated_seconds", "Simulated duration of the run.",
                     _seconds(s.simulated_ns), unit="seconds")
        info = GaugeMetricFamily("gosim_info", "The simulator, the Go release it models and "
                                 "the run's seed.", labels=["gosim_version", "go_version",
                                                            "seed"])
        info.add_metric([r.gosim_version, r.go_version, str(r.seed)], 1.0)
        yield info


def registry_for(result: Result, openmetrics: bool = False) -> CollectorRegistry:
    """A fresh CollectorRegistry holding only a ResultCollector for result."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ResultCollector(result, openmetrics))
    return registry


def prometheus_text(result: Result, openmetrics: bool = False) -> str:
    """The exposition text of result: Prometheus text format 0.0.4, or OpenMetrics 1.0
    (ending in "# EOF") when openmetrics is set."""
    registry = registry_for(result, openmetrics)
    data = _openmetrics_latest(registry) if openmetrics else _prometheus_latest(registry)
    return data.decode("utf-8")
