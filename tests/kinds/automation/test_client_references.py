"""The automation client over real HTTP (the emulator): it resolves a payload's SessionTarget to ids at the
call and hands back live objects that carry the names they point at (LiveObject.references), with the
wire dict exactly as the server sent it."""

from __future__ import annotations

from typing import Any

import openai

from orchestrator.backends.automations import AutomationsClient, AutomationsMapping
from orchestrator.engine.live import References, fingerprint


def test_the_client_resolves_names_and_the_live_object_carries_them(sdk: openai.OpenAI) -> None:
    agent = sdk.beta.agents.create(model="gpt-5")
    vault = sdk.beta.agents.vaults.create(name="crm")
    refs = References({"agent:analyst": agent.id, "vault:crm": vault.id, "agent:other": "agent_elsewhere"})
    client = AutomationsClient(sdk, references=refs)
    mapping = AutomationsMapping()  # no references of its own: the names come with each live object
    essence: dict[str, Any] = {
        "name": "Daily digest",
        "type": "periodic",
        "paused": False,
        "target": {"agent": "analyst", "environment": None, "vaults": ["crm"], "input": "Go."},
        "metadata": {},
        "expression": "0 7 * * *",
        "timezone": "Europe/Madrid",
    }
    live = client.create(mapping.create_payload(essence, {}))
    assert live.raw["target"]["agent_id"] == agent.id and live.raw["target"]["vault_ids"] == [vault.id]
    assert "_names" not in live.raw  # the raw dict is the server's answer, nothing added
    assert live.references == References({"agent:analyst": agent.id, "vault:crm": vault.id})
    assert mapping.live_essence(live.raw, None, live.references)["target"] == essence["target"]
    [listed] = client.list_all()
    read = client.retrieve(live.id)
    assert read is not None and listed.references == read.references == live.references
    assert fingerprint(listed) == fingerprint(read)
