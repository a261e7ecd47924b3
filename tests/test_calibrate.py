"""`gosim calibrate`: the gctrace -> workload fit (clients/calibrate.py) on real captures.

The captures in validation/testdata were made with the Go twin (go1.27.3, linux/amd64, a
shared 2-vCPU machine; see tests/test_validation_parse.py), so what the fit should find is
known from the twin's flags:

    steady-p1-gogc100        2 goroutines allocating 64 MiB/s of 64 B objects, half with
                             pointers, into a 16 MiB ring (+ 2 MiB of slot arrays)
    server-p2-gogc100-lim    GOMAXPROCS=2, GOMEMLIMIT=30.75 MiB, a 16 MiB cache
    idle-p1-gogc100-250s     a 64 MiB cache, then only the two-minute periodic cycles
    steady-p2-gogc100-pacer  steady-p1-gogc100's flags at GOMAXPROCS=2, logged with
                             GODEBUG=gctrace=1,gcpacertrace=1
"""

from __future__ import annotations

import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import yaml
from google.protobuf import json_format

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from clients import calibrate as cal  # noqa: E402
from clients import cli_calibrate  # noqa: E402
from simcore.config import MIB, NO_LIMIT  # noqa: E402

DATA = ROOT / "validation" / "testdata"


def _capture(name: str) -> tuple[str, dict[str, float]]:
    text = (DATA / f"{name}.stderr.txt").read_text()
    return text, cal.load_metrics(DATA / f"{name}.stdout.json")


def _spec(name: str) -> dict:
    return json.loads((DATA / f"{name}.spec.json").read_text())["spec"]


# --- parsing -----------------------------------------------------------------------------


def test_parse_log_marks_periodic_and_ignores_other_lines() -> None:
    text = ("2026/11/27 01:00:00 starting\n"
            "gc 1 @0.001s 2%: 0.010+1.0+0.010 ms clock, 0.010+0/0.5/0+0.010 ms cpu, "
            "4->4->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 1 P\n"
            "GC forced\n"
            "gc 2 @120.5s 0%: 0.020+2.0+0.010 ms clock, 0.020+0/1.0/1.0+0.010 ms cpu, "
            "2->2->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 1 P\n"
            "some other line\n")
    recs = cal.parse_log(text)
    assert [r["cycle"] for r in recs] == [1, 2]
    assert [r["periodic"] for r in recs] == [False, True]
    assert recs[1]["end_s"] == pytest.approx(120.5 + 0.00203)


def test_parse_log_reads_a_runner_result_file() -> None:
    text = (DATA / "steady-p1-gogc100.stderr.txt").read_text()
    lines = [r["line"] for r in cal.parse_log(text)]
    record = {"gctrace": [{"line": line, "periodic": False} for line in lines]}
    again = cal.parse_log(json.dumps(record))
    assert [r["line"] for r in again] == lines


def test_parse_log_keeps_the_pacer_line_of_a_runner_result_file() -> None:
    text = (DATA / "steady-p2-gogc100-pacer.stderr.txt").read_text()
    recs = cal.parse_log(text)
    ends = [ln for ln in text.splitlines() if "% CPU (" in ln]
    assert len(ends) == len(recs) - 1 and "pacer" not in recs[0]
    assert [r["pacer"]["triggered_bytes"] for r in recs[1:]] == [
        int(ln.split(" in ", 1)[1].split(" B")[0]) for ln in ends]
    record = {"gctrace": [{"line": r["line"], "periodic": False,
                           **({"pacer_line": ln} if ln else {})}
                          for r, ln in zip(recs, [None, *ends], strict=True)]}
    again = cal.parse_log(json.dumps(record))
    assert [r.get("pacer") for r in again] == [r.get("pacer") for r in recs]
    # A garbled gctrace line keeps its pacer line: a next cycle without a pacer line of its
    # own (as when Go measured nothing) gets none.
    lines = [ln for ln in text.splitlines() if ln != ends[5]]  # cycle 7's
    i = lines.index(recs[5]["line"])
    garbled = cal.parse_log("\n".join([*lines[:i], "gc 6 @0.9s 1%: garbled", *lines[i + 1:]]))
    assert [r["cycle"] for r in garbled] == [r["cycle"] for r in recs if r["cycle"] != 6]
    assert garbled[5]["cycle"] == 7 and "pacer" not in garbled[5]
    assert garbled[6]["pacer"] == recs[7]["pacer"]


def _without_pacer_lines(text: str) -> str:
    return "\n".join(ln for ln in text.splitlines() if not ln.startswith("pacer:"))


def test_pacer_capture_fit_uses_the_exact_scan_work() -> None:
    text, _ = _capture("steady-p2-gogc100-pacer")
    recs = cal.parse_log(text)
    fit = cal.fit_trace(recs)
    cyc = cal.steady_cycles(recs)
    assert fit.gomaxprocs == 2 and fit.gogc == 100
    # half of the 16 MiB of 64 B objects have pointers, the 2 MiB of slot arrays are all
    # pointers: (8 + 2) / 18 of the live heap is scanned
    assert fit.scannable_fraction == pytest.approx(10 / 18, abs=0.03)
    assert "gcpacertrace" in fit.sources["scannable_fraction"]
    # stacks and globals are the scan work's exact bytes (gctrace says 0 MB for both)
    stack = sorted(r["pacer"]["stack_scan_work_bytes"] for r in cyc)
    assert fit.stacks_bytes == pytest.approx((stack[(len(stack) - 1) // 2]
                                              + stack[len(stack) // 2]) / 2)
    assert 4 * 1024 < fit.stacks_bytes < 16 * 1024
    assert fit.globals_bytes == 166538
    # the scan rate from each cycle's mark CPU over its scan work: near the cost model's,
    # which was fitted to this twin on this machine
    assert 1.3 < fit.cost.scan_ns_per_byte < 2.4
    assert "gcpacertrace" in fit.sources["scan_ns_per_byte"]
    # the pauses of a gcpacertrace log are longer by the printing: not fitted
    default = cal.CostModel()
    assert fit.cost.stw_mark_term_ns == default.stw_mark_term_ns
    assert fit.cost.stw_sweep_term_ns == default.stw_sweep_term_ns
    assert any("gcpacertrace prints during both pauses" in n for n in fit.notes)
    # The same log without its pacer lines: the gctrace-only fit, pauses included.
    plain = cal.fit_trace(cal.parse_log(_without_pacer_lines(text)))
    assert "gcpacertrace" not in plain.sources["scannable_fraction"]
    assert plain.cost.stw_mark_term_ns > default.stw_mark_term_ns  # ~38 us measured
    assert plain.globals_bytes == 64 * 1024  # gctrace's "0 MB globals": assumed


def test_calibrate_shows_the_trigger_and_cons_mark_with_gcpacertrace() -> None:
    text, metrics = _capture("steady-p2-gogc100-pacer")
    c = cal.calibrate(text, metrics, duration_ns=4 * 10**9)
    paced = [r["pacer"] for r in cal.steady_cycles(cal.parse_log(text))]
    cm = sorted(p["cons_mark"] for p in paced)
    assert c.observed["cons_mark"] == pytest.approx((cm[(len(cm) - 1) // 2]
                                                     + cm[len(cm) // 2]) / 2)
    assert c.simulated["cons_mark"] is not None and c.simulated["cons_mark"] > 0
    assert c.simulated["trigger_mib"] == pytest.approx(c.observed["trigger_mib"], rel=0.15)
    assert cal.comparison_rows(c.observed) == cal.ROWS + cal.PACER_ROWS
    plain, pm = _capture("steady-p1-gogc100")
    c1 = cal.calibrate(plain, pm, simulate=False)
    assert c1.observed["cons_mark"] is None
    assert cal.comparison_rows(c1.observed) == cal.ROWS


def test_cli_shows_the_pacer_rows() -> None:
    code, text, _ = _cli([str(DATA / "steady-p2-gogc100-pacer.stderr.txt"),
                          "--duration", "3s"])
    assert code == 0
    assert "trigger (MiB)" in text and "cons/mark" in text
    assert "STW costs not fitted" in text
    assert "(1 parked goroutine)" in text  # 6.4 KiB of stacks at 8 KiB each


def test_no_gctrace_is_an_error() -> None:
    with pytest.raises(cal.CalibrationError, match="no gctrace lines"):
        cal.fit_trace(cal.parse_log("hello\nworld\n"))


def test_load_metrics_accepts_flat_and_twin_report(tmp_path: Path) -> None:
    flat = tmp_path / "m.json"
    flat.write_text(json.dumps({"/gc/gogc:percent": 50, "/gc/heap/live:bytes": 123,
                                "not-a-metric": 1}))
    assert cal.load_metrics(flat) == {"/gc/gogc:percent": 50.0, "/gc/heap/live:bytes": 123.0}
    m = cal.load_metrics(DATA / "steady-p1-gogc100.stdout.json")
    assert m["/gc/scan/globals:bytes"] == 166442


# --- the fit -------------------------------------------------------------------------------


def test_steady_capture_fit_matches_the_twin_flags() -> None:
    text, metrics = _capture("steady-p1-gogc100")
    spec = _spec("steady-p1-gogc100")
    fit = cal.fit_trace(cal.parse_log(text), metrics)
    flags = spec["flags"]
    assert fit.gomaxprocs == 1
    assert fit.gogc == 100
    assert fit.gomemlimit_bytes is None
    # allocation rate: the flag (64 MiB/s), from heap growth in whole MB
    assert fit.alloc_bytes_per_s == pytest.approx(flags["alloc-bytes-per-s"], rel=0.10)
    # live heap: the ring plus its slot arrays (8 B per 64 B slot)
    ring = flags["ring-live-bytes"] * (1 + 8 / 64)
    assert fit.live_bytes == pytest.approx(ring, rel=0.10)
    # half the objects have pointers, the slot arrays are all pointers: ~0.55
    assert 0.45 <= fit.scannable_fraction <= 0.65
    assert fit.object_bytes == 64
    assert fit.globals_bytes == 166442
    assert fit.cost.scan_ns_per_byte > 0
    assert fit.cost.runtime_base_bytes > 0


def test_steady_capture_without_metrics_still_finds_gogc_and_rate() -> None:
    text, _ = _capture("steady-p1-gogc100")
    fit = cal.fit_trace(cal.parse_log(text))
    assert fit.gogc == 100  # from goal/live, snapped within gctrace's MB rounding
    assert fit.alloc_bytes_per_s == pytest.approx(64 * MIB, rel=0.10)
    assert 0.0 <= fit.scannable_fraction <= 1.0
    assert any("object size" in n for n in fit.notes)


def test_server_capture_takes_gomemlimit_from_metrics() -> None:
    text, metrics = _capture("server-p2-gogc100-lim")
    spec = _spec("server-p2-gogc100-lim")
    fit = cal.fit_trace(cal.parse_log(text), metrics)
    assert fit.gomaxprocs == 2
    assert fit.gomemlimit_bytes == spec["gomemlimit_bytes"]
    cache = spec["flags"]["cache-live-bytes"] * (1 + 8 / 256)
    assert fit.live_bytes == pytest.approx(cache, rel=0.15)


def test_idle_capture_is_fitted_as_an_idle_program() -> None:
    text, metrics = _capture("idle-p1-gogc100-250s")
    fit = cal.fit_trace(cal.parse_log(text), metrics)
    assert fit.alloc_bytes_per_s == 0
    assert fit.live_bytes == pytest.approx(66 * MIB, rel=0.05)
    assert any("idle" in n for n in fit.notes)
    cfg = cal.build_config(fit, cal.default_duration_ns(cal.parse_log(text)))
    assert cfg.workload.workers == ()
    assert cfg.duration_ns > 240 * 10**9  # two periodic cycles


def test_gogc_rounding_snaps_within_the_uncertainty() -> None:
    assert cal._round_gogc(104.5, 5.0) == 100
    assert cal._round_gogc(51.0, 0.5) == 50  # within 2 %
    assert cal._round_gogc(137.0, 1.0) == 137


def test_size_class_at_most() -> None:
    assert cal.size_class_at_most(65) == 64
    assert cal.size_class_at_most(64) == 64
    assert cal.size_class_at_most(161) == 160
    assert cal.size_class_at_most(100_000) == 100_000


# --- the workload file and the check simulation ---------------------------------------------


def test_workload_yaml_round_trips_through_the_proto() -> None:
    from gosim.v1 import config_pb2
    from server.convert import config_from_proto

    text, metrics = _capture("server-p2-gogc100-lim")
    fit = cal.fit_trace(cal.parse_log(text), metrics)
    cfg = cal.build_config(fit, 3 * 10**9)
    doc = cal.workload_yaml(cfg, "a comment")
    assert doc.startswith("# a comment\n")
    msg = json_format.ParseDict(yaml.safe_load(doc), config_pb2.SimConfig())
    back = config_from_proto(msg)
    assert back.runtime == cfg.runtime
    assert back.workload.baseline_heap == cfg.workload.baseline_heap
    assert back.cost.scan_ns_per_byte == pytest.approx(cfg.cost.scan_ns_per_byte)
    assert back.runtime.gomemlimit_bytes != NO_LIMIT


def test_calibrate_simulates_the_fitted_workload() -> None:
    text, metrics = _capture("steady-p1-gogc100")
    c = cal.calibrate(text, metrics, duration_ns=4 * 10**9)
    assert c.simulated["cycles_per_s"] and c.observed["cycles_per_s"]
    # the fitted workload reproduces the trace's heap: goal and marked heap within 15 %
    assert c.simulated["goal_mib"] == pytest.approx(c.observed["goal_mib"], rel=0.15)
    assert c.simulated["marked_mib"] == pytest.approx(c.observed["marked_mib"], rel=0.15)
    # ... and its mark CPU per cycle (the scan rate was fitted to it)
    assert c.simulated["mark_cpu_ms"] == pytest.approx(c.observed["mark_cpu_ms"], rel=0.25)
    assert c.simulated_lines and c.simulated_lines[-1].startswith("gc ")


def _cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli_calibrate.main(args)
    return code, out.getvalue(), err.getvalue()


def test_cli_writes_a_workload_and_prints_the_table(tmp_path: Path) -> None:
    out = tmp_path / "w.yaml"
    code, text, _ = _cli([str(DATA / "steady-p1-gogc100.stderr.txt"), "--metrics",
                          str(DATA / "steady-p1-gogc100.stdout.json"), "-o", str(out),
                          "--duration", "3s"])
    assert code == 0
    for label in ("cycles/s", "goal (MiB)", "marked (MiB)", "STW", "GC CPU"):
        assert label in text
    assert "observed" in text and "fitted" in text
    assert out.exists() and "runtime:" in out.read_text()


def test_cli_json_and_no_simulate(tmp_path: Path) -> None:
    code, text, _ = _cli([str(DATA / "idle-p1-gogc100-250s.stderr.txt"), "--no-simulate",
                          "--json"])
    assert code == 0
    data = json.loads(text)
    assert data["fit"]["gomaxprocs"] == 1 and data["simulated"] == {}


def test_cli_bad_input_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_text("nothing here\n")
    code, _, err = _cli([str(empty)])
    assert code == 2 and "no gctrace lines" in err
    code, _, err = _cli([str(tmp_path / "missing.log")])
    assert code == 2 and "cannot read" in err


def test_register_adds_the_subcommand() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command")
    cli_calibrate.register(sub)
    ns = ap.parse_args(["calibrate", "x.log", "--metrics", "m.json", "-o", "w.yaml"])
    assert ns.func is cli_calibrate.calibrate_main
    assert ns.output == Path("w.yaml")


def test_a_heap_of_large_objects_is_replayed_at_the_fitted_scan_rate() -> None:
    # gosim marks a baseline of objects over 32 KiB at large_scan_ns_per_byte; a user's trace
    # gives one scan rate for the whole heap, so the fit sets both to it.
    text, metrics = _capture("steady-p1-gogc100")
    big = dict(metrics)
    big["/gc/heap/allocs:objects"] = big["/gc/heap/allocs:bytes"] / (64 * 1024)
    fit = cal.fit_trace(cal.parse_log(text), big)
    assert fit.object_bytes == 64 * 1024
    assert fit.cost.large_scan_ns_per_byte == fit.cost.scan_ns_per_byte
    small = cal.fit_trace(cal.parse_log(text), metrics)
    assert small.cost.large_scan_ns_per_byte == cal.CostModel().large_scan_ns_per_byte


def test_scannable_fraction_is_set_against_the_heap_now() -> None:
    # /gc/scan/heap counts what was allocated since the last cycle, like the heap's objects
    # now, not like /gc/heap/live (what that cycle marked).
    text, metrics = _capture("steady-p1-gogc100")
    m = dict(metrics)
    m["/memory/classes/heap/objects:bytes"] = 2 * m["/gc/scan/heap:bytes"]
    fit = cal.fit_trace(cal.parse_log(text), m)
    assert fit.scannable_fraction == pytest.approx(0.5)
    assert fit.sources["scannable_fraction"].endswith("/memory/classes/heap/objects")
    del m["/memory/classes/heap/objects:bytes"]
    old = cal.fit_trace(cal.parse_log(text), m)
    assert old.sources["scannable_fraction"].endswith("/gc/heap/live")
    assert old.scannable_fraction == pytest.approx(
        min(1.0, m["/gc/scan/heap:bytes"] / m["/gc/heap/live:bytes"]))


def test_runtime_base_counts_the_stack_spans_but_the_workloads_stacks() -> None:
    text, metrics = _capture("steady-p1-gogc100")
    m = dict(metrics)
    base = cal.fit_trace(cal.parse_log(text), m).cost.runtime_base_bytes
    m["/memory/classes/heap/stacks:bytes"] = m.get("/memory/classes/heap/stacks:bytes", 0) + MIB
    m["/memory/classes/total:bytes"] += MIB
    more = cal.fit_trace(cal.parse_log(text), m).cost.runtime_base_bytes
    assert more - base == pytest.approx(MIB, abs=1024)


# --- a leak ------------------------------------------------------------------------------

CHECK_SET = ROOT / "validation" / "results-quiet3"
# The twin's leak: 4 MiB/s of 64 B objects kept, plus one 8 KiB chunk array per 1023 of
# them (validation/workloads.py LEAK_CHUNK_SLOTS): 4.5 MiB/s of live heap.
TWIN_LEAK = 4 * MIB * (1 + 8 * 1024 / (1023 * 64))


def _run(key: str) -> str:
    return next(CHECK_SET.glob(f"{key}-r0-*.json")).read_text()


def test_fit_leak_needs_a_clear_trend() -> None:
    flat = [(t, 50 * MIB + (0.4 if t % 2 else -0.4) * MIB) for t in range(12)]
    assert cal.fit_leak(flat, 50 * MIB) is None
    ramp = [(2.0 + t, 40 * MIB + 3 * MIB * t) for t in range(6)]
    slope, start = cal.fit_leak(ramp, 48 * MIB)
    assert slope == pytest.approx(3 * MIB) and start == pytest.approx(40 * MIB)
    assert cal.fit_leak(ramp[:3], 48 * MIB) is None  # too few cycles
    slow = [(float(t), 40 * MIB + 0.05 * MIB * t) for t in range(20)]
    assert cal.fit_leak(slow, 40 * MIB) is None  # 1 MiB over the window: under the minimum


@pytest.mark.parametrize("key", ["leak-full-p2-gogc100-limnone",
                                 "leak-full-p1-gogc50-limnone",
                                 "leak-full-p2-gogc200-limnone"])
def test_the_twins_leak_is_fitted_and_replayed(key: str) -> None:
    c = cal.calibrate(_run(key))
    assert c.fit.leak_bytes_per_s == pytest.approx(TWIN_LEAK, rel=0.05)
    steps = c.config.workload.workers[0].program.steps
    kept = [s.allocate for s in steps if s.allocate and s.allocate.lifetime.name == "FOREVER"]
    assert len(kept) == 1
    per_s = kept[0].bytes.expected() * c.config.workload.workers[0].count * 1000
    assert per_s == pytest.approx(c.fit.leak_bytes_per_s, rel=1e-6)
    assert c.simulated["cycles_per_s"] == pytest.approx(c.observed["cycles_per_s"], rel=0.10)
    assert c.simulated["goal_mib"] == pytest.approx(c.observed["goal_mib"], rel=0.10)
    assert any(r[0] == "leak" and r[1].endswith("MiB/s") for r in cal.fit_summary(c.fit))


@pytest.mark.parametrize("key", ["steady-full-p2-gogc100-limnone",
                                 "server-full-p1-gogc100-limnone",
                                 "pool-full-p2-gogc100-limnone-pooloff",
                                 "memlimit-full-p2-gogc100-lim181MiB"])
def test_a_constant_live_heap_is_no_leak(key: str) -> None:
    fit = cal.fit_trace(cal.parse_log(_run(key)))
    assert fit.leak_bytes_per_s == 0.0


def test_a_leak_under_an_unknown_memory_limit_is_not_replayed_as_one() -> None:
    fit = cal.fit_trace(cal.parse_log(_run("leak-full-p2-gogcoff-lim145MiB")))
    assert fit.leak_bytes_per_s == 0.0
    assert any("as under a memory limit" in n for n in fit.notes)
