"""Server limits on work, and the estimates of how much work a config asks for.

A validated SimConfig can still be too big for the server: hours of simulated time, a million
requests per second, a million goroutines. Before a simulation is admitted, check() compares
cheap upper-bound estimates of its size with the configured Limits and returns the first limit
exceeded (the servicer answers RESOURCE_EXHAUSTED naming it). The estimates are arithmetic on the
workload, never a trial run:

- requests: the open-loop rate integrated over the run (the schedule's points included), or for a
  closed loop clients x duration / (think time + the request's own compute and I/O time), with
  a floor of 1 µs per request so a zero-time request cannot mean "infinitely many";
- events: each request costs (its steps + 2) events (arrival, steps, completion), each worker
  loop its steps, plus one per time-series sample and per progress report;
- goroutines: idle goroutines + workers + closed-loop clients + the requests in flight by
  Little's law (rate x request time), plus, when the requests' CPU demand exceeds GOMAXPROCS,
  the backlog that piles up over the run (rate above capacity x duration);
- series samples: duration / the effective sample interval.

A run with an execution trace is also held to max_trace_spans (its trace_max_spans).

Limits also carries the limits that are not about one config (max concurrent jobs, max message
size, max wall time per simulation, the worker count) so GetModelInfo can report them all.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass

import simcore

_SECOND = 1_000_000_000
_MIN_REQUEST_NS = 1_000  # floor on one request's cycle time in the estimates (1 µs)


@dataclass(frozen=True)
class Limits:
    """The server's limits; names match ServerLimits in the proto (and the --max-* flags)."""

    max_duration_ns: int = 24 * 3600 * _SECOND  # one simulated day
    max_expected_events: int = 200_000_000
    max_expected_requests: int = 50_000_000
    max_gomaxprocs: int = 1024
    max_goroutines: int = 1_000_000
    max_concurrent_jobs: int = 64
    max_message_bytes: int = 64 * 1024 * 1024
    max_series_samples: int = 200_000
    max_wall_time_ns: int = 3600 * _SECOND  # 0 = no limit
    workers: int = dataclasses.field(default_factory=lambda: os.cpu_count() or 1)
    max_trace_spans: int = 1_000_000
    max_sweep_points: int = 10_000  # points in one sweep (SweepService)
    max_sweep_runs: int = 100_000  # simulations in one sweep: points x replications


@dataclass(frozen=True)
class Estimate:
    """Upper-bound-ish estimates of a run's size (see the module doc)."""

    requests: int
    events: int
    goroutines: int
    series_samples: int


class LimitExceeded(Exception):
    """A config (or the server's load) is above a limit; `limit` is the Limits field name."""

    def __init__(self, limit: str, message: str) -> None:
        self.limit = limit
        super().__init__(message)


def _program_time_ns(p: simcore.Program) -> float:
    """Expected compute + I/O time of one pass over a program (ns)."""
    t = 0.0
    for s in p.steps:
        if s.compute is not None:
            t += s.compute.duration_ns.expected()
        elif s.io_wait is not None:
            t += s.io_wait.duration_ns.expected()
    return t


def _program_cpu_ns(p: simcore.Program) -> float:
    return sum(s.compute.duration_ns.expected() for s in p.steps if s.compute is not None)


def _open_loop_requests(o: simcore.OpenLoop, duration_ns: int) -> tuple[float, float]:
    """(expected requests over the run, peak rate per second)."""
    # Piecewise rate: rate_per_s from 0 until the first point, then each point's rate.
    points = [(0, o.rate_per_s)] + [(pt.at_ns, pt.rate_per_s) for pt in o.schedule]
    points = [pt for pt in points if pt[0] < duration_ns]
    total = 0.0
    for i, (at, rate) in enumerate(points):
        end = points[i + 1][0] if i + 1 < len(points) else duration_ns
        if o.interpolate and 0 < i < len(points) - 1:
            rate = (rate + points[i + 1][1]) / 2  # trapezoid to the next point
        total += rate * max(0, end - at) / _SECOND
    peak = max(r for _, r in points) if points else 0.0
    return total, peak


def estimate(cfg: simcore.SimConfig) -> Estimate:
    w = cfg.workload
    d = cfg.duration_ns
    steps = len(w.request.steps)
    req_time = _program_time_ns(w.request)
    requests = 0.0
    in_flight = 0.0
    if w.open_loop is not None:
        requests, peak = _open_loop_requests(w.open_loop, d)
        in_flight = peak * req_time / _SECOND
        cpu = _program_cpu_ns(w.request)
        if cpu > 0:
            capacity = cfg.runtime.gomaxprocs * _SECOND / cpu  # requests/s the Ps can serve
            if peak > capacity:
                in_flight += (peak - capacity) * d / _SECOND
        in_flight = min(in_flight, requests)
    elif w.closed_loop is not None:
        cycle = max(_MIN_REQUEST_NS, req_time + w.closed_loop.think_ns.expected())
        requests = w.closed_loop.clients * d / cycle
        in_flight = w.closed_loop.clients
    events = requests * (steps + 2)
    workers = 0
    for g in w.workers:
        workers += g.count
        loop = max(_MIN_REQUEST_NS, _program_time_ns(g.program))
        events += g.count * (d / loop) * max(1, len(g.program.steps))
    samples = d // cfg.effective_sample_interval_ns()
    events += samples + 4096  # samples, progress reports and the GC's own bookkeeping
    goroutines = w.idle_goroutines + workers + in_flight + 1
    if goroutines < _HUGE:  # (False for NaN, which _cap turns into "huge")
        goroutines = math.ceil(goroutines)
    return Estimate(requests=_cap(requests), events=_cap(events), goroutines=_cap(goroutines),
                    series_samples=_cap(samples))


_HUGE = 2**62


def _cap(x: float) -> int:
    """An estimate as an int; NaN or overflow (absurd parameters) count as huge."""
    if x != x or x >= _HUGE:
        return _HUGE
    return max(0, int(x))


def check(cfg: simcore.SimConfig, limits: Limits) -> None:
    """Raise LimitExceeded for the first limit the config exceeds."""
    if cfg.duration_ns > limits.max_duration_ns:
        raise LimitExceeded("max_duration_ns",
                            f"duration_ns {cfg.duration_ns} exceeds the server limit "
                            f"max_duration_ns={limits.max_duration_ns}")
    if cfg.runtime.gomaxprocs > limits.max_gomaxprocs:
        raise LimitExceeded("max_gomaxprocs",
                            f"gomaxprocs {cfg.runtime.gomaxprocs} exceeds the server limit "
                            f"max_gomaxprocs={limits.max_gomaxprocs}")
    if cfg.trace_duration_ns > 0 and cfg.trace_max_spans > limits.max_trace_spans:
        raise LimitExceeded("max_trace_spans",
                            f"trace_max_spans {cfg.trace_max_spans} exceeds the server limit "
                            f"max_trace_spans={limits.max_trace_spans}")
    e = estimate(cfg)
    if e.series_samples > limits.max_series_samples:
        raise LimitExceeded("max_series_samples",
                            f"the time series would have {e.series_samples} samples, above the "
                            f"server limit max_series_samples={limits.max_series_samples} "
                            "(raise sample_interval_ns)")
    if e.requests > limits.max_expected_requests:
        raise LimitExceeded("max_expected_requests",
                            f"the workload is expected to produce about {e.requests} requests, "
                            f"above the server limit max_expected_requests="
                            f"{limits.max_expected_requests}")
    if e.goroutines > limits.max_goroutines:
        raise LimitExceeded("max_goroutines",
                            f"the workload is expected to reach about {e.goroutines} goroutines, "
                            f"above the server limit max_goroutines={limits.max_goroutines}")
    if e.events > limits.max_expected_events:
        raise LimitExceeded("max_expected_events",
                            f"the run is expected to need about {e.events} events, above the "
                            f"server limit max_expected_events={limits.max_expected_events}")
