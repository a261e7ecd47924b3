"""Sweep files: YAML (or JSON) -> a gosim.v1.SweepSpec, and config files -> a SimConfig.

A sweep file is the SweepSpec in a friendlier spelling (docs/sweeps.md has the full format):

    base:                       # a SimConfig in the proto JSON mapping
      duration_ns: 1000000000
      runtime: {gomaxprocs: 2}
      workload: {open_loop: {rate_per_s: 200}, request: {steps: [...]}}
    axes:
      - path: runtime.gogc
        values: [25, 50, 100, 200, off]
      - path: workload.open_loop.rate_per_s
        range: {start: 100, stop: 1000, count: 4, scale: log}
      - path: runtime.gomemlimit_bytes
        sample: {low: 64MiB, high: 1GiB, scale: log}
    samples: 8                  # joint draws of the sampled axes
    sampling: lhs               # lhs (Latin hypercube, default) or random
    replications: 3
    seed: 42
    label: gogc-vs-procs        # optional: stored with a server sweep
    plot: {x: runtime.gogc, lines: runtime.gomaxprocs}   # optional: what `gosim sweep` plots

`axes` may also be a mapping from path to a list of values (`runtime.gogc: [50, 100, off]`) or
to a dict with values / range / sample (a dict with start and stop is a range, one with low
and high a sample). Values are numbers, enum names or strings such as "off", "256MiB", "10ms";
range and sample bounds may carry units too (converted here with the field's unit, bytes or
ns). Unknown keys are errors, so a typo does not silently sweep nothing.

load_config_file() reads a SimConfig (proto JSON mapping) from YAML or JSON; a file with a
top-level `base` (a sweep file) gives its base, so one file can serve `gosim sweep` and
`gosim plan`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format

from gosim.v1 import config_pb2, sweep_pb2
from server.sweep.spec import parse_quantity

_TOP_KEYS = {"base", "axes", "samples", "sampling", "replications", "seed", "label", "plot"}
_AXIS_KEYS = {"path", "name", "values", "range", "sample"}
_RANGE_KEYS = {"start", "stop", "step", "count", "scale"}
_SAMPLE_KEYS = {"low", "high", "scale"}
_SAMPLING = {"lhs": sweep_pb2.SAMPLING_LATIN_HYPERCUBE,
             "latin_hypercube": sweep_pb2.SAMPLING_LATIN_HYPERCUBE,
             "latin-hypercube": sweep_pb2.SAMPLING_LATIN_HYPERCUBE,
             "random": sweep_pb2.SAMPLING_RANDOM}
_SCALES = {"linear": sweep_pb2.AXIS_SCALE_LINEAR, "lin": sweep_pb2.AXIS_SCALE_LINEAR,
           "log": sweep_pb2.AXIS_SCALE_LOG}


class SweepFileError(ValueError):
    """A sweep or config file that cannot be read (the message says where and why)."""


def load_document(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise SweepFileError(f"{path}: {e}") from e
    if not isinstance(doc, dict):
        raise SweepFileError(f"{path}: expected a mapping at the top level")
    return doc


def config_from_dict(d: Any, where: str = "base") -> config_pb2.SimConfig:
    cfg = config_pb2.SimConfig()
    if d is None:
        return cfg
    if not isinstance(d, dict):
        raise SweepFileError(f"{where}: expected a mapping (a SimConfig)")
    try:
        json_format.ParseDict(d, cfg)
    except json_format.ParseError as e:
        raise SweepFileError(f"{where}: {e}") from e
    return cfg


def load_config_file(path: Path) -> config_pb2.SimConfig:
    """A SimConfig from YAML/JSON (or the `base` of a sweep file)."""
    doc = load_document(path)
    if "base" in doc:
        return config_from_dict(doc["base"], f"{path}: base")
    return config_from_dict(doc, str(path))


def _axis_value(v: Any, where: str, path: str = "") -> sweep_pb2.AxisValue:
    if isinstance(v, bool):
        # YAML 1.1 reads a bare `off` as false: for GOGC and GOMEMLIMIT that means "off".
        if v is False and path.rsplit(".", 1)[-1] in ("gogc", "gomemlimit_bytes"):
            return sweep_pb2.AxisValue(string_value="off")
        return sweep_pb2.AxisValue(string_value=str(v).lower())
    if isinstance(v, int):
        return sweep_pb2.AxisValue(int_value=v)
    if isinstance(v, float):
        return sweep_pb2.AxisValue(double_value=v)
    if isinstance(v, str):
        return sweep_pb2.AxisValue(string_value=v)
    raise SweepFileError(f"{where}: a value must be a number or a string, got {v!r}")


def _number(v: Any, path: str, where: str) -> float:
    if isinstance(v, bool):
        raise SweepFileError(f"{where}: expected a number, got {v!r}")
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return parse_quantity(v, path.rsplit(".", 1)[-1])
        except ValueError as e:
            raise SweepFileError(f"{where}: {e}") from e
    raise SweepFileError(f"{where}: expected a number, got {v!r}")


def _check_keys(d: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(d) - allowed
    if unknown:
        raise SweepFileError(f"{where}: unknown key(s) {sorted(unknown)}; expected "
                             f"{sorted(allowed)}")


def _scale(v: Any, where: str) -> int:
    if v is None:
        return sweep_pb2.AXIS_SCALE_UNSPECIFIED
    got = _SCALES.get(str(v).lower())
    if got is None:
        raise SweepFileError(f"{where}.scale: expected linear or log, got {v!r}")
    return got


def _axis(d: Any, where: str) -> sweep_pb2.Axis:
    if not isinstance(d, dict):
        raise SweepFileError(f"{where}: expected a mapping with path and values/range/sample")
    _check_keys(d, _AXIS_KEYS, where)
    path = d.get("path")
    if not isinstance(path, str) or not path:
        raise SweepFileError(f"{where}: needs a path (e.g. runtime.gogc)")
    ax = sweep_pb2.Axis(path=path, name=str(d.get("name") or ""))
    kinds = [k for k in ("values", "range", "sample") if k in d]
    if len(kinds) != 1:
        raise SweepFileError(f"{where} ({path}): give exactly one of values, range, sample")
    kind = kinds[0]
    body = d[kind]
    if kind == "values":
        if not isinstance(body, list):
            raise SweepFileError(f"{where}.values: expected a list")
        ax.values.values.extend(_axis_value(v, f"{where}.values[{i}]", path)
                                for i, v in enumerate(body))
    elif kind == "range":
        if not isinstance(body, dict):
            raise SweepFileError(f"{where}.range: expected a mapping (start, stop, step or count)")
        _check_keys(body, _RANGE_KEYS, f"{where}.range")
        for key in ("start", "stop"):
            if key not in body:
                raise SweepFileError(f"{where}.range: needs {key}")
        ax.range.start = _number(body["start"], path, f"{where}.range.start")
        ax.range.stop = _number(body["stop"], path, f"{where}.range.stop")
        if "step" in body:
            ax.range.step = _number(body["step"], path, f"{where}.range.step") \
                if str(body.get("scale", "")).lower() != "log" else float(body["step"])
        if "count" in body:
            ax.range.count = int(body["count"])
        ax.range.scale = _scale(body.get("scale"), f"{where}.range")  # type: ignore[assignment]
    else:
        if not isinstance(body, dict):
            raise SweepFileError(f"{where}.sample: expected a mapping (low, high, scale)")
        _check_keys(body, _SAMPLE_KEYS, f"{where}.sample")
        for key in ("low", "high"):
            if key not in body:
                raise SweepFileError(f"{where}.sample: needs {key}")
        ax.sample.low = _number(body["low"], path, f"{where}.sample.low")
        ax.sample.high = _number(body["high"], path, f"{where}.sample.high")
        ax.sample.scale = _scale(body.get("scale"), f"{where}.sample")  # type: ignore[assignment]
    return ax


def _axes(raw: Any) -> list[sweep_pb2.Axis]:
    if raw is None:
        return []
    if isinstance(raw, list):
        return [_axis(d, f"axes[{i}]") for i, d in enumerate(raw)]
    if isinstance(raw, dict):
        out = []
        for i, (path, body) in enumerate(raw.items()):
            where = f"axes.{path}"
            if isinstance(body, list):
                out.append(_axis({"path": path, "values": body}, where))
            elif isinstance(body, dict):
                if "start" in body or "stop" in body:
                    out.append(_axis({"path": path, "range": body}, where))
                elif "low" in body or "high" in body:
                    out.append(_axis({"path": path, "sample": body}, where))
                else:
                    out.append(_axis({"path": path, **body}, where))
            else:
                raise SweepFileError(f"axes[{i}] ({path}): expected a list of values or a "
                                     "mapping")
        return out
    raise SweepFileError("axes: expected a list of axes or a mapping from path to values")


def spec_from_dict(doc: dict[str, Any]) -> sweep_pb2.SweepSpec:
    """The SweepSpec of a parsed sweep file (see the module doc)."""
    _check_keys(doc, _TOP_KEYS, "sweep file")
    spec = sweep_pb2.SweepSpec()
    spec.base.CopyFrom(config_from_dict(doc.get("base"), "base"))
    spec.axes.extend(_axes(doc.get("axes")))
    for key in ("replications", "samples"):
        if key in doc:
            v = doc[key]
            if not isinstance(v, int) or isinstance(v, bool):
                raise SweepFileError(f"{key}: expected an integer, got {v!r}")
            setattr(spec, key, v)
    if "seed" in doc:
        if not isinstance(doc["seed"], int):
            raise SweepFileError(f"seed: expected an integer, got {doc['seed']!r}")
        spec.seed = doc["seed"]
    if "sampling" in doc:
        got = _SAMPLING.get(str(doc["sampling"]).lower())
        if got is None:
            raise SweepFileError(f"sampling: expected lhs or random, got {doc['sampling']!r}")
        spec.sampling = got
    return spec


def load_sweep_file(path: Path) -> tuple[sweep_pb2.SweepSpec, dict[str, Any]]:
    """(SweepSpec, options): options has `label` and `plot` when the file sets them."""
    doc = load_document(path)
    try:
        spec = spec_from_dict(doc)
    except SweepFileError as e:
        raise SweepFileError(f"{path}: {e}") from None
    opts: dict[str, Any] = {}
    if "label" in doc:
        opts["label"] = str(doc["label"])
    if "plot" in doc:
        if not isinstance(doc["plot"], dict):
            raise SweepFileError(f"{path}: plot: expected a mapping (x, lines, metrics)")
        opts["plot"] = doc["plot"]
    return spec, opts
