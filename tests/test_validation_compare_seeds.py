"""validation.compare's gosim side: the median over several seeds, each seed kept.

Runs on committed check-set results (validation/results-quiet3), so it needs no Go toolchain.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from validation import compare  # noqa: E402

RESULTS = ROOT / "validation" / "results-quiet3"


def group(name: str) -> list[dict]:
    runs = compare.load_runs([str(p) for p in sorted(RESULTS.glob(f"{name}-r*.json"))])
    assert len(runs) == 3
    return runs


def test_the_simulated_figures_are_the_median_over_the_seeds() -> None:
    runs = group("leak-full-p2-gogc200-lim145MiB")
    g = compare.compare_group("leak-full-p2-gogc200-lim145MiB", runs, seeds=3)
    assert len(g.per_seed) == 3 and g.simulated["seeds"] == 3
    for k in ("cycles_per_s", "goal_live", "gc_cpu", "peak_heap_bytes"):
        assert g.simulated[k] == statistics.median(f[k] for f in g.per_seed), k
    # each seed is its own simulation: seed 1's figures are simulate_run's with seed 1
    one, _ = compare.simulate_run(runs[0], None, g.availability, seed=1)
    assert g.per_seed[0]["cycles_per_s"] == one["cycles_per_s"]
    assert len({f["cycles_per_s"] for f in g.per_seed}) > 1  # the seeds do differ here
    # every cell has its status per seed, judged as the median's is
    for i, c in enumerate(g.cells):
        per = [compare.compare_figures(g.measured, f)[i] for f in g.per_seed]
        assert [st[i] for st in g.per_seed_status] == [p.status for p in per]
        assert per[0].metric == c.metric


def test_one_seed_is_seed_one(tmp_path: Path) -> None:
    runs = group("server-full-p2-gogc100-limnone")
    g = compare.compare_group("server-full-p2-gogc100-limnone", runs, seeds=1)
    one, _ = compare.simulate_run(runs[0], None, g.availability, seed=1)
    assert g.simulated["latency_p99_s"] == one["latency_p99_s"]
    assert g.simulated["cycles_per_s"] == one["cycles_per_s"]


def test_cli_writes_the_seeds_and_rejects_none(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "f.json"
    paths = [str(p) for p in sorted(RESULTS.glob("server-full-p2-gogc100-limnone-r*.json"))]
    assert compare.main([*paths, "--seeds", "2", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["seeds"] == 2
    (grp,) = data["groups"]
    assert len(grp["simulated_per_seed"]) == 2
    assert all(len(c["status_per_seed"]) == 2 for c in grp["cells"])
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        compare.main([*paths, "--seeds", "0"])
    assert e.value.code == 2
    assert "--seeds" in capsys.readouterr().err
