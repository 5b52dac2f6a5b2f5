"""run, chat and the Python API on an Agents API target: agent sessions in the thread's role,
against the served emulator."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import openai
import pytest

from orchestrator.errors import OrchestratorError
from orchestrator.events import EventBus, Recorder
from orchestrator.runtime.agent_sessions import AgentsSession
from orchestrator.runtime.conversation import Limits, Reply, Session, TurnFailed
from tests.conftest import TEST_KEY
from tests.runtime.conftest import Deployed, deploy_helper
from tests.support.projects import run_cli, write_spec

ENVIRON = {"TEST_ORCHESTRATOR_KEY": TEST_KEY}


@pytest.fixture
def agent(agents_project: Path, package: str) -> Deployed:
    """The helper spec deployed as an agent."""
    return deploy_helper(agents_project, package, kind="agent")


def open_session(agent: Deployed, **options: object) -> Session:
    return Session.open(agent.root, "helper", environ=ENVIRON, **options)  # type: ignore[arg-type]


def run_json(agent: Deployed, message: str, *args: str) -> tuple[int, dict]:
    result = agent.cli("run", "helper", "-m", message, "-o", "json", *args)
    return result.exit_code, json.loads(result.stdout)


def tool_error(call: dict) -> dict:
    return json.loads(call["output"])["error"]


# -- run -------------------------------------------------------------------------------------


def test_run_prints_the_agents_reply_and_names_the_session(agent: Deployed) -> None:
    result = agent.cli("run", "helper", "-m", "hello there")
    assert result.exit_code == 0, result.output
    assert result.stdout == "echo: hello there\n"
    assert re.search(r"^session: sess_\w+ · \d+ tokens .* est\. \$", result.stderr, re.M), result.stderr


def test_run_json_reports_session_turn_usage_and_cost(agent: Deployed, sdk: openai.OpenAI) -> None:
    code, data = run_json(agent, "hello")
    assert code == 0
    assert data["reply"] == "echo: hello" and data["model"] == "gpt-5.4" and data["tool_calls"] == []
    assert data["thread_id"].startswith("sess_") and data["run_id"].startswith("turn_")
    usage = data["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    expected = round((usage["prompt_tokens"] * 2.5 + usage["completion_tokens"] * 15) / 1e6, 6)
    assert data["cost_usd"] == pytest.approx(expected)
    live = sdk.beta.agents.sessions.retrieve(data["thread_id"])
    assert live.metadata == {"orchestrator.session": "test-project/dev/helper"}
    assert live.environment.type == "none" and live.status == "idle"


def test_one_tool_call_runs_the_bound_handler(agent: Deployed) -> None:
    code, data = run_json(agent, '/call add {"a": 2, "b": 40}')
    assert code == 0
    assert data["reply"] == 'add returned {"sum": 42}'
    [call] = data["tool_calls"]
    assert call["name"] == "add" and call["ok"] is True and call["id"].startswith("call_")
    assert json.loads(call["arguments"]) == {"a": 2, "b": 40} and json.loads(call["output"]) == {"sum": 42}


def test_several_calls_in_one_turn_are_all_answered_in_call_order(agent: Deployed) -> None:
    message = '/call add {"a": 1, "b": 2}\n/call greet {"name": "Luz"}\n/call add {"a": 3, "b": 4}'
    code, data = run_json(agent, message)
    assert code == 0
    assert data["reply"].splitlines() == [
        'add returned {"sum": 3}',
        "greet returned hola, Luz",
        'add returned {"sum": 7}',
    ]
    assert [call["ok"] for call in data["tool_calls"]] == [True, True, True]


def test_failing_calls_go_back_as_failed_results_and_the_turn_goes_on(agent: Deployed) -> None:
    message = "\n".join(
        [
            '/call nope {"x": 1}',
            '/call add {"a": "two", "b": 2}',
            "/call add {not json",
            '/call boom {"reason": "disk on fire"}',
            "/call unbound {}",
        ]
    )
    code, data = run_json(agent, message)
    assert code == 0
    errors = [tool_error(call) for call in data["tool_calls"]]
    assert [error["type"] for error in errors] == [
        "unknown_function",
        "invalid_arguments",
        "invalid_json",
        "handler_error",
        "handler_unavailable",
    ]
    assert "disk on fire" in errors[3]["message"]
    assert all(
        call["ok"] is False and call["error"] == error["type"]
        for call, error in zip(data["tool_calls"], errors, strict=True)
    )
    lines = data["reply"].splitlines()
    assert lines[0].startswith('nope failed: {"error": {"type": "unknown_function"')
    assert len(lines) == 5 and all(" failed: " in line for line in lines)


def test_a_hanging_handler_times_out_without_blocking_the_turn(agent: Deployed) -> None:
    clock = time.monotonic()
    code, data = run_json(agent, '/call hang {"seconds": 5}', "--tool-timeout", "0.3")
    assert code == 0 and time.monotonic() - clock < 3
    [call] = data["tool_calls"]
    assert call["error"] == "timeout" and "0.3 s" in tool_error(call)["message"]
    assert data["reply"].startswith('hang failed: {"error": {"type": "timeout"')


def test_a_failing_turn_exits_1_with_the_turn_error_and_the_session(agent: Deployed) -> None:
    result = agent.cli("run", "helper", "-m", "/fail")
    assert result.exit_code == 1
    assert re.search(r"error: turn turn_\w+ failed \(server_error: The built-in model failed", result.stderr)
    session_id = re.search(r"session: (sess_\w+) \(continue with --thread \1\)", result.stderr)
    assert session_id, result.stderr
    code, data = run_json(agent, "/incomplete")
    assert code == 1 and data["error"]["status"] == "failed"
    assert "max_output_tokens" in data["error"]["message"] and data["usage"]["prompt_tokens"] > 0


def test_too_many_tool_rounds_cancel_the_turn(agent: Deployed, sdk: openai.OpenAI) -> None:
    code, data = run_json(agent, '/call add {"a": 1, "b": 1}', "--max-tool-rounds", "0")
    assert code == 1 and data["error"]["status"] == "max_tool_rounds"
    [turn] = sdk.beta.agents.sessions.turns.list(data["thread_id"]).data
    assert turn.status == "cancelled"
    assert sdk.beta.agents.sessions.retrieve(data["thread_id"]).status == "idle"


def test_a_slow_turn_is_cancelled_at_the_turn_timeout(agent: Deployed, sdk: openai.OpenAI) -> None:
    code, data = run_json(agent, "/slow 3000", "--timeout", "0.3")
    assert code == 1 and data["error"]["status"] == "timeout"
    assert "no reply within 0.3 s" in data["error"]["message"]
    [turn] = sdk.beta.agents.sessions.turns.list(data["thread_id"]).data
    assert turn.status == "cancelled"


def test_run_continues_a_session_with_thread(agent: Deployed, sdk: openai.OpenAI) -> None:
    _, first = run_json(agent, "uno")
    session_id = first["thread_id"]
    code, second = run_json(agent, '/call add {"a": 1, "b": 1}', "--thread", session_id)
    assert code == 0 and second["thread_id"] == session_id and second["run_id"] != first["run_id"]
    assert second["reply"] == 'add returned {"sum": 2}'
    items = sdk.beta.agents.sessions.items.list(session_id, order="asc").data
    assert [item.type for item in items] == [
        "message",
        "message",
        "message",
        "function_call",
        "function_call_output",
        "message",
    ]


def test_an_unknown_session_is_refused(agent: Deployed) -> None:
    result = agent.cli("run", "helper", "-m", "hi", "--thread", "sess_nope")
    assert result.exit_code == 1
    assert "session `sess_nope` not found on target `main`" in result.stderr


def test_a_spec_not_applied_is_not_deployed(agents_project: Path) -> None:
    write_spec(agents_project, "fresh")
    result = run_cli(["-C", str(agents_project), "run", "fresh", "-m", "hi"])
    assert result.exit_code == 1
    assert "spec `fresh` is not deployed to target `main`" in result.stderr


def test_events_record_the_session_the_turn_and_its_calls(agent: Deployed, tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    result = agent.cli("run", "helper", "-m", '/call add {"a": 5, "b": 6}', "--events", str(events))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    assert [line["type"] for line in lines] == ["session_created", "tool_called", "run_completed"]
    created, tool, completed = lines
    assert created["backend"] == "agents" and created["thread_id"].startswith("sess_")
    assert created["continued"] is False and created["assistant_id"].startswith("agent_")
    assert tool["name"] == "add" and tool["ok"] is True and "arguments" not in tool
    assert completed["thread_id"] == created["thread_id"] and completed["run_id"].startswith("turn_")


# -- chat ------------------------------------------------------------------------------------


def test_chat_keeps_one_session_and_prints_usage_at_end_of_input(agent: Deployed, sdk: openai.OpenAI) -> None:
    result = agent.cli("chat", "helper", input='hola\n\n/call add {"a": 2, "b": 3}\n/fail\n')
    assert result.exit_code == 1  # the /fail turn
    assert result.stdout.splitlines() == ["helper> echo: hola", 'helper> add returned {"sum": 5}']
    assert "on a new session (created by the first message)" in result.stderr
    assert "-> add ..." in result.stderr and "<- add ok (" in result.stderr
    assert "error: turn turn_" in result.stderr
    summary = result.stderr.strip().splitlines()[-1]
    assert re.match(r"Session: 3 turns on session sess_\w+ · \d+ tokens .* est\. \$", summary), summary
    session_id = re.search(r"(sess_\w+)", summary).group(1)  # type: ignore[union-attr]
    assert [turn.status for turn in sdk.beta.agents.sessions.turns.list(session_id, order="asc")] == [
        "completed",
        "completed",
        "failed",
    ]


def test_chat_continues_an_existing_session(agent: Deployed) -> None:
    first = agent.cli("chat", "helper", input="uno\n")
    session_id = re.search(r"on session (sess_\w+)", first.stderr).group(1)  # type: ignore[union-attr]
    again = agent.cli("chat", "helper", "--thread", session_id, input="dos\n")
    assert again.exit_code == 0, again.output
    assert f"on session {session_id}. Ctrl-D" in again.stderr and again.stdout == "helper> echo: dos\n"


def test_chat_with_no_input_creates_no_session(agent: Deployed, sdk: openai.OpenAI) -> None:
    result = agent.cli("chat", "helper", input="")
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines()[-1].startswith("Session: 0 turns · 0 tokens")
    assert sdk.beta.agents.sessions.list().data == []


# -- the Python API --------------------------------------------------------------------------


def test_open_gives_an_agents_session_that_creates_its_session_on_the_first_send(agent: Deployed) -> None:
    with open_session(agent) as session:
        assert isinstance(session, AgentsSession) and session.thread_id is None
        first = session.send("one")
        second = session.send('/call add {"a": 1, "b": 2}')
    assert isinstance(first, Reply) and first.text == "echo: one"
    assert first.thread_id == second.thread_id == session.thread_id
    assert session.turns == 2 and session.usage == first.usage + second.usage
    assert session.cost_usd == pytest.approx(first.cost_usd + second.cost_usd)  # type: ignore[operator]


def test_parallel_calls_run_concurrently(agent: Deployed) -> None:
    started: list[str] = []
    message = "\n".join('/call nap {"ms": 400}' for _ in range(3))
    with open_session(agent) as session:
        clock = time.monotonic()
        reply = session.send(message, on_tool_start=lambda _id, name: started.append(name))
        elapsed = time.monotonic() - clock
    assert started == ["nap", "nap", "nap"]
    assert all(call.ok and call.duration_ms >= 390 for call in reply.tool_calls)
    assert elapsed < 1.1, f"three 400 ms calls took {elapsed:.2f} s: not concurrent"


def test_asend_works_from_async_code(agent: Deployed) -> None:
    async def conversation(session: Session) -> list[Reply]:
        return [await session.asend("primero"), await session.asend('/call greet {"name": "Luz"}')]

    with open_session(agent) as session:
        first, second = asyncio.run(conversation(session))
    assert first.text == "echo: primero" and second.text == "greet returned hola, Luz"
    assert first.thread_id == second.thread_id


def test_a_failed_turn_raises_turn_failed_and_the_session_stays_usable(agent: Deployed) -> None:
    with open_session(agent) as session:
        with pytest.raises(TurnFailed) as caught:
            session.send("/expire")
        assert session.send("after").text == "echo: after"
    failed = caught.value
    assert failed.status == "failed" and failed.run_id is not None and failed.thread_id == session.thread_id
    assert "request_timeout" in failed.message and failed.usage.prompt_tokens > 0
    assert session.turns == 2


def test_an_interrupted_turn_is_cancelled(agent: Deployed, sdk: openai.OpenAI) -> None:
    def interrupt(call_id: str, name: str) -> None:
        raise KeyboardInterrupt

    with open_session(agent) as session:
        with pytest.raises(KeyboardInterrupt):
            session.send('/call add {"a": 1, "b": 1}', on_tool_start=interrupt)
        [turn] = sdk.beta.agents.sessions.turns.list(session.thread_id).data  # type: ignore[arg-type]
        assert turn.status == "cancelled"
        assert session.send("after").text == "echo: after"


def test_events_reach_the_bus_given_to_the_session(agent: Deployed) -> None:
    recorder = Recorder()
    bus = EventBus()
    bus.subscribe(recorder)
    with open_session(agent, bus=bus, limits=Limits(tool_timeout_s=5)) as session:
        session.send('/call boom {"reason": "no"}')
    assert [event.type for event in recorder.events] == ["session_created", "tool_called", "run_completed"]
    assert recorder.events[1].fields["error"] == "handler_error"


def test_continuing_a_session_by_id(agent: Deployed) -> None:
    with open_session(agent) as session:
        session.send("first")
        session_id = session.thread_id
    with open_session(agent, thread_id=session_id) as again:
        assert again.send("second").thread_id == session_id


def test_a_session_of_another_agent_is_refused(agent: Deployed, sdk: openai.OpenAI) -> None:
    other = sdk.beta.agents.create(model="gpt-5.4")
    foreign = sdk.beta.agents.sessions.create(environment={"type": "none"}, agent_id=other.id, input="hi")
    with pytest.raises(OrchestratorError, match=f"session `{foreign.id}` runs agent `{other.id}`"):
        open_session(agent, thread_id=foreign.id)
