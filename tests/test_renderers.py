"""Tests for the renderings of a Result: gctrace text, Prometheus/OpenMetrics, PNG plots and
the Perfetto / Chrome trace-event JSON. Simulations are short (a few simulated seconds at
low rates, or an idle service) so the module runs in seconds."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import struct
from collections import defaultdict
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

from clients.plots import plot_heap, plot_latency, plot_pauses, write_all_plots
from clients.render_gctrace import gcpacertrace_text, gctrace_text
from clients.render_prom import cycle_pauses_ns, gc_duration_quantiles, prometheus_text
from clients.trace_export import GC_TID, tid_for_track, trace_json, write_trace
from simcore import simulate
from simcore.config import SimConfig
from simcore.gctrace import parse_gctrace_line, parse_pacer_line
from simcore.presets import web_api
from simcore.results import Histogram, Result, SpanKind, TriggerKind

MIB = 1 << 20
SECOND = 1_000_000_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def small_config(*, rate: float = 1000.0, duration_ns: int = 3 * SECOND // 2,
                 live_bytes: int = 16 * MIB, churn: float | None = None,
                 container_bytes: int = 0, gogc: int = 100) -> SimConfig:
    """web_api with a 16 MiB cache: a GC every few hundred ms at 1000 req/s."""
    cfg = web_api(gomaxprocs=4, rate_per_s=rate, duration_ns=duration_ns, gogc=gogc)
    w = cfg.workload
    heap = dataclasses.replace(w.baseline_heap, live_bytes=live_bytes)
    if churn is not None:
        heap = dataclasses.replace(heap, churn_bytes_per_s=churn)
    runtime = dataclasses.replace(cfg.runtime, container_memory_bytes=container_bytes)
    return cfg.replace(workload=dataclasses.replace(w, baseline_heap=heap), runtime=runtime)


@pytest.fixture(scope="module")
def busy() -> Result:
    """1.5 s at 1000 req/s with a trace window over 200..800 ms (two GC cycles start in it)."""
    r = simulate(small_config().replace(trace_start_ns=200_000_000,
                                        trace_duration_ns=600_000_000))
    assert len(r.cycles) >= 2 and r.trace is not None
    return r


@pytest.fixture(scope="module")
def idle() -> Result:
    """An idle service for 300 s: only the two-minute forced GC runs (TriggerKind.TIME)."""
    r = simulate(small_config(rate=0.5, duration_ns=300 * SECOND, churn=0.0))
    assert [c.kind for c in r.cycles] == [TriggerKind.TIME, TriggerKind.TIME]
    return r


@pytest.fixture(scope="module")
def oom() -> Result:
    """GOGC=400 with a 64 MiB cache in a 120 MiB container: OOM-killed before any GC."""
    r = simulate(small_config(rate=3000.0, duration_ns=3 * SECOND, live_bytes=64 * MIB,
                              container_bytes=120 * MIB, gogc=400))
    assert r.summary.oom is not None
    return r


# --- gctrace ------------------------------------------------------------------------------


def test_gctrace_text_is_the_joined_lines(busy: Result) -> None:
    text = gctrace_text(busy)
    assert text == "".join(c.gctrace + "\n" for c in busy.cycles)
    assert text.endswith("\n")
    lines = text.splitlines()
    assert len(lines) == len(busy.cycles)
    for cycle, line in zip(busy.cycles, lines, strict=True):
        assert parse_gctrace_line(line)["cycle"] == cycle.n


def test_gctrace_forced_line_precedes_time_triggered_cycles(idle: Result) -> None:
    lines = gctrace_text(idle).splitlines()
    assert lines[0::2] == ["GC forced", "GC forced"]
    assert [parse_gctrace_line(line)["cycle"] for line in lines[1::2]] == [1, 2]
    assert not any(line.endswith("(forced)") for line in lines)  # that is runtime.GC()


def test_gctrace_text_without_cycles_is_empty(busy: Result) -> None:
    assert gctrace_text(dataclasses.replace(busy, cycles=())) == ""


def test_gcpacertrace_adds_the_end_of_cycle_line_before_each_gctrace_line(
        busy: Result) -> None:
    text = gcpacertrace_text(busy)
    lines = text.splitlines()
    # Without the pacer lines it is the gctrace output.
    assert "".join(ln + "\n" for ln in lines if not ln.startswith("pacer: ")) == \
        gctrace_text(busy)
    cycles = busy.cycles
    assert len(cycles) >= 3
    assert lines[0] == cycles[0].gctrace  # the first cycle ran with the warm start's figures
    for prev, cyc in itertools.pairwise(cycles):
        i = lines.index(cyc.gctrace)
        p = parse_pacer_line(lines[i - 1])
        assert p["heap_scan_work_bytes"] == cyc.heap_scan_work_bytes
        assert p["stack_scan_work_bytes"] == cyc.stacks_bytes
        assert p["globals_scan_work_bytes"] == cyc.globals_bytes
        assert p["expected_scan_work_bytes"] == (prev.heap_scan_work_bytes + prev.stacks_bytes
                                                 + prev.globals_bytes)
        assert p["triggered_bytes"] == cyc.heap_start_bytes
        assert p["heap_live_bytes"] == cyc.heap_end_bytes
        assert p["delta_goal_bytes"] == cyc.heap_end_bytes - cyc.heap_goal_bytes
        assert p["cons_mark"] == prev.cons_mark  # printed in full: it reads back exactly
        assert p["utilization_percent"] >= 25 and p["goal_utilization_percent"] == 25


def test_gcpacertrace_after_a_gc_forced_line_and_parsed_like_a_real_log(idle: Result) -> None:
    from validation.trace import parse_stderr

    # The idle program allocates nothing during its marks (heapLive at the end = at the
    # start: no pacer line, as in Go); give the second cycle 64 KiB allocated during it.
    c1, c2 = idle.cycles
    assert c2.heap_end_bytes <= c2.heap_start_bytes
    assert gcpacertrace_text(idle) == gctrace_text(idle)
    c2 = dataclasses.replace(c2, heap_end_bytes=c2.heap_start_bytes + 64 * 1024)
    lines = gcpacertrace_text(dataclasses.replace(idle, cycles=(c1, c2))).splitlines()
    # the second periodic cycle: "GC forced", its pacer line, its gctrace line
    assert lines[0] == "GC forced" and lines[2] == "GC forced"
    assert lines[3].startswith("pacer: ") and lines[4] == c2.gctrace.split("\n")[1]
    t = parse_stderr("\n".join(lines))
    assert [r["periodic"] for r in t.records] == [True, True]
    assert "pacer" not in t.records[0] and t.records[1]["pacer_line"] == lines[3]
    assert t.unparsed == [] and t.other_lines == []


def test_gcpacertrace_skips_a_cycle_that_measured_nothing(busy: Result) -> None:
    # Go's endCycle returns before printing when heapLive <= triggered.
    c = busy.cycles
    flat = dataclasses.replace(c[1], heap_end_bytes=c[1].heap_start_bytes)
    lines = gcpacertrace_text(dataclasses.replace(busy, cycles=(c[0], flat))).splitlines()
    assert lines == [c[0].gctrace, flat.gctrace]


# --- Prometheus / OpenMetrics -------------------------------------------------------------

HISTOGRAMS = {
    "go_gc_pauses_seconds": "pauses",
    "go_sched_pauses_total_gc_seconds": "pauses",
    "go_sched_latencies_seconds": "sched_latency",
    "gosim_request_latency_seconds": "latency",
}
COUNTERS = (
    "go_gc_cycles_automatic_gc_cycles", "go_gc_cycles_forced_gc_cycles",
    "go_gc_cycles_total_gc_cycles", "go_gc_heap_allocs_bytes", "go_gc_heap_frees_bytes",
    "go_gc_heap_allocs_objects", "go_memstats_alloc_bytes", "go_memstats_mallocs",
    "gosim_requests", "gosim_requests_arrived",
    *(f"go_cpu_classes_{c}_cpu_seconds" for c in (
        "gc_mark_assist", "gc_mark_dedicated", "gc_mark_idle", "gc_pause", "gc_total",
        "scavenge_total", "user", "idle", "total")),
)
GAUGES = (
    "go_goroutines", "go_memstats_heap_alloc_bytes", "go_memstats_heap_inuse_bytes",
    "go_memstats_next_gc_bytes", "go_memstats_sys_bytes", "go_gc_heap_goal_bytes",
    "go_gc_heap_live_bytes", "go_sched_goroutines_goroutines", "go_sched_gomaxprocs_threads",
    "gosim_oom_killed", "process_resident_memory_bytes", "go_info", "gosim_info",
)


def families(text: str, openmetrics: bool = False) -> dict[str, Any]:
    parse = openmetrics_families if openmetrics else text_string_to_metric_families
    out = {f.name: f for f in parse(text)}
    assert out, "no metric families parsed"
    return out


def values(fams: dict[str, Any]) -> dict[str, float]:
    """Unlabelled samples by sample name."""
    return {s.name: s.value for f in fams.values() for s in f.samples if not s.labels}


def expected_bucket_counts(h: Histogram) -> list[int]:
    """h's counts with the -Inf underflow bucket merged into the first regular one."""
    counts = list(h.counts)
    if h.boundaries_seconds[0] == -math.inf:
        counts = [counts[0] + counts[1], *counts[2:]]
    return counts


def check_histogram(fam: Any, h: Histogram) -> None:
    buckets = [(s.labels["le"], s.value) for s in fam.samples if s.name.endswith("_bucket")]
    les = [math.inf if le == "+Inf" else float(le) for le, _ in buckets]
    cumulative = [v for _, v in buckets]
    assert les == sorted(les) and les[-1] == math.inf
    assert all(b >= a for a, b in pairwise(cumulative))
    per_bucket = [cumulative[0]] + [b - a for a, b in pairwise(cumulative)]
    assert per_bucket == expected_bucket_counts(h)
    # le values are the runtime/metrics upper edges (the one after -Inf was merged away).
    uppers = [b for b in h.boundaries_seconds[2:] if not math.isinf(b)]
    assert les[:-1] == uppers
    count = {s.name: s.value for s in fam.samples if not s.labels}
    assert cumulative[-1] == h.count == count[fam.name + "_count"]
    assert count[fam.name + "_sum"] == pytest.approx(h.sum_ns / 1e9)


def test_prometheus_text_parses_with_expected_families(busy: Result) -> None:
    fams = families(prometheus_text(busy))
    for name in HISTOGRAMS:
        assert fams[name].type == "histogram", name
    for name in COUNTERS:
        assert fams[name].type == "counter", name
    for name in GAUGES:
        assert fams[name].type == "gauge", name
    assert fams["go_gc_duration_seconds"].type == "summary"


def test_prometheus_values_match_the_result(busy: Result) -> None:
    v = values(families(prometheus_text(busy)))
    s, ts = busy.summary, busy.series
    assert v["go_gc_cycles_total_gc_cycles_total"] == len(busy.cycles) == s.cycles_total
    assert v["go_gc_cycles_automatic_gc_cycles_total"] == len(busy.cycles)
    assert v["go_gc_cycles_forced_gc_cycles_total"] == 0
    assert v["go_goroutines"] == ts.goroutines[-1]
    assert v["go_memstats_heap_alloc_bytes"] == ts.heap_alloc_bytes[-1]
    assert v["go_memstats_heap_inuse_bytes"] == ts.heap_in_use_bytes[-1]
    assert v["go_memstats_next_gc_bytes"] == v["go_gc_heap_goal_bytes"] == ts.heap_goal_bytes[-1]
    assert v["go_memstats_sys_bytes"] == s.peak_rss_bytes
    assert v["go_gc_heap_live_bytes"] == busy.cycles[-1].heap_marked_bytes
    assert v["go_gc_heap_allocs_bytes_total"] == s.bytes_allocated
    assert v["go_gc_heap_frees_bytes_total"] == s.bytes_freed
    assert v["go_sched_gomaxprocs_threads"] == 4
    assert v["gosim_requests_total"] == s.requests_completed
    assert v["gosim_oom_killed"] == 0
    g = s.gc_cpu
    cpu = {k: v[f"go_cpu_classes_{k}_cpu_seconds_total"] * 1e9 for k in (
        "gc_mark_assist", "gc_mark_dedicated", "gc_mark_idle", "gc_pause", "gc_total",
        "scavenge_total", "user", "idle", "total")}
    assert cpu["gc_mark_assist"] == pytest.approx(g.assist_ns)
    assert cpu["gc_mark_dedicated"] == pytest.approx(g.dedicated_ns + g.fractional_ns)
    assert cpu["gc_mark_idle"] == pytest.approx(g.idle_ns)
    assert cpu["gc_pause"] == pytest.approx(g.pause_ns)
    assert cpu["gc_total"] == pytest.approx(
        cpu["gc_mark_assist"] + cpu["gc_mark_dedicated"] + cpu["gc_mark_idle"] + cpu["gc_pause"])
    assert cpu["total"] == pytest.approx(g.total_ns)


def test_prometheus_histogram_buckets_are_cumulative_result_counts(busy: Result) -> None:
    fams = families(prometheus_text(busy))
    for name, attr in HISTOGRAMS.items():
        check_histogram(fams[name], getattr(busy, attr))


def test_gc_duration_summary_is_per_cycle_pauses(busy: Result) -> None:
    fam = families(prometheus_text(busy))["go_gc_duration_seconds"]
    q = {s.labels["quantile"]: s.value for s in fam.samples if "quantile" in s.labels}
    assert list(q) == ["0", "0.25", "0.5", "0.75", "1"]
    pauses = cycle_pauses_ns(busy)
    assert q["0"] == min(pauses) / 1e9 and q["1"] == max(pauses) / 1e9
    assert list(q.values()) == sorted(q.values())
    v = {s.name: s.value for s in fam.samples if not s.labels}
    assert v["go_gc_duration_seconds_count"] == len(busy.cycles)
    # Both STW pauses of every cycle: the same total as the pause histogram's exact sum.
    assert v["go_gc_duration_seconds_sum"] == pytest.approx(busy.pauses.sum_ns / 1e9)


def test_gc_duration_quantiles_follow_read_gc_stats() -> None:
    assert gc_duration_quantiles([]) == [0.0] * 5
    # sorted[n*i/4] for i < 4, then the maximum; only the last 256 pauses count.
    pauses = [1000 * i for i in range(1, 301)]
    assert gc_duration_quantiles(pauses) == [
        p / 1e9 for p in (45_000, 109_000, 173_000, 237_000, 300_000)]


def test_time_triggered_cycles_count_as_automatic(idle: Result) -> None:
    v = values(families(prometheus_text(idle)))
    assert v["go_gc_cycles_automatic_gc_cycles_total"] == 2
    assert v["go_gc_cycles_forced_gc_cycles_total"] == 0


def test_oom_kill_is_exposed(oom: Result) -> None:
    v = values(families(prometheus_text(oom)))
    assert v["gosim_oom_killed"] == 1
    assert oom.summary.oom is not None
    assert v["gosim_oom_killed_at_seconds"] == pytest.approx(oom.summary.oom.at_ns / 1e9)
    assert v["go_gc_cycles_total_gc_cycles_total"] == len(oom.cycles)


def test_openmetrics_text_parses(busy: Result) -> None:
    text = prometheus_text(busy, openmetrics=True)
    assert text.endswith("# EOF\n")
    fams = families(text, openmetrics=True)
    for name, attr in HISTOGRAMS.items():
        check_histogram(fams[name], getattr(busy, attr))
    prom = values(families(prometheus_text(busy)))
    om = values(fams)
    for name in COUNTERS:
        assert om[name + "_total"] == prom[name + "_total"], name
    assert fams["go_gc_heap_goal_bytes"].unit == "bytes"


# --- plots --------------------------------------------------------------------------------


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_plots_are_written_as_pngs(busy: Result, tmp_path: Path) -> None:
    paths = write_all_plots(busy, tmp_path / "plots")
    assert [p.name for p in paths] == ["heap.png", "latency.png", "pauses.png", "mmu.png"]
    for p in paths:
        assert p.parent == tmp_path / "plots"
        assert p.stat().st_size > 20_000, p.name
        width, height = png_size(p)
        assert width >= 800 and height >= 500, p.name


def test_heap_plot_of_an_oom_kill(oom: Result, tmp_path: Path) -> None:
    p = plot_heap(oom, tmp_path / "heap.png")
    assert p.stat().st_size > 20_000
    png_size(p)


def test_plots_without_samples(busy: Result, tmp_path: Path) -> None:
    empty = Histogram(busy.latency.boundaries_seconds, (0,) * len(busy.latency.counts),
                      0, 0, 0, 0)
    result = dataclasses.replace(busy, latency=empty, pauses=empty, cycles=())
    for plot in (plot_heap, plot_latency, plot_pauses):
        png_size(plot(result, tmp_path / f"{plot.__name__}.png"))


# --- trace JSON ---------------------------------------------------------------------------

TOP_LEVEL = {"dedicated mark worker", "idle mark worker"}


def x_events(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in data["traceEvents"] if e["ph"] == "X"]


def test_trace_json_shape(busy: Result, tmp_path: Path) -> None:
    data = trace_json(busy)
    assert data["displayTimeUnit"] == "ns"
    path = write_trace(busy, tmp_path / "trace.json")
    assert json.loads(path.read_text()) == json.loads(json.dumps(data)) == data
    for e in data["traceEvents"]:
        assert {"name", "ph", "pid", "tid"} <= e.keys()
        if e["ph"] == "X":
            assert isinstance(e["ts"], float) and isinstance(e["dur"], float)
            assert isinstance(e["args"], dict)
        else:
            assert e["ph"] == "M" and "args" in e
    assert busy.trace is not None
    assert len(x_events(data)) == len(busy.trace.spans)


def test_trace_has_one_named_thread_per_p_and_gc(busy: Result) -> None:
    data = trace_json(busy)
    names = {e["tid"]: e["args"]["name"] for e in data["traceEvents"]
             if e["ph"] == "M" and e["name"] == "thread_name"}
    assert names == {GC_TID: "GC", **{tid_for_track(p): f"P{p}" for p in range(4)}}
    thread_names = [e for e in data["traceEvents"] if e["name"] == "thread_name"]
    assert len(thread_names) == 5
    assert {e["tid"] for e in x_events(data)} <= set(names)


def test_trace_events_lie_in_the_window(busy: Result) -> None:
    assert busy.trace is not None
    lo, hi = busy.trace.start_ns / 1000, busy.trace.end_ns / 1000
    events = x_events(trace_json(busy))
    assert events
    for e in events:
        assert e["dur"] >= 0
        assert lo - 1e-6 <= e["ts"] and e["ts"] + e["dur"] <= hi + 1e-6, e


def test_trace_names_and_args(busy: Result) -> None:
    events = x_events(trace_json(busy))
    names = {e["name"] for e in events}
    assert {"STW sweep termination", "mark phase", "STW mark termination"} <= names
    for e in events:
        if e["tid"] == GC_TID:
            assert e["name"] in {"STW sweep termination", "mark phase", "STW mark termination"}
            assert e["args"]["cycle"] >= 1
        elif e["name"].startswith("G"):
            assert e["name"] == f"G{e['args']['goroutine']}"
        elif e["name"].startswith("mark assist"):
            assert e["name"] == f"mark assist (G{e['args']['goroutine']})"
            assert e["args"]["cycle"] >= 1
        else:
            assert e["name"] in TOP_LEVEL


def test_spans_of_one_p_do_not_overlap(busy: Result) -> None:
    """Goroutines and mark workers on a P are disjoint; an assist lies inside the slice of
    the goroutine doing it; nothing runs on a P during a stop-the-world pause; GC-track
    phases are disjoint. A failure here is a bug in the model's trace, not the exporter."""
    assert busy.trace is not None
    by_p: dict[int, list[Any]] = defaultdict(list)
    for s in busy.trace.spans:
        by_p[s.track].append(s)
    gc = sorted(by_p.pop(-1, []), key=lambda s: s.start_ns)
    stw = [s for s in gc if s.kind in (SpanKind.STW_SWEEP_TERM, SpanKind.STW_MARK_TERM)]
    assert stw, "the window should contain a GC cycle"
    for a, b in pairwise(gc):
        assert a.end_ns <= b.start_ns, (a, b)
    for p, spans in by_p.items():
        top = sorted((s for s in spans if s.kind is not SpanKind.ASSIST),
                     key=lambda s: s.start_ns)
        for a, b in pairwise(top):
            assert a.end_ns <= b.start_ns, f"P{p}: {a} overlaps {b}"
        for s in spans:
            if s.kind is SpanKind.ASSIST:
                assert any(g.kind is SpanKind.GOROUTINE and g.goroutine == s.goroutine
                           and g.start_ns <= s.start_ns and s.end_ns <= g.end_ns
                           for g in top), f"P{p}: assist outside its goroutine: {s}"
            for w in stw:
                assert s.end_ns <= w.start_ns or w.end_ns <= s.start_ns, (
                    f"P{p}: {s} runs during {w}")


def test_trace_events_nest_in_file_order(busy: Result) -> None:
    """Per thread, events come by start time, longest first on ties (parents first)."""
    per_tid: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for e in x_events(trace_json(busy)):
        per_tid[e["tid"]].append((e["ts"], -e["dur"]))
    for tid, keys in per_tid.items():
        assert keys == sorted(keys), tid


def test_trace_json_without_trace_raises(idle: Result) -> None:
    assert idle.trace is None
    with pytest.raises(ValueError, match="trace_duration_ns"):
        trace_json(idle)
