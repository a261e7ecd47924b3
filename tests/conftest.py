"""Test-session setup.

Compiled extensions (see setup.py) shadow their .py sources. An extension built from a
source that has changed since (its hash differs from simcore/.compiled-sources.json, which
the build writes) is stale: it is removed here, with a warning, so the tests run the current
source (interpreted: same results, slower). `make test` rebuilds first, so CI always tests
the compiled build.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import pytest

from simcore.compiled import COMPILED_MODULES

ROOT = Path(__file__).resolve().parent.parent
SIMCORE = ROOT / "simcore"


def _remove_stale_extensions() -> None:
    """If any compiled module is stale, remove every extension and mypyc's shared library:
    the twelve modules share one library, so removing one shim would leave the old code of
    that module registered there."""
    record = SIMCORE / ".compiled-sources.json"
    built = json.loads(record.read_text()) if record.exists() else {}
    stale = []
    for name in COMPILED_MODULES:
        src = SIMCORE / f"{name}.py"
        digest = hashlib.sha256(src.read_bytes()).hexdigest()
        if list(SIMCORE.glob(f"{name}.*.so")) and built.get(f"simcore/{name}.py") != digest:
            stale.append(src.name)
    if stale:
        for ext in [*SIMCORE.glob("*.so"), *ROOT.glob("*__mypyc*.so")]:
            ext.unlink()
        warnings.warn(f"removed the compiled build: {', '.join(stale)} changed after it was "
                      "built (run `make build` to recompile)", stacklevel=1)


_remove_stale_extensions()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/*.json from the current code")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
