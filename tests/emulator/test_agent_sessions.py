"""Agent sessions: create/retrieve/list/delete, input events, turns and items, the built-in model,
validation, persistence, counters and faults; every body checked strictly against the SDK's types."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx2
import openai
import pydantic
import pytest
from openai.types.beta import AgentSession, AgentSessionDeleted, AgentSessionItem
from openai.types.beta.agents.sessions import Turn

from orchestrator.emulator import EmulatorServer

from .sdk_checks import assert_no_extras, strict

BETA = {"OpenAI-Beta": "agents=v1"}
NONE = {"type": "none"}
ADD = {"type": "function", "name": "add", "description": "Add", "parameters": {"type": "object"}}


def strict_item(data: Any) -> Any:
    item = pydantic.TypeAdapter(AgentSessionItem).validate_python(data, strict=True)
    assert_no_extras(item)
    return item


def tool_result(action: Any, *, output: str | None = None, error: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "agent.session.input.tool_result",
        "turn_id": action.turn_id,
        "call_id": action.call_id,
        "success": error is None,
    }
    event.update({"output": output} if error is None else {"error": error})
    return event


def message(text: str) -> dict[str, Any]:
    return {
        "type": "agent.session.input.message",
        "input": [{"role": "user", "content": [{"type": "input_text", "text": text}]}],
    }


@pytest.fixture
def agent_id(client: openai.OpenAI) -> str:
    return client.beta.agents.create(model="gpt-5.4", instructions="Be brief.", tools=[ADD]).id


def settled(client: openai.OpenAI, session_id: str) -> AgentSession:
    return client.beta.agents.sessions.retrieve(session_id)


# -- create, retrieve, list, delete ----------------------------------------------------------


def test_the_beta_header_is_required(http: httpx2.Client) -> None:
    response = http.post("/agents/sessions", json={"environment": NONE, "input": "hi"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "missing_beta_header"
    assert http.get("/agents/sessions").status_code == 400


def test_create_runs_a_snapshot_of_the_saved_agent(
    client: openai.OpenAI, http: httpx2.Client, agent_id: str
) -> None:
    body = http.post(
        "/agents/sessions",
        headers=BETA,
        json={"environment": NONE, "agent_id": agent_id, "input": "hello", "metadata": {"k": "v"}},
    ).json()
    session = strict(AgentSession, body)
    assert session.id.startswith("sess_") and session.status == "in_progress"
    assert body["agent"]["id"] == agent_id and body["agent"]["instructions"] == "Be brief."
    assert body["agent"]["tools"] == [{**ADD, "defer_loading": False}] and body["environment"] == NONE
    assert body["metadata"] == {"k": "v"} and body["vault_ids"] == [] and "review" not in body
    client.beta.agents.update(agent_id, model="gpt-5.5")  # later changes do not reach the session
    done = strict(AgentSession, http.get(f"/agents/sessions/{session.id}", headers=BETA).json())
    assert done.status == "idle" and done.agent.model == "gpt-5.4" and done.required_actions == []
    assert (
        done.usage is not None
        and done.usage.total_tokens == done.usage.input_tokens + done.usage.output_tokens
    )


def test_an_inline_agent_needs_a_model(client: openai.OpenAI, http: httpx2.Client) -> None:
    session = client.beta.agents.sessions.create(environment=NONE, agent={"model": "gpt-5"}, input="hi")
    assert session.agent.id.startswith("agent_") and session.agent.model == "gpt-5"
    response = http.post("/agents/sessions", headers=BETA, json={"environment": NONE, "input": "hi"})
    assert response.status_code == 400 and response.json()["error"]["param"] == "agent_id"


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"input": "hi"}, 400, "environment"),
        ({"environment": {"type": "self_hosted"}, "input": "hi"}, 400, "environment.type"),
        ({"environment": {"type": "cloud"}, "input": "hi"}, 400, "environment.type"),
        ({"environment": NONE}, 400, "input"),
        ({"environment": NONE, "input": ""}, 400, "input"),
        ({"environment": NONE, "input": [{"role": "assistant", "content": []}]}, 400, "input[0].role"),
        ({"environment": NONE, "input": "hi", "stream": True}, 400, "stream"),
        ({"environment": NONE, "input": "hi", "stream_options": {}}, 400, "stream_options"),
        ({"environment": NONE, "input": "hi", "agent_id": "agent_nope"}, 404, "agent_id"),
        ({"environment": NONE, "input": "hi", "vault_ids": ["vault_x"]}, 404, "vault_ids[0]"),
        ({"environment": NONE, "input": "hi", "temperature": 1}, 400, "temperature"),
    ],
)
def test_create_validates_like_the_api(
    http: httpx2.Client, body: dict[str, Any], status: int, param: str
) -> None:
    response = http.post("/agents/sessions", headers=BETA, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error" and error["message"]


def test_list_pages_and_filters_by_agent_and_metadata(client: openai.OpenAI, agent_id: str) -> None:
    other = client.beta.agents.create(model="gpt-5").id
    ids = [
        client.beta.agents.sessions.create(
            environment=NONE, agent_id=agent_id, input="hi", metadata={"n": str(n)}
        ).id
        for n in range(3)
    ]
    client.beta.agents.sessions.create(environment=NONE, agent_id=other, input="hi")
    first = client.beta.agents.sessions.list(agent_id=agent_id, limit=2, order="asc")
    assert [s.id for s in first.data] == ids[:2] and first.has_more
    assert [s.id for s in client.beta.agents.sessions.list(agent_id=agent_id, order="asc")] == ids
    assert [s.id for s in client.beta.agents.sessions.list(metadata={"n": "1"})] == [ids[1]]
    assert all(s.status == "idle" for s in first.data)
    for session in first.data:
        strict(AgentSession, session)


def test_delete_removes_the_session_and_its_history(
    client: openai.OpenAI, http: httpx2.Client, agent_id: str
) -> None:
    session = client.beta.agents.sessions.create(environment=NONE, agent_id=agent_id, input="hi")
    deleted = strict(AgentSessionDeleted, http.delete(f"/agents/sessions/{session.id}", headers=BETA).json())
    assert deleted.id == session.id and deleted.deleted and deleted.object == "agent.session.deleted"
    with pytest.raises(openai.NotFoundError):
        client.beta.agents.sessions.retrieve(session.id)
    assert http.get(f"/agents/sessions/{session.id}/items", headers=BETA).status_code == 404


def test_a_running_turn_must_be_cancelled_before_delete(client: openai.OpenAI, agent_id: str) -> None:
    session = client.beta.agents.sessions.create(environment=NONE, agent_id=agent_id, input="/slow 5000")
    with pytest.raises(openai.BadRequestError, match="cancel it"):
        client.beta.agents.sessions.delete(session.id)
    client.beta.agents.sessions.events.create(session.id, events=[{"type": "agent.session.input.cancel"}])
    assert client.beta.agents.sessions.delete(session.id).deleted


# -- the built-in model, turns and items -----------------------------------------------------


def test_an_echo_turn_records_the_messages_and_usage(
    client: openai.OpenAI, http: httpx2.Client, agent_id: str
) -> None:
    session = client.beta.agents.sessions.create(environment=NONE, agent_id=agent_id, input="hola mundo")
    items = http.get(f"/agents/sessions/{session.id}/items", headers=BETA, params={"order": "asc"}).json()
    user, reply = (strict_item(item) for item in items["data"])
    assert user.role == "user" and user.phase is None and user.content[0].text == "hola mundo"
    assert (
        reply.role == "assistant"
        and reply.phase == "final_answer"
        and reply.output_text == "echo: hola mundo"
    )
    [turn] = http.get(f"/agents/sessions/{session.id}/turns", headers=BETA).json()["data"]
    turn = strict(Turn, turn)
    assert turn.status == "completed" and turn.agent_id == agent_id and turn.subagent_id is None
    assert turn.usage is not None and (turn.usage.input_tokens, turn.usage.output_tokens) == (4, 3)
    assert client.beta.agents.sessions.turns.retrieve(turn.id, session_id=session.id).id == turn.id


def test_call_lines_request_function_calls_and_results_get_a_reply(
    client: openai.OpenAI, http: httpx2.Client, agent_id: str
) -> None:
    sessions = client.beta.agents.sessions
    session = sessions.create(environment=NONE, agent_id=agent_id, input='/call add {"a": 1}\n/call lookup x')
    waiting = strict(AgentSession, http.get(f"/agents/sessions/{session.id}", headers=BETA).json())
    assert waiting.status == "requires_action"
    first, second = waiting.required_actions
    assert (first.type, first.name, first.arguments) == ("function_call", "add", '{"a":1}')
    assert second.name == "lookup" and second.arguments == "x" and first.turn_id == second.turn_id
    assert sessions.turns.retrieve(first.turn_id, session_id=session.id).status == "waiting"
    sessions.events.create(session.id, events=[tool_result(first, output='{"sum": 1}')])
    assert settled(client, session.id).status == "requires_action"  # one call still pending
    response = http.post(
        f"/agents/sessions/{session.id}/events",
        headers=BETA,
        json={"events": [tool_result(second, error="no such thing")]},
    )
    assert response.status_code == 202 and response.content == b""
    done = settled(client, session.id)
    assert done.status == "idle" and done.required_actions == []
    items = [
        strict_item(item)
        for item in http.get(
            f"/agents/sessions/{session.id}/turns/{first.turn_id}/items",
            headers=BETA,
            params={"order": "asc"},
        ).json()["data"]
    ]
    assert [item.type for item in items] == [
        "message",
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
        "message",
    ]
    assert (items[3].status, items[3].output) == ("completed", '{"sum": 1}')
    assert (items[4].status, items[4].error, items[4].output) == ("failed", "no such thing", None)
    assert items[-1].output_text == 'add returned {"sum": 1}\nlookup failed: no such thing'


def test_tool_results_must_answer_a_pending_call(client: openai.OpenAI, agent_id: str) -> None:
    sessions = client.beta.agents.sessions
    session = sessions.create(environment=NONE, agent_id=agent_id, input="/call add {}")
    [action] = settled(client, session.id).required_actions
    wrong = {**tool_result(action, output="1"), "call_id": "call_nope"}
    with pytest.raises(openai.BadRequestError) as caught:
        sessions.events.create(session.id, events=[wrong])
    assert caught.value.body == {
        "message": "Unknown pending tool call: call_nope",
        "type": "invalid_request_error",
        "param": "events[0].call_id",
        "code": "invalid_request_error",
    }
    both = {**tool_result(action, output="1"), "error": "x"}
    with pytest.raises(openai.BadRequestError, match="'error' is only allowed"):
        sessions.events.create(session.id, events=[both])
    sessions.events.create(session.id, events=[tool_result(action, output="1")])
    with pytest.raises(openai.BadRequestError, match="Unknown pending tool call"):
        sessions.events.create(session.id, events=[tool_result(action, output="1")])


def test_an_idempotency_key_applies_an_event_once(client: openai.OpenAI, agent_id: str) -> None:
    sessions = client.beta.agents.sessions
    session = sessions.create(environment=NONE, agent_id=agent_id, input="/call add {}")
    [action] = settled(client, session.id).required_actions
    for _ in range(2):
        sessions.events.create(session.id, events=[tool_result(action, output="1")], idempotency_key="k-1")
    outputs = [i for i in sessions.items.list(session.id) if i.type == "function_call_output"]
    assert len(outputs) == 1


@pytest.mark.parametrize(
    ("text", "code"),
    [("/fail", "server_error"), ("/expire", "request_timeout"), ("/incomplete", "max_output_tokens")],
)
def test_failure_commands_fail_the_turn_and_leave_the_session_idle(
    client: openai.OpenAI, agent_id: str, text: str, code: str
) -> None:
    session = client.beta.agents.sessions.create(environment=NONE, agent_id=agent_id, input=text)
    assert settled(client, session.id).status == "idle"
    [turn] = client.beta.agents.sessions.turns.list(session.id).data
    assert turn.status == "failed" and turn.error is not None and turn.error.code == code
    assert turn.usage is not None and turn.usage.output_tokens == 0


def test_a_new_message_starts_a_turn_only_when_the_session_is_idle(
    client: openai.OpenAI, agent_id: str
) -> None:
    sessions = client.beta.agents.sessions
    session = sessions.create(environment=NONE, agent_id=agent_id, input="/slow 5000")
    with pytest.raises(openai.BadRequestError) as caught:
        sessions.events.create(session.id, events=[message("again")])
    assert caught.value.code == "active_turn_not_steerable"
    sessions.events.create(session.id, events=[{"type": "agent.session.input.cancel"}])
    sessions.events.create(session.id, events=[message("again")])
    turns = sessions.turns.list(session.id, order="asc").data
    assert [t.status for t in turns] == ["cancelled", "completed"]
    latest = settled(client, session.id)
    assert latest.usage is not None and latest.usage.total_tokens == sum(t.usage.total_tokens for t in turns)  # type: ignore[union-attr]
    with pytest.raises(openai.BadRequestError, match="no active turn"):
        sessions.events.create(session.id, events=[{"type": "agent.session.input.cancel"}])


def test_slow_turns_are_in_progress_until_due(client: openai.OpenAI, agent_id: str) -> None:
    session = client.beta.agents.sessions.create(environment=NONE, agent_id=agent_id, input="/slow 150")
    assert settled(client, session.id).status == "in_progress"
    time.sleep(0.2)
    assert settled(client, session.id).status == "idle"


# -- server behaviour ------------------------------------------------------------------------


def test_sessions_persist_across_restarts(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with EmulatorServer(db) as server, openai.OpenAI(base_url=server.base_url, api_key="x") as sdk:
        agent = sdk.beta.agents.create(model="gpt-5.4")
        session_id = sdk.beta.agents.sessions.create(environment=NONE, agent_id=agent.id, input="hi").id
    with EmulatorServer(db) as server, openai.OpenAI(base_url=server.base_url, api_key="x") as sdk:
        assert sdk.beta.agents.sessions.retrieve(session_id).status == "idle"
        assert len(sdk.beta.agents.sessions.items.list(session_id).data) == 2


def test_counters_and_faults_cover_session_routes(
    emulator: EmulatorServer, client: openai.OpenAI, agent_id: str
) -> None:
    admin = emulator.base_url.removesuffix("/v1") + "/_emulator"
    session = client.beta.agents.sessions.create(environment=NONE, agent_id=agent_id, input="hi")
    client.beta.agents.sessions.events.create(session.id, events=[message("again")])
    counts = httpx2.get(admin + "/requests").json()["by_route"]
    assert counts["POST /v1/agents/sessions"] == 1
    assert counts["POST /v1/agents/sessions/{id}/events"] == 1
    httpx2.post(admin + "/faults", json={"fault_rate": 1.0, "seed": 1})
    try:
        with pytest.raises((openai.APIStatusError, openai.APIConnectionError)):
            client.beta.agents.sessions.retrieve(session.id)
    finally:
        httpx2.post(admin + "/faults", json={"fault_rate": 0})
