"""apply and destroy ask on a terminal: a real pseudo-terminal drives the prompt."""

from __future__ import annotations

import os
import time
from pathlib import Path

import openai
import pytest

from tests.support.processes import on_terminal
from tests.support.projects import write_spec


def run_on_terminal(
    args: list[str], answer: str, cwd: Path, *, prompt: bytes = b"[y/N]", enter: bytes = b"\n"
) -> tuple[int, str]:
    """Run orchestrator with stdin, stdout and stderr on a pty; type answer at the prompt."""
    process, main_fd = on_terminal(args, cwd=cwd)
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
        if not answered and prompt in seen:
            os.write(main_fd, answer.encode() + enter)
            answered = True
    code = process.wait(timeout=60)
    os.close(main_fd)
    return code, seen.decode("utf-8", "replace")


@pytest.mark.parametrize(("answer", "expected_code", "created"), [("y", 0, 1), ("n", 1, 0)])
def test_apply_asks_for_confirmation_on_a_terminal(
    project: Path, sdk: openai.OpenAI, answer: str, expected_code: int, created: int
) -> None:
    write_spec(project, "helper")
    code, output = run_on_terminal(["apply"], answer, project)
    assert "Apply these changes? [y/N]" in output
    assert code == expected_code, output
    assert len(list(sdk.beta.assistants.list())) == created
    if answer == "n":
        assert "nothing was changed" in output


def test_ctrl_d_at_the_prompt_cancels_with_exit_1(project: Path, sdk: openai.OpenAI) -> None:
    write_spec(project, "helper")
    code, output = run_on_terminal(["apply"], "", project, enter=b"\x04")
    assert code == 1, output
    assert "Apply cancelled; nothing was changed." in output and "Aborted" not in output
    assert list(sdk.beta.assistants.list()) == []


CONFIRM = b"Type `yes` or the environment name to confirm"


@pytest.mark.parametrize("answer", ["yes", "dev"])
def test_destroy_is_confirmed_by_typing_yes_or_the_environment(
    project: Path, sdk: openai.OpenAI, answer: str
) -> None:
    write_spec(project, "helper")
    assert run_on_terminal(["apply", "--yes"], "", project)[0] == 0
    for refused in ("n", "y"):
        code, output = run_on_terminal(["destroy"], refused, project, prompt=CONFIRM)
        assert code == 1 and "Destroy cancelled; nothing was changed." in output, output
        assert len(list(sdk.beta.assistants.list())) == 1
    code, output = run_on_terminal(["destroy"], answer, project, prompt=CONFIRM)
    assert code == 0, output
    assert "Delete 1 object of environment dev on target" in output
    assert "Destroy complete: 1 deleted, 0 failed." in output
    assert list(sdk.beta.assistants.list()) == []
