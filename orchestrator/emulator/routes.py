"""The route table: (method, path template, handler). The template names the request counters."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from orchestrator.emulator import (
    agent_sessions,
    agents,
    assistants,
    automations,
    environments,
    files,
    skills,
    threads,
    vaults,
    vector_stores,
)
from orchestrator.emulator.context import ApiRequest, Context, Reply

Handler = Callable[[Context, ApiRequest], Reply]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str
    handler: Handler
    pattern: re.Pattern[str]
    uploads: bool = False  # a multipart file upload: the file size limit applies, not the JSON one

    @property
    def name(self) -> str:
        """The counter key: "METHOD /v1/template" with the first path parameter shown as {id}."""
        first = re.search(r"\{(\w+)\}", self.template)
        template = self.template.replace(first.group(0), "{id}", 1) if first else self.template
        return f"{self.method} {template}"


# path segments under /v1/agents that name a collection, never an agent: with no route of their own
# (yet) they answer 404 "Invalid URL" instead of being read as an agent id
AGENT_COLLECTIONS = ("sessions", "environments", "automations")
RESERVED = {"agent_id": AGENT_COLLECTIONS}


def compile_template(template: str) -> re.Pattern[str]:
    def parameter(found: re.Match[str]) -> str:
        name = found.group(1)
        reserved = "".join(f"(?!{re.escape(word)}$)" for word in RESERVED.get(name, ()))
        return f"(?P<{name}>{reserved}[^/]+)"

    return re.compile("^" + re.sub(r"\{(\w+)\}", parameter, template) + "$")


def route(method: str, template: str, handler: Handler, *, uploads: bool = False) -> Route:
    return Route(method, template, handler, compile_template(template), uploads)


VS = "/v1/vector_stores/{vector_store_id}"
RUNS = "/v1/threads/{thread_id}/runs"
SESSIONS = "/v1/agents/sessions"
AUTOMATIONS = "/v1/agents/automations"
VAULT = "/v1/vaults/{vault_id}"
SKILL = "/v1/skills/{skill_id}"
TEMPLATES = "/v1/agents/environments/templates"
ENVIRONMENTS = "/v1/agents/environments"
ROUTES: tuple[Route, ...] = (
    route("GET", "/v1/assistants", assistants.list_assistants),
    route("POST", "/v1/assistants", assistants.create),
    route("GET", "/v1/assistants/{assistant_id}", assistants.retrieve),
    route("POST", "/v1/assistants/{assistant_id}", assistants.modify),
    route("DELETE", "/v1/assistants/{assistant_id}", assistants.delete),
    route("GET", "/v1/files", files.list_files),
    route("POST", "/v1/files", files.upload, uploads=True),
    route("GET", "/v1/files/{file_id}", files.retrieve),
    route("DELETE", "/v1/files/{file_id}", files.delete),
    route("GET", "/v1/files/{file_id}/content", files.content),
    route("GET", "/v1/vector_stores", vector_stores.list_stores),
    route("POST", "/v1/vector_stores", vector_stores.create),
    route("GET", VS, vector_stores.retrieve),
    route("POST", VS, vector_stores.modify),
    route("DELETE", VS, vector_stores.delete),
    route("POST", VS + "/search", vector_stores.search_store),
    route("GET", VS + "/files", vector_stores.list_files),
    route("POST", VS + "/files", vector_stores.create_file),
    route("GET", VS + "/files/{file_id}", vector_stores.retrieve_file),
    route("POST", VS + "/files/{file_id}", vector_stores.update_file),
    route("DELETE", VS + "/files/{file_id}", vector_stores.delete_file),
    route("GET", VS + "/files/{file_id}/content", vector_stores.file_content),
    route("POST", VS + "/file_batches", vector_stores.create_batch),
    route("GET", VS + "/file_batches/{batch_id}", vector_stores.retrieve_batch),
    route("POST", VS + "/file_batches/{batch_id}/cancel", vector_stores.cancel_batch),
    route("GET", VS + "/file_batches/{batch_id}/files", vector_stores.list_batch_files),
    route("POST", "/v1/threads", threads.create_thread),
    route("POST", "/v1/threads/runs", threads.create_thread_and_run),
    route("GET", "/v1/threads/{thread_id}", threads.retrieve_thread),
    route("POST", "/v1/threads/{thread_id}", threads.modify_thread),
    route("DELETE", "/v1/threads/{thread_id}", threads.delete_thread),
    route("GET", "/v1/threads/{thread_id}/messages", threads.list_messages),
    route("POST", "/v1/threads/{thread_id}/messages", threads.create_message),
    route("GET", "/v1/threads/{thread_id}/messages/{message_id}", threads.retrieve_message),
    route("POST", "/v1/threads/{thread_id}/messages/{message_id}", threads.modify_message),
    route("DELETE", "/v1/threads/{thread_id}/messages/{message_id}", threads.delete_message),
    route("GET", RUNS, threads.list_runs),
    route("POST", RUNS, threads.create_run),
    route("GET", RUNS + "/{run_id}", threads.retrieve_run),
    route("POST", RUNS + "/{run_id}", threads.modify_run),
    route("POST", RUNS + "/{run_id}/cancel", threads.cancel_run),
    route("POST", RUNS + "/{run_id}/submit_tool_outputs", threads.submit_tool_outputs),
    route("GET", RUNS + "/{run_id}/steps", threads.list_steps),
    route("GET", RUNS + "/{run_id}/steps/{step_id}", threads.retrieve_step),
    # sessions first: "/v1/agents/sessions" would otherwise match "/v1/agents/{agent_id}"
    route("GET", SESSIONS, agent_sessions.list_sessions),
    route("POST", SESSIONS, agent_sessions.create_session),
    route("GET", SESSIONS + "/{session_id}", agent_sessions.retrieve_session),
    route("POST", SESSIONS + "/{session_id}", agent_sessions.update_session),
    route("DELETE", SESSIONS + "/{session_id}", agent_sessions.delete_session),
    route("POST", SESSIONS + "/{session_id}/events", agent_sessions.create_events),
    route("GET", SESSIONS + "/{session_id}/events", agent_sessions.stream_events),
    route("GET", SESSIONS + "/{session_id}/items", agent_sessions.list_items),
    route("GET", SESSIONS + "/{session_id}/turns", agent_sessions.list_turns),
    route("GET", SESSIONS + "/{session_id}/turns/{turn_id}", agent_sessions.retrieve_turn),
    route("GET", SESSIONS + "/{session_id}/turns/{turn_id}/items", agent_sessions.list_turn_items),
    # automations before "/v1/agents/{agent_id}" too
    route("GET", AUTOMATIONS, automations.list_automations),
    route("POST", AUTOMATIONS, automations.create),
    route("GET", AUTOMATIONS + "/{automation_id}", automations.retrieve),
    route("POST", AUTOMATIONS + "/{automation_id}", automations.update),
    route("DELETE", AUTOMATIONS + "/{automation_id}", automations.delete),
    route("POST", AUTOMATIONS + "/{automation_id}/pause", automations.pause),
    route("POST", AUTOMATIONS + "/{automation_id}/resume", automations.resume),
    route("GET", AUTOMATIONS + "/{automation_id}/invocations", automations.list_invocations),
    route("POST", AUTOMATIONS + "/{automation_id}/invocations", automations.create_invocation),
    route(
        "GET", AUTOMATIONS + "/{automation_id}/invocations/{invocation_id}", automations.retrieve_invocation
    ),
    # environments before "/v1/agents/{agent_id}" too, templates before "/v1/agents/environments/{id}"
    route("GET", TEMPLATES, environments.list_templates),
    route("POST", TEMPLATES, environments.create_template),
    route("GET", TEMPLATES + "/{environment_template_id}", environments.retrieve_template),
    route("POST", TEMPLATES + "/{environment_template_id}", environments.update_template),
    route("DELETE", TEMPLATES + "/{environment_template_id}", environments.delete_template),
    route("GET", ENVIRONMENTS, environments.list_environments),
    route("POST", ENVIRONMENTS, environments.create_environment),
    route("GET", ENVIRONMENTS + "/{environment_id}", environments.retrieve_environment),
    route("GET", ENVIRONMENTS + "/{environment_id}/files", environments.list_environment_files),
    route("POST", ENVIRONMENTS + "/{environment_id}/files", environments.create_environment_file),
    route("GET", "/v1/agents", agents.list_agents),
    route("POST", "/v1/agents", agents.create),
    route("GET", "/v1/agents/{agent_id}", agents.retrieve),
    route("POST", "/v1/agents/{agent_id}", agents.update),
    route("DELETE", "/v1/agents/{agent_id}", agents.delete),
    route("GET", "/v1/vaults", vaults.list_vaults),
    route("POST", "/v1/vaults", vaults.create_vault),
    route("GET", VAULT, vaults.retrieve_vault),
    route("POST", VAULT, vaults.update_vault),
    route("DELETE", VAULT, vaults.delete_vault),
    route("GET", VAULT + "/credentials", vaults.list_credentials),
    route("POST", VAULT + "/credentials", vaults.create_credential),
    route("GET", VAULT + "/credentials/{credential_id}", vaults.retrieve_credential),
    route("POST", VAULT + "/credentials/{credential_id}", vaults.update_credential),
    route("DELETE", VAULT + "/credentials/{credential_id}", vaults.delete_credential),
    route("GET", "/v1/skills", skills.list_skills),
    route("POST", "/v1/skills", skills.create, uploads=True),
    route("GET", SKILL, skills.retrieve),
    route("POST", SKILL, skills.update),
    route("DELETE", SKILL, skills.delete),
    route("GET", SKILL + "/content", skills.content),
    route("GET", SKILL + "/versions", skills.list_versions),
    route("POST", SKILL + "/versions", skills.create_version, uploads=True),
    route("GET", SKILL + "/versions/{version}", skills.retrieve_version),
    route("DELETE", SKILL + "/versions/{version}", skills.delete_version),
    route("GET", SKILL + "/versions/{version}/content", skills.version_content),
)


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for candidate in ROUTES:
        if candidate.method != method:
            continue
        found = candidate.pattern.match(path)
        if found:
            return candidate, found.groupdict()
    return None
