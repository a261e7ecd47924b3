"""The Go twin's configurations as gosim workload files.

    python -m validation.workload_files validation/results-quiet3 validation/results \
        --out validation/workload-files

compare.py simulates each twin run from its result file (workloads.for_run: the flags the
program echoed, the runtime knobs it ran with, its globals and CPU count); this writes the
same SimConfig as a workload file, one per configuration, so that each row of
docs/fidelity.md's tables can be rerun, changed and asked what-ifs with `gosim run`. The
first result of each configuration (in the order the paths give them) is used; a
configuration met again in a later path is skipped, so list the preferred set first. Only
the full matrix's runs by default (--mode, as compare.py).

Each file is the workload-file form of the SimConfig (clients.workload_file.dump_workload:
the proto's JSON mapping as YAML, fields at their defaults left out), under a comment that
names the twin's command and environment. The cost model is the one given (--cost) or the
defaults, and there is no contention scaling: the files describe the quiet machine.
tests/test_workload_files.py checks that the committed files are what this writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clients.workload_file import dump_workload
from simcore.config import CostModel
from validation import compare, workloads

OUT = Path(__file__).resolve().parent / "workload-files"
# The command that writes the committed files (quoted in each file's comment).
REGENERATE = ("python -m validation.workload_files validation/results-quiet3 validation/results "
              "--out validation/workload-files")


def twin_command(run: dict[str, Any]) -> str:
    """The twin's command line as the runner ran it: the environment's Go knobs, then the
    program's flags."""
    env = run.get("env") or {}
    knobs = [f"{k}={env[k]}" for k in ("GOMAXPROCS", "GOGC", "GOMEMLIMIT") if k in env]
    return " ".join([*knobs, "gosimtwin", *run["command"][1:]])


def workload_file(run: dict[str, Any], cost: CostModel | None = None) -> str:
    """One result file's configuration as workload-file text (YAML)."""
    key = compare.config_key(run)
    comment = (f"{key}: the Go twin's configuration as a gosim workload file "
               "(validation/workload_files.py).\n"
               f"Twin:  {twin_command(run)}\n"
               f"Run:   gosim run validation/workload-files/{key}.yaml\n"
               f"Made:  {REGENERATE}")
    return dump_workload(workloads.for_run(run, cost), comment=comment)


def first_runs(paths: list[str | Path], mode: str = "full") -> dict[str, dict[str, Any]]:
    """Each configuration's first result (by run name) in paths, the first path that has the
    configuration winning; only runs of the runner's mode "full" or "quick", or "all"."""
    out: dict[str, dict[str, Any]] = {}
    for p in paths:
        for key, runs in compare.group_runs(compare.load_runs([p])).items():
            quick = bool(runs[0]["spec"].get("quick"))
            if key in out or (mode != "all" and quick != (mode == "quick")):
                continue
            out[key] = sorted(runs, key=lambda r: str(r.get("name") or r["_path"]))[0]
    return out


def write_files(paths: list[str | Path], out: Path, cost: CostModel | None = None,
                mode: str = "full") -> list[Path]:
    """Write one workload file per configuration found in paths (first_runs); returns the
    files."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for key, run in first_runs(paths, mode).items():
        f = out / f"{key}.yaml"
        f.write_text(workload_file(run, cost))
        written.append(f)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", nargs="+",
                    help="result files, directories or globs (validation.runner's JSON)")
    ap.add_argument("--out", type=Path, default=OUT, help="directory for the .yaml files")
    ap.add_argument("--cost", help="a JSON cost model instead of the defaults (as compare.py)")
    ap.add_argument("--mode", choices=("full", "quick", "all"), default="full",
                    help="the runner's full matrix (default), its quick runs, or both")
    args = ap.parse_args(argv)
    files = write_files(args.results, args.out, compare.load_cost(args.cost), args.mode)
    if not files:
        ap.error("results: no result files with a program report found")
    print(f"wrote {len(files)} workload files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
