"""Capacity planning: answer a question by searching over simulations.

plan(request, runner) answers one PlanRequest question. Every evaluated point is simulated
`replications` times with the same distinct seeds (common random numbers, as in a sweep) and
judged on its metrics' means (or, with SLO.conservative, the upper ends of their 95 %
confidence intervals):

  max_rate    the highest workload.open_loop.rate_per_s meeting the SLO. A monotone search:
              gallop (double the rate from the start rate until one fails, or halve it until
              one passes), then bisect between the last passing and the first failing rate
              until they are within the relative tolerance (default 5 %).
  min_procs   the fewest runtime.gomaxprocs meeting the SLO at a rate. The search starts at
              the CPU demand (rate x the request's mean compute time, rounded up: fewer Ps
              cannot keep up), gallops in steps 1, 2, 4, ... and bisects to a single P.
  min_memory  the smallest runtime.container_memory_bytes with no OOM kill over the horizon
              (the runs' duration). Gallop by doubling/halving, bisect to the granularity.
  min_gc_cpu  the runtime.gogc / runtime.gomemlimit_bytes pair with the least GC CPU among the
              pairs that stay within the memory budget (the container memory is set to the
              budget, so going over is an OOM kill) and meet the SLO if given: the grid of the
              candidates, then `refine_rounds` rounds that try the geometric midpoints of GOGC
              and the midpoints of GOMEMLIMIT around the best pair.

The answer carries the chosen point (metrics with CIs), its neighbour on the failing side (the
first failing value of a 1-D search, or for min_gc_cpu the infeasible pair with the least GC
CPU), the bracket, every evaluated point in order, and a paragraph saying what was found, how
sure it is (whether the CIs at the answer and at the neighbour clear the objective) and how it
was searched.

Evaluation goes through the same SweepRunner (and engine) as sweeps. Points are cached by value,
so a search never simulates the same point twice. `check(config)` (the server passes its
limits) can rule a point out before it runs: it then counts as failing, with the reason. The
search stops after `max_evaluations` points (answering with what it has) and raises
SweepCancelled when `cancel` is set.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import simcore
from gosim.v1 import config_pb2, sweep_pb2
from server import convert
from server.sweep import spec as specmod
from server.sweep.runner import SweepCancelled, SweepRunner
from server.sweep.stats import metric_map

DEFAULT_REPLICATIONS = 3
MAX_REPLICATIONS = 100
DEFAULT_MIN_COMPLETION = 0.99
MAX_EVALUATIONS = 80
MIB = 1 << 20

RATE = "workload.open_loop.rate_per_s"
PROCS = "runtime.gomaxprocs"
MEMORY = "runtime.container_memory_bytes"
GOGC = "runtime.gogc"
GOMEMLIMIT = "runtime.gomemlimit_bytes"

DEFAULT_GOGC: tuple[int | str, ...] = (25, 50, 100, 200, 400, 800, "off")
DEFAULT_GOMEMLIMIT_FRACTIONS = (0.5, 0.7, 0.85, 0.95)


class PlanError(ValueError):
    """An invalid question; violations are (field, reason) pairs relative to PlanRequest."""

    def __init__(self, violations: list[tuple[str, str]]) -> None:
        self.violations = list(violations)
        super().__init__("invalid plan: " + "; ".join(f"{p}: {r}" for p, r in violations))


# ---------------------------------------------------------------------------------------------
# Formatting


def fmt_ns(ns: float) -> str:
    if not math.isfinite(ns):
        return str(ns)
    if abs(ns) >= 1e9:
        return f"{ns / 1e9:.4g} s"
    if abs(ns) >= 1e6:
        return f"{ns / 1e6:.4g} ms"
    if abs(ns) >= 1e3:
        return f"{ns / 1e3:.4g} µs"
    return f"{ns:.0f} ns"


def fmt_bytes(b: float) -> str:
    if not math.isfinite(b):
        return "no limit"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(b) >= size:
            return f"{b / size:.4g} {unit}"
    return f"{b:.0f} B"


def fmt_pct(f: float) -> str:
    return f"{100 * f:.3g} %"


def fmt_rate(r: float) -> str:
    return f"{r:,.4g}/s" if r < 1e4 else f"{r:,.0f}/s"


def _plain(x: float) -> str:
    return f"{x:.4g}"


_FORMAT: dict[str, Callable[[float], str]] = {
    "latency_p99_ns": fmt_ns,
    "gc_cpu_fraction": fmt_pct,
    "completion_ratio": fmt_pct,
    "peak_rss_bytes": fmt_bytes,
    "oom": lambda x: f"{100 * x:.0f} % of runs",
    "oom_at_ns": fmt_ns,
}


def describe_metric(point: sweep_pb2.SweepPoint, name: str) -> str:
    """'41.2 ms (95 % CI 38.0 ms–44.4 ms)' for a metric of a point."""
    m = metric_map(point.metrics).get(name)
    if m is None or m.count == 0:
        return "n/a"
    f = _FORMAT.get(name, _plain)
    if m.HasField("ci_low"):
        return f"{f(m.mean)} (95 % CI {f(m.ci_low)}–{f(m.ci_high)})"
    return f"{f(m.mean)} (one run, no CI)"


# ---------------------------------------------------------------------------------------------
# Judging a point


@dataclass(frozen=True)
class Judged:
    feasible: bool
    reason: str
    missed: tuple[str, ...] = ()  # the metrics whose objective failed


def judge(point: sweep_pb2.SweepPoint, slo: sweep_pb2.SLO | None, *,
          memory_budget: int = 0, force_no_oom: bool = False) -> Judged:
    """Whether a point meets the SLO (and stays within a memory budget). An OOM kill fails
    the point unless the SLO allows it (and force_no_oom is not set)."""
    if not point.runs:
        return Judged(False, point.config.workload.name or "not simulated")
    failed = [r for r in point.runs if r.error]
    if failed:
        first = failed[0].error.splitlines()[0] if failed[0].error else "no result"
        return Judged(False, f"{len(failed)} of {len(point.runs)} runs failed: {first}",
                      ("runs",))
    m = metric_map(point.metrics)
    cons = bool(slo is not None and slo.conservative)

    def value(name: str) -> float:
        x = m[name]
        return x.ci_high if cons and x.HasField("ci_high") else x.mean

    problems: list[str] = []
    missed: list[str] = []
    allow_oom = slo is not None and slo.allow_oom and not force_no_oom
    if not allow_oom and m["oom"].mean > 0:
        k = round(m["oom"].mean * m["oom"].count)
        problems.append(f"OOM-killed in {k} of {m['oom'].count} runs")
        missed.append("oom")
    if memory_budget and m["peak_rss_bytes"].mean > memory_budget:
        problems.append(f"peak RSS {fmt_bytes(m['peak_rss_bytes'].mean)} > budget "
                        f"{fmt_bytes(memory_budget)}")
        missed.append("peak_rss_bytes")
    if slo is not None:
        if slo.HasField("max_latency_p99_ns"):
            v = value("latency_p99_ns")
            if v > slo.max_latency_p99_ns:
                problems.append(f"p99 {fmt_ns(v)} > {fmt_ns(slo.max_latency_p99_ns)}")
                missed.append("latency_p99_ns")
        if slo.HasField("max_gc_cpu_fraction"):
            v = value("gc_cpu_fraction")
            if v > slo.max_gc_cpu_fraction:
                problems.append(f"GC CPU {fmt_pct(v)} > {fmt_pct(slo.max_gc_cpu_fraction)}")
                missed.append("gc_cpu_fraction")
        need = (slo.min_completion_ratio if slo.HasField("min_completion_ratio")
                else DEFAULT_MIN_COMPLETION)
        if m["completion_ratio"].mean < need:
            problems.append(f"only {fmt_pct(m['completion_ratio'].mean)} of requests completed "
                            f"(< {fmt_pct(need)}: it cannot keep up)")
            missed.append("completion_ratio")
    if problems:
        return Judged(False, "; ".join(problems), tuple(missed))
    return Judged(True, "ok")


def slo_text(slo: sweep_pb2.SLO | None) -> str:
    parts = []
    if slo is not None:
        if slo.HasField("max_latency_p99_ns"):
            parts.append(f"p99 latency ≤ {fmt_ns(slo.max_latency_p99_ns)}")
        if slo.HasField("max_gc_cpu_fraction"):
            parts.append(f"GC CPU ≤ {fmt_pct(slo.max_gc_cpu_fraction)}")
        need = (slo.min_completion_ratio if slo.HasField("min_completion_ratio")
                else DEFAULT_MIN_COMPLETION)
        parts.append(f"at least {fmt_pct(need)} of requests completed")
    if slo is None or not slo.allow_oom:
        parts.append("no OOM kill")
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


# ---------------------------------------------------------------------------------------------
# Evaluation


@dataclass
class _Search:
    """The state of one search: evaluation with a cache, and the record of every step."""

    runner: SweepRunner
    base: config_pb2.SimConfig
    seeds: tuple[int, ...]
    judge: Callable[[sweep_pb2.SweepPoint], Judged]
    check: Callable[[simcore.SimConfig], str | None] | None
    on_step: Callable[[sweep_pb2.PlanStep], None] | None
    cancel: threading.Event | None
    max_evaluations: int
    steps: list[sweep_pb2.PlanStep] = field(default_factory=list)
    cache: dict[tuple[object, ...], sweep_pb2.PlanStep] = field(default_factory=dict)
    step_no: int = 0
    exhausted: bool = False

    def evaluate(self, settings: Sequence[tuple[specmod.FieldRef, specmod.Value]]
                 ) -> list[sweep_pb2.PlanStep]:
        return self.evaluate_many([settings])

    def evaluate_many(self, candidates: Sequence[Sequence[tuple[specmod.FieldRef,
                                                                specmod.Value]]]
                      ) -> list[sweep_pb2.PlanStep]:
        """Simulate the candidates (in parallel) and judge them; cached by value."""
        if self.cancel is not None and self.cancel.is_set():
            raise SweepCancelled("the search was cancelled")
        out: list[sweep_pb2.PlanStep | None] = []
        todo: list[tuple[int, specmod.Point]] = []
        keys = []
        for cand in candidates:
            key = tuple((ref.path, v.setting) for ref, v in cand)
            keys.append(key)
            if key in self.cache:
                out.append(self.cache[key])
                continue
            if len(self.cache) + len(todo) >= self.max_evaluations:
                self.exhausted = True
                out.append(None)
                continue
            cfg = config_pb2.SimConfig()
            cfg.CopyFrom(self.base)
            coords = []
            for ref, v in cand:
                specmod.set_field(cfg, ref, v.setting)
                coords.append(sweep_pb2.Coordinate(path=ref.path, name=ref.path,
                                                   value=v.to_axis_value(ref), number=v.number,
                                                   label=v.label))
            index = len(self.cache) + len(todo)
            point = sweep_pb2.SweepPoint(index=index, coordinates=coords)
            point.config.CopyFrom(cfg)
            try:
                sim = convert.config_from_proto(cfg)
                why = self.check(sim) if self.check is not None else None
            except simcore.ConfigError as e:
                why = "invalid config: " + "; ".join(f"{p}: {r}" for p, r in e.violations)
            if why is not None:
                step = sweep_pb2.PlanStep(point=point, feasible=False, reason=why,
                                          step=self.step_no)
                self._record(key, step)
                out.append(step)
                continue
            todo.append((len(out), specmod.Point(index, tuple(coords), cfg, sim)))
            out.append(None)
        if todo:
            done: dict[int, sweep_pb2.SweepPoint] = {}
            self.runner.run([p for _, p in todo], self.seeds,
                            lambda sp: done.__setitem__(sp.index, sp), self.cancel)
            for pos, p in todo:
                sp = done[p.index]
                verdict = self.judge(sp)
                step = sweep_pb2.PlanStep(point=sp, feasible=verdict.feasible,
                                          reason=verdict.reason, step=self.step_no)
                self._record(keys[pos], step)
                out[pos] = step
        self.step_no += 1
        return [s for s in out if s is not None]

    def _record(self, key: tuple[object, ...], step: sweep_pb2.PlanStep) -> None:
        self.cache[key] = step
        self.steps.append(step)
        if self.on_step is not None:
            self.on_step(step)

    def can_continue(self) -> bool:
        return len(self.cache) < self.max_evaluations


def _value(ref: specmod.FieldRef, x: float | int | str) -> specmod.Value:
    return specmod.coerce(ref, x)


def _boundary(s: _Search, ref: specmod.FieldRef, start: float, *, feasible_low: bool,
              grow: Callable[[float, int], float], shrink: Callable[[float, int], float],
              midpoint: Callable[[float, float], float], close: Callable[[float, float], bool],
              lo: float, hi: float
              ) -> tuple[sweep_pb2.PlanStep | None, sweep_pb2.PlanStep | None]:
    """A monotone 1-D search for the boundary between passing and failing values.

    feasible_low: small values pass (max_rate); else large values pass (min_procs/memory).
    Returns the passing step nearest the boundary and the failing step nearest it."""

    def ev(x: float) -> sweep_pb2.PlanStep | None:
        got = s.evaluate([(ref, _value(ref, x))])
        return got[0] if got else None

    def clamp(x: float) -> float:
        return min(hi, max(lo, x))

    x = clamp(start)
    st = ev(x)
    if st is None:
        return None, None
    best: sweep_pb2.PlanStep | None = st if st.feasible else None
    fail: sweep_pb2.PlanStep | None = None if st.feasible else st
    toward_fail, toward_pass = (grow, shrink) if feasible_low else (shrink, grow)
    # Gallop away from the one side known so far (a pass: toward failing values; a failure:
    # toward passing ones) until the other side is found or the range ends.
    k = 0
    while (best is None) != (fail is None) and s.can_continue():
        have = best if best is not None else fail
        assert have is not None
        step = toward_fail if best is not None else toward_pass
        nx = clamp(step(have.point.coordinates[0].number, k))
        k += 1
        if nx == have.point.coordinates[0].number:
            break  # at the bound: the whole range is on one side
        st = ev(nx)
        if st is None:
            break
        if st.feasible:
            best = st
        else:
            fail = st
    while best is not None and fail is not None and s.can_continue():
        a, b = best.point.coordinates[0].number, fail.point.coordinates[0].number
        if close(a, b):
            break
        m = midpoint(a, b)
        if m in (a, b):
            break
        st = ev(m)
        if st is None:
            break
        if st.feasible:
            best = st
        else:
            fail = st
    return best, fail


# ---------------------------------------------------------------------------------------------
# The questions


def _ref(path: str, base: config_pb2.SimConfig) -> specmod.FieldRef:
    return specmod.resolve_path(path, base)


def _request_cpu_ns(sim: simcore.SimConfig) -> float:
    return sum(s.compute.duration_ns.expected() for s in sim.workload.request.steps
               if s.compute is not None)


def _nice(x: float, digits: int = 4) -> float:
    if x <= 0 or not math.isfinite(x):
        return x
    e = math.floor(math.log10(x)) - digits + 1
    return float(round(x / 10.0**e) * 10.0**e)


def plan(request: sweep_pb2.PlanRequest, runner: SweepRunner, *,
         on_step: Callable[[sweep_pb2.PlanStep], None] | None = None,
         cancel: threading.Event | None = None,
         check: Callable[[simcore.SimConfig], str | None] | None = None,
         max_evaluations: int = MAX_EVALUATIONS) -> sweep_pb2.PlanAnswer:
    """Answer the request's question (see the module doc); raises PlanError when invalid."""
    bad: list[tuple[str, str]] = []
    try:
        convert.config_from_proto(request.base)
    except simcore.ConfigError as e:
        bad += convert.prefix_violations(e.violations, "base")
    reps = request.replications or DEFAULT_REPLICATIONS
    if not 1 <= reps <= MAX_REPLICATIONS:
        bad.append(("replications", f"must be between 1 and {MAX_REPLICATIONS}, got "
                                    f"{request.replications}"))
    question = request.WhichOneof("question")
    if question is None:
        bad.append(("question", "set one of max_rate, min_procs, min_memory, min_gc_cpu"))
    if bad:
        raise PlanError(bad)
    seed = request.seed if request.HasField("seed") else (
        request.base.seed if request.base.HasField("seed") else 1)
    seeds = tuple(specmod.replication_seeds(seed, reps))
    base = config_pb2.SimConfig()
    base.CopyFrom(request.base)
    if question == "max_rate":
        return _max_rate(request, base, runner, seeds, on_step, cancel, check, max_evaluations)
    if question == "min_procs":
        return _min_procs(request, base, runner, seeds, on_step, cancel, check,
                          max_evaluations)
    if question == "min_memory":
        return _min_memory(request, base, runner, seeds, on_step, cancel, check,
                           max_evaluations)
    return _min_gc_cpu(request, base, runner, seeds, on_step, cancel, check, max_evaluations)


def _need_open_loop(base: config_pb2.SimConfig, field: str) -> None:
    if base.workload.WhichOneof("arrivals") != "open_loop":
        raise PlanError([(field, "the question varies the open-loop arrival rate, but the base "
                                 "workload has no open_loop arrivals")])


def _answer(question: str, s: _Search, best: sweep_pb2.PlanStep | None,
            fail: sweep_pb2.PlanStep | None, reps: int) -> sweep_pb2.PlanAnswer:
    ans = sweep_pb2.PlanAnswer(question=question, found=best is not None, replications=reps)
    if best is not None:
        ans.at_answer.CopyFrom(best)
        ans.answer.extend(best.point.coordinates)
        ans.bracket_pass = best.point.coordinates[0].number
    if fail is not None:
        ans.neighbour.CopyFrom(fail)
        ans.bracket_fail = fail.point.coordinates[0].number
    ans.evaluated.extend(s.steps)
    ans.total_runs = sum(len(st.point.runs) for st in s.steps)
    return ans


def _confidence(best: sweep_pb2.PlanStep | None, fail: sweep_pb2.PlanStep | None,
                slo: sweep_pb2.SLO | None) -> str:
    """Sentences on how firmly the CIs put the answer and its neighbour on their sides."""
    if slo is None:
        return ""
    limits: list[tuple[str, float, str]] = []
    if slo.HasField("max_latency_p99_ns"):
        limits.append(("latency_p99_ns", float(slo.max_latency_p99_ns), "p99 latency"))
    if slo.HasField("max_gc_cpu_fraction"):
        limits.append(("gc_cpu_fraction", slo.max_gc_cpu_fraction, "GC CPU"))
    out = []
    for name, limit, label in limits:
        if best is not None:
            m = metric_map(best.point.metrics).get(name)
            if m is not None and m.HasField("ci_high"):
                if m.ci_high <= limit:
                    out.append(f"At the answer the whole 95 % CI of the {label} is within the "
                               "objective.")
                else:
                    out.append(f"At the answer the 95 % CI of the {label} reaches past the "
                               "objective, so the answer is borderline: add replications or "
                               "ask for a conservative answer.")
        if fail is not None and name in judge(fail.point, slo).missed:
            m = metric_map(fail.point.metrics).get(name)
            if m is not None and m.HasField("ci_low"):
                if m.ci_low > limit:
                    out.append(f"At the failing neighbour even the lower end of the {label}'s "
                               "CI misses the objective.")
                else:
                    out.append(f"At the failing neighbour the {label}'s CI still overlaps the "
                               "objective.")
    return " ".join(out)


def _runs_text(s: _Search, reps: int) -> str:
    n = len(s.steps)
    runs = sum(len(st.point.runs) for st in s.steps)
    text = f"{n} point{'s' if n != 1 else ''} were evaluated ({runs} simulations, {reps} " \
           f"replication{'s' if reps != 1 else ''} each with distinct seeds)"
    if s.exhausted:
        text += f"; the search stopped at its limit of {s.max_evaluations} points"
    return text


def _max_rate(req: sweep_pb2.PlanRequest, base: config_pb2.SimConfig, runner: SweepRunner,
              seeds: tuple[int, ...], on_step: Callable[[sweep_pb2.PlanStep], None] | None,
              cancel: threading.Event | None,
              check: Callable[[simcore.SimConfig], str | None] | None,
              max_evaluations: int) -> sweep_pb2.PlanAnswer:
    q = req.max_rate
    _need_open_loop(base, "base.workload.open_loop")
    start = q.start_rate_per_s if q.HasField("start_rate_per_s") else \
        base.workload.open_loop.rate_per_s
    bad = []
    if not (start > 0 and math.isfinite(start)):
        bad.append(("max_rate.start_rate_per_s", f"the start rate must be > 0, got {start:g} "
                    "(set it, or a rate in the base workload)"))
    top = q.max_rate_per_s if q.HasField("max_rate_per_s") else start * 1000
    if q.HasField("max_rate_per_s") and not top >= start:
        bad.append(("max_rate.max_rate_per_s", f"must be >= the start rate {start:g}"))
    tol = q.tolerance or 0.05
    if not 0 < tol <= 1:
        bad.append(("max_rate.tolerance", f"must be between 0 and 1, got {q.tolerance}"))
    if bad:
        raise PlanError(bad)
    ref = _ref(RATE, base)
    s = _Search(runner, base, seeds, lambda p: judge(p, q.slo if q.HasField("slo") else None),
                check, on_step, cancel, max_evaluations)
    best, fail = _boundary(
        s, ref, start, feasible_low=True,
        grow=lambda x, k: x * 2, shrink=lambda x, k: x / 2,
        midpoint=lambda a, b: _nice((a + b) / 2),
        close=lambda a, b: (b - a) / a <= tol, lo=start / 1024, hi=top)
    ans = _answer("max_rate", s, best, fail, len(seeds))
    slo = q.slo if q.HasField("slo") else None
    goal = slo_text(slo)
    if best is None:
        why = fail.reason if fail is not None else "nothing was evaluated"
        ans.explanation = (
            f"No arrival rate down to {fmt_rate(start / 1024)} met the objective ({goal}): "
            f"at the lowest rate tried, {why}. {_runs_text(s, len(seeds))}. The limit is likely "
            "not the load: check the workload (memory growth, GC settings) or the objective.")
        return ans
    b = best.point.coordinates[0].number
    lat = describe_metric(best.point, "latency_p99_ns")
    gc = describe_metric(best.point, "gc_cpu_fraction")
    if fail is None:
        text = (f"Every rate up to the search's ceiling of {fmt_rate(b)} met the objective "
                f"({goal}), so the highest rate is at least {fmt_rate(b)}; raise "
                f"max_rate_per_s to look further. There the p99 latency was {lat} and GC CPU "
                f"{gc}.")
    else:
        f = fail.point.coordinates[0].number
        text = (f"The highest arrival rate meeting the objective ({goal}) is about "
                f"{fmt_rate(b)}: the search bracketed the limit between {fmt_rate(b)}, which "
                f"passed, and {fmt_rate(f)}, which failed ({fail.reason}); that is within "
                f"{100 * (f - b) / b:.3g} % (tolerance {100 * tol:.3g} %). At {fmt_rate(b)} the "
                f"p99 latency was {lat} and GC CPU {gc}; at {fmt_rate(f)} the p99 was "
                f"{describe_metric(fail.point, 'latency_p99_ns')}.")
    conf = _confidence(best, fail, slo)
    ans.explanation = " ".join(x for x in (
        text, conf, f"Searched by doubling the rate from {fmt_rate(start)} until it failed, "
        f"then bisecting; {_runs_text(s, len(seeds))}.") if x)
    return ans


def _min_procs(req: sweep_pb2.PlanRequest, base: config_pb2.SimConfig, runner: SweepRunner,
               seeds: tuple[int, ...], on_step: Callable[[sweep_pb2.PlanStep], None] | None,
               cancel: threading.Event | None,
               check: Callable[[simcore.SimConfig], str | None] | None,
               max_evaluations: int) -> sweep_pb2.PlanAnswer:
    q = req.min_procs
    if q.HasField("rate_per_s"):
        _need_open_loop(base, "base.workload.open_loop")
        if not (q.rate_per_s > 0 and math.isfinite(q.rate_per_s)):
            raise PlanError([("min_procs.rate_per_s", f"must be > 0, got {q.rate_per_s:g}")])
        base.workload.open_loop.rate_per_s = q.rate_per_s
    top = q.max_gomaxprocs or 256
    if top < 1:
        raise PlanError([("min_procs.max_gomaxprocs", f"must be >= 1, got {top}")])
    sim = convert.config_from_proto(base)
    rate = sim.workload.open_loop.rate_per_s if sim.workload.open_loop is not None else 0.0
    demand = rate * _request_cpu_ns(sim) / 1e9
    start = float(min(top, max(1, math.ceil(demand))))
    ref = _ref(PROCS, base)
    slo = q.slo if q.HasField("slo") else None
    s = _Search(runner, base, seeds, lambda p: judge(p, slo), check, on_step, cancel,
                max_evaluations)
    best, fail = _boundary(
        s, ref, start, feasible_low=False,
        grow=lambda x, k: x + 2**k, shrink=lambda x, k: x - 2**k,
        midpoint=lambda a, b: float((int(a) + int(b)) // 2),
        close=lambda a, b: abs(a - b) <= 1, lo=1, hi=top)
    ans = _answer("min_procs", s, best, fail, len(seeds))
    goal = slo_text(slo)
    at = f" at {fmt_rate(rate)}" if rate else ""
    if best is None:
        ans.explanation = (
            f"No GOMAXPROCS up to {top} met the objective ({goal}){at}: with {top} Ps, "
            f"{fail.reason if fail else 'nothing was evaluated'}. {_runs_text(s, len(seeds))}.")
        return ans
    p = int(best.point.coordinates[0].number)
    text = (f"The fewest Ps (GOMAXPROCS) meeting the objective ({goal}){at} is {p}. With {p} "
            f"the p99 latency was {describe_metric(best.point, 'latency_p99_ns')} and GC CPU "
            f"{describe_metric(best.point, 'gc_cpu_fraction')}.")
    if fail is not None:
        f = int(fail.point.coordinates[0].number)
        text += f" With {f} it failed: {fail.reason}."
    elif p > 1:
        text += f" (Fewer than {p} were not tried below the search's lower bound.)"
    else:
        text += " One P is the minimum possible."
    conf = _confidence(best, fail, slo)
    how = (f"The search started at the CPU demand of the requests ({demand:.3g} cores: "
           f"rate × mean compute time), galloped and then bisected; " if demand > 0 else
           "The search started at 1 P, galloped and then bisected; ") + \
        f"{_runs_text(s, len(seeds))}."
    ans.explanation = " ".join(x for x in (text, conf, how) if x)
    return ans


def _min_memory(req: sweep_pb2.PlanRequest, base: config_pb2.SimConfig, runner: SweepRunner,
                seeds: tuple[int, ...], on_step: Callable[[sweep_pb2.PlanStep], None] | None,
                cancel: threading.Event | None,
                check: Callable[[simcore.SimConfig], str | None] | None,
                max_evaluations: int) -> sweep_pb2.PlanAnswer:
    q = req.min_memory
    bad = []
    for name in ("horizon_ns", "start_bytes", "max_bytes", "granularity_bytes"):
        if getattr(q, name) < 0:
            bad.append((f"min_memory.{name}", "must be >= 0"))
    if bad:
        raise PlanError(bad)
    if q.horizon_ns:
        base.duration_ns = q.horizon_ns
    horizon = base.duration_ns if base.HasField("duration_ns") else simcore.SimConfig().duration_ns
    gran = q.granularity_bytes or MIB
    start = q.start_bytes or 16 * MIB
    top = q.max_bytes or (1 << 40)
    if top < start:
        raise PlanError([("min_memory.max_bytes", f"must be >= the start size {start}")])
    ref = _ref(MEMORY, base)
    s = _Search(runner, base, seeds, lambda p: judge(p, None), check, on_step, cancel,
                max_evaluations)

    def mid(a: float, b: float) -> float:
        return float(round((a + b) / 2 / gran) * gran)

    best, fail = _boundary(
        s, ref, float(start), feasible_low=False,
        grow=lambda x, k: x * 2, shrink=lambda x, k: float(max(gran, round(x / 2 / gran) * gran)),
        midpoint=mid, close=lambda a, b: abs(a - b) <= gran, lo=float(gran), hi=float(top))
    ans = _answer("min_memory", s, best, fail, len(seeds))
    hz = fmt_ns(horizon)
    if best is None:
        ans.explanation = (f"Every container size up to {fmt_bytes(top)} was OOM-killed within "
                           f"{hz}; {_runs_text(s, len(seeds))}.")
        return ans
    b = best.point.coordinates[0].number
    text = (f"The smallest container memory that avoids an OOM kill over {hz} is about "
            f"{fmt_bytes(b)} (to within {fmt_bytes(gran)}): no replication was killed at "
            f"{fmt_bytes(b)}, where peak RSS was {describe_metric(best.point, 'peak_rss_bytes')}.")
    if fail is not None:
        f = fail.point.coordinates[0].number
        text += (f" At {fmt_bytes(f)} the program was {fail.reason}; the kill came at "
                 f"{describe_metric(fail.point, 'oom_at_ns')} of simulated time.")
        rss = metric_map(best.point.metrics).get("peak_rss_bytes")
        if rss is not None and rss.HasField("ci_high"):
            if rss.ci_high <= b:
                text += (f" The answer leaves {fmt_bytes(b - rss.ci_high)} of headroom above "
                         "the upper end of the peak-RSS CI; a longer horizon needs more if "
                         "memory keeps growing.")
            else:
                text += (f" The upper end of the peak-RSS CI ({fmt_bytes(rss.ci_high)}) is "
                         "above the answer, so other seeds may well be killed: add "
                         "replications, or leave headroom.")
    ans.explanation = " ".join((text, f"Searched by doubling from {fmt_bytes(start)} and "
                                      f"bisecting; {_runs_text(s, len(seeds))}."))
    return ans


def _min_gc_cpu(req: sweep_pb2.PlanRequest, base: config_pb2.SimConfig, runner: SweepRunner,
                seeds: tuple[int, ...], on_step: Callable[[sweep_pb2.PlanStep], None] | None,
                cancel: threading.Event | None,
                check: Callable[[simcore.SimConfig], str | None] | None,
                max_evaluations: int) -> sweep_pb2.PlanAnswer:
    q = req.min_gc_cpu
    budget = q.memory_budget_bytes
    bad: list[tuple[str, str]] = []
    if budget <= 0:
        bad.append(("min_gc_cpu.memory_budget_bytes", f"must be > 0, got {budget}"))
    rounds = q.refine_rounds if q.HasField("refine_rounds") else 1
    if not 0 <= rounds <= 5:
        bad.append(("min_gc_cpu.refine_rounds", f"must be between 0 and 5, got {rounds}"))
    gref, mref = _ref(GOGC, base), _ref(GOMEMLIMIT, base)
    gogcs: list[specmod.Value] = []
    for i, raw in enumerate(q.gogc or [sweep_pb2.AxisValue(string_value="off")
                                       if v == "off" else sweep_pb2.AxisValue(int_value=int(v))
                                       for v in DEFAULT_GOGC]):
        try:
            gogcs.append(specmod.coerce(gref, raw))
        except ValueError as e:
            bad.append((f"min_gc_cpu.gogc[{i}]", f"{GOGC}: {e}"))
    limits_: list[specmod.Value] = []
    raws = list(q.gomemlimit) or [sweep_pb2.AxisValue(string_value="off")] + [
        sweep_pb2.AxisValue(int_value=int(budget * f)) for f in DEFAULT_GOMEMLIMIT_FRACTIONS]
    for i, raw in enumerate(raws):
        try:
            limits_.append(specmod.coerce(mref, raw))
        except ValueError as e:
            bad.append((f"min_gc_cpu.gomemlimit[{i}]", f"{GOMEMLIMIT}: {e}"))
    if bad:
        raise PlanError(bad)
    base.runtime.container_memory_bytes = budget
    slo = q.slo if q.HasField("slo") else None
    s = _Search(runner, base, seeds,
                lambda p: judge(p, slo, memory_budget=budget, force_no_oom=True), check,
                on_step, cancel, max_evaluations)

    def gc_of(st: sweep_pb2.PlanStep) -> float:
        m = metric_map(st.point.metrics).get("gc_cpu_fraction")
        return m.mean if m is not None and m.count else math.inf

    def rss_of(st: sweep_pb2.PlanStep) -> float:
        m = metric_map(st.point.metrics).get("peak_rss_bytes")
        return m.mean if m is not None and m.count else math.inf

    s.evaluate_many([[(gref, g), (mref, m)] for g in gogcs for m in limits_])
    g_values = {v.setting: v for v in gogcs}
    m_values = {v.setting: v for v in limits_}
    for _ in range(rounds):
        feas = [st for st in s.steps if st.feasible]
        if not feas or not s.can_continue():
            break
        lead = min(feas, key=lambda st: (gc_of(st), rss_of(st)))
        g0, m0 = lead.point.coordinates[0], lead.point.coordinates[1]
        g_new = _neighbours_gogc(sorted(g_values.values(), key=_gogc_key), g0.number)
        m_new = _neighbours_limit(sorted(m_values.values(), key=lambda v: v.number), m0.number)
        g_cands = [g_values[_setting_gogc(g0)]] + [_value(gref, x) for x in g_new]
        m_cands = [m_values[None if math.isinf(m0.number) else int(m0.number)]] + [
            _value(mref, int(x)) for x in m_new]
        for v in g_cands:
            g_values.setdefault(v.setting, v)
        for v in m_cands:
            m_values.setdefault(v.setting, v)
        new = [[(gref, g), (mref, m)] for g in g_cands for m in m_cands]
        s.evaluate_many(new)
    feas = [st for st in s.steps if st.feasible]
    best = min(feas, key=lambda st: (gc_of(st), rss_of(st))) if feas else None
    infeasible = [st for st in s.steps if not st.feasible and math.isfinite(gc_of(st))]
    cheaper = [st for st in infeasible if best is None or gc_of(st) < gc_of(best)]
    fail = min(cheaper, key=gc_of) if cheaper else None
    ans = _answer("min_gc_cpu", s, best, fail, len(seeds))
    ans.bracket_pass = ans.bracket_fail = 0.0
    if best is None:
        ans.explanation = (
            f"No GOGC / GOMEMLIMIT pair kept the program within {fmt_bytes(budget)}"
            f"{' and the objective (' + slo_text(slo) + ')' if slo else ''}: the closest, "
            f"{_pair(fail) if fail else 'none'}, failed with "
            f"{fail.reason if fail else 'no result'}. {_runs_text(s, len(seeds))}.")
        return ans
    text = (f"Within a memory budget of {fmt_bytes(budget)}, the least GC CPU comes from "
            f"{_pair(best)}: GC CPU {describe_metric(best.point, 'gc_cpu_fraction')}, peak RSS "
            f"{describe_metric(best.point, 'peak_rss_bytes')}.")
    others = sorted((st for st in feas if st is not best), key=gc_of)
    if others:
        runner_up = others[0]
        m_best = metric_map(best.point.metrics)["gc_cpu_fraction"]
        m_next = metric_map(runner_up.point.metrics)["gc_cpu_fraction"]
        overlap = (m_best.HasField("ci_high") and m_next.HasField("ci_low")
                   and m_best.ci_high >= m_next.ci_low)
        text += (f" The runner-up, {_pair(runner_up)}, used "
                 f"{describe_metric(runner_up.point, 'gc_cpu_fraction')}"
                 + ("; the intervals overlap, so the two are statistically tied." if overlap
                    else "; the intervals do not overlap, so the best pair is clearly ahead."))
    if fail is not None:
        text += (f" A cheaper setting, {_pair(fail)} ({fmt_pct(gc_of(fail))} GC CPU), did not "
                 f"fit: {fail.reason}.")
    how = (f"Searched a grid of {len(gogcs)} GOGC × {len(limits_)} GOMEMLIMIT values, then "
           f"{rounds} refinement round{'s' if rounds != 1 else ''} around the best pair; "
           f"{_runs_text(s, len(seeds))}.")
    ans.explanation = " ".join((text, how))
    return ans


def _pair(st: sweep_pb2.PlanStep) -> str:
    g, m = st.point.coordinates[0], st.point.coordinates[1]
    lim = "no GOMEMLIMIT" if math.isinf(m.number) else f"GOMEMLIMIT={fmt_bytes(m.number)}"
    return f"GOGC={g.label} with {lim}"


def _gogc_key(v: specmod.Value) -> float:
    return math.inf if v.number < 0 else v.number


def _setting_gogc(c: sweep_pb2.Coordinate) -> int:
    return int(c.number)


def _neighbours_gogc(values: list[specmod.Value], x: float) -> list[int]:
    """Geometric midpoints between GOGC x and its numeric neighbours (off excluded)."""
    if x < 0:
        return []
    nums = sorted({v.number for v in values if v.number >= 0})
    out = []
    i = nums.index(x) if x in nums else -1
    if i > 0:
        out.append(round(math.sqrt(max(nums[i - 1], 1) * x)))
    if 0 <= i < len(nums) - 1:
        out.append(round(math.sqrt(x * nums[i + 1])))
    elif i == len(nums) - 1 and x > 0:
        out.append(round(x * 1.5))
    return [g for g in out if g not in nums and g >= 0]


def _neighbours_limit(values: list[specmod.Value], x: float) -> list[float]:
    """Midpoints between GOMEMLIMIT x and its neighbours (no limit excluded)."""
    if math.isinf(x):
        return []
    nums = sorted({v.number for v in values if math.isfinite(v.number)})
    i = nums.index(x) if x in nums else -1
    out = []
    if i > 0:
        out.append(float(round((nums[i - 1] + x) / 2)))
    if 0 <= i < len(nums) - 1:
        out.append(float(round((x + nums[i + 1]) / 2)))
    return [m for m in out if m not in nums]
