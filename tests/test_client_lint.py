"""Lint gate for the client library and the CLI: mypy (pyproject's non-strict settings) is
clean on them. (ruff over the whole repository is tests/test_lint.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = ["clients/client.py", "clients/aio.py", "clients/results.py",
           "clients/workload_file.py", "clients/outputs.py", "clients/cli.py"]


@pytest.mark.slow
def test_mypy_clean_on_the_client_modules() -> None:
    exe = Path(sys.executable).parent / "mypy"
    if not exe.exists():
        pytest.skip(f"mypy is not installed next to {sys.executable}")
    r = subprocess.run([str(exe), *MODULES], cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
