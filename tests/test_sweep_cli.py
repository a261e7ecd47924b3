"""`gosim sweep` and `gosim plan`: files in, CSV / Parquet / plot / JSON out, in process and
through a server."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import yaml
from server_helpers import small_config, start_server

from clients import cli_sweep, sweep_file
from gosim.v1 import sweep_pb2

pd = pytest.importorskip("pandas")


def _sweep_file(tmp_path: Path) -> Path:
    from google.protobuf import json_format

    base = json_format.MessageToDict(small_config(duration_s=0.3, rate=200),
                                     preserving_proto_field_name=True)
    doc = {
        "base": base,
        "axes": {"runtime.gogc": [50, 200, "off"], "runtime.gomaxprocs": [1, 2]},
        "replications": 2,
        "seed": 4,
        "label": "cli-test",
        "plot": {"x": "runtime.gogc", "lines": "runtime.gomaxprocs"},
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_register_adds_sweep_and_plan() -> None:
    ap = argparse.ArgumentParser(prog="gosim")
    sub = ap.add_subparsers(dest="command")
    cli_sweep.register(sub)
    ns = ap.parse_args(["sweep", "f.yaml", "--workers", "1"])
    assert ns.func is cli_sweep.sweep_main and ns.workers == 1
    ns = ap.parse_args(["plan", "max-rate", "c.yaml", "--p99", "50ms"])
    assert ns.func is cli_sweep.plan_main and ns.question == "max-rate"


def test_sweep_file_format(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("""
base: {duration_ns: 100000000, workload: {open_loop: {rate_per_s: 10}}}
axes:
  - {path: runtime.gogc, values: [25, off]}             # YAML reads off as false
  - {path: runtime.gomemlimit_bytes, range: {start: 64MiB, stop: 256MiB, step: 2, scale: log}}
  - {path: workload.open_loop.rate_per_s, sample: {low: 10, high: 100}}
samples: 4
sampling: random
replications: 2
""")
    spec, opts = sweep_file.load_sweep_file(path)
    assert spec.axes[0].values.values[1].string_value == "off"
    assert spec.axes[1].range.start == 64 << 20 and spec.axes[1].range.step == 2
    assert spec.axes[2].sample.high == 100 and spec.samples == 4
    assert spec.sampling == sweep_pb2.SAMPLING_RANDOM and opts == {}
    path.write_text("base: {}\naxes: {runtime.gogc: [50]}\nreplicatoins: 3\n")
    with pytest.raises(sweep_file.SweepFileError, match="replicatoins"):
        sweep_file.load_sweep_file(path)


def test_sweep_cli_writes_csv_parquet_and_plot(tmp_path: Path) -> None:
    path = _sweep_file(tmp_path)
    out = tmp_path / "out"
    rc = cli_sweep.main(["sweep", str(path), "--out", str(out), "--workers", "2", "--quiet"])
    assert rc == 0
    for name in ("points.csv", "points.parquet", "runs.csv", "runs.parquet", "plot.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    csv = pd.read_csv(out / "points.csv")
    pq = pd.read_parquet(out / "points.parquet")
    assert len(csv) == len(pq) == 6
    assert list(csv["runtime.gogc_label"]) == ["50", "50", "200", "200", "off", "off"]
    for col in ("latency_p99_ns_mean", "latency_p99_ns_ci_low", "latency_p99_ns_ci_high",
                "gc_cpu_fraction_mean", "peak_rss_bytes_mean", "oom_mean"):
        assert col in pq.columns
    assert (pq["replications"] == 2).all() and (pq["failed_runs"] == 0).all()
    assert (pq["latency_p99_ns_ci_low"] <= pq["latency_p99_ns_mean"]).all()
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 12 and runs["seed"].nunique() == 2


def test_sweep_cli_reports_bad_axes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("base: {}\naxes: {runtime.gomaxprocs: [0]}\n")
    assert cli_sweep.main(["sweep", str(path), "--quiet"]) == 2
    assert "axes[0].values.values[0]" in capsys.readouterr().err


def test_sweep_cli_through_a_server(tmp_path: Path) -> None:
    path = _sweep_file(tmp_path)
    bg = start_server(tmp_path / "data", workers=2)
    try:
        out = tmp_path / "remote"
        rc = cli_sweep.main(["sweep", str(path), "--server", bg.target, "--out", str(out),
                             "--quiet", "--no-plot"])
        assert rc == 0
        df = pd.read_parquet(out / "points.parquet")
        assert len(df) == 6 and not (out / "plot.png").exists()
    finally:
        bg.stop()


def test_plan_cli_writes_the_answer(tmp_path: Path) -> None:
    from google.protobuf import json_format

    cfg = tmp_path / "base.yaml"
    cfg.write_text(yaml.safe_dump(json_format.MessageToDict(
        small_config(duration_s=0.5, rate=500, gomaxprocs=1), preserving_proto_field_name=True)))
    answer, points = tmp_path / "answer.json", tmp_path / "points.csv"
    rc = cli_sweep.main(["plan", "max-rate", str(cfg), "--p99", "20ms", "--tolerance", "0.5",
                         "--replications", "2", "--workers", "2", "--json", str(answer),
                         "--csv", str(points)])
    assert rc == 0
    doc = json.loads(answer.read_text())
    assert doc["found"] and doc["question"] == "max_rate" and doc["explanation"]
    assert len(doc["evaluated"]) >= 2
    df = pd.read_csv(points)
    assert "feasible" in df.columns and df["feasible"].any()
