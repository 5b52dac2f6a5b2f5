"""`GET /v1/agents/sessions/{id}/events`: the events of a session so far, as server-sent events.

The emulator decides turns from time alone and keeps no connection open, so a stream replays what
happened, oldest first, and ends (the SDK's `Stream` ends with the body): a client that wants what
comes next asks again. Each change of the session's status is an event of that status
(`agent.session.in_progress`, `.requires_action`, `.idle`, `.failed`, and openai 3.60's
`agent.session.budget_reached` when a turn reaches the spend limit), and each turn that is created
or ends is `agent.session.turn.created|completed|failed|cancelled`, with the objects as they were then.
"""

from __future__ import annotations

import json
from typing import Any

from orchestrator.emulator.context import Context, Reply, new_id, public

EVENT = "agent.session.event"
SESSION_STATUSES = frozenset({"idle", "in_progress", "requires_action", "failed", "budget_reached"})
TURN_ENDS = {"completed": "completed", "failed": "failed", "cancelled": "cancelled"}
SEEN = "_event_status"  # private: the status the last event told


def record(ctx: Context, session_id: str, event: dict[str, Any]) -> None:
    event_id = new_id("evt_")
    ctx.store.insert(EVENT, {"id": event_id, "event": {"event_id": event_id, **event}}, parent=session_id)


def session_saved(ctx: Context, session: dict[str, Any], rendered: dict[str, Any]) -> None:
    """Record the session's new status, if it changed since the last event (called as it is saved)."""
    status = session.get("status")
    if session.get(SEEN, "idle") == status or status not in SESSION_STATUSES:
        session.setdefault(SEEN, status)
        return
    session[SEEN] = status
    record(ctx, session["id"], {"type": f"agent.session.{status}", "session": rendered})


def turn_created(ctx: Context, turn: dict[str, Any]) -> None:
    turn[SEEN] = turn["status"]
    record(
        ctx,
        turn["session_id"],
        {
            "type": "agent.session.turn.created",
            "session_id": turn["session_id"],
            "turn_id": turn["id"],
            "turn": public(turn),
        },
    )


def turn_saved(ctx: Context, turn: dict[str, Any]) -> None:
    """Record a turn that has just ended (completed, failed, cancelled)."""
    end = TURN_ENDS.get(turn["status"])
    if end is None or turn.get(SEEN) == turn["status"]:
        return
    turn[SEEN] = turn["status"]
    event: dict[str, Any] = {
        "type": f"agent.session.turn.{end}",
        "session_id": turn["session_id"],
        "turn_id": turn["id"],
        "turn": public(turn),
    }
    if end != "cancelled":
        event["usage"] = turn.get("usage")
    record(ctx, turn["session_id"], event)


def stream(ctx: Context, session_id: str) -> Reply:
    """Every event of the session so far, oldest first, as `text/event-stream`."""
    chunks = []
    for stored in ctx.store.children(EVENT, session_id):
        event = stored["event"]
        chunks.append(f"event: {event['type']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n")
    return Reply(
        None,
        raw="".join(chunks).encode(),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache"},
    )


def forget(ctx: Context, session_id: str) -> None:
    ctx.store.delete_children(EVENT, session_id)
