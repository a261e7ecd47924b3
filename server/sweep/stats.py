"""Statistics of a sweep point: Student-t confidence intervals and the summary figures.

mean_ci(xs) gives the mean, the sample standard deviation and the 95 % confidence interval of
the mean, mean ± t(0.975, n-1) · s / √n, with the Student t quantile computed here (no SciPy):
the t distribution's CDF is the regularized incomplete beta function, evaluated with the
Lentz continued fraction (Numerical Recipes' betacf), and the quantile is found by bisection
on it — accurate to ~1e-10, enough for any CI. With one sample there is no interval (None).

figures(summary) turns one run's simcore Summary into the named figures a sweep reports
(METRICS, in this order, each with its unit in the name); point_metrics() aggregates them over
a point's replications into gosim.v1.Metric messages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from gosim.v1 import result_pb2, sweep_pb2
from simcore.results import Summary

# The figures reported per point, in order (docs/sweeps.md and Metric.name describe them).
METRICS: tuple[str, ...] = (
    "latency_p50_ns",
    "latency_p90_ns",
    "latency_p99_ns",
    "latency_p999_ns",
    "latency_mean_ns",
    "latency_max_ns",
    "throughput_per_s",
    "completion_ratio",
    "gc_cpu_fraction",
    "gc_assist_fraction",
    "pause_p99_ns",
    "pause_max_ns",
    "cycles_total",
    "cycles_forced",
    "peak_heap_alloc_bytes",
    "peak_heap_goal_bytes",
    "peak_rss_bytes",
    "peak_goroutines",
    "limiter_enabled_fraction",
    "stranded_edge_fraction",
    "oom",
    "oom_at_ns",
)


def figures(s: Summary | result_pb2.Summary) -> dict[str, float]:
    """The named figures of one run (see METRICS), from a simcore Summary or its proto."""
    total = s.gc_cpu.total_ns
    oom = (s.oom if s.HasField("oom") else None) if isinstance(s, result_pb2.Summary) else s.oom
    return {
        "latency_p50_ns": float(s.latency.p50_ns),
        "latency_p90_ns": float(s.latency.p90_ns),
        "latency_p99_ns": float(s.latency.p99_ns),
        "latency_p999_ns": float(s.latency.p999_ns),
        "latency_mean_ns": float(s.latency.mean_ns),
        "latency_max_ns": float(s.latency.max_ns),
        "throughput_per_s": float(s.throughput_per_s),
        "completion_ratio": (s.requests_completed / s.requests_arrived
                             if s.requests_arrived else 1.0),
        "gc_cpu_fraction": float(s.gc_cpu_fraction),
        "gc_assist_fraction": s.gc_cpu.assist_ns / total if total else 0.0,
        "pause_p99_ns": float(s.pauses.p99_ns),
        "pause_max_ns": float(s.pauses.max_ns),
        "cycles_total": float(s.cycles_total),
        "cycles_forced": float(s.cycles_forced),
        "peak_heap_alloc_bytes": float(s.peak_heap_alloc_bytes),
        "peak_heap_goal_bytes": float(s.peak_heap_goal_bytes),
        "peak_rss_bytes": float(s.peak_rss_bytes),
        "peak_goroutines": float(s.peak_goroutines),
        "limiter_enabled_fraction": (s.limiter_enabled_ns / s.simulated_ns
                                     if s.simulated_ns else 0.0),
        "stranded_edge_fraction": (s.stranded_edge_cycles / s.cycles_total
                                   if s.cycles_total else 0.0),
        "oom": 1.0 if oom is not None else 0.0,
        "oom_at_ns": float(oom.at_ns if oom is not None else s.simulated_ns),
    }


# ---------------------------------------------------------------------------------------------
# Student t


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    ln = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
          + a * math.log(x) + b * math.log1p(-x))
    front = math.exp(ln)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with df degrees of freedom."""
    x = df / (df + t * t)
    tail = 0.5 * betainc(df / 2.0, 0.5, x)
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t with df degrees of freedom (0 < p < 1, df > 0)."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError(f"t_quantile needs 0 < p < 1 and df > 0, got p={p}, df={df}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return (lo + hi) / 2.0


_T975: dict[int, float] = {}


def t975(df: int) -> float:
    """t(0.975, df), cached: the two-sided 95 % critical value."""
    got = _T975.get(df)
    if got is None:
        got = _T975[df] = t_quantile(0.975, df)
    return got


@dataclass(frozen=True)
class MeanCI:
    """A sample's mean, standard deviation and 95 % CI of the mean (None below 2 samples)."""

    mean: float
    stddev: float
    ci_low: float | None
    ci_high: float | None
    count: int


def mean_ci(xs: Sequence[float]) -> MeanCI:
    """Mean, sample standard deviation and the Student-t 95 % confidence interval."""
    n = len(xs)
    if n == 0:
        return MeanCI(math.nan, math.nan, None, None, 0)
    mean = math.fsum(xs) / n
    if n == 1:
        return MeanCI(mean, 0.0, None, None, 1)
    var = math.fsum((x - mean) ** 2 for x in xs) / (n - 1)
    sd = math.sqrt(var)
    half = t975(n - 1) * sd / math.sqrt(n)
    return MeanCI(mean, sd, mean - half, mean + half, n)


def point_metrics(summaries: Sequence[Summary]) -> list[sweep_pb2.Metric]:
    """The Metric messages of a point from its successful runs' summaries (METRICS order)."""
    per_run = [figures(s) for s in summaries]
    out = []
    for name in METRICS:
        m = mean_ci([f[name] for f in per_run])
        msg = sweep_pb2.Metric(name=name, mean=m.mean, stddev=m.stddev, count=m.count)
        if m.ci_low is not None and m.ci_high is not None:
            msg.ci_low, msg.ci_high = m.ci_low, m.ci_high
        out.append(msg)
    return out


def metric_map(metrics: Sequence[sweep_pb2.Metric]) -> dict[str, sweep_pb2.Metric]:
    return {m.name: m for m in metrics}
