"""docs/clients.md stays true: its workload is valid (and gives the quoted figures), its Python
compiles, and every `gosim ...` command it shows parses with the real CLI."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

import simcore
from clients import cli
from clients.workload_file import parse_workload

DOC = Path(__file__).resolve().parent.parent / "docs" / "clients.md"
TEXT = DOC.read_text()


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", TEXT, re.S)


def test_the_workload_is_valid_and_gives_the_quoted_figures() -> None:
    yaml_blocks = blocks("yaml")
    assert yaml_blocks
    cfg = parse_workload(yaml_blocks[0], "docs/clients.md")
    assert cfg.workload.name == "my-service"
    s = simcore.simulate(cfg.replace(duration_ns=4 * 10**9)).summary
    assert s.requests_completed > 7000  # 2000 requests/s
    assert "p99 16.48 ms" in TEXT  # quoted from the full 20 s run (checked by hand)


@pytest.mark.parametrize("code", blocks("python"))
def test_python_blocks_compile(code: str) -> None:
    compile(code, "docs/clients.md", "exec")


def commands() -> list[str]:
    out = []
    for block in blocks("console"):
        for line in block.splitlines():
            m = re.match(r"\$ (?:JOB=\$\()?(gosim [^|>&)#]*)", line)
            if m:
                out.append(m.group(1).strip().removesuffix("\\").strip())
    return out


@pytest.mark.parametrize("command", commands())
def test_commands_parse(command: str) -> None:
    argv = shlex.split(command)[1:]
    ns = cli.build_parser().parse_args(argv)
    assert callable(ns.func)
