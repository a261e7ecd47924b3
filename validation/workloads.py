"""The Go twin's workloads as gosim SimConfigs, built from the same flag values.

Each function takes the flags of one gosimtwin mode (a dict keyed by the flag names, as the
program echoes them in its report's "config", e.g. {"rate-per-s": 2000, ...}; missing keys
take the program's defaults, DEFAULTS below) and the runtime knobs, and returns the
SimConfig gosim should be run with for the comparison. for_run(run) does it for a result
file. The flag-to-field table is in validation/README.md; the Go side is validation/go.

What the Go program has that the flags do not say is added here too, so that the heaps
match: the cache's index array (8 bytes per entry), the steady ring's slot arrays, the
request's slice holding its objects, the leak's chunk arrays. Those are all scannable.
BaselineHeap has one object size, so the index and ring arrays are folded into it (same
bytes, its scannable fraction weighted accordingly).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from simcore.config import (
    GOGC_OFF,
    NO_LIMIT,
    SECOND,
    Allocate,
    ArrivalProcess,
    BaselineHeap,
    Compute,
    CostModel,
    Distribution,
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
    WorkerGroup,
    Workload,
)

KIB = 1 << 10
MIB = 1 << 20
MS = 1_000_000

# /gc/scan/globals:bytes of gosimtwin built by go1.27.3 linux/amd64 (for_run uses the
# run's own figure when it has one).
GO_GLOBALS_BYTES = 166_442
# A request or worker goroutine's stack in use, roughly: Go starts goroutines with 2 KiB
# (/gc/stack/starting-size:bytes) and these use less than that.
GOROUTINE_STACK_BYTES = 2 * KIB
# Go's leak chunk: one []unsafe.Pointer of this many slots per 1023 leaked objects.
LEAK_CHUNK_SLOTS = 1024

_COMMON = {
    "duration-ms": 10_000, "warmup-ms": 1_000, "seed": 1, "sample-ms": 10,
    "cache-live-bytes": 0, "cache-object-bytes": 256, "cache-scannable-fraction": 0.5,
    "cache-churn-bytes-per-s": 0.0, "idle-goroutines": 0,
    "trace": "",  # diagnosis only: a runtime/trace file (no gosim field)
    "late-log": "",  # diagnosis only: the workers' tick lateness, one line per sleep
}
_WORKERS = {
    "goroutines": 2, "alloc-bytes-per-s": 64.0 * MIB, "object-bytes": 64,
    "scannable-fraction": 0.5, "ring-live-bytes": 0, "leak-bytes-per-s": 0.0,
    "tick-ns": 1_000_000, "timer": "timerfd",
}
_SERVER = {
    "rate-per-s": 2000.0, "arrival": "poisson", "compute-ns": 100_000,
    "compute-dist": "exponential", "alloc-bytes": 16 * KIB, "object-bytes": 64,
    "scannable-fraction": 0.5, "io-ns": 1_000_000, "io-dist": "exponential", "buf-bytes": 0,
    "buf-scannable": False, "use-pool": False, "timer": "timerfd", "spin-ns": 0,
    "drain-ms": 2_000,
}
# The program's defaults, mode by mode (go/main.go defaults()).
DEFAULTS: dict[str, dict[str, Any]] = {
    "steady": {**_COMMON, **_WORKERS, "ring-live-bytes": 32 * MIB},
    "memlimit": {**_COMMON, **_WORKERS, "cache-live-bytes": 96 * MIB},
    "leak": {**_COMMON, **_WORKERS, "goroutines": 1, "alloc-bytes-per-s": 32.0 * MIB,
             "leak-bytes-per-s": 4.0 * MIB, "cache-live-bytes": 32 * MIB},
    "server": {**_COMMON, **_SERVER, "object-bytes": 128, "cache-live-bytes": 64 * MIB,
               "cache-churn-bytes-per-s": 1.0 * MIB},
    "pool": {**_COMMON, **_SERVER, "compute-ns": 50_000, "alloc-bytes": 2 * KIB, "io-ns": 0,
             "buf-bytes": 32 * KIB, "use-pool": True},
    "idle": {**_COMMON, "duration-ms": 330_000, "warmup-ms": 0, "sample-ms": 0,
             "cache-live-bytes": 256 * MIB},
}


def flags_for(mode: str, flags: dict[str, Any] | None = None) -> dict[str, Any]:
    """The mode's defaults overridden by flags (unknown names are an error)."""
    base = dict(DEFAULTS[mode])
    for k, v in (flags or {}).items():
        if k not in base:
            raise KeyError(f"gosimtwin {mode} has no flag -{k}")
        base[k] = v
    return base


def runtime_config(gomaxprocs: int, gogc: int | str | None,
                   gomemlimit_bytes: int | None) -> RuntimeConfig:
    """GOMAXPROCS, GOGC (an int, "off" or None for the default 100) and GOMEMLIMIT."""
    if gogc is None:
        g = 100
    elif isinstance(gogc, str):
        g = GOGC_OFF if gogc.strip().lower() == "off" else int(gogc)
    else:
        g = int(gogc)
    return RuntimeConfig(gomaxprocs=gomaxprocs, gogc=g,
                         gomemlimit_bytes=gomemlimit_bytes if gomemlimit_bytes else NO_LIMIT)


def _dist(mean: float, kind: str) -> Distribution:
    if kind == "exponential" and mean > 0:
        return Distribution.exponential(float(mean))
    return Distribution.constant(float(mean))


def _baseline(f: dict[str, Any], extra_scan_bytes: int = 0,
              extra_object_bytes: int = 0) -> BaselineHeap:
    """The cache (entries plus their index) and any other setup-time scannable arrays
    (extra_scan_bytes, e.g. the steady ring's slots) as one BaselineHeap."""
    live, obj = int(f["cache-live-bytes"]), int(f["cache-object-bytes"])
    entries = live // obj if live > 0 and obj > 0 else 0
    entry_bytes = entries * obj
    index_bytes = 8 * entries
    scan = f["cache-scannable-fraction"] * entry_bytes + index_bytes + extra_scan_bytes
    total = entry_bytes + index_bytes + extra_scan_bytes
    if total == 0:
        return BaselineHeap()
    return BaselineHeap(
        live_bytes=total,
        object_bytes=obj if entries else max(8, extra_object_bytes),
        scannable_fraction=min(1.0, scan / total),
        churn_bytes_per_s=float(f["cache-churn-bytes-per-s"]) if entries else 0.0,
    )


def _workload(name: str, f: dict[str, Any], **kw: Any) -> Workload:
    return Workload(name=name, idle_goroutines=int(f["idle-goroutines"]),
                    idle_goroutine_stack_bytes=GOROUTINE_STACK_BYTES, **kw)


def _sim(f: dict[str, Any], rt: RuntimeConfig, w: Workload, cost: CostModel) -> SimConfig:
    return SimConfig(runtime=rt, workload=w, cost=cost,
                     duration_ns=int(f["duration-ms"]) * MS, warmup_ns=int(f["warmup-ms"]) * MS,
                     seed=int(f["seed"]))


def _workers_config(mode: str, flags: dict[str, Any] | None, gomaxprocs: int,
                    gogc: int | str | None, gomemlimit_bytes: int | None,
                    cost: CostModel | None, globals_bytes: int) -> SimConfig:
    """steady, memlimit and leak: go/workers.go."""
    f = flags_for(mode, flags)
    cost = cost or CostModel()
    n = int(f["goroutines"])
    size = int(f["object-bytes"])
    sf = float(f["scannable-fraction"])
    tick = int(f["tick-ns"])
    rate = float(f["alloc-bytes-per-s"])
    leak = float(f["leak-bytes-per-s"])
    slots = int(f["ring-live-bytes"]) // size // n
    steps: list[Step] = []
    batch = rate / n * tick / SECOND
    if batch > 0:
        if slots > 0 and rate > 0:
            ttl = int(slots * size * n / rate * SECOND)
            alloc = Allocate(bytes=Distribution.constant(batch), object_sizes=(ObjectSize(size),),
                             scannable_fraction=sf, lifetime=Lifetime.TTL, ttl_ns=ttl)
        else:
            alloc = Allocate(bytes=Distribution.constant(batch), object_sizes=(ObjectSize(size),),
                             scannable_fraction=sf, lifetime=Lifetime.REQUEST)
        steps.append(Step(allocate=alloc))
    lbatch = leak / n * tick / SECOND
    if lbatch > 0:
        steps.append(Step(allocate=Allocate(
            bytes=Distribution.constant(lbatch), object_sizes=(ObjectSize(size),),
            scannable_fraction=sf, lifetime=Lifetime.FOREVER)))
        chunk = 8 * LEAK_CHUNK_SLOTS
        steps.append(Step(allocate=Allocate(
            bytes=Distribution.constant(lbatch / size / (LEAK_CHUNK_SLOTS - 1) * chunk),
            object_sizes=(ObjectSize(chunk),), scannable_fraction=1.0,
            lifetime=Lifetime.FOREVER)))
    # Go allocates what it owes at each tick and sleeps to the next tick boundary, so its
    # rate holds whatever its assists cost: a worker paced by period_ns (WorkerGroup).
    ring_arrays = n * slots * 8
    w = _workload(mode, f, baseline_heap=_baseline(f, ring_arrays, slots * 8),
                  workers=(WorkerGroup(count=n, program=Program(
                      steps=tuple(steps), stack_bytes=GOROUTINE_STACK_BYTES), period_ns=tick),),
                  globals_bytes=globals_bytes)
    return _sim(f, runtime_config(gomaxprocs, gogc, gomemlimit_bytes), w, cost)


def _server_config(mode: str, flags: dict[str, Any] | None, gomaxprocs: int,
                   gogc: int | str | None, gomemlimit_bytes: int | None,
                   cost: CostModel | None, globals_bytes: int) -> SimConfig:
    """server and pool: go/server.go."""
    f = flags_for(mode, flags)
    size = int(f["object-bytes"])
    nobj = int(f["alloc-bytes"]) // size
    buf = int(f["buf-bytes"])
    use_pool = bool(f["use-pool"])
    steps: list[Step] = []
    if buf > 0:
        if use_pool:
            steps.append(Step(pool_get=PoolGet(pool="buf", object_bytes=buf,
                                               scannable=bool(f["buf-scannable"]))))
        else:
            steps.append(Step(allocate=Allocate(
                bytes=Distribution.constant(buf), object_sizes=(ObjectSize(buf),),
                scannable_fraction=1.0 if f["buf-scannable"] else 0.0)))
    if int(f["compute-ns"]) > 0:
        steps.append(Step(compute=Compute(_dist(f["compute-ns"], f["compute-dist"]))))
    if nobj > 0:
        steps.append(Step(allocate=Allocate(
            bytes=Distribution.constant(nobj * size), object_sizes=(ObjectSize(size),),
            scannable_fraction=float(f["scannable-fraction"]))))
        steps.append(Step(allocate=Allocate(  # the []unsafe.Pointer holding them
            bytes=Distribution.constant(8 * nobj), object_sizes=(ObjectSize(8 * nobj),),
            scannable_fraction=1.0)))
    if int(f["io-ns"]) > 0:
        steps.append(Step(io_wait=IOWait(_dist(f["io-ns"], f["io-dist"]))))
    if buf > 0 and use_pool:
        steps.append(Step(pool_put=PoolPut(pool="buf")))
    process = ArrivalProcess.POISSON if f["arrival"] == "poisson" else ArrivalProcess.CONSTANT
    w = _workload(mode, f, baseline_heap=_baseline(f),
                  request=Program(steps=tuple(steps), stack_bytes=GOROUTINE_STACK_BYTES),
                  open_loop=OpenLoop(rate_per_s=float(f["rate-per-s"]), process=process),
                  globals_bytes=globals_bytes)
    return _sim(f, runtime_config(gomaxprocs, gogc, gomemlimit_bytes), w, cost or CostModel())


def steady(flags: dict[str, Any] | None = None, gomaxprocs: int = 1,
           gogc: int | str | None = 100, gomemlimit_bytes: int | None = None,
           cost: CostModel | None = None, globals_bytes: int = GO_GLOBALS_BYTES) -> SimConfig:
    """gosimtwin steady: workers allocating into a ring (TTL lifetime)."""
    return _workers_config("steady", flags, gomaxprocs, gogc, gomemlimit_bytes, cost,
                           globals_bytes)


def memlimit(flags: dict[str, Any] | None = None, gomaxprocs: int = 1,
             gogc: int | str | None = 100, gomemlimit_bytes: int | None = None,
             cost: CostModel | None = None, globals_bytes: int = GO_GLOBALS_BYTES) -> SimConfig:
    """gosimtwin memlimit: a cache near GOMEMLIMIT plus garbage-allocating workers."""
    return _workers_config("memlimit", flags, gomaxprocs, gogc, gomemlimit_bytes, cost,
                           globals_bytes)


def leak(flags: dict[str, Any] | None = None, gomaxprocs: int = 1,
         gogc: int | str | None = 100, gomemlimit_bytes: int | None = None,
         cost: CostModel | None = None, globals_bytes: int = GO_GLOBALS_BYTES) -> SimConfig:
    """gosimtwin leak: garbage plus bytes kept for ever."""
    return _workers_config("leak", flags, gomaxprocs, gogc, gomemlimit_bytes, cost,
                           globals_bytes)


def server(flags: dict[str, Any] | None = None, gomaxprocs: int = 1,
           gogc: int | str | None = 100, gomemlimit_bytes: int | None = None,
           cost: CostModel | None = None, globals_bytes: int = GO_GLOBALS_BYTES) -> SimConfig:
    """gosimtwin server: open-loop requests over a cache."""
    return _server_config("server", flags, gomaxprocs, gogc, gomemlimit_bytes, cost,
                          globals_bytes)


def pool(flags: dict[str, Any] | None = None, gomaxprocs: int = 1,
         gogc: int | str | None = 100, gomemlimit_bytes: int | None = None,
         cost: CostModel | None = None, globals_bytes: int = GO_GLOBALS_BYTES) -> SimConfig:
    """gosimtwin pool: the server with a per-request buffer, pooled or not (use-pool)."""
    return _server_config("pool", flags, gomaxprocs, gogc, gomemlimit_bytes, cost,
                          globals_bytes)


def idle(flags: dict[str, Any] | None = None, gomaxprocs: int = 1,
         gogc: int | str | None = 100, gomemlimit_bytes: int | None = None,
         cost: CostModel | None = None, globals_bytes: int = GO_GLOBALS_BYTES) -> SimConfig:
    """gosimtwin idle: a large heap and nothing else (only periodic GCs)."""
    f = flags_for("idle", flags)
    w = _workload("idle", f, baseline_heap=_baseline(f), globals_bytes=globals_bytes)
    return _sim(f, runtime_config(gomaxprocs, gogc, gomemlimit_bytes), w, cost or CostModel())


BUILDERS = {"steady": steady, "server": server, "idle": idle, "memlimit": memlimit,
            "leak": leak, "pool": pool}


def for_run(run: dict[str, Any], cost: CostModel | None = None) -> SimConfig:
    """The SimConfig of a result file (runner.py's JSON): the flags the program echoed, the
    GOMAXPROCS/GOGC/GOMEMLIMIT it ran with, its measured globals, and the machine's CPUs
    (runtime.NumCPU() as the program reported it, else the runner's count)."""
    prog = run.get("program") or {}
    spec = run["spec"]
    mode = spec["mode"]
    flags = dict(prog.get("config") or spec.get("flags") or {})
    flags = {k: v for k, v in flags.items() if k in DEFAULTS[mode]}
    globals_bytes = int((prog.get("run_start_metrics") or {}).get(
        "/gc/scan/globals:bytes", GO_GLOBALS_BYTES))
    cfg = BUILDERS[mode](flags, gomaxprocs=int(spec["gomaxprocs"]), gogc=spec["gogc"],
                         gomemlimit_bytes=spec.get("gomemlimit_bytes"), cost=cost,
                         globals_bytes=globals_bytes)
    ncpu = prog.get("ncpu") or (run.get("load") or {}).get("ncpu") or 0
    return cfg.replace(runtime=dataclasses.replace(cfg.runtime, num_cpus=int(ncpu)))
