"""The README's main job (`make demo`, i.e. `python -m clients.demo`) starts a local server,
runs the example through it, prints the histograms and stops the server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent


def test_demo_runs_through_a_local_server() -> None:
    r = subprocess.run([sys.executable, "-m", "clients.demo"], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "local server on 127.0.0.1:" in out
    assert "server stopped" in out
    assert "request latency" in out and "GC pauses" in out
