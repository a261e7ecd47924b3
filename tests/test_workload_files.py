"""The Go twin's configurations as gosim workload files (validation/workload-files/).

Each row of docs/fidelity.md's tables has its workload file, written by
validation.workload_files from the result files. The committed files must be what the
script writes now (a change to the twin's mapping or to the cost model's defaults makes
them stale: rerun the command in their comments), each must load back to the SimConfig
compare.py simulates for that row, and `gosim run` must run one.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clients.workload_file import load_workload
from validation import runner, workload_files, workloads

ROOT = Path(__file__).resolve().parents[1]
FILES = ROOT / "validation" / "workload-files"
# The sets the committed files come from, in the order REGENERATE gives them.
SETS = [ROOT / "validation" / "results-quiet3", ROOT / "validation" / "results"]


@functools.cache
def first_runs() -> dict[str, dict]:
    return workload_files.first_runs(SETS)


def test_the_committed_files_are_what_the_script_writes(tmp_path: Path) -> None:
    written = workload_files.write_files(SETS, tmp_path)
    assert sorted(f.name for f in FILES.glob("*.yaml")) == sorted(f.name for f in written)
    stale = [f.name for f in written if f.read_text() != (FILES / f.name).read_text()]
    assert not stale, f"stale workload files (run: {workload_files.REGENERATE}): {stale}"


def test_every_configuration_of_the_matrix_has_one() -> None:
    # The runner's full matrix (62 configurations and the two idle runs), one file each.
    keys = {re.sub(r"-r\d+$", "", spec.name) for spec in runner.matrix(False, settled=False)}
    assert len(keys) == 64
    assert {f.stem for f in FILES.glob("*.yaml")} == keys


@pytest.mark.parametrize("key", sorted(first_runs()))
def test_each_file_loads_to_the_config_compare_simulates(key: str) -> None:
    run = first_runs()[key]
    cfg = load_workload(FILES / f"{key}.yaml")
    assert cfg == workloads.for_run(run)
    text = (FILES / f"{key}.yaml").read_text()
    # The comment names the twin's command as the runner ran it.
    assert workload_files.twin_command(run) in text
    assert f"GOMAXPROCS={run['spec']['gomaxprocs']}" in text


def test_gosim_run_runs_one(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    p = subprocess.run(
        [sys.executable, "-m", "clients.cli", "run",
         str(FILES / "leak-full-p2-gogcoff-lim145MiB.yaml"), "--duration", "3s", "--quiet",
         "--save", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert out.stat().st_size > 0


def test_the_script_rejects_an_empty_set(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        workload_files.main([str(tmp_path), "--out", str(tmp_path / "out")])
    assert e.value.code == 2
    assert "results:" in capsys.readouterr().err
