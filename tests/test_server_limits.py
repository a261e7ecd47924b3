"""server/limits.py: size estimates and limit checks."""

from __future__ import annotations

import pytest
from server_helpers import small_config

import simcore
from server import convert
from server.limits import LimitExceeded, Limits, check, estimate

D = simcore.Distribution


def cfg_with(**kw: object) -> simcore.SimConfig:
    return convert.config_from_proto(small_config()).replace(**kw)


def test_open_loop_requests_follow_rate_and_schedule() -> None:
    base = convert.config_from_proto(small_config(duration_s=10, rate=100))
    assert estimate(base).requests == 1000
    sched = base.workload.open_loop
    assert sched is not None
    stepped = base.replace(workload=simcore.Workload(
        request=base.workload.request,
        open_loop=simcore.OpenLoop(100, schedule=(simcore.RatePoint(5 * 10**9, 300),))))
    assert estimate(stepped).requests == 100 * 5 + 300 * 5
    e = estimate(base)
    assert e.events >= 1000 * (3 + 2)
    assert e.series_samples == 500


def test_closed_loop_and_workers() -> None:
    req = simcore.Program(steps=(simcore.Step(compute=simcore.Compute(D.constant(1e6))),))
    cfg = simcore.SimConfig(duration_ns=10**9, workload=simcore.Workload(
        request=req, closed_loop=simcore.ClosedLoop(4, D.constant(1e6)),
        workers=(simcore.WorkerGroup(2, req),), idle_goroutines=10))
    e = estimate(cfg)
    assert e.requests == 4 * 500  # 2 ms per cycle
    assert e.goroutines >= 10 + 2 + 4


def test_zero_time_requests_are_not_infinitely_many() -> None:
    cfg = simcore.SimConfig(duration_ns=10**9, workload=simcore.Workload(
        closed_loop=simcore.ClosedLoop(1)))
    assert estimate(cfg).requests == 1_000_000  # one per µs at most


def test_overload_grows_goroutines() -> None:
    base = convert.config_from_proto(small_config(duration_s=10, rate=100_000, gomaxprocs=1))
    # 100k/s x 200 µs of CPU = 20 cores of demand on 1 P: a backlog piles up.
    assert estimate(base).goroutines > 500_000


@pytest.mark.parametrize(("limits", "name"), [
    (Limits(max_duration_ns=10**8), "max_duration_ns"),
    (Limits(max_gomaxprocs=1), "max_gomaxprocs"),
    (Limits(max_expected_requests=10), "max_expected_requests"),
    (Limits(max_expected_events=100), "max_expected_events"),
    (Limits(max_goroutines=1), "max_goroutines"),
    (Limits(max_series_samples=10), "max_series_samples"),
])
def test_check_names_the_limit(limits: Limits, name: str) -> None:
    with pytest.raises(LimitExceeded) as e:
        check(cfg_with(), limits)
    assert e.value.limit == name
    assert name in str(e.value)


def test_check_passes_within_limits() -> None:
    check(cfg_with(), Limits())


def test_trace_spans_limit_applies_only_with_a_trace() -> None:
    lim = Limits(max_trace_spans=1000)
    check(cfg_with(trace_max_spans=10**6), lim)  # no trace window: not checked
    with pytest.raises(LimitExceeded) as e:
        check(cfg_with(trace_duration_ns=10**6, trace_max_spans=10**6), lim)
    assert e.value.limit == "max_trace_spans"


def test_serve_flags_set_the_sweep_limits_and_the_cluster() -> None:
    """`gosim serve --max-sweep-points/--max-sweep-runs/--cluster` reach ServerOptions;
    a limit below 1 is refused naming the flag."""
    import argparse

    from server.app import ConfigurationError
    from server.main import add_serve_arguments, options_from_args

    ap = argparse.ArgumentParser()
    add_serve_arguments(ap)
    opts = options_from_args(ap.parse_args(
        ["--max-sweep-points", "7", "--max-sweep-runs", "21", "--cluster", "tcp://h:8786"]))
    assert (opts.limits.max_sweep_points, opts.limits.max_sweep_runs) == (7, 21)
    assert opts.cluster == "tcp://h:8786"
    default = options_from_args(ap.parse_args([]))
    assert default.cluster is None and default.limits.max_sweep_points == 10_000
    with pytest.raises(ConfigurationError, match="--max-sweep-runs"):
        options_from_args(ap.parse_args(["--max-sweep-runs", "0"]))
