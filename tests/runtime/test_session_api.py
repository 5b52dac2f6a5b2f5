"""The Python API for applications: Session.open / send / asend, against the served emulator."""

from __future__ import annotations

import asyncio
import time

import openai
import pytest

from orchestrator.errors import OrchestratorError
from orchestrator.events import EventBus, Recorder
from orchestrator.runtime.conversation import Limits, Reply, Session, ToolCall, TurnFailed
from tests.conftest import TEST_KEY
from tests.runtime.conftest import Deployed

ENVIRON = {"TEST_ORCHESTRATOR_KEY": TEST_KEY}


def open_session(deployed: Deployed, **options: object) -> Session:
    return Session.open(deployed.root, "helper", environ=ENVIRON, **options)  # type: ignore[arg-type]


def test_send_returns_the_reply_with_ids_and_usage(deployed: Deployed) -> None:
    with open_session(deployed) as session:
        reply = session.send("hola")
    assert isinstance(reply, Reply)
    assert reply.text == "echo: hola" and reply.thread_id == session.thread_id
    assert reply.model == "gpt-5.4" and reply.usage.total_tokens > 0 and reply.cost_usd is not None


def test_usage_and_cost_are_summed_over_the_session(deployed: Deployed) -> None:
    with open_session(deployed) as session:
        first = session.send("one")
        second = session.send('/call add {"a": 1, "b": 2}')
    assert session.turns == 2
    assert session.usage == first.usage + second.usage
    assert session.cost_usd == pytest.approx(first.cost_usd + second.cost_usd)  # type: ignore[operator]


def test_parallel_calls_run_concurrently(deployed: Deployed) -> None:
    started: list[str] = []
    finished: list[ToolCall] = []
    message = "\n".join('/call nap {"ms": 400}' for _ in range(3))
    with open_session(deployed) as session:
        clock = time.monotonic()
        reply = session.send(
            message, on_tool_start=lambda _id, name: started.append(name), on_tool_done=finished.append
        )
        elapsed = time.monotonic() - clock
    assert started == ["nap", "nap", "nap"] and len(finished) == 3
    assert all(call.ok and call.duration_ms >= 390 for call in reply.tool_calls)
    assert elapsed < 1.1, f"three 400 ms calls took {elapsed:.2f} s: not concurrent"


def test_asend_works_from_async_code(deployed: Deployed) -> None:
    async def conversation(session: Session) -> list[Reply]:
        first = await session.asend("primero")
        second = await session.asend('/call greet {"name": "Luz"}')
        return [first, second]

    with open_session(deployed) as session:
        first, second = asyncio.run(conversation(session))
    assert first.text == "echo: primero"
    assert second.text == "greet returned hola, Luz" and first.thread_id == second.thread_id


def test_a_failed_run_raises_turn_failed_with_details(deployed: Deployed) -> None:
    with open_session(deployed) as session, pytest.raises(TurnFailed) as caught:
        session.send("/fail")
    failed = caught.value
    assert failed.status == "failed" and failed.run_id is not None and failed.thread_id == session.thread_id
    assert "server_error" in failed.message and failed.usage.prompt_tokens > 0
    assert session.turns == 1 and session.usage == failed.usage


def test_the_thread_stays_usable_after_a_cancelled_turn(deployed: Deployed) -> None:
    with open_session(deployed, limits=Limits(max_tool_rounds=0)) as session:
        with pytest.raises(TurnFailed, match="max_tool_rounds=0"):
            session.send('/call add {"a": 1, "b": 1}')
        assert session.send("after").text == "echo: after"


def test_events_reach_the_bus_given_to_the_session(deployed: Deployed) -> None:
    recorder = Recorder()
    bus = EventBus()
    bus.subscribe(recorder)
    with open_session(deployed, bus=bus) as session:
        session.send('/call boom {"reason": "no"}')
    types = [event.type for event in recorder.events]
    assert types == ["session_created", "tool_called", "run_completed"]
    tool = recorder.events[1].fields
    assert tool["ok"] is False and tool["error"] == "handler_error" and "output" not in tool


def test_continuing_a_thread_by_id(deployed: Deployed) -> None:
    with open_session(deployed) as session:
        thread_id = session.thread_id
        session.send("first")
    with open_session(deployed, thread_id=thread_id) as again:
        assert again.send("second").thread_id == thread_id


def test_open_refuses_an_unknown_spec(deployed: Deployed) -> None:
    with pytest.raises(OrchestratorError, match="unknown spec `nope`"):
        Session.open(deployed.root, "nope", environ=ENVIRON)


def test_an_interrupted_turn_cancels_its_run(deployed: Deployed, sdk: openai.OpenAI) -> None:
    def interrupt(call_id: str, name: str) -> None:
        raise KeyboardInterrupt

    with open_session(deployed) as session:
        with pytest.raises(KeyboardInterrupt):
            session.send('/call add {"a": 1, "b": 1}', on_tool_start=interrupt)
        [run] = sdk.beta.threads.runs.list(session.thread_id).data
        assert run.status == "cancelled"
        assert session.send("after").text == "echo: after"
