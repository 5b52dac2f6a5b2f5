"""Talk to a live assistant or agent: Session, the one entry point of run, chat, test and MCP.

Session picks the implementation by the target's protocol: threads and runs on an Assistants API target
(runtime/thread_sessions.py), agent sessions on an Agents API target (runtime/agent_sessions.py). It sits
above both, so neither imports the other back.
"""

from __future__ import annotations

import contextlib
from typing import Any

from orchestrator.constants import AGENTS_BACKEND
from orchestrator.engine.desired import DesiredState
from orchestrator.events import EventBus
from orchestrator.runtime.agent_sessions import AgentsSession
from orchestrator.runtime.thread_sessions import (
    Limits,
    Reply,
    ThreadsSession,
    ToolCall,
    TurnFailed,
    Usage,
    _quiet,
    unknown_spec,
)

__all__ = ["Limits", "Reply", "Session", "ToolCall", "TurnFailed", "Usage", "_quiet", "unknown_spec"]


class Session(ThreadsSession):
    """A conversation with one deployed assistant, on one thread; send() is one turn.

    Use Session.open() from applications (it loads the project and connects), or Session.attach()
    when the state and connection are already there (the CLI). Close it, or use it as a context manager.
    On an Agents API target both return an AgentsSession (runtime/agent_sessions.py): same interface,
    with an agent session in the role of the thread.
    """

    @classmethod
    def attach(
        cls,
        state: DesiredState,
        spec_name: str,
        sdk: Any,
        *,
        thread_id: str | None = None,
        limits: Limits | None = None,
        bus: EventBus | None = None,
        debug: bool = False,
        resources: contextlib.ExitStack | None = None,
        spend_limit_cents: int | None = None,
    ) -> ThreadsSession:
        """A session on the live assistant (or agent) that `spec_name` owns on the state's target.

        spend_limit_cents (agents targets) overrides the spec's `session.spend_limit_usd`; threads
        have no spend limit, so assistants targets ignore both."""
        attach = AgentsSession.attach if state.target.backend == AGENTS_BACKEND else super().attach
        return attach(
            state,
            spec_name,
            sdk,
            thread_id=thread_id,
            limits=limits,
            bus=bus,
            debug=debug,
            resources=resources,
            spend_limit_cents=spend_limit_cents,
        )
