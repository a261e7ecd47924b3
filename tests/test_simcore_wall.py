"""The wall around simcore: a pure model, stdlib + SimPy only, no I/O, no globals.

Every module under simcore/ is parsed (not imported) and checked for imports of anything but
the standard library, simpy and simcore itself; for I/O-capable standard modules; for calls to
print/open/input; and for `global` statements.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SIMCORE = Path(__file__).resolve().parent.parent / "simcore"
ALLOWED_THIRD_PARTY = {"simpy", "simcore"}
# Standard modules that do I/O or reach outside the process: not for a pure model.
FORBIDDEN_STDLIB = {
    "io", "os", "sys", "socket", "subprocess", "logging", "pathlib", "shutil", "tempfile",
    "urllib", "http", "sqlite3", "multiprocessing", "threading", "asyncio", "pickle", "json",
    "time", "signal", "select", "ssl", "glob", "fileinput",
}
FORBIDDEN_CALLS = {"print", "open", "input", "exec", "eval", "breakpoint"}
MODULES = sorted(SIMCORE.rglob("*.py"))


def _top_imports(tree: ast.AST) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name.split(".")[0]) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module.split(".")[0]))
    return out


def test_there_are_modules() -> None:
    assert len(MODULES) >= 5


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_is_pure(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    problems = []
    for line, mod in _top_imports(tree):
        if mod == "__future__":
            continue
        if mod in FORBIDDEN_STDLIB:
            problems.append(f"line {line}: imports {mod} (I/O or process access)")
        elif mod not in sys.stdlib_module_names and mod not in ALLOWED_THIRD_PARTY:
            problems.append(f"line {line}: imports {mod} (not stdlib or simpy)")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in FORBIDDEN_CALLS):
            problems.append(f"line {node.lineno}: calls {node.func.id}()")
        if isinstance(node, ast.Global | ast.Nonlocal):
            problems.append(f"line {node.lineno}: `global`/`nonlocal` statement")
    assert not problems, f"{path.name}: " + "; ".join(problems)


@pytest.mark.parametrize("name", ["pacer", "limiter"])
def test_pacer_and_limiter_use_no_simpy(name: str) -> None:
    tree = ast.parse((SIMCORE / f"{name}.py").read_text())
    mods = {m for _, m in _top_imports(tree)}
    assert "simpy" not in mods
    assert mods <= set(sys.stdlib_module_names) | {"simcore", "__future__"}


def test_importing_simcore_loads_no_grpc_or_protobuf() -> None:
    import subprocess

    code = (
        "import sys, simcore, simcore.engine; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('grpc', 'google', 'server', 'clients', 'gosim')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
