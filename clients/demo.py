"""The README's main job: simulate the built-in web-API workload and print the result.

    python -m clients.demo            (what `make demo` runs)
"""

from __future__ import annotations

import sys

from rich.console import Console

from clients.render_text import render_result
from simcore import simulate
from simcore.presets import web_api


def main(argv: list[str] | None = None) -> int:
    del argv
    con = Console()
    cfg = web_api()
    con.print(f"[bold]gosim[/bold]: simulating the built-in web-API workload "
              f"(GOMAXPROCS={cfg.runtime.gomaxprocs}, GOGC={cfg.runtime.gogc}, "
              f"{cfg.workload.open_loop.rate_per_s:.0f} req/s for "  # type: ignore[union-attr]
              f"{cfg.duration_ns / 1e9:.0f} s)…")
    result = simulate(cfg)
    render_result(result, con)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
