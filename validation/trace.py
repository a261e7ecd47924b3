"""Reading a real program's stderr under GODEBUG=gctrace=1.

Each gctrace line is parsed with simcore.gctrace.parse_gctrace_line (times in ms as printed,
sizes in MB = bytes>>20, truncated) and extended with:

    index      0-based position among the gctrace lines of the run
    line_no    1-based line number in stderr
    periodic   True when a "GC forced" line came just before: the cycle was started by the
               two-minute timer (gcTriggerTime; counted as *automatic* by runtime/metrics).
               Not to be confused with "forced", the "(forced)" suffix of runtime.GC().
    end_s      start_s plus the three clock phases: when the cycle finished
    line       the line itself
    pacer      with GODEBUG=gcpacertrace=1: the cycle's end-of-cycle pacer line, parsed
               (simcore.gctrace.parse_pacer_line: exact scan work, trigger, cons/mark);
               pacer_line is the line. Go prints it during mark termination, before the
               cycle's gctrace line. The pacer's other lines are skipped.

Anything else on stderr is kept (other_lines), and a line that looks like gctrace
("gc N @...") but does not parse is listed in unparsed, so a format change cannot go
unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simcore.gctrace import (
    PacerRecord,
    is_gc_forced_line,
    looks_like_gctrace_line,
    looks_like_pacer_line,
    parse_gctrace_line,
    parse_pacer_line,
)

# gcpacertrace's lines all start so (only the end-of-cycle one is kept).
_PACER = "pacer:"


@dataclass
class ParsedTrace:
    records: list[dict[str, Any]] = field(default_factory=list)
    gc_forced_lines: int = 0
    unparsed: list[str] = field(default_factory=list)
    other_lines: list[str] = field(default_factory=list)


def parse_stderr(text: str, keep_other: int = 200) -> ParsedTrace:
    """Every gctrace and "GC forced" line of text, in order (see the module docstring)."""
    out = ParsedTrace()
    pending_forced = False
    pacer: tuple[PacerRecord, str] | None = None
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r\n")
        if is_gc_forced_line(line):
            out.gc_forced_lines += 1
            pending_forced = True
            continue
        if _PACER in line:
            if looks_like_pacer_line(line):
                try:
                    pacer = (parse_pacer_line(line), line)
                except ValueError:
                    out.unparsed.append(line)
            continue
        if looks_like_gctrace_line(line):
            try:
                rec: dict[str, Any] = dict(parse_gctrace_line(line))
            except ValueError:
                out.unparsed.append(line)
                pacer = None  # it belonged to this cycle
                continue
            rec["index"] = len(out.records)
            rec["line_no"] = no
            rec["periodic"] = pending_forced
            rec["end_s"] = rec["start_s"] + (
                rec["stw1_clock_ms"] + rec["mark_clock_ms"] + rec["stw2_clock_ms"]) / 1000.0
            rec["line"] = line
            if pacer is not None:
                rec["pacer"], rec["pacer_line"] = pacer
                pacer = None
            pending_forced = False
            out.records.append(rec)
            continue
        if line.strip() and len(out.other_lines) < keep_other:
            out.other_lines.append(line)
    return out


def pacer_traced(run: dict[str, Any]) -> bool:
    """Whether a run record was made with GODEBUG=gcpacertrace=1 (runner --pacer-trace): its
    pauses are longer by the pacer's printing, which Go does inside both of them, so they
    are not compared or fitted."""
    godebug = str((run.get("env") or {}).get("GODEBUG", ""))
    return any(opt.strip() == "gcpacertrace=1" for opt in godebug.split(","))


def last_json_line(stdout: str) -> dict[str, Any] | None:
    """The program's report: the last stdout line that is a JSON object."""
    import json

    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                return obj
    return None
