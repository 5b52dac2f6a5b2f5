"""Talk to a deployed agent through the beta Agents API's sessions: run and chat on Agents API targets.

The session plays the thread's part (its id is what `--thread` continues) and a turn plays the run's.
The first turn creates the session with the message as its `input` (the API requires input for the
environment `{type: "none"}`); later turns submit an `agent.session.input.message` event. Then the
session is polled: `requires_action` lists function calls, which run through the same registry and
executor as on threads (ThreadsSession._execute) and go back in one `agent.session.input.tool_result` event
each (a failed call: `success: false`, the error object as `error`). `idle` ends the turn; its status,
error and usage are read from the turn. The input endpoint returns no turn id, so the turn is the
session's newest root turn: one writer per session, as the SDK's own stream helper assumes.

Spend (typed by the openai SDK since 3.60): a spend limit (the spec's `session.spend_limit_usd`, or the caller's override)
is sent as `spend_control.limit` when the session is created, and set with an update when a continued
session's limit differs. A session that reached its limit (`budget_reached`) ends the turn as
TurnFailed(status="budget_reached"), with the server's spend.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from orchestrator.engine.desired import DesiredState
from orchestrator.engine.ownership import Owner
from orchestrator.errors import OrchestratorError
from orchestrator.events import EventBus
from orchestrator.runtime.handlers import FunctionRegistry
from orchestrator.runtime.pricing import estimate_cost
from orchestrator.runtime.thread_sessions import (
    Limits,
    Reply,
    RequestedCall,
    Spend,
    ThreadsSession,
    ToolCall,
    ToolFinished,
    ToolStarted,
    TurnFailed,
    Usage,
    _quiet,
    _Turn,
    find_assistant,
    unknown_spec,
    usd,
)

BUDGET_REACHED = "budget_reached"  # the session status (and TurnFailed status) of a reached spend limit
ENVIRONMENT = {"type": "none"}  # no execution environment: the handlers run here, in this process
SESSION_METADATA_KEY = "orchestrator.session"
CANCEL_GRACE_S = 5.0


def find_template(state: DesiredState, name: str, sdk: Any) -> str:
    """The id of the live environment template the `kind: environment` spec NAME owns here."""
    from orchestrator.backends.environments import EnvironmentsClient

    owner = Owner(state.project.name, state.environment.name, name)
    found = EnvironmentsClient(sdk, state.project.name, state.project.root).find_template(owner)
    if found is None:
        raise OrchestratorError(
            f"environment `{name}` is not deployed to target {state.target.name} "
            f"(no environment template owned by {owner.label()}); run `orchestrator apply` first"
        )
    return found.id


class AgentsSession(ThreadsSession):
    """A conversation with one deployed agent, on one agent session; send() is one turn.

    thread_id is the session id (None until the first turn creates the session); a Reply's run_id is
    the turn id.
    """

    conversation_label = "session"

    def __init__(self, sdk: Any, *, owner: Owner, target: str, **options: Any) -> None:
        super().__init__(sdk, **options)
        self.owner = owner
        self.target_name = target
        self._last_turn_id: str | None = None  # the newest root turn seen; None: unknown
        self.environment: dict[str, Any] = dict(
            ENVIRONMENT
        )  # where turns run: the spec's environment template
        self.spend_limit_cents: int | None = None  # sent as spend_control.limit; None: the server's default

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
    ) -> AgentsSession:
        """A session on the live agent `spec_name` owns; with thread_id, continue that agent session.

        spend_limit_cents overrides the spec's `session.spend_limit_usd`."""
        spec = state.specs.get(spec_name)
        if spec is None:
            raise OrchestratorError(unknown_spec(spec_name, state))
        agent_id = find_assistant(state, spec_name, sdk)
        registry = FunctionRegistry.from_spec(spec, state.project)
        limit = spend_limit_cents if spend_limit_cents is not None else spec.spend_limit_cents
        live = check_session(sdk, thread_id, state.target.name, agent_id, spec_name) if thread_id else None
        session = cls(
            sdk,
            owner=Owner(state.project.name, state.environment.name, spec_name),
            target=state.target.name,
            assistant_id=agent_id,
            registry=registry,
            thread_id=thread_id,
            spec_name=spec_name,
            bus=bus,
            limits=limits,
            debug=debug,
            resources=resources,
        )
        if spec.environment is not None:
            session.environment = {
                "type": "openai_hosted",
                "environment_template_id": find_template(state, spec.environment, sdk),
            }
        session.spend_limit_cents = limit
        if live is not None:
            session.spend = Spend.of(live)
            if limit is not None and (session.spend is None or session.spend.limit_cents != limit):
                session.spend = Spend.of(set_spend_limit(sdk, live.id, limit))
        if thread_id is not None:
            session._announce(continued=True)
        return session

    def _announce(self, *, continued: bool) -> None:
        self.bus.publish(
            "session_created",
            project=self.owner.project,
            environment=self.owner.environment,
            target=self.target_name,
            spec=self.spec_name,
            assistant_id=self.assistant_id,
            thread_id=self.thread_id,
            continued=continued,
            backend="agents",
        )

    # -- one turn ------------------------------------------------------------------------------

    def _turn(
        self, text: str, turn: _Turn, on_start: ToolStarted | None, on_done: ToolFinished | None
    ) -> Reply:
        submitted = False
        try:
            raw = self._submit(text, turn)
            submitted = True
            return self._follow(raw, turn, on_start, on_done)
        except KeyboardInterrupt:
            if submitted and turn.run_id is None:  # with a turn id, send() cancels it
                self._cancel(turn)
            raise

    def _submit(self, text: str, turn: _Turn) -> Any:
        """Start the turn: create the session with the message, or send it to the existing one."""
        sessions = self.sdk.beta.agents.sessions
        if turn.thread_id is None:
            metadata = {SESSION_METADATA_KEY: self.owner.label()[:512]}
            extra: dict[str, Any] = {}
            if self.spend_limit_cents is not None:  # omitted, not null: a session without a limit
                extra["spend_control"] = {"limit": self.spend_limit_cents}
            raw = self._api(
                turn,
                lambda: sessions.with_raw_response.create(
                    environment=self.environment,
                    agent_id=self.assistant_id,
                    input=text,
                    metadata=metadata,
                    **extra,
                ),
            )
            self.thread_id = turn.thread_id = raw.parse().id
            self._last_turn_id = None
            self._announce(continued=False)
            return raw
        session_id = turn.thread_id
        if self._last_turn_id is None:
            self._last_turn_id = self._newest_turn_id(turn)
        event = {"type": "agent.session.input.message", "input": [user_message(text)]}
        try:
            self._api(
                turn,
                lambda: sessions.events.create(session_id, events=[event], idempotency_key=new_key()),
            )
        except TurnFailed as refused:
            # a paused session refuses input: say why, with the server's spend, rather than the 400
            live = self._api(turn, lambda: sessions.retrieve(session_id))
            if live.status == BUDGET_REACHED:
                raise self._budget_failed(turn, Spend.of(live)) from None
            raise refused
        return self._api(turn, lambda: sessions.with_raw_response.retrieve(session_id))

    def _follow(
        self, raw: Any, turn: _Turn, on_start: ToolStarted | None, on_done: ToolFinished | None
    ) -> Reply:
        """Poll the session until the turn ends, answering its function calls on the way."""
        sessions = self.sdk.beta.agents.sessions
        session_id = turn.thread_id
        session = raw.parse()
        turn.model = session.agent.model
        attempt = 0
        while True:
            if session.status == "requires_action":
                self._answer(session, turn, on_start, on_done)
                attempt = 0
                raw = self._api(turn, lambda: sessions.with_raw_response.retrieve(session_id))
                session = raw.parse()
                continue
            if session.status == "failed":
                message = f"session {session_id} failed ({session.error or 'no error details'})"
                raise self._failed(turn, "failed", message, None)
            ended = self._newest_turn(turn) if session.status in ("idle", BUDGET_REACHED) else None
            if ended is not None and ended.id != self._last_turn_id:
                break
            remaining = self.limits.turn_timeout_s - (self._clock() - turn.started)
            if remaining <= 0:
                self._cancel(turn)
                raise self._failed(
                    turn,
                    "timeout",
                    f"no reply within {self.limits.turn_timeout_s:g} s (turn timeout); "
                    f"the turn of session {session_id} was cancelled",
                    None,
                )
            self._sleep(min(self._poll_delay(raw.headers, attempt), remaining))
            attempt += 1
            raw = self._api(turn, lambda: sessions.with_raw_response.retrieve(session_id))
            session = raw.parse()
        self._last_turn_id = turn.run_id = ended.id
        usage = turn_usage(ended)
        cost = (
            estimate_cost(turn.model, usage.prompt_tokens, usage.completion_tokens)
            if ended.usage is not None and turn.model
            else None
        )
        spend = Spend.of(session)
        if ended.status != "completed" and session.status == BUDGET_REACHED:
            raise self._budget_failed(turn, spend, usage=usage, cost=cost)
        if ended.status != "completed":
            failed = self._failed(turn, ended.status, describe_turn(ended), None, usage=usage, cost=cost)
            failed.spend = spend
            raise failed
        return Reply(
            self._reply_text(turn),
            session_id,
            ended.id,
            turn.model or "",
            tuple(turn.calls),
            usage,
            cost,
            turn.rounds,
            spend,
        )

    def _budget_failed(
        self, turn: _Turn, spend: Spend | None, *, usage: Usage | None = None, cost: float | None = None
    ) -> TurnFailed:
        """The turn ended because the session reached its spend limit (status budget_reached)."""
        failed = self._failed(
            turn, BUDGET_REACHED, budget_message(turn.thread_id or "", spend), None, usage=usage, cost=cost
        )
        failed.spend = spend
        return failed

    def _answer(
        self, session: Any, turn: _Turn, on_start: ToolStarted | None, on_done: ToolFinished | None
    ) -> None:
        """Run the requested function calls and submit their results in one request."""
        actions = list(session.required_actions)
        calls = [action for action in actions if action.type == "function_call"]
        if calls:
            turn.run_id = calls[0].turn_id
        others = sorted({action.type for action in actions if action.type != "function_call"})
        if others or not calls:
            self._cancel(turn)
            asked = ", ".join(others) or "an action it did not name"
            raise self._failed(
                turn,
                "unsupported_action",
                f"the agent asked for {asked}, which run and chat cannot answer; "
                f"the turn of session {turn.thread_id} was cancelled",
                None,
            )
        if turn.rounds >= self.limits.max_tool_rounds:
            self._cancel(turn)
            raise self._failed(
                turn,
                "max_tool_rounds",
                f"stopped after {turn.rounds} tool round{'s' if turn.rounds != 1 else ''} "
                f"without a reply (max_tool_rounds={self.limits.max_tool_rounds}); "
                f"turn {turn.run_id} was cancelled",
                None,
            )
        requested = [RequestedCall(c.call_id, c.name, argument_text(c.arguments)) for c in calls]
        executed = self._execute(turn, requested, on_start, on_done)
        events = [tool_result(call, done) for call, done in zip(calls, executed, strict=True)]
        turn.rounds += 1
        session_id = turn.thread_id
        self._api(
            turn,
            lambda: self.sdk.beta.agents.sessions.events.create(
                session_id, events=events, idempotency_key=new_key()
            ),
        )

    def _newest_turn(self, turn: _Turn) -> Any:
        """The session's newest root turn (subagent turns are listed too), or None."""
        session_id = turn.thread_id
        page = self._api(
            turn, lambda: self.sdk.beta.agents.sessions.turns.list(session_id, order="desc", limit=20)
        )
        return next((item for item in page.data if item.subagent_id is None), None)

    def _newest_turn_id(self, turn: _Turn) -> str | None:
        newest = self._newest_turn(turn)
        return newest.id if newest is not None else None

    def _reply_text(self, turn: _Turn) -> str:
        """The turn's final answer (its assistant messages when none is marked final)."""
        session_id, turn_id = turn.thread_id, turn.run_id
        page = self._api(
            turn,
            lambda: self.sdk.beta.agents.sessions.turns.items.list(
                turn_id, session_id=session_id, order="asc", limit=100
            ),
        )
        messages = [item for item in page.data if item.type == "message" and item.role == "assistant"]
        final = [message for message in messages if message.phase == "final_answer"] or messages
        return "\n\n".join(message.output_text for message in final)

    def _cancel(self, turn: _Turn) -> None:
        """Cancel the active turn and wait briefly until it is over, so the session stays usable."""
        if turn.thread_id is None:
            return
        sessions = self.sdk.beta.agents.sessions
        try:
            with _quiet():
                sessions.events.create(
                    turn.thread_id, events=[{"type": "agent.session.input.cancel"}], idempotency_key=new_key()
                )
                deadline = self._clock() + CANCEL_GRACE_S
                session = sessions.retrieve(turn.thread_id)
                while session.status == "in_progress" and self._clock() < deadline:
                    self._sleep(0.05)
                    session = sessions.retrieve(turn.thread_id)
        except Exception:  # the turn already failed; cancelling is best effort
            pass


# -- wire shapes -------------------------------------------------------------------------------


def new_key() -> str:
    """An Idempotency-Key, so the SDK's retries of one input submission apply it once."""
    return f"orchestrator-{uuid.uuid4()}"


def user_message(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def argument_text(arguments: object) -> str:
    """The arguments as the registry takes them: a JSON string (the API's field is any JSON value)."""
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)


def tool_result(call: Any, done: ToolCall) -> dict[str, Any]:
    """A succeeded call's output, or `success: false` with the error object the model reads."""
    event: dict[str, Any] = {
        "type": "agent.session.input.tool_result",
        "turn_id": call.turn_id,
        "call_id": call.call_id,
        "success": done.ok,
    }
    event["output" if done.ok else "error"] = done.output
    return event


def turn_usage(turn: Any) -> Usage:
    usage = getattr(turn, "usage", None)
    if usage is None:
        return Usage()
    return Usage(usage.input_tokens or 0, usage.output_tokens or 0, usage.total_tokens or 0)


def describe_turn(turn: Any) -> str:
    """A clear one-line message for a turn that ended without completing."""
    if turn.status == "failed":
        error = turn.error
        detail = f"{error.code}: {error.message}" if error is not None else "no error details"
        return f"turn {turn.id} failed ({detail})"
    if turn.status == "cancelled":
        return f"turn {turn.id} was cancelled"
    return f"turn {turn.id} ended with status {turn.status}"


def budget_message(session_id: str, spend: Spend | None) -> str:
    """`session sess_… reached its spend limit of $0.01 (spent $0.02)`: the front ends add how to raise it."""
    if spend is None or spend.limit_cents is None:
        return f"session {session_id} reached its spend limit"
    spent = f" (spent {usd(spend.consumed_cents)})" if spend.consumed_cents is not None else ""
    return f"session {session_id} reached its spend limit of {usd(spend.limit_cents)}{spent}"


def set_spend_limit(sdk: Any, session_id: str, limit_cents: int) -> Any:
    """Update the session's spend_control.limit (the server keeps what it spent); the updated session."""
    import openai

    try:
        return sdk.beta.agents.sessions.update(session_id, spend_control={"limit": limit_cents})
    except openai.OpenAIError as exc:
        from orchestrator.engine.applying import describe_error

        raise OrchestratorError(
            f"cannot set the spend limit of session `{session_id}` to {usd(limit_cents)}: {describe_error(exc)}"
        ) from None


def check_session(sdk: Any, session_id: str, target: str, agent_id: str, spec_name: str) -> Any:
    """The session, which exists on the target and runs this spec's agent."""
    import openai

    try:
        session = sdk.beta.agents.sessions.retrieve(session_id)
    except openai.NotFoundError:
        raise OrchestratorError(f"session `{session_id}` not found on target `{target}`") from None
    except openai.OpenAIError as exc:
        from orchestrator.engine.applying import describe_error

        raise OrchestratorError(f"cannot read session `{session_id}`: {describe_error(exc)}") from None
    if session.agent.id != agent_id:
        raise OrchestratorError(
            f"session `{session_id}` runs agent `{session.agent.id}`, not `{agent_id}` of spec `{spec_name}`"
        )
    return session
