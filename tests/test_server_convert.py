"""server/convert.py: the proto mirrors simcore field for field; conversions round-trip; every
conversion problem and validation violation is reported with its field path."""

from __future__ import annotations

import dataclasses
import enum
import math
import typing

import fakesim
import pytest
from google.protobuf.descriptor import FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_helpers import small_config

import simcore
from gosim.v1 import config_pb2, result_pb2, simulator_pb2
from server import convert, limits
from simcore import config as C
from simcore import results as R

PAIRS = [
    (C.SimConfig, config_pb2.SimConfig), (C.RuntimeConfig, config_pb2.RuntimeConfig),
    (C.Workload, config_pb2.Workload), (C.Program, config_pb2.Program),
    (C.Step, config_pb2.Step), (C.Compute, config_pb2.Compute),
    (C.Allocate, config_pb2.Allocate), (C.IOWait, config_pb2.IOWait),
    (C.PoolGet, config_pb2.PoolGet), (C.PoolPut, config_pb2.PoolPut),
    (C.ObjectSize, config_pb2.ObjectSize), (C.Distribution, config_pb2.Distribution),
    (C.RatePoint, config_pb2.RatePoint), (C.OpenLoop, config_pb2.OpenLoop),
    (C.ClosedLoop, config_pb2.ClosedLoop), (C.WorkerGroup, config_pb2.WorkerGroup),
    (C.BaselineHeap, config_pb2.BaselineHeap), (C.CostModel, config_pb2.CostModel),
    (R.Result, result_pb2.Result), (R.Histogram, result_pb2.Histogram),
    (R.Percentiles, result_pb2.Percentiles), (R.LatencyBreakdown, result_pb2.LatencyBreakdown),
    (R.CycleRecord, result_pb2.CycleRecord), (R.TimeSeries, result_pb2.TimeSeries),
    (R.GCCPU, result_pb2.GCCPU), (R.OOMKill, result_pb2.OOMKill),
    (R.Summary, result_pb2.Summary), (R.Trace, result_pb2.Trace),
    (R.TraceSpan, result_pb2.TraceSpan), (simcore.Progress, simulator_pb2.Progress),
]
ENUMS = [(C.DistKind, config_pb2.DistKind), (C.Lifetime, config_pb2.Lifetime),
         (C.ArrivalProcess, config_pb2.ArrivalProcess), (R.TriggerKind, result_pb2.TriggerKind),
         (R.SpanKind, result_pb2.SpanKind)]

_PROTO_TYPE = {int: {FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_INT32},
               float: {FieldDescriptor.TYPE_DOUBLE}, bool: {FieldDescriptor.TYPE_BOOL},
               str: {FieldDescriptor.TYPE_STRING}}


@pytest.mark.parametrize(("cls", "msg"), PAIRS, ids=lambda x: getattr(x, "__name__", ""))
def test_proto_mirrors_dataclass(cls: type, msg: type) -> None:
    dc_fields = {f.name for f in dataclasses.fields(cls)}
    pb_fields = set(msg.DESCRIPTOR.fields_by_name)
    if cls is simcore.Progress:  # the proto adds the server's wall-clock figures
        pb_fields -= {"fraction", "elapsed_ns", "eta_ns"}
    assert dc_fields == pb_fields
    hints = typing.get_type_hints(cls)
    for name in dc_fields:
        fd = msg.DESCRIPTOR.fields_by_name[name]
        hint = hints[name]
        if hint in _PROTO_TYPE:
            assert fd.type in _PROTO_TYPE[hint], name
            assert not fd.is_repeated, name
        elif isinstance(hint, type) and issubclass(hint, enum.Enum):
            assert fd.type == FieldDescriptor.TYPE_ENUM, name
        elif typing.get_origin(hint) is tuple:
            assert fd.is_repeated, name
        else:
            assert fd.type == FieldDescriptor.TYPE_MESSAGE, name


@pytest.mark.parametrize(("py", "pb"), ENUMS, ids=lambda x: getattr(x, "__name__", ""))
def test_enums_mirror(py: type[enum.Enum], pb: typing.Any) -> None:
    prefix = convert._enum_prefix(pb.DESCRIPTOR)
    names = {n.removeprefix(prefix) for n in pb.DESCRIPTOR.values_by_name} - {"UNSPECIFIED"}
    assert names == {m.name for m in py}


def test_server_limits_mirror_limits_dataclass() -> None:
    assert {f.name for f in dataclasses.fields(limits.Limits)} == set(
        simulator_pb2.ServerLimits.DESCRIPTOR.fields_by_name)


def rich_config() -> simcore.SimConfig:
    d = simcore.Distribution
    req = simcore.Program(steps=(
        simcore.Step(compute=simcore.Compute(d.lognormal(100_000, 0.5))),
        simcore.Step(allocate=simcore.Allocate(
            d.uniform(1000, 5000), (simcore.ObjectSize(32, 2.0), simcore.ObjectSize(4096)),
            scannable_fraction=0.25, lifetime=simcore.Lifetime.TTL, ttl_ns=5_000_000)),
        simcore.Step(pool_get=simcore.PoolGet("buf", 4096, scannable=False)),
        simcore.Step(io_wait=simcore.IOWait(d.empirical((1e5, 2e5, 1e6), (0.5, 0.3, 0.2)))),
        simcore.Step(pool_put=simcore.PoolPut("buf")),
    ), stack_bytes=16384)
    worker = simcore.WorkerGroup(3, simcore.Program(steps=(
        simcore.Step(compute=simcore.Compute(d.constant(1e6))),
        simcore.Step(allocate=simcore.Allocate(d.exponential(2048),
                                               lifetime=simcore.Lifetime.FOREVER)))))
    return simcore.SimConfig(
        runtime=simcore.RuntimeConfig(gomaxprocs=4, gogc=simcore.GOGC_OFF,
                                      gomemlimit_bytes=2 << 30, container_memory_bytes=4 << 30),
        workload=simcore.Workload(
            request=req,
            open_loop=simcore.OpenLoop(500.0, simcore.ArrivalProcess.CONSTANT,
                                       (simcore.RatePoint(10**9, 800.0),
                                        simcore.RatePoint(2 * 10**9, 100.0)), interpolate=True),
            workers=(worker,), baseline_heap=simcore.BaselineHeap(64 << 20, 128, 0.9, 1e6),
            idle_goroutines=1000, idle_goroutine_stack_bytes=4096, globals_bytes=1 << 20,
            name="rich"),
        cost=dataclasses.replace(simcore.CostModel(), scan_ns_per_byte=0.7, refill_ns=900),
        duration_ns=3 * 10**9, seed=42, sample_interval_ns=10**7, warmup_ns=10**8,
        trace_start_ns=10**9, trace_duration_ns=10**7, trace_max_spans=5000)


@pytest.mark.parametrize("cfg", [simcore.SimConfig(), rich_config(),
                                 simcore.SimConfig(runtime=simcore.RuntimeConfig(gogc=0)),
                                 simcore.SimConfig(workload=simcore.Workload(
                                     closed_loop=simcore.ClosedLoop(
                                         10, simcore.Distribution.exponential(1e6))))],
                         ids=["default", "rich", "gogc0", "closed"])
def test_config_round_trip(cfg: simcore.SimConfig) -> None:
    msg = convert.config_to_proto(cfg)
    again = config_pb2.SimConfig.FromString(msg.SerializeToString())
    assert convert.config_from_proto(again) == cfg


def test_absent_fields_take_the_defaults() -> None:
    assert convert.config_from_proto(config_pb2.SimConfig()) == simcore.SimConfig()
    m = config_pb2.SimConfig()
    m.runtime.gogc = 0
    m.runtime.gomemlimit_bytes = 0
    cfg = convert.config_from_proto(m)
    assert cfg.runtime.gogc == 0 and cfg.runtime.gomemlimit_bytes == 0
    assert cfg.runtime.gomaxprocs == simcore.RuntimeConfig().gomaxprocs
    # NO_LIMIT is sent as absent, and absent reads back as NO_LIMIT.
    assert not convert.config_to_proto(simcore.SimConfig()).runtime.HasField("gomemlimit_bytes")
    # An Allocate without object sizes, lifetime or fraction gets the dataclass defaults.
    m = config_pb2.SimConfig()
    a = m.workload.request.steps.add().allocate
    a.bytes.kind = config_pb2.DIST_KIND_CONSTANT
    a.bytes.value = 10
    got = convert.config_from_proto(m).workload.request.steps[0].allocate
    assert got == simcore.Allocate(simcore.Distribution.constant(10))


def violations_of(m: config_pb2.SimConfig) -> dict[str, str]:
    with pytest.raises(simcore.ConfigError) as e:
        convert.config_from_proto(m)
    return dict(e.value.violations)


def test_conversion_problems_and_violations_are_all_reported() -> None:
    m = small_config()
    m.runtime.gomaxprocs = 0
    m.workload.request.steps[0].compute.duration_ns.kind = 99  # unknown enum value
    m.workload.request.steps[1].allocate.lifetime = 7  # unknown enum value
    m.workload.request.steps.add()  # a step with no kind set
    m.workload.request.steps.add().io_wait.SetInParent()  # io_wait without its distribution
    d = m.workload.request.steps.add().compute.duration_ns  # kind left UNSPECIFIED
    d.mean = 5
    m.workload.open_loop.rate_per_s = math.nan
    v = violations_of(m)
    assert "unknown enum value 99" in v["workload.request.steps[0].compute.duration_ns.kind"]
    assert "unknown enum value 7" in v["workload.request.steps[1].allocate.lifetime"]
    assert "exactly one of" in v["workload.request.steps[3]"]
    assert v["workload.request.steps[4].io_wait.duration_ns"] == "must be set"
    assert "must be set to one of" in v["workload.request.steps[5].compute.duration_ns.kind"]
    assert "finite" in v["workload.open_loop.rate_per_s"]
    assert "must be >= 1" in v["runtime.gomaxprocs"]


def test_prefix_violations() -> None:
    assert convert.prefix_violations([("runtime.gogc", "x")], "config") == [
        ("config.runtime.gogc", "x")]


def test_result_round_trip_real_engine() -> None:
    cfg = convert.config_from_proto(small_config(duration_s=1, rate=300))
    res = simcore.simulate(cfg)
    msg = result_pb2.Result.FromString(convert.result_to_proto(res).SerializeToString())
    assert convert.result_from_proto(msg) == res
    assert len(msg.cycles) == len(res.cycles)
    assert list(msg.latency.counts) == list(res.latency.counts)


def test_result_round_trip_with_trace_real_engine() -> None:
    cfg = convert.config_from_proto(small_config(duration_s=1, rate=300)).replace(
        trace_start_ns=2 * 10**8, trace_duration_ns=10**8, trace_max_spans=50)
    res = simcore.simulate(cfg)
    assert res.trace is not None and res.trace.spans
    msg = convert.result_to_proto(res)
    assert msg.HasField("trace") and len(msg.trace.spans) == len(res.trace.spans)
    assert convert.result_from_proto(msg) == res
    no_trace = simcore.simulate(cfg.replace(trace_duration_ns=0))
    assert not convert.result_to_proto(no_trace).HasField("trace")


def test_result_round_trip_with_oom_and_infinite_bounds() -> None:
    cfg = simcore.SimConfig(duration_ns=10**9, trace_duration_ns=10**6,
                            runtime=simcore.RuntimeConfig(container_memory_bytes=1000))
    res = fakesim.simulate(cfg)
    assert res.summary.oom is not None and math.isinf(res.latency.boundaries_seconds[0])
    assert res.trace is not None
    msg = convert.result_to_proto(res)
    assert msg.summary.HasField("oom") and msg.trace.spans[1].track == -1
    assert convert.result_from_proto(msg) == res
    assert [(p.window_ns, p.utilization) for p in msg.summary.mmu] == list(res.summary.mmu)
    rec = res.cycles[0]
    assert convert.cycle_from_proto(convert.cycle_to_proto(rec)) == rec


def test_result_from_bad_proto_raises_conversion_error() -> None:
    res = fakesim.simulate(simcore.SimConfig(duration_ns=10**9))
    msg = convert.result_to_proto(res)
    msg.cycles[0].kind = 42
    with pytest.raises(convert.ConversionError) as e:
        convert.result_from_proto(msg)
    assert e.value.violations[0][0] == "cycles[0].kind"


def test_progress_conversion() -> None:
    p = simcore.Progress(simulated_ns=5, duration_ns=10, cycles=1, requests_completed=2)
    m = convert.progress_to_proto(p, elapsed_ns=100, eta_ns=None)
    assert m.fraction == 0.5 and not m.HasField("eta_ns")
    assert convert.progress_from_proto(m) == p


# --- property: nothing a client sends makes the conversion fail in another way -------------

_floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0.0, -1.0, 0.5, 1e9, math.nan, math.inf]))
_ints = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, -1, 1, 2**62]))


@st.composite
def distributions(draw: st.DrawFn) -> config_pb2.Distribution:
    return config_pb2.Distribution(
        kind=draw(st.integers(-1, 7)), value=draw(_floats), mean=draw(_floats),
        low=draw(_floats), high=draw(_floats), median=draw(_floats), sigma=draw(_floats),
        values=draw(st.lists(_floats, max_size=3)), weights=draw(st.lists(_floats, max_size=3)))


@st.composite
def configs(draw: st.DrawFn) -> config_pb2.SimConfig:
    m = config_pb2.SimConfig()
    if draw(st.booleans()):
        m.duration_ns = draw(_ints)
    if draw(st.booleans()):
        m.runtime.gomaxprocs = draw(st.integers(-(2**31), 2**31 - 1))
    if draw(st.booleans()):
        m.runtime.gogc = draw(st.integers(-(2**31), 2**31 - 1))
    if draw(st.booleans()):
        m.runtime.gomemlimit_bytes = draw(_ints)
    m.warmup_ns = draw(_ints)
    m.sample_interval_ns = draw(st.sampled_from([0, -5, 1, 10**6, 10**9]))
    for _ in range(draw(st.integers(0, 3))):
        step = m.workload.request.steps.add()
        which = draw(st.sampled_from(["compute", "allocate", "io_wait", "pool_get", "none"]))
        if which == "compute":
            step.compute.duration_ns.CopyFrom(draw(distributions()))
        elif which == "io_wait":
            step.io_wait.duration_ns.CopyFrom(draw(distributions()))
        elif which == "allocate":
            step.allocate.bytes.CopyFrom(draw(distributions()))
            step.allocate.lifetime = draw(st.integers(-1, 5))
            step.allocate.ttl_ns = draw(_ints)
            if draw(st.booleans()):
                step.allocate.scannable_fraction = draw(_floats)
            for _ in range(draw(st.integers(0, 2))):
                step.allocate.object_sizes.add(size_bytes=draw(_ints), weight=draw(_floats))
        elif which == "pool_get":
            step.pool_get.pool = draw(st.text(max_size=3))
            step.pool_get.object_bytes = draw(_ints)
    arrivals = draw(st.sampled_from(["open", "closed", "none"]))
    if arrivals == "open":
        m.workload.open_loop.rate_per_s = draw(_floats)
        m.workload.open_loop.process = draw(st.integers(-1, 4))
        for _ in range(draw(st.integers(0, 2))):
            m.workload.open_loop.schedule.add(at_ns=draw(_ints), rate_per_s=draw(_floats))
        m.workload.open_loop.interpolate = draw(st.booleans())
    elif arrivals == "closed":
        m.workload.closed_loop.clients = draw(_ints)
        if draw(st.booleans()):
            m.workload.closed_loop.think_ns.CopyFrom(draw(distributions()))
    if draw(st.booleans()):
        g = m.workload.workers.add(count=draw(_ints))
        g.program.steps.add().compute.duration_ns.CopyFrom(draw(distributions()))
    m.workload.idle_goroutines = draw(_ints)
    if draw(st.booleans()):
        m.workload.baseline_heap.live_bytes = draw(_ints)
        m.workload.baseline_heap.churn_bytes_per_s = draw(_floats)
    if draw(st.booleans()):
        m.cost.scan_ns_per_byte = draw(_floats)
        m.cost.refill_ns = draw(_ints)
    return m


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_any_config_converts_or_is_rejected_with_paths(m: config_pb2.SimConfig) -> None:
    try:
        cfg = convert.config_from_proto(m)
    except simcore.ConfigError as e:
        assert e.violations
        for path, reason in e.violations:
            assert isinstance(path, str) and path and reason
        return
    # A valid config round-trips and can be sized without error. (Compared as serialised
    # bytes: a NaN in a field the distribution's kind ignores is kept, and NaN != NaN.)
    back = convert.config_to_proto(cfg)
    again = convert.config_to_proto(convert.config_from_proto(back))
    assert again.SerializeToString(deterministic=True) == back.SerializeToString(
        deterministic=True)
    est = limits.estimate(cfg)
    assert min(est.requests, est.events, est.goroutines, est.series_samples) >= 0
    try:
        limits.check(cfg, limits.Limits(workers=1))
    except limits.LimitExceeded as e:
        assert e.limit in {f.name for f in dataclasses.fields(limits.Limits)}
