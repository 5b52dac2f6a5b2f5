"""Talking to a deployed spec (run, chat, MCP's send_message): a conversation session on its live object."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from orchestrator.engine.desired import DesiredState


@contextmanager
def session_on(
    state: DesiredState,
    name: str,
    *,
    thread_id: str | None,
    limits: Any,
    bus: Any,
    debug: bool = False,
    spend_limit_cents: int | None = None,
) -> Iterator[Any]:
    """A session (runtime.conversation.Session) on the live object spec `name` owns on the state's target,
    over a connection that is closed when the block ends; with thread_id, the conversation goes on there."""
    from orchestrator.backends.connection import Connection
    from orchestrator.runtime.conversation import Session

    with Connection(state.project, state.target) as connection:
        yield Session.attach(
            state,
            name,
            connection.sdk,
            thread_id=thread_id,
            limits=limits,
            bus=bus,
            debug=debug,
            spend_limit_cents=spend_limit_cents,
        )
