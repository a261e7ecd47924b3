"""Workload compilation: programs into op tuples, distributions into samplers, arrivals.

The config describes goroutine programs as steps; the machine runs them as compact Ops so
the inner loop does no lookups on config objects:

    OP_COMPUTE    run sampler.draw() ns of user code
    OP_ALLOC      allocate, see AllocOp
    OP_IO         block off-CPU for sampler.draw() ns
    OP_POOL_GET   sync.Pool Get from pool (allocates via alloc on a miss)
    OP_POOL_PUT   sync.Pool Put to pool

Every random choice draws from a named stream (Streams), each its own random.Random seeded
from (seed, name), so adding a stream or a step elsewhere does not shift the others, and the
same seed gives the same run on any machine.

Open-loop arrivals with a piecewise-constant rate are exact for Poisson: the exponential gap
is memoryless, so a gap that crosses a rate change restarts at the change with the new rate.
With linear interpolation between points, arrivals are drawn by thinning against the
segment's maximum rate.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simcore import sizeclasses as sc
from simcore.config import (
    SECOND,
    Allocate,
    ArrivalProcess,
    DistKind,
    Distribution,
    Lifetime,
    ObjectSize,
    OpenLoop,
    Program,
)
from simcore.heap import Heap, TTLQueue

OP_COMPUTE = 0
OP_ALLOC = 1
OP_IO = 2
OP_POOL_GET = 3
OP_POOL_PUT = 4

LIFE_REQUEST = 0
LIFE_TTL = 1
LIFE_FOREVER = 2
_LIFE = {Lifetime.REQUEST: LIFE_REQUEST, Lifetime.TTL: LIFE_TTL, Lifetime.FOREVER: LIFE_FOREVER}



class Streams:
    """Independent seeded random streams, one per purpose, created on first use."""

    __slots__ = ("_seed", "_streams")

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._streams: dict[str, random.Random] = {}

    def get(self, name: str) -> random.Random:
        r = self._streams.get(name)
        if r is None:
            # str seeds hash with SHA-512 (random.seed version 2): stable across runs and
            # machines, unaffected by PYTHONHASHSEED.
            r = random.Random(f"gosim/{self._seed}/{name}")
            self._streams[name] = r
        return r


# NV_MAGICCONST is random.py's constant for normalvariate (Kinderman-Monahan).
NV_MAGICCONST = 4 * math.exp(-0.5) / math.sqrt(2.0)


class Sampler:
    """Draws integers from a distribution with its own random stream.

    The draws reproduce Python's random module exactly (expovariate, uniform,
    lognormvariate/normalvariate, choices) from the same stream, written out so the compiled
    build calls the generator directly.
    """

    def draw(self) -> int:
        raise NotImplementedError


class ConstSampler(Sampler):
    def __init__(self, value: int) -> None:
        self.value = value

    def draw(self) -> int:
        return self.value


class ExpSampler(Sampler):
    def __init__(self, mean: float, rng: random.Random) -> None:
        self.lambd = 1.0 / mean
        self.rnd: Callable[[], float] = rng.random

    def draw(self) -> int:
        return int(-math.log(1.0 - self.rnd()) / self.lambd)  # random.expovariate


class UniformSampler(Sampler):
    def __init__(self, low: float, high: float, rng: random.Random) -> None:
        self.low = low
        self.span = high - low
        self.rnd: Callable[[], float] = rng.random

    def draw(self) -> int:
        return int(self.low + self.span * self.rnd())  # random.uniform


class LognormalSampler(Sampler):
    def __init__(self, median: float, sigma: float, rng: random.Random) -> None:
        self.mu = math.log(median)
        self.sigma = sigma
        self.rnd: Callable[[], float] = rng.random

    def draw(self) -> int:
        rnd = self.rnd
        while True:  # random.normalvariate
            u1 = rnd()
            u2 = 1.0 - rnd()
            z = NV_MAGICCONST * (u1 - 0.5) / u2
            zz = z * z / 4.0
            if zz <= -math.log(u2):
                break
        return int(math.exp(self.mu + z * self.sigma))  # random.lognormvariate


class WakeupSampler(Sampler):
    """The OS's wake-up latency (CostModel.wakeup_latency_*): a log-normal around the median
    with shape sigma and, with probability tail_fraction, an exponential wait of mean tail_ns
    on top. With sigma 0 and no tail every draw is the median and no random number is used;
    a median of 0 turns the latency off altogether (no tail either)."""

    def __init__(self, median: int, sigma: float, tail_fraction: float, tail_ns: int,
                 rng: random.Random) -> None:
        self.body: Sampler = (LognormalSampler(median, sigma, rng) if median > 0 and sigma > 0
                              else ConstSampler(max(0, median)))
        self.tail_fraction = tail_fraction
        self.tail: Sampler | None = (ExpSampler(tail_ns, rng)
                                     if median > 0 and tail_fraction > 0 and tail_ns > 0
                                     else None)
        self.rnd: Callable[[], float] = rng.random

    def draw(self) -> int:
        x = self.body.draw()
        if self.tail is not None and self.rnd() < self.tail_fraction:
            x += self.tail.draw()
        return x


class EmpiricalSampler(Sampler):
    def __init__(self, values: list[int], cum_weights: list[float],
                 rng: random.Random) -> None:
        self.values = values
        self.cum = cum_weights
        self.rng = rng

    def draw(self) -> int:
        return self.rng.choices(self.values, cum_weights=self.cum)[0]


def make_sampler(d: Distribution, rng: random.Random) -> Sampler:
    """A Sampler drawing integers from d with rng."""
    k = d.kind
    if k is DistKind.CONSTANT:
        return ConstSampler(round(d.value))
    if k is DistKind.EXPONENTIAL:
        return ExpSampler(d.mean, rng)
    if k is DistKind.UNIFORM:
        return UniformSampler(d.low, d.high, rng)
    if k is DistKind.LOGNORMAL:
        return LognormalSampler(d.median, d.sigma, rng)
    values = [round(v) for v in d.values]
    weights = list(d.weights) if d.weights else [1.0] * len(values)
    cum: list[float] = []
    acc = 0.0
    for w in weights:
        acc += w
        cum.append(acc)
    return EmpiricalSampler(values, cum, rng)


class AllocOp:
    """One allocate step, compiled: bytes per call split over span classes.

    entries: per span class (span_class, elem_bytes, objects_per_span, span_bytes,
    objects_per_request_byte, is_scan, is_large). carry keeps each entry's fractional
    objects between calls, so counts are exact on average and deterministic.
    """

    __slots__ = (
        "entries",
        "life",
        "mean_heap_per_request_byte",
        "objects_per_byte",
        "sample_bytes",
        "scan_heap_fraction",
        "ttl_ns",
        "ttl_queue",
    )

    def __init__(self, a: Allocate, sample_bytes: Sampler, heap: Heap) -> None:
        plan = sc.plan_allocation(a.object_sizes, a.scannable_fraction)
        self.sample_bytes = sample_bytes
        # objects of the whole mix per requested byte
        per_obj = plan.mean_request_bytes
        self.objects_per_byte = 1.0 / per_obj if per_obj > 0 else 0.0
        # Each entry: [span_class, elem_bytes, objects_per_span, span_bytes,
        # objects_per_requested_byte, is_scan, is_large, carry]; carry (the fractional
        # objects left over) is the only field that changes.
        ents: list[list[Any]] = []
        for e in plan.entries:
            ents.append([e.span_class, e.elem_bytes, e.objects_per_span, e.span_bytes,
                         e.object_fraction * self.objects_per_byte, not e.noscan,
                         e.size_class == 0, 0.0])
        if plan.tiny_fraction > 0:
            blocks = plan.tiny_block_fraction * self.objects_per_byte
            ents.append([sc.TINY_SPAN_CLASS, sc.TINY_SIZE,
                         sc.objects_per_span(sc.TINY_SIZE_CLASS, True),
                         sc.span_bytes(sc.TINY_SIZE_CLASS), blocks, False, False, 0.0])
        self.entries = ents
        self.life = _LIFE[a.lifetime]
        self.ttl_ns = a.ttl_ns
        self.ttl_queue: TTLQueue | None = heap.new_ttl_queue() if self.life == LIFE_TTL else None
        self.scan_heap_fraction = plan.scan_heap_fraction
        self.mean_heap_per_request_byte = plan.mean_heap_bytes * self.objects_per_byte


NO_SAMPLE = ConstSampler(0)


class Op:
    """One compiled program step: code (OP_*), its sampler (durations, or bytes via alloc),
    its AllocOp (allocate steps and pool misses) and its pool index (pool steps)."""

    def __init__(self, code: int, sampler: Sampler = NO_SAMPLE, alloc: AllocOp | None = None,
                 pool: int = -1) -> None:
        self.code = code
        self.sampler = sampler
        self.alloc = alloc
        self.pool = pool


def compile_program(p: Program, streams: Streams, heap: Heap, name: str,
                    pools: dict[str, int]) -> tuple[Op, ...]:
    """Turn a Program into Ops; pools maps pool names to indices (filled here)."""
    ops: list[Op] = []
    for i, s in enumerate(p.steps):
        rng = streams.get(f"{name}.steps[{i}]")
        if s.compute is not None:
            ops.append(Op(OP_COMPUTE, make_sampler(s.compute.duration_ns, rng)))
        elif s.io_wait is not None:
            ops.append(Op(OP_IO, make_sampler(s.io_wait.duration_ns, rng)))
        elif s.allocate is not None:
            a = s.allocate
            ops.append(Op(OP_ALLOC, alloc=AllocOp(a, make_sampler(a.bytes, rng), heap)))
        elif s.pool_get is not None:
            g = s.pool_get
            idx = pools.setdefault(g.pool, len(pools))
            miss = Allocate(bytes=Distribution.constant(g.object_bytes),
                            object_sizes=(ObjectSize(g.object_bytes, 1.0),),
                            scannable_fraction=1.0 if g.scannable else 0.0,
                            lifetime=Lifetime.REQUEST)
            ops.append(Op(OP_POOL_GET, alloc=AllocOp(miss, make_sampler(miss.bytes, rng), heap),
                          pool=idx))
        elif s.pool_put is not None:
            idx = pools.setdefault(s.pool_put.pool, len(pools))
            ops.append(Op(OP_POOL_PUT, pool=idx))
    return tuple(ops)


@dataclass
class RateSegment:
    start_ns: int
    end_ns: int  # exclusive; a large number for the last segment
    rate0_per_s: float  # at start
    rate1_per_s: float  # at end (== rate0 unless interpolating)


def rate_segments(o: OpenLoop, horizon_ns: int) -> list[RateSegment]:
    """The open-loop rate as segments covering [0, horizon_ns)."""
    pts = [(0, o.rate_per_s)]
    for pt in o.schedule:
        if pt.at_ns == 0:
            pts[0] = (0, pt.rate_per_s)
        else:
            pts.append((pt.at_ns, pt.rate_per_s))
    segs = []
    for i, (t, r) in enumerate(pts):
        end = pts[i + 1][0] if i + 1 < len(pts) else max(horizon_ns, t) + 1
        r1 = pts[i + 1][1] if (o.interpolate and i + 1 < len(pts)) else r
        segs.append(RateSegment(t, end, r, r1))
    return segs


class OpenLoopArrivals:
    """Arrival times of an open-loop source, one at a time (next_after)."""

    __slots__ = ("fast", "lam", "poisson", "rnd", "rng", "seg_i", "segs", "t")

    def __init__(self, o: OpenLoop, horizon_ns: int, rng: random.Random) -> None:
        self.segs = rate_segments(o, horizon_ns)
        self.seg_i = 0
        self.rng = rng
        self.poisson = o.process is ArrivalProcess.POISSON
        # One constant Poisson rate (the common case) is drawn inline: random.expovariate's
        # formula on the same stream.
        self.fast = (self.poisson and len(self.segs) == 1 and self.segs[0].rate0_per_s > 0)
        self.lam = self.segs[0].rate0_per_s / SECOND if self.fast else 0.0
        self.t = 0.0
        self.rnd: Callable[[], float] = rng.random

    def expected_count(self, horizon_ns: int) -> float:
        total = 0.0
        for s in self.segs:
            lo, hi = s.start_ns, min(s.end_ns, horizon_ns)
            if hi <= lo:
                continue
            frac = (hi - lo) / (s.end_ns - s.start_ns)
            r_hi = s.rate0_per_s + (s.rate1_per_s - s.rate0_per_s) * frac
            total += (s.rate0_per_s + r_hi) / 2 * (hi - lo) / SECOND
        return total

    def next_after(self, t_ns: int) -> int:
        """The next arrival after t_ns, or -1 if the rate stays 0 for ever."""
        if self.fast:
            t = self.t
            if t < t_ns:
                t = float(t_ns)
            t += -math.log(1.0 - self.rnd()) / self.lam
            self.t = t
            n = int(t)
            return n if n > t_ns else t_ns + 1
        segs = self.segs
        rng = self.rng
        t = float(t_ns)
        while self.seg_i < len(segs):
            s = segs[self.seg_i]
            if t < s.start_ns:
                t = float(s.start_ns)
            rmax = max(s.rate0_per_s, s.rate1_per_s)
            if rmax <= 0:
                self.seg_i += 1
                continue
            while True:
                gap = rng.expovariate(rmax) if self.poisson else 1.0 / rmax
                t += gap * SECOND
                if t >= s.end_ns:
                    break
                if s.rate0_per_s == s.rate1_per_s:
                    return max(int(t), t_ns + 1) if self.poisson else int(t)
                frac = (t - s.start_ns) / (s.end_ns - s.start_ns)
                r = s.rate0_per_s + (s.rate1_per_s - s.rate0_per_s) * frac
                if not self.poisson or rng.random() * rmax <= r:
                    return int(t)
            t = float(s.end_ns)
            self.seg_i += 1
        return -1
