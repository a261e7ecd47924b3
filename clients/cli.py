"""The `gosim` command line: one argparse subcommand per action.

    gosim run examples/web-api.yaml                    simulate in this process, print a summary
    gosim run examples/web-api.yaml --set runtime.gogc=50 --out out/   every rendering to out/
    gosim run examples/web-api.yaml --server 127.0.0.1:50051 --json    on a server, JSON result
    gosim validate examples/web-api.yaml               check a workload file
    gosim report out/result.json                       render a saved result
    gosim submit FILE / status JOB / watch JOB / cancel JOB / list     jobs on a server
    gosim info                                         a server's versions, defaults and limits
    gosim demo                                         what `make demo` does
    gosim serve                                        run the gRPC server (server/main.py)

How it works. build_parser() makes one subparser per command; each sets `func`, which takes
the parsed namespace and returns the exit code. Workload files are read by
clients.workload_file (with --set/--duration/--seed applied as overrides before validation);
simulations run in this process with simcore.simulate, or on a server through
clients.client.Client; results are shown with clients.render_text and written with
clients.outputs (every rendering) or as JSON (--json: the proto's JSON mapping, int64 as
numbers). Errors are raised as exceptions and turned into a message on stderr (or a JSON
`{"error": ...}` on stdout with --json) and an exit code by main():

    0    success
    1    the simulated program was OOM-killed (run, report, status, watch: the result says so)
    2    usage error or invalid input: bad flags, an unreadable or invalid workload or result
         file (every bad field printed with its path and line), a server's INVALID_ARGUMENT
         (field violations printed) or NOT_FOUND (no such job)
    3    server or connection error: unreachable, UNAUTHENTICATED, RESOURCE_EXHAUSTED (a server
         limit, named), DEADLINE_EXCEEDED, INTERNAL, or the simulation itself failed
    4    the job did not succeed: it ended FAILED or CANCELLED (status, watch)
    130  interrupted (Ctrl-C); a remote simulation is cancelled on the server

A progress bar (rich) with the simulated time, GC cycles and an ETA appears on stderr once a
run has taken more than a second, when stderr is a terminal (--progress forces it from the
start, --no-progress hides it).

Other modules may add subcommands: if clients.cli_sweep exists, its register(subparsers) is
called (parameter sweeps and capacity planning: `gosim sweep`, `gosim plan`), and likewise
clients.cli_calibrate (`gosim calibrate`); they can reuse add_remote_arguments() and
client_from_args() for the server flags. A module that fails to load is reported on stderr and
left out; the other commands still work.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib
import importlib.util
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import grpc
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

import simcore
from clients.client import DEFAULT_ADDRESS, Client, GosimError, Job, JobState
from clients.results import (
    ResultFileError,
    load_result,
    message_to_dict,
    result_to_json,
    save_result,
)
from clients.workload_file import (
    WorkloadError,
    load_workload,
    load_workload_proto,
    parse_duration_ns,
)

EXIT_OK = 0
EXIT_OOM = 1
EXIT_USAGE = 2
EXIT_SERVER = 3
EXIT_JOB_FAILED = 4
EXIT_INTERRUPTED = 130

ENV_SERVER = "GOSIM_SERVER"
ENV_TOKEN = "GOSIM_TOKEN"

# gRPC codes that mean "your input is wrong" rather than "the server or the network failed".
_USAGE_CODES = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
                grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.OUT_OF_RANGE}

EXIT_CODES_HELP = """exit codes:
  0    success
  1    the simulated program was OOM-killed (the result is still printed / written)
  2    usage error or invalid input (bad workload or result file, INVALID_ARGUMENT, unknown job)
  3    server or connection error (unreachable, unauthenticated, a server limit, internal)
  4    the job ended FAILED or CANCELLED
  130  interrupted (Ctrl-C)"""


class CliError(Exception):
    """An error to report with an exit code (the message goes to stderr)."""

    def __init__(self, code: int, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


# ---------------------------------------------------------------------------------------------
# Consoles and progress


def _stdout() -> Console:
    return Console(highlight=False)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _note(ns: argparse.Namespace, text: str) -> None:
    """A human note on stderr (never mixed into --json output), unless --quiet."""
    if not getattr(ns, "quiet", False):
        _stderr().print(text)


def _fmt_s(ns: float) -> str:
    s = ns / 1e9
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"


class ProgressBar:
    """A rich progress bar on stderr for one run, shown only once the run has taken more than
    `delay_s` of wall time (so quick runs print nothing). Use as a context manager."""

    def __init__(self, enabled: bool, description: str, delay_s: float = 1.0,
                 console: Console | None = None) -> None:
        self.enabled = enabled
        self.description = description
        self.delay_s = delay_s
        self.console = console
        self.start = time.monotonic()
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressBar:
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, simulated_ns: int, duration_ns: int, cycles: int,
               requests_completed: int) -> None:
        if not self.enabled:
            return
        completed, total = min(simulated_ns, duration_ns), max(1, duration_ns)
        fields: dict[str, Any] = {
            "sim": f"{_fmt_s(simulated_ns)} of {_fmt_s(duration_ns)}", "cycles": cycles,
            "elapsed": _clock(time.monotonic() - self.start)}
        if self._progress is None:
            if time.monotonic() - self.start < self.delay_s:
                return
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("simulated {task.fields[sim]}"),
                TextColumn("{task.fields[cycles]} GC cycles"),
                TextColumn("[yellow]{task.fields[elapsed]}[/yellow] elapsed, ETA"),
                TimeRemainingColumn(),
                console=self.console or Console(stderr=True),
                transient=False,
            )
            self._task = self._progress.add_task(self.description, completed=completed,
                                                 total=total, **fields)
            self._progress.start()
            return
        assert self._task is not None
        self._progress.update(self._task, completed=completed, total=total, **fields)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _progress_enabled(ns: argparse.Namespace) -> bool:
    flag = getattr(ns, "progress", None)
    if flag is not None:
        return bool(flag)
    if getattr(ns, "quiet", False):
        return False
    return sys.stderr.isatty()


def _bar(ns: argparse.Namespace, description: str) -> ProgressBar:
    """The run's progress bar; --progress forces it at once, even for a quick run."""
    enabled = _progress_enabled(ns)
    if getattr(ns, "progress", None):
        return ProgressBar(enabled, description, delay_s=0.0,
                           console=Console(stderr=True, force_terminal=True))
    return ProgressBar(enabled, description)


# ---------------------------------------------------------------------------------------------
# Shared arguments


def add_remote_arguments(ap: argparse.ArgumentParser, *, server_default: str | None = "env",
                         server_help: str | None = None) -> None:
    """--server, --token, --token-file, --tls-ca, --tls and --timeout."""
    g = ap.add_argument_group("server connection")
    default = os.environ.get(ENV_SERVER, DEFAULT_ADDRESS) if server_default == "env" \
        else server_default
    g.add_argument("--server", metavar="ADDR", default=default,
                   help=server_help or f"the gosim server, HOST:PORT (default ${ENV_SERVER} or "
                                       f"{DEFAULT_ADDRESS})")
    g.add_argument("--token", default=None,
                   help=f"bearer token the server requires (default ${ENV_TOKEN})")
    g.add_argument("--token-file", type=Path, default=None,
                   help="read the bearer token from this file")
    g.add_argument("--tls-ca", type=Path, default=None, metavar="PEM",
                   help="use TLS, trusting this root certificate (PEM)")
    g.add_argument("--tls", action="store_true",
                   help="use TLS with the system's root certificates")
    g.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="deadline for the call (default: none for simulations, 30 s otherwise)")


def _token(ns: argparse.Namespace) -> str | None:
    if getattr(ns, "token_file", None) is not None:
        try:
            token = Path(ns.token_file).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise CliError(EXIT_USAGE, f"cannot read the token file {ns.token_file}: {e}") \
                from None
        return token or None
    if getattr(ns, "token", None):
        return str(ns.token)
    return os.environ.get(ENV_TOKEN) or None


def client_from_args(ns: argparse.Namespace) -> Client:
    """A Client for the namespace's --server/--token/--tls-ca/--tls flags."""
    if ns.tls_ca is not None and not Path(ns.tls_ca).is_file():
        raise CliError(EXIT_USAGE, f"--tls-ca {ns.tls_ca}: no such file")
    return Client(ns.server, token=_token(ns), tls_ca=ns.tls_ca, tls=ns.tls)


def _add_overrides(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("changing the workload without editing it")
    g.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override one field, e.g. runtime.gogc=50, "
                        "workload.open_loop.rate_per_s=8000, runtime.gomemlimit_bytes=512MiB, "
                        "trace_duration_ns=50ms (repeatable; VALUE is YAML; null unsets)")
    g.add_argument("--duration", default=None, metavar="DUR",
                   help="simulated time to run, e.g. 30s, 5m (same as --set duration_ns=...)")
    g.add_argument("--seed", type=int, default=None, help="random seed (same as --set seed=N)")


def _overrides(ns: argparse.Namespace) -> list[str]:
    out = list(getattr(ns, "overrides", []) or [])
    if getattr(ns, "duration", None) is not None:
        try:
            out.append(f"duration_ns={parse_duration_ns(ns.duration)}")
        except ValueError as e:
            raise CliError(EXIT_USAGE, f"--duration: {e}") from None
    if getattr(ns, "seed", None) is not None:
        out.append(f"seed={ns.seed}")
    return out


def _add_output(ap: argparse.ArgumentParser, *, out: bool = True,
                progress: bool = True) -> None:
    g = ap.add_argument_group("output")
    g.add_argument("--json", action="store_true",
                   help="print machine-readable JSON on stdout (the proto's JSON mapping)")
    if out:
        g.add_argument("--out", type=Path, default=None, metavar="DIR",
                       help="write every rendering into DIR: summary.txt, gctrace.txt, "
                            "metrics.prom, heap/latency/pauses/mmu PNGs, trace.json (with a "
                            "trace window), result.json, workload.yaml")
    g.add_argument("-q", "--quiet", action="store_true", help="print nothing but the essentials")
    if progress:
        g.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="show a progress bar (default: when stderr is a terminal and the "
                            "run takes over a second)")


# ---------------------------------------------------------------------------------------------
# Output helpers


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()


def _job_dict(job: Job, *, with_config: bool = True) -> dict[str, Any]:
    d = message_to_dict(job.proto, inf_as_float=False)
    if not with_config:
        d.pop("config", None)
    if not job.proto.HasField("result"):
        d.pop("result", None)
    return d


def _show_result(ns: argparse.Namespace, result: simcore.Result) -> int:
    """Print (or --json) the result, write --out, and return 0 or EXIT_OOM."""
    if getattr(ns, "out", None) is not None:
        from clients.outputs import write_outputs

        outputs = write_outputs(result, ns.out)
        for skip in outputs.skipped:
            _stderr().print(f"[yellow]skipped[/yellow] {skip}")
        _note(ns, f"wrote {len(outputs.written)} files to {outputs.directory}: "
                  + ", ".join(p.name for p in outputs.written))
    if getattr(ns, "save", None) is not None:
        save_result(result, ns.save)
        _note(ns, f"saved the result to {ns.save}")
    if ns.json:
        sys.stdout.write(result_to_json(result) + "\n")
    elif not ns.quiet:
        from clients.render_text import render_result

        render_result(result, _stdout())
    if result.summary.oom is not None:
        o = result.summary.oom
        from clients.render_text import fmt_bytes

        _note(ns, f"[red]the simulated program was OOM-killed at {_fmt_s(o.at_ns)}[/red] "
                  f"(RSS {fmt_bytes(o.rss_bytes)} > limit {fmt_bytes(o.limit_bytes)}): "
                  "exit code 1")
        return EXIT_OOM
    return EXIT_OK


def _when(t: datetime.datetime | None) -> str:
    return t.astimezone().strftime("%Y-%m-%d %H:%M:%S") if t else "-"


def _job_progress(job: Job) -> str:
    if job.progress is None:
        return "-"
    p = job.progress
    return f"{100 * p.fraction:.0f}% ({_fmt_s(p.simulated_ns)} of {_fmt_s(p.duration_ns)})"


def _state_style(state: JobState) -> str:
    return {JobState.SUCCEEDED: "green", JobState.FAILED: "red", JobState.CANCELLED: "yellow",
            JobState.RUNNING: "cyan"}.get(state, "")


def _job_table(job: Job) -> Table:
    t = Table(show_header=False, box=None, title=f"job {job.id}", title_justify="left")
    t.add_column(style="bold")
    t.add_column()
    style = _state_style(job.state)
    t.add_row("state", f"[{style}]{job.state.name}[/{style}]" if style else job.state.name)
    if job.label:
        t.add_row("label", job.label)
    t.add_row("created", _when(job.create_time))
    t.add_row("started", _when(job.start_time))
    t.add_row("finished", _when(job.finish_time))
    t.add_row("attempts", str(job.attempts))
    t.add_row("progress", _job_progress(job))
    if job.config is not None:
        c = job.config
        t.add_row("config", f"{c.workload.name or '(unnamed)'}: {c.runtime.gomaxprocs} Ps, "
                            f"GOGC={c.runtime.gogc}, {_fmt_s(c.duration_ns)}, seed {c.seed}")
    if job.error:
        t.add_row("error", job.error)
    return t


def _job_exit(job: Job) -> int:
    if job.state in (JobState.FAILED, JobState.CANCELLED):
        return EXIT_JOB_FAILED
    if job.result is not None and job.result.summary.oom is not None:
        return EXIT_OOM
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# Commands


@contextlib.contextmanager
def deferred_sigint() -> Iterator[list[int]]:
    """Ctrl-C during a local simulation: noted by a handler and raised as KeyboardInterrupt
    by the caller (`gosim run`'s progress hook checks the list every 0.5 % of the run) or,
    at the latest, when the block ends; not wherever the signal lands. simcore's compiled
    modules cannot unwind from an exception raised between two of their operations: mypyc's
    runtime then aborts the process ("fatal: out of memory") instead of exiting with 130.
    Yields the list the handler appends to. A SIGINT that is ignored stays ignored; off the
    main thread nothing changes."""
    hit: list[int] = []
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield hit
        return
    try:
        old = signal.signal(signal.SIGINT, lambda signum, frame: hit.append(signum))
    except ValueError:  # not the main thread
        yield hit
        return
    try:
        yield hit
    finally:
        signal.signal(signal.SIGINT, old)
    if hit:
        raise KeyboardInterrupt


def _run(ns: argparse.Namespace) -> int:
    overrides = _overrides(ns)
    if ns.server is None:
        cfg = load_workload(ns.file, overrides)
        with _bar(ns, Path(ns.file).stem) as bar, deferred_sigint() as interrupted:
            def on_progress(p: simcore.Progress) -> None:
                if interrupted:
                    raise KeyboardInterrupt
                bar.update(p.simulated_ns, p.duration_ns, p.cycles, p.requests_completed)

            try:
                result = simcore.simulate(cfg, simcore.Hooks(progress=on_progress))
            except (KeyboardInterrupt, MemoryError):
                raise
            except Exception as e:  # a failure of the model itself: report it
                raise CliError(EXIT_SERVER, f"the simulation failed: {type(e).__name__}: {e}") \
                    from e
    else:
        msg = load_workload_proto(ns.file, overrides)
        with client_from_args(ns) as client, _bar(ns, Path(ns.file).stem) as bar:
            if bar.enabled:
                result = client.simulate(msg, timeout=ns.timeout, on_progress=lambda p: bar.update(
                    p.simulated_ns, p.duration_ns, p.cycles, p.requests_completed))
            else:
                result = client.simulate(msg, timeout=ns.timeout)
    return _show_result(ns, result)


def _validate(ns: argparse.Namespace) -> int:
    from server.limits import LimitExceeded, Limits, check, estimate

    cfg = load_workload(ns.file, _overrides(ns))
    est = estimate(cfg)
    try:
        check(cfg, Limits())
        within = None
    except LimitExceeded as e:
        within = f"{e.limit}: {e}"
    if ns.json:
        from clients.workload_file import workload_dict

        _print_json({"file": str(ns.file), "valid": True,
                     "estimate": {"requests": est.requests, "events": est.events,
                                  "goroutines": getattr(est, "goroutines", None)},
                     "default_server_limit_exceeded": within,
                     "config": workload_dict(cfg, minimal=False)})
        return EXIT_OK
    w = cfg.workload
    if w.open_loop is not None:
        arrivals = f"open loop {w.open_loop.rate_per_s:g} req/s"
    elif w.closed_loop is not None:
        arrivals = f"closed loop of {w.closed_loop.clients} clients"
    else:
        arrivals = "no requests"
    workers = sum(g.count for g in w.workers)
    gogc = "off" if cfg.runtime.gogc == simcore.GOGC_OFF else str(cfg.runtime.gogc)
    limit = "none" if cfg.runtime.gomemlimit_bytes == simcore.NO_LIMIT \
        else f"{cfg.runtime.gomemlimit_bytes >> 20} MiB"
    con = _stdout()
    con.print(f"[green]{ns.file}: valid[/green]")
    if not ns.quiet:
        con.print(f"  {w.name or '(unnamed workload)'}: GOMAXPROCS={cfg.runtime.gomaxprocs}, "
                  f"GOGC={gogc}, GOMEMLIMIT={limit}, {_fmt_s(cfg.duration_ns)} simulated, "
                  f"seed {cfg.seed}")
        con.print(f"  {arrivals}, {len(w.request.steps)} request steps, {workers} workers, "
                  f"{w.idle_goroutines} idle goroutines, baseline heap "
                  f"{w.baseline_heap.live_bytes >> 20} MiB")
        con.print(f"  about {est.requests:,} requests and {est.events:,} events")
        if within:
            con.print(f"  [yellow]above a default server limit[/yellow] ({within}): run it "
                      "in-process, or on a server started with a higher --max-… flag")
    return EXIT_OK


def _report(ns: argparse.Namespace) -> int:
    try:
        result = load_result(ns.result)
    except ResultFileError as e:
        raise CliError(EXIT_USAGE, str(e)) from None
    fmt = ns.format
    if fmt == "text" or ns.json:
        return _show_result(ns, result)
    if ns.out is not None:
        _show_result(argparse.Namespace(**{**vars(ns), "quiet": True, "json": False}), result)
    if fmt == "gctrace":
        from clients.render_gctrace import gctrace_text

        sys.stdout.write(gctrace_text(result))
    elif fmt == "gcpacertrace":
        from clients.render_gctrace import gcpacertrace_text

        sys.stdout.write(gcpacertrace_text(result))
    elif fmt in ("prom", "openmetrics"):
        from clients.render_prom import prometheus_text

        sys.stdout.write(prometheus_text(result, openmetrics=fmt == "openmetrics"))
    elif fmt == "trace":
        from clients.trace_export import trace_json

        try:
            sys.stdout.write(json.dumps(trace_json(result)) + "\n")
        except ValueError as e:
            raise CliError(EXIT_USAGE, str(e)) from None
    elif fmt == "workload":
        from clients.workload_file import dump_workload

        sys.stdout.write(dump_workload(result.config))
    return EXIT_OOM if result.summary.oom is not None else EXIT_OK


def _submit(ns: argparse.Namespace) -> int:
    msg = load_workload_proto(ns.file, _overrides(ns))
    with client_from_args(ns) as client:
        job = client.submit(msg, label=ns.label or "", timeout=ns.timeout)
        if ns.watch:
            _note(ns, f"submitted job {job.id}; watching it (Ctrl-C stops watching, not the job)")
            return _watch_job(ns, client, job.id)
    if ns.json:
        _print_json(_job_dict(job))
    else:
        print(job.id)
        _note(ns, f"queued; follow it with: gosim watch {job.id}")
    return EXIT_OK


def _status(ns: argparse.Namespace) -> int:
    with client_from_args(ns) as client:
        job = client.get(ns.job, timeout=ns.timeout)
    if ns.json:
        _print_json(_job_dict(job))
    elif not ns.quiet:
        _stdout().print(_job_table(job))
    if ns.out is not None or getattr(ns, "save", None) is not None:
        if job.result is not None:
            _show_result(argparse.Namespace(**{**vars(ns), "quiet": True, "json": False}),
                         job.result)
        else:
            _note(ns, f"job {job.id} is {job.state.name}: no result to write yet")
    return _job_exit(job)


def _watch_job(ns: argparse.Namespace, client: Client, job_id: str) -> int:
    last: Job | None = None
    with _bar(ns, f"job {job_id[:8]}") as bar:
        bar.delay_s = 0.0
        for job in client.watch(job_id, timeout=ns.timeout):
            last = job
            if job.progress is not None:
                p = job.progress
                bar.update(p.simulated_ns, p.duration_ns, p.cycles, p.requests_completed)
    if last is None:
        raise CliError(EXIT_SERVER, f"the server sent nothing about job {job_id}")
    if ns.json:
        _print_json(_job_dict(last))
        if last.result is not None and getattr(ns, "out", None) is not None:
            _show_result(argparse.Namespace(**{**vars(ns), "quiet": True, "json": False}),
                         last.result)
        return _job_exit(last)
    if last.result is not None:
        _note(ns, f"job {last.id} [green]SUCCEEDED[/green]")
        code = _show_result(ns, last.result)
        return code
    _stdout().print(_job_table(last))
    return _job_exit(last)


def _watch(ns: argparse.Namespace) -> int:
    with client_from_args(ns) as client:
        return _watch_job(ns, client, ns.job)


def _cancel(ns: argparse.Namespace) -> int:
    with client_from_args(ns) as client:
        job = client.get(ns.job, timeout=ns.timeout)
        finished = job.terminal
        if not finished:
            job = client.cancel(ns.job, timeout=ns.timeout)
    if ns.json:
        _print_json(_job_dict(job, with_config=False))
    elif finished:
        print(f"{job.id} had already finished: {job.state.name}")
    else:
        print(f"{job.id} {job.state.name.lower()}")
    return EXIT_OK


def _list(ns: argparse.Namespace) -> int:
    try:
        states = [JobState.parse(s) for s in ns.state]
    except ValueError as e:
        raise CliError(EXIT_USAGE, f"--state: {e}") from None
    with client_from_args(ns) as client:
        if ns.all:
            jobs = list(client.iter_jobs(states, page_size=ns.limit))
            token = ""
        else:
            page = client.list_jobs(states, page_size=ns.limit, timeout=ns.timeout)
            jobs, token = list(page.jobs), page.next_page_token
    if ns.json:
        _print_json({"jobs": [_job_dict(j, with_config=not ns.no_config) for j in jobs],
                     "next_page_token": token})
        return EXIT_OK
    if ns.quiet:
        for j in jobs:
            print(j.id)
        return EXIT_OK
    t = Table(title=f"{len(jobs)} jobs, newest first" + (" (more: --all)" if token else ""),
              title_justify="left", box=None, header_style="bold")
    for col in ("id", "state", "created", "done", "label"):
        t.add_column(col, no_wrap=col != "label")
    for j in jobs:
        style = _state_style(j.state)
        state = j.state.name.lower()
        done = f"{100 * j.progress.fraction:.0f}%" if j.progress is not None else "-"
        created = j.create_time.astimezone().strftime("%m-%d %H:%M:%S") if j.create_time \
            else "-"
        t.add_row(j.id, f"[{style}]{state}[/{style}]" if style else state, created, done,
                  j.label)
    _stdout().print(t)
    return EXIT_OK


def _info(ns: argparse.Namespace) -> int:
    with client_from_args(ns) as client:
        info = client.model_info(timeout=ns.timeout)
    if ns.json:
        _print_json(message_to_dict(info.proto, inf_as_float=False))
        return EXIT_OK
    con = _stdout()
    con.print(f"gosim {info.gosim_version} at {ns.server}, modelling the {info.go_version} "
              "runtime")
    t = Table(title="server limits", title_justify="left", show_header=False, box=None)
    t.add_column(style="bold")
    t.add_column(justify="right")
    for k, v in info.limits.items():
        t.add_row(k, f"{v:,}")
    con.print(t)
    return EXIT_OK


def _demo(ns: argparse.Namespace) -> int:
    from clients import demo

    return int(demo.main([]))


def _serve(ns: argparse.Namespace) -> int:
    from server.main import serve_from_args  # the server is only imported for `serve`

    return serve_from_args(ns)


# ---------------------------------------------------------------------------------------------
# The parser


class _Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and a hint for usage errors (argparse's default is also 2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n"
                              f"(see {self.prog} --help)\n")


def _command(sub: Any, name: str, func: Callable[[argparse.Namespace], int], *, help: str,
             description: str, examples: Sequence[str]) -> argparse.ArgumentParser:
    epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples) + "\n\n" + EXIT_CODES_HELP
    p: argparse.ArgumentParser = sub.add_parser(
        name, help=help, description=description, epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=func)
    return p


def _version() -> str:
    return f"gosim {simcore.GOSIM_VERSION} (models the {simcore.GO_VERSION} runtime)"


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(
        prog="gosim",
        description="Simulate the Go runtime (scheduler, allocator, GC, pacer) for a workload "
                    "and answer what-if questions without deploying anything.",
        epilog="examples:\n"
               "  gosim run examples/web-api.yaml\n"
               "  gosim run examples/web-api.yaml --set runtime.gogc=50 --out out/gogc50\n"
               "  gosim serve & gosim run examples/web-api.yaml --server 127.0.0.1:50051\n"
               "  gosim COMMAND --help\n\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", action="version", version=_version())
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = _command(sub, "run", _run, help="simulate a workload file and show the result",
                 description="Simulate a workload file (YAML or JSON in the gosim.v1.SimConfig "
                             "JSON mapping), in this process or on a server (--server), and "
                             "show the result: summary, latency and pause histograms.",
                 examples=["gosim run examples/web-api.yaml",
                           "gosim run examples/web-api.yaml --set runtime.gogc=50 "
                           "--set workload.open_loop.rate_per_s=8000",
                           "gosim run examples/slow-leak-oom.yaml --out out/leak   "
                           "# exit code 1: OOM-killed",
                           "gosim run examples/web-api.yaml --duration 2s --json | "
                           "jq .summary.latency",
                           "gosim run examples/web-api.yaml --server 127.0.0.1:50051"])
    p.add_argument("file", metavar="FILE", help="the workload file (.yaml, .yml or .json)")
    _add_overrides(p)
    _add_output(p)
    p.add_argument("--save", type=Path, default=None, metavar="RESULT_FILE",
                   help="also save the result: .json (the proto's JSON mapping) or .pb (binary)")
    add_remote_arguments(p, server_default=None,
                         server_help="simulate on this gosim server (HOST:PORT) instead of in "
                                     "this process")

    p = _command(sub, "validate", _validate, help="check a workload file",
                 description="Check a workload file: every problem is printed with its field "
                             "path and line; a valid file is summarised with an estimate of "
                             "its size.",
                 examples=["gosim validate examples/web-api.yaml",
                           "gosim validate my.yaml --set runtime.gogc=50 --json"])
    p.add_argument("file", metavar="FILE", help="the workload file (.yaml, .yml or .json)")
    _add_overrides(p)
    _add_output(p, out=False, progress=False)

    p = _command(sub, "report", _report, help="render a saved result",
                 description="Render a result saved by `gosim run --out/--save`, a job, "
                             "grpcurl or any client: JSON mapping or binary gosim.v1.Result "
                             "('-' reads stdin).",
                 examples=["gosim report out/web-api/result.json",
                           "gosim report out/web-api/result.json --out out/again",
                           "gosim report result.pb --format gctrace",
                           "gosim report result.json --format gcpacertrace",
                           "gosim report result.json --format prom > metrics.prom"])
    p.add_argument("result", metavar="RESULT_FILE", help="the saved result (.json or .pb)")
    p.add_argument("--format", default="text",
                   choices=["text", "gctrace", "gcpacertrace", "prom", "openmetrics", "trace",
                            "workload"],
                   help="what to print (default text: the summary and histograms; "
                        "gcpacertrace: the gctrace lines with the pacer's end-of-cycle lines, "
                        "as GODEBUG=gctrace=1,gcpacertrace=1 prints them)")
    _add_output(p, progress=False)

    p = _command(sub, "submit", _submit, help="submit a workload file as a job to a server",
                 description="Submit a workload file as a job: the server stores it, runs it "
                             "and keeps the result (jobs survive a server restart). Prints "
                             "the job id.",
                 examples=["JOB=$(gosim submit examples/web-api.yaml --label baseline)",
                           "gosim submit examples/web-api.yaml --set runtime.gogc=50 --watch"])
    p.add_argument("file", metavar="FILE", help="the workload file (.yaml, .yml or .json)")
    p.add_argument("--label", default="", help="a free-form label stored with the job")
    p.add_argument("--watch", action="store_true", help="then watch the job until it ends")
    _add_overrides(p)
    _add_output(p)
    add_remote_arguments(p)

    p = _command(sub, "status", _status, help="show a job",
                 description="Show a job's state, progress and (once it succeeded) write its "
                             "result with --out.",
                 examples=["gosim status $JOB", "gosim status $JOB --out out/job --quiet",
                           "gosim status $JOB --json | jq -r .state"])
    p.add_argument("job", metavar="JOB", help="the job id")
    _add_output(p, progress=False)
    p.add_argument("--save", type=Path, default=None, metavar="RESULT_FILE",
                   help="save the job's result (.json or .pb) once it succeeded")
    add_remote_arguments(p)

    p = _command(sub, "watch", _watch, help="follow a job until it ends",
                 description="Follow a job with a progress bar until it ends, then show its "
                             "result. Ctrl-C stops watching; the job goes on.",
                 examples=["gosim watch $JOB", "gosim watch $JOB --out out/job"])
    p.add_argument("job", metavar="JOB", help="the job id")
    _add_output(p)
    add_remote_arguments(p)

    p = _command(sub, "cancel", _cancel, help="cancel a queued or running job",
                 description="Cancel a queued or running job (a finished job is unchanged).",
                 examples=["gosim cancel $JOB"])
    p.add_argument("job", metavar="JOB", help="the job id")
    _add_output(p, out=False, progress=False)
    add_remote_arguments(p)

    p = _command(sub, "list", _list, help="list jobs, newest first",
                 description="List a server's jobs, newest first.",
                 examples=["gosim list", "gosim list --state running --state queued",
                           "gosim list --all --json | jq '.jobs[].id'"])
    p.add_argument("--state", action="append", default=[],
                   help="only jobs in this state: queued, running, succeeded, failed, "
                        "cancelled (repeatable)")
    p.add_argument("--limit", type=int, default=50, help="jobs per page (default 50)")
    p.add_argument("--all", action="store_true", help="every page, not just the first")
    p.add_argument("--no-config", action="store_true", help="leave configs out of --json")
    _add_output(p, out=False, progress=False)
    add_remote_arguments(p)

    p = _command(sub, "info", _info, help="show a server's versions, defaults and limits",
                 description="Show the server's gosim and Go versions and its limits "
                             "(--json: everything GetModelInfo returns, defaults included).",
                 examples=["gosim info", "gosim info --json | jq .limits"])
    _add_output(p, out=False, progress=False)
    add_remote_arguments(p)

    _command(sub, "demo", _demo, help="start a local server and simulate the web-API example",
             description="What `make demo` does: start a gosim server on a free loopback port, "
                         "stream the built-in web-API workload through it, print the "
                         "histograms, stop the server.",
             examples=["gosim demo"])

    from server.main import add_serve_arguments  # flags only; the server loads on `serve`

    p = _command(sub, "serve", _serve, help="run the gRPC server",
                 description="Run the gosim gRPC server (see docs/api.md).",
                 examples=["gosim serve", "gosim serve --port 0 --data-dir /tmp/gosim",
                           "GOSIM_TOKEN=s3cret gosim serve --host 0.0.0.0 "
                           "--tls-cert cert.pem --tls-key key.pem"])
    add_serve_arguments(p)

    _register_extensions(sub)
    return ap


def _register_extensions(sub: Any) -> None:
    """Subcommands from optional modules: clients.cli_sweep (sweep, plan) and
    clients.cli_calibrate (calibrate), each through its register(subparsers)."""
    for name in ("clients.cli_sweep", "clients.cli_calibrate"):
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            continue
        try:
            module = importlib.import_module(name)
            module.register(sub)
        except Exception as e:  # a broken extension must not take the whole CLI down
            print(f"gosim: warning: {name} could not be loaded: {type(e).__name__}: {e}",
                  file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# main


def _error_json(ns: argparse.Namespace | None, err: dict[str, Any]) -> bool:
    if ns is not None and getattr(ns, "json", False):
        _print_json({"error": err})
        return True
    return False


def _print_grpc_error(e: GosimError, where: str | None) -> None:
    """The status on one line, then one line per field violation (plain text on stderr)."""
    message = e.message
    if e.field_violations and e.field_violations[0].field in message:
        message = message.split(":", 1)[0]  # the server's summary; the list follows
    lines = [f"gosim: {'server ' + where + ': ' if where else ''}{e.code_name}: {message}"]
    lines += [f"  {v.field}: {v.description}" for v in e.field_violations]
    lines += [f"  limit {q.subject}: {q.description}" for q in e.quota_violations
              if q.description not in message]
    if e.code == grpc.StatusCode.UNAVAILABLE:
        lines.append("  (is a server running there? start one with `gosim serve`)")
    print("\n".join(lines), file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the gosim command line with argv (default sys.argv[1:]); return the exit code."""
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:  # also while starting up
        print("gosim: interrupted", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED


def _main(args: list[str]) -> int:
    ap = build_parser()
    try:
        ns = ap.parse_args(args)
    except SystemExit as e:  # --help, --version, usage errors
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    try:
        return int(ns.func(ns))
    except WorkloadError as e:
        if not _error_json(ns, {"code": "INVALID_ARGUMENT", "file": e.source,
                                "message": f"invalid workload {e.source}",
                                "field_violations": [
                                    {"field": p, "description": r, "line": e.lines.get(p)}
                                    for p, r in e.violations]}):
            print(f"gosim: invalid workload {e.source}:\n"
                  + "\n".join(f"  {line}" for line in e.describe().splitlines()),
                  file=sys.stderr, flush=True)
        return EXIT_USAGE
    except GosimError as e:
        code = EXIT_USAGE if e.code in _USAGE_CODES else EXIT_SERVER
        if not _error_json(ns, e.to_dict()):
            _print_grpc_error(e, getattr(ns, "server", None))
        return code
    except CliError as e:
        if not _error_json(ns, {"code": e.code, "message": e.message, **e.details}):
            print(f"gosim {ns.command}: {e.message}", file=sys.stderr, flush=True)
        return e.code
    except KeyboardInterrupt:
        print("gosim: interrupted", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `gosim ... | head`: silence the interpreter's final flush
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
