"""Which machine the twin's runs came from, and whether the cost model is that machine's.

runner.machine_info records the CPU with every run; compare names the machines of a set and
warns when the twin's mark CPU per cycle is far from gosim's (a machine the costs were not
fitted on). Uses the committed run sets, so it needs no Go toolchain.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from validation import compare, runner  # noqa: E402

CHECK_SET = ROOT / "validation" / "results-quiet3"
SECOND_MACHINE = ROOT / "validation" / "results-machine2"

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 26
model\t\t: 2
model name\t: AMD EPYC
stepping\t: 1
cpu MHz\t\t: 2596.120
cache size\t: 1024 KB

processor\t: 1
vendor_id\t: GenuineIntel
model name\t: not the first processor
"""


def test_machine_info_reads_the_first_processor() -> None:
    m = runner.machine_info(CPUINFO)
    assert m["vendor_id"] == "AuthenticAMD" and m["model_name"] == "AMD EPYC"
    assert (m["cpu_family"], m["model"], m["stepping"]) == ("26", "2", "1")
    assert m["cpu_mhz"] == pytest.approx(2596.12)
    assert "cache_size" not in m
    assert m["ncpu"] >= 1 and m["kernel"]
    # no /proc/cpuinfo (another OS): the kernel and the CPU count only
    assert set(runner.machine_info("")) == {"kernel", "ncpu"}
    # this machine's own record has at least those
    assert {"kernel", "ncpu"} <= set(runner.machine_info())


def test_machine_labels_and_summary() -> None:
    rec = runner.machine_info(CPUINFO)
    label = compare.machine_label(rec)
    assert label.startswith("AMD EPYC family 26 model 2 stepping 1, ")
    assert f"{rec['ncpu']} CPUs" in label and rec["kernel"] in label
    assert compare.machine_label(None) == "not recorded"
    assert compare.machine_label({}) == "not recorded"
    runs = [{"machine": rec}, {"machine": rec}, {}]
    assert compare.machine_summary(runs) == {label: 2, "not recorded": 1}


def test_measured_mark_cpu_per_cycle_is_the_windows_median() -> None:
    (run,) = compare.load_runs([str(sorted(CHECK_SET.glob(
        "steady-full-p2-gogc100-lim114MiB-r0-*.json"))[0])])
    prog = run["program"]
    ws, we = prog["t_window_start_s"], prog["t_window_end_s"]
    per = [(r["assist_cpu_ms"] + r["background_cpu_ms"] + r["idle_cpu_ms"]) / 1e3
           for r in run["gctrace"] if ws <= r["end_s"] < we]
    assert len(per) > 20
    fig = compare.measured_figures(run)
    assert fig["mark_cpu_per_cycle_s"] == statistics.median(per)


def _result(measured: float | None, simulated: float | None) -> compare.GroupResult:
    return compare.GroupResult("k", [], {"mark_cpu_per_cycle_s": measured},
                               {"mark_cpu_per_cycle_s": simulated}, [], None, 0.0)


def test_mark_speed_median_and_band() -> None:
    assert compare.mark_speed([]) is None
    assert compare.mark_speed([_result(None, 1.0), _result(1.0, 0.0)]) is None
    ms = compare.mark_speed([_result(1.0, 1.0), _result(0.9, 1.0), _result(1.2, 1.0),
                             _result(None, 1.0)])
    assert ms == {"median": 1.0, "min": 0.9, "max": 1.2, "configurations": 3,
                  "outside_band": False}
    lo, hi = compare.MARK_RATIO_BAND
    fast = compare.mark_speed([_result(0.35, 1.0), _result(0.4, 1.0)])
    assert fast is not None and fast["outside_band"] and fast["median"] < lo
    slow = compare.mark_speed([_result(hi * 1.1, 1.0)])
    assert slow is not None and slow["outside_band"]
    lines = compare.machine_report([_result(0.35, 1.0)], [{}])
    assert lines[0] == "machines: not recorded (1 runs)"
    assert lines[1].startswith("mark CPU per cycle, twin / gosim: median 0.35")
    assert lines[2].startswith("WARNING: outside") and "calibrate_costs" in lines[2]
    two = compare.machine_report([], [{"machine": runner.machine_info(CPUINFO)},
                                      {"machine": {"model_name": "other", "ncpu": 2}}])
    assert any(line.startswith("WARNING: these runs come from more than one machine")
               for line in two)


def test_the_check_set_marks_at_the_cost_models_speed() -> None:
    """The cost model was fitted on the tables' machine: its runs sit inside the band."""
    groups = compare.group_runs(compare.load_runs([str(CHECK_SET)]))
    keys = ["steady-full-p2-gogc100-lim114MiB", "server-full-p2-gogc100-limnone",
            "leak-full-p1-gogc100-limnone"]
    results = [compare.compare_group(k, groups[k], seeds=1) for k in keys]
    ms = compare.mark_speed(results)
    assert ms is not None and ms["configurations"] == 3 and not ms["outside_band"], ms


@pytest.mark.skipif(not SECOND_MACHINE.is_dir(), reason="no second-machine run set")
def test_a_second_machine_is_named_and_flagged(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs from a machine that marks ~3x faster: compare says so after its table."""
    paths = [str(p) for p in sorted(SECOND_MACHINE.glob("steady-full-p2-gogc100-lim*.json"))]
    assert paths
    assert compare.main([*paths, "--seeds", "1"]) == 0
    out = capsys.readouterr().out
    assert "machines: AMD EPYC family 26" in out
    assert "WARNING: outside" in out
    # the costs refitted on that machine's runs (validation/cost_fit_machine2.json) fit it
    fit = ROOT / "validation" / "cost_fit_machine2.json"
    assert compare.main([*paths, "--seeds", "1", "--cost", str(fit)]) == 0
    out = capsys.readouterr().out
    assert "mark CPU per cycle, twin / gosim: median" in out
    assert "WARNING" not in out
