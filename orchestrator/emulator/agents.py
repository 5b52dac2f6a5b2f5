"""`/v1/agents` (beta, header `OpenAI-Beta: agents=v1`): persisted agent configurations.

Values are resolved as the SDK's `Agent` type requires; update is partial: an omitted field is
unchanged, null resets it to its default, `metadata` and `tools` are replaced whole and
`experimental` is merged by key.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from orchestrator.constants import AGENTS_BETA
from orchestrator.emulator import schemas
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
from orchestrator.emulator.validation import check_body

KIND = "agent"
TOOLS_LIMIT_BYTES = 3 * 1024 * 1024  # a saved agent's tools (agent create and update)
INLINE_TOOLS_LIMIT_BYTES = 8 * 1024 * 1024  # an inline agent's and a session's tools (openai 3.63)
DEFAULT_SUBAGENTS = 6
LOCATION_KEYS = ("city", "country", "region", "timezone")


def require_beta_header(request: ApiRequest) -> None:
    values = {part.strip() for part in request.headers.get("openai-beta", "").split(",")}
    if AGENTS_BETA not in values:
        raise invalid(
            f"You must provide the 'OpenAI-Beta: {AGENTS_BETA}' header to access the Agents API.",
            None,
            "missing_beta_header",
        )


def load_agent(ctx: Context, agent_id: str) -> dict[str, Any]:
    body = ctx.store.get(KIND, agent_id)
    if body is None:
        raise not_found(f"No agent found with id '{agent_id}'.", None, "not_found")
    return body


def resolve_tool(tool: dict[str, Any]) -> dict[str, Any]:
    tool = copy.deepcopy(tool)
    kind = tool["type"]
    if kind == "function":
        tool.setdefault("defer_loading", False)
    elif kind == "programmatic_tool_calling":
        tool.setdefault("enabled", True)
    elif kind == "computer_use":
        tool.setdefault("include_screenshots", False)
    elif kind == "web_search":
        tool["allowed_domains"] = tool.get("allowed_domains")
        tool["context_size"] = tool.get("context_size") or "medium"
        location = tool.get("location")
        tool["location"] = {k: location.get(k) for k in LOCATION_KEYS} if location else None
        tool["mode"] = tool.get("mode") or "live"
    elif kind == "mcp":
        tool["allowed_tools"] = tool.get("allowed_tools")
        tool["connection_origin"] = tool.get("connection_origin") or "service"
        tool["credential_id"] = tool.get("credential_id")
        tool["request_metadata"] = tool.get("request_metadata") or {}
        tool.setdefault("required", False)
        transport = tool["transport"]
        if transport["type"] == "http":
            transport["headers"] = transport.get("headers") or {}
        else:
            transport["args"] = transport.get("args") or []
            transport["env_vars"] = transport.get("env_vars") or []
    return tool


def resolve_tools(
    tools: list[dict[str, Any]] | None, limit: int = TOOLS_LIMIT_BYTES, param: str = "tools"
) -> list[dict[str, Any]]:
    if tools is None:
        return []
    size = len(json.dumps(tools, separators=(",", ":"), ensure_ascii=False).encode())
    if size > limit:
        raise invalid(
            f"Invalid '{param}': the tool list takes {size} bytes of compact JSON; the limit is {limit}.",
            param,
        )
    return [resolve_tool(tool) for tool in tools]


def resolve_reasoning(value: dict[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    return {"effort": value.get("effort"), "summary": value.get("summary")}


def resolve_text(value: dict[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    return {
        "format": value.get("format") or {"type": "text"},
        "verbosity": value.get("verbosity") or "medium",
    }


def resolve_multi_agent(value: dict[str, Any] | None) -> dict[str, Any]:
    if not value or not value.get("enabled"):
        return {"enabled": False, "max_concurrent_subagents": None}
    return {
        "enabled": True,
        "max_concurrent_subagents": value.get("max_concurrent_subagents", DEFAULT_SUBAGENTS),
    }


def resolve_compaction(value: dict[str, Any] | None) -> dict[str, Any]:
    """`async` is accepted and ignored since openai 3.63: "Context compaction is always blocking"."""
    return {"async": False}


def apply_fields(
    body: dict[str, Any], payload: dict[str, Any], *, tools_limit: int = TOOLS_LIMIT_BYTES, prefix: str = ""
) -> None:
    """Set what the payload names; `prefix` names where the fields sit in the request ("agent.")."""
    resolvers = {
        "model": lambda v: v,
        "name": lambda v: v,
        "instructions": lambda v: v,
        "metadata": lambda v: v or {},
        "tools": lambda v: resolve_tools(v, tools_limit, prefix + "tools"),
        "reasoning": resolve_reasoning,
        "text": resolve_text,
        "service_tier": lambda v: v or "auto",
        "compaction": resolve_compaction,
        "multi_agent": resolve_multi_agent,
    }
    for key, resolve in resolvers.items():
        if key in payload:
            body[key] = resolve(payload[key])
    if "experimental" in payload:
        body["experimental"] = {**body["experimental"], **payload["experimental"]}


def inline_config(payload: dict[str, Any], prefix: str) -> dict[str, Any]:
    """An inline agent (an automation's new-session target): defaults with the payload's fields over
    them, shaped as the SDK's AutomationAgentConfig; its tools may take 8 MiB (openai 3.63)."""
    config: dict[str, Any] = {
        "model": payload["model"],
        "instructions": None,
        "tools": [],
        "reasoning": resolve_reasoning(None),
        "text": resolve_text(None),
        "service_tier": "auto",
        "compaction": resolve_compaction(None),
        "multi_agent": resolve_multi_agent(None),
        "experimental": {"time_awareness": False},
    }
    apply_fields(config, payload, tools_limit=INLINE_TOOLS_LIMIT_BYTES, prefix=prefix)
    return config


def create(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    payload = check_body(schemas.CREATE_AGENT, request.body)
    now = ctx.now()
    body: dict[str, Any] = {
        "id": new_id("agent_"),
        "object": "agent",
        "created_at": now,
        "updated_at": now,
        "model": payload["model"],
        "name": None,
        "instructions": None,
        "metadata": {},
        "tools": [],
        "reasoning": resolve_reasoning(None),
        "text": resolve_text(None),
        "service_tier": "auto",
        "compaction": resolve_compaction(None),
        "multi_agent": resolve_multi_agent(None),
        "experimental": {"time_awareness": False},
    }
    apply_fields(body, payload)
    ctx.store.insert(KIND, body)
    return Reply(public(body))


def retrieve(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    return Reply(public(load_agent(ctx, request.path_params["agent_id"])))


def update(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    body = load_agent(ctx, request.path_params["agent_id"])
    payload = check_body(schemas.UPDATE_AGENT, request.body)
    apply_fields(body, payload)
    body["updated_at"] = max(ctx.now(), body["updated_at"] + 1)  # always moves, even within a second
    ctx.store.replace(KIND, body)
    return Reply(public(body))


def delete(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    agent_id = request.path_params["agent_id"]
    load_agent(ctx, agent_id)
    ctx.store.delete(KIND, agent_id)
    return Reply({"id": agent_id, "object": "agent.deleted", "deleted": True})


def list_agents(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    query = parse_list_query(request.query)
    page = ctx.store.page(KIND, limit=query.limit, order=query.order, after=query.after, before=query.before)
    return Reply(list_envelope(page, public))


ENDPOINTS = (
    Endpoint("GET", "/v1/agents", list_agents),
    Endpoint("POST", "/v1/agents", create),
    Endpoint("GET", "/v1/agents/{agent_id}", retrieve),
    Endpoint("POST", "/v1/agents/{agent_id}", update),
    Endpoint("DELETE", "/v1/agents/{agent_id}", delete),
)
