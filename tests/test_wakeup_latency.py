"""The OS's wake-up latency (CostModel.wakeup_latency_*): its distribution, how open-loop
arrivals are read with it, and its validation."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from simcore import (
    ArrivalProcess,
    Compute,
    ConfigError,
    CostModel,
    Distribution,
    IOWait,
    OpenLoop,
    Program,
    RuntimeConfig,
    SimConfig,
    Step,
    Workload,
    simulate,
    validate,
)
from simcore.config import MS, SECOND
from simcore.workload import WakeupSampler

US = 1000


def draws(sampler: WakeupSampler, n: int) -> list[int]:
    return [sampler.draw() for _ in range(n)]


def test_the_default_spread_and_tail() -> None:
    c = CostModel()
    s = WakeupSampler(c.wakeup_latency_ns, c.wakeup_latency_sigma,
                      c.wakeup_latency_tail_fraction, c.wakeup_latency_tail_ns,
                      random.Random(1))
    xs = sorted(draws(s, 200_000))
    n = len(xs)
    # The body: a log-normal of median 20 us and sigma 0.5 (its p90 is e^(0.5 z90) times
    # the median); the tail adds 0.5 % of draws, most of them far above.
    assert xs[n // 2] == pytest.approx(20 * US, rel=0.02)
    p90 = 20 * US * math.exp(0.5 * 1.2816)
    assert sum(x > p90 for x in xs) / n == pytest.approx(0.10 + 0.005, abs=0.004)
    # Above 200 us only the tail reaches (the body's chance is e-6): 0.005 of draws, of which
    # exp(-(200 - ~20) / 500) wait that long.
    assert sum(x > 200 * US for x in xs) / n == pytest.approx(0.005 * math.exp(-180 / 500),
                                                              abs=0.0006)
    mean = 20 * US * math.exp(0.5 ** 2 / 2) + 0.005 * 500 * US
    assert statistics.fmean(xs) == pytest.approx(mean, rel=0.02)


def test_no_spread_and_no_tail_is_a_constant_that_draws_nothing() -> None:
    rng = random.Random(3)
    before = rng.getstate()
    s = WakeupSampler(20 * US, 0.0, 0.0, 500 * US, rng)
    assert set(draws(s, 1000)) == {20 * US}
    assert rng.getstate() == before


def test_a_zero_median_turns_it_all_off() -> None:
    s = WakeupSampler(0, 0.5, 0.5, 500 * US, random.Random(3))
    assert set(draws(s, 1000)) == {0}


@pytest.mark.parametrize("field, value, message", [
    ("wakeup_latency_sigma", -0.1, "must be >= 0"),
    ("wakeup_latency_sigma", 6.0, "must be <= 5"),
    ("wakeup_latency_sigma", math.nan, "finite"),
    ("wakeup_latency_tail_fraction", 1.5, "between 0 and 1"),
    ("wakeup_latency_tail_ns", -1, "must be >= 0"),
])
def test_bad_values_name_the_field(field: str, value: float, message: str) -> None:
    cfg = SimConfig(cost=CostModel(**{field: value}))  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as e:
        validate(cfg)
    assert any(path == f"cost.{field}" and message in why for path, why in e.value.violations), \
        e.value.violations


def test_a_tail_needs_its_mean() -> None:
    cfg = SimConfig(cost=CostModel(wakeup_latency_tail_fraction=0.1, wakeup_latency_tail_ns=0))
    with pytest.raises(ConfigError) as e:
        validate(cfg)
    assert any(path == "cost.wakeup_latency_tail_ns" and "must be > 0" in why
               for path, why in e.value.violations), e.value.violations


def reader_config(latency_ns: int, sigma: float = 0.0, tail: float = 0.0) -> SimConfig:
    """1000 constant arrivals per second (at 1, 2, ... ms), 100 us each, on 8 Ps (no
    queueing), with the given wake-up latency."""
    return SimConfig(
        runtime=RuntimeConfig(gomaxprocs=8),
        workload=Workload(
            request=Program(steps=(Step(compute=Compute(Distribution.constant(100 * US))),)),
            open_loop=OpenLoop(1000, process=ArrivalProcess.CONSTANT)),
        cost=CostModel(wakeup_latency_ns=latency_ns, wakeup_latency_sigma=sigma,
                       wakeup_latency_tail_fraction=tail, wakeup_latency_tail_ns=500 * US),
        duration_ns=SECOND)


def test_arrivals_already_due_are_read_in_the_same_wake_up() -> None:
    # A 5.5 ms wake-up: the reader sleeps until the arrival at 1 ms, wakes at 6.5 ms and
    # reads the six arrivals due by then (1..6 ms: 5.5, 4.5, ... 0.5 ms late); the next,
    # at 7 ms, wakes it at 12.5 ms; and so on, 166 times: the arrivals at 997-999 ms would
    # be read at 1002.5 ms, after the run. Only the first of each wake-up pays the
    # wake-up's CPU.
    cfg = reader_config(5_500 * US)
    r = simulate(cfg)
    s = r.summary
    assert s.requests_arrived == s.requests_completed == 996
    c = cfg.cost
    assert s.breakdown.io_ns == 166 * sum(range(500 * US, 6_000 * US, 1_000 * US))
    assert s.breakdown.runnable_ns == 0
    per_request = 100 * US + c.goroutine_create_ns + c.context_switch_ns
    assert s.breakdown.running_ns == 996 * per_request + 166 * c.wakeup_ns
    assert r.latency.sum_ns == sum(
        (s.breakdown.running_ns, s.breakdown.runnable_ns, s.breakdown.assist_ns,
         s.breakdown.stw_ns, s.breakdown.io_ns))


def test_each_wake_up_draws_its_own_latency() -> None:
    # With a spread, the arrivals' waits differ; the same seed repeats them exactly.
    a = simulate(reader_config(20 * US, sigma=0.5, tail=0.005))
    b = simulate(reader_config(20 * US, sigma=0.5, tail=0.005))
    const = simulate(reader_config(20 * US))
    assert a.summary.breakdown.io_ns == b.summary.breakdown.io_ns
    assert a.latency == b.latency
    assert const.summary.breakdown.io_ns == 999 * 20 * US
    assert a.summary.breakdown.io_ns != const.summary.breakdown.io_ns
    assert a.latency.max_ns > const.latency.max_ns
    assert a.summary.latency.p50_ns == pytest.approx(const.summary.latency.p50_ns, rel=0.05)


def test_io_waits_draw_it_too() -> None:
    # An io_wait of 1 ms lasts 1 ms plus a wake-up latency.
    def cfg(sigma: float) -> SimConfig:
        return SimConfig(
            runtime=RuntimeConfig(gomaxprocs=8),
            workload=Workload(
                request=Program(steps=(Step(io_wait=IOWait(Distribution.constant(1 * MS))),)),
                open_loop=OpenLoop(200, process=ArrivalProcess.CONSTANT)),
            cost=CostModel(wakeup_latency_sigma=sigma, wakeup_latency_tail_fraction=0.0),
            duration_ns=SECOND)
    flat = simulate(cfg(0.0)).summary.breakdown.io_ns
    spread = simulate(cfg(1.0)).summary.breakdown.io_ns
    n = 199
    assert flat == n * (1 * MS + 2 * 20 * US)  # the arrival's wake-up and the io's
    # log-normal mean = median e^(sigma^2 / 2): 1.65x the median on average, per wake-up
    assert spread - n * 1 * MS == pytest.approx(n * 2 * 20 * US * math.exp(0.5), rel=0.2)
