"""Built-in workloads: the embedded defaults used by the demo, the benchmark and tests.

Each returns a SimConfig; pass keyword overrides for the runtime knobs. The YAML examples
under examples/ describe the same workloads for users.
"""

from __future__ import annotations

from simcore.config import (
    KIB,
    MIB,
    SECOND,
    Allocate,
    BaselineHeap,
    Compute,
    Distribution,
    IOWait,
    ObjectSize,
    OpenLoop,
    Program,
    RuntimeConfig,
    SimConfig,
    Step,
    Workload,
)


def web_api(gomaxprocs: int = 4, gogc: int = 100, rate_per_s: float = 4000.0,
            duration_ns: int = 10 * SECOND, seed: int = 1) -> SimConfig:
    """A JSON API: decode, a downstream call, encode; a 256 MiB in-memory cache."""
    request = Program(steps=(
        Step(compute=Compute(Distribution.lognormal(median=150_000, sigma=0.5))),
        Step(allocate=Allocate(
            bytes=Distribution.lognormal(median=24 * KIB, sigma=0.6),
            object_sizes=(ObjectSize(16, 3), ObjectSize(48, 4), ObjectSize(256, 2),
                          ObjectSize(4096, 1)),
            scannable_fraction=0.6)),
        Step(io_wait=IOWait(Distribution.lognormal(median=2_000_000, sigma=0.4))),
        Step(compute=Compute(Distribution.lognormal(median=100_000, sigma=0.5))),
        Step(allocate=Allocate(bytes=Distribution.constant(8 * KIB),
                               object_sizes=(ObjectSize(8192),), scannable_fraction=0.0)),
    ), stack_bytes=8 * KIB)
    return SimConfig(
        runtime=RuntimeConfig(gomaxprocs=gomaxprocs, gogc=gogc),
        workload=Workload(
            name="web-api", request=request, open_loop=OpenLoop(rate_per_s=rate_per_s),
            baseline_heap=BaselineHeap(live_bytes=256 * MIB, object_bytes=512,
                                       scannable_fraction=0.7, churn_bytes_per_s=2 * MIB),
            idle_goroutines=200, globals_bytes=2 * MIB),
        duration_ns=duration_ns, seed=seed)


def bench_reference(gomaxprocs: int = 8, duration_ns: int = 600 * SECOND) -> SimConfig:
    """The speed benchmark of issue 3: 8 Ps, Poisson 10k req/s, 0.5 ms compute, 64 KiB in
    32 objects (60 % scannable) per request, 512 MiB live heap, GOGC=100."""
    request = Program(steps=(
        Step(compute=Compute(Distribution.exponential(500_000))),
        Step(allocate=Allocate(bytes=Distribution.constant(64 * KIB),
                               object_sizes=(ObjectSize(2048),), scannable_fraction=0.6)),
    ))
    return SimConfig(
        runtime=RuntimeConfig(gomaxprocs=gomaxprocs, gogc=100),
        workload=Workload(name="bench-reference", request=request,
                          open_loop=OpenLoop(rate_per_s=10_000),
                          baseline_heap=BaselineHeap(live_bytes=512 * MIB)),
        duration_ns=duration_ns, seed=1)
