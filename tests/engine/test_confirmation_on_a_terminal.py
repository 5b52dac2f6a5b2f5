"""apply and destroy ask on a terminal: a real pseudo-terminal drives the prompt."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest

from tests.support.projects import write_spec


def run_on_terminal(args: list[str], answer: str, cwd: Path) -> tuple[int, str]:
    """Run orchestrator with stdin, stdout and stderr on a pty; type answer at the prompt."""
    main_fd, child_fd = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1"}
    process = subprocess.Popen([sys.executable, "-m", "orchestrator", *args], stdin=child_fd, stdout=child_fd,
                               stderr=child_fd, cwd=cwd, env=env, close_fds=True)
    os.close(child_fd)
    seen = b""
    deadline = time.monotonic() + 60
    answered = False
    while time.monotonic() < deadline:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        if not answered and b"[y/N]" in seen:
            os.write(main_fd, answer.encode() + b"\n")
            answered = True
    code = process.wait(timeout=60)
    os.close(main_fd)
    return code, seen.decode("utf-8", "replace")


@pytest.mark.parametrize(("answer", "expected_code", "created"), [("y", 0, 1), ("n", 1, 0)])
def test_apply_asks_for_confirmation_on_a_terminal(project: Path, sdk: openai.OpenAI, answer: str,
                                                   expected_code: int, created: int) -> None:
    write_spec(project, "helper")
    code, output = run_on_terminal(["apply"], answer, project)
    assert "Apply these changes? [y/N]" in output
    assert code == expected_code, output
    assert len(list(sdk.beta.assistants.list())) == created
    if answer == "n":
        assert "nothing was changed" in output


def test_destroy_asks_before_deleting_on_a_terminal(project: Path, sdk: openai.OpenAI) -> None:
    write_spec(project, "helper")
    assert run_on_terminal(["apply", "--yes"], "", project)[0] == 0
    code, output = run_on_terminal(["destroy"], "n", project)
    assert code == 1 and "[y/N]" in output
    assert len(list(sdk.beta.assistants.list())) == 1
    code, output = run_on_terminal(["destroy"], "y", project)
    assert code == 0, output
    assert list(sdk.beta.assistants.list()) == []
