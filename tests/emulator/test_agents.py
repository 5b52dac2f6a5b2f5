"""The Agents API: beta header, resolved defaults, partial updates, list, delete."""

from __future__ import annotations

import httpx2
import openai
import pytest
from openai.types.beta import Agent, AgentDeleted

from .sdk_checks import strict

BETA = {"OpenAI-Beta": "agents=v1"}
FUNCTION = {"type": "function", "name": "lookup", "description": "Look up", "parameters": {"type": "object"}}


def test_header_is_required(http: httpx2.Client) -> None:
    response = http.post("/agents", json={"model": "gpt-5"})
    assert response.status_code == 400
    assert "agents=v1" in response.json()["error"]["message"]
    assert http.get("/agents").status_code == 400


def test_create_resolves_defaults(client: openai.OpenAI, http: httpx2.Client) -> None:
    body = http.post("/agents", headers=BETA, json={"model": "gpt-5", "tools": [FUNCTION]}).json()
    agent = strict(Agent, body)
    assert agent.id.startswith("agent_") and agent.created_at == agent.updated_at
    assert body["reasoning"] == {"effort": None, "summary": None}
    assert body["text"] == {"format": {"type": "text"}, "verbosity": "medium"}
    assert body["service_tier"] == "auto" and body["metadata"] == {} and body["name"] is None
    assert body["multi_agent"] == {"enabled": False, "max_concurrent_subagents": None}
    assert body["compaction"] == {"async": False} and body["experimental"] == {"time_awareness": False}
    assert body["tools"] == [{**FUNCTION, "defer_loading": False}]
    assert client.beta.agents.retrieve(agent.id).id == agent.id


def test_web_search_and_mcp_tools_are_resolved(http: httpx2.Client) -> None:
    tools = [
        {"type": "web_search"},
        {"type": "mcp", "server_label": "docs", "transport": {"type": "http", "server_url": "https://x"}},
    ]
    body = http.post(
        "/agents", headers=BETA, json={"model": "m", "tools": tools, "multi_agent": {"enabled": True}}
    ).json()
    strict(Agent, body)
    assert body["tools"][0] == {
        "type": "web_search",
        "allowed_domains": None,
        "context_size": "medium",
        "location": None,
        "mode": "live",
    }
    assert body["tools"][1]["transport"] == {"type": "http", "server_url": "https://x", "headers": {}}
    assert body["tools"][1]["required"] is False and body["tools"][1]["connection_origin"] == "service"
    assert body["multi_agent"] == {"enabled": True, "max_concurrent_subagents": 6}


def test_update_is_partial(client: openai.OpenAI, http: httpx2.Client) -> None:
    agent = client.beta.agents.create(
        model="gpt-5",
        name="a",
        instructions="i",
        metadata={"k": "v"},
        tools=[FUNCTION],
        reasoning={"effort": "high"},
    )
    body = http.post(
        f"/agents/{agent.id}",
        headers=BETA,
        json={
            "name": None,
            "reasoning": None,
            "metadata": {"n": "1"},
            "experimental": {"time_awareness": True},
        },
    ).json()
    updated = strict(Agent, body)
    assert updated.name is None and updated.instructions == "i" and updated.model == "gpt-5"
    assert updated.metadata == {"n": "1"} and len(updated.tools) == 1
    assert body["reasoning"] == {"effort": None, "summary": None}
    assert updated.experimental.time_awareness is True
    assert updated.updated_at > agent.updated_at
    cleared = client.beta.agents.update(agent.id, tools=None, metadata=None)
    assert cleared.tools == [] and cleared.metadata == {}


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        ({}, "model"),
        ({"model": "m", "service_tier": "turbo"}, "service_tier"),
        ({"model": "m", "metadata": {f"k{i}": "v" for i in range(17)}}, "metadata"),
        ({"model": "m", "tools": [{"type": "function", "name": "f"}]}, "tools[0].description"),
        ({"model": "m", "tools": [{"type": "rocket"}]}, "tools[0].type"),
        ({"model": "m", "text": {"verbosity": "loud"}}, "text.verbosity"),
        ({"model": "m", "unknown": 1}, "unknown"),
    ],
)
def test_invalid_agents_are_400(http: httpx2.Client, payload: dict, param: str) -> None:
    response = http.post("/agents", headers=BETA, json=payload)
    assert response.status_code == 400 and response.json()["error"]["param"] == param


def test_tools_over_3_mib_are_rejected(http: httpx2.Client) -> None:
    big = {**FUNCTION, "description": "x" * (3 * 1024 * 1024)}
    response = http.post("/agents", headers=BETA, json={"model": "m", "tools": [big]})
    assert response.status_code == 400 and response.json()["error"]["param"] == "tools"


def test_list_pages_and_delete(client: openai.OpenAI, http: httpx2.Client) -> None:
    ids = [client.beta.agents.create(model="m").id for _ in range(5)]
    assert [a.id for a in client.beta.agents.list(limit=2)] == ids[::-1]
    page = http.get("/agents", headers=BETA, params={"limit": 2, "order": "asc", "after": ids[0]}).json()
    assert [a["id"] for a in page["data"]] == ids[1:3] and page["has_more"] is True
    deleted = http.delete(f"/agents/{ids[0]}", headers=BETA).json()
    assert strict(AgentDeleted, deleted).deleted and deleted["object"] == "agent.deleted"
    with pytest.raises(openai.NotFoundError):
        client.beta.agents.retrieve(ids[0])


EVERY_FIELD = {
    "model": "gpt-5.4",
    "name": "all",
    "instructions": "Everything.",
    "metadata": {"team": "a"},
    "reasoning": {"effort": "low", "summary": "detailed"},
    "text": {"format": {"type": "json_schema", "schema": {"type": "object"}}, "verbosity": "high"},
    "service_tier": "flex",
    "compaction": {"async": True},
    "multi_agent": {"enabled": True, "max_concurrent_subagents": 3},
    "experimental": {"time_awareness": True},
    "tools": [
        {**FUNCTION, "defer_loading": True, "async": True},
        {"type": "tool_search"},
        {"type": "programmatic_tool_calling", "enabled": False},
        {
            "type": "mcp",
            "server_label": "local",
            "transport": {"type": "stdio", "command": "srv", "cwd": "/w"},
            "connection_origin": "environment",
            "credential_id": "cred_1",
            "request_metadata": {"k": 1},
            "required": True,
            "allowed_tools": ["a"],
        },
        {"type": "web_search", "location": {"city": "Madrid", "country": "ES"}, "mode": "cached"},
        {"type": "computer_use", "include_screenshots": True},
        {"type": "automations"},
    ],
}


def test_every_create_field_and_tool_type_is_returned_as_the_sdk_types_it(http: httpx2.Client) -> None:
    created = http.post("/agents", headers=BETA, json=EVERY_FIELD).json()
    for body in (created, http.get(f"/agents/{created['id']}", headers=BETA).json()):
        agent = strict(Agent, body)
        assert (
            agent.reasoning.summary == "detailed" and agent.compaction and not agent.compaction.async_
        )  # ignored (3.63)
        assert agent.multi_agent.max_concurrent_subagents == 3
        assert agent.experimental and agent.experimental.time_awareness
        assert [t.type for t in agent.tools] == [t["type"] for t in EVERY_FIELD["tools"]]
        function, _, programmatic, mcp, web, computer, _ = body["tools"]
        assert (function["defer_loading"], function["async"], programmatic["enabled"]) == (True, True, False)
        assert mcp["transport"] == {
            "type": "stdio",
            "command": "srv",
            "cwd": "/w",
            "args": [],
            "env_vars": [],
        }
        assert (mcp["connection_origin"], mcp["credential_id"], mcp["request_metadata"]) == (
            "environment",
            "cred_1",
            {"k": 1},
        )
        assert (
            web["location"] == {"city": "Madrid", "country": "ES", "region": None, "timezone": None}
            and computer["include_screenshots"]
        )


@pytest.mark.parametrize("collection", ["environments", "automations", "sessions"])
def test_agent_collections_are_never_read_as_an_agent_id(http: httpx2.Client, collection: str) -> None:
    """Before: GET /v1/agents/environments answered "No agent found with id 'environments'". Now each of
    these paths is its own collection (served, or an invalid URL), never an agent looked up by that id."""
    for method in ("GET", "POST", "DELETE"):
        response = http.request(
            method, f"/agents/{collection}", headers=BETA, json={} if method == "POST" else None
        )
        body = response.json()
        assert body.get("object") != "agent" and body.get("object") != "agent.deleted", body
        error = body.get("error") or {}
        assert "No agent found" not in str(error.get("message", "")), body
        if response.status_code == 404:
            assert error["message"] == f"Invalid URL ({method} /v1/agents/{collection})"


@pytest.mark.parametrize(
    ("field", "size", "limit"),
    [("instructions", 7 * 1024 * 1024, 256000), ("name", 5000, 256), ("model", 5000, 256)],
)
def test_agent_strings_are_bounded_as_assistants_are(
    http: httpx2.Client, field: str, size: int, limit: int
) -> None:
    """Issue 25 (25): agents took 7 MB instructions and 5,000-character names; assistants cap both."""
    body = {"model": "gpt-5", field: "x" * size}
    response = http.post("/agents", headers=BETA, json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == field and error["code"] == "string_above_max_length"
    assert f"maximum length {limit}" in error["message"]
    assert http.post("/agents", headers=BETA, json={**body, field: "x" * limit}).status_code == 200
    assert http.get("/agents", headers=BETA).json()["data"][0][field] == "x" * limit
