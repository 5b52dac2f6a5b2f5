"""`chat` on a real pseudo-terminal: line editing and history (readline), and a status line while a turn runs."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import time
from pathlib import Path

import openai

from tests.runtime.conftest import Deployed
from tests.support.processes import on_terminal

UP = b"\x1b[A"


def chat_on_terminal(root: Path, keys: list[bytes], *, wait_for: bytes = b"you> ") -> str:
    """Type each key sequence at a fresh `you> ` prompt, then Ctrl-D; return everything the terminal showed."""
    process, main_fd = on_terminal(["-C", str(root), "chat", "helper"], env={"TERM": "xterm"})
    seen = b""
    pending = [*keys, b"\x04"]
    prompts = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if pending and seen.count(wait_for) > prompts:
            prompts += 1
            os.write(main_fd, pending.pop(0))
    process.wait(timeout=30)
    os.close(main_fd)
    assert process.returncode == 0, seen.decode("utf-8", "replace")
    return seen.decode("utf-8", "replace")


def test_chat_recalls_the_previous_line_with_the_up_arrow(deployed: Deployed) -> None:
    shown = chat_on_terminal(deployed.root, [b"hola\r", UP + b"\r"])
    assert shown.count("helper> echo: hola") == 2, shown
    assert "Session: 2 turns" in shown


def test_chat_line_editing_moves_the_cursor(deployed: Deployed) -> None:
    left = b"\x1b[D"
    shown = chat_on_terminal(deployed.root, [b"hla" + left + left + b"o\r"])
    assert "helper> echo: hola" in shown, shown


def test_chat_history_is_kept_in_the_project_state_folder(deployed: Deployed) -> None:
    chat_on_terminal(deployed.root, [b"primera vez\r"])
    history = deployed.root / ".orchestrator" / "chat-history"
    assert "primera vez" in history.read_text(encoding="utf-8")
    assert history.stat().st_mode & 0o077 == 0
    shown = chat_on_terminal(deployed.root, [UP + b"\r"])  # a new session recalls the last one's line
    assert "helper> echo: primera vez" in shown, shown


def test_chat_shows_that_a_turn_is_running(deployed: Deployed) -> None:
    shown = chat_on_terminal(deployed.root, [b'/call nap {"ms": 1200}\r'])
    assert "helper is replying" in shown, shown
    assert "-> nap ..." in shown and "<- nap ok" in shown


def test_ctrl_c_during_a_turn_cancels_it_and_gives_the_prompt_back(
    deployed: Deployed, sdk: openai.OpenAI
) -> None:
    """Issue 29, friction 5: Ctrl-C in a turn ended the whole chat (exit 130, "Session: 0 turns")."""
    process, main_fd = on_terminal(["-C", str(deployed.root), "chat", "helper"], env={"TERM": "xterm"})
    seen = b""
    interrupted_at = None
    step = 0  # each key is typed once: 0 the slow turn, 1 Ctrl-C, 2 the next message, 3 Ctrl-D
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not select.select([main_fd], [], [], 1.0)[0]:
            continue  # nothing printed for a second: the deadline still holds (a read would block past it)
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if step == 0 and b"you> " in seen:
            os.write(main_fd, b"/slow 30000\r")  # a turn of 30 s
            step = 1
        elif step == 1 and b"helper is replying" in seen:  # the turn runs (not only the line typed)
            time.sleep(0.5)
            process.send_signal(signal.SIGINT)  # what Ctrl-C on the terminal sends
            interrupted_at = time.monotonic()
            step = 2
        elif step == 2 and b"Turn cancelled" in seen and seen.count(b"you> ") >= 2:
            os.write(main_fd, b"hello\r")
            step = 3
        elif step == 3 and b"helper> echo: hello" in seen and seen.count(b"you> ") >= 3:
            # Ctrl-D only at the prompt: readline puts the terminal in raw mode before it shows
            # `you> `; typed earlier, the line discipline turns ^D into an empty read and it is lost
            os.write(main_fd, b"\x04")
            step = 4
    try:
        process.wait(timeout=30 if step == 4 else 0.1)
    except subprocess.TimeoutExpired:
        process.kill()  # stuck at a step: the assertions below show what the terminal showed
        process.wait(timeout=30)
    os.close(main_fd)
    text = seen.decode("utf-8", "replace")
    assert process.returncode == 0, text
    assert "Turn cancelled; the thread goes on" in text and "helper> echo: hello" in text, text
    assert interrupted_at is not None and time.monotonic() - interrupted_at < 25  # not waited out
    thread_id = re.findall(r"thread_[A-Za-z0-9]+", text)[-1]
    statuses = sorted(run.status for run in sdk.beta.threads.runs.list(thread_id).data)
    assert statuses == ["cancelled", "completed"], statuses
