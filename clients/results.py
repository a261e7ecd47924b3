"""Results as plain data: dicts, JSON and binary files, and pandas DataFrames.

A simulation result is a simcore.Result (what the client library returns) or a gosim.v1.Result
proto (what travels over the wire); every function here accepts either and converts with
server.convert, the project's one proto <-> dataclass converter.

- result_to_dict(result): the proto's JSON mapping (google.protobuf.json_format, proto field
  names) as plain Python values: int64 fields are ints (json_format writes them as strings)
  and the histograms' -Inf/+Inf bucket edges are floats. Every field is present, zeros too.
- result_to_json(result): the same as JSON text that any JSON parser reads (RFC 8259): int64
  fields are numbers and non-finite doubles are the proto JSON strings "Infinity"/"-Infinity",
  so json_format.Parse (and `gosim report`) reads it back into the identical Result.
- save_result(result, path) / load_result(path): a result file is the proto's JSON mapping
  (.json, the default) or its binary encoding (.pb / .binpb / .bin); load_result also takes "-"
  for standard input and recognises either encoding by content.
- cycles_frame, series_frame, histogram_frame: pandas DataFrames of the per-cycle GC log, the
  time series and a histogram's buckets. pandas is the optional extra `gosim[frames]`; without
  it these raise ImportError saying how to install it, and nothing else here needs it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message

import simcore
from gosim.v1 import result_pb2
from server import convert
from simcore.results import Histogram

if TYPE_CHECKING:  # pandas is optional (the `frames` extra)
    import pandas as pd

ResultLike = simcore.Result | result_pb2.Result

BINARY_SUFFIXES = (".pb", ".binpb", ".bin")

# Well-known types that json_format renders as strings (never walked into).
_WELL_KNOWN = {"google.protobuf.Timestamp", "google.protobuf.Duration"}


def as_result(result: ResultLike) -> simcore.Result:
    """A simcore.Result from either form."""
    if isinstance(result, result_pb2.Result):
        return convert.result_from_proto(result)
    return result


def as_result_proto(result: ResultLike) -> result_pb2.Result:
    """A gosim.v1.Result from either form."""
    if isinstance(result, result_pb2.Result):
        return result
    return convert.result_to_proto(result)


# ---------------------------------------------------------------------------------------------
# Dicts and JSON


def _plain(value: Any, desc: Any, *, inf_as_float: bool) -> Any:
    """Walk json_format's dict of a message of type desc, making int64 strings ints and (when
    inf_as_float) non-finite double strings floats."""
    if not isinstance(value, dict):
        return value
    by_name = {f.name: f for f in desc.fields}
    out: dict[str, Any] = {}
    for key, v in value.items():
        fd = by_name.get(key)
        if fd is None:
            out[key] = v
            continue
        out[key] = _plain_field(v, fd, inf_as_float=inf_as_float)
    return out


def _plain_field(v: Any, fd: Any, *, inf_as_float: bool) -> Any:
    if fd.is_repeated and isinstance(v, list):
        return [_plain_scalar(x, fd, inf_as_float=inf_as_float) for x in v]
    return _plain_scalar(v, fd, inf_as_float=inf_as_float)


def _plain_scalar(v: Any, fd: Any, *, inf_as_float: bool) -> Any:
    if fd.message_type is not None:
        if fd.message_type.full_name in _WELL_KNOWN:
            return v
        return _plain(v, fd.message_type, inf_as_float=inf_as_float)
    if isinstance(v, str):
        if fd.cpp_type in (fd.CPPTYPE_INT64, fd.CPPTYPE_UINT64):
            return int(v)
        if inf_as_float and fd.cpp_type in (fd.CPPTYPE_DOUBLE, fd.CPPTYPE_FLOAT):
            return float(v)
    return v


def message_to_dict(msg: Message, *, inf_as_float: bool = True,
                    all_fields: bool = True) -> dict[str, Any]:
    """Any gosim.v1 message as a plain dict in its JSON mapping (proto field names, int64 as
    int, enums by name; see the module doc for non-finite floats). all_fields: also the
    fields without presence that hold their zero value."""
    d = json_format.MessageToDict(msg, always_print_fields_with_no_presence=all_fields,
                                  preserving_proto_field_name=True)
    plain: dict[str, Any] = _plain(d, msg.DESCRIPTOR, inf_as_float=inf_as_float)
    return plain


def result_to_dict(result: ResultLike) -> dict[str, Any]:
    """The result as plain Python data (the proto's JSON mapping with proto field names;
    int64 fields as int, infinite histogram edges as float)."""
    return message_to_dict(as_result_proto(result))


def message_to_json(msg: Message, *, indent: int | None = 2) -> str:
    """A message as standard JSON text in its JSON mapping, int64 as numbers (json_format and
    every JSON parser read it back)."""
    return json.dumps(message_to_dict(msg, inf_as_float=False), indent=indent, allow_nan=False)


def result_to_json(result: ResultLike, *, indent: int | None = 2) -> str:
    """The result as standard JSON text (see the module doc); json_format.Parse reads it back."""
    return message_to_json(as_result_proto(result), indent=indent)


def result_from_json(text: str | bytes) -> simcore.Result:
    """Parse result_to_json's text (or any JSON mapping of gosim.v1.Result)."""
    return convert.result_from_proto(json_format.Parse(text, result_pb2.Result()))


# ---------------------------------------------------------------------------------------------
# Files


class ResultFileError(ValueError):
    """A result file that cannot be read (the message names the file and the problem)."""


def save_result(result: ResultLike, path: str | Path) -> Path:
    """Write the result to path: binary proto for .pb/.binpb/.bin, else JSON (result_to_json)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix.lower() in BINARY_SUFFIXES:
        p.write_bytes(as_result_proto(result).SerializeToString())
    else:
        p.write_text(result_to_json(result) + "\n", encoding="utf-8")
    return p


def load_result(path: str | Path) -> simcore.Result:
    """Read a result file written by save_result, `gosim run --out`, grpcurl or any gosim.v1
    client: JSON mapping or binary proto, told apart by content; "-" reads standard input."""
    name = str(path)
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(path).read_bytes()
    except OSError as e:
        raise ResultFileError(f"{name}: cannot read: {e.strerror or e}") from e
    stripped = data.lstrip()
    msg = result_pb2.Result()
    if stripped.startswith(b"{"):
        try:
            obj = json.loads(stripped)
        except ValueError as e:
            raise ResultFileError(f"{name}: not valid JSON: {e}") from e
        # A whole SimulateResponse / job (as grpcurl prints them) holds the result one level
        # down: accept those too.
        if isinstance(obj, dict) and "summary" not in obj:
            if isinstance(obj.get("job"), dict):
                obj = obj["job"]
            if isinstance(obj.get("result"), dict):
                obj = obj["result"]
        try:
            json_format.ParseDict(obj, msg)
        except json_format.ParseError as e:
            raise ResultFileError(f"{name}: not a gosim.v1.Result: {e}") from e
    else:
        try:
            msg.ParseFromString(data)
        except DecodeError as e:
            raise ResultFileError(f"{name}: neither JSON nor a binary gosim.v1.Result: {e}") \
                from e
    if not msg.HasField("summary"):
        raise ResultFileError(f"{name}: not a gosim.v1.Result (it has no summary)")
    try:
        return convert.result_from_proto(msg)
    except convert.ConversionError as e:
        raise ResultFileError(f"{name}: {e}") from e


# ---------------------------------------------------------------------------------------------
# DataFrames (optional: pandas)


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "DataFrames need pandas, an optional extra of gosim: pip install 'gosim[frames]' "
            "(or pip install pandas)") from e
    return pandas


def cycles_frame(result: ResultLike) -> pd.DataFrame:
    """One row per GC cycle (every CycleRecord field; `kind` as "heap"/"time"/"cycle"),
    indexed by the cycle number n."""
    pd_ = _pandas()
    r = as_result(result)
    names = [f.name for f in dataclasses.fields(simcore.CycleRecord)]
    rows = []
    for c in r.cycles:
        row = {n: getattr(c, n) for n in names}
        row["kind"] = c.kind.value
        rows.append(row)
    frame = pd_.DataFrame(rows, columns=names)
    return frame.set_index("n")


def series_frame(result: ResultLike) -> pd.DataFrame:
    """The time series, one row per sample, indexed by simulated time t_ns; every column of
    TimeSeries (heap_alloc_bytes, heap_goal_bytes, rss_bytes, gc_cpu_fraction, ...)."""
    pd_ = _pandas()
    s = as_result(result).series
    cols = {f.name: list(getattr(s, f.name)) for f in dataclasses.fields(s)
            if f.name not in ("interval_ns", "t_ns")}
    frame = pd_.DataFrame(cols, index=pd_.Index(list(s.t_ns), name="t_ns"))
    frame.attrs["interval_ns"] = s.interval_ns
    return frame


HISTOGRAMS = ("latency", "pauses", "sched_latency")


def histogram_frame(result_or_histogram: ResultLike | Histogram,
                    which: str = "latency") -> pd.DataFrame:
    """A histogram's buckets, one row each: lo_s, hi_s (edges in seconds, ±inf at the ends as
    in runtime/metrics), count, cumulative and cdf (cumulative / total). Pass a Result and
    which = "latency", "pauses" or "sched_latency", or a simcore Histogram."""
    pd_ = _pandas()
    if isinstance(result_or_histogram, Histogram):
        h = result_or_histogram
    else:
        if which not in HISTOGRAMS:
            raise ValueError(f"which must be one of {', '.join(HISTOGRAMS)}, got {which!r}")
        h = getattr(as_result(result_or_histogram), which)
    b = h.boundaries_seconds
    total = sum(h.counts)
    cum = 0
    rows = []
    for i, c in enumerate(h.counts):
        cum += c
        rows.append({"lo_s": b[i], "hi_s": b[i + 1], "count": c, "cumulative": cum,
                     "cdf": cum / total if total else math.nan})
    return pd_.DataFrame(rows, columns=["lo_s", "hi_s", "count", "cumulative", "cdf"])


__all__ = [
    "BINARY_SUFFIXES",
    "HISTOGRAMS",
    "ResultFileError",
    "ResultLike",
    "as_result",
    "as_result_proto",
    "cycles_frame",
    "histogram_frame",
    "load_result",
    "message_to_dict",
    "message_to_json",
    "result_from_json",
    "result_to_dict",
    "result_to_json",
    "save_result",
    "series_frame",
]
