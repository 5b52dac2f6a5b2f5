"""`/v1/agents/sessions` (beta, header `OpenAI-Beta: agents=v1`): sessions, turns and items.

A session runs a snapshot of a saved agent (`agent_id`) in the environment `{type: "none"}`.
Input starts a turn; the built-in model (model.py) decides it as it decides a run. A turn is
stored with its decision and the moment it becomes due (`_ready_ms`); every session-scoped
request first settles the session, so reads see state computed from time alone:
  queued/in_progress -> waiting (function calls: session `requires_action`) | completed | failed
Function results and new messages arrive as input events (`POST .../events`, 202, no body).
Every turn that ends is charged to the session's spend_control (spend.py); the turn that reaches the
limit fails and the session pauses (`budget_reached`). Status changes and turns are recorded as
session events (session_events.py), `agent.session.budget_reached` among them, replayed by
`GET .../events` as server-sent events.
"""

from __future__ import annotations

from typing import Any

from orchestrator.emulator import (
    agents,
    environments,
    model,
    schemas,
    session_events,
    spend,
    stand_in,
    vaults,
)
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

SESSION = "agent.session"
TURN = "agent.session.turn"
ITEM = "agent.session.item"
ACCEPTED_KEY = "agent.session.idempotency_key"
ACTIVE = "active"
SESSION_HEADERS = {"openai-poll-after-ms": "25"}
STREAMING = "Streaming is not supported by the local emulator; set 'stream' to false."
# The tool types the session's `agent.tools` may hold (types/beta/agent_tool.py).
SESSION_TOOL_TYPES = frozenset(
    {"function", "programmatic_tool_calling", "mcp", "web_search", "computer_use", "automations"}
)
FAILURES = {
    model.Outcome.FAILED: ("server_error", "The built-in model failed as asked (/fail)."),
    model.Outcome.EXPIRED: ("request_timeout", "The turn timed out as asked (/expire)."),
    model.Outcome.INCOMPLETE: (
        "max_output_tokens",
        "The model reached its output token limit as asked (/incomplete).",
    ),
}


def render_session(body: dict[str, Any]) -> dict[str, Any]:
    shown = public(body)
    # openai 3.60 requires spend_control; rows stored before it was kept have none: unlimited, 0 spent
    shown.setdefault("spend_control", {"consumed": 0, "limit": None})
    return shown


def session_reply(body: dict[str, Any]) -> Reply:
    return Reply(render_session(body), headers=SESSION_HEADERS)


def load_session(ctx: Context, session_id: str) -> dict[str, Any]:
    body = ctx.store.get(SESSION, session_id)
    if body is None:
        raise not_found(f"No session found with id '{session_id}'.")
    return body


def save_session(ctx: Context, session: dict[str, Any]) -> None:
    session_events.session_saved(ctx, session, render_session(session))
    ctx.store.replace(SESSION, session, tag=ACTIVE if session["_turn_id"] else None)


def save_turn(ctx: Context, turn: dict[str, Any]) -> None:
    session_events.turn_saved(ctx, turn)
    active = turn["status"] in ("queued", "in_progress", "waiting")
    ctx.store.replace(TURN, turn, parent=turn["session_id"], tag=ACTIVE if active else None)


def add_item(ctx: Context, session_id: str, item: dict[str, Any]) -> dict[str, Any]:
    ctx.store.insert(ITEM, item, parent=session_id, tag=item["turn_id"])
    return item


# Sessions


def check_environment(ctx: Context, environment: dict[str, Any]) -> dict[str, Any]:
    """The session's environment as the SDK shows it: none, or an OpenAI-hosted one (from a template)."""
    kind = environment["type"]
    if kind not in ("none", "openai_hosted", "self_hosted"):
        raise invalid(
            f"Invalid value: '{kind}'. Supported values are: 'none', 'openai_hosted' and 'self_hosted'.",
            "environment.type",
            "invalid_value",
        )
    if kind == "self_hosted":
        raise invalid(
            f'Environment type \'{kind}\' is not supported by the local emulator; use {{"type": "none"}} '
            'or {"type": "openai_hosted"}.',
            "environment.type",
            "unsupported_value",
        )
    if kind == "openai_hosted":
        return environments.session_view(environments.provision(ctx, environment, "environment"))
    extra = sorted(set(environment) - {"type"})
    if extra:
        raise invalid(
            f"Unknown parameter: 'environment.{extra[0]}'.", f"environment.{extra[0]}", "unknown_parameter"
        )
    return {"type": "none"}


def check_vault_ids(ctx: Context, vault_ids: list[str] | None) -> list[str]:
    """The ids as given, each naming an existing vault (404 naming the first that does not)."""
    for index, vault_id in enumerate(vault_ids or []):
        if ctx.store.get(vaults.VAULT, vault_id) is None:
            raise not_found(f"No vault found with id '{vault_id}'.", f"vault_ids[{index}]")
    return list(vault_ids or [])


def cache_options(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else {"ttl": value.get("ttl", "30m")}  # "Defaults to 30 minutes."


def session_agent(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    """The agent the session runs: the saved agent (or defaults) with the request's overrides."""
    overrides = payload.get("agent") or {}
    if "agent_id" in payload:
        saved = ctx.store.get(agents.KIND, payload["agent_id"])
        if saved is None:
            raise not_found(f"No agent found with id '{payload['agent_id']}'.", "agent_id")
        base = {key: saved[key] for key in ("id", "name", "model", "instructions", "tools")}
        base.update({key: saved[key] for key in ("reasoning", "text", "service_tier", "compaction")})
        base.update(multi_agent=saved["multi_agent"], experimental=saved["experimental"])
    elif "model" in overrides:
        base = {
            "id": new_id("agent_"),
            "name": None,
            "model": overrides["model"],
            "instructions": None,
            "tools": [],
            "reasoning": agents.resolve_reasoning(None),
            "text": agents.resolve_text(None),
            "service_tier": "auto",
            "compaction": {"async": False},
            "multi_agent": agents.resolve_multi_agent(None),
            "experimental": {"time_awareness": False},
        }
    else:
        param = "agent.model" if "agent" in payload else "agent_id"
        raise invalid(
            f"Missing required parameter: '{param}'. Give 'agent_id', or 'agent' with a 'model'.",
            param,
            "missing_required_parameter",
        )
    agents.apply_fields(base, overrides, tools_limit=agents.INLINE_TOOLS_LIMIT_BYTES, prefix="agent.")
    base["tools"] = [tool for tool in base["tools"] if tool["type"] in SESSION_TOOL_TYPES]
    return base


def input_messages(value: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(value, str):
        return [{"role": "user", "content": [{"type": "input_text", "text": value}]}]
    return value


def create_session(ctx: Context, request: ApiRequest) -> Reply:
    agents.require_beta_header(request)
    payload = check_body(schemas.CREATE_AGENT_SESSION, request.body)
    environment = check_environment(ctx, payload["environment"])
    if payload.get("stream"):
        raise invalid(STREAMING, "stream")
    if "stream_options" in payload:
        raise invalid("'stream_options' is only allowed when 'stream' is true.", "stream_options")
    if payload.get("input") is None and environment["type"] == "none":
        raise invalid(
            "Missing required parameter: 'input'. It is required when 'environment.type' is 'none'.",
            "input",
            "missing_required_parameter",
        )
    vault_ids = check_vault_ids(ctx, payload.get("vault_ids"))
    limit = (payload.get("spend_control") or {}).get("limit")
    now = ctx.now()
    body: dict[str, Any] = {
        "id": new_id("sess_"),
        "object": "agent.session",
        "agent": session_agent(ctx, payload),
        "created_at": now,
        "environment": environment,
        "error": None,
        "last_active_at": now,
        "metadata": pick(payload, "metadata", {}),
        "required_actions": [],
        "spend_control": {"consumed": 0, "limit": limit},  # openai 3.60: USD cents, null = unlimited
        "status": "idle",
        "usage": None,
        "vault_ids": vault_ids,
        "prompt_cache_options": cache_options(payload.get("prompt_cache_options")),
        "_turn_id": None,
    }
    if payload.get("review") == "auto_review":
        body["review"] = "auto_review"  # omitted when none, as the API does
    ctx.store.insert(SESSION, body)
    if payload.get("input") is not None:
        start_turn(ctx, body, input_messages(payload["input"]))
    return session_reply(body)


def retrieve_session(ctx: Context, request: ApiRequest) -> Reply:
    agents.require_beta_header(request)
    session = load_session(ctx, request.path_params["session_id"])
    settle(ctx, session)
    return session_reply(session)


def list_sessions(ctx: Context, request: ApiRequest) -> Reply:
    agents.require_beta_header(request)
    query = parse_list_query(request.query, allow_before=False)
    clauses: list[str] = []
    params: list[object] = []
    if "agent_id" in request.query:
        clauses.append("json_extract(body, '$.agent.id') = ?")
        params.append(request.query["agent_id"])
    for key, value in request.query.items():
        if key.startswith("metadata[") and key.endswith("]"):
            clauses.append("json_extract(body, ?) = ?")
            params += ['$.metadata."' + key[len("metadata[") : -1].replace('"', "") + '"', value]
    condition = (" AND ".join(clauses), params) if clauses else None
    page = ctx.store.page(
        SESSION, limit=query.limit, order=query.order, after=query.after, condition=condition
    )
    for session in page.items:
        settle(ctx, session)
    return Reply(list_envelope(page, render_session), headers=SESSION_HEADERS)


def update_session(ctx: Context, request: ApiRequest) -> Reply:
    """`POST /v1/agents/sessions/{id}`: what the body names changes, the rest stays (openai 3.63)."""
    agents.require_beta_header(request)
    session = load_session(ctx, request.path_params["session_id"])
    payload = check_body(schemas.UPDATE_AGENT_SESSION, request.body)
    settle(ctx, session)
    changes = payload.get("agent") or {}
    agent = session["agent"]
    if "model" in changes:
        agent["model"] = changes["model"]
    if "effort" in changes.get("reasoning", {}):
        agent["reasoning"] = {**agent["reasoning"], "effort": changes["reasoning"]["effort"]}
    if "service_tier" in changes:
        agent["service_tier"] = changes["service_tier"] or "auto"
    if "tools" in changes:
        tools = agents.resolve_tools(changes["tools"], agents.INLINE_TOOLS_LIMIT_BYTES, "agent.tools")
        agent["tools"] = [tool for tool in tools if tool["type"] in SESSION_TOOL_TYPES]
    if "metadata" in payload:
        session["metadata"] = payload["metadata"] or {}
    if "prompt_cache_options" in payload:
        session["prompt_cache_options"] = cache_options(payload["prompt_cache_options"])
    if "review" in payload:
        session.pop("review", None)
        if payload["review"] == "auto_review":
            session["review"] = "auto_review"  # omitted when none, as create does
    if "spend_control" in payload:
        # null or a null limit removes the limit; what was spent stays; a paused session resumes or pauses to match
        spend.set_limit(session, spend.limit_of(payload))
    if "vault_ids" in payload:
        session["vault_ids"] = check_vault_ids(ctx, payload["vault_ids"])
    save_session(ctx, session)
    return session_reply(session)


def delete_session(ctx: Context, request: ApiRequest) -> Reply:
    agents.require_beta_header(request)
    session_id = request.path_params["session_id"]
    session = load_session(ctx, session_id)
    settle(ctx, session)
    if session["status"] == "in_progress":
        raise invalid(f"Session {session_id} is running a turn; cancel it before deleting the session.")
    ctx.store.delete_children(ITEM, session_id)
    ctx.store.delete_children(TURN, session_id)
    ctx.store.delete_children(ACCEPTED_KEY, session_id)
    session_events.forget(ctx, session_id)
    ctx.store.delete(SESSION, session_id)
    return Reply({"id": session_id, "object": "agent.session.deleted", "deleted": True})


# Turns


def content_text(content: list[dict[str, Any]]) -> str:
    return "\n".join(part["text"] for part in content if part["type"] in ("input_text", "output_text"))


def start_turn(ctx: Context, session: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
    now_ms = ctx.clock_ms()
    turn_id = new_id("turn_")
    for message in messages:
        content = [
            {key: part[key] for key in part if key in ("type", "text", "image_url")}
            for part in message["content"]
        ]
        add_item(
            ctx,
            session["id"],
            {
                "id": new_id("msg_"),
                "type": "message",
                "role": "user",
                "content": content,
                "phase": None,
                "status": "completed",
                "turn_id": turn_id,
            },
        )
    decision = ctx.scripts.next_decision((session["id"], session["agent"]["id"]))
    draw = ctx.stand_in_draw("turn:" + content_text(messages[-1]["content"])) if decision is None else None
    if draw is not None:  # the model stand-in answers as a real model would (stand_in.py)
        decision = stand_in.decide(
            draw,
            content_text(messages[-1]["content"]),
            session["agent"].get("tools") or [],
            response_format=(session["agent"].get("text") or {}).get("format"),
        )
    decision = decision or model.decide(
        content_text(messages[-1]["content"]), session["environment"].get("skills", [])
    )
    turn = {
        "id": turn_id,
        "object": "agent.session.turn",
        "agent_id": session["agent"]["id"],
        "session_id": session["id"],
        "created_at": now_ms // 1000,
        "started_at": None,
        "completed_at": None,
        "error": None,
        "status": "queued",
        "subagent_id": None,
        "usage": None,
        "prompt_cache_options": session.get("prompt_cache_options"),
        "_ready_ms": now_ms + decision.delay_ms,
        "_outcome": decision.outcome.value,
        "_reply": decision.reply,
        "_calls": [
            {"call_id": new_id("call_"), "name": c.name, "arguments": c.arguments} for c in decision.calls
        ],
        "_results": {},
    }
    session_events.turn_created(ctx, turn)
    ctx.store.insert(TURN, turn, parent=session["id"], tag=ACTIVE)
    session.update(status="in_progress", required_actions=[], last_active_at=now_ms // 1000, _turn_id=turn_id)
    save_session(ctx, session)
    return turn


def settle(ctx: Context, session: dict[str, Any]) -> None:
    """Move the session's active turn forward to what time alone says it is now."""
    if session["_turn_id"] is None:
        return
    turn = ctx.store.get(TURN, session["_turn_id"], parent=session["id"])
    if turn is not None:
        advance_turn(ctx, session, turn)


def token_usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }


def usage_of(ctx: Context, session: dict[str, Any], reply: str) -> dict[str, Any]:
    """Instructions plus the session's messages for input, the reply for output (word counts)."""
    messages = [item for item in ctx.store.children(ITEM, session["id"]) if item["type"] == "message"]
    prompt = model.count_tokens(
        session["agent"]["instructions"], *(content_text(m["content"]) for m in messages)
    )
    return token_usage(prompt, model.count_tokens(reply))


def finish_turn(
    ctx: Context, session: dict[str, Any], turn: dict[str, Any], status: str, usage: dict[str, Any]
) -> None:
    now = ctx.now()
    turn.update(status=status, completed_at=now, usage=usage)
    turn["started_at"] = turn["started_at"] or now
    total = session["usage"]
    if total is not None:
        usage = token_usage(
            total["input_tokens"] + usage["input_tokens"], total["output_tokens"] + usage["output_tokens"]
        )
    spend.charge(session, turn["usage"])
    status = spend.BUDGET_REACHED if spend.reached(session) else "idle"
    session.update(status=status, required_actions=[], usage=usage, last_active_at=now, _turn_id=None)
    save_turn(ctx, turn)
    save_session(ctx, session)


def advance_turn(ctx: Context, session: dict[str, Any], turn: dict[str, Any]) -> None:
    now_ms = ctx.clock_ms()
    if turn["status"] == "waiting":
        return
    turn["started_at"] = turn["started_at"] or now_ms // 1000
    if now_ms < turn["_ready_ms"]:
        turn["status"] = "in_progress"
        save_turn(ctx, turn)
        return
    outcome = model.Outcome(turn["_outcome"])
    if outcome is model.Outcome.REQUIRES_ACTION:
        pending = []
        for call in turn["_calls"]:
            fields = {"call_id": call["call_id"], "name": call["name"], "arguments": call["arguments"]}
            add_item(
                ctx,
                session["id"],
                {
                    "id": new_id("fc_"),
                    "type": "function_call",
                    "status": "completed",
                    "turn_id": turn["id"],
                    **fields,
                },
            )
            pending.append({"type": "function_call", "turn_id": turn["id"], **fields})
        turn["status"] = "waiting"
        session.update(status="requires_action", required_actions=pending)
        save_turn(ctx, turn)
        save_session(ctx, session)
        return
    if outcome in (model.Outcome.COMPLETED, model.Outcome.SEARCH):
        reply = (
            turn["_reply"]
            if outcome is model.Outcome.COMPLETED
            else "No knowledge is attached to this agent."
        )
        usage = usage_of(ctx, session, reply)  # before the reply joins the session
        if spend.reached(session, usage):
            turn["error"] = spend.exceeded_error(session, usage)
            finish_turn(ctx, session, turn, "failed", usage)  # the reply is withheld, its usage charged
            return
        add_item(
            ctx,
            session["id"],
            {
                "id": new_id("msg_"),
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": reply}],
                "phase": "final_answer",
                "status": "completed",
                "turn_id": turn["id"],
            },
        )
        finish_turn(ctx, session, turn, "completed", usage)
        return
    code, message = FAILURES[outcome]
    if outcome is model.Outcome.FAILED and turn["_reply"]:  # a scripted failure's own message
        message = turn["_reply"]
    turn["error"] = {"code": code, "message": message}
    finish_turn(ctx, session, turn, "failed", usage_of(ctx, session, ""))


def load_turn(ctx: Context, session_id: str, turn_id: str) -> dict[str, Any]:
    body = ctx.store.get(TURN, turn_id, parent=session_id)
    if body is None:
        raise not_found(f"No turn found with id '{turn_id}' in session '{session_id}'.")
    return body


def stream_events(ctx: Context, request: ApiRequest) -> Reply:
    """The session's events so far as server-sent events (session_events.py), after settling it."""
    agents.require_beta_header(request)
    session = load_session(ctx, request.path_params["session_id"])
    settle(ctx, session)
    return session_events.stream(ctx, session["id"])


def retrieve_turn(ctx: Context, request: ApiRequest) -> Reply:
    agents.require_beta_header(request)
    session = load_session(ctx, request.path_params["session_id"])
    settle(ctx, session)
    return Reply(public(load_turn(ctx, session["id"], request.path_params["turn_id"])))


def list_turns(ctx: Context, request: ApiRequest) -> Reply:
    agents.require_beta_header(request)
    query = parse_list_query(request.query, allow_before=False)
    session = load_session(ctx, request.path_params["session_id"])
    settle(ctx, session)
    page = ctx.store.page(TURN, parent=session["id"], limit=query.limit, order=query.order, after=query.after)
    return Reply(list_envelope(page, public))


# Items


def list_items(ctx: Context, request: ApiRequest) -> Reply:
    agents.require_beta_header(request)
    query = parse_list_query(request.query, allow_before=False)
    session = load_session(ctx, request.path_params["session_id"])
    settle(ctx, session)
    page = ctx.store.page(ITEM, parent=session["id"], limit=query.limit, order=query.order, after=query.after)
    return Reply(list_envelope(page))


def list_turn_items(ctx: Context, request: ApiRequest) -> Reply:
    agents.require_beta_header(request)
    query = parse_list_query(request.query, allow_before=False)
    session = load_session(ctx, request.path_params["session_id"])
    settle(ctx, session)
    turn = load_turn(ctx, session["id"], request.path_params["turn_id"])
    page = ctx.store.page(
        ITEM, parent=session["id"], limit=query.limit, order=query.order, after=query.after, tag=turn["id"]
    )
    return Reply(list_envelope(page))


# Input events


def create_events(ctx: Context, request: ApiRequest) -> Reply:
    """Apply every event in order, all or nothing; a repeated Idempotency-Key is accepted once."""
    agents.require_beta_header(request)
    session = load_session(ctx, request.path_params["session_id"])
    payload = check_body(schemas.CREATE_SESSION_EVENTS, request.body)
    key = request.headers.get("idempotency-key")
    if key and ctx.store.exists(ACCEPTED_KEY, key, parent=session["id"]):
        return Reply(None, status=202, raw=b"")
    settle(ctx, session)
    for index, event in enumerate(payload["events"]):
        apply_event(ctx, session, event, f"events[{index}]")
    if key:
        ctx.store.insert(ACCEPTED_KEY, {"id": key, "created_at": ctx.now()}, parent=session["id"])
    return Reply(None, status=202, raw=b"")


def apply_event(ctx: Context, session: dict[str, Any], event: dict[str, Any], param: str) -> None:
    kind = event["type"]
    if kind == "agent.session.input.message":
        if session["status"] == spend.BUDGET_REACHED:
            raise spend.refused_input(session, param)
        if session["_turn_id"] is not None:
            raise invalid(
                "The session cannot accept additional input while a turn is running.",
                param,
                "active_turn_not_steerable",
            )
        start_turn(ctx, session, event["input"])
    elif kind == "agent.session.input.cancel":
        if session["_turn_id"] is None:
            raise invalid(f"Session {session['id']} has no active turn to cancel.", param)
        turn = load_turn(ctx, session["id"], session["_turn_id"])
        finish_turn(ctx, session, turn, "cancelled", usage_of(ctx, session, ""))
    elif kind == "agent.session.input.tool_result":
        accept_tool_result(ctx, session, event, param)
    else:
        raise invalid(f"No pending approval request with id '{event['request_id']}'.", f"{param}.request_id")


def result_text(output: str | list[dict[str, Any]] | None) -> str:
    if output is None or isinstance(output, str):
        return output or ""
    return "\n".join(part["text"] if part["type"] == "input_text" else "[image]" for part in output)


def accept_tool_result(ctx: Context, session: dict[str, Any], event: dict[str, Any], param: str) -> None:
    pending = session["required_actions"]
    call_id = event["call_id"]
    match = [a for a in pending if a["type"] == "function_call" and a["call_id"] == call_id]
    if not match or match[0]["turn_id"] != event["turn_id"]:
        # the message and code the SDK's tool dispatcher recognises (lib/streaming/agents/_tools.py)
        raise invalid(f"Unknown pending tool call: {call_id}", f"{param}.call_id", "invalid_request_error")
    ok = event["success"]
    if ok and event.get("error") is not None:
        raise invalid("'error' is only allowed when 'success' is false.", f"{param}.error")
    if not ok and event.get("output") is not None:
        raise invalid("'output' is only allowed when 'success' is true.", f"{param}.output")
    turn = load_turn(ctx, session["id"], event["turn_id"])
    output = event.get("output")
    error = None if ok else (event.get("error") or "The function call failed.")
    add_item(
        ctx,
        session["id"],
        {
            "id": new_id("fco_"),
            "type": "function_call_output",
            "call_id": call_id,
            "output": (output if output is not None else "") if ok else None,
            "error": error,
            "status": "completed" if ok else "failed",
            "turn_id": turn["id"],
        },
    )
    turn["_results"][call_id] = [result_text(output) if ok else error, ok]
    session["required_actions"] = [a for a in pending if a is not match[0]]
    if not session["required_actions"]:
        results = [(c["name"], *turn["_results"][c["call_id"]]) for c in turn["_calls"]]
        scripted = ctx.scripts.next_decision((session["id"], session["agent"]["id"]))
        if scripted is not None:  # the script's next step (scripts.py)
            turn.update(
                status="in_progress",
                _outcome=scripted.outcome.value,
                _reply=scripted.reply,
                _calls=[
                    {"call_id": new_id("call_"), "name": c.name, "arguments": c.arguments}
                    for c in scripted.calls
                ],
                _results={},
                _ready_ms=ctx.clock_ms(),
            )
        else:
            reply = model.reply_to_function_results(results)
            draw = ctx.stand_in_draw("after:" + reply)
            turn.update(
                status="in_progress",
                _outcome=model.Outcome.COMPLETED.value,
                _reply=stand_in.reply_after_tools(draw, reply) if draw is not None else reply,
                _ready_ms=ctx.clock_ms(),
            )
        session["status"] = "in_progress"
    save_turn(ctx, turn)
    save_session(ctx, session)


ENDPOINTS = (
    Endpoint("GET", "/v1/agents/sessions", list_sessions),
    Endpoint("POST", "/v1/agents/sessions", create_session),
    Endpoint("GET", "/v1/agents/sessions/{session_id}", retrieve_session),
    Endpoint("POST", "/v1/agents/sessions/{session_id}", update_session),
    Endpoint("DELETE", "/v1/agents/sessions/{session_id}", delete_session),
    Endpoint("POST", "/v1/agents/sessions/{session_id}/events", create_events),
    Endpoint("GET", "/v1/agents/sessions/{session_id}/events", stream_events),
    Endpoint("GET", "/v1/agents/sessions/{session_id}/items", list_items),
    Endpoint("GET", "/v1/agents/sessions/{session_id}/turns", list_turns),
    Endpoint("GET", "/v1/agents/sessions/{session_id}/turns/{turn_id}", retrieve_turn),
    Endpoint("GET", "/v1/agents/sessions/{session_id}/turns/{turn_id}/items", list_turn_items),
)
