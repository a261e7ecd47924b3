"""The stranded-slot regime: what each cycle reports about it and what the summary counts.

A sweep leaves the garbage of spans that still hold a live object as free slots (stranded);
under a memory limit they lower the goal until refills reuse them. A cycle's record says
how many were left when it started, how many its sweep left, and the margin by which the
next trigger clears them (Collector.stranded_margin). The margin is a prediction made at
the sweep, so it is checked here against what the next cycle then found. The workloads are
the Go twin's (validation.workloads), as in docs/fidelity.md's table: a leak amid
short-lived objects, and a request server over a cache, each under a memory limit.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from clients import sweep_file
from clients.render_prom import prometheus_text
from clients.render_text import stranded_note, summary_table
from clients.workload_file import load_workload
from server import convert
from server.sweep import spec as sweep_spec
from server.sweep import stats
from simcore import simulate
from simcore.results import Result, TriggerKind
from validation import compare, workloads
from validation.runner import FULL_FLAGS, memory_limit_for

MIB = 1 << 20
ROOT = Path(__file__).resolve().parents[1]
CHECK_SET = ROOT / "validation" / "results-quiet3"
EXAMPLES = ROOT / "examples"
SWEEP = ROOT / "docs" / "sweeps" / "leak-memlimit.yaml"
# The full matrix's flags and memory limits (145 MiB for the leak, 105 MiB for the server).
LEAK = FULL_FLAGS["leak"]
SERVER = FULL_FLAGS["server"]
# A margin this far from zero decides the next cycle (over the first table's memory-limited
# runs every sweep's margin sign did; the prediction ignores what the mark allocates).
CLEAR_MARGIN = MIB // 8


@pytest.fixture(scope="module")
def leak_limited() -> Result:
    """The leak with a 145 MiB limit, GOMAXPROCS=2, GOGC=off: the first table's failing row."""
    return simulate(workloads.leak(LEAK, gomaxprocs=2, gogc="off",
                                   gomemlimit_bytes=memory_limit_for("leak", LEAK)))


@pytest.fixture(scope="module")
def leak_unlimited() -> Result:
    return simulate(workloads.leak(LEAK, gomaxprocs=2, gogc=100))


@pytest.fixture(scope="module")
def server_limited() -> Result:
    return simulate(workloads.server(SERVER, gomaxprocs=2, gogc=100,
                                     gomemlimit_bytes=memory_limit_for("server", SERVER)))


def test_the_margin_predicts_whether_the_next_cycle_finds_stranded_slots(
        leak_limited: Result) -> None:
    decided = {"in": 0, "out": 0}
    for prev, nxt in pairwise(leak_limited.cycles):
        if nxt.kind is not TriggerKind.HEAP or prev.stranded_bytes == 0:
            continue
        if prev.stranded_margin_bytes < -CLEAR_MARGIN:
            assert nxt.stranded_start_bytes > 0, (prev.n, prev.stranded_margin_bytes)
            decided["in"] += 1
        elif prev.stranded_margin_bytes > CLEAR_MARGIN:
            assert nxt.stranded_start_bytes == 0, (prev.n, prev.stranded_margin_bytes)
            decided["out"] += 1
    # Both sides occur: the run goes in and out of the regime.
    assert decided["in"] >= 1 and decided["out"] >= 1, decided


def test_a_leak_under_a_limit_sits_on_the_regimes_edge(leak_limited: Result) -> None:
    s = leak_limited.summary
    heap_started = sum(c.kind is TriggerKind.HEAP and c.stranded_start_bytes > 0
                       for c in leak_limited.cycles)
    assert 0 < s.stranded_regime_cycles <= heap_started
    assert s.stranded_edge_cycles * 4 >= s.cycles_total
    assert s.stranded_edge_cycles <= sum(c.stranded_margin_bytes != 0
                                         for c in leak_limited.cycles)
    # Stranded slots never exceed what the sweep could leave: the heap in use less marked.
    for c in leak_limited.cycles:
        assert 0 <= c.stranded_bytes <= c.heap_end_bytes
        assert 0 <= c.stranded_start_bytes <= c.heap_start_bytes


def test_refills_reuse_what_sweeps_stranded_from_ever_fuller_spans(
        leak_limited: Result) -> None:
    """Each cycle reports the stranded slots refilled since the previous mark start and the
    partly used spans they came from. What the sweep left less what the next cycle found
    was refilled in between; refills during the mark (from slots already left when it
    started) come on top."""
    cycles = leak_limited.cycles
    assert cycles[0].stranded_refilled_bytes == 0  # nothing stranded before the first sweep
    for prev, nxt in pairwise(cycles):
        after_sweep = prev.stranded_bytes - nxt.stranded_start_bytes
        assert after_sweep <= nxt.stranded_refilled_bytes
        assert nxt.stranded_refilled_bytes <= after_sweep + prev.stranded_start_bytes
        # A span's free slots, never more than the span.
        assert nxt.stranded_refilled_bytes <= nxt.stranded_refilled_span_bytes
        assert (nxt.stranded_refilled_span_bytes == 0) == (nxt.stranded_refilled_bytes == 0)
    # The leak's survivors take a slot in every span refilled, so before the regime (each
    # cycle refilling every stranded slot) the spans' free share falls cycle by cycle.
    before = [c for c in cycles[1:] if c.stranded_start_bytes == 0 and c.stranded_refilled_bytes]
    shares = [c.stranded_refilled_bytes / c.stranded_refilled_span_bytes for c in before]
    assert len(shares) >= 4 and shares[0] > 0.7 and shares[-1] < 0.55
    assert all(b < a for a, b in pairwise(shares))


def test_without_a_limit_slots_strand_but_nothing_counts(leak_unlimited: Result) -> None:
    s = leak_unlimited.summary
    assert any(c.stranded_bytes > 0 for c in leak_unlimited.cycles)
    assert all(c.stranded_margin_bytes == 0 for c in leak_unlimited.cycles)
    assert s.stranded_regime_cycles == s.stranded_edge_cycles == 0


def test_a_server_under_a_limit_is_far_from_the_edge(server_limited: Result) -> None:
    s = server_limited.summary
    assert s.stranded_regime_cycles == s.stranded_edge_cycles == 0
    margins = [c.stranded_margin_bytes / c.heap_goal_bytes for c in server_limited.cycles
               if c.stranded_margin_bytes]
    assert margins and min(margins) > 0.1


def test_the_fields_cross_the_api(leak_limited: Result) -> None:
    neg = next(c for c in leak_limited.cycles if c.stranded_margin_bytes < 0)
    msg = convert.cycle_to_proto(neg)
    assert msg.stranded_margin_bytes == neg.stranded_margin_bytes < 0
    assert convert.cycle_from_proto(msg) == neg
    s = convert.result_to_proto(leak_limited).summary
    assert s.stranded_regime_cycles == leak_limited.summary.stranded_regime_cycles
    assert s.stranded_edge_cycles == leak_limited.summary.stranded_edge_cycles


def test_the_text_summary_warns_on_the_edge(leak_limited: Result,
                                            server_limited: Result) -> None:
    console = Console(width=200, record=True)
    console.print(summary_table(leak_limited))
    text = console.export_text()
    assert "stranded slots" in text and "on the regime's edge" in text
    console = Console(width=200, record=True)
    console.print(summary_table(server_limited))
    assert "stranded slots" not in console.export_text()
    assert "edge" not in stranded_note(3, 1, 10)
    assert "edge:" in stranded_note(0, 3, 12)


def test_prometheus_counts_the_regime(leak_limited: Result) -> None:
    v = {s.name: s.value for f in text_string_to_metric_families(prometheus_text(leak_limited))
         for s in f.samples}
    s = leak_limited.summary
    assert v["gosim_gc_stranded_regime_cycles_total"] == s.stranded_regime_cycles
    assert v["gosim_gc_stranded_edge_cycles_total"] == s.stranded_edge_cycles


def test_compare_names_the_configurations_on_the_edge() -> None:
    """The fidelity table's failing row is on the edge; a server with a limit is not."""
    groups = compare.group_runs(compare.load_runs([CHECK_SET]))
    keys = ["leak-full-p2-gogcoff-lim145MiB", "server-full-p2-gogc100-lim105MiB"]
    results = [compare.compare_group(k, groups[k], seeds=1) for k in keys]
    assert results[0].simulated["stranded_edge_share"] >= 0.25
    assert results[1].simulated["stranded_edge_share"] == 0.0
    assert compare.stranded_edge(results) == keys[:1]
    lines = compare.edge_report(results)
    assert len(lines) == 2 and keys[0] in lines[1]
    assert "cycles/s" in lines[1] and "goal/live" in lines[1]
    assert compare.to_json(results, compare.load_cost(None), True)["stranded_edge"] == keys[:1]


def test_a_sweep_reports_the_share_on_the_edge(leak_limited: Result,
                                               server_limited: Result) -> None:
    s = leak_limited.summary
    want = s.stranded_edge_cycles / s.cycles_total
    assert stats.figures(s)["stranded_edge_fraction"] == want >= 0.25
    proto = convert.result_to_proto(leak_limited).summary
    assert stats.figures(proto)["stranded_edge_fraction"] == want
    assert stats.figures(server_limited.summary)["stranded_edge_fraction"] == 0.0


def test_the_memory_limit_sweep_example_finds_the_points_off_the_edge() -> None:
    """docs/sweeps/leak-memlimit.yaml as docs/sweeps.md reads it: the tightest limit is on
    the edge, the roomiest with GOGC=100 is not, and the base is the example workload."""
    spec, opts = sweep_file.load_sweep_file(SWEEP)
    exp = sweep_spec.expand(spec)
    assert len(exp.points) == 10 and opts["plot"] == {"x": "GOMEMLIMIT", "lines": "GOGC"}
    labels = {tuple(c.label for c in p.coordinates): p for p in exp.points}
    base = load_workload(EXAMPLES / "leak-under-limit.yaml")
    tight = labels[("148992KiB", "off")]
    assert tight.sim.replace(seed=base.seed).runtime == base.runtime
    assert tight.sim.workload.workers == base.workload.workers
    tight_s = simulate(tight.with_seed(exp.seeds[0])).summary
    assert stats.figures(tight_s)["stranded_edge_fraction"] >= 0.25
    roomy_s = simulate(labels[("256MiB", "100")].with_seed(exp.seeds[0])).summary
    assert stats.figures(roomy_s)["stranded_edge_fraction"] == 0.0
    assert roomy_s.cycles_total < tight_s.cycles_total
