"""Sweep specs: paths, values, lists, ranges, log ranges, LHS/random samples, seeds, errors."""

from __future__ import annotations

import math

import pytest
from server_helpers import small_config

from gosim.v1 import config_pb2, sweep_pb2
from server.sweep import spec as specmod
from server.sweep.spec import SpecError, expand

MIB = 1 << 20


def _spec(**kw: object) -> sweep_pb2.SweepSpec:
    s = sweep_pb2.SweepSpec(**kw)  # type: ignore[arg-type]
    s.base.CopyFrom(small_config(duration_s=0.2, rate=100))
    return s


def _values(spec: sweep_pb2.SweepSpec, path: str, *values: object) -> sweep_pb2.Axis:
    ax = spec.axes.add(path=path)
    for v in values:
        if isinstance(v, str):
            ax.values.values.add(string_value=v)
        elif isinstance(v, float):
            ax.values.values.add(double_value=v)
        else:
            ax.values.values.add(int_value=v)  # type: ignore[arg-type]
    return ax


def _violations(spec: sweep_pb2.SweepSpec) -> dict[str, str]:
    with pytest.raises(SpecError) as info:
        expand(spec)
    return dict(info.value.violations)


def test_lists_with_off_units_and_enums() -> None:
    s = _spec(replications=1)
    _values(s, "runtime.gogc", 25, 100, "off")
    _values(s, "runtime.gomemlimit_bytes", "256MiB", "off")
    _values(s, "workload.open_loop.process", "constant", "ARRIVAL_PROCESS_POISSON")
    exp = expand(s)
    assert len(exp.points) == 3 * 2 * 2
    first, last = exp.points[0], exp.points[-1]
    # The first axis varies slowest.
    assert [c.label for c in first.coordinates] == ["25", "256MiB", "ARRIVAL_PROCESS_CONSTANT"]
    assert [c.label for c in last.coordinates] == ["off", "off", "ARRIVAL_PROCESS_POISSON"]
    assert first.sim.runtime.gogc == 25 and first.sim.runtime.gomemlimit_bytes == 256 * MIB
    assert last.sim.runtime.gogc == -1  # GOGC=off
    assert not last.config.runtime.HasField("gomemlimit_bytes")  # no limit
    assert last.coordinates[1].number == math.inf and last.coordinates[0].number == -1
    assert last.coordinates[0].value.string_value == "off"
    assert first.sim.workload.open_loop is not None
    assert first.sim.workload.open_loop.process.name == "CONSTANT"


def test_ranges_linear_log_step_and_count() -> None:
    def values(rng: sweep_pb2.AxisRange, path: str = "workload.open_loop.rate_per_s"
               ) -> list[float]:
        s = _spec(replications=1)
        s.axes.add(path=path, range=rng)
        return [p.coordinates[0].number for p in expand(s).points]

    r = sweep_pb2.AxisRange
    assert values(r(start=100, stop=400, step=100)) == [100, 200, 300, 400]
    assert values(r(start=100, stop=400, count=4)) == [100, 200, 300, 400]
    assert values(r(start=100, stop=450, step=100)) == [100, 200, 300, 400]  # stop not on grid
    log = values(r(start=25, stop=400, count=5, scale=sweep_pb2.AXIS_SCALE_LOG))
    assert log == pytest.approx([25, 50, 100, 200, 400])
    assert values(r(start=25, stop=400, step=2, scale=sweep_pb2.AXIS_SCALE_LOG)) == \
        pytest.approx([25, 50, 100, 200, 400])
    # Integer fields: rounded, duplicates dropped.
    procs = values(r(start=1, stop=4, count=10, scale=sweep_pb2.AXIS_SCALE_LOG),
                   "runtime.gomaxprocs")
    assert procs == [1, 2, 3, 4]


def test_json_names_and_indexed_paths() -> None:
    s = _spec(replications=1)
    _values(s, "workload.openLoop.ratePerS", 150.0)
    _values(s, "workload.request.steps[0].compute.duration_ns.mean", 100000.0, 300000.0)
    exp = expand(s)
    assert [p.coordinates[1].path for p in exp.points] == \
        ["workload.request.steps[0].compute.duration_ns.mean"] * 2
    assert exp.points[0].coordinates[0].path == "workload.open_loop.rate_per_s"
    step = exp.points[1].sim.workload.request.steps[0]
    assert step.compute is not None and step.compute.duration_ns.mean == 300000.0


def _lhs(n: int, scale: int = sweep_pb2.AXIS_SCALE_LINEAR, seed: int = 3,
         sampling: int = sweep_pb2.SAMPLING_LATIN_HYPERCUBE) -> list[list[float]]:
    s = _spec(replications=1, samples=n, seed=seed, sampling=sampling)  # type: ignore[arg-type]
    s.axes.add(path="workload.open_loop.rate_per_s",
               sample=sweep_pb2.AxisSample(low=100, high=1100))
    s.axes.add(path="workload.request.steps[0].compute.duration_ns.mean",
               sample=sweep_pb2.AxisSample(low=1e4, high=1e6, scale=scale))  # type: ignore[arg-type]
    return [[c.number for c in p.coordinates] for p in expand(s).points]


def test_latin_hypercube_uses_every_stratum_once() -> None:
    n = 20
    pts = _lhs(n, scale=sweep_pb2.AXIS_SCALE_LOG)
    assert len(pts) == n
    rate_strata = sorted(int((x - 100) / 1000 * n) for x, _ in pts)
    assert rate_strata == list(range(n))
    # The second axis is stratified on its log scale.
    log_strata = sorted(int((math.log(y) - math.log(1e4)) / (math.log(1e6) - math.log(1e4)) * n)
                        for _, y in pts)
    assert log_strata == list(range(n))
    # Seeded: the same seed gives the same design, another seed another one.
    assert _lhs(n, scale=sweep_pb2.AXIS_SCALE_LOG) == pts
    assert _lhs(n, scale=sweep_pb2.AXIS_SCALE_LOG, seed=4) != pts


def test_random_sampling_stays_in_bounds_and_is_seeded() -> None:
    pts = _lhs(50, sampling=sweep_pb2.SAMPLING_RANDOM)
    assert all(100 <= x <= 1100 and 1e4 <= y <= 1e6 for x, y in pts)
    assert pts == _lhs(50, sampling=sweep_pb2.SAMPLING_RANDOM)
    # Random draws are not stratified: some stratum is (almost surely) used twice.
    strata = [int((x - 100) / 1000 * 50) for x, _ in pts]
    assert len(set(strata)) < 50


def test_grid_crossed_with_samples() -> None:
    s = _spec(replications=1, samples=4)
    _values(s, "runtime.gomaxprocs", 1, 2)
    s.axes.add(path="runtime.gogc", sample=sweep_pb2.AxisSample(low=50, high=200))
    exp = expand(s)
    assert len(exp.points) == 8
    draws_1 = [p.coordinates[1].number for p in exp.points[:4]]
    draws_2 = [p.coordinates[1].number for p in exp.points[4:]]
    assert draws_1 == draws_2  # the same draws at every grid point
    assert all(float(x).is_integer() for x in draws_1)  # an integer field: rounded


def test_replications_get_distinct_seeds_shared_by_every_point() -> None:
    s = _spec(replications=5, seed=11)
    _values(s, "runtime.gogc", 50, 100)
    exp = expand(s)
    assert len(exp.seeds) == 5 and len(set(exp.seeds)) == 5
    assert exp.seeds[0] == 11  # replication 0 reproduces a plain run of the config
    assert all(0 <= x < 2**62 for x in exp.seeds)
    assert exp.total_runs == 10
    assert [p.with_seed(exp.seeds[3]).seed for p in exp.points] == [exp.seeds[3]] * 2
    # Without a spec seed: the base config's seed; default replications: 3.
    t = _spec()
    assert expand(t).seeds[0] == t.base.seed and len(expand(t).seeds) == 3
    assert len(set(specmod.replication_seeds(1, 200))) == 200


def test_errors_name_the_axis_and_the_path() -> None:
    s = _spec()
    _values(s, "runtime.gomaxprocs", 2, 0)
    v = _violations(s)
    assert "axes[0].values.values[1]" in v
    assert v["axes[0].values.values[1]"].startswith("runtime.gomaxprocs = 0:")

    s = _spec()
    _values(s, "runtime.nope", 1)
    _values(s, "runtime", 1)
    _values(s, "workload.request.steps[9].compute.duration_ns.mean", 1.0)
    _values(s, "workload.open_loop.process", "sometimes")
    _values(s, "runtime.gomaxprocs", "2ms")
    v = _violations(s)
    assert "has no field 'nope'" in v["axes[0].path"]
    assert "is a message" in v["axes[1].path"]
    assert "does not exist in the base" in v["axes[2].path"]
    assert "not a value of ArrivalProcess" in v["axes[3].values.values[0]"]
    assert "unknown unit" in v["axes[4].values.values[0]"]

    closed = _spec()
    closed.base.workload.closed_loop.clients = 2
    _values(closed, "workload.open_loop.rate_per_s", 10.0)
    assert "the base sets closed_loop" in _violations(closed)["axes[0].path"]

    s = _spec()
    s.axes.add(path="runtime.gogc", range=sweep_pb2.AxisRange(start=1, stop=5, step=1, count=3))
    s.axes.add(path="runtime.gomaxprocs", range=sweep_pb2.AxisRange(start=0, stop=4, count=3,
                                                                     scale=sweep_pb2.AXIS_SCALE_LOG))
    v = _violations(s)
    assert "exactly one of step and count" in v["axes[0].range"]
    assert "log range needs start > 0" in v["axes[1].range"]

    s = _spec(samples=3)
    _values(s, "runtime.gogc", 50)
    _values(s, "runtime.gogc", 60)
    v = _violations(s)
    assert "no axis is sampled" in v["samples"] and "already swept" in v["axes[1].path"]

    s = _spec()
    s.base.duration_ns = -5
    _values(s, "runtime.gogc", 50)
    v = _violations(s)
    assert "base.duration_ns" in v and "runtime.gogc=50" in v["base.duration_ns"]


def test_path_resolution_details() -> None:
    base = config_pb2.SimConfig()
    ref = specmod.resolve_path("runtime.gogc", base)
    assert ref.kind == "int" and ref.is_int32()
    assert specmod.resolve_path("workload.baseline_heap.churn_bytes_per_s", base).kind == "float"
    assert specmod.coerce(ref, "off").setting == -1
    assert specmod.coerce(ref, -1).label == "off"
    lim = specmod.resolve_path("runtime.gomemlimit_bytes", base)
    assert specmod.coerce(lim, "1.5GiB").setting == 3 * (1 << 29)
    assert specmod.coerce(lim, "1GB").setting == 10**9
    dur = specmod.resolve_path("duration_ns", base)
    assert specmod.coerce(dur, "250ms").setting == 250_000_000
    assert specmod.coerce(dur, "2m").label == "2m"
