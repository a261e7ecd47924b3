"""The compiled build: mypyc extensions must give exactly the interpreted results.

The simulator's hot modules are compiled by setup.py. These tests check that the list of
compiled modules matches setup.py, that a build in this checkout is actually in use (unless
GOSIM_PURE_PYTHON=1), and that a run with the extensions equals, field for field, a run of
the same source interpreted (a copy of simcore/ without the extensions, in a subprocess).
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simcore.compiled import COMPILED_MODULES

ROOT = Path(__file__).resolve().parent.parent

DIGEST = (
    "import hashlib, sys\n"
    "from simcore import simulate\n"
    "from simcore.presets import web_api\n"
    "r = simulate(web_api(duration_ns=1_500_000_000, rate_per_s=3000))\n"
    "import simcore.machine as m\n"
    "print(m.__file__)\n"
    "print(hashlib.sha256(repr(r).encode()).hexdigest())\n"
)


def test_compiled_list_matches_setup_py() -> None:
    listed = re.findall(r'"simcore/(\w+)\.py"', (ROOT / "setup.py").read_text())
    assert tuple(listed) == COMPILED_MODULES


def _compiled_in_use() -> list[str]:
    return [n for n in COMPILED_MODULES
            if importlib.import_module(f"simcore.{n}").__file__.endswith(".so")]  # type: ignore


@pytest.mark.skipif(os.environ.get("GOSIM_PURE_PYTHON") == "1", reason="pure-Python build")
def test_compiled_modules_are_in_use() -> None:
    if not list((ROOT / "simcore").glob("*.so")):
        pytest.skip("no compiled extensions in this checkout (run `make build`)")
    assert _compiled_in_use() == list(COMPILED_MODULES)


def test_compiled_equals_interpreted(tmp_path: Path) -> None:
    if not _compiled_in_use():
        pytest.skip("nothing compiled to compare with")
    pure = tmp_path / "pure"
    shutil.copytree(ROOT / "simcore", pure / "simcore",
                    ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    outs = []
    for path in (ROOT, pure):
        env = {**os.environ, "PYTHONPATH": str(path)}
        r = subprocess.run([sys.executable, "-c", DIGEST], capture_output=True, text=True,
                           env=env, cwd=tmp_path, check=True)
        outs.append(r.stdout.split())
    assert outs[0][0].endswith(".so") and outs[1][0].endswith(".py")
    assert outs[0][1] == outs[1][1]
