"""Workload files: a gosim.v1.SimConfig written as YAML or JSON in the proto's JSON mapping.

    runtime: {gomaxprocs: 4, gogc: 100}
    duration_ns: 10000000000
    workload:
      open_loop: {rate_per_s: 4000}
      request:
        steps:
          - compute: {duration_ns: {kind: DIST_KIND_EXPONENTIAL, mean: 200000}}
          - allocate: {bytes: {kind: DIST_KIND_CONSTANT, value: 65536}}

The same text (as JSON) is what grpcurl, the Node client or any gRPC client sends as `config`.
Field names are the proto's (snake_case) or their lowerCamelCase JSON names; enums by name;
int64 values as numbers or strings.

How a file is read (load_workload):
1. The text is parsed into a dict: JSON (.json) with json, anything else with PyYAML's safe
   loader, extended to read YAML 1.2 floats such as 1e9 and to reject a key given twice.
2. `--set PATH=VALUE` overrides (apply_overrides) edit the dict: "runtime.gogc=50",
   "workload.request.steps[1].allocate.bytes.value=4096"; the value is read as YAML, and a
   field ending in _ns or _bytes also takes "30s", "250ms", "512MiB", "2GB".
3. google.protobuf.json_format.ParseDict turns the dict into a gosim.v1.SimConfig; unknown
   fields are rejected, never ignored. When it fails, the dict is walked along the message
   descriptors to name the exact field (its path, e.g. "workload.request.steps[0].compute"),
   still letting json_format judge each value.
4. server.convert.config_from_proto turns the proto into a simcore.SimConfig and runs
   simcore.validate, which reports every bad field by path.
Any problem raises WorkloadError naming the file, the line (for YAML and JSON text) and the
field path of every violation.

dump_workload(config) writes a config back as YAML in the same mapping, leaving out fields
that hold their defaults (minimal=True), so that load_workload(dump_workload(c)) == c.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format, message_factory

import simcore
from clients.results import message_to_dict
from gosim.v1 import config_pb2
from server import convert

_NS_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
             "m": 60_000_000_000, "min": 60_000_000_000, "h": 3_600_000_000_000}
_BYTE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
               "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
               "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
_QUANTITY = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Zµ]*)\s*$")
_WELL_KNOWN = {"google.protobuf.Timestamp", "google.protobuf.Duration"}


class WorkloadError(ValueError):
    """A workload that cannot be used: violations lists (field_path, reason) pairs ("" for the
    whole file); lines maps a path to its 1-based line in the file where it is known."""

    def __init__(self, source: str, violations: Sequence[tuple[str, str]],
                 lines: Mapping[str, int] | None = None) -> None:
        self.source = source
        self.violations = list(violations)
        self.lines = dict(lines or {})
        super().__init__(self.describe())

    def describe(self) -> str:
        """One line per violation: "file:LINE: field.path: reason"."""
        out = []
        for path, reason in self.violations:
            line = self.lines.get(path)
            where = f"{self.source}:{line}" if line else self.source
            out.append(f"{where}: {path}: {reason}" if path else f"{where}: {reason}")
        return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Quantities with units (for --set and the CLI's --duration)


def parse_duration_ns(text: str | int | float) -> int:
    """Nanoseconds from "30s", "250ms", "1.5m", "2h", "100us", or a plain number of ns."""
    if isinstance(text, int | float):
        return int(text)
    m = _QUANTITY.match(text)
    if not m or (m.group(2) and m.group(2) not in _NS_UNITS):
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 250ms, 5m, or nanoseconds)")
    return round(float(m.group(1)) * _NS_UNITS.get(m.group(2) or "ns", 1))


def parse_bytes(text: str | int | float) -> int:
    """Bytes from "512MiB", "2GiB", "64KiB", "1GB", "4k", or a plain number of bytes."""
    if isinstance(text, int | float):
        return int(text)
    m = _QUANTITY.match(text)
    unit = m.group(2).lower() if m else ""
    if not m or (unit and unit not in _BYTE_UNITS):
        raise ValueError(f"not a size: {text!r} (use e.g. 512MiB, 2GiB, 64KiB, or bytes)")
    return round(float(m.group(1)) * _BYTE_UNITS.get(unit or "b", 1))


# ---------------------------------------------------------------------------------------------
# Reading text into a dict


class _Loader(yaml.SafeLoader):
    """SafeLoader + YAML 1.2 floats (1e9, 2.5e-3) + duplicate keys rejected."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789."))


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} is given twice (first on line {seen[key]})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _yaml_value(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"the key {k!r} is given twice")
        out[k] = v
    return out


def read_text(text: str, source: str = "<string>", fmt: str | None = None) -> dict[str, Any]:
    """The dict a workload's text holds (fmt "json" or "yaml"; default: from source's
    suffix, YAML unless it ends in .json). Raises WorkloadError for a syntax error."""
    fmt = fmt or ("json" if source.lower().endswith(".json") else "yaml")
    try:
        if fmt == "json":
            data = json.loads(text, object_pairs_hook=_json_pairs)
        else:
            data = _yaml_value(text)
    except json.JSONDecodeError as e:
        raise WorkloadError(source, [("", f"not valid JSON: {e.msg}")],
                            {"": e.lineno}) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e)
        line = {"": mark.line + 1} if mark is not None else {}
        raise WorkloadError(source, [("", f"not valid YAML: {problem}")], line) from None
    except ValueError as e:  # a duplicate key in JSON
        raise WorkloadError(source, [("", str(e))]) from None
    if data is None:
        raise WorkloadError(source, [("", "the file is empty; a workload is a mapping of "
                                          "SimConfig fields (write {} for all defaults)")])
    if not isinstance(data, dict):
        raise WorkloadError(source, [("", "a workload must be a mapping of SimConfig fields "
                                          f"(runtime, workload, ...), not a {_kind(data)}")])
    return data


def _kind(v: Any) -> str:
    return {list: "list", str: "string", bool: "boolean", int: "number", float: "number",
            dict: "mapping", type(None): "null"}.get(type(v), type(v).__name__)


# ---------------------------------------------------------------------------------------------
# Overrides


_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _key_in(d: dict[str, Any], name: str) -> str:
    """The key d already uses for field `name` (snake_case or lowerCamelCase), else name."""
    for k in (name, _camel(name)):
        if k in d:
            return k
    return name


def _parse_path(path: str) -> list[str | int]:
    out: list[str | int] = []
    for part in path.split("."):
        m = _SEGMENT.match(part)
        if not m:
            raise ValueError(f"bad field path {path!r} (write e.g. runtime.gogc or "
                             "workload.request.steps[1].allocate.bytes.value)")
        out.append(m.group(1))
        out += [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
    return out


def _override_value(name: str, raw: str) -> Any:
    value = _yaml_value(raw) if raw.strip() else ""
    if isinstance(value, str) and name.endswith("_ns"):
        return parse_duration_ns(value)
    if isinstance(value, str) and name.endswith("_bytes"):
        return parse_bytes(value)
    return value


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply "path=value" overrides to a workload dict in place (and return it). Missing
    mappings on the way are created; a list index must exist (or be the list's length, to
    append). Raises ValueError naming the override."""
    for item in overrides:
        path, sep, raw = item.partition("=")
        if not sep:
            raise ValueError(f"--set {item!r}: expected PATH=VALUE, e.g. runtime.gogc=50")
        try:
            segs = _parse_path(path.strip())
            last = next(s for s in reversed(segs) if isinstance(s, str))
            value = _override_value(last, raw)
            cur: Any = data
            for i, seg in enumerate(segs):
                final = i == len(segs) - 1
                nxt = None if final else segs[i + 1]
                if isinstance(seg, str):
                    if not isinstance(cur, dict):
                        raise ValueError(f"{seg} is not inside a mapping")
                    key = _key_in(cur, seg)
                    if final:
                        cur[key] = value
                    else:
                        if cur.get(key) is None:
                            cur[key] = [] if isinstance(nxt, int) else {}
                        cur = cur[key]
                else:
                    if not isinstance(cur, list):
                        raise ValueError(f"[{seg}] indexes something that is not a list")
                    if seg == len(cur):
                        cur.append({})
                    elif seg > len(cur):
                        raise ValueError(f"index [{seg}] is past the end (the list has "
                                         f"{len(cur)} items)")
                    if final:
                        cur[seg] = value
                    else:
                        cur = cur[seg]
        except ValueError as e:
            raise ValueError(f"--set {item!r}: {e}") from None
    return data


# ---------------------------------------------------------------------------------------------
# dict -> proto, naming the field when json_format refuses


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _message_class(desc: Any) -> Any:
    return message_factory.GetMessageClass(desc)


def _scalar_reason(fd: Any, v: Any) -> str:
    if fd.enum_type is not None:
        names = ", ".join(x.name for x in fd.enum_type.values if x.number != 0)
        return f"expected one of {names}; got {v!r}"
    t = fd.cpp_type
    if t in (fd.CPPTYPE_INT32, fd.CPPTYPE_INT64, fd.CPPTYPE_UINT32, fd.CPPTYPE_UINT64):
        return f"expected an integer, got {v!r}"
    if t in (fd.CPPTYPE_DOUBLE, fd.CPPTYPE_FLOAT):
        return f"expected a number, got {v!r}"
    if t == fd.CPPTYPE_BOOL:
        return f"expected true or false, got {v!r}"
    return f"expected a string, got {v!r}"


def _clean(e: Exception) -> str:
    text = re.sub(r"^(Failed to parse \w+ field: )+", "", str(e))
    return re.sub(r"\s+at \"?[\w.\[\]]+\"?\.*$", "", text).strip()


def _find_problem(value: Any, desc: Any, path: str) -> tuple[str, str] | None:
    """The first field of `value` (a dict for message `desc`) that json_format refuses."""
    if not isinstance(value, dict):
        return (path, f"must be a mapping (a {desc.name} message), got a {_kind(value)}")
    by_name = {f.name: f for f in desc.fields} | {f.json_name: f for f in desc.fields}
    cls = _message_class(desc)
    for key, v in value.items():
        p = _join(path, str(key))
        fd = by_name.get(key)
        if fd is None:
            names = ", ".join(f.name for f in desc.fields)
            return (p, f"unknown field (a {desc.name} has: {names})")
        if v is None:
            continue
        if fd.message_type is not None and fd.message_type.full_name not in _WELL_KNOWN:
            if fd.is_repeated:
                if not isinstance(v, list):
                    return (p, f"must be a list of {fd.message_type.name}, got a {_kind(v)}")
                for i, item in enumerate(v):
                    found = _find_problem(item, fd.message_type, f"{p}[{i}]")
                    if found:
                        return found
            else:
                found = _find_problem(v, fd.message_type, p)
                if found:
                    return found
            continue
        if fd.is_repeated:
            if not isinstance(v, list):
                return (p, f"must be a list, got a {_kind(v)}")
            for i, item in enumerate(v):
                try:
                    json_format.ParseDict({key: [item]}, cls())
                except json_format.ParseError:
                    return (f"{p}[{i}]", _scalar_reason(fd, item))
            continue
        try:
            json_format.ParseDict({key: v}, cls())
        except json_format.ParseError:
            return (p, _scalar_reason(fd, v))
    for oneof in desc.oneofs:
        members = [f.name for f in oneof.fields
                   if value.get(f.name) is not None or value.get(f.json_name) is not None]
        if len(members) > 1:
            names = ", ".join(f.name for f in oneof.fields)
            return (path, f"set only one of {names} (a oneof), got {' and '.join(members)}")
    try:
        json_format.ParseDict(value, cls())
    except json_format.ParseError as e:
        return (path, _clean(e))
    return None


class FieldProblem(ValueError):
    """json_format refused a field: its path in the SimConfig and why."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


def dict_to_proto(data: Mapping[str, Any]) -> config_pb2.SimConfig:
    """ParseDict into a gosim.v1.SimConfig (unknown fields rejected); raises FieldProblem
    naming the field json_format refused."""
    try:
        return json_format.ParseDict(dict(data), config_pb2.SimConfig())
    except json_format.ParseError as e:
        found = _find_problem(dict(data), config_pb2.SimConfig.DESCRIPTOR, "")
        raise FieldProblem(*(found or ("", _clean(e)))) from None


# ---------------------------------------------------------------------------------------------
# Line numbers of field paths in YAML/JSON text (best effort)


def _lines_of(text: str, paths: Sequence[str]) -> dict[str, int]:
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return {}
    out: dict[str, int] = {}
    for path in paths:
        if not path or root is None:
            continue
        node: Any = root
        try:
            segs = _parse_path(path)
        except ValueError:
            continue
        line = None
        for seg in segs:
            nxt = None
            if isinstance(seg, str) and isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value in (seg, _camel(seg)):
                        nxt, line = v, k.start_mark.line + 1
                        break
            elif (isinstance(seg, int) and isinstance(node, yaml.SequenceNode)
                  and seg < len(node.value)):
                nxt = node.value[seg]
                line = nxt.start_mark.line + 1
            if nxt is None:
                break
            node = nxt
        if line is not None:
            out[path] = line
    return out


# ---------------------------------------------------------------------------------------------
# Public API


def parse_workload_proto(text: str, source: str = "<string>", *, fmt: str | None = None,
                         overrides: Sequence[str] = ()) -> config_pb2.SimConfig:
    """Text -> a validated gosim.v1.SimConfig (as written: absent fields stay absent)."""
    data = read_text(text, source, fmt)
    try:
        apply_overrides(data, overrides)
    except ValueError as e:
        raise WorkloadError(source, [("", str(e))]) from None
    # Line numbers point into the text, so none for fields an override set.
    touched = [o.partition("=")[0].strip() for o in overrides]

    def lines(paths: Sequence[str]) -> dict[str, int]:
        return _lines_of(text, [p for p in paths
                                if not any(p == t or p.startswith((f"{t}.", f"{t}["))
                                           for t in touched)])

    try:
        msg = dict_to_proto(data)
    except FieldProblem as e:
        raise WorkloadError(source, [(e.path, e.reason)], lines([e.path])) from None
    try:
        convert.config_from_proto(msg)
    except simcore.ConfigError as e:
        raise WorkloadError(source, e.violations, lines([p for p, _ in e.violations])) from None
    return msg


def parse_workload(text: str, source: str = "<string>", *, fmt: str | None = None,
                   overrides: Sequence[str] = ()) -> simcore.SimConfig:
    """Text -> a validated simcore.SimConfig (see the module doc)."""
    return convert.config_from_proto(parse_workload_proto(text, source, fmt=fmt,
                                                          overrides=overrides))


def _read(path: str | Path) -> tuple[str, str]:
    name = str(path)
    try:
        return Path(path).read_text(encoding="utf-8"), name
    except FileNotFoundError:
        raise WorkloadError(name, [("", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise WorkloadError(name, [("", f"cannot read: {e}")]) from None


def load_workload_proto(path: str | Path,
                        overrides: Sequence[str] = ()) -> config_pb2.SimConfig:
    """A workload file -> a validated gosim.v1.SimConfig (to send to a server)."""
    text, name = _read(path)
    return parse_workload_proto(text, name, overrides=overrides)


def load_workload(path: str | Path, overrides: Sequence[str] = ()) -> simcore.SimConfig:
    """A workload file (YAML or JSON) -> a validated simcore.SimConfig; raises WorkloadError
    naming the file, line and field of every problem."""
    text, name = _read(path)
    return parse_workload(text, name, overrides=overrides)


def _same(d: dict[str, Any], target: simcore.SimConfig) -> bool:
    try:
        return convert.config_from_proto(dict_to_proto(d)) == target
    except (ValueError, simcore.ConfigError):
        return False


def _minimize(d: dict[str, Any], node: Any, target: simcore.SimConfig) -> None:
    """Drop every key under node (depth first) whose absence leaves the config unchanged:
    exactly the fields that hold the default an absent field takes."""
    if isinstance(node, list):
        for item in node:
            _minimize(d, item, target)
        return
    if not isinstance(node, dict):
        return
    for key in list(node):
        _minimize(d, node[key], target)
        value = node.pop(key)
        if not _same(d, target):
            node[key] = value


def _tidy_numbers(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _tidy_numbers(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_tidy_numbers(x) for x in v]
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def workload_dict(config: simcore.SimConfig | config_pb2.SimConfig, *,
                  minimal: bool = True) -> dict[str, Any]:
    """The config as a dict in the proto's JSON mapping (what a workload file holds)."""
    msg = config if isinstance(config, config_pb2.SimConfig) else convert.config_to_proto(config)
    d = message_to_dict(msg, all_fields=False)
    if minimal:
        _minimize(d, d, convert.config_from_proto(msg))
    tidy: dict[str, Any] = _tidy_numbers(d)
    return tidy


def dump_workload(config: simcore.SimConfig | config_pb2.SimConfig, *, minimal: bool = True,
                  comment: str = "", fmt: str = "yaml") -> str:
    """The config as workload-file text: YAML (default) or JSON; minimal leaves out fields
    that hold their defaults; comment becomes a leading "# " block (YAML only)."""
    d = workload_dict(config, minimal=minimal)
    if fmt == "json":
        return json.dumps(d, indent=2) + "\n"
    head = "".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines()) if comment \
        else ""
    body = yaml.safe_dump(d, sort_keys=False, default_flow_style=None, width=100,
                          allow_unicode=True)
    return head + body


__all__ = [
    "FieldProblem",
    "WorkloadError",
    "apply_overrides",
    "dict_to_proto",
    "dump_workload",
    "load_workload",
    "load_workload_proto",
    "parse_bytes",
    "parse_duration_ns",
    "parse_workload",
    "parse_workload_proto",
    "read_text",
    "workload_dict",
]
