"""Vaults and credentials (secrets write-only), skills with versions and content, automations with
pause/resume and invocations: every body strictly of the SDK's types, no secret in any response."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import httpx2
import openai
import pytest
from openai.types import DeletedSkill, Skill
from openai.types.beta.agents import (
    AutomationDeleted,
    OneTimeAutomation,
    PeriodicAutomation,
    Vault,
    VaultDeleted,
)
from openai.types.beta.agents.automations import AutomationInvocation
from openai.types.beta.agents.vaults import Credential, CredentialDeleted
from openai.types.skills import DeletedSkillVersion, SkillVersion

from orchestrator.emulator import EmulatorServer

from .sdk_checks import strict

SENTINEL = "s3cr3t-SENTINEL-value-7f1d"
BETA = {"OpenAI-Beta": "agents=v1"}


@pytest.fixture
def bodies() -> list[str]:
    return []


@pytest.fixture
def sdk(emulator: EmulatorServer, bodies: list[str]) -> Iterator[openai.OpenAI]:
    """An SDK client whose every response body is kept, to grep for the secret."""

    def keep(response: httpx2.Response) -> None:
        response.read()
        bodies.append(response.text)

    http_client = httpx2.Client(event_hooks={"response": [keep]})
    with openai.OpenAI(
        base_url=emulator.base_url, api_key="x", max_retries=0, http_client=http_client
    ) as client:
        yield client


def skill_zip(
    name: str = "grammar", body: str = "Use the subjunctive.", extra: dict[str, str] | None = None
) -> bytes:
    """The same bytes for the same files: entries carry a fixed time, not the clock's (whose 2-second steps
    made two calls a moment apart differ)."""
    buffer = io.BytesIO()
    files = {"SKILL.md": f"---\nname: {name}\ndescription: Spanish grammar\n---\n{body}\n", **(extra or {})}
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(zipfile.ZipInfo(f"{name}/{path}", date_time=(2026, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()


def test_vault_crud_is_typed(sdk: openai.OpenAI) -> None:
    vault = strict(Vault, sdk.beta.agents.vaults.create(name="  crm  ", metadata={"team": "a"}))
    assert vault.id.startswith("vault_") and vault.name == "crm" and vault.metadata == {"team": "a"}
    updated = sdk.beta.agents.vaults.update(vault.id, name=None, metadata={})
    assert strict(Vault, updated).name is None and updated.metadata == {}
    listed = sdk.beta.agents.vaults.list(order="asc")
    assert [v.id for v in listed.data] == [vault.id]
    strict(VaultDeleted, sdk.beta.agents.vaults.delete(vault.id))
    with pytest.raises(openai.NotFoundError):
        sdk.beta.agents.vaults.retrieve(vault.id)


AUTHS = [
    {"type": "static_bearer", "mcp_server_url": "https://mcp.example.com", "token": SENTINEL},
    {
        "type": "environment_variable",
        "secret_name": "CRM_TOKEN",
        "secret_value": SENTINEL,
        "networking": {"type": "limited", "allowed_hosts": ["API.example.com"]},
    },
    {
        "type": "mcp_oauth",
        "mcp_server_url": "https://mcp.example.com",
        "access_token": SENTINEL,
        "refresh": {
            "client_id": "c1",
            "refresh_token": SENTINEL,
            "token_endpoint": "https://auth.example.com/t",
            "token_endpoint_auth": {"type": "client_secret_post", "client_secret": SENTINEL},
        },
    },
]
ROTATIONS = {
    "static_bearer": {"type": "static_bearer", "token": SENTINEL + "2"},
    "environment_variable": {"type": "environment_variable", "secret_value": SENTINEL + "2"},
    "mcp_oauth": {"type": "mcp_oauth", "access_token": SENTINEL + "2"},
}


@pytest.mark.parametrize("auth", AUTHS, ids=[a["type"] for a in AUTHS])
def test_credential_secrets_are_write_only(sdk: openai.OpenAI, bodies: list[str], auth: dict) -> None:
    credentials = sdk.beta.agents.vaults.credentials
    vault = sdk.beta.agents.vaults.create(name="crm")
    created = strict(
        Credential, credentials.create(vault.id, name="crm-token", auth=auth, metadata={"r": "1"})
    )
    assert created.auth.type == auth["type"] and created.vault_id == vault.id
    if auth["type"] == "environment_variable":
        assert created.auth.networking.allowed_hosts == ["api.example.com"]
    rotated = credentials.update(
        created.id, vault_id=vault.id, auth=ROTATIONS[auth["type"]], metadata={"r": "2"}
    )
    assert strict(Credential, rotated).metadata == {"r": "2"} and rotated.updated_at > created.updated_at
    strict(Credential, credentials.retrieve(created.id, vault_id=vault.id))
    assert [c.id for c in credentials.list(vault.id).data] == [created.id]
    strict(CredentialDeleted, credentials.delete(created.id, vault_id=vault.id))
    assert bodies and not [body for body in bodies if SENTINEL in body]


def test_credential_rotation_keeps_the_method(sdk: openai.OpenAI) -> None:
    vault = sdk.beta.agents.vaults.create(name="crm")
    cred = sdk.beta.agents.vaults.credentials.create(vault.id, name="t", auth=AUTHS[0])
    with pytest.raises(openai.BadRequestError, match="keeps the method"):
        sdk.beta.agents.vaults.credentials.update(
            cred.id, vault_id=vault.id, auth=ROTATIONS["environment_variable"]
        )
    with pytest.raises(openai.BadRequestError, match="mcp_server_url"):
        sdk.beta.agents.vaults.credentials.create(
            vault.id, name="t", auth={"type": "static_bearer", "token": "x"}
        )


def test_vault_endpoints_need_the_beta_header(emulator: EmulatorServer) -> None:
    with httpx2.Client(base_url=emulator.base_url, headers={"Authorization": "Bearer x"}) as http:
        assert http.get("/vaults").status_code == 400
        assert http.get("/vaults", headers=BETA).status_code == 200


def test_skill_versions_default_and_content(sdk: openai.OpenAI) -> None:
    first = skill_zip()
    skill = strict(Skill, sdk.skills.create(files=("grammar.zip", first)))
    assert (skill.name, skill.description, skill.default_version, skill.latest_version) == (
        "grammar",
        "Spanish grammar",
        "1",
        "1",
    )
    second = strict(
        SkillVersion,
        sdk.skills.versions.create(skill.id, files=("g.zip", skill_zip(body="v2")), default=True),
    )
    assert second.version == "2" and second.skill_id == skill.id
    assert sdk.skills.retrieve(skill.id).default_version == "2"
    assert sdk.skills.content.retrieve(skill.id).read() == skill_zip(body="v2")
    assert sdk.skills.versions.content.retrieve("1", skill_id=skill.id).read() == first
    rolled = strict(Skill, sdk.skills.update(skill.id, default_version="1"))
    assert rolled.default_version == "1" and rolled.latest_version == "2"
    versions = sdk.skills.versions.list(skill.id, order="asc")
    assert [v.version for v in versions.data] == ["1", "2"]
    with pytest.raises(openai.BadRequestError, match="default version"):
        sdk.skills.versions.delete("1", skill_id=skill.id)
    gone = strict(DeletedSkillVersion, sdk.skills.versions.delete("2", skill_id=skill.id))
    assert gone.version == "2" and sdk.skills.retrieve(skill.id).latest_version == "1"
    assert [s.id for s in sdk.skills.list().data] == [skill.id]
    strict(DeletedSkill, sdk.skills.delete(skill.id))
    with pytest.raises(openai.NotFoundError):
        sdk.skills.retrieve(skill.id)


def test_skill_upload_needs_a_skill_md(sdk: openai.OpenAI) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.md", "no manifest")
    with pytest.raises(openai.BadRequestError, match=r"SKILL\.md"):
        sdk.skills.create(files=("x.zip", buffer.getvalue()))
    with pytest.raises(openai.BadRequestError, match="zip"):
        sdk.skills.create(files=("x.zip", b"not a zip"))


def new_session_target(sdk: openai.OpenAI, vault_ids: list[str]) -> dict:
    agent = sdk.beta.agents.create(model="gpt-5")
    return {
        "type": "new_session",
        "agent_id": agent.id,
        "environment": {"type": "none"},
        "vault_ids": vault_ids,
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Go"}]}],
    }


def test_periodic_automation_pause_resume_and_invocations(sdk: openai.OpenAI) -> None:
    automations = sdk.beta.agents.automations
    vault = sdk.beta.agents.vaults.create(name="crm")
    target = new_session_target(sdk, [vault.id])
    created = automations.create(
        type="periodic",
        name="daily",
        expression="0 7 * * *",
        timezone="Europe/Madrid",
        target=target,
        metadata={"k": "v"},
    )
    body = strict(PeriodicAutomation, created)
    assert body.status == "active" and body.target.agent_id == target["agent_id"]
    assert body.target.vault_ids == [vault.id] and body.created_by.type == "developer"
    assert strict(PeriodicAutomation, automations.pause(created.id)).status == "paused"
    assert strict(PeriodicAutomation, automations.resume(created.id)).status == "active"
    updated = automations.update(created.id, expression="30 6 * * 1-5", timezone="UTC")
    assert (updated.expression, updated.timezone) == ("30 6 * * 1-5", "UTC")
    invocation = strict(AutomationInvocation, automations.invocations.create(created.id))
    assert invocation.source.type == "manual" and invocation.status == "queued"
    listed = automations.invocations.list(created.id)
    assert [i.id for i in listed.data] == [invocation.id]
    strict(AutomationInvocation, automations.invocations.retrieve(invocation.id, automation_id=created.id))
    assert [a.id for a in automations.list().data] == [created.id]
    strict(AutomationDeleted, automations.delete(created.id))
    with pytest.raises(openai.NotFoundError):
        automations.retrieve(created.id)


def test_one_time_automation_and_bad_inputs(sdk: openai.OpenAI) -> None:
    automations = sdk.beta.agents.automations
    target = new_session_target(sdk, [])
    once = automations.create(type="once", name="launch", run_at=4_102_444_800, target=target)
    assert strict(OneTimeAutomation, once).type == "once"
    with pytest.raises(openai.BadRequestError, match="periodic"):
        automations.update(once.id, expression="0 7 * * *")
    with pytest.raises(openai.BadRequestError, match="cron"):
        automations.create(type="periodic", name="x", expression="every day", timezone="UTC", target=target)
    with pytest.raises(openai.BadRequestError, match="time zone"):
        automations.create(
            type="periodic", name="x", expression="0 7 * * *", timezone="Mars/Base", target=target
        )
    with pytest.raises(openai.BadRequestError, match="future"):
        automations.create(type="once", name="x", run_at=1, target=target)
    with pytest.raises(openai.BadRequestError, match="no agent"):
        automations.create(
            type="once", name="x", run_at=4_102_444_800, target={**target, "agent_id": "agent_nope"}
        )


def test_agent_routes_still_answer(sdk: openai.OpenAI) -> None:
    agent = sdk.beta.agents.create(model="gpt-5")
    assert sdk.beta.agents.retrieve(agent.id).id == agent.id
    assert sdk.beta.agents.automations.list().data == []
