"""`gosim serve`: parse the flags, run the server until SIGTERM or SIGINT, stop gracefully.

serve_main(argv) returns the process exit code: 0 after a clean stop, 2 for bad options
(including a non-loopback bind without a token). Once listening it prints one line,
"gosim serving on HOST:PORT", to stdout and flushes it, so a parent process can start the
server with --port 0 and read the port it got.

On SIGTERM (or Ctrl-C) the server stops accepting calls, lets running calls finish for up to
--grace seconds, re-queues running jobs in the store and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from server.app import ConfigurationError, GosimServer, ServerOptions, default_data_dir
from server.auth import token_from
from server.limits import Limits

_DEFAULTS = Limits()


def add_serve_arguments(ap: argparse.ArgumentParser) -> None:
    """The flags of `gosim serve` (also used by clients/cli.py for its subcommand)."""
    ap.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1; a non-loopback address "
                         "needs a token or --insecure)")
    ap.add_argument("--port", type=int, default=50051,
                    help="port (default 50051; 0 picks a free port and prints it)")
    ap.add_argument("--data-dir", type=Path, default=None,
                    help=f"where the job database lives (default {default_data_dir()})")
    ap.add_argument("--workers", type=int, default=_DEFAULTS.workers,
                    help="worker processes that run simulations (default: the number of cores,"
                         f" {_DEFAULTS.workers})")
    ap.add_argument("--token-file", default=None,
                    help="require this bearer token (the file's content); default: the "
                         "GOSIM_TOKEN environment variable, if set")
    ap.add_argument("--tls-cert", type=Path, default=None, help="PEM certificate (with --tls-key)")
    ap.add_argument("--tls-key", type=Path, default=None, help="PEM private key (with --tls-cert)")
    ap.add_argument("--insecure", action="store_true",
                    help="allow listening on a non-loopback address without a token")
    ap.add_argument("--grace", type=float, default=30.0,
                    help="seconds running calls get to finish after SIGTERM (default 30)")
    ap.add_argument("--max-attempts", type=int, default=2,
                    help="a job that was running when the server crashed is re-run until it "
                         "has started this many times, then FAILED (default 2)")
    lim = ap.add_argument_group("limits (reported by GetModelInfo)")
    lim.add_argument("--max-duration-ns", type=int, default=_DEFAULTS.max_duration_ns)
    lim.add_argument("--max-expected-events", type=int, default=_DEFAULTS.max_expected_events)
    lim.add_argument("--max-expected-requests", type=int,
                     default=_DEFAULTS.max_expected_requests)
    lim.add_argument("--max-gomaxprocs", type=int, default=_DEFAULTS.max_gomaxprocs)
    lim.add_argument("--max-goroutines", type=int, default=_DEFAULTS.max_goroutines)
    lim.add_argument("--max-concurrent-jobs", type=int, default=_DEFAULTS.max_concurrent_jobs)
    lim.add_argument("--max-message-bytes", type=int, default=_DEFAULTS.max_message_bytes)
    lim.add_argument("--max-series-samples", type=int, default=_DEFAULTS.max_series_samples)
    lim.add_argument("--max-wall-time-ns", type=int, default=_DEFAULTS.max_wall_time_ns,
                     help="0 = no limit")
    lim.add_argument("--max-trace-spans", type=int, default=_DEFAULTS.max_trace_spans)
    lim.add_argument("--max-sweep-points", type=int, default=_DEFAULTS.max_sweep_points)
    lim.add_argument("--max-sweep-runs", type=int, default=_DEFAULTS.max_sweep_runs)
    lim.add_argument("--worker-memory-bytes", type=int, default=0,
                     help="address-space limit of each worker process (default 0 = none)")
    ap.add_argument("--cluster", default=None, metavar="ADDR",
                    help="run sweeps on this Dask scheduler (tcp://host:8786; default "
                         "$GOSIM_DASK_SCHEDULER, else a local process pool); needs gosim[cluster]")
    ap.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    # For tests: which simulate function the workers call ("module:function").
    ap.add_argument("--simulate-target", default="simcore:simulate", help=argparse.SUPPRESS)


def options_from_args(ns: argparse.Namespace) -> ServerOptions:
    for flag in ("workers", "max_concurrent_jobs", "max_gomaxprocs", "max_message_bytes",
                 "max_attempts", "max_duration_ns", "max_expected_events",
                 "max_expected_requests", "max_goroutines", "max_series_samples",
                 "max_sweep_points", "max_sweep_runs"):
        if getattr(ns, flag) < 1:
            raise ConfigurationError(f"--{flag.replace('_', '-')} must be >= 1")
    for flag in ("max_wall_time_ns", "max_trace_spans", "worker_memory_bytes"):
        if getattr(ns, flag) < 0:
            raise ConfigurationError(f"--{flag.replace('_', '-')} must be >= 0")
    try:
        token = token_from(dict(os.environ), ns.token_file)
    except (OSError, ValueError) as e:
        raise ConfigurationError(str(e)) from e
    limits = Limits(
        max_duration_ns=ns.max_duration_ns,
        max_expected_events=ns.max_expected_events,
        max_expected_requests=ns.max_expected_requests,
        max_gomaxprocs=ns.max_gomaxprocs,
        max_goroutines=ns.max_goroutines,
        max_concurrent_jobs=ns.max_concurrent_jobs,
        max_message_bytes=ns.max_message_bytes,
        max_series_samples=ns.max_series_samples,
        max_wall_time_ns=ns.max_wall_time_ns,
        workers=ns.workers,
        max_trace_spans=ns.max_trace_spans,
        max_sweep_points=ns.max_sweep_points,
        max_sweep_runs=ns.max_sweep_runs,
    )
    return ServerOptions(
        host=ns.host, port=ns.port, data_dir=ns.data_dir or default_data_dir(), limits=limits,
        token=token, tls_cert=ns.tls_cert, tls_key=ns.tls_key, insecure=ns.insecure,
        grace_s=ns.grace, max_attempts=ns.max_attempts, simulate_target=ns.simulate_target,
        worker_memory_bytes=ns.worker_memory_bytes, cluster=ns.cluster)


async def run_server(opts: ServerOptions) -> int:
    server = GosimServer(opts)
    await server.start()
    print(f"gosim serving on {server.address}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    logging.getLogger("gosim.server").info("stopping (grace %.1f s)", opts.grace_s)
    await server.stop()
    return 0


def serve_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="gosim serve", description="Run the gosim gRPC server.")
    add_serve_arguments(ap)
    return serve_from_args(ap.parse_args(argv))


def serve_from_args(ns: argparse.Namespace) -> int:
    logging.basicConfig(level=getattr(logging, str(ns.log_level).upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    try:
        opts = options_from_args(ns)
        return asyncio.run(run_server(opts))
    except ConfigurationError as e:
        print(f"gosim serve: {e}", file=sys.stderr, flush=True)
        return 2
