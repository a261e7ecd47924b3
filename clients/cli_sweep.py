"""`gosim sweep` and `gosim plan`: parameter sweeps and capacity planning from the shell.

clients/cli.py calls register(subparsers) to add both subcommands; each sets `func`, which
takes the parsed namespace and returns the exit code, as the rest of the CLI does: 0 ok,
2 bad input, 3 engine, server or connection error, 4 every run failed or the sweep was
cancelled, 130 interrupted.

    gosim sweep FILE [--out DIR] [--workers N | --cluster tcp://host:8786 | --server ADDR]
    gosim plan max-rate   CONFIG --p99 50ms [--gc-cpu 5%] [--start 100] [--max 1e5]
    gosim plan min-procs  CONFIG --p99 50ms --rate 2000 [--max-procs 64]
    gosim plan min-memory CONFIG --horizon 10m [--start 64MiB] [--granularity 1MiB]
    gosim plan min-gc-cpu CONFIG --budget 512MiB [--gogc 50,100,200,off] [--gomemlimit ...]

Where the simulations run: in this process's local pool (`--workers`, default one per core),
on a Dask cluster (`--cluster ADDR`, or $GOSIM_DASK_SCHEDULER; `pip install gosim[cluster]`),
or on a gosim server (`--server ADDR`, through SweepService: the sweep is a durable job there,
Ctrl-C only detaches; `--attach ID` follows it again, `--cancel ID` cancels it). In every case
the same server/sweep code expands the spec, batches the runs and computes the confidence
intervals.

`gosim sweep` shows a progress bar over points (rich) and writes points.csv, points.parquet,
runs.csv, runs.parquet and plot.png (p99 latency and GC CPU against the first axis, one line
per value of the second) into --out (default: FILE's stem + "-results"). `gosim plan` prints
each evaluated point as the search goes, then the answer's paragraph; --json writes the whole
PlanAnswer (every run behind it) in the proto JSON mapping.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from gosim.v1 import sweep_pb2

QUESTIONS = ("max-rate", "min-procs", "min-memory", "min-gc-cpu")


def register(subparsers: Any) -> None:
    """Add the `sweep` and `plan` subcommands to the gosim CLI's subparsers."""
    sw = subparsers.add_parser(
        "sweep", help="run a parameter sweep from a YAML file",
        description="Run a parameter sweep (a base config and axes, see docs/sweeps.md) and "
                    "write CSV, Parquet and a plot.")
    sw.add_argument("file", type=Path, nargs="?", help="the sweep file (YAML or JSON)")
    sw.add_argument("--out", type=Path, default=None,
                    help="output directory (default: FILE's stem + '-results')")
    _engine_args(sw)
    sw.add_argument("--replications", type=int, default=None,
                    help="override the file's replications")
    sw.add_argument("--batch-size", type=int, default=0,
                    help="simulations per engine task (default: automatic)")
    sw.add_argument("--no-plot", action="store_true", help="do not draw plot.png")
    sw.add_argument("--attach", metavar="ID", default=None,
                    help="with --server: follow an existing sweep instead of submitting one")
    sw.add_argument("--cancel", metavar="ID", default=None,
                    help="with --server: cancel a sweep and exit")
    sw.add_argument("--detach", action="store_true",
                    help="with --server: submit, print the sweep's id and exit")
    sw.add_argument("--quiet", action="store_true", help="no progress bar")
    sw.set_defaults(func=sweep_main)

    pl = subparsers.add_parser(
        "plan", help="answer a capacity-planning question by searching over simulations",
        description="Search over simulations for the highest rate meeting an SLO, the fewest "
                    "cores, the smallest container memory, or the GOGC/GOMEMLIMIT pair with "
                    "the least GC CPU within a memory budget.")
    pl.add_argument("question", choices=QUESTIONS)
    pl.add_argument("config", type=Path,
                    help="the base config (YAML/JSON SimConfig, or a sweep file's base)")
    _engine_args(pl)
    slo = pl.add_argument_group("objective (max-rate, min-procs; optional for min-gc-cpu)")
    slo.add_argument("--p99", default=None, help="p99 latency at most this (e.g. 50ms)")
    slo.add_argument("--gc-cpu", default=None, help="GC CPU at most this (e.g. 5%% or 0.05)")
    slo.add_argument("--allow-oom", action="store_true", help="do not fail points on OOM")
    slo.add_argument("--min-completion", type=float, default=None,
                     help="completed/arrived requests at least this (default 0.99)")
    slo.add_argument("--conservative", action="store_true",
                     help="judge by the 95 %% CI's upper end instead of the mean")
    q = pl.add_argument_group("search")
    q.add_argument("--rate", type=float, default=None, help="min-procs: the arrival rate (/s)")
    q.add_argument("--start", default=None,
                   help="max-rate: first rate (/s); min-memory: first size (e.g. 64MiB)")
    q.add_argument("--max", dest="maximum", default=None,
                   help="max-rate: highest rate; min-memory: largest size")
    q.add_argument("--tolerance", type=float, default=0.0,
                   help="max-rate: relative precision (default 0.05)")
    q.add_argument("--max-procs", type=int, default=0, help="min-procs: most Ps (default 256)")
    q.add_argument("--horizon", default=None, help="min-memory: how long to survive (e.g. 10m)")
    q.add_argument("--granularity", default=None, help="min-memory: precision (default 1MiB)")
    q.add_argument("--budget", default=None, help="min-gc-cpu: memory budget (e.g. 512MiB)")
    q.add_argument("--gogc", default=None, help="min-gc-cpu: GOGC candidates, comma-separated")
    q.add_argument("--gomemlimit", default=None,
                   help="min-gc-cpu: GOMEMLIMIT candidates, comma-separated (off or sizes)")
    q.add_argument("--refine", type=int, default=None,
                   help="min-gc-cpu: refinement rounds (default 1)")
    pl.add_argument("--replications", type=int, default=0, help="runs per point (default 3)")
    pl.add_argument("--seed", type=int, default=None, help="seed of the replications' seeds")
    pl.add_argument("--json", type=Path, default=None, help="write the PlanAnswer here")
    pl.add_argument("--csv", type=Path, default=None, help="write the evaluated points here")
    pl.set_defaults(func=plan_main)


def _engine_args(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("where the simulations run")
    g.add_argument("--workers", type=int, default=None,
                   help="local process pool size (default: the number of cores)")
    g.add_argument("--cluster", default=None,
                   help="Dask scheduler address, e.g. tcp://host:8786 (default: "
                        "$GOSIM_DASK_SCHEDULER; needs gosim[cluster])")
    g.add_argument("--server", default=None, help="a gosim server (HOST:PORT) to run on")


def _err(console: Console, text: str) -> None:
    console.print(f"[bold red]error:[/] {text}", highlight=False)


# ---------------------------------------------------------------------------------------------
# sweep


def _progress(console: Console, quiet: bool) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("points"), TimeElapsedColumn(), TextColumn("eta"),
                    TimeRemainingColumn(), console=console, disable=quiet, transient=False)


def sweep_main(ns: argparse.Namespace) -> int:
    from clients import sweep_file
    from server.sweep import spec as specmod

    console = Console(stderr=True)
    if ns.server and (ns.attach or ns.cancel):
        return _remote_existing(ns, console)
    if ns.file is None:
        _err(console, "a sweep FILE is needed (or --server with --attach/--cancel)")
        return 2
    try:
        spec, opts = sweep_file.load_sweep_file(ns.file)
    except sweep_file.SweepFileError as e:
        _err(console, str(e))
        return 2
    if ns.replications is not None:
        spec.replications = ns.replications
    out = ns.out or Path(f"{ns.file.stem}-results")
    if ns.server:
        return _remote_sweep(ns, console, spec, opts, out)
    try:
        exp = specmod.expand(spec)
    except specmod.SpecError as e:
        for path, reason in e.violations:
            _err(console, f"{path}: {reason}")
        return 2
    from server.sweep.engine import EngineError, engine_for
    from server.sweep.runner import SweepRunner

    try:
        engine = engine_for(ns.cluster, ns.workers)
    except EngineError as e:
        _err(console, str(e))
        return 3
    console.print(f"sweep: {len(exp.points)} points × {exp.replications} replications = "
                  f"{exp.total_runs} simulations on {engine.name}", highlight=False)
    points: list[sweep_pb2.SweepPoint] = []
    cancel = threading.Event()
    try:
        with _progress(console, ns.quiet) as progress:
            task = progress.add_task(ns.file.stem, total=len(exp.points))

            def on_point(p: sweep_pb2.SweepPoint) -> None:
                points.append(p)
                progress.advance(task)

            stats = SweepRunner(engine, batch_size=ns.batch_size).run(
                exp.points, exp.seeds, on_point, cancel)
    except KeyboardInterrupt:
        cancel.set()
        engine.kill()
        console.print(f"interrupted: {len(points)} of {len(exp.points)} points done; "
                      "writing what there is")
        _write(console, points, out, opts, ns)
        return 130
    finally:
        engine.close(wait=False)
    console.print(f"done: {stats.runs} simulations in {stats.wall_s:.1f} s "
                  f"({stats.batches} tasks, {stats.failed_runs} failed)", highlight=False)
    return _write(console, points, out, opts, ns)


def _write(console: Console, points: list[sweep_pb2.SweepPoint], out: Path,
           opts: dict[str, Any], ns: argparse.Namespace) -> int:
    from clients import sweep_output

    if not points:
        return 4
    written = sweep_output.write_outputs(points, out, plot=opts.get("plot"),
                                         make_plot=not ns.no_plot)
    for path in written.values():
        console.print(f"wrote {path}", highlight=False)
    failed = sum(p.failed_runs for p in points)
    return 4 if failed == sum(len(p.runs) for p in points) else 0


def _client(ns: argparse.Namespace) -> Any:
    from clients.sweep_client import SweepClient

    return SweepClient(ns.server)


def _follow(console: Console, client: Any, sweep_id: str, total: int, quiet: bool,
            label: str) -> tuple[list[sweep_pb2.SweepPoint], sweep_pb2.SweepJob | None]:
    points: dict[int, sweep_pb2.SweepPoint] = {}
    job: sweep_pb2.SweepJob | None = None
    with _progress(console, quiet) as progress:
        task = progress.add_task(label, total=total or None)
        for msg in client.watch(sweep_id):
            if msg.WhichOneof("event") == "point":
                points[msg.point.index] = msg.point
                progress.update(task, completed=len(points))
            else:
                job = msg.job
                progress.update(task, total=job.total_points, completed=len(points))
    return [points[i] for i in sorted(points)], job


def _remote_sweep(ns: argparse.Namespace, console: Console, spec: sweep_pb2.SweepSpec,
                  opts: dict[str, Any], out: Path) -> int:
    import grpc

    client = _client(ns)
    try:
        try:
            job = client.submit(spec, opts.get("label", ns.file.stem))
        except grpc.RpcError as e:
            _err(console, f"{e.code().name}: {e.details()}")
            return 2 if e.code() == grpc.StatusCode.INVALID_ARGUMENT else 1
        console.print(f"sweep {job.id}: {job.total_points} points, {job.total_runs} "
                      f"simulations on {ns.server}", highlight=False)
        if ns.detach:
            print(job.id)
            return 0
        return _finish_remote(ns, console, client, job, out, opts)
    finally:
        client.close()


def _finish_remote(ns: argparse.Namespace, console: Console, client: Any,
                   job: sweep_pb2.SweepJob, out: Path, opts: dict[str, Any]) -> int:
    try:
        points, final = _follow(console, client, job.id, job.total_points, ns.quiet,
                                job.label or job.id[:8])
    except KeyboardInterrupt:
        console.print(f"detached; the sweep goes on on the server. Follow it with "
                      f"`gosim sweep --server {ns.server} --attach {job.id}`, cancel it with "
                      f"--cancel {job.id}", highlight=False)
        return 0
    from gosim.v1 import simulator_pb2

    state = simulator_pb2.JobState.Name(final.state) if final is not None else "?"
    console.print(f"sweep {job.id}: {state}, {len(points)} points"
                  + (f" ({final.error})" if final is not None and final.error else ""),
                  highlight=False)
    rc = _write(console, points, out, opts, ns)
    return rc if final is not None and final.state == simulator_pb2.JOB_STATE_SUCCEEDED else 1


def _remote_existing(ns: argparse.Namespace, console: Console) -> int:
    import grpc

    client = _client(ns)
    try:
        if ns.cancel:
            job = client.cancel(ns.cancel)
            from gosim.v1 import simulator_pb2

            console.print(f"sweep {job.id}: {simulator_pb2.JobState.Name(job.state)}")
            return 0
        job, _ = client.get(ns.attach)
        out = ns.out or Path(f"{job.label or job.id[:8]}-results")
        return _finish_remote(ns, console, client, job, out, {})
    except grpc.RpcError as e:
        _err(console, f"{e.code().name}: {e.details()}")
        return 2 if e.code() == grpc.StatusCode.INVALID_ARGUMENT else 3
    finally:
        client.close()


# ---------------------------------------------------------------------------------------------
# plan


def _duration_ns(text: str) -> int:
    from server.sweep.spec import parse_quantity

    return int(parse_quantity(text, "x_ns"))


def _bytes(text: str) -> int:
    from server.sweep.spec import parse_quantity

    return int(parse_quantity(text, "x_bytes"))


def _fraction(text: str) -> float:
    t = text.strip()
    return float(t[:-1]) / 100 if t.endswith("%") else float(t)


def _axis_values(text: str) -> list[sweep_pb2.AxisValue]:
    out = []
    for part in text.split(","):
        p = part.strip()
        try:
            out.append(sweep_pb2.AxisValue(int_value=int(p)))
        except ValueError:
            out.append(sweep_pb2.AxisValue(string_value=p))
    return out


def build_plan_request(ns: argparse.Namespace) -> sweep_pb2.PlanRequest:
    """The PlanRequest for the parsed `gosim plan` arguments (raises ValueError)."""
    from clients import sweep_file

    base = sweep_file.load_config_file(ns.config)
    req = sweep_pb2.PlanRequest(base=base, replications=ns.replications)
    if ns.seed is not None:
        req.seed = ns.seed
    slo = sweep_pb2.SLO(allow_oom=ns.allow_oom, conservative=ns.conservative)
    if ns.p99:
        slo.max_latency_p99_ns = _duration_ns(ns.p99)
    if ns.gc_cpu:
        slo.max_gc_cpu_fraction = _fraction(ns.gc_cpu)
    if ns.min_completion is not None:
        slo.min_completion_ratio = ns.min_completion
    has_slo = bool(ns.p99 or ns.gc_cpu or ns.allow_oom or ns.min_completion is not None
                   or ns.conservative)
    if ns.question == "max-rate":
        req.max_rate.slo.CopyFrom(slo)
        if ns.start:
            req.max_rate.start_rate_per_s = float(ns.start)
        if ns.maximum:
            req.max_rate.max_rate_per_s = float(ns.maximum)
        req.max_rate.tolerance = ns.tolerance
    elif ns.question == "min-procs":
        req.min_procs.slo.CopyFrom(slo)
        if ns.rate is not None:
            req.min_procs.rate_per_s = ns.rate
        req.min_procs.max_gomaxprocs = ns.max_procs
    elif ns.question == "min-memory":
        q = req.min_memory
        q.horizon_ns = _duration_ns(ns.horizon) if ns.horizon else 0
        q.start_bytes = _bytes(ns.start) if ns.start else 0
        q.max_bytes = _bytes(ns.maximum) if ns.maximum else 0
        q.granularity_bytes = _bytes(ns.granularity) if ns.granularity else 0
    else:
        g = req.min_gc_cpu
        if not ns.budget:
            raise ValueError("min-gc-cpu needs --budget (e.g. 512MiB)")
        g.memory_budget_bytes = _bytes(ns.budget)
        if ns.gogc:
            g.gogc.extend(_axis_values(ns.gogc))
        if ns.gomemlimit:
            g.gomemlimit.extend(_axis_values(ns.gomemlimit))
        if has_slo:
            g.slo.CopyFrom(slo)
        if ns.refine is not None:
            g.refine_rounds = ns.refine
    return req


def _step_line(step: sweep_pb2.PlanStep) -> str:
    where = ", ".join(f"{c.path.rsplit('.', 1)[-1]}={c.label}" for c in step.point.coordinates)
    mark = "[green]pass[/]" if step.feasible else "[red]fail[/]"
    return f"  {mark} {where}: {step.reason}"


def plan_main(ns: argparse.Namespace) -> int:
    console = Console(stderr=True)
    from clients import sweep_file
    from server.sweep.plan import PlanError

    try:
        req = build_plan_request(ns)
    except (ValueError, sweep_file.SweepFileError) as e:
        _err(console, str(e))
        return 2

    def on_step(step: sweep_pb2.PlanStep) -> None:
        console.print(_step_line(step), highlight=False)

    console.print(f"plan {ns.question}: searching …", highlight=False)
    if ns.server:
        import grpc

        client = _client(ns)
        try:
            answer = client.plan(req, on_step=on_step)
        except grpc.RpcError as e:
            _err(console, f"{e.code().name}: {e.details()}")
            return 2 if e.code() == grpc.StatusCode.INVALID_ARGUMENT else 3
        except KeyboardInterrupt:
            return 130
        finally:
            client.close()
    else:
        from clients.sweep_client import plan_local
        from server.sweep.engine import EngineError, engine_for

        try:
            engine = engine_for(ns.cluster, ns.workers)
        except EngineError as e:
            _err(console, str(e))
            return 3
        try:
            answer = plan_local(req, engine, on_step=on_step)
        except PlanError as e:
            for path, reason in e.violations:
                _err(console, f"{path}: {reason}")
            return 2
        except KeyboardInterrupt:
            engine.kill()
            return 130
        finally:
            engine.close(wait=False)
    print(answer.explanation, flush=True)
    if ns.json:
        ns.json.write_text(json.dumps(json_format.MessageToDict(
            answer, preserving_proto_field_name=True), indent=1))
        console.print(f"wrote {ns.json}")
    if ns.csv:
        from clients.sweep_output import points_frame

        steps = [s for s in answer.evaluated if s.point.runs]
        df = points_frame([s.point for s in steps])
        verdict = {s.point.index: (s.feasible, s.reason) for s in steps}
        df.insert(1, "feasible", [verdict[i][0] for i in df["index"]])
        df.insert(2, "reason", [verdict[i][1] for i in df["index"]])
        df.to_csv(ns.csv, index=False)
        console.print(f"wrote {ns.csv}")
    return 0 if answer.found else 1


def main(argv: list[str] | None = None) -> int:
    """Run `sweep`/`plan` without clients/cli.py (python -m clients.cli_sweep ...)."""
    ap = argparse.ArgumentParser(prog="gosim")
    sub = ap.add_subparsers(dest="command", required=True)
    register(sub)
    ns = ap.parse_args(sys.argv[1:] if argv is None else argv)
    return int(ns.func(ns))


if __name__ == "__main__":
    sys.exit(main())
