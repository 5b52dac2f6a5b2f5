"""`compaction.async` as openai 3.63 documents it: "Accepted for compatibility and ignored. Context
compaction is always blocking." Every request that takes it accepts it; every response says false."""

from __future__ import annotations

import openai
import pytest
from openai.types.beta import Agent, AgentSession
from openai.types.beta.agents import OneTimeAutomation

from .sdk_checks import strict

NONE = {"type": "none"}
INPUT = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Go"}]}]


@pytest.mark.parametrize("value", [{"async": True}, {"async": False}, {"async": None}, {}, None])
def test_agent_create_accepts_compaction_async_and_reports_blocking(
    client: openai.OpenAI, value: object
) -> None:
    agent = client.beta.agents.create(model="gpt-5.4", compaction=value)  # type: ignore[arg-type]
    for body in (agent, client.beta.agents.retrieve(agent.id)):
        assert strict(Agent, body).compaction is not None and body.compaction.async_ is False  # type: ignore[union-attr]


def test_agent_update_accepts_compaction_async_and_reports_blocking(client: openai.OpenAI) -> None:
    agent = client.beta.agents.create(model="gpt-5.4")
    updated = client.beta.agents.update(agent.id, compaction={"async": True}, instructions="Be brief.")
    assert strict(Agent, updated).instructions == "Be brief." and updated.compaction.async_ is False  # type: ignore[union-attr]
    assert client.beta.agents.retrieve(agent.id).compaction.async_ is False  # type: ignore[union-attr]


def test_session_with_an_inline_agent_accepts_compaction_async_and_reports_blocking(
    client: openai.OpenAI,
) -> None:
    session = client.beta.agents.sessions.create(
        environment=NONE, agent={"model": "gpt-5.4", "compaction": {"async": True}}, input="hi"
    )
    for body in (session, client.beta.agents.sessions.retrieve(session.id)):
        assert strict(AgentSession, body).agent.compaction.async_ is False  # type: ignore[union-attr]


def test_session_overriding_a_saved_agent_reports_blocking(client: openai.OpenAI) -> None:
    agent = client.beta.agents.create(model="gpt-5.4", compaction={"async": True})
    session = client.beta.agents.sessions.create(
        environment=NONE, agent_id=agent.id, agent={"compaction": {"async": True}}, input="hi"
    )
    assert strict(AgentSession, session).agent.compaction.async_ is False  # type: ignore[union-attr]


def test_automation_with_an_inline_agent_accepts_compaction_async_and_reports_blocking(
    client: openai.OpenAI,
) -> None:
    automations = client.beta.agents.automations
    target = {
        "type": "new_session",
        "environment": NONE,
        "input": INPUT,
        "agent": {"model": "gpt-5.4", "instructions": "Sum up.", "compaction": {"async": True}},
    }
    created = automations.create(type="once", name="digest", run_at=4_102_444_800, target=target)  # type: ignore[arg-type]
    for body in (created, automations.retrieve(created.id)):
        automation = strict(OneTimeAutomation, body)
        agent = automation.target.agent  # type: ignore[union-attr]
        assert automation.target.agent_id is None and agent is not None  # type: ignore[union-attr]
        assert (agent.model, agent.instructions, agent.compaction.async_) == ("gpt-5.4", "Sum up.", False)  # type: ignore[union-attr]
    updated = automations.update(
        created.id, target={**target, "agent": {"model": "gpt-5.4", "compaction": None}}
    )  # type: ignore[arg-type]
    assert updated.target.agent.compaction.async_ is False  # type: ignore[union-attr]
