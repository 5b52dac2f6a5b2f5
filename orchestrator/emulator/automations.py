"""`/v1/agents/automations` (beta, header `OpenAI-Beta: agents=v1`): schedules that start agent work.

Periodic automations carry a five-field cron `expression` read in a `timezone`; one-time ones a
future `run_at`. A new-session target names a saved agent (`agent_id`) or carries an inline `agent`
(its tools up to 8 MiB), an environment and vaults (all checked to exist); an existing-session target
a session. `pause` and `resume` flip `status`.
Invocations are recorded for manual runs (`POST .../invocations`) and only listed; the emulator
schedules nothing by itself.
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from orchestrator.emulator import agents, vaults
from orchestrator.emulator.agents import require_beta_header
from orchestrator.emulator.context import (
    ApiRequest,
    Context,
    Endpoint,
    Reply,
    list_envelope,
    new_id,
    parse_list_query,
    public,
)
from orchestrator.emulator.errors import invalid, not_found
from orchestrator.emulator.schemas import AGENT_FIELDS, METADATA, SESSION_INPUT_MESSAGE
from orchestrator.emulator.validation import Arr, Map, Num, Obj, Str, Tagged, check_body

KIND = "automation"
INVOCATION = "automation_invocation"
CRON_FIELD = re.compile(
    r"^(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?)*$"
)
SKILL_REFERENCE = Obj(
    {"type": Str(enum=("skill_reference",)), "skill_id": Str(min_length=1), "version": Str(nullable=True)},
    required=("type", "skill_id"),
)
ENVIRONMENT = Tagged(
    {
        "none": Obj({"type": Str()}),
        "openai_hosted": Obj(
            {
                "type": Str(),
                "environment_id": Str(min_length=1),
                "environment_template_id": Str(min_length=1),
                "container_size": Str(enum=("small", "medium", "large")),
                "network": Obj(
                    {
                        "access": Str(enum=("enabled", "disabled", "restricted")),
                        "allowed_domains": Arr(Str(), nullable=True),
                    },
                    required=("access",),
                    nullable=True,
                ),
                "packages": Obj(
                    {
                        "npm": Arr(Str(), nullable=True),
                        "python": Arr(Str(), nullable=True),
                        "system": Arr(Str(), nullable=True),
                    },
                    nullable=True,
                ),
                "skills": Arr(SKILL_REFERENCE, nullable=True),
            }
        ),
        "self_hosted": Obj(
            {
                "type": Str(),
                "workspace_directory": Str(min_length=1),
                "capability_directories": Arr(Str(), nullable=True),
                "environment_id": Str(min_length=1),
            },
            required=("workspace_directory",),
        ),
    }
)
TARGET = Tagged(
    {
        "new_session": Obj(
            {
                "type": Str(),
                "agent": Obj({k: v for k, v in AGENT_FIELDS.items() if k not in ("name", "metadata")}),
                "agent_id": Str(min_length=1),
                "environment": ENVIRONMENT,
                "input": Arr(SESSION_INPUT_MESSAGE),
                "metadata": Map(Str(max_length=512), nullable=True),
                "vault_ids": Arr(Str(), nullable=True),
            },
            required=("environment", "input"),
        ),
        "existing_session": Obj(
            {"type": Str(), "session_id": Str(min_length=1), "instructions": Str(min_length=1)},
            required=("session_id", "instructions"),
        ),
    }
)
NAME = Str(min_length=1, max_length=256)
CREATE = Tagged(
    {
        "periodic": Obj(
            {
                "type": Str(),
                "name": NAME,
                "expression": Str(min_length=1),
                "timezone": Str(min_length=1),
                "target": TARGET,
                "metadata": METADATA,
            },
            required=("name", "expression", "timezone", "target"),
        ),
        "once": Obj(
            {
                "type": Str(),
                "name": NAME,
                "run_at": Num(0, integer=True),
                "target": TARGET,
                "metadata": METADATA,
            },
            required=("name", "run_at", "target"),
        ),
    }
)
UPDATE = Obj(
    {
        "name": NAME,
        "expression": Str(min_length=1),
        "timezone": Str(min_length=1),
        "run_at": Num(0, integer=True),
        "target": TARGET,
        "metadata": METADATA,
    }
)


def check_expression(expression: str) -> str:
    fields = expression.split()
    if len(fields) != 5 or not all(CRON_FIELD.match(field) for field in fields):
        raise invalid(
            f"Invalid 'expression': '{expression}' is not a five-field cron expression "
            "(minute hour day-of-month month day-of-week).",
            "expression",
        )
    return " ".join(fields)


def check_timezone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise invalid(f"Invalid 'timezone': '{name}' is not an IANA time zone.", "timezone") from None
    return name


def check_run_at(ctx: Context, run_at: int) -> int:
    if run_at <= ctx.now():
        raise invalid("Invalid 'run_at': expected a future Unix timestamp in seconds.", "run_at")
    return int(run_at)


def resolve_environment(env: dict[str, Any]) -> dict[str, Any]:
    """The environment as the SDK's `AutomationEnvironment` shows it."""
    kind = env["type"]
    if kind == "none":
        return {"type": "none"}
    if kind == "self_hosted":
        return {
            "type": kind,
            "workspace_directory": env["workspace_directory"],
            "capability_directories": env.get("capability_directories") or [],
            "environment_id": env.get("environment_id"),
        }
    network = env.get("network")
    packages = env.get("packages")
    return {
        "type": kind,
        "environment_id": env.get("environment_id"),
        "environment_template_id": env.get("environment_template_id"),
        "container_size": env.get("container_size"),
        "capability_directories": None,
        "desktop": None,
        "files": None,
        "plugins": None,
        "network": {"access": network["access"], "allowed_domains": network.get("allowed_domains") or []}
        if network
        else None,
        "packages": {k: (packages or {}).get(k) or [] for k in ("npm", "python", "system")}
        if packages
        else None,
        "skills": [
            {"type": "skill_reference", "skill_id": s["skill_id"], "version": s.get("version")}
            for s in env["skills"]
        ]
        if env.get("skills") is not None
        else None,
    }


def resolve_target(ctx: Context, target: dict[str, Any]) -> dict[str, Any]:
    if target["type"] == "existing_session":
        return dict(target)
    config = None
    if "agent" in target and "agent_id" in target:
        raise invalid(
            "Provide exactly one of 'target.agent' and 'target.agent_id', not both.", "target.agent"
        )
    if "agent" in target:
        if "model" not in target["agent"]:
            raise invalid(
                "Missing required parameter: 'target.agent.model' (an inline agent names its model).",
                "target.agent.model",
                "missing_required_parameter",
            )
        config = agents.inline_config(target["agent"], "target.agent.")
    elif "agent_id" not in target:
        raise invalid(
            "Missing required parameter: 'target.agent_id'. Give 'agent_id', or an inline 'agent'.",
            "target.agent_id",
            "missing_required_parameter",
        )
    elif ctx.store.get(agents.KIND, target["agent_id"]) is None:
        raise invalid(
            f"Invalid 'target.agent_id': no agent found with id '{target['agent_id']}'.", "target.agent_id"
        )
    vault_ids = list(target.get("vault_ids") or [])
    for index, vault_id in enumerate(vault_ids):
        if ctx.store.get(vaults.VAULT, vault_id) is None:
            raise invalid(
                f"Invalid 'target.vault_ids[{index}]': no vault found with id '{vault_id}'.",
                f"target.vault_ids[{index}]",
            )
    metadata = target.get("metadata") or {}
    return {
        "type": "new_session",
        "agent": config,
        "agent_id": target.get("agent_id"),
        "environment": resolve_environment(target["environment"]),
        "input": [
            {"type": "message", "role": "user", "content": item["content"]} for item in target["input"]
        ],
        "metadata": dict(metadata),
        "vault_ids": vault_ids,
    }


def load(ctx: Context, automation_id: str) -> dict[str, Any]:
    body = ctx.store.get(KIND, automation_id)
    if body is None:
        raise not_found(f"No automation found with id '{automation_id}'.", None, "not_found")
    return body


def create(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    payload = check_body(CREATE, request.body)
    body: dict[str, Any] = {
        "id": new_id("auto_"),
        "object": "agent.automation",
        "type": payload["type"],
        "created_at": ctx.now(),
        "created_by": {"type": "developer"},
        "name": payload["name"],
        "metadata": dict(payload.get("metadata") or {}),
        "status": "active",
        "pause_reason": None,
        "target": resolve_target(ctx, payload["target"]),
    }
    if payload["type"] == "periodic":
        body["expression"] = check_expression(payload["expression"])
        body["timezone"] = check_timezone(payload["timezone"])
    else:
        body["run_at"] = check_run_at(ctx, payload["run_at"])
    ctx.store.insert(KIND, body)
    return Reply(public(body))


def retrieve(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    return Reply(public(load(ctx, request.path_params["automation_id"])))


def update(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    body = load(ctx, request.path_params["automation_id"])
    payload = check_body(UPDATE, request.body or {})
    periodic = body["type"] == "periodic"
    for key in ("expression", "timezone"):
        if key in payload and not periodic:
            raise invalid(f"Invalid '{key}': only accepted for periodic automations.", key)
    if "run_at" in payload and periodic:
        raise invalid("Invalid 'run_at': only accepted for one-time automations.", "run_at")
    if "target" in payload and payload["target"]["type"] != body["target"]["type"]:
        raise invalid("Invalid 'target.type': a target keeps its type.", "target.type")
    if "name" in payload:
        body["name"] = payload["name"]
    if "metadata" in payload:
        body["metadata"] = dict(payload["metadata"])
    if "expression" in payload:
        body["expression"] = check_expression(payload["expression"])
    if "timezone" in payload:
        body["timezone"] = check_timezone(payload["timezone"])
    if "run_at" in payload:
        body["run_at"] = check_run_at(ctx, payload["run_at"])
    if "target" in payload:
        body["target"] = resolve_target(ctx, payload["target"])
    ctx.store.replace(KIND, body)
    return Reply(public(body))


def delete(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    automation_id = request.path_params["automation_id"]
    load(ctx, automation_id)
    ctx.store.delete_children(INVOCATION, automation_id)
    ctx.store.delete(KIND, automation_id)
    return Reply({"id": automation_id, "object": "agent.automation.deleted", "deleted": True})


def list_automations(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    query = parse_list_query(request.query, allow_before=False)
    session_id = request.query.get("session_id")
    page = ctx.store.page(KIND, limit=query.limit, order=query.order, after=query.after)
    items = [
        item for item in page.items if session_id is None or item["target"].get("session_id") == session_id
    ]
    return Reply(list_envelope(type(page)(tuple(items), page.has_more), public))


def pause(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    body = load(ctx, request.path_params["automation_id"])
    if body["status"] == "completed":
        raise invalid("This one-time automation has completed; it cannot be paused.", None)
    body["status"] = "paused"
    ctx.store.replace(KIND, body)
    return Reply(public(body))


def resume(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    body = load(ctx, request.path_params["automation_id"])
    if body["status"] == "completed":
        raise invalid("This one-time automation has completed; it cannot be resumed.", None)
    body["status"] = "active"
    body["pause_reason"] = None
    ctx.store.replace(KIND, body)
    return Reply(public(body))


# Invocations (listed, and recorded for manual runs)


def create_invocation(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    automation_id = request.path_params["automation_id"]
    load(ctx, automation_id)
    body = {
        "id": new_id("autoinv_"),
        "object": "agent.automation.invocation",
        "automation_id": automation_id,
        "created_at": ctx.now(),
        "error": None,
        "scheduled_at": None,
        "session_id": None,
        "skip_reason": None,
        "source": {"type": "manual"},
        "status": "queued",
    }
    ctx.store.insert(INVOCATION, body, parent=automation_id)
    return Reply(public(body))


def retrieve_invocation(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    params = request.path_params
    load(ctx, params["automation_id"])
    body = ctx.store.get(INVOCATION, params["invocation_id"], parent=params["automation_id"])
    if body is None:
        raise not_found(f"No invocation found with id '{params['invocation_id']}'.", None, "not_found")
    return Reply(public(body))


def list_invocations(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    automation_id = request.path_params["automation_id"]
    load(ctx, automation_id)
    query = parse_list_query(request.query, allow_before=False)
    page = ctx.store.page(
        INVOCATION, parent=automation_id, limit=query.limit, order=query.order, after=query.after
    )
    return Reply(list_envelope(page, public))


ENDPOINTS = (
    Endpoint("GET", "/v1/agents/automations", list_automations),
    Endpoint("POST", "/v1/agents/automations", create),
    Endpoint("GET", "/v1/agents/automations/{automation_id}", retrieve),
    Endpoint("POST", "/v1/agents/automations/{automation_id}", update),
    Endpoint("DELETE", "/v1/agents/automations/{automation_id}", delete),
    Endpoint("POST", "/v1/agents/automations/{automation_id}/pause", pause),
    Endpoint("POST", "/v1/agents/automations/{automation_id}/resume", resume),
    Endpoint("GET", "/v1/agents/automations/{automation_id}/invocations", list_invocations),
    Endpoint("POST", "/v1/agents/automations/{automation_id}/invocations", create_invocation),
    Endpoint(
        "GET", "/v1/agents/automations/{automation_id}/invocations/{invocation_id}", retrieve_invocation
    ),
)
