"""One twin run and gosim simulating it, cycle by cycle on one timeline.

    python -m validation.cycles validation/results-quiet3/leak-full-p2-gogcoff-lim145MiB-r0-*.json
    python -m validation.cycles RUN.json --from 9 --to 14 --json cycles.json

compare.py reduces a run to a few figures; when one of them misses, this shows where the two
runs part. Each GC cycle of the real run (its gctrace lines) and of gosim's simulation of the
same configuration (compare.simulate_run: the same workload, cost model and contention
scaling) becomes one row, the two merged in order of start time:

    src         go or gosim; F marks a cycle no heap trigger started: runtime.GC (the
                twin's setup) or the two-minute periodic one ("GC forced")
    start s     when the cycle started (seconds since the program started)
    heap0       heap at the start (gctrace's first MB figure; gosim's heapLive at the
                trigger), MiB
    goal        the heap goal the cycle ran against, MiB
    marked      heap marked (gctrace's third MB figure), MiB
    runway      goal - heap0: how far below the goal the cycle started, MiB. While sweeping
                strands garbage under a memory limit this is also how early the trigger came
                (docs/fidelity.md, "The failing cells")
    mark ms     the mark phase's wall time (gctrace's second clock figure)
    cpu ms      mark CPU: assist + background (dedicated, fractional) + idle
    ms/MiB      cpu ms per MiB marked
    left        gosim: stranded slots not yet refilled when the cycle started, MiB
                (CycleRecord.stranded_start_bytes; above 0 under a memory limit: the
                stranded-slot regime)
    margin      gosim: the margin the cycle's sweep left before that regime, MiB
                (CycleRecord.stranded_margin_bytes; negative: the next cycle starts with
                slots left; docs/fidelity.md "The regime's edge")
    free%       gosim: the share of the partly used spans refills took since the previous
                mark start that was stranded slots (CycleRecord.stranded_refilled_bytes /
                .stranded_refilled_span_bytes; the twin's is in validation.runtime_probe's
                --table, docs/fidelity.md "Inside the regime"); - when none were taken

Then, for each side, the cycles that started in [--from, --to): their count, their rate
((n-1) over the span of their starts, as compare.py measures cycles/s) and the medians of
runway and ms/MiB. gctrace prints whole MB, so the twin's MiB columns are +-0.5.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from validation import compare

MIB = 1 << 20


@dataclass(frozen=True)
class Row:
    src: str  # "go" or "gosim"
    forced: bool
    start_s: float
    heap0_mib: float
    goal_mib: float
    marked_mib: float
    mark_ms: float
    cpu_ms: float
    # gosim only: the stranded slots not yet refilled when the cycle started, and the
    # margin its sweep left before the stranded-slot regime (CycleRecord.stranded_*), MiB;
    # None for the twin's rows.
    left_mib: float | None = None
    margin_mib: float | None = None
    # gosim only: the free share of the partly used spans its refills took, per cent (None:
    # the twin's row, or no such span taken).
    refill_free_pct: float | None = None

    @property
    def runway_mib(self) -> float:
        return self.goal_mib - self.heap0_mib

    @property
    def ms_per_mib(self) -> float:
        return self.cpu_ms / self.marked_mib if self.marked_mib > 0 else math.nan


def twin_rows(run: dict[str, Any]) -> list[Row]:
    """The real run's cycles (validation.trace's gctrace records)."""
    return [Row("go", bool(c.get("forced") or c.get("periodic")), c["start_s"], c["heap0_mb"],
                c["goal_mb"], c["heap2_mb"], c["mark_clock_ms"],
                c["assist_cpu_ms"] + c["background_cpu_ms"] + c["idle_cpu_ms"])
            for c in run.get("gctrace") or []]


def gosim_rows(res: Any) -> list[Row]:
    """gosim's cycles (simcore.results.CycleRecord)."""
    # imported here, after compare made sure simcore runs its current sources
    from simcore.results import TriggerKind

    rows = []
    for c in res.cycles:
        cpu_ns = c.assist_cpu_ns + c.dedicated_cpu_ns + c.fractional_cpu_ns + c.idle_cpu_ns
        rows.append(Row("gosim", c.kind is not TriggerKind.HEAP, c.start_ns / 1e9,
                        c.heap_start_bytes / MIB, c.heap_goal_bytes / MIB,
                        c.heap_marked_bytes / MIB, c.mark_clock_ns / 1e6, cpu_ns / 1e6,
                        c.stranded_start_bytes / MIB, c.stranded_margin_bytes / MIB,
                        (100 * c.stranded_refilled_bytes / c.stranded_refilled_span_bytes
                         if c.stranded_refilled_span_bytes > 0 else None)))
    return rows


def side_summary(rows: list[Row], t0: float, t1: float) -> dict[str, Any]:
    """Count, rate and medians of one side's cycles that started in [t0, t1)."""
    sel = [r for r in rows if t0 <= r.start_s < t1]
    span = sel[-1].start_s - sel[0].start_s if len(sel) >= 2 else 0.0
    per = [r.ms_per_mib for r in sel if not math.isnan(r.ms_per_mib)]
    return {
        "cycles": len(sel),
        "cycles_per_s": (len(sel) - 1) / span if span > 0 else None,
        "median_runway_mib": statistics.median(r.runway_mib for r in sel) if sel else None,
        "median_cpu_ms_per_mib": statistics.median(per) if per else None,
    }


def compare_cycles(run: dict[str, Any], cost: Any = None, contention: bool = True,
                   t0: float = 0.0, t1: float = math.inf) -> dict[str, Any]:
    """Both sides' rows (merged by start time) and summaries for one run."""
    avail = compare.availability(run) if contention else None
    _, res = compare.simulate_run(run, cost, avail)
    go, sim = twin_rows(run), gosim_rows(res)
    rows = sorted(go + sim, key=lambda r: (r.start_s, r.src))
    return {
        "run": run.get("name") or run.get("_path"),
        "availability": avail,
        "rows": [r for r in rows if t0 <= r.start_s < t1],
        "go": side_summary(go, t0, t1),
        "gosim": side_summary(sim, t0, t1),
    }


def _fmt(v: float | None, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def text(out: dict[str, Any]) -> str:
    lines = [f"{out['run']}" + (f" (availability {out['availability']:.2f}: gosim's costs "
                                "scaled by its inverse)" if out["availability"] else ""),
             f"{'src':<8}{'start s':>8}{'heap0':>8}{'goal':>8}{'marked':>8}{'runway':>8}"
             f"{'mark ms':>9}{'cpu ms':>8}{'ms/MiB':>8}{'left':>7}{'margin':>8}{'free%':>7}"]
    for r in out["rows"]:
        src = r.src + (" F" if r.forced else "")
        lines.append(f"{src:<8}{r.start_s:8.2f}{r.heap0_mib:8.1f}{r.goal_mib:8.1f}"
                     f"{r.marked_mib:8.1f}{r.runway_mib:8.1f}{r.mark_ms:9.1f}{r.cpu_ms:8.1f}"
                     f"{r.ms_per_mib:8.2f}{_fmt(r.left_mib, '7.1f'):>7}"
                     f"{_fmt(r.margin_mib, '8.2f'):>8}{_fmt(r.refill_free_pct, '7.1f'):>7}")
    for side in ("go", "gosim"):
        s = out[side]
        lines.append(f"{side}: {s['cycles']} cycles, {_fmt(s['cycles_per_s'], '.3f')}/s, "
                     f"median runway {_fmt(s['median_runway_mib'], '.1f')} MiB, median "
                     f"{_fmt(s['median_cpu_ms_per_mib'], '.2f')} ms of mark CPU per MiB "
                     "marked")
    g, s = out["go"]["cycles_per_s"], out["gosim"]["cycles_per_s"]
    if g and s:
        lines.append(f"cycles/s gosim vs go: {100 * (s / g - 1):+.1f} %")
    return "\n".join(lines)


def to_json(out: dict[str, Any]) -> dict[str, Any]:
    rows = [{**asdict(r), "runway_mib": r.runway_mib, "cpu_ms_per_mib": r.ms_per_mib}
            for r in out["rows"]]
    for row in rows:  # JSON has no NaN
        if math.isnan(row["cpu_ms_per_mib"]):
            row["cpu_ms_per_mib"] = None
    return {**out, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", help="one result file (validation.runner's JSON)")
    ap.add_argument("--from", dest="t0", type=float, default=0.0,
                    help="only cycles that started at or after this many seconds")
    ap.add_argument("--to", dest="t1", type=float, default=math.inf,
                    help="only cycles that started before this many seconds")
    ap.add_argument("--cost", help="a JSON cost model instead of the defaults (as compare.py)")
    ap.add_argument("--no-contention", action="store_true",
                    help="simulate the uncontended machine (as compare.py)")
    ap.add_argument("--json", help="also write the rows and summaries here")
    args = ap.parse_args(argv)
    if not args.t1 > args.t0:  # also catches a NaN
        ap.error(f"--to ({args.t1}) must be after --from ({args.t0})")
    path = Path(args.run)
    try:
        run = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        ap.error(f"run: cannot read {path}: {e}")
    if not isinstance(run, dict) or "spec" not in run:
        ap.error(f"run: {path} is not a validation.runner result (no 'spec')")
    out = compare_cycles(run, compare.load_cost(args.cost), not args.no_contention,
                         args.t0, args.t1)
    print(text(out))
    if args.json:
        Path(args.json).write_text(json.dumps(to_json(out), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
