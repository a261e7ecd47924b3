"""The GC CPU limiter in a death spiral, gosim against three runs of the Go twin.

The scenario: GOMAXPROCS=1, GOGC=off, GOMEMLIMIT=26 MiB over a 16 MiB cache, 4000 requests/s
(Poisson), each computing 20 us and allocating 64 KiB in 1 KiB objects that it holds until
it ends. The limit leaves a few MiB of room, so the GC runs back to back and its assists
take most of the P; the limiter's bucket (one CPU-second) fills after about a second and
the requests fall behind (both sides end with seconds of backlog).

validation/testdata/server-p1-gogcoff-lim26-spiral-{1,2,3}: gosimtwin built by go1.27.3
(linux/amd64, 2 vCPUs), run with validation.runner's environment and flags (see the
.spec.json files). What real Go does there, from 2 to 4 s after the setup:

    run  GC CPU  cycles/s  largest "MB stacks"  /gc/limiter/last-enabled
    1    0.641   38.0      0                    cycle 326
    2    0.647   25.5      3                    cycle 298
    3    0.652   36.5      3                    cycle 282

The limiter holds GC CPU near 0.65 at one P, not at the 0.5 its design targets: Go
updates it only at scheduling points and at the end of each assist, and once it turns off
the assists repay the debt left while it was on. gosim did the same before this test
existed (0.63 in a scenario with the old mutator costs; that test was an xfail asking
whether real Go stays under 0.55 — it does not).

GC CPU is measured the same way on both sides: the CPU of the cycles that start in the
window (both STW pauses, assists, dedicated and fractional marking; idle marking left out,
as gctrace's U% and gosim's gc_cpu_fraction do), over the window's length.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simcore import simulate  # noqa: E402
from simcore.config import MS, SECOND  # noqa: E402
from simcore.results import Result  # noqa: E402
from validation import runner, workloads  # noqa: E402

TESTDATA = ROOT / "validation" / "testdata"
RUNS = tuple(f"server-p1-gogcoff-lim26-spiral-{i}" for i in (1, 2, 3))
WINDOW_S = (2.0, 4.0)  # seconds after the setup; the limiter is on by 1.2-1.6 s on both sides


def twin_window(run: dict[str, Any]) -> tuple[float, float, int]:
    """(GC CPU fraction, cycles per second, the largest gctrace "MB stacks") over WINDOW_S."""
    t0 = run["program"]["t_run_start_s"]
    lo, hi = WINDOW_S
    cycles = [r for r in run["gctrace"] if lo <= r["start_s"] - t0 < hi]
    cpu_ms = sum(r["stw1_cpu_ms"] + r["assist_cpu_ms"] + r["background_cpu_ms"]
                 + r["stw2_cpu_ms"] for r in cycles)
    return (cpu_ms / 1e3 / (hi - lo), len(cycles) / (hi - lo),
            max(r["stacks_mb"] for r in run["gctrace"]))


def gosim_window(r: Result) -> tuple[float, float, int]:
    """twin_window's figures from gosim's cycle log (stacks as gctrace prints them, MB)."""
    lo, hi = (round(s * SECOND) for s in WINDOW_S)
    cycles = [c for c in r.cycles if lo <= c.start_ns < hi]
    cpu_ns = sum(c.stw_sweep_term_cpu_ns + c.assist_cpu_ns + c.dedicated_cpu_ns
                 + c.fractional_cpu_ns + c.stw_mark_term_cpu_ns for c in cycles)
    return (cpu_ns / (hi - lo), len(cycles) / ((hi - lo) / SECOND),
            max(c.stacks_bytes >> 20 for c in r.cycles))


@pytest.fixture(scope="module")
def twin() -> list[dict[str, Any]]:
    return [runner.load_capture(TESTDATA, n) for n in RUNS]


@pytest.fixture(scope="module")
def sim(twin: list[dict[str, Any]]) -> Result:
    cfg = workloads.for_run(twin[0]).replace(sample_interval_ns=50 * MS)
    return simulate(cfg)


def test_the_captures_are_the_scenario(twin: list[dict[str, Any]]) -> None:
    for run in twin:
        spec = run["spec"]
        assert (spec["gomaxprocs"], spec["gogc"], spec["gomemlimit_bytes"]) == (1, "off", 26 << 20)
        assert run["gctrace_unparsed"] == [] and run["stderr_other"] == []
        # The limiter was on, late in the run (a cycle number, 0 if never).
        assert run["program"]["end_metrics"]["/gc/limiter/last-enabled:gc-cycle"] > 200
        server = run["program"]["server"]
        assert server["latency"]["p50_ns"] > 1 * SECOND  # overloaded: seconds of backlog


def test_limiter_engages_in_both(sim: Result) -> None:
    on = [c for c in sim.cycles if c.limiter_enabled]
    assert on, "gosim's limiter never turned on"
    assert 0.8 * SECOND < on[0].start_ns < 1.8 * SECOND
    # Before it, the GC takes ~0.9 of the P (the twin's cycles: 0.86-0.89).
    before = [f for t, f in zip(sim.series.t_ns, sim.series.gc_cpu_fraction, strict=True)
              if 200 * MS < t <= on[0].start_ns]
    assert statistics.fmean(before) > 0.8


def test_gc_cpu_while_limiting_is_the_twins(twin: list[dict[str, Any]], sim: Result) -> None:
    measured = statistics.median(twin_window(r)[0] for r in twin)
    simulated = gosim_window(sim)[0]
    assert 0.6 < measured < 0.7  # the captures: 0.641, 0.647, 0.652
    assert simulated == pytest.approx(measured, abs=0.05)


def test_backlog_holds_no_phantom_stacks(twin: list[dict[str, Any]], sim: Result) -> None:
    """The backlog is goroutines created but not yet run: each holds a 2 KiB stack with a
    32 B frame on it, which is all the GC scans of it (gctrace: 0-3 MB of stacks with
    thousands waiting). gosim charged each its program's whole stack from creation until
    "Problems found" 22: 8-10 MB of stacks here, cycles 2.3x longer than the twin's."""
    largest = max(twin_window(r)[2] for r in twin)
    assert largest <= 3
    assert gosim_window(sim)[2] <= largest


def test_cycle_rate_within_the_twins_spread(twin: list[dict[str, Any]], sim: Result) -> None:
    rates = [twin_window(r)[1] for r in twin]
    assert min(rates) > 20  # 38.0, 25.5, 36.5: the twin's own runs differ this much
    assert 0.9 * min(rates) <= gosim_window(sim)[1] <= 1.1 * max(rates)
