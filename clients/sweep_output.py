"""Sweep results as tables and plots: pandas DataFrames, CSV, Parquet and a PNG.

points_frame(points) has one row per point: `index`, then for each axis a numeric column named
after the axis (its name, else its path; GOGC=off is -1, no GOMEMLIMIT +inf) and a
`<axis>_label` text column, then for each metric `<metric>_mean`, `<metric>_ci_low`,
`<metric>_ci_high` (NaN with one replication) and `<metric>_std`, and `replications`,
`failed_runs`. runs_frame(points) has one row per simulation (point, replication, seed, error,
wall time and headline figures). write_outputs() writes points.csv, points.parquet, runs.csv,
runs.parquet and plot.png into a directory.

plot_sweep() draws p99 latency (ms) and GC CPU (%) against one axis (default: the first), one
line per value of another (default: the second; further axes are folded into the line labels),
with the 95 % confidence intervals shaded. An axis whose labels are not all numbers (GOGC=off,
enums) is drawn as categories in sweep order; a numeric axis spanning more than 10x is drawn on
a log scale. Needs pandas and pyarrow (the `frames` extra) and matplotlib (the `plots` extra);
matplotlib runs headless (Agg).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gosim.v1 import sweep_pb2
from server.sweep.stats import METRICS

RUN_FIGURES = ("latency_p99_ns", "throughput_per_s", "gc_cpu_fraction", "cycles_total",
               "peak_rss_bytes", "oom")


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as e:  # pragma: no cover - the frames extra is missing
        raise RuntimeError("tables need pandas and pyarrow: pip install 'gosim[frames]'") from e
    return pandas


def axis_names(points: Sequence[sweep_pb2.SweepPoint]) -> list[str]:
    return [c.name or c.path for c in points[0].coordinates] if points else []


def points_frame(points: Sequence[sweep_pb2.SweepPoint]) -> Any:
    """One row per point (see the module doc), sorted by index."""
    pd = _pandas()
    rows = []
    for p in sorted(points, key=lambda p: p.index):
        row: dict[str, Any] = {"index": p.index}
        for c in p.coordinates:
            name = c.name or c.path
            row[name] = c.number
            row[f"{name}_label"] = c.label
        by_name = {m.name: m for m in p.metrics}
        for name in METRICS:
            m = by_name.get(name)
            row[f"{name}_mean"] = m.mean if m and m.count else math.nan
            row[f"{name}_ci_low"] = m.ci_low if m and m.HasField("ci_low") else math.nan
            row[f"{name}_ci_high"] = m.ci_high if m and m.HasField("ci_high") else math.nan
            row[f"{name}_std"] = m.stddev if m and m.count else math.nan
        row["replications"] = len(p.runs)
        row["failed_runs"] = p.failed_runs
        rows.append(row)
    return pd.DataFrame(rows)


def runs_frame(points: Sequence[sweep_pb2.SweepPoint]) -> Any:
    """One row per simulation."""
    from server.sweep.stats import figures

    pd = _pandas()
    rows = []
    for p in sorted(points, key=lambda p: p.index):
        for r in p.runs:
            row: dict[str, Any] = {"index": p.index}
            for c in p.coordinates:
                row[c.name or c.path] = c.number
            row.update(replication=r.replication, seed=r.seed, error=r.error,
                       wall_s=r.wall_ns / 1e9)
            if r.HasField("summary") and not r.error:
                f = figures(r.summary)
                row.update({k: f[k] for k in RUN_FIGURES})
            else:
                row.update({k: math.nan for k in RUN_FIGURES})
            rows.append(row)
    return pd.DataFrame(rows)


def _resolve_axis(points: Sequence[sweep_pb2.SweepPoint], want: str | None) -> str | None:
    if want is None:
        return None
    for c in points[0].coordinates:
        if want in (c.name, c.path):
            return c.name or c.path
    raise ValueError(f"plot: no axis {want!r} (axes: {', '.join(axis_names(points))})")


def plot_sweep(points: Sequence[sweep_pb2.SweepPoint], path: Path, *, x: str | None = None,
               lines: str | None = None, title: str = "") -> Path:
    """p99 latency and GC CPU against axis x, one line per value of `lines` (module doc)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = axis_names(points)
    df = points_frame(points)
    x_name = _resolve_axis(points, x) or (names[0] if names else None)
    line_name = _resolve_axis(points, lines)
    if line_name is None and len(names) > 1:
        line_name = next(n for n in names if n != x_name)
    others = [n for n in names if n not in (x_name, line_name)]
    fig, axes = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
    panels = (("latency_p99_ns", 1e-6, "p99 latency (ms)"),
              ("gc_cpu_fraction", 100.0, "GC CPU (%)"))
    if x_name is None:  # no axes: one point, bars
        for ax, (metric, k, label) in zip(axes, panels, strict=True):
            ax.bar([0], [df[f"{metric}_mean"].iloc[0] * k])
            ax.set_ylabel(label)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return path
    labels = list(dict.fromkeys(df[f"{x_name}_label"]))
    categorical = not all(_is_number(v) for v in labels)
    positions = {lab: i for i, lab in enumerate(labels)}
    group_cols = [c for c in (line_name, *others) if c is not None]
    groups = df.groupby(group_cols, sort=False) if group_cols else [((), df)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        g = g.sort_values(x_name) if not categorical else g.assign(
            _pos=g[f"{x_name}_label"].map(positions)).sort_values("_pos")
        xs = g["_pos"] if categorical else g[x_name]
        legend = ", ".join(f"{c}={g[f'{c}_label'].iloc[0]}" for c in group_cols) or "sweep"
        del key
        for ax, (metric, k, _) in zip(axes, panels, strict=True):
            mean = g[f"{metric}_mean"] * k
            ax.plot(xs, mean, marker="o", label=legend)
            lo, hi = g[f"{metric}_ci_low"] * k, g[f"{metric}_ci_high"] * k
            if lo.notna().any():
                ax.fill_between(xs, lo, hi, alpha=0.15)
    for ax, (_, _, label) in zip(axes, panels, strict=True):
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
    if categorical:
        axes[1].set_xticks(range(len(labels)), labels)
    else:
        vals = [float(v) for v in df[x_name] if math.isfinite(v)]
        if vals and min(vals) > 0 and max(vals) / min(vals) > 10:
            axes[1].set_xscale("log")
    axes[1].set_xlabel(x_name)
    axes[0].legend(fontsize="small")
    reps = int(df["replications"].max()) if len(df) else 0
    fig.suptitle(title or f"{x_name}: mean and 95 % CI over {reps} replications")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_outputs(points: Sequence[sweep_pb2.SweepPoint], out_dir: Path, *,
                  plot: dict[str, Any] | None = None, make_plot: bool = True,
                  title: str = "") -> dict[str, Path]:
    """Write the tables (CSV and Parquet) and the plot; returns {kind: path}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    pts = points_frame(points)
    runs = runs_frame(points)
    for name, df in (("points", pts), ("runs", runs)):
        csv = out_dir / f"{name}.csv"
        df.to_csv(csv, index=False)
        written[f"{name}_csv"] = csv
        pq = out_dir / f"{name}.parquet"
        df.to_parquet(pq, index=False)
        written[f"{name}_parquet"] = pq
    if make_plot and points:
        opts = plot or {}
        written["plot"] = plot_sweep(points, out_dir / "plot.png", x=opts.get("x"),
                                     lines=opts.get("lines"), title=title)
    return written
