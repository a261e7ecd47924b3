"""Results as plain data (clients.results): dicts, JSON and binary files, DataFrames."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import simcore
from clients.client import cycles_frame, histogram_frame, result_to_dict, series_frame
from clients.results import (
    ResultFileError,
    load_result,
    result_from_json,
    result_to_json,
    save_result,
)
from server import convert
from simcore.presets import web_api

SECOND = 1_000_000_000


@pytest.fixture(scope="module")
def result() -> simcore.Result:
    return simcore.simulate(web_api(duration_ns=2 * SECOND))


def test_result_to_dict_is_plain_python(result: simcore.Result) -> None:
    d = result_to_dict(result)
    assert d["summary"]["requests_completed"] == result.summary.requests_completed
    assert isinstance(d["summary"]["simulated_ns"], int)  # not json_format's string
    b = d["latency"]["boundaries_seconds"]
    assert b[0] == -math.inf and b[-1] == math.inf
    assert d["cycles"][0]["kind"] == "TRIGGER_KIND_HEAP"
    assert d["summary"]["limiter_enabled_ns"] == 0  # zero fields are present
    assert "oom" not in d["summary"]
    assert result_to_dict(convert.result_to_proto(result)) == d


def test_json_round_trip(result: simcore.Result) -> None:
    text = result_to_json(result)
    obj = json.loads(text)  # standard JSON: no bare Infinity
    assert obj["latency"]["boundaries_seconds"][0] == "-Infinity"
    assert isinstance(obj["summary"]["peak_heap_alloc_bytes"], int)
    assert result_from_json(text) == result


@pytest.mark.parametrize("name", ["r.json", "r.pb", "r.binpb"])
def test_save_and_load(result: simcore.Result, tmp_path: Path, name: str) -> None:
    p = save_result(result, tmp_path / "sub" / name)
    assert load_result(p) == result


def test_load_accepts_a_whole_response(result: simcore.Result, tmp_path: Path) -> None:
    body = json.loads(result_to_json(result))
    p = tmp_path / "grpcurl.json"
    p.write_text(json.dumps({"result": body}))
    assert load_result(p) == result
    p.write_text(json.dumps({"job": {"id": "x", "result": body}}))
    assert load_result(p) == result


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    cases = {"missing.json": None, "bad.json": "{not json", "empty.json": "{}",
             "wrong.json": '{"summary": {"nope": 1}}', "junk.pb": "\x00\xff\xfe garbage"}
    for name, content in cases.items():
        p = tmp_path / name
        if content is not None:
            p.write_text(content)
        with pytest.raises(ResultFileError, match=name):
            load_result(p)


def test_frames(result: simcore.Result) -> None:
    pytest.importorskip("pandas")
    cf = cycles_frame(result)
    assert len(cf) == len(result.cycles) and cf.index.name == "n"
    assert set(cf["kind"]) <= {"heap", "time", "cycle"}
    assert "heap_goal_bytes" in cf.columns and "gctrace" in cf.columns
    sf = series_frame(result)
    assert len(sf) == len(result.series.t_ns) and sf.index.name == "t_ns"
    assert sf["heap_alloc_bytes"].max() > 0 and sf.attrs["interval_ns"] > 0
    hf = histogram_frame(result, "latency")
    assert list(hf.columns) == ["lo_s", "hi_s", "count", "cumulative", "cdf"]
    assert hf["count"].sum() == result.latency.count
    assert hf["cdf"].iloc[-1] == pytest.approx(1.0)
    assert histogram_frame(result.pauses)["count"].sum() == result.pauses.count
    assert histogram_frame(convert.result_to_proto(result), "pauses").equals(
        histogram_frame(result, "pauses"))
    with pytest.raises(ValueError, match="which must be one of"):
        histogram_frame(result, "nope")
