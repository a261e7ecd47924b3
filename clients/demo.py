"""The README's main job: start a local gosim server, run the built-in web-API workload
through it over gRPC, print the result's tables and histograms, stop the server.

    python -m clients.demo            (what `make demo` runs)

The server listens on a free loopback port with a throw-away data directory, so the demo never
collides with a server you already run. The config travels as a gosim.v1 SimConfig, the result
comes back as a gosim.v1 Result (streamed: progress while it runs, then the result) and is
turned back into simcore's Result for the terminal renderer.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import grpc
from rich.console import Console

from clients.render_text import render_result
from gosim.v1 import simulator_pb2, simulator_pb2_grpc
from server import convert
from server.app import BackgroundServer, ServerOptions
from server.limits import Limits
from simcore.presets import web_api


def main(argv: list[str] | None = None) -> int:
    del argv
    con = Console()
    cfg = web_api()
    with tempfile.TemporaryDirectory(prefix="gosim-demo-") as data_dir:
        server = BackgroundServer(ServerOptions(host="127.0.0.1", port=0,
                                                data_dir=Path(data_dir),
                                                limits=Limits(workers=1)))
        port = server.start()
        con.print(f"[bold]gosim[/bold]: local server on 127.0.0.1:{port}; simulating the "
                  f"built-in web-API workload (GOMAXPROCS={cfg.runtime.gomaxprocs}, "
                  f"GOGC={cfg.runtime.gogc}, "
                  f"{cfg.workload.open_loop.rate_per_s:.0f} req/s for "  # type: ignore[union-attr]
                  f"{cfg.duration_ns / 1e9:.0f} s)…")
        try:
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = simulator_pb2_grpc.SimulatorServiceStub(channel)  # type: ignore[no-untyped-call]
                request = simulator_pb2.StreamSimulateRequest(config=convert.config_to_proto(cfg))
                result = None
                with con.status("simulating…") as status:
                    for msg in stub.StreamSimulate(request, timeout=600):
                        if msg.HasField("progress"):
                            p = msg.progress
                            eta = f", about {p.eta_ns / 1e9:.0f} s left" if p.HasField(
                                "eta_ns") else ""
                            status.update(f"simulating… {p.fraction:.0%} "
                                          f"({p.cycles} GC cycles{eta})")
                        elif msg.HasField("result"):
                            result = convert.result_from_proto(msg.result)
        finally:
            server.stop()
        con.print("[dim]server stopped[/dim]")
    if result is None:
        con.print("[red]no result[/red]")
        return 1
    render_result(result, con)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
