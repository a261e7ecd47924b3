"""Confidence-interval math against hand-computed values, and the per-point figures."""

from __future__ import annotations

import math

import pytest
from plansim import simulate as plansim

import simcore
from server.sweep import stats


def test_student_t_quantiles_match_the_tables() -> None:
    # t(0.975, df) from any statistics table.
    table = {1: 12.7062, 2: 4.3027, 3: 3.1824, 4: 2.7764, 9: 2.2622, 29: 2.0452, 120: 1.9799}
    for df, want in table.items():
        assert stats.t975(df) == pytest.approx(want, abs=5e-4)
    assert stats.t_quantile(0.95, 10) == pytest.approx(1.8125, abs=5e-4)
    assert stats.t_quantile(0.025, 5) == pytest.approx(-2.5706, abs=5e-4)
    assert stats.t_cdf(0.0, 7) == pytest.approx(0.5)


def test_mean_ci_hand_computed() -> None:
    # xs = 10, 12, 14: mean 12, s^2 = (4 + 0 + 4) / 2 = 4, s = 2;
    # half-width = t(0.975, 2) * s / sqrt(3) = 4.302653 * 2 / 1.732051 = 4.968275.
    m = stats.mean_ci([10.0, 12.0, 14.0])
    assert m.mean == 12.0 and m.stddev == 2.0 and m.count == 3
    assert m.ci_low == pytest.approx(12 - 4.968275, abs=1e-5)
    assert m.ci_high == pytest.approx(12 + 4.968275, abs=1e-5)
    # Four values 1, 2, 3, 4: mean 2.5, s = 1.290994, half = 3.182446 * 1.290994 / 2 = 2.054260.
    m = stats.mean_ci([1.0, 2.0, 3.0, 4.0])
    assert (m.ci_low, m.ci_high) == pytest.approx((2.5 - 2.054260, 2.5 + 2.054260), abs=1e-5)
    one = stats.mean_ci([5.0])
    assert one.mean == 5.0 and one.ci_low is None and one.ci_high is None
    assert math.isnan(stats.mean_ci([]).mean)
    same = stats.mean_ci([3.0, 3.0, 3.0])
    assert same.ci_low == same.ci_high == 3.0


def test_point_metrics_aggregate_the_runs() -> None:
    base = simcore.SimConfig(duration_ns=1_000_000_000,
                             runtime=simcore.RuntimeConfig(gomaxprocs=1),
                             workload=simcore.Workload(open_loop=simcore.OpenLoop(rate_per_s=500)))
    sums = [plansim(simcore.SimConfig(**{**base.__dict__, "seed": s})).summary for s in (1, 2, 4)]
    sums.append(plansim(simcore.SimConfig(
        **{**base.__dict__, "runtime": simcore.RuntimeConfig(gomaxprocs=1,
                                                             container_memory_bytes=1 << 20)})
    ).summary)  # OOM-killed
    metrics = {m.name: m for m in stats.point_metrics(sums)}
    assert [m.name for m in stats.point_metrics(sums)] == list(stats.METRICS)
    assert metrics["oom"].mean == 0.25 and metrics["oom"].count == 4
    p99 = [float(s.latency.p99_ns) for s in sums]
    want = stats.mean_ci(p99)
    assert metrics["latency_p99_ns"].mean == pytest.approx(want.mean)
    assert metrics["latency_p99_ns"].ci_high == pytest.approx(want.ci_high)
    assert metrics["completion_ratio"].mean == 1.0
