"""Drive `orchestrator watch` as a real subprocess against a served emulator."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import openai
import pytest

from orchestrator.constants import ADMIN_FAULTS_PATH, ADMIN_REQUESTS_PATH
from orchestrator.engine.ownership import OWNER_KEY
from tests.support.projects import REPO, write, write_spec

T = TypeVar("T")
WAIT_S = 15.0


def wait_until(check: Callable[[], T], *, timeout: float = WAIT_S, what: str = "condition") -> T:
    """Poll check() every 20 ms until it returns something truthy; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class WatchProcess:
    """`python -m orchestrator watch ...` with its stdout and stderr collected line by line."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1", NO_COLOR="1")
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "orchestrator", "watch", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.stdout), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, self.stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: Any, into: list[str]) -> None:
        for line in stream:
            into.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.stdout) + "\n" + "\n".join(self.stderr)

    def cycles(self) -> list[str]:
        """The compact line of every cycle printed so far (text output)."""
        return [line for line in self.stdout if line.startswith("[") and "] cycle " in line]

    def json_cycles(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in list(self.stdout) if line.startswith("{")]

    def wait_for_cycles(self, count: int, *, timeout: float = WAIT_S) -> list[str]:
        return wait_until(
            lambda: self.cycles() if len(self.cycles()) >= count else None,
            timeout=timeout,
            what=f"{count} cycles; output so far:\n{self.output}",
        )

    def wait_for_output(self, text: str, *, timeout: float = WAIT_S) -> None:
        wait_until(lambda: text in self.output, timeout=timeout, what=f"{text!r} in output:\n{self.output}")

    def stop(self, sig: int = signal.SIGTERM, *, timeout: float = 10.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"watch did not stop within {timeout} s; output:\n{self.output}") from None
        for reader in self._readers:
            reader.join(timeout=5)
        return code


@pytest.fixture
def start_watch(project: Path) -> Iterator[Callable[..., WatchProcess]]:
    """Start watch on the project fixture; whatever is still running at the end is stopped."""
    started: list[WatchProcess] = []

    def start(*args: str, root: Path | None = None) -> WatchProcess:
        where = root or project
        process = WatchProcess(["-C", str(where), *args], cwd=where)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.process.poll() is None:
            process.stop()


@pytest.fixture
def admin(served: Any) -> Callable[..., Any]:
    """Call an admin endpoint of the served emulator: admin(path, method, body)."""

    def call(path: str, method: str = "GET", body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            served.root_url + path, data=data, method=method, headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    return call


def request_counts(admin: Callable[..., Any]) -> dict[str, int]:
    return admin(ADMIN_REQUESTS_PATH)["by_route"]


def reset_counts(admin: Callable[..., Any]) -> None:
    admin(ADMIN_REQUESTS_PATH, "DELETE")


def set_faults(admin: Callable[..., Any], **settings: Any) -> None:
    admin(ADMIN_FAULTS_PATH, "POST", settings)


def live_by_spec(
    sdk: openai.OpenAI, project: str = "test-project", environment: str = "dev"
) -> dict[str, Any]:
    """The live assistants owned by the project, by spec name."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        found = list(sdk.beta.assistants.list(limit=100, order="asc"))
    result: dict[str, Any] = {}
    for item in found:
        owner = (item.metadata or {}).get(OWNER_KEY, "")
        prefix = f"{project}/{environment}/"
        if owner.startswith(prefix):
            result.setdefault(owner[len(prefix) :], item)
    return result


def instructions(sdk: openai.OpenAI, name: str) -> str | None:
    item = live_by_spec(sdk).get(name)
    return item.instructions if item is not None else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def three_specs(root: Path) -> None:
    """alpha and beta include the shared partial, gamma does not."""
    write(root / "templates" / "_rules.md.j2", "Rules: be kind.\n")
    write(root / "templates" / "alpha.md.j2", "{% include '_rules.md.j2' %}Alpha for {{ company }}.\n")
    write(root / "templates" / "beta.md.j2", "{% include '_rules.md.j2' %}Beta.\n")
    write(root / "templates" / "gamma.md.j2", "Gamma stands alone.\n")
    for name in ("alpha", "beta", "gamma"):
        write_spec(root, name, instructions={"template": f"{name}.md.j2"})


def save_atomically(path: Path, text: str) -> None:
    """What many editors do: write a temporary file, rename it over the original, fix its mode."""
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    os.chmod(path, 0o644)
