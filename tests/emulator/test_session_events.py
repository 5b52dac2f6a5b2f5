"""`GET /v1/agents/sessions/{id}/events` replays a session's events as server-sent events, strictly typed by
the SDK; `agent.session.budget_reached` (openai 3.60) is among them when a turn reaches the spend limit."""

from __future__ import annotations

import httpx2
import openai
import pydantic
import pytest
from openai.types.beta import AgentSessionEvent

from .sdk_checks import assert_no_extras

BETA = {"OpenAI-Beta": "agents=v1"}
NONE = {"type": "none"}
EVENT = pydantic.TypeAdapter(AgentSessionEvent)


@pytest.fixture
def agent_id(client: openai.OpenAI) -> str:
    return client.beta.agents.create(model="gpt-5.4", instructions="Be brief.").id


def events_of(client: openai.OpenAI, http: httpx2.Client, session_id: str) -> list[str]:
    """The event types the SDK's stream yields, each also validated strictly from the raw SSE data."""
    raw = http.get(f"/agents/sessions/{session_id}/events", headers={**BETA, "Accept": "text/event-stream"})
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("text/event-stream")
    for block in raw.text.strip().split("\n\n") if raw.text.strip() else []:
        kind, data = block.split("\n", 1)
        assert kind.startswith("event: ") and data.startswith("data: ")
        model = EVENT.validate_json(data[len("data: ") :], strict=True)
        assert_no_extras(model)
        assert model.type == kind[len("event: ") :]
    return [event.type for event in client.beta.agents.sessions.events.stream(session_id)]


def test_a_turn_that_reaches_the_budget_is_streamed_as_budget_reached(
    client: openai.OpenAI, http: httpx2.Client, agent_id: str
) -> None:
    session = client.beta.agents.sessions.create(
        environment=NONE, agent_id=agent_id, input="/words 1000", spend_control={"limit": 1}
    )
    client.beta.agents.sessions.retrieve(session.id)  # settles the turn
    assert events_of(client, http, session.id) == [
        "agent.session.turn.created",
        "agent.session.in_progress",
        "agent.session.turn.failed",
        "agent.session.budget_reached",
    ]
    [budget] = [
        e
        for e in client.beta.agents.sessions.events.stream(session.id)
        if e.type == "agent.session.budget_reached"
    ]
    assert budget.session.status == "budget_reached" and budget.session.spend_control.limit == 1


def test_a_completed_turn_ends_idle_and_function_calls_require_action(
    client: openai.OpenAI, http: httpx2.Client, agent_id: str
) -> None:
    session = client.beta.agents.sessions.create(environment=NONE, agent_id=agent_id, input="hello")
    client.beta.agents.sessions.retrieve(session.id)
    assert events_of(client, http, session.id) == [
        "agent.session.turn.created",
        "agent.session.in_progress",
        "agent.session.turn.completed",
        "agent.session.idle",
    ]


def test_a_deleted_session_has_no_events_left(
    client: openai.OpenAI, http: httpx2.Client, agent_id: str
) -> None:
    session = client.beta.agents.sessions.create(environment=NONE, agent_id=agent_id, input="hello")
    client.beta.agents.sessions.retrieve(session.id)
    client.beta.agents.sessions.delete(session.id)
    assert http.get(f"/agents/sessions/{session.id}/events", headers=BETA).status_code == 404
