"""simcore.simulate that also counts: each finished simulation appends one line to the file
named by $GOSIM_SIMCOUNT_FILE ("<gogc> <seed>"), so a test can tell exactly which runs were
simulated, across worker processes and server restarts. SLEEP_S of wall time per run keeps a
sweep going long enough to interrupt it."""

from __future__ import annotations

import os
import time

import simcore

SLEEP_S = float(os.environ.get("GOSIM_SIMCOUNT_SLEEP_S", "0.25"))


def simulate(cfg: simcore.SimConfig, hooks: simcore.Hooks | None = None) -> simcore.Result:
    time.sleep(SLEEP_S)
    result = simcore.simulate(cfg, hooks)
    path = os.environ.get("GOSIM_SIMCOUNT_FILE")
    if path:
        with open(path, "a") as f:
            f.write(f"{cfg.runtime.gogc} {cfg.seed}\n")
    return result
