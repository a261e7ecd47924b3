"""Tests for simcore.gctrace: fmtNSAsMS, the gctrace line, and its parser; gcpacertrace's
end-of-cycle line parser."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simcore.gctrace import (
    GC_FORCED_LINE,
    fmt_ns_as_ms,
    format_gctrace_line,
    format_pacer_line,
    go_print_float,
    is_gc_forced_line,
    parse_gctrace_line,
    parse_pacer_line,
)

MiB = 1 << 20


def go_itoa_div(val: int, dec: int) -> str:
    """itoaDiv (mgc.go) transcribed literally: digits written from the end of a buffer."""
    buf = [""] * 24
    i = len(buf) - 1
    idec = i - dec
    while val >= 10 or i >= idec:
        buf[i] = chr(val % 10 + ord("0"))
        i -= 1
        if i == idec:
            buf[i] = "."
            i -= 1
        val //= 10
    buf[i] = chr(val + ord("0"))
    return "".join(buf[i:])


def go_fmt_ns_as_ms(ns: int) -> str:
    """fmtNSAsMS (mgc.go) transcribed literally."""
    if ns >= 10e6:
        return go_itoa_div(ns // 1_000_000, 0)
    x = ns // 1000
    if x == 0:
        return "0"
    dec = 3
    while x >= 100:
        x //= 10
        dec -= 1
    return go_itoa_div(x, dec)


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0"),
        (999, "0"),
        (1_000, "0.001"),
        (1_999, "0.001"),
        (5_000, "0.005"),
        (18_000, "0.018"),
        (41_000, "0.041"),
        (99_999, "0.099"),
        (100_000, "0.10"),
        (248_000, "0.24"),
        (328_000, "0.32"),
        (504_000, "0.50"),
        (999_999, "0.99"),
        (1_000_000, "1.0"),
        (1_300_000, "1.3"),
        (2_137_000, "2.1"),
        (9_990_000, "9.9"),
        (9_999_999, "9.9"),
        (10_000_000, "10"),
        (10_999_999, "10"),
        (61_000_000, "61"),
        (123_456_789, "123"),
        (12_345_678_901, "12345"),
    ],
)
def test_fmt_ns_as_ms_table(ns: int, text: str) -> None:
    assert fmt_ns_as_ms(ns) == text
    assert go_fmt_ns_as_ms(ns) == text


@given(st.integers(min_value=0, max_value=10**13))
def test_fmt_ns_as_ms_matches_go(ns: int) -> None:
    assert fmt_ns_as_ms(ns) == go_fmt_ns_as_ms(ns)


def test_fmt_ns_as_ms_rejects_negative() -> None:
    with pytest.raises(ValueError):
        fmt_ns_as_ms(-1)


WORKED_EXAMPLE = (
    "gc 12 @3.456s 4%: 0.041+2.1+0.063 ms clock, 0.32+0.81/4.4/1.9+0.50 ms cpu, "
    "37->38->19 MB, 39 MB goal, 0 MB stacks, 0 MB globals, 8 P"
)


def worked_example_inputs() -> dict[str, Any]:
    """The §14 worked example: 12th GC at 3.456 s, 8 Ps, goal 19.6 + 20.1 = 39.7 MiB."""
    heap_marked = int(19.6 * MiB)
    stacks = int(0.3 * MiB)
    globals_ = int(0.2 * MiB)
    return {
        "cycle": 12,
        "start_ns": 3_456_400_000,
        "cpu_percent": 4,
        "stw1_ns": 41_000,
        "mark_ns": 2_137_000,
        "stw2_ns": 63_000,
        "stwprocs": 8,
        "assist_cpu_ns": 812_000,
        "dedicated_fractional_cpu_ns": 4_400_000,
        "idle_cpu_ns": 1_900_000,
        "heap0_bytes": int(37.5 * MiB),
        "heap1_bytes": int(38.6 * MiB),
        "heap2_bytes": int(19.4 * MiB),
        "goal_bytes": heap_marked + (heap_marked + stacks + globals_),
        "stacks_bytes": stacks,
        "globals_bytes": globals_,
        "gomaxprocs": 8,
    }


def test_worked_example() -> None:
    assert format_gctrace_line(**worked_example_inputs()) == WORKED_EXAMPLE


def test_forced_suffix_and_gc_forced_line() -> None:
    line = format_gctrace_line(**worked_example_inputs(), forced=True)
    assert line == WORKED_EXAMPLE + " (forced)"
    assert GC_FORCED_LINE == "GC forced"
    assert is_gc_forced_line("GC forced\n")
    assert not is_gc_forced_line(WORKED_EXAMPLE)
    with pytest.raises(ValueError):
        parse_gctrace_line(GC_FORCED_LINE)


def test_start_time_formatting() -> None:
    base = worked_example_inputs()
    for start_ns, text in [
        (0, "@0.000s"),
        (999_999, "@0.000s"),
        (5_000_000, "@0.005s"),
        (12_345_678_901, "@12.345s"),
        (3_600_000_000_000, "@3600.000s"),
    ]:
        base["start_ns"] = start_ns
        assert f" {text} " in format_gctrace_line(**base)


def test_parse_worked_example() -> None:
    r = parse_gctrace_line(WORKED_EXAMPLE)
    assert r["cycle"] == 12
    assert r["start_ms"] == 3456
    assert r["start_s"] == pytest.approx(3.456)
    assert r["cpu_percent"] == 4
    assert (r["stw1_clock_ms"], r["mark_clock_ms"], r["stw2_clock_ms"]) == (0.041, 2.1, 0.063)
    assert (
        r["stw1_cpu_ms"],
        r["assist_cpu_ms"],
        r["background_cpu_ms"],
        r["idle_cpu_ms"],
        r["stw2_cpu_ms"],
    ) == (0.32, 0.81, 4.4, 1.9, 0.50)
    assert (r["heap0_mb"], r["heap1_mb"], r["heap2_mb"]) == (37, 38, 19)
    assert (r["goal_mb"], r["stacks_mb"], r["globals_mb"]) == (39, 0, 0)
    assert r["procs"] == 8
    assert r["forced"] is False


REAL_LINES = [
    # Go 1.19+ (stacks and globals)
    (
        "gc 1 @0.021s 0%: 0.015+0.42+0.003 ms clock, 0.12+0.11/0.31/0.28+0.026 ms cpu, "
        "4->4->1 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 8 P",
        {"cycle": 1, "start_ms": 21, "heap2_mb": 1, "stacks_mb": 0, "procs": 8},
    ),
    (
        "gc 4 @1.761s 2%: 0.012+1.5+0.031 ms clock, 0.14+0.25/1.2/0.55+0.37 ms cpu, "
        "36->37->18 MB, 40 MB goal, 0 MB stacks, 0 MB globals, 12 P",
        {"cycle": 4, "start_ms": 1761, "goal_mb": 40, "idle_cpu_ms": 0.55, "procs": 12},
    ),
    # Whole-ms durations, a zero idle time, a big heap.
    (
        "gc 1 @0.000s 13%: 0.010+61+0.52 ms clock, 0.10+0/80/89+5.2 ms cpu, "
        "381->382->381 MB, 381 MB goal, 0 MB stacks, 0 MB globals, 10 P",
        {"mark_clock_ms": 61.0, "assist_cpu_ms": 0.0, "heap0_mb": 381, "cpu_percent": 13},
    ),
    # Pre-1.18: no stacks or globals.
    (
        "gc 1 @0.012s 2%: 0.026+0.39+0.10 ms clock, 0.21+0.17/0.31/0.43+0.83 ms cpu, "
        "4->4->0 MB, 5 MB goal, 8 P",
        {"stacks_mb": None, "globals_mb": None, "goal_mb": 5, "stw2_clock_ms": 0.10},
    ),
    # runtime.GC(), with a log prefix and a trailing newline.
    (
        "2024/05/01 10:00:00 gc 37 @120.503s 1%: 0.058+3.2+0.044 ms clock, "
        "0.46+0.10/6.1/12+0.35 ms cpu, 120->121->60 MB, 124 MB goal, 1 MB stacks, "
        "2 MB globals, 8 P (forced)\n",
        {"cycle": 37, "start_ms": 120_503, "forced": True, "globals_mb": 2, "idle_cpu_ms": 12.0},
    ),
]


@pytest.mark.parametrize(("line", "expected"), REAL_LINES)
def test_parse_real_lines(line: str, expected: dict[str, object]) -> None:
    r = parse_gctrace_line(line)
    for key, value in expected.items():
        assert r[key] == value, key  # type: ignore[literal-required]


@pytest.mark.parametrize(
    "line",
    [
        "",
        "hello",
        "gc 1 @0.012s 2%: 0.026+0.39 ms clock, 0.21+0.17/0.31/0.43+0.83 ms cpu, 4->4->0 MB, "
        "5 MB goal, 8 P",
        "gc 1 @0.012s 2%: 0.026+0.39+0.10 ms clock, 0.21+0.17/0.31/0.43+0.83 ms cpu, "
        "4->4->0 MB, 8 P",
        "scvg0: inuse: 3, idle: 0, sys: 3, released: 0, consumed: 3 (MB)",
    ],
)
def test_parse_rejects(line: str) -> None:
    with pytest.raises(ValueError):
        parse_gctrace_line(line)


ns_st = st.integers(min_value=0, max_value=10**11)
bytes_st = st.integers(min_value=0, max_value=1 << 42)


@given(
    cycle=st.integers(min_value=1, max_value=10**7),
    start_ns=st.integers(min_value=0, max_value=10**15),
    cpu_percent=st.integers(min_value=0, max_value=100),
    stw1_ns=ns_st,
    mark_ns=ns_st,
    stw2_ns=ns_st,
    stwprocs=st.integers(min_value=1, max_value=256),
    assist=ns_st,
    bg=ns_st,
    idle=ns_st,
    heap0=bytes_st,
    heap1=bytes_st,
    heap2=bytes_st,
    goal=bytes_st,
    stacks=bytes_st,
    globals_=bytes_st,
    procs=st.integers(min_value=1, max_value=1024),
    forced=st.booleans(),
)
def test_format_parse_round_trip(
    cycle: int,
    start_ns: int,
    cpu_percent: int,
    stw1_ns: int,
    mark_ns: int,
    stw2_ns: int,
    stwprocs: int,
    assist: int,
    bg: int,
    idle: int,
    heap0: int,
    heap1: int,
    heap2: int,
    goal: int,
    stacks: int,
    globals_: int,
    procs: int,
    forced: bool,
) -> None:
    line = format_gctrace_line(
        cycle=cycle,
        start_ns=start_ns,
        cpu_percent=cpu_percent,
        stw1_ns=stw1_ns,
        mark_ns=mark_ns,
        stw2_ns=stw2_ns,
        stwprocs=stwprocs,
        assist_cpu_ns=assist,
        dedicated_fractional_cpu_ns=bg,
        idle_cpu_ns=idle,
        heap0_bytes=heap0,
        heap1_bytes=heap1,
        heap2_bytes=heap2,
        goal_bytes=goal,
        stacks_bytes=stacks,
        globals_bytes=globals_,
        gomaxprocs=procs,
        forced=forced,
    )
    r = parse_gctrace_line(line)
    f = fmt_ns_as_ms
    assert r["cycle"] == cycle
    assert r["start_ms"] == start_ns // 1_000_000
    assert r["cpu_percent"] == cpu_percent
    assert r["stw1_clock_ms"] == float(f(stw1_ns))
    assert r["mark_clock_ms"] == float(f(mark_ns))
    assert r["stw2_clock_ms"] == float(f(stw2_ns))
    assert r["stw1_cpu_ms"] == float(f(stwprocs * stw1_ns))
    assert r["assist_cpu_ms"] == float(f(assist))
    assert r["background_cpu_ms"] == float(f(bg))
    assert r["idle_cpu_ms"] == float(f(idle))
    assert r["stw2_cpu_ms"] == float(f(stwprocs * stw2_ns))
    assert (r["heap0_mb"], r["heap1_mb"], r["heap2_mb"]) == (heap0 >> 20, heap1 >> 20, heap2 >> 20)
    assert (r["goal_mb"], r["stacks_mb"], r["globals_mb"]) == (
        goal >> 20,
        stacks >> 20,
        globals_ >> 20,
    )
    assert r["procs"] == procs
    assert r["forced"] is forced
    # Parsed millisecond values are within the formatting's truncation of the truth.
    assert r["mark_clock_ms"] * 1e6 <= mark_ns + 1e-6 * mark_ns + 1


# --- gcpacertrace ----------------------------------------------------------------------


def test_parse_pacer_line_from_go127() -> None:
    # validation/testdata/steady-p2-gogc100-pacer.stderr.txt, gc 3 (go1.27.3)
    line = ("pacer: 27% CPU (25 exp.) for 5614064+7016+166538 B work (3582586 B exp.) in "
            "8954464 B -> 9478752 B (\u2206goal -28354, cons/mark 0.05211677287841716)")
    assert parse_pacer_line(line) == {
        "utilization_percent": 27, "goal_utilization_percent": 25,
        "heap_scan_work_bytes": 5614064, "stack_scan_work_bytes": 7016,
        "globals_scan_work_bytes": 166538, "expected_scan_work_bytes": 3582586,
        "triggered_bytes": 8954464, "heap_live_bytes": 9478752, "delta_goal_bytes": -28354,
        "cons_mark": 0.05211677287841716}


def test_parse_pacer_line_old_float_format_and_prefix() -> None:
    # runtime.print's older float format, a log prefix, and the first cycle's 0 estimate
    r = parse_pacer_line("2024/05/01 10:00:00 pacer: 31% CPU (25 exp.) for 1+2+3 B work "
                         "(4 B exp.) in 5 B -> 6 B (\u2206goal 7, cons/mark +1.234560e-001)\n")
    assert r["cons_mark"] == pytest.approx(0.123456) and r["delta_goal_bytes"] == 7
    r = parse_pacer_line("pacer: 25% CPU (25 exp.) for 24858152+5768+166538 B work "
                         "(18194794 B exp.) in 132410504 B -> 133360776 B "
                         "(\u2206goal -2804893, cons/mark 0)")
    assert r["cons_mark"] == 0.0 and r["heap_live_bytes"] == 133360776


@pytest.mark.parametrize("line", [
    "pacer: assist ratio=4.342461954399695 (scan 63 MB in 126->130 MB) workers=0+0.25",
    "pacer: sweep done at heap size 45MB; allocated 0MB during sweep; swept 16436 pages at "
    "0.0001975856253163687 pages/byte",
    "gc 2 @2.516s 0%: 0.067+24+0.049 ms clock, 0.13+0.071/14/31+0.098 ms cpu, "
    "126->127->45 MB, 129 MB goal, 0 MB stacks, 0 MB globals, 2 P",
    "pacer: 25% CPU (25 exp.) for 1+2 B work (4 B exp.) in 5 B -> 6 B (\u2206goal 7, "
    "cons/mark 0)",
])
def test_parse_pacer_line_rejects(line: str) -> None:
    with pytest.raises(ValueError):
        parse_pacer_line(line)


# What println(x) printed for each x with go1.27.3 (runtime.print: strconv 'g', shortest).
GO_PRINTED_FLOATS = [
    (0.05211677287841716, "0.05211677287841716"), (0.0, "0"), (1.0, "1"), (100.0, "100"),
    (1e-05, "1e-05"), (1234567.0, "1.234567e+06"), (123456.0, "123456"),
    (-2.5e-07, "-2.5e-07"), (0.0001, "0.0001"), (12.5, "12.5"), (float("inf"), "+Inf"),
    (1e21, "1e+21"), (999999.5, "999999.5"), (1e6, "1e+06"), (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
]


@pytest.mark.parametrize(("x", "text"), GO_PRINTED_FLOATS)
def test_go_print_float_matches_go(x: float, text: str) -> None:
    assert go_print_float(x) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_go_print_float_reads_back(x: float) -> None:
    assert float(go_print_float(x)) == x


def test_format_pacer_line_reproduces_a_real_line() -> None:
    line = ("pacer: 27% CPU (25 exp.) for 5614064+7016+166538 B work (3582586 B exp.) in "
            "8954464 B -> 9478752 B (\u2206goal -28354, cons/mark 0.05211677287841716)")
    assert format_pacer_line(
        utilization=0.2712, heap_scan_work_bytes=5614064, stack_scan_work_bytes=7016,
        globals_scan_work_bytes=166538, expected_scan_work_bytes=3582586,
        triggered_bytes=8954464, heap_live_bytes=9478752, last_heap_goal_bytes=9478752 + 28354,
        cons_mark=0.05211677287841716) == line


@given(work=st.tuples(*[st.integers(min_value=0, max_value=1 << 42)] * 6),
       util=st.floats(min_value=0.0, max_value=1.0), cm=st.floats(min_value=0, max_value=1e3))
def test_format_parse_pacer_round_trip(work: tuple[int, ...], util: float, cm: float) -> None:
    h, s, g, e, t, live = work
    goal = t + live // 2
    p = parse_pacer_line(format_pacer_line(
        utilization=util, heap_scan_work_bytes=h, stack_scan_work_bytes=s,
        globals_scan_work_bytes=g, expected_scan_work_bytes=e, triggered_bytes=t,
        heap_live_bytes=live, last_heap_goal_bytes=goal, cons_mark=cm))
    assert (p["heap_scan_work_bytes"], p["stack_scan_work_bytes"], p["globals_scan_work_bytes"],
            p["expected_scan_work_bytes"], p["triggered_bytes"], p["heap_live_bytes"]) == work
    assert p["delta_goal_bytes"] == live - goal and p["cons_mark"] == cm
    assert p["utilization_percent"] == int(util * 100)
