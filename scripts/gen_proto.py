#!/usr/bin/env python3
"""Generate the Python code for the gosim.v1 API from proto/gosim/v1/*.proto.

    python scripts/gen_proto.py            # regenerate gosim/v1/ in this repository
    python scripts/gen_proto.py --out DIR  # generate into DIR/gosim/v1/ (the freshness test)

It runs grpc_tools.protoc (the grpcio-tools package, so no system protoc is needed) with
proto/ as the include root, so `package gosim.v1` lands in the Python package gosim.v1 and the
generated modules import each other as `from gosim.v1 import config_pb2`. For every .proto it
writes X_pb2.py (messages), X_pb2.pyi (type stubs) and X_pb2_grpc.py (service stubs and
servicer base classes), plus gosim/v1/__init__.py. The output is committed; tests/
test_proto_fresh.py regenerates into a temporary directory and fails if anything differs.
"""

from __future__ import annotations

import argparse
import importlib.resources
import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
PROTO_DIR = PROTO_ROOT / "gosim" / "v1"

INIT = '"""Generated gRPC API of gosim (package gosim.v1), made by scripts/gen_proto.py."""\n'


def generate(out: Path) -> list[Path]:
    """Generate into out/gosim/v1/; return the files written, sorted."""
    protos = sorted(PROTO_DIR.glob("*.proto"))
    if not protos:
        raise SystemExit(f"no .proto files in {PROTO_DIR}")
    pkg = out / "gosim" / "v1"
    pkg.mkdir(parents=True, exist_ok=True)
    # Remove stale generated modules (a .proto that was deleted or renamed).
    for old in pkg.glob("*_pb2*.py*"):
        old.unlink()
    well_known = importlib.resources.files("grpc_tools") / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        # Paths relative to the include root keep the generated code free of absolute paths.
        *(str(p.relative_to(PROTO_ROOT)) for p in protos),
    ]
    # protoc resolves the relative file names against the include path.
    rc = protoc.main(args)
    if rc != 0:
        raise SystemExit(f"protoc failed with exit code {rc}")
    (pkg / "__init__.py").write_text(INIT)
    return sorted(p for p in pkg.iterdir() if p.is_file() and p.suffix in (".py", ".pyi"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT,
                    help="directory that receives gosim/v1/ (default: the repository root)")
    ns = ap.parse_args(argv)
    for f in generate(ns.out.resolve()):
        print(f.relative_to(ns.out.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
