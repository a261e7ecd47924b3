"""Every examples/*.yaml loads, validates, says in its opening comment which question it answers
and how to run it, and (simulated, shortened where that keeps the behaviour) shows the
behaviour its comment claims."""

from __future__ import annotations

from pathlib import Path

import pytest

import simcore
from clients.render_text import on_stranded_edge
from clients.workload_file import load_workload
from simcore.presets import web_api
from simcore.results import TriggerKind

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NAMES = sorted(p.name for p in EXAMPLES.glob("*.yaml"))
SECOND = 1_000_000_000
MIB = 1 << 20


def run(name: str, *overrides: str) -> simcore.Result:
    return simcore.simulate(load_workload(EXAMPLES / name, list(overrides)))


def test_the_expected_examples_exist() -> None:
    assert set(NAMES) >= {
        "web-api.yaml", "batch-alloc-heavy.yaml", "idle-large-heap.yaml",
        "memlimit-death-spiral.yaml", "slow-leak-oom.yaml", "pool-with.yaml",
        "pool-without.yaml", "many-goroutines-assists.yaml", "leak-under-limit.yaml"}


@pytest.mark.parametrize("name", NAMES)
def test_example_is_documented_and_valid(name: str) -> None:
    text = (EXAMPLES / name).read_text()
    head = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        head.append(line)
    comment = "\n".join(head)
    assert head and head[0].startswith(f"# {name}"), f"{name} must open with a comment block"
    assert "Question:" in comment, f"{name}: say which question it answers"
    assert f"gosim run examples/{name}" in comment, f"{name}: say how to run it"
    cfg = load_workload(EXAMPLES / name)
    assert cfg.workload.name == name.removesuffix(".yaml")
    simcore.validate(cfg)


def test_web_api_is_the_preset() -> None:
    assert load_workload(EXAMPLES / "web-api.yaml") == web_api()


def test_batch_alloc_heavy_gc_is_busy_and_gogc_helps() -> None:
    base = run("batch-alloc-heavy.yaml", "duration_ns=5s")
    s = base.summary
    assert s.requests_arrived == 0 and s.cycles_heap >= 8  # a cycle about every 0.4 s
    assert s.gc_cpu_fraction >= 0.04
    relaxed = run("batch-alloc-heavy.yaml", "duration_ns=5s", "runtime.gogc=400").summary
    assert relaxed.cycles_total < s.cycles_total / 2
    assert relaxed.gc_cpu_fraction < s.gc_cpu_fraction / 2
    assert relaxed.peak_heap_alloc_bytes > s.peak_heap_alloc_bytes


def test_idle_large_heap_only_forced_cycles() -> None:
    cfg = load_workload(EXAMPLES / "idle-large-heap.yaml")
    assert cfg.duration_ns >= 5 * 60 * SECOND
    r = simcore.simulate(cfg)  # cheap: no requests
    s = r.summary
    assert s.cycles_heap == 0 and s.cycles_forced >= 2
    assert all(c.kind is TriggerKind.TIME for c in r.cycles)
    assert all("GC forced" in c.gctrace for c in r.cycles)
    assert s.requests_arrived == 0


def test_memlimit_death_spiral() -> None:
    # 5 s: at the calibrated scan rate (docs/fidelity.md) a 900 MiB mark takes about a
    # second, so 3 s hold only three back-to-back cycles.
    s = run("memlimit-death-spiral.yaml", "duration_ns=5s").summary
    assert s.limiter_enabled_ns > 0 or s.gc_cpu_fraction >= 0.4
    assert s.gc_cpu_fraction >= 0.3
    assert s.gc_cpu.assist_ns > 0
    free = run("memlimit-death-spiral.yaml", "duration_ns=5s",
               "runtime.gomemlimit_bytes=null").summary
    assert free.gc_cpu_fraction < 0.1
    assert s.latency.p99_ns > 10 * free.latency.p99_ns
    assert s.cycles_total > 3 * free.cycles_total


def test_slow_leak_ends_in_an_oom_kill() -> None:
    r = run("slow-leak-oom.yaml", "duration_ns=150s")
    oom = r.summary.oom
    assert oom is not None
    assert 20 * SECOND < oom.at_ns < 150 * SECOND
    assert oom.limit_bytes == 256 * MIB and oom.rss_bytes > oom.limit_bytes
    assert r.summary.simulated_ns == oom.at_ns  # the run ends at the kill


def test_leak_under_limit_sits_on_the_stranded_slot_regimes_edge() -> None:
    r = run("leak-under-limit.yaml")
    s = r.summary
    assert 30 <= s.cycles_total <= 40
    assert sum(c.start_ns > 15 * SECOND for c in r.cycles) * 2 > s.cycles_total
    assert s.stranded_regime_cycles > 0 and on_stranded_edge(s.stranded_edge_cycles,
                                                              s.cycles_total)
    roomy = run("leak-under-limit.yaml", "runtime.gomemlimit_bytes=320MiB").summary
    assert roomy.cycles_total < 10 and roomy.stranded_regime_cycles == 0
    assert not on_stranded_edge(roomy.stranded_edge_cycles, roomy.cycles_total)
    gogc = run("leak-under-limit.yaml", "runtime.gogc=100", "runtime.gomemlimit_bytes=null")
    assert gogc.summary.stranded_regime_cycles == gogc.summary.stranded_edge_cycles == 0
    assert any(c.stranded_bytes for c in gogc.cycles)


def test_pool_allocates_less_than_its_twin() -> None:
    without = run("pool-without.yaml", "duration_ns=2s").summary
    with_pool = run("pool-with.yaml", "duration_ns=2s").summary
    assert with_pool.requests_completed == pytest.approx(without.requests_completed, rel=0.01)
    assert with_pool.bytes_allocated < without.bytes_allocated / 2
    assert with_pool.cycles_total < without.cycles_total


def test_many_goroutines_drive_assists() -> None:
    # The example's own 10 s: the first seconds are the heap's start-up transient.
    s = run("many-goroutines-assists.yaml").summary
    c = s.gc_cpu
    gc = c.assist_ns + c.dedicated_ns + c.fractional_ns
    assert c.assist_ns >= 0.25 * gc  # assists are a large share of the GC's CPU
    assert c.idle_ns == 0  # no idle P, so no idle mark worker
    assert s.breakdown.assist_ns > 0 and s.peak_goroutines >= 2000
    relaxed = run("many-goroutines-assists.yaml", "runtime.gogc=200").summary
    assert relaxed.gc_cpu.assist_ns < c.assist_ns / 2


def commands_in_comments() -> list[tuple[str, list[str]]]:
    """Every `gosim run examples/...` command line in the examples' opening comments."""
    import re
    import shlex

    found = []
    for name in NAMES:
        for line in (EXAMPLES / name).read_text().splitlines():
            if not line.startswith("#"):
                break
            m = re.search(r"(gosim run examples/\S+.*?)(?:\s{2,}\(|\s+#|$)", line)
            if m:
                found.append((name, shlex.split(m.group(1))[1:]))
    return found


@pytest.mark.parametrize(("name", "argv"), commands_in_comments())
def test_commands_in_comments_are_valid(name: str, argv: list[str]) -> None:
    """The what-ifs the comments suggest parse, and their overrides give a valid config."""
    from clients import cli

    ns = cli.build_parser().parse_args(argv)
    assert ns.command == "run" and Path(ns.file).name in NAMES
    load_workload(EXAMPLES / Path(ns.file).name, cli._overrides(ns))
