"""Sweep benchmark: throughput with 2 workers vs 1, and the per-task overhead of Dask vs the
local process pool.

    python bench/bench_sweep.py            # the full benchmark (~1-2 minutes on 2 cores)
    python bench/bench_sweep.py --quick    # smaller, for a smoke test

1. Throughput. The same sweep (a small API service, GOGC x GOMAXPROCS, replications) runs on a
   local pool of 1 worker and of 2 workers, side by side in one process, alternating
   1, 2, 1, 2, 1, 2 (best of 3 each) so both see the same machine state; each pool is
   started and warmed up (one task per worker) before it is timed. Reported: simulations
   per second for each, and the ratio (the target on a 2-core machine is >= 1.8x).
2. Per-task overhead. No-op tasks (server/sweep/work.py: noop_batch) measure what an engine
   costs per task apart from the simulation: submitted all at once (throughput: wall / tasks)
   and one at a time (latency: submit -> result), on the local pool (2 workers) and on a Dask
   LocalCluster (2 worker processes, 1 thread each, over TCP, like a real cluster). Then tiny
   simulations with one per task vs the runner's automatic batching on Dask, showing what
   batching hides.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gosim.v1 import config_pb2, sweep_pb2  # noqa: E402
from server.sweep import engine as enginemod  # noqa: E402
from server.sweep import spec as specmod  # noqa: E402
from server.sweep import work  # noqa: E402
from server.sweep.runner import SweepRunner  # noqa: E402


def base_config(duration_s: float, rate: float) -> config_pb2.SimConfig:
    c = config_pb2.SimConfig(duration_ns=int(duration_s * 1e9), seed=1)
    w = c.workload
    w.open_loop.rate_per_s = rate
    comp = w.request.steps.add().compute.duration_ns
    comp.kind, comp.median, comp.sigma = config_pb2.DIST_KIND_LOGNORMAL, 250_000, 0.5
    alloc = w.request.steps.add().allocate
    alloc.bytes.kind, alloc.bytes.median, alloc.bytes.sigma = \
        config_pb2.DIST_KIND_LOGNORMAL, 32768, 0.5
    alloc.object_sizes.add(size_bytes=64, weight=3)
    alloc.object_sizes.add(size_bytes=1024, weight=1)
    io = w.request.steps.add().io_wait.duration_ns
    io.kind, io.value = config_pb2.DIST_KIND_CONSTANT, 2_000_000
    w.baseline_heap.live_bytes = 64 << 20
    w.baseline_heap.churn_bytes_per_s = 1 << 20
    return c


def sweep_spec(duration_s: float, rate: float, reps: int) -> sweep_pb2.SweepSpec:
    s = sweep_pb2.SweepSpec(replications=reps, seed=7)
    s.base.CopyFrom(base_config(duration_s, rate))
    g = s.axes.add(path="runtime.gogc")
    for v in (50, 100, 200, 400):
        g.values.values.add(int_value=v)
    p = s.axes.add(path="runtime.gomaxprocs")
    for v in (1, 2, 4):
        p.values.values.add(int_value=v)
    return s


def warm(engine: enginemod.Engine) -> None:
    futs = [engine.submit(work.noop_batch, i) for i in range(engine.slots * 2)]
    cf.wait(futs)


def timed_sweep(engine: enginemod.Engine, exp: specmod.Expansion) -> float:
    t0 = time.perf_counter()
    SweepRunner(engine).run(exp.points, exp.seeds, lambda p: None)
    return time.perf_counter() - t0


def throughput(quick: bool) -> None:
    spec = sweep_spec(duration_s=0.5 if quick else 2.0, rate=1500, reps=2 if quick else 3)
    exp = specmod.expand(spec)
    print(f"1. throughput: {len(exp.points)} points x {exp.replications} replications = "
          f"{exp.total_runs} simulations per sweep; {os.cpu_count()} cores")
    one, two = enginemod.local_engine(1), enginemod.local_engine(2)
    try:
        warm(one)
        warm(two)
        times: dict[int, list[float]] = {1: [], 2: []}
        rounds = 1 if quick else 3
        for _ in range(rounds):
            for n, eng in ((1, one), (2, two)):
                times[n].append(timed_sweep(eng, exp))
    finally:
        one.close()
        two.close()
    t1, t2 = min(times[1]), min(times[2])
    print(f"   1 worker : {t1:6.2f} s  {exp.total_runs / t1:7.2f} simulations/s  "
          f"(runs: {', '.join(f'{t:.2f}' for t in times[1])} s)")
    print(f"   2 workers: {t2:6.2f} s  {exp.total_runs / t2:7.2f} simulations/s  "
          f"(runs: {', '.join(f'{t:.2f}' for t in times[2])} s)")
    print(f"   speed-up 2 vs 1 workers: {t1 / t2:.2f}x (target >= 1.8x)")


def overhead_of(engine: enginemod.Engine, n: int) -> tuple[float, float]:
    """(throughput overhead per task, round-trip latency per task) in milliseconds."""
    warm(engine)
    t0 = time.perf_counter()
    cf.wait([engine.submit(work.noop_batch, i) for i in range(n)])
    bulk = (time.perf_counter() - t0) / n * 1e3
    lat = []
    for i in range(max(20, n // 10)):
        t = time.perf_counter()
        engine.submit(work.noop_batch, i).result()
        lat.append((time.perf_counter() - t) * 1e3)
    return bulk, statistics.median(lat)


def overhead(quick: bool) -> None:
    n = 200 if quick else 1000
    print(f"2. per-task overhead ({n} no-op tasks; 2 workers each)")
    local = enginemod.local_engine(2)
    try:
        lb, ll = overhead_of(local, n)
    finally:
        local.close()
    try:
        import distributed
    except ImportError:
        print("   Dask: not installed (pip install 'gosim[cluster]')")
        return
    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)
    local_cluster: Any = distributed.LocalCluster
    cluster = local_cluster(n_workers=2, threads_per_worker=1, processes=True,
                                       protocol="tcp", host="127.0.0.1",
                                       dashboard_address=None, silence_logs=logging.ERROR)
    try:
        dask = enginemod.dask_engine(cluster.scheduler_address)
        try:
            db, dl = overhead_of(dask, n)
            tiny = specmod.expand(sweep_spec(duration_s=0.02, rate=500, reps=4))
            runs = tiny.total_runs
            t0 = time.perf_counter()
            SweepRunner(dask, batch_size=1).run(tiny.points, tiny.seeds, lambda p: None)
            one_each = time.perf_counter() - t0
            runner = SweepRunner(dask)
            batches = len(runner.batches(tiny.points, tiny.seeds))
            t0 = time.perf_counter()
            runner.run(tiny.points, tiny.seeds, lambda p: None)
            batched = time.perf_counter() - t0
        finally:
            dask.close()
    finally:
        cluster.close()
    print(f"   local pool: {lb:6.3f} ms/task submitted in bulk, {ll:6.3f} ms round trip")
    print(f"   Dask      : {db:6.3f} ms/task submitted in bulk, {dl:6.3f} ms round trip")
    print(f"   Dask / local: {db / lb:.1f}x in bulk, {dl / ll:.1f}x round trip; Dask adds "
          f"{db - lb:.3f} ms per task in bulk")
    print(f"3. batching on Dask: {runs} tiny simulations (20 ms simulated each)")
    print(f"   one per task   : {one_each:6.2f} s ({runs} tasks)")
    print(f"   auto batching  : {batched:6.2f} s ({batches} tasks)  -> "
          f"{one_each / batched:.2f}x faster")


def busy_cores(seconds: float = 1.0) -> float:
    """Cores kept busy by other processes over `seconds` (from /proc/stat; -1 if unknown)."""
    def snap() -> tuple[int, int]:
        with open("/proc/stat") as f:
            vals = [int(x) for x in f.readline().split()[1:]]
        idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
        return sum(vals), idle
    try:
        t0, i0 = snap()
        time.sleep(seconds)
        t1, i1 = snap()
    except OSError:
        return -1.0
    cores = os.cpu_count() or 1
    return cores * (1 - (i1 - i0) / max(1, t1 - t0))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smaller run (smoke test)")
    ns = ap.parse_args(argv)
    other = busy_cores()
    print(f"machine: {os.cpu_count()} cores, {other:.2f} cores busy with other work before "
          f"the benchmark (a 2-worker speed-up needs both cores free)")
    throughput(ns.quick)
    overhead(ns.quick)
    print(f"machine: {busy_cores():.2f} cores busy with other work after the benchmark")
    return 0


if __name__ == "__main__":
    sys.exit(main())
