"""The agent client over real HTTP (the emulator): it puts a named credential's id into the payload at the call
and hands back live agents that carry the credentials of their project's vaults (LiveObject.references), with
the wire dict exactly as the server sent it."""

from __future__ import annotations

import openai

from orchestrator.backends.agents import AgentsClient, AgentsMapping
from orchestrator.backends.vaults import credential_settings
from orchestrator.engine.live import CredentialRefs, fingerprint
from orchestrator.engine.ownership import OWNER_KEY

AUTH = {"type": "static_bearer", "mcp_server_url": "https://mcp.example.com", "token": "t0k3n-value"}


def test_the_client_names_credentials_through_the_live_objects_references(sdk: openai.OpenAI) -> None:
    vault = sdk.beta.agents.vaults.create(name="CRM", metadata={OWNER_KEY: "p/dev/crm"})
    credential = sdk.beta.agents.vaults.credentials.create(vault.id, name="crm-token", auth=AUTH)  # type: ignore[arg-type]
    [listed_credential] = sdk.beta.agents.vaults.credentials.list(vault.id).data
    settings = credential_settings(listed_credential.model_dump(exclude_none=True)["auth"])
    mapping = AgentsMapping()
    plain_agent = {"name": "analyst", "model": "gpt-5.4", "instructions": "You analyse."}
    essence = {  # an agent's essence with every default, and two MCP tools: one uses the vault's credential
        **mapping.live_essence(plain_agent),
        "tools": {
            "mcp:crm": {"server_url": "https://mcp.example.com", "credential": "crm/crm-token"},
            "mcp:other": {"server_url": "https://other.example.com"},
        },
    }
    client = AgentsClient(sdk)
    created = client.create(mapping.create_payload(essence, {OWNER_KEY: "p/dev/analyst"}))
    assert [t.get("credential_id") for t in created.raw["tools"]] == [credential.id, None]
    assert "_credentials" not in created.raw  # the raw dict is the server's answer, nothing added
    assert created.references == CredentialRefs({credential.id: ("crm/crm-token", settings)})
    assert mapping.live_essence(created.raw, None, created.references)["tools"]["mcp:crm"] == {
        "credential": "crm/crm-token",
        "credential_settings": settings,
        "server_url": "https://mcp.example.com",
    }
    [listed] = client.list_all()
    read = client.retrieve(created.id)
    assert read is not None and listed.references == read.references == created.references
    assert fingerprint(listed) == fingerprint(read)

    # an agent no project of ours owns is read with no credentials named; one with no credential, the same
    stranger = sdk.beta.agents.create(model="gpt-5.4", tools=[dict(created.raw["tools"][0])])  # type: ignore[list-item]
    assert client.retrieve(stranger.id).references is None  # type: ignore[union-attr]
    plain = client.create(mapping.create_payload({**essence, "tools": {}}, {OWNER_KEY: "p/dev/plain"}))
    assert plain.references is None
