"""Agent sessions as openai 3.63 shapes them: `POST /v1/agents/sessions/{id}` (sessions.update),
`spend_control` on create and update, sessions that reference vaults, and the 8 MiB tool list of an
inline agent; every body through the real SDK and checked strictly against its types."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from openai.types.beta import AgentSession
from openai.types.beta.agents import OneTimeAutomation

from orchestrator.emulator import EmulatorServer

from .sdk_checks import strict

BETA = {"OpenAI-Beta": "agents=v1"}
NONE = {"type": "none"}
MIB = 1024 * 1024
ADD = {"type": "function", "name": "add", "description": "Add", "parameters": {"type": "object"}}


def as_json(session: AgentSession) -> dict[str, Any]:
    return session.model_dump(mode="json", by_alias=True, exclude_unset=True)


@pytest.fixture
def session(client: openai.OpenAI) -> AgentSession:
    agent = client.beta.agents.create(model="gpt-5.4", instructions="Be brief.", tools=[ADD])
    return client.beta.agents.sessions.create(environment=NONE, agent_id=agent.id, input="hi")


def vault(client: openai.OpenAI, name: str = "team") -> str:
    return client.beta.agents.vaults.create(name=name).id


# -- update ----------------------------------------------------------------------------------


def test_update_changes_every_field_it_names(client: openai.OpenAI, session: AgentSession) -> None:
    vault_id = vault(client)
    updated = client.beta.agents.sessions.update(
        session.id,
        agent={
            "model": "gpt-5.5",
            "reasoning": {"effort": "high"},
            "service_tier": "flex",
            "tools": [{"type": "web_search"}],
        },
        metadata={"team": "search"},
        prompt_cache_options={"ttl": "12h"},
        review="auto_review",
        spend_control={"limit": 250},
        vault_ids=[vault_id],
    )
    strict(AgentSession, as_json(updated))
    assert updated.id == session.id and updated.agent.model == "gpt-5.5"
    assert updated.agent.reasoning.effort == "high" and updated.agent.service_tier == "flex"
    assert [tool.type for tool in updated.agent.tools] == ["web_search"]
    assert updated.agent.instructions == "Be brief." and updated.agent.id == session.agent.id
    assert updated.metadata == {"team": "search"} and updated.vault_ids == [vault_id]
    assert updated.prompt_cache_options is not None and updated.prompt_cache_options.ttl == "12h"
    assert updated.spend_control.limit == 250 and updated.spend_control.consumed == 0
    assert as_json(updated)["review"] == "auto_review"
    # what update answered is what is stored
    assert as_json(client.beta.agents.sessions.retrieve(session.id)) == as_json(updated)


def test_update_leaves_what_it_does_not_name(client: openai.OpenAI, session: AgentSession) -> None:
    before = as_json(client.beta.agents.sessions.retrieve(session.id))
    after = as_json(client.beta.agents.sessions.update(session.id))
    assert after == before
    strict(AgentSession, after)
    after = as_json(client.beta.agents.sessions.update(session.id, agent={"reasoning": {}}))
    assert after == before


def test_null_resets_and_clears(client: openai.OpenAI) -> None:
    vault_id = vault(client)
    created = client.beta.agents.sessions.create(
        environment=NONE,
        agent={
            "model": "gpt-5.4",
            "tools": [ADD],
            "reasoning": {"effort": "low"},
            "service_tier": "priority",
        },
        input="hi",
        metadata={"a": "b"},
        prompt_cache_options={"ttl": "30m"},
        review="auto_review",
        spend_control={"limit": 100},
        vault_ids=[vault_id],
    )
    assert created.spend_control.limit == 100 and created.vault_ids == [vault_id]
    cleared = client.beta.agents.sessions.update(
        created.id,
        agent={"reasoning": {"effort": None}, "service_tier": None, "tools": None},
        metadata=None,
        prompt_cache_options=None,
        review="none",
        spend_control=None,
        vault_ids=None,
    )
    strict(AgentSession, as_json(cleared))
    assert cleared.agent.reasoning.effort is None and cleared.agent.service_tier == "auto"
    assert cleared.agent.tools == [] and cleared.metadata == {} and cleared.prompt_cache_options is None
    assert "review" not in as_json(cleared) and cleared.vault_ids == []
    assert cleared.spend_control.limit is None and cleared.spend_control.consumed == 0
    again = client.beta.agents.sessions.update(
        created.id, agent={"tools": []}, metadata={}, spend_control={"limit": 5}, vault_ids=[]
    )
    assert again.agent.tools == [] and again.metadata == {} and again.vault_ids == []
    assert again.spend_control.limit == 5
    assert (
        client.beta.agents.sessions.update(created.id, spend_control={"limit": None}).spend_control.limit
        is None
    )


def test_update_reaches_the_next_turn(client: openai.OpenAI, session: AgentSession) -> None:
    client.beta.agents.sessions.update(session.id, prompt_cache_options={"ttl": "12h"})
    client.beta.agents.sessions.events.create(
        session.id,
        events=[
            {
                "type": "agent.session.input.message",
                "input": [{"role": "user", "content": [{"type": "input_text", "text": "again"}]}],
            }
        ],
    )
    turns = client.beta.agents.sessions.turns.list(session.id, order="desc").data
    assert turns[0].prompt_cache_options is not None and turns[0].prompt_cache_options.ttl == "12h"


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"spend_control": {"limit": 0}}, 400, "spend_control.limit"),
        ({"spend_control": {"limit": -5}}, 400, "spend_control.limit"),
        ({"spend_control": {"limit": 1.5}}, 400, "spend_control.limit"),
        ({"spend_control": {"limit": "100"}}, 400, "spend_control.limit"),
        ({"spend_control": {}}, 400, "spend_control.limit"),
        ({"spend_control": {"limit": 5, "consumed": 0}}, 400, "spend_control.consumed"),
        ({"vault_ids": ["vault_nope"]}, 404, "vault_ids[0]"),
        ({"vault_ids": "vault_x"}, 400, "vault_ids"),
        ({"metadata": {"k": "v" * 513}}, 400, "metadata.k"),
        ({"agent": {"model": ""}}, 400, "agent.model"),
        ({"agent": {"instructions": "x"}}, 400, "agent.instructions"),
        ({"agent": {"reasoning": {"effort": "huge"}}}, 400, "agent.reasoning.effort"),
        ({"agent": {"reasoning": {"summary": "auto"}}}, 400, "agent.reasoning.summary"),
        ({"agent": {"service_tier": "cheap"}}, 400, "agent.service_tier"),
        ({"agent": {"tools": [{"type": "rocket"}]}}, 400, "agent.tools[0].type"),
        ({"agent": None}, 400, "agent"),
        ({"prompt_cache_options": {"ttl": "1d"}}, 400, "prompt_cache_options.ttl"),
        ({"review": "manual"}, 400, "review"),
        ({"environment": NONE}, 400, "environment"),
    ],
)
def test_update_validates_like_the_api(
    http: httpx2.Client, session: AgentSession, body: dict[str, Any], status: int, param: str
) -> None:
    before = http.get(f"/agents/sessions/{session.id}", headers=BETA).json()
    response = http.post(f"/agents/sessions/{session.id}", headers=BETA, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error" and error["message"]
    assert http.get(f"/agents/sessions/{session.id}", headers=BETA).json() == before  # nothing half-applied


def test_update_of_an_unknown_session_is_404_and_needs_the_beta_header(
    client: openai.OpenAI, http: httpx2.Client, session: AgentSession
) -> None:
    with pytest.raises(openai.NotFoundError, match="No session found with id 'sess_nope'"):
        client.beta.agents.sessions.update("sess_nope", metadata={})
    response = http.post(f"/agents/sessions/{session.id}", json={"metadata": {}})
    assert response.status_code == 400 and response.json()["error"]["code"] == "missing_beta_header"


# -- create: spend_control and vault_ids -----------------------------------------------------


def test_create_keeps_the_spend_limit(client: openai.OpenAI, session: AgentSession) -> None:
    assert session.spend_control.limit is None and session.spend_control.consumed == 0
    limited = client.beta.agents.sessions.create(
        environment=NONE, agent={"model": "gpt-5.4"}, input="hi", spend_control={"limit": 1200}
    )
    strict(AgentSession, as_json(limited))
    assert limited.spend_control.limit == 1200 and limited.spend_control.consumed == 0
    unlimited = client.beta.agents.sessions.create(
        environment=NONE, agent={"model": "gpt-5.4"}, input="hi", spend_control=None
    )
    assert unlimited.spend_control.limit is None
    listed = {s.id: s for s in client.beta.agents.sessions.list().data}
    assert listed[limited.id].spend_control.limit == 1200


@pytest.mark.parametrize(
    ("spend_control", "param"),
    [({"limit": 0}, "spend_control.limit"), ({}, "spend_control.limit"), (5, "spend_control")],
)
def test_create_refuses_a_bad_spend_limit(http: httpx2.Client, spend_control: Any, param: str) -> None:
    body = {"environment": NONE, "agent": {"model": "gpt-5.4"}, "input": "hi", "spend_control": spend_control}
    response = http.post("/agents/sessions", headers=BETA, json=body)
    assert response.status_code == 400 and response.json()["error"]["param"] == param


def test_sessions_reference_existing_vaults(client: openai.OpenAI, http: httpx2.Client) -> None:
    first, second = vault(client, "a"), vault(client, "b")
    created = client.beta.agents.sessions.create(
        environment=NONE, agent={"model": "gpt-5.4"}, input="hi", vault_ids=[first, second]
    )
    strict(AgentSession, as_json(created))
    assert created.vault_ids == [first, second]
    assert client.beta.agents.sessions.retrieve(created.id).vault_ids == [first, second]
    response = http.post(
        "/agents/sessions",
        headers=BETA,
        json={
            "environment": NONE,
            "agent": {"model": "gpt-5.4"},
            "input": "hi",
            "vault_ids": [first, "vault_x"],
        },
    )
    assert response.status_code == 404 and response.json()["error"]["param"] == "vault_ids[1]"
    assert "No vault found with id 'vault_x'" in response.json()["error"]["message"]


def test_a_session_stored_before_spend_control_answers_one(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with EmulatorServer(db) as server, openai.OpenAI(base_url=server.base_url, api_key="x") as sdk:
        session_id = sdk.beta.agents.sessions.create(
            environment=NONE, agent={"model": "gpt-5.4"}, input="hi"
        ).id
    with sqlite3.connect(db) as raw:  # as an emulator older than openai 3.60 stored it
        (body,) = raw.execute("SELECT body FROM objects WHERE id = ?", (session_id,)).fetchone()
        old = json.loads(body)
        del old["spend_control"]
        raw.execute("UPDATE objects SET body = ? WHERE id = ?", (json.dumps(old), session_id))
    with EmulatorServer(db) as server, openai.OpenAI(base_url=server.base_url, api_key="x") as sdk:
        session = sdk.beta.agents.sessions.retrieve(session_id)
        strict(AgentSession, as_json(session))
        assert session.spend_control.limit is None and session.spend_control.consumed == 0
        strict(AgentSession, as_json(sdk.beta.agents.sessions.list().data[0]))
        assert (
            sdk.beta.agents.sessions.update(session_id, spend_control={"limit": 9}).spend_control.limit == 9
        )


# -- tool list limits: 8 MiB for an inline agent or a session, 3 MiB for a saved agent ---------


def tools_of(size: int) -> list[dict[str, Any]]:
    """Function tools whose compact UTF-8 JSON list takes exactly `size` bytes."""
    tools = [dict(ADD, name=f"f{n}", description="") for n in range(16)]
    bare = len(json.dumps(tools, separators=(",", ":")).encode())
    share, extra = divmod(size - bare, len(tools))
    for n, tool in enumerate(tools):
        tool["description"] = "é" * ((share + (extra if n == 0 else 0)) // 2) + "x" * (
            (share + (extra if n == 0 else 0)) % 2
        )
    assert len(json.dumps(tools, separators=(",", ":"), ensure_ascii=False).encode()) == size
    return tools


def test_an_inline_agent_may_carry_8_mib_of_tools(client: openai.OpenAI, http: httpx2.Client) -> None:
    tools = tools_of(8 * MIB)
    created = client.beta.agents.sessions.create(
        environment=NONE,
        agent={"model": "gpt-5.4", "instructions": "i" * 256_000, "tools": tools},
        input="hi",
    )
    assert len(created.agent.tools) == len(tools)
    assert len(client.beta.agents.sessions.update(created.id, agent={"tools": tools}).agent.tools) == len(
        tools
    )
    over = tools_of(8 * MIB + 1)
    response = http.post(
        "/agents/sessions",
        headers=BETA,
        json={"environment": NONE, "agent": {"model": "m", "tools": over}, "input": "hi"},
    )
    assert response.status_code == 400 and response.json()["error"]["param"] == "agent.tools"
    response = http.post(f"/agents/sessions/{created.id}", headers=BETA, json={"agent": {"tools": over}})
    assert response.status_code == 400 and response.json()["error"]["param"] == "agent.tools"
    # a saved agent stays at 3 MiB
    response = http.post("/agents", headers=BETA, json={"model": "m", "tools": tools_of(3 * MIB + 1)})
    assert response.status_code == 400 and response.json()["error"]["param"] == "tools"
    assert client.beta.agents.create(model="m", tools=tools_of(3 * MIB)).tools


def new_session_target(**fields: Any) -> dict[str, Any]:
    message = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Go"}]}
    return {"type": "new_session", "environment": NONE, "input": [message], **fields}


def test_an_automation_may_start_sessions_of_an_inline_agent(
    client: openai.OpenAI, http: httpx2.Client
) -> None:
    tools = tools_of(8 * MIB)
    created = client.beta.agents.automations.create(
        type="once",
        name="launch",
        run_at=4_102_444_800,
        target=new_session_target(agent={"model": "gpt-5.4", "instructions": "Go.", "tools": tools}),  # type: ignore[arg-type]
    )
    automation = strict(OneTimeAutomation, created.model_dump(mode="json", by_alias=True, exclude_unset=True))
    target = automation.target
    assert target.type == "new_session" and target.agent_id is None and target.agent is not None
    assert (
        target.agent.model == "gpt-5.4"
        and target.agent.instructions == "Go."
        and len(target.agent.tools) == 16
    )
    assert target.agent.service_tier == "auto" and target.agent.multi_agent.enabled is False


@pytest.mark.parametrize(
    ("target", "param"),
    [
        (new_session_target(agent={"model": "m", "tools": tools_of(8 * MIB + 1)}), "target.agent.tools"),
        (new_session_target(agent={"instructions": "x"}), "target.agent.model"),
        (new_session_target(agent={"model": "m"}, agent_id="agent_x"), "target.agent"),
        (new_session_target(), "target.agent_id"),
        (new_session_target(agent={"model": "m", "name": "n"}), "target.agent.name"),
    ],
    ids=["tools-over-8-mib", "no-model", "agent-and-agent_id", "neither", "unknown-field"],
)
def test_an_automation_target_names_one_agent(
    http: httpx2.Client, target: dict[str, Any], param: str
) -> None:
    body = {"type": "once", "name": "x", "run_at": 4_102_444_800, "target": target}
    response = http.post("/agents/automations", headers=BETA, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param
