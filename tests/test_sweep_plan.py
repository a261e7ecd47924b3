"""Capacity planning: each question on fast workloads with a known monotone answer.

tests/plansim.py gives closed-form answers (max rate 900/s, 5 Ps at 3500/s, 40 MiB over 30 s,
GOMEMLIMIT at 95 % of a 200 MiB budget); two questions also run on the real model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from server_helpers import request_program

from gosim.v1 import config_pb2, sweep_pb2
from server.sweep import engine as enginemod
from server.sweep.plan import PlanError, plan
from server.sweep.runner import SweepRunner

MIB = 1 << 20


@pytest.fixture
def fake() -> Iterator[SweepRunner]:
    eng = enginemod.thread_engine(2)
    yield SweepRunner(eng, target="plansim:simulate")
    eng.close()


def _base(rate: float = 100.0, procs: int = 1) -> config_pb2.SimConfig:
    c = config_pb2.SimConfig(duration_ns=1_000_000_000, seed=3)
    c.runtime.gomaxprocs = procs
    c.workload.open_loop.rate_per_s = rate
    return c


def _coords(ans: sweep_pb2.PlanAnswer) -> list[float]:
    return [st.point.coordinates[0].number for st in ans.evaluated]


def test_max_rate_brackets_the_known_limit(fake: SweepRunner) -> None:
    req = sweep_pb2.PlanRequest(base=_base(), replications=3)
    req.max_rate.slo.max_latency_p99_ns = 10_000_000  # p99 = 1 ms / (1 - rate/1000)
    steps: list[sweep_pb2.PlanStep] = []
    ans = plan(req, fake, on_step=steps.append)
    assert ans.found and ans.question == "max_rate" and ans.replications == 3
    assert 855 <= ans.bracket_pass <= 900 <= ans.bracket_fail * 1.01
    assert (ans.bracket_fail - ans.bracket_pass) / ans.bracket_pass <= 0.05
    assert ans.at_answer.feasible and not ans.neighbour.feasible
    assert ans.answer[0].path == "workload.open_loop.rate_per_s"
    assert [s.point.index for s in steps] == [s.point.index for s in ans.evaluated]
    assert ans.total_runs == 3 * len(ans.evaluated)
    assert _coords(ans)[:4] == [100, 200, 400, 800]  # galloping from the start rate
    m = {x.name: x for x in ans.at_answer.point.metrics}
    assert m["latency_p99_ns"].ci_high <= 10_000_000
    assert "highest arrival rate" in ans.explanation and "95 % CI" in ans.explanation


def test_max_rate_gallops_down_when_the_start_fails(fake: SweepRunner) -> None:
    req = sweep_pb2.PlanRequest(base=_base(rate=5000), replications=2)
    req.max_rate.slo.max_latency_p99_ns = 10_000_000
    req.max_rate.tolerance = 0.1
    ans = plan(req, fake)
    assert ans.found and _coords(ans)[:3] == [5000, 2500, 1250]
    assert 810 <= ans.bracket_pass <= 900


def test_min_procs_finds_the_known_count(fake: SweepRunner) -> None:
    req = sweep_pb2.PlanRequest(base=_base(), replications=3)
    req.min_procs.slo.max_latency_p99_ns = 5_000_000
    req.min_procs.rate_per_s = 3500  # rho <= 0.8 needs 3500/800 = 4.4 -> 5 Ps
    ans = plan(req, fake)
    assert ans.found and ans.bracket_pass == 5 and ans.bracket_fail == 4
    assert ans.answer[0].path == "runtime.gomaxprocs" and ans.answer[0].label == "5"
    assert "fewest Ps" in ans.explanation


def test_min_memory_finds_the_known_size(fake: SweepRunner) -> None:
    req = sweep_pb2.PlanRequest(base=_base(), replications=2)
    req.min_memory.horizon_ns = 30_000_000_000  # RSS = 10 MiB + 1 MiB/s -> 40 MiB at 30 s
    ans = plan(req, fake)
    assert ans.found and ans.bracket_pass == 40 * MIB and ans.bracket_fail == 39 * MIB
    assert ans.at_answer.point.config.duration_ns == 30_000_000_000
    assert "OOM-killed" in ans.neighbour.reason
    assert "smallest container memory" in ans.explanation


def test_min_gc_cpu_picks_the_limit_that_fits(fake: SweepRunner) -> None:
    b = _base()
    b.workload.name = "gc"  # plansim's heap model
    req = sweep_pb2.PlanRequest(base=b, replications=2)
    req.min_gc_cpu.memory_budget_bytes = 200 * MIB
    ans = plan(req, fake)
    assert ans.found
    gogc, limit = ans.answer
    assert (gogc.path, limit.path) == ("runtime.gogc", "runtime.gomemlimit_bytes")
    assert limit.number == int(200 * MIB * 0.95)  # as much headroom as fits
    assert gogc.number >= 400 or gogc.label == "off"  # GOGC does not bind before the limit
    assert ans.at_answer.point.config.runtime.container_memory_bytes == 200 * MIB
    assert not ans.neighbour.feasible  # a cheaper pair that did not fit
    assert len(ans.evaluated) > 7 * 5  # the grid, then a refinement round
    assert "least GC CPU" in ans.explanation


def test_invalid_questions_name_the_field(fake: SweepRunner) -> None:
    req = sweep_pb2.PlanRequest(base=_base())
    with pytest.raises(PlanError, match="question"):
        plan(req, fake)
    closed = _base()
    closed.workload.closed_loop.clients = 3
    req = sweep_pb2.PlanRequest(base=closed)
    req.max_rate.slo.max_latency_p99_ns = 1
    with pytest.raises(PlanError, match="open_loop"):
        plan(req, fake)
    req = sweep_pb2.PlanRequest(base=_base(), replications=1000)
    req.min_gc_cpu.memory_budget_bytes = 0
    with pytest.raises(PlanError) as info:
        plan(req, fake)
    fields = dict(info.value.violations)
    assert "replications" in fields


def _real_base(rate: float) -> config_pb2.SimConfig:
    c = config_pb2.SimConfig(duration_ns=1_000_000_000, seed=5)
    c.runtime.gomaxprocs = 1
    s = c.workload.request.steps.add().compute.duration_ns
    s.kind = config_pb2.DIST_KIND_CONSTANT
    s.value = 1_000_000  # 1 ms of CPU per request
    c.workload.open_loop.rate_per_s = rate
    return c


def test_min_procs_on_the_real_model() -> None:
    eng = enginemod.thread_engine(1)
    try:
        req = sweep_pb2.PlanRequest(base=_real_base(1500), replications=2)
        req.min_procs.slo.max_latency_p99_ns = 20_000_000
        ans = plan(req, SweepRunner(eng))
    finally:
        eng.close()
    # 1.5 cores of demand: 1 P cannot keep up, 2 Ps can.
    assert ans.found and ans.bracket_pass == 2 and ans.bracket_fail == 1
    assert "cannot keep up" in ans.neighbour.reason or "p99" in ans.neighbour.reason


def test_min_memory_on_the_real_model() -> None:
    c = config_pb2.SimConfig(duration_ns=2_000_000_000, seed=5)
    c.runtime.gomaxprocs = 2
    request_program(c.workload.request)
    leak = c.workload.request.steps.add().allocate
    leak.bytes.kind = config_pb2.DIST_KIND_CONSTANT
    leak.bytes.value = 64 * 1024
    leak.lifetime = config_pb2.LIFETIME_FOREVER  # 64 KiB x 200/s = 12.5 MiB/s, never freed
    c.workload.open_loop.rate_per_s = 200
    eng = enginemod.thread_engine(1)
    try:
        req = sweep_pb2.PlanRequest(base=c, replications=1)
        req.min_memory.granularity_bytes = 2 * MIB
        ans = plan(req, SweepRunner(eng))
    finally:
        eng.close()
    assert ans.found and ans.bracket_pass - ans.bracket_fail <= 2 * MIB
    assert 16 * MIB < ans.bracket_pass < 256 * MIB
    oom = {x.name: x for x in ans.neighbour.point.metrics}["oom"]
    assert oom.mean == 1.0
    assert {x.name: x for x in ans.at_answer.point.metrics}["oom"].mean == 0.0
