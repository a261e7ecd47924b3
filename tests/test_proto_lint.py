"""The API passes `buf lint` with buf's default (STANDARD) rules (buf.yaml at the repo root)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _buf() -> str:
    # buf comes from the buf-bin package, installed next to the interpreter (.venv/bin/buf).
    here = Path(sys.executable).parent / "buf"
    if here.exists():
        return str(here)
    found = shutil.which("buf")
    if found is None:
        pytest.fail("buf not found: pip install buf-bin (it is in the dev extra)")
    return found


def test_buf_lint_passes() -> None:
    r = subprocess.run([_buf(), "lint"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"buf lint failed:\n{r.stdout}\n{r.stderr}"


def test_buf_sees_every_proto() -> None:
    r = subprocess.run([_buf(), "ls-files"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    listed = {Path(line).name for line in r.stdout.split()}
    on_disk = {p.name for p in (ROOT / "proto" / "gosim" / "v1").glob("*.proto")}
    assert on_disk and listed == on_disk


def test_every_proto_element_is_documented() -> None:
    """buf's COMMENTS rules on top of the default ones: every message, field, enum, enum value,
    service and RPC has a comment (the field comments give the units)."""
    config = ('{"version":"v2","modules":[{"path":"proto"}],'
              '"lint":{"use":["STANDARD","COMMENTS"]}}')
    r = subprocess.run([_buf(), "lint", "--config", config], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, f"undocumented proto elements:\n{r.stdout}\n{r.stderr}"
