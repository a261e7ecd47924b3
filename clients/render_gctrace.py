"""GODEBUG=gctrace=1 output of a simulation Result, line for line as Go prints it.

Each CycleRecord already carries its line exactly as runtime/mgc.go's gcMarkTermination
formats it (simcore.gctrace.format_gctrace_line), and, for a cycle started by the
two-minute forced GC (TriggerKind.TIME), the "GC forced" line that runtime/proc.go's
forcegchelper prints before it calls gcStart. This module only joins them: one line per
"\\n", in cycle order, with a trailing newline (the empty string when no cycle ran), so the
text can be diffed against, or parsed like, a real program's stderr.
"""

from __future__ import annotations

from collections.abc import Iterator

from simcore.results import Result


def gctrace_lines(result: Result) -> Iterator[str]:
    """Every gctrace line of the run, without newlines ("GC forced" lines included)."""
    for cycle in result.cycles:
        yield from cycle.gctrace.split("\n")


def gctrace_text(result: Result) -> str:
    """The run's gctrace output: every line followed by "\\n" ("" when no cycle ran)."""
    return "".join(line + "\n" for line in gctrace_lines(result))
