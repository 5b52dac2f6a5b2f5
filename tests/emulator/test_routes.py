"""The route table is assembled from the modules' own ENDPOINTS, with a matching rule read off the table.

Pure logic over the table (no server) beside the HTTP checks of the same rule.
"""

from __future__ import annotations

import inspect
import re

import httpx2
import pytest

from orchestrator.emulator import routes
from orchestrator.emulator.context import ApiRequest, Context, Endpoint, Reply
from orchestrator.emulator.routes import ROUTES, assemble, match

# The table as it was when routes.py still listed every endpoint itself (generated from its ROUTES):
# "METHOD template module.handler", "uploads" for a multipart upload.
BEFORE = """
GET /v1/assistants assistants.list_assistants
POST /v1/assistants assistants.create
GET /v1/assistants/{assistant_id} assistants.retrieve
POST /v1/assistants/{assistant_id} assistants.modify
DELETE /v1/assistants/{assistant_id} assistants.delete
GET /v1/files files.list_files
POST /v1/files files.upload uploads
GET /v1/files/{file_id} files.retrieve
DELETE /v1/files/{file_id} files.delete
GET /v1/files/{file_id}/content files.content
GET /v1/vector_stores vector_stores.list_stores
POST /v1/vector_stores vector_stores.create
GET /v1/vector_stores/{vector_store_id} vector_stores.retrieve
POST /v1/vector_stores/{vector_store_id} vector_stores.modify
DELETE /v1/vector_stores/{vector_store_id} vector_stores.delete
POST /v1/vector_stores/{vector_store_id}/search vector_stores.search_store
GET /v1/vector_stores/{vector_store_id}/files vector_stores.list_files
POST /v1/vector_stores/{vector_store_id}/files vector_stores.create_file
GET /v1/vector_stores/{vector_store_id}/files/{file_id} vector_stores.retrieve_file
POST /v1/vector_stores/{vector_store_id}/files/{file_id} vector_stores.update_file
DELETE /v1/vector_stores/{vector_store_id}/files/{file_id} vector_stores.delete_file
GET /v1/vector_stores/{vector_store_id}/files/{file_id}/content vector_stores.file_content
POST /v1/vector_stores/{vector_store_id}/file_batches vector_stores.create_batch
GET /v1/vector_stores/{vector_store_id}/file_batches/{batch_id} vector_stores.retrieve_batch
POST /v1/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel vector_stores.cancel_batch
GET /v1/vector_stores/{vector_store_id}/file_batches/{batch_id}/files vector_stores.list_batch_files
POST /v1/threads threads.create_thread
POST /v1/threads/runs threads.create_thread_and_run
GET /v1/threads/{thread_id} threads.retrieve_thread
POST /v1/threads/{thread_id} threads.modify_thread
DELETE /v1/threads/{thread_id} threads.delete_thread
GET /v1/threads/{thread_id}/messages threads.list_messages
POST /v1/threads/{thread_id}/messages threads.create_message
GET /v1/threads/{thread_id}/messages/{message_id} threads.retrieve_message
POST /v1/threads/{thread_id}/messages/{message_id} threads.modify_message
DELETE /v1/threads/{thread_id}/messages/{message_id} threads.delete_message
GET /v1/threads/{thread_id}/runs threads.list_runs
POST /v1/threads/{thread_id}/runs threads.create_run
GET /v1/threads/{thread_id}/runs/{run_id} threads.retrieve_run
POST /v1/threads/{thread_id}/runs/{run_id} threads.modify_run
POST /v1/threads/{thread_id}/runs/{run_id}/cancel threads.cancel_run
POST /v1/threads/{thread_id}/runs/{run_id}/submit_tool_outputs threads.submit_tool_outputs
GET /v1/threads/{thread_id}/runs/{run_id}/steps threads.list_steps
GET /v1/threads/{thread_id}/runs/{run_id}/steps/{step_id} threads.retrieve_step
GET /v1/agents/sessions agent_sessions.list_sessions
POST /v1/agents/sessions agent_sessions.create_session
GET /v1/agents/sessions/{session_id} agent_sessions.retrieve_session
POST /v1/agents/sessions/{session_id} agent_sessions.update_session
DELETE /v1/agents/sessions/{session_id} agent_sessions.delete_session
POST /v1/agents/sessions/{session_id}/events agent_sessions.create_events
GET /v1/agents/sessions/{session_id}/events agent_sessions.stream_events
GET /v1/agents/sessions/{session_id}/items agent_sessions.list_items
GET /v1/agents/sessions/{session_id}/turns agent_sessions.list_turns
GET /v1/agents/sessions/{session_id}/turns/{turn_id} agent_sessions.retrieve_turn
GET /v1/agents/sessions/{session_id}/turns/{turn_id}/items agent_sessions.list_turn_items
GET /v1/agents/automations automations.list_automations
POST /v1/agents/automations automations.create
GET /v1/agents/automations/{automation_id} automations.retrieve
POST /v1/agents/automations/{automation_id} automations.update
DELETE /v1/agents/automations/{automation_id} automations.delete
POST /v1/agents/automations/{automation_id}/pause automations.pause
POST /v1/agents/automations/{automation_id}/resume automations.resume
GET /v1/agents/automations/{automation_id}/invocations automations.list_invocations
POST /v1/agents/automations/{automation_id}/invocations automations.create_invocation
GET /v1/agents/automations/{automation_id}/invocations/{invocation_id} automations.retrieve_invocation
GET /v1/agents/environments/templates environments.list_templates
POST /v1/agents/environments/templates environments.create_template
GET /v1/agents/environments/templates/{environment_template_id} environments.retrieve_template
POST /v1/agents/environments/templates/{environment_template_id} environments.update_template
DELETE /v1/agents/environments/templates/{environment_template_id} environments.delete_template
GET /v1/agents/environments environments.list_environments
POST /v1/agents/environments environments.create_environment
GET /v1/agents/environments/{environment_id} environments.retrieve_environment
GET /v1/agents/environments/{environment_id}/files environments.list_environment_files
POST /v1/agents/environments/{environment_id}/files environments.create_environment_file
GET /v1/agents agents.list_agents
POST /v1/agents agents.create
GET /v1/agents/{agent_id} agents.retrieve
POST /v1/agents/{agent_id} agents.update
DELETE /v1/agents/{agent_id} agents.delete
GET /v1/vaults vaults.list_vaults
POST /v1/vaults vaults.create_vault
GET /v1/vaults/{vault_id} vaults.retrieve_vault
POST /v1/vaults/{vault_id} vaults.update_vault
DELETE /v1/vaults/{vault_id} vaults.delete_vault
GET /v1/vaults/{vault_id}/credentials vaults.list_credentials
POST /v1/vaults/{vault_id}/credentials vaults.create_credential
GET /v1/vaults/{vault_id}/credentials/{credential_id} vaults.retrieve_credential
POST /v1/vaults/{vault_id}/credentials/{credential_id} vaults.update_credential
DELETE /v1/vaults/{vault_id}/credentials/{credential_id} vaults.delete_credential
GET /v1/skills skills.list_skills
POST /v1/skills skills.create uploads
GET /v1/skills/{skill_id} skills.retrieve
POST /v1/skills/{skill_id} skills.update
DELETE /v1/skills/{skill_id} skills.delete
GET /v1/skills/{skill_id}/content skills.content
GET /v1/skills/{skill_id}/versions skills.list_versions
POST /v1/skills/{skill_id}/versions skills.create_version uploads
GET /v1/skills/{skill_id}/versions/{version} skills.retrieve_version
DELETE /v1/skills/{skill_id}/versions/{version} skills.delete_version
GET /v1/skills/{skill_id}/versions/{version}/content skills.version_content
"""


def described(route: routes.Route) -> str:
    module = route.handler.__module__.rsplit(".", 1)[1]
    return f"{route.method} {route.template} {module}.{route.handler.__name__}" + (
        " uploads" if route.uploads else ""
    )


def test_the_assembled_table_has_every_route_of_before() -> None:
    """A kind added later adds routes of its own; none of these may go or change."""
    before = BEFORE.split("\n")[1:-1]
    assert len(before) == len(set(before)) == 101
    assert set(before) <= {described(route) for route in ROUTES}


def test_modules_with_endpoints_do_not_import_routes() -> None:
    """routes.py imports them while it is itself being imported: one importing it back would be read half made."""
    serving = [module for module in routes.endpoint_modules() if hasattr(module, "ENDPOINTS")]
    assert len(serving) >= 10
    for module in serving:
        source = inspect.getsource(module)
        assert "emulator.routes" not in source and "import routes" not in source, module.__name__


def test_counter_names_are_unchanged() -> None:
    names = {route.name for route in ROUTES}
    assert {
        "POST /v1/assistants/{id}",
        "GET /v1/vector_stores/{id}/files/{file_id}",
        "GET /v1/agents/automations/{id}/invocations/{invocation_id}",
        "POST /v1/skills",
    } <= names
    assert len(names) == len(ROUTES)


def answered_by(method: str, path: str) -> routes.Route | None:
    found = match(method, path)
    return found[0] if found else None


def literal_words() -> list[str]:
    return sorted(
        {part for route in ROUTES for part in route.template.split("/") if part and "{" not in part}
    )


def concrete_paths(template: str) -> list[str]:
    """The template with each parameter an id, then with each parameter in turn every literal of the table."""
    plain = re.sub(r"\{\w+\}", "id_1", template)
    paths = [plain]
    for parameter in re.finditer(r"\{\w+\}", template):
        for word in literal_words():
            filled = template[: parameter.start()] + word + template[parameter.end() :]
            paths.append(re.sub(r"\{\w+\}", "id_1", filled))
    return paths


def test_no_path_matches_two_routes() -> None:
    """The first matching route used to win, so the table's order mattered; now at most one can match."""
    for route in ROUTES:
        for path in concrete_paths(route.template):
            for method in ("GET", "POST", "DELETE"):
                matching = [
                    other.template for other in ROUTES if other.method == method and other.pattern.match(path)
                ]
                assert len(matching) <= 1, (method, path, matching)
        assert answered_by(route.method, re.sub(r"\{\w+\}", "id_1", route.template)) is route


@pytest.mark.parametrize("collection", ["sessions", "environments", "automations"])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_agent_collections_are_never_an_agent_id(collection: str, method: str) -> None:
    """What AGENT_COLLECTIONS listed by hand now follows from the table: each is a route of its own."""
    for path in (
        f"/v1/agents/{collection}",
        f"/v1/agents/{collection}/x_1/unknown",
        f"/v1/agents/{collection}/",
    ):
        found = answered_by(method, path)
        assert found is None or found.template.startswith(f"/v1/agents/{collection}"), (path, found)
    assert match("DELETE", f"/v1/agents/{collection}") is None
    agent = answered_by(method, "/v1/agents/agent_1")
    assert agent is not None and agent.template == "/v1/agents/{agent_id}"


def handler(ctx: Context, request: ApiRequest) -> Reply:
    return Reply(None)


@pytest.mark.parametrize("reverse", [False, True])
def test_the_rule_is_read_off_the_table_in_any_order(reverse: bool) -> None:
    """A new collection beside a parameter reserves its word for every method, without naming it anywhere."""
    endpoints = [
        Endpoint("GET", "/v1/things/{thing_id}", handler),
        Endpoint("DELETE", "/v1/things/{thing_id}", handler),
        Endpoint("GET", "/v1/things/{thing_id}/parts", handler),
        Endpoint("POST", "/v1/things/batches", handler),
        Endpoint("GET", "/v1/things/batches/{batch_id}", handler),
    ]
    table = assemble(reversed(endpoints) if reverse else endpoints)

    def answer(method: str, path: str) -> str | None:
        found = [route.template for route in table if route.method == method and route.pattern.match(path)]
        assert len(found) <= 1
        return found[0] if found else None

    assert answer("GET", "/v1/things/t_1") == "/v1/things/{thing_id}"
    assert answer("GET", "/v1/things/batches") is None
    assert answer("DELETE", "/v1/things/batches") is None
    assert answer("GET", "/v1/things/batches/parts") == "/v1/things/batches/{batch_id}"
    assert answer("GET", "/v1/things/batchesX/parts") == "/v1/things/{thing_id}/parts"


def test_two_endpoints_answering_the_same_requests_are_refused() -> None:
    with pytest.raises(
        ValueError, match=r"GET /v1/things/\{b\} answers the same requests as GET /v1/things/\{a\}"
    ):
        assemble([Endpoint("GET", "/v1/things/{a}", handler), Endpoint("GET", "/v1/things/{b}", handler)])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/v1/agents/environments"),
        ("GET", "/v1/agents/sessions/sess_1/unknown"),
        ("DELETE", "/v1/agents/automations"),
        ("GET", "/v1/threads/runs"),  # before: "No thread found with id 'runs'" (the one change of answer)
    ],
)
def test_reserved_words_answer_invalid_url(http: httpx2.Client, method: str, path: str) -> None:
    response = http.request(method, path.removeprefix("/v1"), headers={"OpenAI-Beta": "agents=v1"})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == f"Invalid URL ({method} {path})"
