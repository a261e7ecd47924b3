"""The committed generated code in gosim/v1/ is exactly what scripts/gen_proto.py makes now."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_proto.py"), "--out",
                        str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    fresh_dir = tmp_path / "gosim" / "v1"
    committed_dir = ROOT / "gosim" / "v1"
    fresh = {p.name for p in fresh_dir.iterdir() if p.suffix in (".py", ".pyi")}
    committed = {p.name for p in committed_dir.iterdir() if p.suffix in (".py", ".pyi")}
    assert fresh == committed, (
        f"generated files differ: missing {sorted(fresh - committed)}, "
        f"stale {sorted(committed - fresh)}; run python scripts/gen_proto.py")
    _, mismatch, errors = filecmp.cmpfiles(fresh_dir, committed_dir, sorted(fresh), shallow=False)
    assert not mismatch and not errors, (
        f"out of date: {mismatch + errors}; run python scripts/gen_proto.py")
