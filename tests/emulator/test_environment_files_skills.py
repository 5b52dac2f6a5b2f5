"""Environment files staged one at a time (`POST /v1/agents/environments/{id}/files`: files.create and
the SDK's upload helper), their listing by directory with token pages, and the skills an environment
template pins installed in the environment a session runs in; over real HTTP through the real SDK."""

from __future__ import annotations

import base64
import io
import zipfile
from typing import Any

import httpx2
import openai
import pytest
from openai.types.beta import AgentSession
from openai.types.beta.agents import EnvironmentInfo
from openai.types.beta.agents.environments import EnvironmentFile

from .sdk_checks import strict, upload

BETA = {"OpenAI-Beta": "agents=v1"}
HOSTED = {"type": "openai_hosted"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def environment_id(client: openai.OpenAI) -> str:
    return client.beta.agents.environments.create(environment=HOSTED).id


def paths(client: openai.OpenAI, environment_id: str, **query: Any) -> list[str]:
    return [
        strict(EnvironmentFile, f).path
        for f in client.beta.agents.environments.files.list(environment_id, **query)
    ]


# -- files.create and files.upload -----------------------------------------------------------


def test_files_create_stages_inline_bytes_and_uploaded_files(
    client: openai.OpenAI, environment_id: str
) -> None:
    inline = client.beta.agents.environments.files.create(
        environment_id, type="inline", data=b64(b"hola mundo"), path="/workspace/notes/hola.txt"
    )
    strict(EnvironmentFile, inline)
    assert (inline.environment_id, inline.object, inline.path, inline.size_bytes) == (
        environment_id,
        "agent.environment.file",
        "/workspace/notes/hola.txt",
        10,
    )
    uploaded = upload(client, "verbs.csv", b"ser,to be\n")
    staged = client.beta.agents.environments.files.create(
        environment_id, type="file_id", file_id=uploaded.id, path="/workspace/data/verbs.csv"
    )
    assert strict(EnvironmentFile, staged).size_bytes == len(b"ser,to be\n")
    assert paths(client, environment_id) == ["/workspace/notes/hola.txt", "/workspace/data/verbs.csv"]
    info = strict(EnvironmentInfo, client.beta.agents.environments.retrieve(environment_id))
    assert sorted(f.path for f in info.files) == ["/workspace/data/verbs.csv", "/workspace/notes/hola.txt"]


def test_a_file_at_the_same_path_replaces_the_old_one(client: openai.OpenAI, environment_id: str) -> None:
    files = client.beta.agents.environments.files
    files.create(environment_id, type="inline", data=b64(b"one"), path="/workspace/a.txt")
    replaced = files.create(environment_id, type="inline", data=b64(b"three"), path="/workspace/a.txt")
    assert replaced.size_bytes == 5
    listed = list(files.list(environment_id))
    assert [(f.path, f.size_bytes) for f in listed] == [("/workspace/a.txt", 5)]
    info = client.beta.agents.environments.retrieve(environment_id)
    assert len(info.files) == 1 and info.files[0].size_bytes == 5


def test_the_sdk_upload_helper_stages_a_local_file(client: openai.OpenAI, environment_id: str) -> None:
    staged = client.beta.agents.environments.files.upload(
        environment_id, file=("report.md", b"# Report\n"), path="/workspace/in/report.md"
    )
    strict(EnvironmentFile, staged.file)
    assert staged.file.path == "/workspace/in/report.md" and staged.file.size_bytes == 9
    assert client.files.retrieve(staged.uploaded_file_id).purpose == "user_data"
    assert paths(client, environment_id) == ["/workspace/in/report.md"]


def test_a_session_sees_a_file_staged_in_its_environment(client: openai.OpenAI, environment_id: str) -> None:
    agent = client.beta.agents.create(model="gpt-5.4")
    client.beta.agents.environments.files.create(
        environment_id, type="inline", data=b64(b"x"), path="/workspace/x.txt"
    )
    session = client.beta.agents.sessions.create(
        agent_id=agent.id, environment={"type": "openai_hosted", "environment_id": environment_id}
    )
    assert [f.path for f in strict(AgentSession, session).environment.files] == ["/workspace/x.txt"]


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"type": "inline", "data": "aGk=", "path": "/etc/passwd"}, 400, "path"),
        ({"type": "inline", "data": "aGk=", "path": "/workspace"}, 400, "path"),
        ({"type": "inline", "data": "aGk=", "path": "/workspace/"}, 400, "path"),
        ({"type": "inline", "data": "aGk=", "path": "/workspace/a/../../etc/x"}, 400, "path"),
        ({"type": "inline", "data": "aGk=", "path": "/workspace/a//b"}, 400, "path"),
        ({"type": "inline", "data": "aGk=", "path": "/workspace/.codex/config"}, 400, "path"),
        ({"type": "inline", "data": "aGk=", "path": "/workspace/.managed-agents-1/x"}, 400, "path"),
        ({"type": "inline", "data": "aGk=", "path": "/workspace/outputs"}, 400, "path"),
        ({"type": "inline", "data": "not base64!", "path": "/workspace/x"}, 400, "data"),
        ({"type": "inline", "path": "/workspace/x"}, 400, "data"),
        ({"type": "file_id", "file_id": "file-missing", "path": "/workspace/x"}, 404, "file_id"),
        ({"type": "file_id", "path": "/workspace/x"}, 400, "file_id"),
        ({"type": "url", "path": "/workspace/x"}, 400, "type"),
        ({"data": "aGk=", "path": "/workspace/x"}, 400, "type"),
        ({"type": "inline", "data": "aGk="}, 400, "path"),
        ({"type": "inline", "data": "aGk=", "path": "/workspace/x", "mode": "0644"}, 400, "mode"),
        ({"type": "inline", "data": "aGk=", "path": "/workspace/a.txt/b"}, 400, "path"),
        ({"type": "inline", "data": "aGk=", "path": "/workspace/dir"}, 400, "path"),
    ],
)
def test_files_create_validates_like_the_api(
    client: openai.OpenAI,
    http: httpx2.Client,
    environment_id: str,
    body: dict[str, Any],
    status: int,
    param: str,
) -> None:
    files = client.beta.agents.environments.files
    files.create(environment_id, type="inline", data="aGk=", path="/workspace/a.txt")
    files.create(environment_id, type="inline", data="aGk=", path="/workspace/dir/b.txt")
    response = http.post(f"/agents/environments/{environment_id}/files", headers=BETA, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error" and error["message"]
    assert paths(client, environment_id) == ["/workspace/dir/b.txt", "/workspace/a.txt"]


def test_files_of_an_unknown_environment_are_404(client: openai.OpenAI, http: httpx2.Client) -> None:
    with pytest.raises(openai.NotFoundError, match="No environment found"):
        client.beta.agents.environments.files.create(
            "env_nope", type="inline", data="aGk=", path="/workspace/x"
        )
    response = http.post(
        "/agents/environments/env_nope/files", json={"type": "inline", "data": "", "path": "/x"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "missing_beta_header"


# -- files.list: a directory, ordered by path, token pages ------------------------------------


def test_list_filters_by_directory_orders_by_path_and_pages(
    client: openai.OpenAI, environment_id: str
) -> None:
    files = client.beta.agents.environments.files
    for path in (
        "/workspace/b/2.txt",
        "/workspace/a.txt",
        "/workspace/b/1.txt",
        "/workspace/bb.txt",
        "/workspace/c",
    ):
        files.create(environment_id, type="inline", data="aGk=", path=path)
    everything = [
        "/workspace/c",
        "/workspace/bb.txt",
        "/workspace/b/2.txt",
        "/workspace/b/1.txt",
        "/workspace/a.txt",
    ]
    assert paths(client, environment_id) == everything  # descending by default
    assert paths(client, environment_id, order="asc") == everything[::-1]
    assert paths(client, environment_id, path="/workspace/b") == ["/workspace/b/2.txt", "/workspace/b/1.txt"]
    assert paths(client, environment_id, path="/workspace/b/") == ["/workspace/b/2.txt", "/workspace/b/1.txt"]
    assert paths(client, environment_id, path="/workspace/nothing") == []
    first = files.list(environment_id, limit=2, order="asc")
    assert [f.path for f in first.data] == everything[::-1][:2] and first.has_more and first.next
    second = first.get_next_page()
    assert [f.path for f in second.data] == everything[::-1][2:4] and second.has_more
    walked = [f.path for f in files.list(environment_id, limit=2, order="asc")]  # auto-paging
    assert walked == everything[::-1]
    last = files.list(environment_id, limit=5)
    assert not last.has_more and last.next is None


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ({"limit": "0"}, "limit"),
        ({"order": "up"}, "order"),
        ({"path": "/etc"}, "path"),
        ({"page": "%%%"}, "page"),
    ],
)
def test_list_validates_its_query(
    http: httpx2.Client, environment_id: str, query: dict[str, str], param: str
) -> None:
    response = http.get(f"/agents/environments/{environment_id}/files", headers=BETA, params=query)
    assert response.status_code == 400 and response.json()["error"]["param"] == param


# -- skills a template pins, installed in the session's environment ----------------------------


def skill_zip(name: str, description: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{name}/SKILL.md", f"---\nname: {name}\ndescription: {description}\n---\nBody.\n")
    return buffer.getvalue()


def test_a_session_installs_the_skills_its_template_pins(client: openai.OpenAI) -> None:
    grammar = client.skills.create(files=("g.zip", skill_zip("grammar", "Spanish grammar")))
    client.skills.versions.create(grammar.id, files=("g.zip", skill_zip("grammar", "Spanish grammar v2")))
    verbs = client.skills.create(files=("v.zip", skill_zip("verbs", "Verb tables")))
    template = client.beta.agents.environments.templates.create(
        skills=[
            {"type": "skill_reference", "skill_id": grammar.id},  # the default version: "1"
            {"type": "skill_reference", "skill_id": grammar.id, "version": "latest"},
            {"type": "skill_reference", "skill_id": verbs.id, "version": "1"},
            {
                "type": "inline",
                "name": "notes",
                "description": "Note taking",
                "source": {
                    "type": "base64",
                    "data": b64(skill_zip("notes", "Note taking")),
                    "media_type": "application/zip",
                },
            },
        ]
    )
    assert [s.type for s in template.skills] == ["skill_reference"] * 3 + [
        "inline"
    ]  # selectors kept as given
    agent = client.beta.agents.create(model="gpt-5.4")
    session = client.beta.agents.sessions.create(
        agent_id=agent.id,
        environment={"type": "openai_hosted", "environment_template_id": template.id},
        input="/skills",
    )
    environment = strict(AgentSession, session).environment
    assert environment.type == "openai_hosted"
    installed = [skill.model_dump() for skill in environment.skills]
    assert installed == [
        {
            "description": "Spanish grammar",
            "name": "grammar",
            "skill_id": grammar.id,
            "type": "skill_reference",
            "version": "1",
        },
        {
            "description": "Spanish grammar v2",
            "name": "grammar",
            "skill_id": grammar.id,
            "type": "skill_reference",
            "version": "2",
        },
        {
            "description": "Verb tables",
            "name": "verbs",
            "skill_id": verbs.id,
            "type": "skill_reference",
            "version": "1",
        },
        {"description": "Note taking", "name": "notes", "type": "inline"},
    ]
    info = strict(EnvironmentInfo, client.beta.agents.environments.retrieve(environment.id))
    assert [skill.model_dump() for skill in info.skills] == installed
    # the built-in model sees them: /skills names what is installed
    reply = [
        item
        for item in client.beta.agents.sessions.items.list(session.id, order="asc")
        if item.type == "message"
    ]
    assert reply[-1].content[0].text == (  # type: ignore[union-attr]
        f"skills: grammar (Spanish grammar) [{grammar.id}@1], grammar (Spanish grammar v2) [{grammar.id}@2], "
        f"verbs (Verb tables) [{verbs.id}@1], notes (Note taking)"
    )


def test_a_session_without_skills_says_so(client: openai.OpenAI) -> None:
    session = client.beta.agents.sessions.create(
        environment={"type": "none"}, agent={"model": "m"}, input="/skills"
    )
    items = [
        item
        for item in client.beta.agents.sessions.items.list(session.id, order="asc")
        if item.type == "message"
    ]
    assert items[-1].content[0].text == "skills: none"  # type: ignore[union-attr]


def test_a_pinned_skill_that_is_gone_fails_the_session_start(
    client: openai.OpenAI, http: httpx2.Client
) -> None:
    skill = client.skills.create(files=("g.zip", skill_zip("grammar", "Spanish grammar")))
    pinned = client.beta.agents.environments.templates.create(
        skills=[{"type": "skill_reference", "skill_id": skill.id, "version": "7"}]
    )
    body = {
        "environment": {"type": "openai_hosted", "environment_template_id": pinned.id},
        "agent": {"model": "m"},
    }
    response = http.post("/agents/sessions", headers=BETA, json=body)
    assert (
        response.status_code == 404 and response.json()["error"]["param"] == "environment.skills[0].version"
    )
    client.skills.delete(skill.id)
    loose = client.beta.agents.environments.templates.create(
        skills=[{"type": "skill_reference", "skill_id": skill.id}]
    )
    body["environment"]["environment_template_id"] = loose.id
    response = http.post("/agents/sessions", headers=BETA, json=body)
    assert (
        response.status_code == 404 and response.json()["error"]["param"] == "environment.skills[0].skill_id"
    )
