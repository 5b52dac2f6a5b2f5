"""Run the real CLI in a child process (a fresh interpreter, the whole start-up paid) and measure its wall
time and peak memory: the one way tests run it as a process with bounds (resource bombs, hostile servers).

In-process runs go through tests.support.projects (run_cli, run_in)."""

from __future__ import annotations

import os
import pty
import resource
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ADDRESS_SPACE_CAP = 3 * 1024**3  # a runaway child fails inside this instead of taking the shared machine


@dataclass(frozen=True)
class Measured:
    exit_code: int | None  # None when it was killed at the time limit
    seconds: float
    peak_mb: float
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _cap_child() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))


def run_measured(args: list[str], *, timeout: float = 20.0, env: dict[str, str] | None = None) -> Measured:
    """`orchestrator ARGS` in a fresh interpreter; killed after timeout seconds."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-m", "orchestrator", *args],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            preexec_fn=_cap_child,
            start_new_session=True,
        )
        code: int | None = None
        usage = None
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() - started > timeout:
                os.killpg(child.pid, signal.SIGKILL)
                _, _, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.02)
        child.returncode = code if code is not None else -9  # reaped here; keep Popen from waiting again
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Measured(
            code,
            seconds,
            usage.ru_maxrss / 1024,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )


def on_terminal(
    args: list[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """`orchestrator ARGS` in a fresh interpreter with stdin, stdout and stderr on a new pseudo-terminal
    (NO_COLOR set, then env over os.environ): the process and the terminal's main side, to read and type on."""
    main_fd, child_fd = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", *args],
        stdin=child_fd,
        stdout=child_fd,
        stderr=child_fd,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        close_fds=True,
    )
    os.close(child_fd)
    return process, main_fd


def run_python(
    code: str, cwd: Path, *, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -c CODE` (dedented) in a fresh interpreter in cwd, this checkout first on PYTHONPATH and env over
    os.environ; what it printed and its exit code, not checked. To see what a command imports at start-up."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
