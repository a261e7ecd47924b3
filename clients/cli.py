"""The `gosim` command line: one argparse subcommand per action.

Only `serve` exists so far (it runs the gRPC server, server/main.py); the client subcommands
(run, submit, watch, sweep, plan, report) are added here as further subparsers, each with a
`func` default that takes the parsed namespace and returns the exit code.
"""

from __future__ import annotations

import argparse
import sys


def _serve(ns: argparse.Namespace) -> int:
    from server.main import serve_from_args  # the server is only imported for `serve`

    return serve_from_args(ns)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="gosim",
                                 description="Simulate the Go runtime (scheduler, allocator, GC).")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    from server.main import add_serve_arguments

    serve = sub.add_parser("serve", help="run the gRPC server",
                           description="Run the gosim gRPC server.")
    add_serve_arguments(serve)
    serve.set_defaults(func=_serve)
    return ap


def main(argv: list[str] | None = None) -> int:
    ns = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    return int(ns.func(ns))


if __name__ == "__main__":
    sys.exit(main())
