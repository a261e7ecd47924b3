"""The `gosim` CLI: every command, by calling clients.cli.main(argv) (in-process, against an
in-process server for the remote commands) or as a real process where that matters (Ctrl-C,
the console script, `gosim demo`); exit codes, --json, --out and --help."""

from __future__ import annotations

import importlib.machinery
import json
import os
import signal
import subprocess
import sys
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_helpers import REAL, start_server

import simcore
from clients import cli
from clients.results import load_result, result_from_json
from clients.workload_file import load_workload
from server.app import BackgroundServer
from server.limits import Limits

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
WEB = str(EXAMPLES / "web-api.yaml")
SHORT = ["--duration", "1s"]
COMMANDS = ["run", "validate", "report", "submit", "status", "watch", "cancel", "list", "info",
            "demo", "serve"]
OUT_FILES = {"summary.txt", "gctrace.txt", "metrics.prom", "heap.png", "latency.png",
             "pauses.png", "mmu.png", "result.json", "workload.yaml"}


def gosim(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def gosim_command() -> list[str]:
    script = Path(sys.executable).parent / "gosim"
    return [str(script)] if script.exists() else [sys.executable, "-m", "clients.cli"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    bg = start_server(tmp_path_factory.mktemp("cli-data"), target=REAL, workers=2,
                      limits=Limits(workers=2))
    yield bg
    bg.stop()


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOSIM_TOKEN", raising=False)
    monkeypatch.delenv("GOSIM_SERVER", raising=False)


@pytest.fixture()
def fast_plots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand-in PNGs: matplotlib takes seconds per run, and test_run_out_writes_every_rendering
    already draws the real ones."""
    import clients.plots

    def write_all_plots(result: simcore.Result, out_dir: str | Path) -> list[Path]:
        paths = [Path(out_dir) / f"{n}.png" for n in ("heap", "latency", "pauses", "mmu")]
        for p in paths:
            p.write_bytes(b"\x89PNG\r\n\x1a\n")
        return paths

    monkeypatch.setattr(clients.plots, "write_all_plots", write_all_plots)


# --- help ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(capsys: pytest.CaptureFixture[str],
                                                command: str) -> None:
    code, out, _ = gosim(capsys, command, "--help")
    assert code == 0
    assert f"usage: gosim {command}" in out
    assert "examples:" in out and "gosim " in out.split("examples:")[1]
    assert "exit codes:" in out


def test_top_level_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = gosim(capsys, "--help")
    assert code == 0
    for command in COMMANDS:
        assert command in out
    code, out, _ = gosim(capsys, "--version")
    assert code == 0 and simcore.GOSIM_VERSION in out and simcore.GO_VERSION in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert gosim(capsys)[0] == 2
    code, _, err = gosim(capsys, "run")
    assert code == 2 and "FILE" in err
    assert gosim(capsys, "run", WEB, "--no-such-flag")[0] == 2
    assert gosim(capsys, "frobnicate")[0] == 2
    code, _, err = gosim(capsys, "run", WEB, "--duration", "soon")
    assert code == 2 and "not a duration" in err


# --- run (in-process) ------------------------------------------------------------------------


def test_run_prints_the_summary_and_histograms(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = gosim(capsys, "run", WEB, *SHORT)
    assert code == 0
    assert "gosim result" in out and "request latency" in out and "GC pauses" in out


def test_run_json_is_the_result(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = gosim(capsys, "run", WEB, *SHORT, "--set", "runtime.gogc=50", "--json")
    assert code == 0, err
    result = result_from_json(out)
    expected = simcore.simulate(load_workload(WEB, ["duration_ns=1000000000",
                                                    "runtime.gogc=50"]))
    assert result == expected
    assert json.loads(out)["summary"]["simulated_ns"] == 10**9


def test_run_out_writes_every_rendering(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, _, err = gosim(capsys, "run", WEB, "--duration", "2s", "--set", "trace_start_ns=1s",
                         "--set", "trace_duration_ns=20ms", "--out", str(out_dir), "-q",
                         "--save", str(tmp_path / "r.pb"))
    assert code == 0, err
    written = {p.name for p in out_dir.iterdir()}
    assert written == OUT_FILES | {"trace.json"}
    for png in ("heap.png", "latency.png", "pauses.png", "mmu.png"):
        assert (out_dir / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "go_gc_duration_seconds" in (out_dir / "metrics.prom").read_text()
    assert "request latency" in (out_dir / "summary.txt").read_text()
    assert (out_dir / "gctrace.txt").read_text().startswith("gc 1 @")
    assert json.loads((out_dir / "trace.json").read_text())["traceEvents"]
    result = load_result(out_dir / "result.json")
    assert load_result(tmp_path / "r.pb") == result
    # workload.yaml is the exact config: running it again gives the same result.
    assert simcore.simulate(load_workload(out_dir / "workload.yaml")) == result


def test_run_oom_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = gosim(capsys, "run", str(EXAMPLES / "slow-leak-oom.yaml"),
                           "--duration", "100s")
    assert code == 1
    assert "OOM-killed" in out and "OOM-killed" in err


def test_run_invalid_workload_exits_2_naming_fields(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("runtime:\n  gomaxprocs: 0\nworkload:\n  open_loop: {rate_per_s: -3}\n")
    code, out, err = gosim(capsys, "run", str(bad))
    assert code == 2 and out == ""
    assert f"{bad}:2: runtime.gomaxprocs: must be >= 1, got 0" in err
    assert f"{bad}:4: workload.open_loop.rate_per_s: must be >= 0" in err
    code, out, _ = gosim(capsys, "run", str(bad), "--json")
    assert code == 2
    error = json.loads(out)["error"]
    assert error["code"] == "INVALID_ARGUMENT"
    assert [v["field"] for v in error["field_violations"]] == [
        "runtime.gomaxprocs", "workload.open_loop.rate_per_s"]
    assert error["field_violations"][0]["line"] == 2
    code, _, err = gosim(capsys, "run", str(tmp_path / "missing.yaml"))
    assert code == 2 and "no such file" in err
    code, _, err = gosim(capsys, "run", WEB, "--set", "runtime.gogcc=5")
    assert code == 2 and "runtime.gogcc: unknown field" in err


def test_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = gosim(capsys, "run", WEB, "--duration", "15s", "-q", "--progress")
    assert code == 0
    assert "simulated" in err and "GC cycles" in err and "ETA" in err
    code, _, err = gosim(capsys, "run", WEB, *SHORT, "-q")  # not a terminal: no bar
    assert code == 0 and err == ""


def test_progress_bar_waits_a_second() -> None:
    bar = cli.ProgressBar(True, "x", delay_s=1.0)
    with bar:
        bar.update(1, 10, 0, 0)
        assert bar._progress is None  # not yet
        bar.start -= 2
        bar.update(5, 10, 1, 3)
        assert bar._progress is not None


# --- validate and report ---------------------------------------------------------------------


def test_validate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = gosim(capsys, "validate", WEB)
    assert code == 0 and "valid" in out and "GOMAXPROCS=4" in out and "requests" in out
    code, out, _ = gosim(capsys, "validate", WEB, "--set", "runtime.gogc=50", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["valid"] is True and d["config"]["runtime"]["gogc"] == 50
    assert d["estimate"]["requests"] > 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"runtime": {"gomaxprocs": 2}, "workload": {"name": "x", "colour": 1}}')
    code, _, err = gosim(capsys, "validate", str(bad))
    assert code == 2 and "workload.colour: unknown field" in err
    code, out, _ = gosim(capsys, "validate", WEB, "--set", "duration_ns=100d")
    assert code == 2


def test_validate_warns_above_server_limits(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = gosim(capsys, "validate", WEB, "--set", "duration_ns=1000h")
    assert code == 0 and "max_duration_ns" in out


@pytest.mark.usefixtures("fast_plots")
def test_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    saved = tmp_path / "r.json"
    assert gosim(capsys, "run", WEB, "--duration", "2s", "-q", "--save", str(saved))[0] == 0
    code, out, _ = gosim(capsys, "report", str(saved))
    assert code == 0 and "request latency" in out
    code, out, _ = gosim(capsys, "report", str(saved), "--format", "gctrace")
    assert code == 0 and out.startswith("gc 1 @")
    gctrace = out
    code, out, _ = gosim(capsys, "report", str(saved), "--format", "gcpacertrace")
    assert code == 0 and out == gctrace  # one cycle in 2 s: the first has no pacer line
    paced = tmp_path / "paced.json"
    assert gosim(capsys, "run", WEB, "--duration", "4s", "-q", "--save", str(paced))[0] == 0
    code, out, _ = gosim(capsys, "report", str(paced), "--format", "gcpacertrace")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("gc 1 @") and lines[1].startswith("pacer: ")
    assert "".join(ln + "\n" for ln in lines if not ln.startswith("pacer:")) == \
        gosim(capsys, "report", str(paced), "--format", "gctrace")[1]
    code, out, _ = gosim(capsys, "report", str(saved), "--format", "prom")
    assert code == 0 and "# TYPE go_gc_duration_seconds summary" in out
    code, out, _ = gosim(capsys, "report", str(saved), "--format", "openmetrics")
    assert code == 0 and out.rstrip().endswith("# EOF")
    code, out, _ = gosim(capsys, "report", str(saved), "--format", "workload")
    assert code == 0 and "web-api" in out
    code, out, _ = gosim(capsys, "report", str(saved), "--json")
    assert code == 0 and result_from_json(out) == load_result(saved)
    code, _, err = gosim(capsys, "report", str(saved), "--format", "trace")
    assert code == 2 and "trace_duration_ns" in err
    out_dir = tmp_path / "again"
    code, out, _ = gosim(capsys, "report", str(saved), "--format", "gctrace", "--out",
                         str(out_dir))
    assert code == 0 and {p.name for p in out_dir.iterdir()} == OUT_FILES  # no trace.json
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2]")
    code, _, err = gosim(capsys, "report", str(junk))
    assert code == 2 and "junk.json" in err
    leak = tmp_path / "leak.json"
    assert gosim(capsys, "run", str(EXAMPLES / "slow-leak-oom.yaml"), "--duration", "100s",
                 "-q", "--save", str(leak))[0] == 1
    assert gosim(capsys, "report", str(leak))[0] == 1


# --- remote commands -------------------------------------------------------------------------


def test_run_on_a_server_gives_the_same_result(capsys: pytest.CaptureFixture[str],
                                               server: BackgroundServer) -> None:
    code, out, err = gosim(capsys, "run", WEB, *SHORT, "--server", server.target, "--json")
    assert code == 0, err
    assert result_from_json(out) == simcore.simulate(load_workload(WEB, ["duration_ns=1s"]))
    code, _, err = gosim(capsys, "run", WEB, *SHORT, "--server", server.target, "--progress",
                         "-q")
    assert code == 0


@pytest.mark.usefixtures("fast_plots")
def test_jobs_submit_status_watch_list(capsys: pytest.CaptureFixture[str],
                                       server: BackgroundServer, tmp_path: Path) -> None:
    s = ["--server", server.target]
    code, out, _ = gosim(capsys, "submit", WEB, *SHORT, "--label", "cli", *s)
    assert code == 0
    job_id = out.strip()
    assert len(job_id) == 36
    code, out, _ = gosim(capsys, "watch", job_id, *s, "--out", str(tmp_path / "w"))
    assert code == 0 and "request latency" in out
    assert {p.name for p in (tmp_path / "w").iterdir()} == OUT_FILES
    code, out, _ = gosim(capsys, "status", job_id, *s)
    assert code == 0 and "SUCCEEDED" in out and "cli" in out
    code, out, _ = gosim(capsys, "status", job_id, *s, "--json")
    d = json.loads(out)
    assert code == 0 and d["state"] == "JOB_STATE_SUCCEEDED" and d["result"]["summary"]
    code, _, _ = gosim(capsys, "status", job_id, *s, "-q", "--save", str(tmp_path / "j.json"))
    assert code == 0 and load_result(tmp_path / "j.json").summary.simulated_ns == 10**9
    code, out, _ = gosim(capsys, "list", *s)
    assert code == 0 and job_id in out
    code, out, _ = gosim(capsys, "list", *s, "--state", "succeeded", "--json", "--no-config")
    jobs = json.loads(out)["jobs"]
    assert code == 0 and job_id in [j["id"] for j in jobs] and "config" not in jobs[0]
    code, out, _ = gosim(capsys, "list", *s, "--all", "--limit", "1", "-q")
    assert code == 0 and job_id in out.split()
    assert gosim(capsys, "list", *s, "--state", "done")[0] == 2
    code, out, _ = gosim(capsys, "submit", WEB, *SHORT, *s, "--watch", "--json")
    assert code == 0 and json.loads(out)["state"] == "JOB_STATE_SUCCEEDED"


def test_cancel_and_failed_job_exit_4(capsys: pytest.CaptureFixture[str],
                                      server: BackgroundServer) -> None:
    s = ["--server", server.target]
    code, out, _ = gosim(capsys, "submit", WEB, "--duration", "1h", *s, "--json")
    job_id = json.loads(out)["id"]
    code, out, _ = gosim(capsys, "cancel", job_id, *s)
    assert code == 0 and "cancelled" in out
    code, out, _ = gosim(capsys, "cancel", job_id, *s)
    assert code == 0 and "already finished: CANCELLED" in out
    assert gosim(capsys, "status", job_id, *s)[0] == 4
    code, out, _ = gosim(capsys, "watch", job_id, *s)
    assert code == 4 and "CANCELLED" in out


def test_info(capsys: pytest.CaptureFixture[str], server: BackgroundServer) -> None:
    code, out, _ = gosim(capsys, "info", "--server", server.target)
    assert code == 0 and simcore.GO_VERSION in out and "max_duration_ns" in out
    code, out, _ = gosim(capsys, "info", "--server", server.target, "--json")
    d = json.loads(out)
    assert code == 0 and d["limits"]["workers"] == 2 and d["default_config"]["runtime"]


def test_server_errors_map_to_exit_codes(capsys: pytest.CaptureFixture[str],
                                         server: BackgroundServer,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    s = ["--server", server.target]
    code, _, err = gosim(capsys, "status", "no-such-job", *s)
    assert code == 2 and "NOT_FOUND" in err
    code, out, _ = gosim(capsys, "status", "no-such-job", *s, "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "NOT_FOUND"
    code, _, err = gosim(capsys, "run", WEB, *SHORT, *s, "--set", "runtime.gomaxprocs=5000")
    assert code == 3 and "RESOURCE_EXHAUSTED" in err and "max_gomaxprocs" in err
    code, _, err = gosim(capsys, "info", "--server", "127.0.0.1:1", "--timeout", "5")
    assert code == 3 and "UNAVAILABLE" in err and "gosim serve" in err
    monkeypatch.setenv("GOSIM_SERVER", server.target)  # the default address
    assert gosim(capsys, "info")[0] == 0


def test_token_flags_and_env(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    bg = start_server(tmp_path / "data", target=REAL, workers=1, token="tok")
    try:
        s = ["--server", bg.target]
        code, _, err = gosim(capsys, "info", *s)
        assert code == 3 and "UNAUTHENTICATED" in err
        assert gosim(capsys, "info", *s, "--token", "tok")[0] == 0
        token_file = tmp_path / "token"
        token_file.write_text("tok\n")
        assert gosim(capsys, "run", WEB, "--duration", "200ms", "-q", *s, "--token-file",
                     str(token_file))[0] == 0
        monkeypatch.setenv("GOSIM_TOKEN", "tok")
        assert gosim(capsys, "list", *s, "-q")[0] == 0
        code, _, err = gosim(capsys, "info", *s, "--tls-ca", str(tmp_path / "nope.pem"))
        assert code == 2 and "no such file" in err
    finally:
        bg.stop()


# --- extensions (gosim sweep / plan) ---------------------------------------------------------


def test_cli_sweep_extension_is_registered(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("clients.cli_sweep")
    fake.__spec__ = importlib.machinery.ModuleSpec("clients.cli_sweep", None)

    def register(sub: object) -> None:
        p = sub.add_parser("sweep", help="fake sweep")  # type: ignore[attr-defined]
        cli.add_remote_arguments(p)
        p.set_defaults(func=lambda ns: 0 if ns.server == "x:1" else 9)

    fake.register = register  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "clients.cli_sweep", fake)
    code, out, _ = gosim(capsys, "--help")
    assert code == 0 and "sweep" in out
    assert gosim(capsys, "sweep", "--server", "x:1")[0] == 0


def test_a_broken_extension_does_not_break_the_cli(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("clients.cli_sweep")
    fake.__spec__ = importlib.machinery.ModuleSpec("clients.cli_sweep", None)
    monkeypatch.setitem(sys.modules, "clients.cli_sweep", fake)  # no register()
    code, _, err = gosim(capsys, "validate", WEB, "-q")
    assert code == 0 and "could not be loaded" in err


# --- as a real process -----------------------------------------------------------------------


@pytest.mark.e2e
def test_ctrl_c_exits_130() -> None:
    env = {k: v for k, v in os.environ.items() if k != "GOSIM_TOKEN"}

    # A shell without job control starts background commands with SIGINT ignored, and an
    # ignored signal stays ignored across exec (Python then installs no KeyboardInterrupt
    # handler): give the child the disposition a terminal would. While this process has a
    # handler installed, exec resets it to the default in the child. (Not preexec_fn: code
    # run between fork and exec in a process with threads, gRPC's among them, can deadlock
    # or abort the child, which a run once did: SIGABRT before it printed anything.)
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen([*gosim_command(), "run", WEB, "--duration", "1h", "-q",
                                 "--progress"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, old)
    seen: list[str] = []

    def read() -> None:
        assert proc.stderr is not None
        while chunk := proc.stderr.read(1):
            seen.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while "simulated" not in "".join(seen):  # the progress bar: it is simulating
        assert proc.poll() is None and time.monotonic() < deadline, "".join(seen)
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    proc.wait(60)
    reader.join(10)
    assert proc.returncode == 130, "".join(seen)
    assert "interrupted" in "".join(seen)


def test_ctrl_c_is_deferred_out_of_the_simulator() -> None:
    """deferred_sigint: a SIGINT inside the block is only noted (the compiled simulator never
    sees an exception it cannot unwind from) and raised as KeyboardInterrupt when it ends."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt), cli.deferred_sigint() as hit:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)  # the handler runs between bytecodes
            assert hit == [signal.SIGINT]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        with cli.deferred_sigint() as hit:  # nothing pressed: nothing raised
            pass
        assert hit == []
    finally:
        signal.signal(signal.SIGINT, old)


@pytest.mark.e2e
def test_console_script_and_demo() -> None:
    r = subprocess.run([*gosim_command(), "demo"], cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert "request latency" in r.stdout and "GC pauses" in r.stdout
    assert "server stopped" in r.stdout
