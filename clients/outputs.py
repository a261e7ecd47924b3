"""Every rendering of a result, written into one directory (`gosim run/report/watch --out DIR`).

write_outputs(result, out_dir) calls the renderers that already exist and writes:

    summary.txt     the terminal summary and histograms (clients.render_text), without colour
    gctrace.txt     GODEBUG=gctrace=1 lines (clients.render_gctrace)
    metrics.prom    Prometheus text exposition, Go collector names (clients.render_prom)
    heap.png, latency.png, pauses.png, mmu.png     matplotlib plots (clients.plots)
    trace.json      Perfetto / chrome://tracing trace events, when the run recorded a trace
                    window (trace_duration_ns > 0; clients.trace_export)
    result.json     the whole result in the proto's JSON mapping (clients.results; `gosim report`
                    reads it back)
    workload.yaml   the exact config that produced it (re-run it with `gosim run`)

matplotlib and prometheus_client are optional extras (`gosim[plots]`, `gosim[metrics]`): when one
is missing its files are skipped and the returned Outputs says so and how to install it, instead
of failing the whole command.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

import simcore
from clients.render_gctrace import gctrace_text
from clients.render_text import render_result
from clients.results import save_result
from clients.workload_file import dump_workload

SUMMARY_WIDTH = 110


@dataclass
class Outputs:
    """What write_outputs did: the files written, and the renderings skipped with the reason."""

    directory: Path
    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def summary_text(result: simcore.Result, width: int = SUMMARY_WIDTH) -> str:
    """The terminal summary (tables and histogram bars) as plain text."""
    buf = io.StringIO()
    con = Console(file=buf, width=width, color_system=None, force_terminal=False,
                  highlight=False, emoji=False)
    render_result(result, con)
    return buf.getvalue()


def write_outputs(result: simcore.Result, out_dir: str | Path) -> Outputs:
    """Write every rendering of result into out_dir (created if needed); see the module doc."""
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    out = Outputs(d)

    def text(name: str, content: str) -> None:
        p = d / name
        p.write_text(content, encoding="utf-8")
        out.written.append(p)

    text("summary.txt", summary_text(result))
    text("gctrace.txt", gctrace_text(result))
    try:
        from clients.render_prom import prometheus_text
    except ImportError as e:
        out.skipped.append(f"metrics.prom: needs prometheus_client ({e}); "
                           "pip install 'gosim[metrics]'")
    else:
        text("metrics.prom", prometheus_text(result))
    try:
        from clients.plots import write_all_plots
    except ImportError as e:
        out.skipped.append(f"PNG plots: need matplotlib ({e}); pip install 'gosim[plots]'")
    else:
        out.written += write_all_plots(result, d)
    if result.trace is not None:
        from clients.trace_export import write_trace

        out.written.append(write_trace(result, d / "trace.json"))
    out.written.append(save_result(result, d / "result.json"))
    text("workload.yaml", dump_workload(
        result.config, comment="The configuration that produced result.json "
                               "(gosim run workload.yaml re-runs it)."))
    return out


__all__ = ["Outputs", "summary_text", "write_outputs"]
