"""`gosim calibrate`: fit a workload file to a real program's gctrace.

    gosim calibrate GCTRACE_LOG [--metrics SNAPSHOT.json] [-o workload.yaml]

clients/cli.py calls register(subparsers) to add the subcommand. The fitting is
clients.calibrate (its docstring says what is fitted from what). The command prints the
fitted fields with where each came from, then simulates the fitted workload and prints the
observed and simulated cycles side by side (cycles/s, goal, marked heap, pauses, GC CPU)
and the last gctrace lines of each. -o writes the workload file (YAML in the proto's JSON
mapping, loadable by `gosim run`); --json prints everything as JSON instead.

Exit codes: 0 success; 2 unreadable input or a trace that cannot be fitted.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_USAGE = 2


def register(subparsers: Any) -> None:
    """Add the `calibrate` subcommand to the gosim CLI's subparsers."""
    p = subparsers.add_parser(
        "calibrate", help="fit a workload file to a real program's GODEBUG=gctrace=1 log",
        description="Fit a gosim workload (allocation rate, live heap, scannable fraction, "
                    "stacks, globals, GOMAXPROCS, GOGC) and cost model (scan rate, STW cost) "
                    "to a real program's gctrace, simulate it, and show fitted against "
                    "observed cycles.",
        epilog="examples:\n"
               "  GODEBUG=gctrace=1 ./myservice 2> gctrace.log\n"
               "  gosim calibrate gctrace.log -o myservice.yaml\n"
               "  gosim calibrate gctrace.log --metrics metrics.json -o myservice.yaml\n"
               "  gosim run myservice.yaml --set runtime.gogc=200     # what if?\n\n"
               "--metrics takes a runtime/metrics snapshot as a JSON object "
               '{"/gc/scan/heap:bytes": ..., ...}\n'
               "(every metrics.All() scalar by name). Exit codes: 0 ok, 2 bad input.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("log", metavar="GCTRACE_LOG",
                   help="the program's stderr with gctrace lines ('-' reads stdin)")
    p.add_argument("--metrics", metavar="SNAPSHOT.json", default=None,
                   help="a runtime/metrics snapshot (exact scan sizes, GOGC, GOMEMLIMIT, "
                        "object size)")
    p.add_argument("-o", "--output", metavar="WORKLOAD.yaml", type=Path, default=None,
                   help="write the fitted workload file here")
    p.add_argument("--duration", default=None,
                   help="simulated time for the check (e.g. 30s; default: ~14 cycles)")
    p.add_argument("--seed", type=int, default=1, help="the simulation's seed")
    p.add_argument("--no-simulate", action="store_true",
                   help="fit and write the workload only")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=calibrate_main)


def _duration_ns(text: str) -> int:
    try:
        from clients.workload_file import parse_duration_ns

        return int(parse_duration_ns(text))
    except ImportError:  # pragma: no cover - workload_file ships with the CLI
        units = {"ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000}
        for u, k in units.items():
            if text.endswith(u) and text[: -len(u)].replace(".", "", 1).isdigit():
                return int(float(text[: -len(u)]) * k)
        return int(text)


def _fmt(fmt: str, v: Any) -> str:
    return "–" if v is None else fmt.format(v)


def render(cal: Any) -> str:
    from clients.calibrate import comparison_rows, error_text, fit_summary

    fit = cal.fit
    lines = [f"fitted from {fit.cycles_used} steady cycles "
             f"(@{fit.window_s[0]:.3f}s to @{fit.window_s[1]:.3f}s):"]
    rows = fit_summary(fit)
    w = max(len(r[0]) for r in rows)
    wv = max(len(r[1]) for r in rows)
    lines += [f"  {k:<{w}}  {v:<{wv}}  {s}" for k, v, s in rows]
    for n in fit.notes:
        lines.append(f"  note: {n}")
    if cal.simulated:
        d = cal.config.duration_ns / 1e9
        lines += ["", f"observed vs simulated cycles (gosim, {d:.0f} s simulated, warm-up "
                      f"{cal.config.warmup_ns / 1e9:.0f} s; medians per cycle):"]
        head = f"  {'':<22}{'observed':>12}{'fitted':>12}{'error':>12}"
        lines.append(head)
        for label, key, fmt in comparison_rows(cal.observed):
            o, s = cal.observed.get(key), cal.simulated.get(key)
            lines.append(f"  {label:<22}{_fmt(fmt, o):>12}{_fmt(fmt, s):>12}"
                         f"{error_text(key, o, s):>12}")
        lines += ["", "last observed cycles:"] + [f"  {x}" for x in cal.observed_lines]
        lines += ["last simulated cycles:"] + [f"  {x}" for x in cal.simulated_lines]
    return "\n".join(lines) + "\n"


def calibrate_main(ns: argparse.Namespace) -> int:
    from clients.calibrate import (
        CalibrationError,
        calibrate,
        fit_summary,
        load_metrics,
        workload_yaml,
    )

    try:
        text = sys.stdin.read() if ns.log == "-" else Path(ns.log).read_text(errors="replace")
    except OSError as e:
        print(f"gosim calibrate: cannot read {ns.log}: {e.strerror or e}", file=sys.stderr)
        return EXIT_USAGE
    try:
        metrics = load_metrics(ns.metrics) if ns.metrics else None
    except (OSError, ValueError) as e:
        print(f"gosim calibrate: cannot read metrics {ns.metrics}: {e}", file=sys.stderr)
        return EXIT_USAGE
    try:
        duration = _duration_ns(ns.duration) if ns.duration else None
        from clients.cli import deferred_sigint  # loaded: it registers this command

        with deferred_sigint():  # no abort inside the compiled simulator
            cal = calibrate(text, metrics, duration_ns=duration, seed=ns.seed,
                            simulate=not ns.no_simulate)
    except (CalibrationError, ValueError) as e:
        print(f"gosim calibrate: {ns.log}: {e}", file=sys.stderr)
        return EXIT_USAGE
    src = "stdin" if ns.log == "-" else Path(ns.log).name
    if ns.output is not None:
        comment = (f"Fitted by `gosim calibrate` from {src} ({cal.fit.cycles_used} cycles).\n"
                   + "\n".join(f"{k}: {v} ({s})" for k, v, s in fit_summary(cal.fit)))
        ns.output.parent.mkdir(parents=True, exist_ok=True)
        ns.output.write_text(workload_yaml(cal.config, comment))
    if ns.json:
        fit = dataclasses.asdict(cal.fit)
        print(json.dumps({"fit": fit, "observed": cal.observed, "simulated": cal.simulated,
                          "observed_lines": cal.observed_lines,
                          "simulated_lines": cal.simulated_lines,
                          "output": str(ns.output) if ns.output else None}, indent=1,
                         default=str))
    else:
        out = render(cal)
        if ns.output is not None:
            out += f"\nwrote {ns.output}  (try: gosim run {ns.output})\n"
        print(out, end="")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run `calibrate` on its own (python -m clients.cli_calibrate ...)."""
    ap = argparse.ArgumentParser(prog="gosim")
    sub = ap.add_subparsers(dest="command")
    register(sub)
    ns = ap.parse_args(["calibrate", *(sys.argv[1:] if argv is None else argv)])
    return int(ns.func(ns))


if __name__ == "__main__":
    sys.exit(main())
