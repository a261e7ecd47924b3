"""Golden outputs: the built-in presets (simcore.presets), digested and compared with files.

Each case runs a preset with a short duration and reduces its Result to a compact JSON digest:
every summary figure, every cycle's gctrace line, the histograms' exact count/sum/min/max and
non-empty buckets, and a few time-series aggregates. The digest must equal
tests/golden/<case>.json. A model change that moves any of these numbers fails here; if the
change is intended, regenerate the files and review the diff:

    .venv/bin/python -m pytest tests/test_engine_golden.py --update-golden

Floats are written with 10 significant digits, so the digest is deterministic (same config and
seed give an identical Result) and readable.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from simcore import (
    Allocate,
    BaselineHeap,
    Compute,
    Distribution,
    IOWait,
    Lifetime,
    ObjectSize,
    OpenLoop,
    PoolGet,
    PoolPut,
    Program,
    Result,
    RuntimeConfig,
    SimConfig,
    Step,
    Workload,
    simulate,
)
from simcore.config import KIB, MIB, SECOND
from simcore.presets import bench_reference, web_api
from simcore.results import Histogram

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"

CASES: dict[str, Callable[[], SimConfig]] = {
    "web_api_2s": lambda: web_api(duration_ns=2 * SECOND),
    "web_api_gogc10_2p_1s": lambda: web_api(gomaxprocs=2, gogc=10, rate_per_s=1500.0,
                                            duration_ns=1 * SECOND, seed=7),
    "bench_reference_8p_1s": lambda: bench_reference(gomaxprocs=8, duration_ns=1 * SECOND),
    "small_heap_many_cycles": lambda: _small_heap(),
}


def _small_heap() -> SimConfig:
    """Not a preset: a small heap, so that many cycles (and their gctrace lines) are pinned,
    with TTL'd data, a pool and a memory limit in play."""
    request = Program(steps=(
        Step(compute=Compute(Distribution.lognormal(median=80_000, sigma=0.5))),
        Step(allocate=Allocate(bytes=Distribution.exponential(16 * KIB),
                               object_sizes=(ObjectSize(8, 2), ObjectSize(48, 3),
                                             ObjectSize(1024, 1), ObjectSize(40_000, 0.05)),
                               scannable_fraction=0.6)),
        Step(pool_get=PoolGet("buf", 4096)),
        Step(io_wait=IOWait(Distribution.exponential(1_000_000))),
        Step(allocate=Allocate(bytes=Distribution.constant(2048), lifetime=Lifetime.TTL,
                               ttl_ns=100_000_000)),
        Step(pool_put=PoolPut("buf")),
    ))
    return SimConfig(
        runtime=RuntimeConfig(gomaxprocs=2, gogc=50, gomemlimit_bytes=24 * MIB),
        workload=Workload(name="small-heap", request=request,
                          open_loop=OpenLoop(rate_per_s=3000.0),
                          baseline_heap=BaselineHeap(live_bytes=2 * MIB,
                                                     churn_bytes_per_s=1.0 * MIB),
                          idle_goroutines=20),
        duration_ns=SECOND // 2, seed=3)


def _normalise(x: Any) -> Any:
    """JSON-ready: tuples to lists, enums to values, floats to 10 significant digits."""
    if isinstance(x, bool) or x is None or isinstance(x, int | str):
        return x
    if isinstance(x, float):
        return float(f"{x:.10g}")
    if isinstance(x, dict):
        return {str(k): _normalise(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_normalise(v) for v in x]
    if hasattr(x, "value"):  # an Enum
        return x.value
    raise TypeError(f"cannot digest {type(x).__name__}")


def _hist(h: Histogram) -> dict[str, Any]:
    return {
        "count": h.count,
        "sum_ns": h.sum_ns,
        "min_ns": h.min_ns,
        "max_ns": h.max_ns,
        "buckets": {str(i): c for i, c in enumerate(h.counts) if c},
    }


# The summary figures pinned (a fixed list, so that a field added to Summary later does not
# invalidate the files; a field removed fails loudly).
SUMMARY_FIELDS = (
    "simulated_ns", "requests_arrived", "requests_completed", "throughput_per_s", "latency",
    "breakdown", "pauses", "gc_cpu", "gc_cpu_fraction", "cycles_total", "cycles_heap",
    "cycles_forced", "peak_heap_alloc_bytes", "peak_heap_goal_bytes", "peak_rss_bytes",
    "peak_goroutines", "limiter_enabled_ns", "mmu", "oom", "bytes_allocated", "bytes_freed",
    "objects_allocated",
)


def _field(obj: Any, name: str) -> Any:
    value = getattr(obj, name)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def digest(res: Result) -> dict[str, Any]:
    """A compact, deterministic summary of a Result."""
    se = res.series
    d = {
        "summary": {f: _field(res.summary, f) for f in SUMMARY_FIELDS},
        "cycles": [
            {"gctrace": c.gctrace, "kind": c.kind, "start_ns": c.start_ns,
             "heap_marked_bytes": c.heap_marked_bytes, "heap_goal_bytes": c.heap_goal_bytes,
             "trigger_bytes": c.trigger_bytes, "cons_mark": c.cons_mark}
            for c in res.cycles
        ],
        "latency": _hist(res.latency),
        "pauses": _hist(res.pauses),
        "sched_latency": _hist(res.sched_latency),
        "series": {
            "interval_ns": se.interval_ns,
            "samples": len(se.t_ns),
            "max_heap_alloc_bytes": max(se.heap_alloc_bytes),
            "max_rss_bytes": max(se.rss_bytes),
            "max_goroutines": max(se.goroutines),
            "samples_gc_running": sum(se.gc_running),
            "completed_per_s_sum": sum(se.request_rate_per_s),
        },
        "seed": res.seed,
        "go_version": res.go_version,
    }
    out = _normalise(d)
    # What a JSON round trip gives back, so that a fresh digest compares equal to a file.
    return json.loads(json.dumps(out))  # type: ignore[no-any-return]


def _differences(want: Any, got: Any, path: str = "") -> list[str]:
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for k in sorted(set(want) | set(got)):
            if k not in got:
                out.append(f"{path}/{k}: missing (want {want[k]!r})")
            elif k not in want:
                out.append(f"{path}/{k}: unexpected {got[k]!r}")
            else:
                out += _differences(want[k], got[k], f"{path}/{k}")
        return out
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        out = []
        for i, (a, b) in enumerate(zip(want, got, strict=True)):
            out += _differences(a, b, f"{path}[{i}]")
        return out
    return [] if want == got else [f"{path}: want {want!r}, got {got!r}"]


@pytest.mark.parametrize("case", list(CASES))
def test_preset_matches_golden(case: str, update_golden: bool) -> None:
    got = digest(simulate(CASES[case]()))
    path = GOLDEN_DIR / f"{case}.json"
    if update_golden:
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
        return
    assert path.exists(), f"{path} is missing: run pytest with --update-golden to create it"
    want = json.loads(path.read_text())
    diffs = _differences(want, got)
    assert not diffs, (
        f"{case} differs from {path.name} in {len(diffs)} place(s) (if intended, rerun with "
        "--update-golden and review the diff):\n  " + "\n  ".join(diffs[:40]))


def test_golden_cases_are_not_trivial() -> None:
    """The files pin real behaviour: requests, GC cycles with gctrace lines, pauses."""
    for case in CASES:
        path = GOLDEN_DIR / f"{case}.json"
        if not path.exists():
            pytest.skip(f"{path.name} not generated yet")
        d = json.loads(path.read_text())
        assert d["summary"]["requests_completed"] > 1000, case
        assert d["cycles"], case
        assert all(c["gctrace"].startswith(("gc ", "GC forced\ngc ")) for c in d["cycles"]), case
        assert d["pauses"]["count"] >= 2 * len(d["cycles"]), case


def test_digest_is_deterministic_and_sensitive() -> None:
    """Same config and seed: the same digest; another seed: a different one."""
    cfg = web_api(gomaxprocs=2, rate_per_s=500.0, duration_ns=SECOND // 4)
    a = digest(simulate(cfg))
    assert a == digest(simulate(cfg))
    assert a != digest(simulate(cfg.replace(seed=cfg.seed + 1)))
    assert json.loads(json.dumps(a, sort_keys=True)) == a
