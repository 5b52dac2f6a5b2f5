"""`/v1/assistants`: create, retrieve, modify, delete, list, with the API's server defaults."""

from __future__ import annotations

import copy
from typing import Any

from orchestrator.emulator import schemas, vector_stores
from orchestrator.emulator.context import (
    ApiRequest,
    Context,
    Endpoint,
    Reply,
    list_envelope,
    new_id,
    parse_list_query,
    pick,
    public,
)
from orchestrator.emulator.errors import invalid, not_found
from orchestrator.emulator.validation import check_body

KIND = "assistant"
DEFAULT_RANKING = {"ranker": "default_2024_08_21", "score_threshold": 0.0}


def load_assistant(ctx: Context, assistant_id: str) -> dict[str, Any]:
    body = ctx.store.get(KIND, assistant_id)
    if body is None:
        raise not_found(f"No assistant found with id '{assistant_id}'.")
    return body


def resolve_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tools as the API returns them: `strict` false by default, file_search ranking filled in."""
    resolved = []
    for tool in copy.deepcopy(tools):
        if tool["type"] == "function":
            function = tool["function"]
            if function.get("strict") is None:
                function["strict"] = False
        elif tool["type"] == "file_search":
            options = tool.setdefault("file_search", {})
            ranking = options.get("ranking_options")
            options["ranking_options"] = {**DEFAULT_RANKING, **(ranking or {})}
        resolved.append(tool)
    return resolved


def resolve_tool_resources(
    ctx: Context, resources: dict[str, Any] | None, *, creating: bool
) -> dict[str, Any]:
    """Check referenced files and stores exist; build the store of a `vector_stores` helper."""
    if not resources:
        return {}
    resolved: dict[str, Any] = {}
    code = resources.get("code_interpreter")
    if code is not None:
        file_ids = code.get("file_ids") or []
        for index, file_id in enumerate(file_ids):
            if ctx.store.get("file", file_id) is None:
                param = f"tool_resources.code_interpreter.file_ids[{index}]"
                raise invalid(f"No file found with id '{file_id}'.", param)
        resolved["code_interpreter"] = {"file_ids": list(file_ids)}
    search = resources.get("file_search")
    if search is not None:
        has_ids, has_new = "vector_store_ids" in search, "vector_stores" in search
        if creating and has_ids == has_new:
            raise invalid(
                "Invalid 'tool_resources.file_search': provide exactly one of 'vector_store_ids' or "
                "'vector_stores'.",
                "tool_resources.file_search",
            )
        store_ids = list(search.get("vector_store_ids") or [])
        for index, store_id in enumerate(store_ids):
            if ctx.store.get(vector_stores.STORE, store_id) is None:
                param = f"tool_resources.file_search.vector_store_ids[{index}]"
                raise invalid(f"No vector store found with id '{store_id}'.", param)
        for new_store in search.get("vector_stores") or []:
            vector_stores.resolve_chunking(new_store.get("chunking_strategy"))
            created = vector_stores.create_store_record(
                ctx,
                name=None,
                file_ids=new_store.get("file_ids") or [],
                chunking=new_store.get("chunking_strategy"),
                metadata=new_store.get("metadata"),
                param="tool_resources.file_search.vector_stores[0].file_ids",
            )
            store_ids.append(created["id"])
        resolved["file_search"] = {"vector_store_ids": store_ids}
    return resolved


def apply_fields(ctx: Context, body: dict[str, Any], payload: dict[str, Any], *, creating: bool) -> None:
    for key in ("name", "description", "instructions", "reasoning_effort"):
        if key in payload:
            body[key if key != "reasoning_effort" else "_reasoning_effort"] = payload[key]
    if "model" in payload:
        body["model"] = payload["model"]
    if "tools" in payload:
        body["tools"] = resolve_tools(payload["tools"])
    if "metadata" in payload:
        body["metadata"] = pick(payload, "metadata", {})
    if "temperature" in payload:
        body["temperature"] = pick(payload, "temperature", 1.0)
    if "top_p" in payload:
        body["top_p"] = pick(payload, "top_p", 1.0)
    if "response_format" in payload:
        body["response_format"] = pick(payload, "response_format", "auto")
    if "tool_resources" in payload:
        body["tool_resources"] = resolve_tool_resources(ctx, payload["tool_resources"], creating=creating)


def create(ctx: Context, request: ApiRequest) -> Reply:
    payload = check_body(schemas.CREATE_ASSISTANT, request.body)
    body: dict[str, Any] = {
        "id": new_id("asst_"),
        "object": "assistant",
        "created_at": ctx.now(),
        "name": None,
        "description": None,
        "model": payload["model"],
        "instructions": None,
        "tools": [],
        "tool_resources": {},
        "metadata": {},
        "temperature": 1.0,
        "top_p": 1.0,
        "response_format": "auto",
    }
    with ctx.store.transaction():
        apply_fields(ctx, body, payload, creating=True)
        ctx.store.insert(KIND, body)
    return Reply(public(body))


def retrieve(ctx: Context, request: ApiRequest) -> Reply:
    return Reply(public(load_assistant(ctx, request.path_params["assistant_id"])))


def modify(ctx: Context, request: ApiRequest) -> Reply:
    body = load_assistant(ctx, request.path_params["assistant_id"])
    payload = check_body(schemas.MODIFY_ASSISTANT, request.body)
    with ctx.store.transaction():
        apply_fields(ctx, body, payload, creating=False)
        ctx.store.replace(KIND, body)
    return Reply(public(body))


def delete(ctx: Context, request: ApiRequest) -> Reply:
    assistant_id = request.path_params["assistant_id"]
    load_assistant(ctx, assistant_id)
    ctx.store.delete(KIND, assistant_id)
    return Reply({"id": assistant_id, "object": "assistant.deleted", "deleted": True})


def list_assistants(ctx: Context, request: ApiRequest) -> Reply:
    query = parse_list_query(request.query)
    page = ctx.store.page(KIND, limit=query.limit, order=query.order, after=query.after, before=query.before)
    return Reply(list_envelope(page, public))


ENDPOINTS = (
    Endpoint("GET", "/v1/assistants", list_assistants),
    Endpoint("POST", "/v1/assistants", create),
    Endpoint("GET", "/v1/assistants/{assistant_id}", retrieve),
    Endpoint("POST", "/v1/assistants/{assistant_id}", modify),
    Endpoint("DELETE", "/v1/assistants/{assistant_id}", delete),
)
