"""Agent session spend limits (openai 3.60 `spend_control`): the built-in model charges each turn its
token usage at the model's price; a turn that reaches the limit fails and pauses the session."""

from __future__ import annotations

from typing import Any

import httpx2
import openai
import pytest
from openai.types.beta import AgentSession
from openai.types.beta.agents.sessions import Turn

from orchestrator.constants import MODEL_PRICES

from .sdk_checks import strict

BETA = {"OpenAI-Beta": "agents=v1"}
NONE = {"type": "none"}


@pytest.fixture
def agent_id(client: openai.OpenAI) -> str:
    return client.beta.agents.create(model="gpt-5.4", instructions="Be brief.").id


def message(text: str) -> dict[str, Any]:
    return {
        "type": "agent.session.input.message",
        "input": [{"role": "user", "content": [{"type": "input_text", "text": text}]}],
    }


def cost_in_cents(turns: list[Turn]) -> float:
    per_input, per_output = MODEL_PRICES["gpt-5.4"]
    return sum(
        (turn.usage.input_tokens * per_input + turn.usage.output_tokens * per_output) / 10_000
        for turn in turns
        if turn.usage is not None
    )


def test_turns_are_charged_at_the_model_price_floored_to_cents(
    client: openai.OpenAI, http: httpx2.Client, agent_id: str
) -> None:
    sessions = client.beta.agents.sessions
    session = sessions.create(environment=NONE, agent_id=agent_id, input="/words 1000")
    assert session.spend_control.limit is None
    sessions.events.create(session.id, events=[message("/words 1000")])
    live = strict(AgentSession, http.get(f"/agents/sessions/{session.id}", headers=BETA).json())
    turns = sessions.turns.list(session.id).data
    assert [turn.status for turn in turns] == ["completed", "completed"]
    # 2 x 1000 output tokens at $15/M = 3 cents, plus the second prompt's 1000 words of history
    assert 3 < cost_in_cents(turns) < 4
    assert live.spend_control.consumed == int(cost_in_cents(turns)) == 3
    assert live.status == "idle"


def test_a_turn_reaching_the_limit_fails_and_pauses_the_session(
    client: openai.OpenAI, http: httpx2.Client, agent_id: str
) -> None:
    sessions = client.beta.agents.sessions
    session = sessions.create(
        environment=NONE, agent_id=agent_id, input="/words 1000", spend_control={"limit": 1}
    )
    live = strict(AgentSession, http.get(f"/agents/sessions/{session.id}", headers=BETA).json())
    assert live.status == "budget_reached"
    assert (live.spend_control.consumed, live.spend_control.limit) == (1, 1)
    [turn] = sessions.turns.list(session.id).data
    assert turn.status == "failed" and turn.error is not None
    assert turn.error.code == "session_budget_exceeded" and "1 cents" in turn.error.message
    assert turn.usage is not None and turn.usage.output_tokens == 1000  # charged, though withheld
    items = sessions.items.list(session.id).data
    assert [item.role for item in items if item.type == "message"] == ["user"]  # no reply


def test_input_to_a_paused_session_is_refused_until_the_limit_is_raised(
    client: openai.OpenAI, agent_id: str
) -> None:
    sessions = client.beta.agents.sessions
    session = sessions.create(
        environment=NONE, agent_id=agent_id, input="/words 1000", spend_control={"limit": 1}
    )
    with pytest.raises(openai.BadRequestError) as refused:
        sessions.events.create(session.id, events=[message("hello")])
    assert refused.value.code == "session_budget_exceeded"
    assert "spend limit of 1 cents" in refused.value.message
    assert len(sessions.turns.list(session.id).data) == 1  # nothing started

    lowered = sessions.update(session.id, spend_control={"limit": 1})
    assert lowered.status == "budget_reached"
    raised = sessions.update(session.id, spend_control={"limit": 500})
    assert raised.status == "idle" and raised.spend_control.limit == 500
    assert raised.spend_control.consumed == 1  # spend is kept
    sessions.events.create(session.id, events=[message("hello")])
    resumed = sessions.retrieve(session.id)
    assert (
        resumed.status == "idle"
        and sessions.turns.list(session.id, order="desc").data[0].status == "completed"
    )


def test_removing_the_limit_resumes_and_lowering_it_pauses(client: openai.OpenAI, agent_id: str) -> None:
    sessions = client.beta.agents.sessions
    session = sessions.create(
        environment=NONE, agent_id=agent_id, input="/words 1000", spend_control={"limit": 1}
    )
    assert sessions.update(session.id, spend_control=None).status == "idle"
    unlimited = sessions.update(session.id, spend_control={"limit": None})
    assert unlimited.spend_control.limit is None and unlimited.status == "idle"
    sessions.events.create(session.id, events=[message("/words 1000")])
    assert sessions.retrieve(session.id).status == "idle"
    paused = sessions.update(session.id, spend_control={"limit": 2})  # 2 cents are spent already
    assert paused.status == "budget_reached" and paused.spend_control.consumed >= 2


@pytest.mark.parametrize(
    ("spend_control", "fragment"),
    [
        ({"limit": 0}, "Expected a value >= 1"),
        ({"limit": -5}, "Expected a value >= 1"),
        ({"limit": 1.5}, "expected an integer"),
        ({"limit": "5"}, "expected an integer"),
        ({}, "limit"),
    ],
)
def test_a_bad_limit_is_refused(
    client: openai.OpenAI, agent_id: str, spend_control: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client.beta.agents.sessions.create(
            environment=NONE,
            agent_id=agent_id,
            input="hi",
            spend_control=spend_control,  # type: ignore[arg-type]
        )
    assert fragment in refused.value.message and refused.value.param.startswith("spend_control")
