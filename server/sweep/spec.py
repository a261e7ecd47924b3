"""Sweep specifications: from a SweepSpec proto to validated points.

A sweep varies fields of a base SimConfig. Each axis names its field by path in the proto's
field names (or their JSON lowerCamelCase names), with [i] for an existing element of a
repeated field: "runtime.gogc", "workload.openLoop.ratePerS",
"workload.request.steps[0].compute.duration_ns.mean". resolve_path() walks the SimConfig
descriptor along the path and checks that the field is a scalar number, bool or enum (not a
message, not repeated), that an indexed element exists in the base, and that the path does not
silently switch a oneof the base has set differently (open_loop vs closed_loop).

Values are coerced to the field's type (coerce()): integers from ints or integral-enough
floats (rounded), floats from numbers, enums from their full or short names or numbers, and
strings: "off" (GOGC=off is -1; GOMEMLIMIT off clears the field: no limit), plain numbers,
and quantities with units on *_bytes fields (KiB, MiB, GiB, TiB, KB, MB, GB, TB, B) and *_ns
fields (ns, us, ms, s, m, h).

expand() makes the points: the cartesian product of the list and range axes (first axis
slowest) crossed with `samples` joint draws of the sampled axes (Latin hypercube by default:
each axis's interval is cut into `samples` strata on its scale, each stratum used once, paired
across axes by independent random permutations; or independent uniform draws). Sampling uses
random.Random seeded from the spec's seed, so the same spec always expands to the same points.
Every point's config is converted and validated with server.convert; problems are reported as
SpecError violations whose field names the axis ("axes[1].values.values[0]") and whose
description starts with the field path and value ("runtime.gomaxprocs = 0: must be >= 1"), or
the base config ("base.workload...") when no axis is involved.

Replication seeds (replication_seeds()): replication 0 uses the spec's seed (so a
one-replication sweep reproduces `gosim run` of the same config), replication r > 0 a SplitMix64
mix of (seed, r); all distinct. The same seeds are used at every point (common random numbers).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

import simcore
from gosim.v1 import config_pb2, sweep_pb2
from server import convert

DEFAULT_REPLICATIONS = 3
MAX_REPLICATIONS = 1000
MAX_AXIS_VALUES = 100_000
_MASK62 = (1 << 62) - 1

OFF_WORDS = frozenset({"off", "none", "unlimited", "nolimit", "no-limit"})
_BYTE_UNITS = {
    "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "k": 1 << 10, "m": 1 << 20,
    "g": 1 << 30, "t": 1 << 40,
}
_TIME_UNITS = {
    "ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
    "min": 60 * 10**9, "h": 3600 * 10**9,
}
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-zA-Zµ]*)\s*$")
_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")

_INT_TYPES = {FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64,
              FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SINT64,
              FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_UINT64,
              FieldDescriptor.TYPE_FIXED32, FieldDescriptor.TYPE_FIXED64,
              FieldDescriptor.TYPE_SFIXED32, FieldDescriptor.TYPE_SFIXED64}
_INT32_TYPES = {FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32,
                FieldDescriptor.TYPE_SFIXED32}
_FLOAT_TYPES = {FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT}


class SpecError(ValueError):
    """An invalid sweep; violations are (field, reason) pairs relative to the SweepSpec."""

    def __init__(self, violations: list[tuple[str, str]]) -> None:
        self.violations = list(violations)
        text = "; ".join(f"{p}: {r}" for p, r in self.violations[:10])
        super().__init__(f"invalid sweep: {text}")


class _ValueError(ValueError):
    """A value that does not fit its field (the message is the reason)."""


# ---------------------------------------------------------------------------------------------
# Paths


@dataclass(frozen=True)
class FieldRef:
    """A resolved field path: where to set a value in a SimConfig message."""

    path: str  # canonical: proto field names, with [i]
    segments: tuple[tuple[str, int | None], ...]
    field: Any  # the leaf FieldDescriptor
    kind: str  # int | float | bool | enum

    @property
    def leaf(self) -> str:
        return str(self.field.name)

    def is_int32(self) -> bool:
        return self.field.type in _INT32_TYPES


def resolve_path(path: str, base: config_pb2.SimConfig) -> FieldRef:
    """Resolve a field path against the base config (raises _ValueError with the reason)."""
    if not path or not path.strip():
        raise _ValueError("the path is empty")
    msg: Any = base
    desc: Any = base.DESCRIPTOR
    segments: list[tuple[str, int | None]] = []
    parts = path.strip().split(".")
    fd: Any = None
    for i, part in enumerate(parts):
        m = _SEGMENT.match(part)
        if m is None:
            raise _ValueError(f"bad path segment {part!r}")
        name, idx_text = m.group(1), m.group(2)
        fd = desc.fields_by_name.get(name)
        if fd is None:
            fd = next((f for f in desc.fields if f.json_name == name), None)
        if fd is None:
            known = ", ".join(f.name for f in desc.fields)
            where = ".".join(s for s, _ in segments) or "SimConfig"
            raise _ValueError(f"{where} has no field {name!r} (fields: {known})")
        repeated = bool(fd.is_repeated)
        last = i == len(parts) - 1
        index = int(idx_text) if idx_text is not None else None
        if repeated and index is None:
            raise _ValueError(f"{fd.name} is a repeated field: say which element, "
                              f"e.g. {fd.name}[0]")
        if not repeated and index is not None:
            raise _ValueError(f"{fd.name} is not a repeated field")
        oneof = fd.containing_oneof
        if oneof is not None and msg is not None:
            chosen = msg.WhichOneof(oneof.name)
            if chosen is not None and chosen != fd.name:
                raise _ValueError(f"{fd.name} is in the oneof {oneof.name}, but the base sets "
                                  f"{chosen}")
        segments.append((fd.name, index))
        if fd.type == FieldDescriptor.TYPE_MESSAGE:
            if last:
                raise _ValueError(f"{fd.name} is a message; the path must end at a number, "
                                  "bool or enum field")
            if repeated:
                items = getattr(msg, fd.name) if msg is not None else []
                assert index is not None
                if index >= len(items):
                    raise _ValueError(f"{fd.name}[{index}] does not exist in the base config "
                                      f"({len(items)} element(s))")
                msg = items[index]
            else:
                msg = getattr(msg, fd.name) if msg is not None and msg.HasField(fd.name) \
                    else None
            desc = fd.message_type
            continue
        if not last:
            raise _ValueError(f"{fd.name} is not a message; nothing can follow it")
        if repeated:
            raise _ValueError(f"{fd.name} is a repeated scalar; it cannot be an axis")
        if fd.type in _INT_TYPES:
            kind = "int"
        elif fd.type in _FLOAT_TYPES:
            kind = "float"
        elif fd.type == FieldDescriptor.TYPE_BOOL:
            kind = "bool"
        elif fd.type == FieldDescriptor.TYPE_ENUM:
            kind = "enum"
        else:
            raise _ValueError(f"{fd.name} is a string field; only numbers, bools and enums "
                              "can be swept")
    assert fd is not None
    canon = ".".join(n if i is None else f"{n}[{i}]" for n, i in segments)
    return FieldRef(canon, tuple(segments), fd, kind)


def set_field(cfg: config_pb2.SimConfig, ref: FieldRef, value: int | float | bool | None
              ) -> None:
    """Set the field in cfg (None clears it: absent, the documented default)."""
    msg: Any = cfg
    for name, index in ref.segments[:-1]:
        msg = getattr(msg, name)[index] if index is not None else getattr(msg, name)
    name = ref.segments[-1][0]
    if value is None:
        msg.ClearField(name)
    else:
        setattr(msg, name, value)


# ---------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class Value:
    """One coerced axis value: what to set, and how to show it."""

    setting: int | float | bool | None  # None: clear the field (GOMEMLIMIT off)
    number: float  # for tables and plots
    label: str

    def to_axis_value(self, ref: FieldRef) -> sweep_pb2.AxisValue:
        if self.setting is None or (ref.leaf == "gogc" and self.setting == simcore.GOGC_OFF):
            return sweep_pb2.AxisValue(string_value="off")
        if ref.kind == "enum":
            return sweep_pb2.AxisValue(string_value=self.label)
        if ref.kind == "float":
            return sweep_pb2.AxisValue(double_value=float(self.setting))
        return sweep_pb2.AxisValue(int_value=int(self.setting))


def parse_quantity(text: str, leaf: str) -> float:
    """A number written as text, with a unit for *_bytes and *_ns fields ("256MiB", "10ms")."""
    m = _QUANTITY.match(text)
    if m is None:
        raise _ValueError(f"cannot read {text!r} as a number")
    number, unit = float(m.group(1)), m.group(2)
    if not unit:
        return number
    factor = None
    if leaf.endswith("_bytes"):
        factor = _BYTE_UNITS.get(unit.lower())
    elif leaf.endswith("_ns"):
        factor = _TIME_UNITS.get(unit.lower())
    if factor is None:
        kinds = ("bytes: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB" if leaf.endswith("_bytes")
                 else "time: ns, us, ms, s, m, h" if leaf.endswith("_ns")
                 else "none (this field has no unit)")
        raise _ValueError(f"unknown unit {unit!r} in {text!r}; units for {leaf}: {kinds}")
    return number * factor


def _enum_prefix(ref: FieldRef) -> str:
    name = ref.field.enum_type.name
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() + "_"


def coerce(ref: FieldRef, raw: Any) -> Value:
    """Coerce a raw value (AxisValue, int, float, bool or str) to the field's type."""
    if isinstance(raw, sweep_pb2.AxisValue):
        which = raw.WhichOneof("value")
        if which is None:
            raise _ValueError("the value is empty (set int_value, double_value or "
                              "string_value)")
        raw = getattr(raw, which)
    leaf = ref.leaf
    if isinstance(raw, str) and raw.strip().lower() in OFF_WORDS:
        if leaf == "gogc":
            return Value(simcore.GOGC_OFF, -1.0, "off")
        if leaf == "gomemlimit_bytes":
            return Value(None, math.inf, "off")
        raise _ValueError(f"{raw!r} is only meaningful for runtime.gogc and "
                          "runtime.gomemlimit_bytes")
    if ref.kind == "enum":
        et = ref.field.enum_type
        if isinstance(raw, bool):
            raise _ValueError(f"expected one of {_enum_names(ref)}, got {raw!r}")
        if isinstance(raw, (int, float)):
            if float(raw) != int(raw) or int(raw) not in et.values_by_number:
                raise _ValueError(f"{raw!r} is not a value of {et.name} "
                                  f"(one of {_enum_names(ref)})")
            v = et.values_by_number[int(raw)]
            return Value(v.number, float(v.number), v.name)
        text = str(raw).strip()
        cand = text.upper().replace("-", "_")
        prefix = _enum_prefix(ref)
        for v in et.values:
            if v.name in (cand, prefix + cand):
                return Value(v.number, float(v.number), v.name)
        raise _ValueError(f"{text!r} is not a value of {et.name} (one of {_enum_names(ref)})")
    if ref.kind == "bool":
        if isinstance(raw, bool):
            return Value(raw, float(raw), str(raw).lower())
        if isinstance(raw, (int, float)) and raw in (0, 1):
            return Value(bool(raw), float(raw), str(bool(raw)).lower())
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            b = raw.strip().lower() == "true"
            return Value(b, float(b), str(b).lower())
        raise _ValueError(f"expected true or false, got {raw!r}")
    if isinstance(raw, bool):
        raise _ValueError(f"expected a number, got {raw!r}")
    number = parse_quantity(raw, leaf) if isinstance(raw, str) else float(raw)
    if not math.isfinite(number):
        raise _ValueError(f"must be finite, got {raw!r}")
    if ref.kind == "float":
        return Value(number, number, _fmt(number))
    n = round(number)
    lo, hi = (-(1 << 31), (1 << 31) - 1) if ref.is_int32() else (-(1 << 63), (1 << 63) - 1)
    if not lo <= n <= hi:
        raise _ValueError(f"{raw!r} is out of range for {leaf}")
    if leaf == "gogc" and n == simcore.GOGC_OFF:
        return Value(n, -1.0, "off")
    return Value(n, float(n), int_label(n, leaf))


def int_label(n: int, leaf: str) -> str:
    """A short label for an integer value: binary units for bytes, time units for ns."""
    units: tuple[tuple[str, int], ...] = ()
    if leaf.endswith("_bytes"):
        units = (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10))
    elif leaf.endswith("_ns"):
        units = (("h", 3600 * 10**9), ("m", 60 * 10**9), ("s", 10**9), ("ms", 10**6),
                 ("us", 10**3))
    for name, size in units:
        if n and n % size == 0:
            return f"{n // size}{name}"
    return str(n)


def _enum_names(ref: FieldRef) -> str:
    return ", ".join(v.name for v in ref.field.enum_type.values if v.number != 0)


def _fmt(x: float) -> str:
    return f"{x:.6g}"


# ---------------------------------------------------------------------------------------------
# Axes


@dataclass(frozen=True)
class ResolvedAxis:
    index: int
    ref: FieldRef
    name: str
    domain: str  # values | range | sample
    values: tuple[Value, ...] = ()  # grid axes (values and range)
    low: float = 0.0  # sampled axes
    high: float = 0.0
    log: bool = False

    @property
    def sampled(self) -> bool:
        return self.domain == "sample"


def range_numbers(r: sweep_pb2.AxisRange) -> list[float]:
    """The raw numbers of a range (before coercion; raises _ValueError)."""
    start, stop, step, count = r.start, r.stop, r.step, r.count
    log = r.scale == sweep_pb2.AXIS_SCALE_LOG
    for name, x in (("start", start), ("stop", stop), ("step", step)):
        if not math.isfinite(x):
            raise _ValueError(f"{name} must be finite")
    if stop < start:
        raise _ValueError(f"stop ({_fmt(stop)}) must be >= start ({_fmt(start)})")
    if (step != 0) == (count != 0):
        raise _ValueError("give exactly one of step and count")
    if count < 0:
        raise _ValueError("count must be >= 1")
    if step < 0:
        raise _ValueError("step must be > 0")
    if log and start <= 0:
        raise _ValueError("a log range needs start > 0")
    if count:
        if count > MAX_AXIS_VALUES:
            raise _ValueError(f"count must be at most {MAX_AXIS_VALUES}")
        if count == 1:
            return [start]
        if log:
            a, b = math.log(start), math.log(stop)
            out = [math.exp(a + (b - a) * i / (count - 1)) for i in range(count)]
            out[0], out[-1] = start, stop
            return out
        return [start + (stop - start) * i / (count - 1) for i in range(count)]
    out = []
    if log:
        if step <= 1:
            raise _ValueError("a log range's step is a factor and must be > 1")
        x, i = start, 0
        while x <= stop * (1 + 1e-9):
            out.append(x)
            i += 1
            x = start * step**i
            if len(out) > MAX_AXIS_VALUES:
                raise _ValueError(f"the range has more than {MAX_AXIS_VALUES} values")
        return out
    n = math.floor((stop - start) / step + 1e-9) + 1
    if n > MAX_AXIS_VALUES:
        raise _ValueError(f"the range has more than {MAX_AXIS_VALUES} values")
    return [start + i * step for i in range(n)]


def resolve_axes(spec: sweep_pb2.SweepSpec) -> tuple[list[ResolvedAxis], list[tuple[str, str]]]:
    """Resolve every axis; returns the axes that resolved and the violations."""
    bad: list[tuple[str, str]] = []
    axes: list[ResolvedAxis] = []
    seen: dict[str, int] = {}
    for i, ax in enumerate(spec.axes):
        where = f"axes[{i}]"
        try:
            ref = resolve_path(ax.path, spec.base)
        except _ValueError as e:
            bad.append((f"{where}.path", f"{ax.path or '(empty)'}: {e}"))
            continue
        if ref.path in seen:
            bad.append((f"{where}.path",
                        f"{ref.path}: already swept by axes[{seen[ref.path]}]"))
            continue
        seen[ref.path] = i
        name = ax.name or ax.path
        which = ax.WhichOneof("domain")
        if which is None:
            bad.append((where, f"{ref.path}: set one of values, range or sample"))
            continue
        if which == "sample":
            s = ax.sample
            log = s.scale == sweep_pb2.AXIS_SCALE_LOG
            problem = None
            if not (math.isfinite(s.low) and math.isfinite(s.high)):
                problem = "low and high must be finite"
            elif s.high < s.low:
                problem = f"high ({_fmt(s.high)}) must be >= low ({_fmt(s.low)})"
            elif log and s.low <= 0:
                problem = "a log sample needs low > 0"
            elif ref.kind not in ("int", "float"):
                problem = f"only number fields can be sampled ({ref.path} is {ref.kind})"
            if problem:
                bad.append((f"{where}.sample", f"{ref.path}: {problem}"))
                continue
            axes.append(ResolvedAxis(i, ref, name, "sample", low=s.low, high=s.high, log=log))
            continue
        values: list[Value] = []
        if which == "values":
            if not ax.values.values:
                bad.append((f"{where}.values", f"{ref.path}: the list of values is empty"))
                continue
            if len(ax.values.values) > MAX_AXIS_VALUES:
                bad.append((f"{where}.values",
                            f"{ref.path}: more than {MAX_AXIS_VALUES} values"))
                continue
            for k, raw in enumerate(ax.values.values):
                try:
                    values.append(coerce(ref, raw))
                except _ValueError as e:
                    bad.append((f"{where}.values.values[{k}]", f"{ref.path}: {e}"))
        else:
            try:
                nums = range_numbers(ax.range)
                values = _dedupe([coerce(ref, x) for x in nums])
            except _ValueError as e:
                bad.append((f"{where}.range", f"{ref.path}: {e}"))
                continue
        axes.append(ResolvedAxis(i, ref, name, which, values=tuple(values)))
    return axes, bad


def _dedupe(values: list[Value]) -> list[Value]:
    seen: set[Any] = set()
    out = []
    for v in values:
        if v.setting not in seen:
            seen.add(v.setting)
            out.append(v)
    return out


def sample_units(n: int, k: int, lhs: bool, rng: random.Random) -> list[list[float]]:
    """n joint draws of k numbers in [0, 1): a Latin hypercube (each axis's n strata used once)
    or independent uniforms. Returns n rows of k."""
    if lhs:
        cols = []
        for _ in range(k):
            perm = list(range(n))
            rng.shuffle(perm)
            cols.append([(perm[i] + rng.random()) / n for i in range(n)])
        return [[cols[j][i] for j in range(k)] for i in range(n)]
    return [[rng.random() for _ in range(k)] for _ in range(n)]


def _scale(u: float, ax: ResolvedAxis) -> float:
    if ax.log:
        a, b = math.log(ax.low), math.log(ax.high)
        return math.exp(a + (b - a) * u)
    return ax.low + (ax.high - ax.low) * u


# ---------------------------------------------------------------------------------------------
# Seeds


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


def replication_seeds(seed: int, n: int) -> list[int]:
    """n distinct seeds: the seed itself, then SplitMix64 mixes of (seed, r)."""
    out = [seed]
    seen = {seed}
    r = 1
    while len(out) < n:
        s = _splitmix64((seed * 0x100000001B3 + r) & 0xFFFFFFFFFFFFFFFF) & _MASK62
        r += 1
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def spec_seed(spec: sweep_pb2.SweepSpec) -> int:
    if spec.HasField("seed"):
        return spec.seed
    return spec.base.seed if spec.base.HasField("seed") else 1


# ---------------------------------------------------------------------------------------------
# Expansion


@dataclass(frozen=True)
class Point:
    """One point of a sweep, validated."""

    index: int
    coordinates: tuple[sweep_pb2.Coordinate, ...]
    config: config_pb2.SimConfig  # the proto (base + axis values)
    sim: simcore.SimConfig  # the same, converted and validated

    def with_seed(self, seed: int) -> simcore.SimConfig:
        return dataclasses.replace(self.sim, seed=seed)


@dataclass(frozen=True)
class Expansion:
    points: tuple[Point, ...]
    seeds: tuple[int, ...]  # one per replication

    @property
    def replications(self) -> int:
        return len(self.seeds)

    @property
    def total_runs(self) -> int:
        return len(self.points) * len(self.seeds)


def count_points(spec: sweep_pb2.SweepSpec) -> int:
    """How many points the spec expands to, without expanding it (0 if it is invalid)."""
    axes, bad = resolve_axes(spec)
    if bad:
        return 0
    n = 1
    for ax in axes:
        if not ax.sampled:
            n *= len(ax.values)
    if any(ax.sampled for ax in axes):
        n *= max(spec.samples, 0)
    return n


def replications_of(spec: sweep_pb2.SweepSpec) -> int:
    return spec.replications or DEFAULT_REPLICATIONS


def expand(spec: sweep_pb2.SweepSpec, *, max_points: int = 0, validate: bool = True
           ) -> Expansion:
    """Expand and validate the spec (raises SpecError; see the module doc). max_points > 0
    refuses bigger sweeps before building them (SpecError on "axes")."""
    bad: list[tuple[str, str]] = []
    reps = spec.replications or DEFAULT_REPLICATIONS
    if not 1 <= reps <= MAX_REPLICATIONS:
        bad.append(("replications", f"must be between 1 and {MAX_REPLICATIONS}, got "
                                    f"{spec.replications}"))
    if spec.sampling not in sweep_pb2.Sampling.values():
        bad.append(("sampling", f"unknown sampling {spec.sampling}"))
    axes, axis_bad = resolve_axes(spec)
    bad += axis_bad
    sampled = [a for a in axes if a.sampled]
    if sampled and spec.samples < 1:
        bad.append(("samples", "must be >= 1 when an axis is sampled"))
    if not sampled and spec.samples != 0:
        bad.append(("samples", "no axis is sampled; leave samples at 0"))
    if bad:
        raise SpecError(bad)
    grid = [a for a in axes if not a.sampled]
    n_grid = math.prod(len(a.values) for a in grid)
    n_samples = spec.samples if sampled else 1
    total = n_grid * n_samples
    if max_points and total > max_points:
        raise SpecError([("axes", f"the sweep has {total} points, above the limit of "
                                  f"{max_points}")])
    seed = spec_seed(spec)
    rng = random.Random(f"gosim-sweep:{seed}")
    draws: list[list[Value]] = [[]]
    if sampled:
        lhs = spec.sampling != sweep_pb2.SAMPLING_RANDOM
        units = sample_units(spec.samples, len(sampled), lhs, rng)
        draws = []
        for row in units:
            vals = []
            for u, ax in zip(row, sampled, strict=True):
                try:
                    vals.append(coerce(ax.ref, _scale(u, ax)))
                except _ValueError as e:
                    raise SpecError([(f"axes[{ax.index}].sample", f"{ax.ref.path}: {e}")]
                                    ) from None
            draws.append(vals)
    order = grid + sampled
    points: list[Point] = []
    problems: dict[tuple[str, str], None] = {}
    for combo in itertools.product(*(a.values for a in grid)):
        for draw in draws:
            values = list(combo) + draw
            cfg = config_pb2.SimConfig()
            cfg.CopyFrom(spec.base)
            coords = []
            for ax, v in zip(order, values, strict=True):
                set_field(cfg, ax.ref, v.setting)
            for ax in axes:  # coordinates in axis order
                v = values[order.index(ax)]
                coords.append(sweep_pb2.Coordinate(path=ax.ref.path, name=ax.name,
                                                   value=v.to_axis_value(ax.ref),
                                                   number=v.number, label=v.label))
            sim: simcore.SimConfig | None = None
            if validate:
                try:
                    sim = convert.config_from_proto(cfg)
                except simcore.ConfigError as e:
                    for path, reason in e.violations:
                        problems[_attribute(path, reason, order, values)] = None
                    if len(problems) >= 50:
                        break
                    continue
            points.append(Point(len(points), tuple(coords), cfg,
                                sim if sim is not None else simcore.SimConfig()))
        if len(problems) >= 50:
            break
    if problems:
        raise SpecError(list(problems))
    return Expansion(tuple(points), tuple(replication_seeds(seed, reps)))


def _attribute(path: str, reason: str, axes: Sequence[ResolvedAxis],
               values: Sequence[Value]) -> tuple[str, str]:
    """Name the axis behind a violation of a point's config (or the base)."""
    for ax, v in zip(axes, values, strict=True):
        p = ax.ref.path
        if path == p or path.startswith(p + ".") or path.startswith(p + "["):
            where = f"axes[{ax.index}].{ax.domain}"
            if ax.domain == "values" and v in ax.values:
                where += f".values[{ax.values.index(v)}]"
            return where, f"{p} = {v.label}: {reason}"
    # Not an axis's own field: still say which axis values were in effect.
    context = ", ".join(f"{ax.ref.path}={v.label}" for ax, v in zip(axes, values, strict=True))
    suffix = f" (at {context})" if context else ""
    return f"base.{path}" if path else "base", f"{path}: {reason}{suffix}"
