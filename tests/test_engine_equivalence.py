"""The engine's two optimisations change nothing: lazy completions (no event for a
goroutine's last segment when nothing can intervene) and arrival batching (no event for an
arrival that comes before any scheduled event). A run with one event per step must give a
Result equal in every field."""

from __future__ import annotations

import pytest

from simcore import (
    Allocate,
    BaselineHeap,
    ClosedLoop,
    Compute,
    Distribution,
    Hooks,
    IOWait,
    Lifetime,
    ObjectSize,
    OpenLoop,
    PoolGet,
    PoolPut,
    Program,
    RuntimeConfig,
    SimConfig,
    Step,
    Workload,
    validate,
)
from simcore.engine import run
from simcore.presets import bench_reference, web_api

MIB = 1 << 20
S = 1_000_000_000


def _req(io: int = 0, life: Lifetime = Lifetime.REQUEST, pool: bool = False) -> Program:
    steps = [Step(compute=Compute(Distribution.exponential(200_000)))]
    if pool:
        steps.append(Step(pool_get=PoolGet("buf", 32768)))
    steps.append(Step(allocate=Allocate(bytes=Distribution.constant(32768),
                                        object_sizes=(ObjectSize(64), ObjectSize(512),
                                                      ObjectSize(8)),
                                        scannable_fraction=0.5, lifetime=life)))
    if io:
        steps.append(Step(io_wait=IOWait(Distribution.exponential(io))))
    if pool:
        steps.append(Step(pool_put=PoolPut("buf")))
    return Program(steps=tuple(steps))


CASES = {
    "bench-8P": bench_reference(duration_ns=S),
    "web-api": web_api(duration_ns=S),
    "1P": SimConfig(runtime=RuntimeConfig(gomaxprocs=1),
                    workload=Workload(request=_req(), open_loop=OpenLoop(rate_per_s=2000)),
                    duration_ns=S),
    "saturated-2P": SimConfig(runtime=RuntimeConfig(gomaxprocs=2),
                              workload=Workload(request=_req(io=500_000),
                                                open_loop=OpenLoop(rate_per_s=9000)),
                              duration_ns=S),
    "closed-loop": SimConfig(runtime=RuntimeConfig(gomaxprocs=4),
                             workload=Workload(request=_req(io=2_000_000),
                                               closed_loop=ClosedLoop(50, Distribution.constant(
                                                   1_000_000))),
                             duration_ns=S // 2),
    "pool-memlimit": SimConfig(runtime=RuntimeConfig(gomaxprocs=3, gogc=-1,
                                                     gomemlimit_bytes=64 * MIB),
                               workload=Workload(request=_req(pool=True),
                                                 open_loop=OpenLoop(rate_per_s=3000),
                                                 baseline_heap=BaselineHeap(
                                                     live_bytes=32 * MIB,
                                                     churn_bytes_per_s=MIB)),
                               duration_ns=S),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_optimised_run_equals_one_event_per_step(name: str) -> None:
    cfg = validate(CASES[name].replace(trace_duration_ns=S // 4, trace_start_ns=S // 4))
    fast = run(cfg, Hooks())
    reference = run(cfg, Hooks(), one_event_per_step=True)
    assert fast.summary.requests_completed > 0
    assert fast == reference
