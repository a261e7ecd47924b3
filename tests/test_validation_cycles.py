"""validation.cycles: a twin run and gosim's simulation of it, cycle by cycle.

Runs on a committed result of the check set (validation/results-quiet3), so it needs no Go
toolchain: the leak at GOMAXPROCS=2, GOGC=off, 145 MiB limit, whose cycle rate is one of the
cells gosim misses (docs/fidelity.md).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from validation import compare, cycles  # noqa: E402

RUN = next((ROOT / "validation" / "results-quiet3").glob(
    "leak-full-p2-gogcoff-lim145MiB-r1-*.json"))


@pytest.fixture(scope="module")
def run() -> dict:
    return json.loads(RUN.read_text())


def _row(src: str, start_s: float, heap0: float = 100.0, goal: float = 110.0,
         marked: float = 50.0, cpu_ms: float = 60.0) -> cycles.Row:
    return cycles.Row(src, False, start_s, heap0, goal, marked, 30.0, cpu_ms)


def test_side_summary_counts_the_cycles_that_started_in_the_window() -> None:
    rows = [_row("go", t, heap0=100 + t) for t in (1.0, 2.0, 2.5, 4.0, 9.0)]
    s = cycles.side_summary(rows, 2.0, 9.0)
    assert s["cycles"] == 3  # 2.0, 2.5, 4.0: the window is [2, 9)
    assert s["cycles_per_s"] == pytest.approx(2 / 2.0)
    assert s["median_runway_mib"] == pytest.approx(110 - 102.5)
    assert s["median_cpu_ms_per_mib"] == pytest.approx(60 / 50)
    one = cycles.side_summary(rows, 0.0, 1.5)
    assert one["cycles"] == 1 and one["cycles_per_s"] is None
    none = cycles.side_summary(rows, 20.0, 30.0)
    assert none == {"cycles": 0, "cycles_per_s": None, "median_runway_mib": None,
                    "median_cpu_ms_per_mib": None}
    assert math.isnan(_row("go", 1.0, marked=0.0).ms_per_mib)


def test_twin_rows_are_the_gctrace_records(run: dict) -> None:
    rows = cycles.twin_rows(run)
    assert len(rows) == len(run["gctrace"])
    first, last = run["gctrace"][0], run["gctrace"][-1]
    assert rows[0].forced and first["forced"]  # the setup's runtime.GC()
    assert rows[-1].goal_mib == last["goal_mb"] and rows[-1].marked_mib == last["heap2_mb"]
    assert rows[-1].cpu_ms == pytest.approx(
        last["assist_cpu_ms"] + last["background_cpu_ms"] + last["idle_cpu_ms"])
    assert rows[-1].runway_mib == last["goal_mb"] - last["heap0_mb"]


def test_periodic_cycles_are_marked_forced() -> None:
    rec = {"start_s": 122.76, "heap0_mb": 264, "goal_mb": 528, "heap2_mb": 264,
           "mark_clock_ms": 589.0, "assist_cpu_ms": 0.0, "background_cpu_ms": 580.0,
           "idle_cpu_ms": 8.0}
    rows = cycles.twin_rows({"gctrace": [
        {**rec, "forced": False, "periodic": True},  # a "GC forced" two-minute cycle
        {**rec, "forced": True, "periodic": False},  # runtime.GC
        {**rec, "forced": False, "periodic": False}]})
    assert [r.forced for r in rows] == [True, True, False]
    assert rows[0].cpu_ms == 588.0 and rows[0].runway_mib == 264


def test_both_sides_on_one_timeline(run: dict) -> None:
    out = cycles.compare_cycles(run, t0=8.0, t1=14.0)
    rows = out["rows"]
    assert [r.start_s for r in rows] == sorted(r.start_s for r in rows)
    assert all(8.0 <= r.start_s < 14.0 for r in rows)
    go = [r for r in rows if r.src == "go"]
    sim = [r for r in rows if r.src == "gosim"]
    assert len(go) == out["go"]["cycles"] and len(sim) == out["gosim"]["cycles"]
    # gosim's rows are its simulation's cycles, as compare.py simulates the run
    _, res = compare.simulate_run(run, None, compare.availability(run))
    want = [c.start_ns / 1e9 for c in res.cycles if 8e9 <= c.start_ns < 14e9]
    assert [r.start_s for r in sim] == pytest.approx(want)
    assert out["gosim"]["cycles_per_s"] == pytest.approx(
        (len(want) - 1) / (want[-1] - want[0]))
    starts = [c["start_s"] for c in run["gctrace"] if 8.0 <= c["start_s"] < 14.0]
    assert [r.start_s for r in go] == starts
    assert out["go"]["cycles_per_s"] == pytest.approx(
        (len(starts) - 1) / (starts[-1] - starts[0]))

def test_cli_prints_the_table_and_writes_json(run: dict, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "cycles.json"
    assert cycles.main([str(RUN), "--from", "8", "--to", "14", "--json", str(dest)]) == 0
    printed = capsys.readouterr().out
    assert "runway" in printed and "cycles/s gosim vs go:" in printed
    data = json.loads(dest.read_text())
    assert data["run"] == run["name"]
    assert {r["src"] for r in data["rows"]} == {"go", "gosim"}
    assert len([ln for ln in printed.splitlines() if ln.startswith(("go ", "gosim "))]) \
        == len(data["rows"])
    for r in data["rows"]:
        assert r["runway_mib"] == pytest.approx(r["goal_mib"] - r["heap0_mib"])


@pytest.mark.parametrize("args, field", [
    (["--from", "9", "--to", "8"], "--to"),
    (["--to", "nan"], "--to"),
])
def test_cli_rejects_an_empty_window(args: list[str], field: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        cycles.main([str(RUN), *args])
    assert e.value.code == 2
    assert field in capsys.readouterr().err


def test_cli_names_the_run_it_cannot_read(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    for name, content in (("missing.json", None), ("bad.json", "{not json"),
                          ("other.json", '{"cycles": []}')):
        path = tmp_path / name
        if content is not None:
            path.write_text(content)
        with pytest.raises(SystemExit) as e:
            cycles.main([str(path)])
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert "run:" in err and name in err


def test_gosim_rows_carry_the_stranded_slots(run: dict) -> None:
    out = cycles.compare_cycles(run)
    go = [r for r in out["rows"] if r.src == "go"]
    sim = [r for r in out["rows"] if r.src == "gosim"]
    assert all(r.left_mib is None and r.margin_mib is None for r in go)
    assert all(r.left_mib is not None and r.left_mib >= 0 for r in sim)
    # this memory-limited leak sits on the regime's edge: margins either side of zero
    assert min(r.margin_mib for r in sim) < 0 < max(r.margin_mib for r in sim)
    assert any(r.left_mib > 0 for r in sim)
    # the refills' spans: a share of them free, none before the first sweep
    assert all(r.refill_free_pct is None for r in go)
    assert sim[0].refill_free_pct is None
    shares = [r.refill_free_pct for r in sim if r.refill_free_pct is not None]
    assert shares and all(0 < s <= 100 for s in shares)
    lines = cycles.text(out).splitlines()
    assert lines[1].split()[-3:] == ["left", "margin", "free%"]
    assert all(ln.split()[-3:] == ["-", "-", "-"] for ln in lines if ln.startswith("go "))
