"""Speed and memory of the simulation core, measured side by side in one run.

    python bench/bench_engine.py                 # the full reference run (600 simulated s)
    python bench/bench_engine.py --duration 60   # shorter, for a quick look

What it measures (issue 3's benchmark):
1. The reference workload (simcore.presets.bench_reference: 8 Ps, Poisson 10k req/s, 0.5 ms
   compute and 64 KiB in 32 objects per request, 512 MiB live heap, GOGC=100): CPU seconds,
   simulated requests per CPU second, and peak RSS of the process.
2. A plain SimPy M/M/8 queue (simpy.Resource, one process per request) with the same
   arrivals and service times and no GC: requests per CPU second. The ratio gosim / SimPy is
   printed (target >= 1.5).
3. Cost per request at 1, 8 and 64 Ps, with the rate scaled so each P has the same load
   (it should stay flat).
4. Peak RSS at two durations (it should not grow with the simulated duration).

Each measurement runs in its own child process (CPU time from time.process_time, peak RSS
from getrusage), so they do not disturb each other; the machine is shared and noisy, so the
load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child_gosim(duration_s: float, procs: int, rate: float) -> dict[str, float]:
    from simcore import simulate
    from simcore.config import OpenLoop
    from simcore.presets import bench_reference

    cfg = bench_reference(gomaxprocs=procs, duration_ns=int(duration_s * 1e9))
    cfg = cfg.replace(workload=cfg.workload.__class__(
        **{**cfg.workload.__dict__, "open_loop": OpenLoop(rate_per_s=rate)}))
    t0 = time.process_time()
    w0 = time.perf_counter()
    r = simulate(cfg)
    cpu = time.process_time() - t0
    wall = time.perf_counter() - w0
    s = r.summary
    return {"cpu_s": cpu, "wall_s": wall, "requests": s.requests_completed,
            "cycles": s.cycles_total, "p99_ms": s.latency.p99_ns / 1e6,
            "gc_cpu": s.gc_cpu_fraction,
            "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child_simpy(n_requests: int, servers: int, rate: float, service_ns: float) -> dict[str, float]:
    import simpy

    env = simpy.Environment()
    cpu = simpy.Resource(env, capacity=servers)
    rng = random.Random(1)
    done = [0, 0]

    def request(env: simpy.Environment) -> object:
        t = env.now
        with cpu.request() as req:
            yield req
            yield env.timeout(rng.expovariate(1 / service_ns))
        done[0] += 1
        done[1] += env.now - t

    def source(env: simpy.Environment) -> object:
        for _ in range(n_requests):
            yield env.timeout(rng.expovariate(rate / 1e9))
            env.process(request(env))

    env.process(source(env))
    t0 = time.process_time()
    env.run()
    return {"cpu_s": time.process_time() - t0, "requests": done[0],
            "mean_latency_ms": done[1] / done[0] / 1e6,
            "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_child(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=600.0,
                    help="simulated seconds of the reference run (default 600)")
    ap.add_argument("--scale-duration", type=float, default=20.0,
                    help="simulated seconds per P-scaling point (default 20)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        kind, *rest = a.child
        if kind == "gosim":
            res = child_gosim(float(rest[0]), int(rest[1]), float(rest[2]))
        else:
            res = child_simpy(int(rest[0]), int(rest[1]), float(rest[2]), float(rest[3]))
        print(json.dumps(res))
        return 0

    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    ref = run_child("gosim", str(a.duration), "8", "10000")
    g_rate = ref["requests"] / ref["cpu_s"]
    print(f"\n1. reference workload, {a.duration:.0f} simulated s, 8 Ps, 10k req/s:")
    print(f"   {ref['requests']:,.0f} requests in {ref['cpu_s']:.1f} CPU s "
          f"({ref['wall_s']:.1f} s wall): {g_rate:,.0f} simulated requests per CPU second")
    print(f"   {ref['cycles']:.0f} GC cycles, p99 {ref['p99_ms']:.2f} ms, GC CPU "
          f"{100 * ref['gc_cpu']:.1f}%, peak RSS {ref['maxrss_mib']:.0f} MiB")
    print(f"   target: >= 100,000 req/s; {'MET' if g_rate >= 1e5 else 'NOT MET'}")

    sp = run_child("simpy", str(int(ref["requests"])), "8", "10000", "500000")
    s_rate = sp["requests"] / sp["cpu_s"]
    print(f"\n2. plain SimPy M/M/8 (simpy.Resource), same arrivals, no GC: "
          f"{s_rate:,.0f} requests per CPU second")
    print(f"   ratio gosim / SimPy = {g_rate / s_rate:.2f} (target >= 1.5: "
          f"{'MET' if g_rate / s_rate >= 1.5 else 'NOT MET'})")

    print(f"\n3. cost per request with the load per P held constant "
          f"({a.scale_duration:.0f} simulated s each):")
    for procs in (1, 8, 64):
        r = run_child("gosim", str(a.scale_duration), str(procs), str(1250 * procs))
        print(f"   GOMAXPROCS={procs:>2}: {1e6 * r['cpu_s'] / r['requests']:6.1f} µs per request"
              f" ({r['requests']:,.0f} requests, peak RSS {r['maxrss_mib']:.0f} MiB)")

    short = run_child("gosim", str(max(1.0, a.duration / 10)), "8", "10000")
    print(f"\n4. peak RSS: {short['maxrss_mib']:.0f} MiB at {max(1.0, a.duration / 10):.0f} s "
          f"simulated vs {ref['maxrss_mib']:.0f} MiB at {a.duration:.0f} s")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
