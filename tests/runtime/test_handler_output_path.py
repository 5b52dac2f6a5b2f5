"""What handlers print, raise and return, and how long they take, against the served emulator (issue 25):
stdout carries the reply only, the key reaches no output, event, tool output or the server's database,
and neither a hung handler nor a refused output leaves the run active."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.runtime.conftest import Deployed, add_python_path, function, write_handlers
from tests.support.projects import make_project, run_cli, write_spec
from tests.support.proxy import FailingProxy, error_body

HOSTILE = """
import os
import sys
import threading
import time


def thread_leak() -> str:
    helper = threading.Thread(target=print, args=("from a thread", os.environ["TEST_ORCHESTRATOR_KEY"]))
    helper.start()
    helper.join()
    return "done"


def leak() -> str:
    print("environment:", dict(os.environ))
    print("key on stderr:", os.environ["TEST_ORCHESTRATOR_KEY"], file=sys.stderr)
    sys.stdout.write("\\x1b]0;pwned\\x07 title\\n")
    return "done"


def raise_key() -> str:
    raise RuntimeError("cannot authenticate with " + os.environ["TEST_ORCHESTRATOR_KEY"])


def return_key() -> dict:
    return {"key": os.environ["TEST_ORCHESTRATOR_KEY"]}


def huge() -> str:
    return "x" * 50_000_000


def hang(seconds: float) -> str:
    time.sleep(seconds)
    return "too late"
"""


def deploy(project: Path, package: str) -> Deployed:
    add_python_path(project, ["pyhandlers"])
    write_handlers(project, package, HOSTILE)
    tools = f"{package}.tools"
    write_spec(
        project,
        "helper",
        functions=[
            function("leak", f"{tools}:leak", {}, []),
            function("thread_leak", f"{tools}:thread_leak", {}, []),
            function("raise_key", f"{tools}:raise_key", {}, []),
            function("return_key", f"{tools}:return_key", {}, []),
            function("huge", f"{tools}:huge", {}, []),
            function("hang", f"{tools}:hang", {"seconds": {"type": "number"}}, ["seconds"]),
        ],
    )
    applied = run_cli(["-C", str(project), "apply", "--yes"])
    assert applied.exit_code == 0, applied.output
    return Deployed(project, "helper", package)


@pytest.fixture
def hostile(project: Path, package: str) -> Deployed:
    return deploy(project, package)


def stored_bytes(served: EmulatorServer) -> bytes:
    """Everything the emulator keeps on disk (the database and its journal)."""
    folder = Path(served.db_path).parent
    return b"".join(path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file())


def assert_no_key(*texts: str) -> None:
    for text in texts:
        assert TEST_KEY not in text


def test_what_a_handler_prints_goes_to_stderr_redacted_never_to_stdout(
    hostile: Deployed, served: EmulatorServer, tmp_path: Path
) -> None:
    events = tmp_path / "events.jsonl"
    result = hostile.cli("run", "helper", "-m", "/call leak {}", "--events", str(events), "--events-debug")
    assert result.exit_code == 0, result.output
    assert result.stdout == "leak returned done\n"  # the reply, and nothing the handler printed
    assert "leak| environment:" in result.stderr and "leak| key on stderr: ***" in result.stderr
    assert "leak| \\u001b]0;pwned\\u0007 title" in result.stderr and "\x1b" not in result.stderr
    assert_no_key(result.stdout, result.stderr, events.read_text(encoding="utf-8"))
    assert TEST_KEY.encode() not in stored_bytes(served)


def test_a_thread_a_handler_starts_prints_redacted(hostile: Deployed) -> None:
    result = hostile.cli("run", "helper", "-m", "/call thread_leak {}")
    assert result.exit_code == 0, result.output
    assert "from a thread ***" in result.output  # not captured (another thread), but never the key
    assert_no_key(result.stdout, result.stderr)


def test_a_handler_exception_naming_the_key_is_redacted_everywhere(
    hostile: Deployed, served: EmulatorServer, tmp_path: Path
) -> None:
    events = tmp_path / "events.jsonl"
    result = hostile.cli(
        "run",
        "helper",
        "-m",
        "/call raise_key {}\n/call return_key {}",
        "-o",
        "json",
        "--events",
        str(events),
        "--events-debug",
    )
    assert result.exit_code == 0, result.output
    raised, returned = json.loads(result.stdout)["tool_calls"]
    assert json.loads(raised["output"])["error"] == {
        "type": "handler_error",
        "message": "RuntimeError: cannot authenticate with ***",
    }
    assert json.loads(returned["output"]) == {"key": "***"}
    assert_no_key(result.stdout, result.stderr, events.read_text(encoding="utf-8"))
    assert TEST_KEY.encode() not in stored_bytes(served)  # what the model saw, as the server stored it


def test_the_turn_timeout_bounds_a_hanging_handler_and_leaves_the_thread_usable(hostile: Deployed) -> None:
    started = time.monotonic()
    result = hostile.cli("run", "helper", "-m", '/call hang {"seconds": 60}', "--timeout", "2")
    elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert elapsed < 10, elapsed  # was the whole tool timeout (30 s) and more
    assert (
        "error: no reply within 2 s (turn timeout): handler hang still running; the run was cancelled"
        in result.stderr
    )
    assert "Traceback" not in result.output
    thread = result.stderr.split("--thread ")[1].split(")")[0]
    again = hostile.cli("run", "helper", "-m", "still there?", "--thread", thread)
    assert again.exit_code == 0, again.output
    assert again.stdout == "echo: still there?\n"


def test_a_huge_handler_output_becomes_an_error_for_the_model(hostile: Deployed) -> None:
    result = hostile.cli("run", "helper", "-m", "/call huge {}", "-o", "json")
    assert result.exit_code == 0, result.output
    [call] = json.loads(result.stdout)["tool_calls"]
    error = json.loads(call["output"])["error"]
    assert error["type"] == "output_too_large" and "50,000,000 characters" in error["message"]


def test_refused_tool_outputs_cancel_the_run_so_the_thread_continues(
    served: EmulatorServer, tmp_path: Path, package: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(method: str, path: str, body: object, headers: dict[str, str]) -> tuple[int, object] | None:
        if path.endswith("/submit_tool_outputs"):
            return 413, error_body("request entity too large")
        return None

    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    with FailingProxy(served.root_url, refuse) as proxy:
        root = make_project(tmp_path / "proxied", base_url=proxy.base_url)
        deployed = deploy(root, package)
        result = deployed.cli("run", "helper", "-m", "/call return_key {}")
        assert result.exit_code == 1, result.output
        assert "HTTP 413: request entity too large; run run_" in result.stderr
        assert "was cancelled" in result.stderr and "Traceback" not in result.output
        thread = result.stderr.split("--thread ")[1].split(")")[0]
        again = deployed.cli("run", "helper", "-m", "hello again", "--thread", thread)
    assert again.exit_code == 0, again.output
    assert again.stdout == "echo: hello again\n"


def test_a_huge_server_error_message_is_cut_with_a_note(
    served: EmulatorServer, tmp_path: Path, package: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def shout(method: str, path: str, body: object, headers: dict[str, str]) -> tuple[int, object] | None:
        if path.endswith("/runs") and method == "POST":
            return 400, error_body("A" * 5_000_000 + TEST_KEY)
        return None

    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    with FailingProxy(served.root_url, shout) as proxy:
        root = make_project(tmp_path / "proxied", base_url=proxy.base_url)
        deployed = deploy(root, package)
        result = deployed.cli("run", "helper", "-m", "hello")
    assert result.exit_code == 1, result.output
    assert len(result.output) < 10_000
    assert "(4,998,0" in result.stderr and "more characters)" in result.stderr
    assert_no_key(result.output)


def test_on_an_agents_target_the_turn_timeout_bounds_a_handler_too(
    agents_project: Path, package: str
) -> None:
    deployed = deploy(agents_project, package)
    started = time.monotonic()
    result = deployed.cli("run", "helper", "-m", '/call hang {"seconds": 60}', "--timeout", "2")
    assert result.exit_code == 1, result.output
    assert time.monotonic() - started < 10
    assert "(turn timeout): handler hang still running; the turn was cancelled" in result.stderr
    session = result.stderr.split("--thread ")[1].split(")")[0]
    again = deployed.cli("run", "helper", "-m", "still there?", "--thread", session)
    assert again.exit_code == 0, again.output
    assert again.stdout == "echo: still there?\n"
