"""The Node.js client (clients/node/simulate.js) against a real `gosim serve --port 0` process.

The client loads proto/gosim/v1/*.proto at run time with @grpc/proto-loader and calls Simulate
with @grpc/grpc-js. `npm ci` installs its dependencies from the lock file when node_modules is
missing (that needs the npm registry). Skipped only when `node` is not installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from clients.workload_file import load_workload
from simcore import simulate

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "clients" / "node"
NODE = shutil.which("node")
LINE = re.compile(r"gosim serving on (\S+):(\d+)")


def gosim_command() -> list[str]:
    script = Path(sys.executable).parent / "gosim"
    return [str(script)] if script.exists() else [sys.executable, "-m", "clients.cli"]


@pytest.fixture(scope="module")
def node_client() -> Path:
    if NODE is None:
        pytest.skip("node is not installed (the Node.js client needs Node.js 18 or newer)")
    if not (NODE_DIR / "node_modules" / "@grpc" / "grpc-js").is_dir():
        npm = shutil.which("npm")
        assert npm is not None, "node is installed but npm is not: cannot install the client"
        r = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR,
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, f"npm ci failed:\n{r.stdout}\n{r.stderr}"
    return NODE_DIR / "simulate.js"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = dict(os.environ)
    env.pop("GOSIM_TOKEN", None)
    proc = subprocess.Popen(
        [*gosim_command(), "serve", "--port", "0", "--workers", "1", "--grace", "2",
         "--data-dir", str(tmp_path_factory.mktemp("node-data"))],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    found: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            m = LINE.search(line)
            if m:
                found.append(f"127.0.0.1:{m.group(2)}")
                return

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(60)
    try:
        assert found, "gosim serve did not print its port"
        yield found[0]
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def run_node(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run([NODE, str(script), *args], cwd=NODE_DIR, capture_output=True,
                          text=True, timeout=300)


def test_node_client_simulates_an_example_with_both_histograms(node_client: Path,
                                                                server: str) -> None:
    example = ROOT / "examples" / "web-api.yaml"
    r = run_node(node_client, "--address", server, str(example), "--duration-ns", "2000000000")
    assert r.returncode == 0, r.stdout + r.stderr
    latency = re.search(r"latency histogram: count (\d+), (\d+) non-empty", r.stdout)
    pauses = re.search(r"pauses histogram: count (\d+), (\d+) non-empty", r.stdout)
    assert latency and pauses, r.stdout
    assert int(latency.group(1)) > 0 and int(latency.group(2)) > 0
    assert int(pauses.group(1)) > 0 and int(pauses.group(2)) > 0
    # The same config and seed give the same numbers as the Python engine in this process.
    expected = simulate(load_workload(example, ["duration_ns=2000000000"]))
    assert int(latency.group(1)) == expected.latency.count
    assert int(pauses.group(1)) == expected.pauses.count


def test_node_client_built_in_config(node_client: Path, server: str) -> None:
    r = run_node(node_client, "--address", server)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "latency histogram: count" in r.stdout and "pauses histogram: count" in r.stdout


def test_node_client_reports_invalid_argument(node_client: Path, server: str,
                                              tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"runtime": {"gomaxprocs": 0}, "duration_ns": 1000000000}')
    r = run_node(node_client, "--address", server, str(bad))
    assert r.returncode == 3, r.stdout + r.stderr
    assert "INVALID_ARGUMENT" in r.stderr and "config.runtime.gomaxprocs" in r.stderr
