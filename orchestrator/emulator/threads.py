"""`/v1/threads`: threads, messages, runs and run steps, driven by the built-in model.

A run is stored with the model's decision and the moment it becomes due (`_ready_ms`). Every
thread-scoped request first settles the thread's active runs: a due run reaches its outcome
(writing the assistant message and usage), so reads see state computed from time alone.
"""

from __future__ import annotations

from typing import Any

from orchestrator.emulator import assistants, model, schemas, stand_in, vector_stores
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

THREAD = "thread"
MESSAGE = "thread.message"
RUN = "thread.run"
STEP = "thread.run.step"
ACTIVE = "active"
ACTIVE_STATUSES = ("queued", "in_progress", "requires_action", "cancelling")
POLL_HEADER = "openai-poll-after-ms"
POLL_MAX_MS = 1000  # a run due later is polled when it is due, at most this long after
RUN_HEADERS = {POLL_HEADER: "25"}
RUN_LIFETIME_S = 600
MARKER = "【0†source】"
INCLUDABLE = ("step_details.tool_calls[*].file_search.results[*].content",)


def load_thread(ctx: Context, thread_id: str) -> dict[str, Any]:
    body = ctx.store.get(THREAD, thread_id)
    if body is None:
        raise not_found(f"No thread found with id '{thread_id}'.")
    return body


def load_run(ctx: Context, thread_id: str, run_id: str) -> dict[str, Any]:
    body = ctx.store.get(RUN, run_id, parent=thread_id)
    if body is None:
        raise not_found(f"No run found with id '{run_id}'.")
    return body


def check_include(request: ApiRequest) -> None:
    """`include[]` of runs and run steps: only the file-search result content may be asked for."""
    for value in request.query_values("include[]"):
        if value not in INCLUDABLE:
            supported = ", ".join(f"'{item}'" for item in INCLUDABLE)
            raise invalid(
                f"Invalid value: '{value}'. Supported values are: {supported}.", "include", "invalid_value"
            )


def run_reply(ctx: Context, body: dict[str, Any]) -> Reply:
    """The run, with `openai-poll-after-ms` saying when polling it is worth it: a queued or running run
    is due at `_ready_ms`, so the hint is the time left (0 when it is due now, at most a second), and a
    client honouring it never sleeps past the moment the run moves on. Other runs keep the usual 25 ms."""
    if body.get("status") in ("queued", "in_progress") and isinstance(body.get("_ready_ms"), int):
        left = max(0, min(body["_ready_ms"] - ctx.clock_ms(), POLL_MAX_MS))
        return Reply(public(body), headers={POLL_HEADER: str(left)})
    return Reply(public(body), headers=RUN_HEADERS)


# Threads


def thread_store_ids(thread: dict[str, Any]) -> list[str]:
    return list(((thread.get("tool_resources") or {}).get("file_search") or {}).get("vector_store_ids") or [])


def create_thread_record(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    body = {
        "id": new_id("thread_"),
        "object": "thread",
        "created_at": ctx.now(),
        "metadata": pick(payload, "metadata", {}),
        "tool_resources": {},
    }
    with ctx.store.transaction():
        body["tool_resources"] = assistants.resolve_tool_resources(
            ctx, payload.get("tool_resources"), creating=True
        )
        ctx.store.insert(THREAD, body)
        for index, message in enumerate(payload.get("messages") or []):
            create_message_record(ctx, body["id"], message, param=f"messages[{index}]")
    return body


def create_thread(ctx: Context, request: ApiRequest) -> Reply:
    payload = check_body(schemas.CREATE_THREAD, {} if request.body is None else request.body)
    return Reply(public(create_thread_record(ctx, payload)))


def retrieve_thread(ctx: Context, request: ApiRequest) -> Reply:
    return Reply(public(load_thread(ctx, request.path_params["thread_id"])))


def modify_thread(ctx: Context, request: ApiRequest) -> Reply:
    body = load_thread(ctx, request.path_params["thread_id"])
    payload = check_body(schemas.MODIFY_THREAD, request.body)
    with ctx.store.transaction():
        if "metadata" in payload:
            body["metadata"] = pick(payload, "metadata", {})
        if "tool_resources" in payload:
            body["tool_resources"] = assistants.resolve_tool_resources(
                ctx, payload["tool_resources"], creating=False
            )
        ctx.store.replace(THREAD, body)
    return Reply(public(body))


def delete_thread(ctx: Context, request: ApiRequest) -> Reply:
    thread_id = request.path_params["thread_id"]
    load_thread(ctx, thread_id)
    with ctx.store.transaction():
        for run in ctx.store.children(RUN, thread_id):
            ctx.store.delete_children(STEP, run["id"])
        ctx.store.delete_children(RUN, thread_id)
        ctx.store.delete_children(MESSAGE, thread_id)
        ctx.store.delete(THREAD, thread_id)
    return Reply({"id": thread_id, "object": "thread.deleted", "deleted": True})


# Messages


def content_parts(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": {"value": content, "annotations": []}}]
    parts = []
    for part in content:
        if part["type"] == "text":
            parts.append({"type": "text", "text": {"value": part["text"], "annotations": []}})
        elif part["type"] == "image_file":
            parts.append({"type": "image_file", "image_file": {"detail": "auto", **part["image_file"]}})
        else:
            parts.append({"type": "image_url", "image_url": {"detail": "auto", **part["image_url"]}})
    return parts


def message_text(message: dict[str, Any]) -> str:
    return "\n".join(part["text"]["value"] for part in message["content"] if part["type"] == "text")


def create_message_record(
    ctx: Context,
    thread_id: str,
    payload: dict[str, Any],
    *,
    param: str = "",
    run_id: str | None = None,
    assistant_id: str | None = None,
) -> dict[str, Any]:
    for index, attachment in enumerate(payload.get("attachments") or []):
        if ctx.store.get("file", attachment["file_id"]) is None:
            prefix = f"{param}." if param else ""
            raise invalid(
                f"No file found with id '{attachment['file_id']}'.", f"{prefix}attachments[{index}].file_id"
            )
    now = ctx.now()
    body = {
        "id": new_id("msg_"),
        "object": "thread.message",
        "created_at": now,
        "thread_id": thread_id,
        "status": "completed",
        "incomplete_details": None,
        "completed_at": now if payload["role"] == "assistant" else None,
        "incomplete_at": None,
        "role": payload["role"],
        "content": content_parts(payload["content"]),
        "assistant_id": assistant_id,
        "run_id": run_id,
        "attachments": payload.get("attachments") or [],
        "metadata": pick(payload, "metadata", {}),
    }
    ctx.store.insert(MESSAGE, body, parent=thread_id, tag=run_id)
    return body


def active_run(ctx: Context, thread_id: str) -> dict[str, Any] | None:
    page = ctx.store.page(RUN, parent=thread_id, limit=1, order="desc", tag=ACTIVE)
    return page.items[0] if page.items else None


def create_message(ctx: Context, request: ApiRequest) -> Reply:
    thread_id = request.path_params["thread_id"]
    payload = check_body(schemas.CREATE_MESSAGE, request.body)
    load_thread(ctx, thread_id)
    with ctx.store.transaction():
        settle_thread(ctx, thread_id)
        running = active_run(ctx, thread_id)
        if running is not None:
            raise invalid(f"Can't add messages to {thread_id} while a run {running['id']} is active.")
        body = create_message_record(ctx, thread_id, payload)
    return Reply(public(body))


def list_messages(ctx: Context, request: ApiRequest) -> Reply:
    thread_id = request.path_params["thread_id"]
    query = parse_list_query(request.query)
    load_thread(ctx, thread_id)
    settle_thread(ctx, thread_id)
    page = ctx.store.page(
        MESSAGE,
        parent=thread_id,
        limit=query.limit,
        order=query.order,
        after=query.after,
        before=query.before,
        tag=request.query.get("run_id"),
    )
    return Reply(list_envelope(page, public))


def load_message(ctx: Context, thread_id: str, message_id: str) -> dict[str, Any]:
    body = ctx.store.get(MESSAGE, message_id, parent=thread_id)
    if body is None:
        raise not_found(f"No message found with id '{message_id}'.")
    return body


def retrieve_message(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    load_thread(ctx, params["thread_id"])
    return Reply(public(load_message(ctx, params["thread_id"], params["message_id"])))


def modify_message(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    payload = check_body(schemas.MODIFY_METADATA_ONLY, request.body)
    body = load_message(ctx, params["thread_id"], params["message_id"])
    if "metadata" in payload:
        body["metadata"] = pick(payload, "metadata", {})
    ctx.store.replace(MESSAGE, body, parent=params["thread_id"], tag=body.get("run_id"))
    return Reply(public(body))


def delete_message(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    load_message(ctx, params["thread_id"], params["message_id"])
    ctx.store.delete(MESSAGE, params["message_id"], parent=params["thread_id"])
    return Reply({"id": params["message_id"], "object": "thread.message.deleted", "deleted": True})


# Runs


def join_instructions(*parts: str | None) -> str:
    return "\n\n".join(part for part in parts if part)


def last_user_text(ctx: Context, thread_id: str) -> str:
    messages = ctx.store.page(MESSAGE, parent=thread_id, limit=100, order="desc").items
    for message in messages:
        if message["role"] == "user":
            return message_text(message)
    return ""


def create_run_record(
    ctx: Context, thread: dict[str, Any], payload: dict[str, Any], *, resources: dict[str, Any] | None = None
) -> dict[str, Any]:
    if payload.get("stream"):
        raise invalid("Streaming is not supported by the local emulator; set 'stream' to false.", "stream")
    assistant = ctx.store.get(assistants.KIND, payload["assistant_id"])
    if assistant is None:
        raise not_found(f"No assistant found with id '{payload['assistant_id']}'.", "assistant_id")
    thread_id = thread["id"]
    settle_thread(ctx, thread_id)
    running = active_run(ctx, thread_id)
    if running is not None:
        raise invalid(f"Thread {thread_id} already has an active run {running['id']}.")
    run_id = new_id("run_")
    for index, message in enumerate(payload.get("additional_messages") or []):
        create_message_record(ctx, thread_id, message, param=f"additional_messages[{index}]")
    tools = payload.get("tools")
    tools = assistants.resolve_tools(tools) if tools is not None else assistant["tools"]
    store_ids = thread_store_ids({"tool_resources": resources}) if resources else []
    store_ids = store_ids or thread_store_ids(assistant) + thread_store_ids(thread)
    decision = ctx.scripts.next_decision((thread_id, assistant["id"]))
    text = last_user_text(ctx, thread_id)
    draw = ctx.stand_in_draw("turn:" + text) if decision is None else None
    if draw is not None:  # the model stand-in answers as a real model would (stand_in.py)
        decision = stand_in.decide(draw, text, tools, response_format=payload.get("response_format"))
    decision = decision or model.decide(text)
    calls = decision.calls if payload.get("parallel_tool_calls", True) is not False else decision.calls[:1]
    now_ms = ctx.clock_ms()
    created_at = now_ms // 1000
    body: dict[str, Any] = {
        "id": run_id,
        "object": "thread.run",
        "created_at": created_at,
        "thread_id": thread_id,
        "assistant_id": assistant["id"],
        "status": "queued",
        "required_action": None,
        "last_error": None,
        "expires_at": created_at + RUN_LIFETIME_S,
        "started_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "incomplete_details": None,
        "model": pick(payload, "model", assistant["model"]),
        "instructions": join_instructions(
            pick(payload, "instructions", assistant.get("instructions")),
            payload.get("additional_instructions"),
        ),
        "tools": tools,
        "metadata": pick(payload, "metadata", {}),
        "usage": None,
        "temperature": pick(payload, "temperature", assistant.get("temperature", 1.0)),
        "top_p": pick(payload, "top_p", assistant.get("top_p", 1.0)),
        "max_prompt_tokens": payload.get("max_prompt_tokens"),
        "max_completion_tokens": payload.get("max_completion_tokens"),
        "truncation_strategy": pick(payload, "truncation_strategy", {"type": "auto", "last_messages": None}),
        "tool_choice": pick(payload, "tool_choice", "auto"),
        "parallel_tool_calls": payload.get("parallel_tool_calls", True),
        "response_format": pick(payload, "response_format", assistant.get("response_format", "auto")),
        "_ready_ms": now_ms + decision.delay_ms,
        "_outcome": decision.outcome.value,
        "_reply": decision.reply,
        "_query": decision.query,
        "_calls": [{"id": new_id("call_"), "name": c.name, "arguments": c.arguments} for c in calls],
        "_loop": decision.loop,
        "_vector_store_ids": store_ids,
    }
    if "truncation_strategy" in payload and payload["truncation_strategy"] is not None:
        body["truncation_strategy"] = {"last_messages": None, **payload["truncation_strategy"]}
    ctx.store.insert(RUN, body, parent=thread_id, tag=ACTIVE)
    return body


def create_run(ctx: Context, request: ApiRequest) -> Reply:
    thread_id = request.path_params["thread_id"]
    check_include(request)
    payload = check_body(schemas.CREATE_RUN, request.body)
    thread = load_thread(ctx, thread_id)
    with ctx.store.transaction():
        body = create_run_record(ctx, thread, payload)
    return run_reply(ctx, body)


def create_thread_and_run(ctx: Context, request: ApiRequest) -> Reply:
    payload = check_body(schemas.CREATE_THREAD_AND_RUN, request.body)
    with ctx.store.transaction():
        if ctx.store.get(assistants.KIND, payload["assistant_id"]) is None:
            raise not_found(f"No assistant found with id '{payload['assistant_id']}'.", "assistant_id")
        thread = create_thread_record(ctx, payload.get("thread") or {})
        resources = assistants.resolve_tool_resources(ctx, payload.get("tool_resources"), creating=False)
        body = create_run_record(ctx, thread, payload, resources=resources)
    return run_reply(ctx, body)


def retrieve_run(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    load_thread(ctx, params["thread_id"])
    settle_thread(ctx, params["thread_id"])
    return run_reply(ctx, load_run(ctx, params["thread_id"], params["run_id"]))


def list_runs(ctx: Context, request: ApiRequest) -> Reply:
    thread_id = request.path_params["thread_id"]
    query = parse_list_query(request.query)
    load_thread(ctx, thread_id)
    settle_thread(ctx, thread_id)
    page = ctx.store.page(
        RUN, parent=thread_id, limit=query.limit, order=query.order, after=query.after, before=query.before
    )
    return Reply(list_envelope(page, public), headers=RUN_HEADERS)


def modify_run(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    payload = check_body(schemas.MODIFY_METADATA_ONLY, request.body)
    load_thread(ctx, params["thread_id"])
    with ctx.store.transaction():
        settle_thread(ctx, params["thread_id"])
        body = load_run(ctx, params["thread_id"], params["run_id"])
        if "metadata" in payload:
            body["metadata"] = pick(payload, "metadata", {})
        save_run(ctx, body)
    return run_reply(ctx, body)


def cancel_run(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    load_thread(ctx, params["thread_id"])
    with ctx.store.transaction():
        settle_thread(ctx, params["thread_id"])
        body = load_run(ctx, params["thread_id"], params["run_id"])
        if body["status"] not in ("queued", "in_progress", "requires_action"):
            raise invalid(f"Cannot cancel run with status '{body['status']}'.")
        body["status"] = "cancelling"
        body["required_action"] = None
        save_run(ctx, body)
    return run_reply(ctx, body)


def submit_tool_outputs(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    payload = check_body(schemas.SUBMIT_TOOL_OUTPUTS, request.body)
    if payload.get("stream"):
        raise invalid("Streaming is not supported by the local emulator; set 'stream' to false.", "stream")
    load_thread(ctx, params["thread_id"])
    with ctx.store.transaction():
        settle_thread(ctx, params["thread_id"])
        body = load_run(ctx, params["thread_id"], params["run_id"])
        if body["status"] != "requires_action":
            raise invalid(f'Runs in status "{body["status"]}" do not accept tool outputs.', None)
        outputs = {}
        for index, item in enumerate(payload["tool_outputs"]):
            call_id = item["tool_call_id"]
            if call_id in outputs:
                raise invalid(f"Duplicate tool output for tool call {call_id}.", f"tool_outputs[{index}]")
            outputs[call_id] = item.get("output", "")
        expected = [call["id"] for call in body["_calls"]]
        if sorted(outputs) != sorted(expected):
            raise invalid(
                f"Expected tool outputs for call_ids {expected}, got {list(outputs)}.", "tool_outputs"
            )
        step = ctx.store.get(STEP, body["_step_id"], parent=body["id"])
        if step is not None:
            for call in step["step_details"]["tool_calls"]:
                call["function"]["output"] = outputs[call["id"]]
            step.update(status="completed", completed_at=ctx.now())
            ctx.store.replace(STEP, step, parent=body["id"])
        scripted = ctx.scripts.next_decision((body["thread_id"], body["assistant_id"]))
        if body.get("_loop"):  # ask for the same call again, with a new call id
            again = [{**call, "id": new_id("call_")} for call in body["_calls"]]
            body.update(status="queued", required_action=None, _calls=again, _ready_ms=ctx.clock_ms())
        elif scripted is not None:  # the script's next step (scripts.py)
            body.update(
                status="queued",
                required_action=None,
                _outcome=scripted.outcome.value,
                _reply=scripted.reply,
                _query=scripted.query,
                _calls=[
                    {"id": new_id("call_"), "name": c.name, "arguments": c.arguments} for c in scripted.calls
                ],
                _ready_ms=ctx.clock_ms(),
            )
        else:
            reply = model.reply_to_tool_outputs([(c["name"], outputs[c["id"]]) for c in body["_calls"]])
            draw = ctx.stand_in_draw("after:" + last_user_text(ctx, body["thread_id"]))
            body.update(
                status="queued",
                required_action=None,
                _outcome=model.Outcome.COMPLETED.value,
                _reply=stand_in.reply_after_tools(draw, reply) if draw is not None else reply,
                _ready_ms=ctx.clock_ms(),
            )
        save_run(ctx, body)
    return run_reply(ctx, body)


def save_run(ctx: Context, body: dict[str, Any]) -> None:
    tag = ACTIVE if body["status"] in ACTIVE_STATUSES else None
    ctx.store.replace(RUN, body, parent=body["thread_id"], tag=tag)


def settle_thread(ctx: Context, thread_id: str) -> None:
    """Move the thread's active run forward to what time alone says it is now."""
    with ctx.store.transaction():
        running = active_run(ctx, thread_id)
        if running is not None:
            advance_run(ctx, running)


def usage_of(ctx: Context, run: dict[str, Any], reply: str) -> dict[str, int]:
    messages = ctx.store.children(MESSAGE, run["thread_id"])
    prompt = model.count_tokens(run["instructions"], *(message_text(m) for m in messages))
    completion = model.count_tokens(reply)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def add_step(ctx: Context, run: dict[str, Any], details: dict[str, Any], *, done: bool) -> dict[str, Any]:
    now = ctx.now()
    step = {
        "id": new_id("step_"),
        "object": "thread.run.step",
        "created_at": now,
        "run_id": run["id"],
        "assistant_id": run["assistant_id"],
        "thread_id": run["thread_id"],
        "type": details["type"],
        "status": "completed" if done else "in_progress",
        "cancelled_at": None,
        "completed_at": now if done else None,
        "expired_at": None,
        "failed_at": None,
        "last_error": None,
        "step_details": details,
        "usage": None,
        "metadata": {},
    }
    ctx.store.insert(STEP, step, parent=run["id"])
    return step


def search_reply(ctx: Context, run: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    has_search = any(tool["type"] == "file_search" for tool in run["tools"])
    if not has_search or not run["_vector_store_ids"]:
        return "No knowledge is attached to this assistant.", []
    hits = vector_stores.search_stores(ctx, run["_vector_store_ids"], run["_query"])
    if not hits:
        return f"No matching content found for: {run['_query']}", []
    best = hits[0]
    value = best.chunk.text + MARKER
    annotation = {
        "type": "file_citation",
        "text": MARKER,
        "start_index": len(best.chunk.text),
        "end_index": len(value),
        "file_citation": {"file_id": best.chunk.file_id},
    }
    return value, [annotation]


def advance_run(ctx: Context, run: dict[str, Any]) -> None:
    now_ms = ctx.clock_ms()
    now = now_ms // 1000
    if run["status"] == "cancelling":
        run.update(status="cancelled", cancelled_at=now, expires_at=None, usage=usage_of(ctx, run, ""))
        save_run(ctx, run)
        return
    if run["status"] == "requires_action":
        return
    run["started_at"] = run["started_at"] or now
    if now_ms < run["_ready_ms"]:
        run["status"] = "in_progress"
        save_run(ctx, run)
        return
    outcome = model.Outcome(run["_outcome"])
    if outcome is model.Outcome.REQUIRES_ACTION:
        tool_calls = [
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": call["arguments"]},
            }
            for call in run["_calls"]
        ]
        step = add_step(
            ctx,
            run,
            {
                "type": "tool_calls",
                "tool_calls": [
                    {**call, "function": {**call["function"], "output": None}} for call in tool_calls
                ],
            },
            done=False,
        )
        run.update(
            status="requires_action",
            required_action={
                "type": "submit_tool_outputs",
                "submit_tool_outputs": {"tool_calls": tool_calls},
            },
            _step_id=step["id"],
        )
    elif outcome in (model.Outcome.COMPLETED, model.Outcome.SEARCH):
        reply, annotations = (
            (run["_reply"], []) if outcome is model.Outcome.COMPLETED else search_reply(ctx, run)
        )
        usage = usage_of(ctx, run, reply)  # before the reply joins the thread
        message = create_message_record(
            ctx,
            run["thread_id"],
            {"role": "assistant", "content": reply},
            run_id=run["id"],
            assistant_id=run["assistant_id"],
        )
        if annotations:
            message["content"][0]["text"]["annotations"] = annotations
            ctx.store.replace(MESSAGE, message, parent=run["thread_id"], tag=run["id"])
        add_step(
            ctx,
            run,
            {"type": "message_creation", "message_creation": {"message_id": message["id"]}},
            done=True,
        )
        run.update(status="completed", completed_at=now, expires_at=None, usage=usage)
    elif outcome is model.Outcome.FAILED:
        run.update(
            status="failed",
            failed_at=now,
            expires_at=None,
            usage=usage_of(ctx, run, ""),
            last_error={
                "code": "server_error",
                "message": run.get("_reply") or "The built-in model failed as asked (/fail).",
            },
        )
    elif outcome is model.Outcome.EXPIRED:
        run.update(status="expired", expires_at=now, usage=usage_of(ctx, run, ""))
    else:
        run.update(
            status="incomplete",
            expires_at=None,
            usage=usage_of(ctx, run, ""),
            incomplete_details={"reason": "max_completion_tokens"},
        )
    save_run(ctx, run)


# Run steps


def list_steps(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    query = parse_list_query(request.query)
    check_include(request)
    load_thread(ctx, params["thread_id"])
    settle_thread(ctx, params["thread_id"])
    load_run(ctx, params["thread_id"], params["run_id"])
    page = ctx.store.page(
        STEP,
        parent=params["run_id"],
        limit=query.limit,
        order=query.order,
        after=query.after,
        before=query.before,
    )
    return Reply(list_envelope(page, public))


def retrieve_step(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    check_include(request)
    load_thread(ctx, params["thread_id"])
    load_run(ctx, params["thread_id"], params["run_id"])
    body = ctx.store.get(STEP, params["step_id"], parent=params["run_id"])
    if body is None:
        raise not_found(f"No run step found with id '{params['step_id']}'.")
    return Reply(public(body))


ENDPOINTS = (
    Endpoint("POST", "/v1/threads", create_thread),
    Endpoint("POST", "/v1/threads/runs", create_thread_and_run),
    Endpoint("GET", "/v1/threads/{thread_id}", retrieve_thread),
    Endpoint("POST", "/v1/threads/{thread_id}", modify_thread),
    Endpoint("DELETE", "/v1/threads/{thread_id}", delete_thread),
    Endpoint("GET", "/v1/threads/{thread_id}/messages", list_messages),
    Endpoint("POST", "/v1/threads/{thread_id}/messages", create_message),
    Endpoint("GET", "/v1/threads/{thread_id}/messages/{message_id}", retrieve_message),
    Endpoint("POST", "/v1/threads/{thread_id}/messages/{message_id}", modify_message),
    Endpoint("DELETE", "/v1/threads/{thread_id}/messages/{message_id}", delete_message),
    Endpoint("GET", "/v1/threads/{thread_id}/runs", list_runs),
    Endpoint("POST", "/v1/threads/{thread_id}/runs", create_run),
    Endpoint("GET", "/v1/threads/{thread_id}/runs/{run_id}", retrieve_run),
    Endpoint("POST", "/v1/threads/{thread_id}/runs/{run_id}", modify_run),
    Endpoint("POST", "/v1/threads/{thread_id}/runs/{run_id}/cancel", cancel_run),
    Endpoint("POST", "/v1/threads/{thread_id}/runs/{run_id}/submit_tool_outputs", submit_tool_outputs),
    Endpoint("GET", "/v1/threads/{thread_id}/runs/{run_id}/steps", list_steps),
    Endpoint("GET", "/v1/threads/{thread_id}/runs/{run_id}/steps/{step_id}", retrieve_step),
)
