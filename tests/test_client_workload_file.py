"""Workload files (clients.workload_file): YAML and JSON in the SimConfig JSON mapping, parsed by
json_format, validated by simcore; errors name the file, the line and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import simcore
from clients.workload_file import (
    WorkloadError,
    apply_overrides,
    dump_workload,
    load_workload,
    load_workload_proto,
    parse_bytes,
    parse_duration_ns,
    parse_workload,
)
from simcore.presets import bench_reference, web_api

YAML = """\
runtime: {gomaxprocs: 2, gogc: 50}
duration_ns: 2e9
workload:
  open_loop: {rate_per_s: 300}
  request:
    steps:
      - compute: {duration_ns: {kind: DIST_KIND_EXPONENTIAL, mean: 100000}}
      - allocate:
          bytes: {kind: DIST_KIND_CONSTANT, value: 4096}
          object_sizes: [{size_bytes: 64, weight: 3}, {size_bytes: 512}]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_yaml_and_json_give_the_same_config(tmp_path: Path) -> None:
    from_yaml = load_workload(write(tmp_path, "w.yaml", YAML))
    assert from_yaml.runtime == simcore.RuntimeConfig(gomaxprocs=2, gogc=50)
    assert from_yaml.duration_ns == 2 * 10**9  # YAML 1.2 float 2e9 for an int64 field
    assert from_yaml.workload.request.steps[1].allocate is not None
    as_json = json.dumps({
        "runtime": {"gomaxprocs": 2, "gogc": 50}, "durationNs": "2000000000",  # camelCase,
        "workload": {"openLoop": {"ratePerS": 300}, "request": {"steps": [   # int64 string
            {"compute": {"durationNs": {"kind": "DIST_KIND_EXPONENTIAL", "mean": 1e5}}},
            {"allocate": {"bytes": {"kind": "DIST_KIND_CONSTANT", "value": 4096},
                          "object_sizes": [{"size_bytes": 64, "weight": 3},
                                           {"size_bytes": 512}]}}]}}})
    assert load_workload(write(tmp_path, "w.json", as_json)) == from_yaml
    assert load_workload_proto(write(tmp_path, "w2.yaml", YAML)).runtime.gogc == 50


def test_unknown_field_is_rejected_with_its_path_and_line(tmp_path: Path) -> None:
    p = write(tmp_path, "typo.yaml", YAML.replace("gogc: 50", "gogcc: 50"))
    with pytest.raises(WorkloadError) as e:
        load_workload(p)
    err = e.value
    assert err.violations[0][0] == "runtime.gogcc"
    assert "unknown field" in err.violations[0][1] and "gogc" in err.violations[0][1]
    assert f"{p}:1: runtime.gogcc: unknown field" in str(err)
    deep = YAML.replace("mean: 100000", "mean: 100000, median: 3, colour: red")
    with pytest.raises(WorkloadError) as e:
        parse_workload(deep, "deep.yaml")
    assert e.value.violations[0][0] == "workload.request.steps[0].compute.duration_ns.colour"
    assert e.value.lines["workload.request.steps[0].compute.duration_ns.colour"] == 7
    with pytest.raises(WorkloadError, match="unknown field"):
        parse_workload(json.dumps({"runtime": {"gomaxprocs": 2}, "extra": 1}), "x.json")


@pytest.mark.parametrize(("text", "path", "reason"), [
    ("runtime: {gogc: fifty}", "runtime.gogc", "expected an integer, got 'fifty'"),
    ("runtime: {gomaxprocs: 0}", "runtime.gomaxprocs", "must be >= 1, got 0"),
    ("runtime: {gogc: -5}", "runtime.gogc", "must be >= 0, or -1 for off"),
    ("runtime: 4", "runtime", "must be a mapping"),
    ("workload: {open_loop: {rate_per_s: fast}}", "workload.open_loop.rate_per_s",
     "expected a number"),
    ("workload: {open_loop: {rate_per_s: -1}}", "workload.open_loop.rate_per_s", "must be >= 0"),
    ("workload: {open_loop: {rate_per_s: 1}, closed_loop: {clients: 1}}", "workload",
     "set only one of open_loop, closed_loop"),
    ("workload: {request: {steps: [{compute: {duration_ns: {kind: DIST_KIND_NORMAL}}}]}}",
     "workload.request.steps[0].compute.duration_ns.kind", "expected one of DIST_KIND_CONSTANT"),
    ("workload: {request: {steps: [{compute: {duration_ns: {mean: 5}}}]}}",
     "workload.request.steps[0].compute.duration_ns.kind", "must be set to one of"),
    ("workload: {request: {steps: [{}]}}", "workload.request.steps[0]", "exactly one of"),
    ("workload: {request: {steps: {compute: {}}}}", "workload.request.steps", "must be a list"),
    ("workload:\n  request:\n    steps:\n      - allocate:\n          bytes: {kind: "
     "DIST_KIND_EMPIRICAL, values: [1, x]}\n", "workload.request.steps[0].allocate.bytes.values[1]",
     "expected a number"),
    ("duration_ns: 1.5", "duration_ns", "expected an integer"),
])
def test_bad_values_name_the_field(text: str, path: str, reason: str) -> None:
    with pytest.raises(WorkloadError) as e:
        parse_workload(text, "bad.yaml")
    paths = {p: r for p, r in e.value.violations}
    assert path in paths, e.value.violations
    assert reason in paths[path]
    assert str(e.value).startswith("bad.yaml:")


def test_every_violation_is_reported_with_lines() -> None:
    text = "runtime:\n  gomaxprocs: 0\n  gogc: -3\nduration_ns: -1\n"
    with pytest.raises(WorkloadError) as e:
        parse_workload(text, "many.yaml")
    assert e.value.violations == [
        ("runtime.gomaxprocs", "must be >= 1, got 0"),
        ("runtime.gogc", "must be >= 0, or -1 for off, got -3"),
        ("duration_ns", "must be > 0, got -1"),
    ]
    assert e.value.lines == {"runtime.gomaxprocs": 2, "runtime.gogc": 3, "duration_ns": 4}


@pytest.mark.parametrize(("text", "reason"), [
    ("", "the file is empty"),
    ("- 1\n- 2\n", "must be a mapping of SimConfig fields"),
    ("runtime: [\n", "not valid YAML"),
    ("duration_ns: 1\nduration_ns: 2\n", "given twice"),
])
def test_file_level_problems(text: str, reason: str) -> None:
    with pytest.raises(WorkloadError, match=reason):
        parse_workload(text, "f.yaml")


def test_json_syntax_and_duplicates() -> None:
    with pytest.raises(WorkloadError, match=r"f.json:2: not valid JSON"):
        parse_workload('{"runtime":\n  }', "f.json")
    with pytest.raises(WorkloadError, match="given twice"):
        parse_workload('{"seed": 1, "seed": 2}', "f.json")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WorkloadError, match="no such file"):
        load_workload(tmp_path / "nope.yaml")


def test_overrides() -> None:
    cfg = parse_workload(YAML, overrides=[
        "runtime.gogc=200", "runtime.gomemlimit_bytes=512MiB", "duration_ns=30s",
        "workload.open_loop.rate_per_s=1e4", "workload.request.steps[1].allocate.bytes.value=8192",
        "workload.request.steps[2].io_wait.duration_ns={kind: DIST_KIND_CONSTANT, value: 1000}",
        "workload.name=svc", "seed=9"])
    assert cfg.runtime.gogc == 200 and cfg.runtime.gomemlimit_bytes == 512 << 20
    assert cfg.duration_ns == 30 * 10**9 and cfg.seed == 9
    assert cfg.workload.open_loop is not None and cfg.workload.open_loop.rate_per_s == 10_000
    assert cfg.workload.request.steps[1].allocate is not None
    assert cfg.workload.request.steps[1].allocate.bytes.value == 8192
    assert cfg.workload.request.steps[2].io_wait is not None
    assert cfg.workload.name == "svc"
    unset = parse_workload("runtime: {gomemlimit_bytes: 1000}",
                           overrides=["runtime.gomemlimit_bytes=null"])
    assert unset.runtime.gomemlimit_bytes == simcore.NO_LIMIT
    # camelCase keys in the file are reused, not duplicated.
    d = apply_overrides({"durationNs": 5}, ["duration_ns=7"])
    assert d == {"durationNs": 7}
    for bad, match in [("runtime.gogc", "expected PATH=VALUE"),
                       ("runtime..gogc=1", "bad field path"),
                       ("workload.request.steps[5].compute=1", "past the end")]:
        with pytest.raises(WorkloadError, match=match):
            parse_workload(YAML, "o.yaml", overrides=[bad])
    with pytest.raises(WorkloadError) as e:
        parse_workload(YAML, "o.yaml", overrides=["runtime.gomaxprocs=0"])
    assert e.value.violations == [("runtime.gomaxprocs", "must be >= 1, got 0")]
    assert e.value.lines == {}  # the bad value came from the override, not from a line


def test_units() -> None:
    assert parse_duration_ns("250ms") == 250_000_000
    assert parse_duration_ns("1.5m") == 90 * 10**9
    assert parse_duration_ns("100us") == parse_duration_ns("100µs") == 100_000
    assert parse_duration_ns("42") == 42
    assert parse_bytes("2GiB") == 2 << 30 and parse_bytes("1GB") == 10**9
    assert parse_bytes("64k") == 65536
    for bad in ("fast", "3 parsecs"):
        with pytest.raises(ValueError):
            parse_duration_ns(bad)
    with pytest.raises(ValueError):
        parse_bytes("lots")


@pytest.mark.parametrize("cfg", [web_api(), web_api(gogc=-1), bench_reference(),
                                 simcore.SimConfig()])
def test_dump_round_trips(cfg: simcore.SimConfig) -> None:
    text = dump_workload(cfg, comment="a comment\nover two lines")
    assert text.startswith("# a comment\n# over two lines\n")
    assert parse_workload(text) == cfg
    full = dump_workload(cfg, minimal=False)
    assert parse_workload(full) == cfg
    assert len(full) >= len(text)
    assert parse_workload(dump_workload(cfg, fmt="json"), "x.json") == cfg


def test_dump_is_minimal() -> None:
    text = dump_workload(web_api())
    assert "cost" not in text and "gogc" not in text  # defaults left out
    assert "lifetime" not in text  # LIFETIME_REQUEST is what an absent lifetime means
    assert "DIST_KIND_LOGNORMAL" in text  # a distribution keeps its kind
    assert dump_workload(simcore.SimConfig()) == "{}\n"
