"""docs/fidelity.md's first table, recomputed: every target met, and the record current.

The first table is validation.compare over the committed check set (validation/results-quiet3:
62 configurations, three repeats each, medians; gosim the median of three seeds), and the
two-minute GC's forced spacing is compare over validation/results-idle-quiet (the two idle
configurations, three repeats). This reruns both comparisons with the simulator as it is
now, so a model change that breaks a published figure fails here, and checks that the
committed records (validation/fidelity-quiet3.json, fidelity-idle-quiet.json) and the
summary's rows in docs/fidelity.md say what the comparison gives.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from validation import compare

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "fidelity.md").read_text()
TARGETED = ("PASS", "FAIL")
COLUMNS = ("cycles/s", "goal/live", "GC CPU", "forced", "latency p99")


def rerun(results: str, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "fidelity.json"
    assert compare.main([str(ROOT / "validation" / results), "--jobs", "2",
                         "--json", str(out)]) == 0
    return json.loads(out.read_text())


def summary_row(label: str) -> list[str]:
    """The cells of the summary table's row whose first cell contains label."""
    for line in DOC.splitlines():
        if line.startswith("|") and label in line.split("|")[1]:
            return [c.strip().strip("*") for c in line.strip().strip("|").split("|")[1:]]
    raise AssertionError(f"no summary row for {label!r}")


def counts_text(counts: dict[str, dict[str, int]], metric: str) -> str:
    c = counts.get(metric, {})
    n = c.get("PASS", 0) + c.get("FAIL", 0)
    return f"{c.get('PASS', 0)} / {n}" if n else "–"


def assert_current(fresh: dict[str, Any], record: Path) -> None:
    """The committed record holds the same figures as the fresh comparison."""
    old = json.loads(record.read_text())
    assert old["pass_counts"] == fresh["pass_counts"], f"{record.name} is stale"
    for g_old, g_new in zip(old["groups"], fresh["groups"], strict=True):
        assert g_old["key"] == g_new["key"]
        for c_old, c_new in zip(g_old["cells"], g_new["cells"], strict=True):
            assert c_old["status"] == c_new["status"], (g_new["key"], c_new["metric"])
            if isinstance(c_new["simulated"], float):
                assert c_old["simulated"] == pytest.approx(c_new["simulated"], rel=1e-9), (
                    f"{record.name} is stale: {g_new['key']} {c_new['metric']}")


def test_the_first_table_meets_every_target(tmp_path: Path) -> None:
    fresh = rerun("results-quiet3", tmp_path)
    assert len(fresh["groups"]) == 62
    failing = [(g["key"], c["metric"], c["error"]) for g in fresh["groups"]
               for c in g["cells"] if c["status"] == "FAIL"]
    assert not failing
    assert_current(fresh, ROOT / "validation" / "fidelity-quiet3.json")
    row = summary_row("the first table")
    assert row == [counts_text(fresh["pass_counts"], m) for m in COLUMNS]


def test_the_forced_gcs_keep_their_spacing_on_a_quiet_machine(tmp_path: Path) -> None:
    fresh = rerun("results-idle-quiet", tmp_path)
    assert [g["key"] for g in fresh["groups"]] == ["idle-full-p1-gogc100-limnone",
                                                   "idle-full-p2-gogc100-limnone"]
    for g in fresh["groups"]:
        assert g["measured"]["repeats"] == 3
        cells = {c["metric"]: c for c in g["cells"]}
        assert cells["forced"]["status"] == "PASS"
        assert all(c["status"] == "PASS" for c in g["cells"] if c["status"] in TARGETED)
    assert_current(fresh, ROOT / "validation" / "fidelity-idle-quiet.json")
    row = summary_row("the two idle configurations")
    assert row == [counts_text(fresh["pass_counts"], m) for m in COLUMNS]


def test_the_summary_names_its_sets() -> None:
    # The rows this module checks exist once each, and the first table's is the bold one.
    assert len(re.findall(r"\(the first table\)", DOC)) == 1
    assert summary_row("the first table")[0] == "62 / 62"
