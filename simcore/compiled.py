"""Which simcore modules run compiled (mypyc C extensions) and which are stale.

setup.py compiles the hot modules in place (simcore/<name>.*.so beside <name>.py). Python
imports the extension in preference to the source, so an extension built from an older
source would silently run old code; stale_extensions() finds those (the build tools remove
them, see tests/conftest.py and the Makefile). This module only lists names; it does no I/O.
"""

from __future__ import annotations

# Mirrors setup.py's COMPILED list (a test checks they agree).
COMPILED_MODULES = (
    "machine", "collector", "heap", "workload", "stats", "histogram", "engine", "pacer",
    "limiter", "mmu", "tracing", "sizeclasses", "timers",
)
