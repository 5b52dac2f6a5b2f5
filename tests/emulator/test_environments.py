"""Environment templates, hosted environments and their files, and sessions in a template's environment:
every body checked strictly against the openai SDK's types, over real HTTP."""

from __future__ import annotations

import base64

import openai
import pytest
from openai.types.beta import AgentSession
from openai.types.beta.agents import EnvironmentInfo
from openai.types.beta.agents.environments import (
    EnvironmentFile,
    EnvironmentTemplate,
    EnvironmentTemplateDeleted,
)

from .sdk_checks import strict, upload


def test_template_create_retrieve_update_list_delete_are_sdk_typed(client: openai.OpenAI) -> None:
    uploaded = upload(client, "verbs.csv", b"ser,to be\n")
    created = client.beta.agents.environments.templates.create(
        name="tutor-env",
        files=[
            {"type": "file_id", "file_id": uploaded.id, "path": "/workspace/data/verbs.csv"},
            {"type": "inline", "data": base64.b64encode(b"hola").decode(), "path": "/workspace/notes.txt"},
        ],
        packages={"python": ["pandas"]},
        network={"access": "restricted", "allowed_domains": ["api.example.com"]},
        env={"LANG": "es_ES.UTF-8"},
        setup_commands=[{"command": "echo secret-setup"}],
        desktop={"enabled": False},
    )
    body = strict(EnvironmentTemplate, created)
    assert body.object == "agent.environment.template" and body.name == "tutor-env"
    assert [f.type for f in body.files] == ["file_id", "inline"] and body.files[1].size_bytes == 4
    assert body.packages.python == ["pandas"] and body.packages.npm == []
    assert body.network.access == "restricted" and body.network.allowed_domains == ["api.example.com"]
    raw = client.beta.agents.environments.templates.with_raw_response.retrieve(created.id).text
    assert "secret-setup" not in raw and "es_ES" not in raw  # confidential: never returned
    updated = client.beta.agents.environments.templates.update(created.id, packages={"npm": ["left-pad"]})
    assert strict(EnvironmentTemplate, updated).packages.npm == ["left-pad"]
    assert updated.updated_at > created.updated_at and updated.files == created.files
    page = client.beta.agents.environments.templates.list(limit=100)
    assert [strict(EnvironmentTemplate, t).id for t in page.data] == [created.id]
    deleted = client.beta.agents.environments.templates.delete(created.id)
    assert strict(EnvironmentTemplateDeleted, deleted).deleted
    with pytest.raises(openai.NotFoundError):
        client.beta.agents.environments.templates.retrieve(created.id)


@pytest.mark.parametrize(
    "network",
    [
        {"access": "enabled", "allowed_domains": ["a.example"]},
        {"access": "restricted", "allowed_domains": ["a.example"], "blocked_domains": ["b.example"]},
        {"access": "restricted", "blocked_domains": ["*.example"]},
        {"access": "sometimes"},
    ],
)
def test_template_network_rules_are_enforced(client: openai.OpenAI, network: dict) -> None:
    with pytest.raises(openai.BadRequestError):
        client.beta.agents.environments.templates.create(network=network)  # type: ignore[arg-type]


def test_template_file_paths_must_be_in_the_workspace_and_files_must_exist(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.beta.agents.environments.templates.create(
            files=[{"type": "inline", "data": "aGk=", "path": "/etc/passwd"}]
        )
    with pytest.raises(openai.NotFoundError):
        client.beta.agents.environments.templates.create(
            files=[{"type": "file_id", "file_id": "file-missing", "path": "/workspace/x"}]
        )


def test_environment_from_template_lists_its_files(client: openai.OpenAI) -> None:
    uploaded = upload(client, "verbs.csv", b"ser,to be\n")
    template = client.beta.agents.environments.templates.create(
        files=[{"type": "file_id", "file_id": uploaded.id, "path": "/workspace/data/verbs.csv"}]
    )
    environment = client.beta.agents.environments.create(
        environment={"type": "openai_hosted", "environment_template_id": template.id}
    )
    info = strict(EnvironmentInfo, environment)
    assert info.status == "ready" and info.files[0].path == "/workspace/data/verbs.csv"
    assert strict(EnvironmentInfo, client.beta.agents.environments.retrieve(info.id)).id == info.id
    assert [e.id for e in client.beta.agents.environments.list().data] == [info.id]
    files = list(client.beta.agents.environments.files.list(info.id))
    assert [strict(EnvironmentFile, f).path for f in files] == ["/workspace/data/verbs.csv"]
    assert files[0].size_bytes == len(b"ser,to be\n")


def test_session_in_a_template_environment_is_sdk_typed(client: openai.OpenAI) -> None:
    template = client.beta.agents.environments.templates.create(
        files=[{"type": "inline", "data": "aGk=", "path": "/workspace/hi.txt"}]
    )
    agent = client.beta.agents.create(model="gpt-5.4", instructions="Be brief.")
    session = client.beta.agents.sessions.create(
        agent_id=agent.id,
        environment={"type": "openai_hosted", "environment_template_id": template.id},
        input="hola",
    )
    body = strict(AgentSession, session)
    assert body.environment.type == "openai_hosted"
    assert [f.path for f in body.environment.files] == ["/workspace/hi.txt"]
    with pytest.raises(openai.NotFoundError):
        client.beta.agents.sessions.create(
            agent_id=agent.id,
            environment={"type": "openai_hosted", "environment_template_id": "envtpl_x"},
            input="hola",
        )


def test_environments_routes_do_not_fall_into_the_agent_route(client: openai.OpenAI) -> None:
    assert client.beta.agents.environments.templates.list().data == []
    assert client.beta.agents.environments.list().data == []
