"""gosim's model of the Go runtime: a pure simulation core (stdlib + SimPy, no I/O).

    from simcore import SimConfig, simulate
    result = simulate(SimConfig())

simulate() validates its config (raising ConfigError naming every bad field), builds its own
SimPy Environment and seeded random streams, and returns an immutable Result. The same
config and seed always give the same Result.
"""

from simcore.config import (
    GOGC_OFF,
    NO_LIMIT,
    Allocate,
    ArrivalProcess,
    BaselineHeap,
    ClosedLoop,
    Compute,
    ConfigError,
    CostModel,
    DistKind,
    Distribution,
    IOWait,
    Lifetime,
    ObjectSize,
    OpenLoop,
    PoolGet,
    PoolPut,
    Program,
    RatePoint,
    RuntimeConfig,
    SimConfig,
    Step,
    WorkerGroup,
    Workload,
    validate,
)
from simcore.hooks import Cancelled, Hooks, Progress
from simcore.results import CycleRecord, Result, TriggerKind
from simcore.version import GO_VERSION, GOSIM_VERSION


def simulate(config: SimConfig, hooks: Hooks | None = None) -> Result:
    """Run one simulation and return its Result (see simcore.engine)."""
    from simcore.engine import run

    return run(validate(config), hooks or Hooks())


__all__ = [
    "GOGC_OFF",
    "GOSIM_VERSION",
    "GO_VERSION",
    "NO_LIMIT",
    "Allocate",
    "ArrivalProcess",
    "BaselineHeap",
    "Cancelled",
    "ClosedLoop",
    "Compute",
    "ConfigError",
    "CostModel",
    "CycleRecord",
    "DistKind",
    "Distribution",
    "Hooks",
    "IOWait",
    "Lifetime",
    "ObjectSize",
    "OpenLoop",
    "PoolGet",
    "PoolPut",
    "Program",
    "Progress",
    "RatePoint",
    "Result",
    "RuntimeConfig",
    "SimConfig",
    "Step",
    "TriggerKind",
    "WorkerGroup",
    "Workload",
    "simulate",
    "validate",
]
