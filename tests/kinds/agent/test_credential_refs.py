"""An agent's MCP credentials as a typed value: the agent client reads live agents with the credentials of
their project's vaults (LiveObject.references, a CredentialRefs), never as a key put into the wire dict, and
the agent mapping reads a credential_id back as `vault/credential` through them. Pure: no SDK, no server."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.backends.agents import AgentsMapping
from orchestrator.engine.importing import Claims, import_object
from orchestrator.engine.live import CredentialRefs, LiveObject, References, fingerprint

RAW: dict[str, Any] = {
    "id": "agent_1",
    "object": "agent",
    "created_at": 1700000000,
    "name": "Analyst",
    "model": "gpt-5",
    "instructions": "Help.",
    "metadata": {"orchestrator.owner": "p/dev/analyst"},
    "tools": [
        {
            "type": "mcp",
            "server_label": "crm",
            "transport": {"type": "http", "server_url": "https://crm.example/mcp"},
            "credential_id": "cred_1",
        },
        {
            "type": "mcp",
            "server_label": "docs",
            "transport": {"type": "http", "server_url": "https://docs.example/mcp"},
            "credential_id": "cred_9",
        },
    ],
}
CREDENTIALS = CredentialRefs({"cred_1": ("crm/token", "0a1b2c3d"), "cred_2": ("crm/other", "deadbeef")})
NAMED = {
    "credential": "crm/token",
    "credential_settings": "0a1b2c3d",
    "server_url": "https://crm.example/mcp",
}
UNNAMED = {"credential_id": "cred_9", "server_url": "https://docs.example/mcp"}  # not a credential of ours


@pytest.mark.parametrize(
    ("references", "expected"),
    [
        (CREDENTIALS, "c2454aad839801c958b68dd4"),
        (CredentialRefs(), "895d7171dcac88c93e8eedb5"),
        (None, "dbaf0993b2e9a36e8cf36a57"),
    ],
)
def test_fingerprints_are_those_of_the_raw_dict_with_the_credentials_in_it(
    references: CredentialRefs | None, expected: str
) -> None:
    # the digests the code made when the credentials were a `_credentials` key of raw (saved plans hold them):
    # the first two of {**RAW, "_credentials": {id: [vault/credential, settings]}}, the last of RAW alone (an
    # agent whose MCP tools use no credential, or that no project of ours owns)
    assert fingerprint(LiveObject.from_raw(RAW, references)) == expected


def test_the_fold_is_the_old_shape() -> None:
    assert CREDENTIALS.folded() == (
        "_credentials",
        {"cred_1": ["crm/token", "0a1b2c3d"], "cred_2": ["crm/other", "deadbeef"]},
    )


def test_a_changed_credential_changes_the_fingerprint() -> None:
    # a credential recreated with other settings (a new settings digest) makes a saved plan stale
    moved = CredentialRefs({**CREDENTIALS.by_id, "cred_1": ("crm/token", "ffffffff")})
    assert fingerprint(LiveObject.from_raw(RAW, moved)) != fingerprint(LiveObject.from_raw(RAW, CREDENTIALS))


def test_the_live_essence_names_the_credentials_the_references_name() -> None:
    tools = AgentsMapping().live_essence(RAW, None, CREDENTIALS)["tools"]
    assert tools == {"mcp:crm": NAMED, "mcp:docs": UNNAMED}
    # without them every credential shows as the id the server holds
    plain = AgentsMapping().live_essence(RAW)["tools"]
    assert plain["mcp:crm"] == {"credential_id": "cred_1", "server_url": "https://crm.example/mcp"}


def test_credentials_put_into_the_wire_dict_are_not_read() -> None:
    # a server's answer cannot name an agent's credentials: only the client's CredentialRefs do
    raw = {**RAW, "_credentials": {"cred_1": ["impostor/token", "00000000"]}}
    assert AgentsMapping().live_essence(raw)["tools"]["mcp:crm"]["credential_id"] == "cred_1"
    assert AgentsMapping().live_essence(raw, None, CREDENTIALS)["tools"]["mcp:crm"] == NAMED


def test_references_of_another_shape_name_no_credential() -> None:
    # an automation's References are not an agent's: the ids stay ids
    refs = References({"vault:crm": "cred_1"})
    assert AgentsMapping().live_essence(RAW, None, refs)["tools"]["mcp:crm"]["credential_id"] == "cred_1"


@pytest.mark.parametrize("hostile", [["cred_1"], {"id": "cred_1"}, 7])
def test_a_credential_id_that_is_not_a_string_is_never_looked_up(hostile: Any) -> None:
    assert CREDENTIALS.name_of(hostile) is None and CREDENTIALS.name_of(None) is None
    raw = {**RAW, "tools": [{**RAW["tools"][0], "credential_id": hostile}]}
    assert (
        AgentsMapping().live_essence(raw, None, CREDENTIALS)["tools"]["mcp:crm"]["credential_id"] == hostile
    )


def test_import_names_the_credential_the_references_name() -> None:
    item = import_object(
        RAW, mapping=AgentsMapping(), name="analyst", claims=Claims(lambda _: None), references=CREDENTIALS
    )
    crm, docs = item.data["tools"]
    assert crm == {
        "type": "mcp",
        "server_label": "crm",
        "server_url": "https://crm.example/mcp",
        "credential": "crm/token",
    }
    assert "credential" not in docs and "credential_settings" not in str(item.files[0].text)
    without = import_object(RAW, mapping=AgentsMapping(), name="analyst", claims=Claims(lambda _: None))
    assert "credential" not in without.data["tools"][0]


def test_an_agents_credentials_given_to_the_automation_mapping_name_nothing() -> None:
    # each kind reads only its own type of references: the automation mapping falls back to its own
    from orchestrator.backends.automations import AutomationsMapping

    raw = {"id": "auto_1", "target": {"agent_id": "agent_1", "vault_ids": ["cred_1"]}}
    mapping = AutomationsMapping(References({"agent:analyst": "agent_1"}))
    target = mapping.live_essence(raw, None, CREDENTIALS)["target"]
    assert target["agent"] == "analyst" and target["vaults"] == ["cred_1"]
