"""Conversion between the gosim.v1 protos and simcore's dataclasses — the only place it happens.

The proto messages mirror simcore's dataclasses field for field with the same names, so the
conversion is driven by the dataclasses themselves: for each dataclass field, the proto field of
the same name is read or written according to the field's type hint:

  scalar (int, float, bool, str)     <-> proto scalar; a proto3 `optional` field that is absent
                                         takes the dataclass default
  nested dataclass                   <-> message field; absent -> the dataclass default, or a
                                         "must be set" violation when the dataclass field has no
                                         default (e.g. Compute.duration_ns)
  `X | None` (dataclass)             <-> message field with presence (also oneof members:
                                         Step.compute, Workload.open_loop, Summary.oom)
  Enum                               <-> proto enum whose values are PREFIX_ + member name
                                         (DistKind.CONSTANT <-> DIST_KIND_CONSTANT); the
                                         *_UNSPECIFIED zero value takes the dataclass default,
                                         except where the field is required (no default, or
                                         listed in _REQUIRED_ENUMS)
  tuple[scalar, ...]                 <-> repeated scalar
  tuple[dataclass, ...]              <-> repeated message; empty -> the dataclass default if it
                                         is non-empty (Allocate.object_sizes)
  tuple[tuple[a, b], ...]            <-> repeated message whose fields, in declaration order,
                                         are the inner tuple's items (Summary.mmu <-> MMUPoint)

Conversion from a proto never stops at the first problem: every problem (an unknown enum value,
a required field or oneof not set) is recorded as (field_path, reason) with the same path syntax
as simcore.validate ("workload.request.steps[2].allocate.bytes"), a harmless placeholder is used
in its place, and the config is then validated with simcore.validate; both lists are merged and
raised together as one simcore.ConfigError. Paths are relative to SimConfig; the servicer
prefixes them with the request's field name ("config.").

A mismatch between a dataclass and its message (a field missing on one side) is a programming
error and raises KeyError; tests/test_server_convert.py checks the mirror exhaustively.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from google.protobuf.descriptor import EnumDescriptor
from google.protobuf.message import Message

import simcore
from gosim.v1 import config_pb2, result_pb2, simulator_pb2
from simcore.config import NO_LIMIT

T = TypeVar("T")

# Enum fields whose *_UNSPECIFIED value is an error rather than "the default": a distribution
# must say its shape (silently treating {mean: 5} as "constant 0" would be a trap).
_REQUIRED_ENUMS = {("Distribution", "kind")}

# Fields whose dataclass value NO_LIMIT is sent as "absent" (the proto documents absent = none).
_ABSENT_WHEN_NO_LIMIT = {("RuntimeConfig", "gomemlimit_bytes")}

_SCALARS = (int, float, bool, str)


class ConversionError(ValueError):
    """A proto that cannot be turned into a simcore dataclass; violations lists
    (field_path, reason) pairs like simcore.ConfigError."""

    def __init__(self, violations: list[tuple[str, str]]) -> None:
        self.violations = list(violations)
        text = "; ".join(f"{p}: {r}" for p, r in self.violations)
        super().__init__(f"cannot convert: {text}")


# ---------------------------------------------------------------------------------------------
# Type-hint classification (cached per dataclass).


@dataclasses.dataclass(frozen=True)
class _Kind:
    """How one dataclass field maps to its proto field."""

    tag: str  # scalar | message | optional | enum | rep_scalar | rep_message | rep_tuple
    typ: Any = None  # the scalar type, dataclass, or Enum class
    arity: int = 0  # for rep_tuple: the inner tuple's length


def _classify(hint: Any) -> _Kind:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(members) == 1 and dataclasses.is_dataclass(members[0]):
            return _Kind("optional", members[0])
        raise TypeError(f"unsupported union {hint!r}")
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"unsupported tuple {hint!r}")
        elem = args[0]
        if elem in _SCALARS:
            return _Kind("rep_scalar", elem)
        if dataclasses.is_dataclass(elem):
            return _Kind("rep_message", elem)
        if typing.get_origin(elem) is tuple:
            return _Kind("rep_tuple", typing.get_args(elem), len(typing.get_args(elem)))
        raise TypeError(f"unsupported tuple element {elem!r}")
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _Kind("enum", hint)
    if dataclasses.is_dataclass(hint):
        return _Kind("message", hint)
    if hint in _SCALARS:
        return _Kind("scalar", hint)
    raise TypeError(f"unsupported field type {hint!r}")


_FIELDS: dict[type, tuple[tuple[dataclasses.Field[Any], _Kind], ...]] = {}


def _fields(cls: type) -> tuple[tuple[dataclasses.Field[Any], _Kind], ...]:
    """The dataclass's fields with their classified types (cached)."""
    got = _FIELDS.get(cls)
    if got is None:
        hints = typing.get_type_hints(cls)
        got = tuple((f, _classify(hints[f.name])) for f in dataclasses.fields(cls))
        _FIELDS[cls] = got
    return got


def _has_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    factory = typing.cast(Callable[[], Any], f.default_factory)
    return factory()


def _enum_prefix(desc: EnumDescriptor) -> str:
    # "DistKind" -> "DIST_KIND_", "TriggerKind" -> "TRIGGER_KIND_"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", desc.name).upper() + "_"


def _enum_choices(desc: EnumDescriptor) -> str:
    return ", ".join(v.name for v in desc.values if v.number != 0)


# (Descriptors come in two flavours, pure-Python and upb; Any keeps the annotations simple.)
def _enum_type(fd: Any) -> EnumDescriptor:
    assert fd.enum_type is not None
    return fd.enum_type  # type: ignore[no-any-return]


def _message_type(fd: Any) -> Any:
    assert fd.message_type is not None
    return fd.message_type


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# ---------------------------------------------------------------------------------------------
# dataclass -> proto


def to_proto(obj: Any, msg: Message) -> Message:
    """Fill msg (a message of the mirroring type) from the dataclass instance obj; return it."""
    cls = type(obj)
    desc = msg.DESCRIPTOR
    for f, kind in _fields(cls):
        fd = desc.fields_by_name[f.name]
        value = getattr(obj, f.name)
        tag = kind.tag
        if tag == "scalar":
            if (cls.__name__, f.name) in _ABSENT_WHEN_NO_LIMIT and value == NO_LIMIT:
                continue
            setattr(msg, f.name, value)
        elif tag == "message":
            to_proto(value, getattr(msg, f.name))
        elif tag == "optional":
            if value is not None:
                to_proto(value, getattr(msg, f.name))
        elif tag == "enum":
            et = _enum_type(fd)
            setattr(msg, f.name, et.values_by_name[_enum_prefix(et) + value.name].number)
        elif tag == "rep_scalar":
            getattr(msg, f.name).extend(value)
        elif tag == "rep_message":
            rep = getattr(msg, f.name)
            for item in value:
                to_proto(item, rep.add())
        elif tag == "rep_tuple":
            rep = getattr(msg, f.name)
            names = [x.name for x in _message_type(fd).fields]
            for item in value:
                rep.add(**dict(zip(names, item, strict=True)))
    return msg


# ---------------------------------------------------------------------------------------------
# proto -> dataclass


class _Collector:
    """Collects (path, reason) pairs during a proto -> dataclass conversion."""

    def __init__(self) -> None:
        self.violations: list[tuple[str, str]] = []

    def bad(self, path: str, reason: str) -> None:
        self.violations.append((path, reason))


def _placeholder(cls: type[T], msg_type: type[Message]) -> T:
    """A stand-in for a required message that was not set (its own problems are not reported)."""
    try:
        return cls()
    except TypeError:
        return _from_proto(cls, msg_type(), "", _Collector())


def _from_proto(cls: type[T], msg: Message, path: str, out: _Collector) -> T:
    desc = msg.DESCRIPTOR
    kwargs: dict[str, Any] = {}
    for f, kind in _fields(cls):
        fd = desc.fields_by_name[f.name]
        p = _join(path, f.name)
        tag = kind.tag
        if tag == "scalar":
            if fd.has_presence and not msg.HasField(f.name) and _has_default(f):
                continue  # absent optional scalar: the dataclass default
            kwargs[f.name] = kind.typ(getattr(msg, f.name))
        elif tag in ("message", "optional"):
            if msg.HasField(f.name):
                kwargs[f.name] = _from_proto(kind.typ, getattr(msg, f.name), p, out)
            elif tag == "optional":
                kwargs[f.name] = None
            elif not _has_default(f):
                out.bad(p, "must be set")
                kwargs[f.name] = _placeholder(kind.typ, type(getattr(msg, f.name)))
            # else: absent message with a default -> leave it to the dataclass
        elif tag == "enum":
            number = getattr(msg, f.name)
            et = _enum_type(fd)
            required = not _has_default(f) or (cls.__name__, f.name) in _REQUIRED_ENUMS
            fallback = _default(f) if _has_default(f) else next(iter(kind.typ))
            if number == 0:
                if not required:
                    continue  # *_UNSPECIFIED: the dataclass default
                out.bad(p, f"must be set to one of {_enum_choices(et)}")
                kwargs[f.name] = fallback
            elif number not in et.values_by_number:
                out.bad(p, f"unknown enum value {number}; expected one of {_enum_choices(et)}")
                kwargs[f.name] = fallback
            else:
                name = et.values_by_number[number].name.removeprefix(_enum_prefix(et))
                try:
                    kwargs[f.name] = kind.typ[name]
                except KeyError:
                    out.bad(p, f"enum value {et.values_by_number[number].name} is not supported")
                    kwargs[f.name] = fallback
        elif tag == "rep_scalar":
            kwargs[f.name] = tuple(kind.typ(x) for x in getattr(msg, f.name))
        elif tag == "rep_message":
            items = getattr(msg, f.name)
            if len(items) == 0 and _has_default(f):
                continue
            kwargs[f.name] = tuple(
                _from_proto(kind.typ, m, f"{p}[{i}]", out) for i, m in enumerate(items))
        elif tag == "rep_tuple":
            names = [x.name for x in _message_type(fd).fields]
            kwargs[f.name] = tuple(
                tuple(t(getattr(m, n)) for t, n in zip(kind.typ, names, strict=True))
                for m in getattr(msg, f.name))
    return cls(**kwargs)


# ---------------------------------------------------------------------------------------------
# Public API: configs


def config_from_proto(msg: config_pb2.SimConfig) -> simcore.SimConfig:
    """Turn a SimConfig proto into a validated simcore.SimConfig.

    Raises simcore.ConfigError listing every conversion problem and every validation violation,
    with paths relative to SimConfig.
    """
    out = _Collector()
    cfg = _from_proto(simcore.SimConfig, msg, "", out)
    violations = list(out.violations)
    try:
        simcore.validate(cfg)
    except simcore.ConfigError as e:
        seen = set(violations)
        violations += [v for v in e.violations if v not in seen]
    if violations:
        raise simcore.ConfigError(violations)
    return cfg


def config_to_proto(cfg: simcore.SimConfig) -> config_pb2.SimConfig:
    """Turn a simcore.SimConfig into its proto, every field set explicitly (so it does not
    depend on the defaults of whoever reads it); gomemlimit NO_LIMIT is sent as absent."""
    msg = config_pb2.SimConfig()
    to_proto(cfg, msg)
    return msg


def cost_model_to_proto(cost: simcore.CostModel) -> config_pb2.CostModel:
    msg = config_pb2.CostModel()
    to_proto(cost, msg)
    return msg


# ---------------------------------------------------------------------------------------------
# Public API: results


def result_to_proto(result: simcore.Result) -> result_pb2.Result:
    msg = result_pb2.Result()
    to_proto(result, msg)
    return msg


def result_from_proto(msg: result_pb2.Result) -> simcore.Result:
    """Turn a Result proto back into a simcore.Result (raises ConversionError if it cannot)."""
    out = _Collector()
    res = _from_proto(simcore.Result, msg, "", out)
    if out.violations:
        raise ConversionError(out.violations)
    return res


def cycle_to_proto(rec: simcore.CycleRecord) -> result_pb2.CycleRecord:
    msg = result_pb2.CycleRecord()
    to_proto(rec, msg)
    return msg


def cycle_from_proto(msg: result_pb2.CycleRecord) -> simcore.CycleRecord:
    out = _Collector()
    rec = _from_proto(simcore.CycleRecord, msg, "", out)
    if out.violations:
        raise ConversionError(out.violations)
    return rec


def progress_to_proto(p: simcore.Progress, *, elapsed_ns: int,
                      eta_ns: int | None) -> simulator_pb2.Progress:
    """A simcore.Progress plus the wall-clock figures the server adds (elapsed, ETA)."""
    msg = simulator_pb2.Progress(
        simulated_ns=p.simulated_ns,
        duration_ns=p.duration_ns,
        cycles=p.cycles,
        requests_completed=p.requests_completed,
        fraction=p.fraction,
        elapsed_ns=elapsed_ns,
    )
    if eta_ns is not None:
        msg.eta_ns = eta_ns
    return msg


def progress_from_proto(msg: simulator_pb2.Progress) -> simcore.Progress:
    return simcore.Progress(simulated_ns=msg.simulated_ns, duration_ns=msg.duration_ns,
                            cycles=msg.cycles, requests_completed=msg.requests_completed)


def prefix_violations(violations: list[tuple[str, str]],
                      prefix: str) -> list[tuple[str, str]]:
    """Make SimConfig-relative paths request-relative: ("runtime.gogc", r) -> ("config.runtime.
    gogc", r)."""
    return [(_join(prefix, p), r) for p, r in violations]


__all__ = [
    "ConversionError",
    "config_from_proto",
    "config_to_proto",
    "cost_model_to_proto",
    "cycle_from_proto",
    "cycle_to_proto",
    "prefix_violations",
    "progress_from_proto",
    "progress_to_proto",
    "result_from_proto",
    "result_to_proto",
]
