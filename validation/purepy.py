"""Run simcore from its current sources when a compiled build is stale.

setup.py compiles simcore's hot modules with mypyc into ONE shared library
(`<hash>__mypyc.cpython-*.so` at the repository root) plus a small shim per module
(simcore/<name>.cpython-*.so). Importing any compiled module (say simcore.engine) loads the
shared library, which registers *its own* copy of every module of the group in
sys.modules, whether or not that module's shim is still there. So when one source (e.g.
simcore/collector.py) changed after the build, deleting its shim is not enough: importing
simcore.engine still brings back the old, compiled collector.

use_current_sources() checks every compiled module's source against the hashes the build
recorded (simcore/.compiled-sources.json). If any differs, it installs an import hook that
loads every compiled-group module from its .py file, so the whole simulator runs the
current code (interpreted: identical results, about 3x slower). It must run before any of
them is imported; if one already was (imported from a stale build), it raises, and the
caller should simulate in a fresh process (validation.compare does).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIMCORE = ROOT / "simcore"
# Mirrors simcore.compiled.COMPILED_MODULES (read here without importing simcore).
COMPILED = ("machine", "collector", "heap", "workload", "stats", "histogram", "engine",
            "pacer", "limiter", "mmu", "tracing", "sizeclasses")


def stale_modules() -> list[str]:
    """Compiled-group modules whose source differs from what was compiled (or that have no
    record). Empty when there is no compiled build at all."""
    if not any(SIMCORE.glob("*.so")) and not any(ROOT.glob("*__mypyc*.so")):
        return []
    rec = SIMCORE / ".compiled-sources.json"
    built = json.loads(rec.read_text()) if rec.exists() else {}
    out = []
    for name in COMPILED:
        src = SIMCORE / f"{name}.py"
        digest = hashlib.sha256(src.read_bytes()).hexdigest()
        if built.get(f"simcore/{name}.py") != digest:
            out.append(name)
    return out


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Finds simcore.<compiled module> as its .py source."""

    def find_spec(self, fullname, path=None, target=None):  # type: ignore[no-untyped-def]
        pkg, _, name = fullname.partition(".")
        if pkg != "simcore" or name not in COMPILED:
            return None
        return importlib.util.spec_from_file_location(fullname, SIMCORE / f"{name}.py")


_installed = False


def compiled_loaded() -> list[str]:
    """simcore modules already imported from a compiled extension."""
    out = []
    for name in COMPILED:
        mod = sys.modules.get(f"simcore.{name}")
        if mod is not None and not str(getattr(mod, "__file__", "")).endswith(".py"):
            out.append(name)
    return out


def use_current_sources(force: bool = False, strict: bool = True) -> list[str]:
    """Make simcore run its current sources (see the module docstring). Returns the stale
    modules found (empty: the compiled build is current and is used, unless force).

    If a compiled module was already imported, this process cannot switch: strict raises
    RuntimeError, otherwise a warning is issued and the (stale) compiled code keeps running
    (simcore_is_current() then says False)."""
    global _installed
    stale = stale_modules()
    if not stale and not force:
        return []
    if not _installed:
        loaded = compiled_loaded()
        if loaded:
            msg = (f"simcore modules {loaded} were already imported from a stale compiled "
                   f"build (stale sources: {stale}); simulate in a fresh process or run "
                   "`make build`")
            if strict:
                raise RuntimeError(msg)
            import warnings

            warnings.warn(msg, stacklevel=2)
            return stale
        sys.meta_path.insert(0, _SourceFinder())
        _installed = True
    return stale or ["(forced)"]


def simcore_is_current() -> bool:
    """Whether the simcore now imported runs the current sources."""
    return not stale_modules() or (_installed and not compiled_loaded())
