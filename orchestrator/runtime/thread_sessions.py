"""Talk to a live assistant: threads, runs and the function-calling loop (the seed's ThreadManager).

The types every session shares (Limits, Reply, TurnFailed, ...) and ThreadsSession, which AgentsSession
(runtime/agent_sessions.py) builds on; applications use runtime/conversation.py's Session, which picks one of
the two by the target's protocol.

One turn: add the user's message to the thread, create a run, poll it (honouring the server's
`openai-poll-after-ms`, with backoff otherwise, bounded by the turn timeout), and on
`requires_action` run every requested tool call concurrently, each with its own timeout, then
submit the outputs. A bad call never crashes the turn: it becomes an error object the model reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, as_completed
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.engine.desired import DesiredState
from orchestrator.engine.ownership import Owner, apply_hint
from orchestrator.errors import OrchestratorError
from orchestrator.events import EventBus
from orchestrator.runtime.handlers import TIMEOUT, FunctionRegistry, Invocation, failure
from orchestrator.runtime.pricing import estimate_cost

WAITING_STATUSES = frozenset({"queued", "in_progress", "cancelling"})
POLL_HEADER = "openai-poll-after-ms"
CANCEL_GRACE_S = 5.0


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds of one turn; all configurable from the CLI."""

    turn_timeout_s: float = 300.0  # the whole turn, polling and tool rounds included
    tool_timeout_s: float = 30.0  # each tool call
    max_tool_rounds: int = 8  # requires_action rounds per turn before the run is cancelled
    poll_initial_s: float = 0.2  # backoff when the server sends no openai-poll-after-ms
    poll_max_s: float = 2.0


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.total_tokens + other.total_tokens,
        )

    def to_json(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(frozen=True, slots=True)
class Spend:
    """An agent session's `spend_control` as the server reports it, in whole USD cents.

    consumed is floored by the server and None when it does not know; limit is None when unlimited.
    """

    consumed_cents: int | None
    limit_cents: int | None

    @classmethod
    def of(cls, session: Any) -> Spend | None:
        """The spend of an SDK AgentSession; None from servers without it."""
        control = getattr(session, "spend_control", None)
        if control is None:
            return None
        return cls(getattr(control, "consumed", None), getattr(control, "limit", None))

    def describe(self) -> str:
        """`session spend $0.02 of $2.50` (`of ...` only with a limit)."""
        spent = "unknown" if self.consumed_cents is None else usd(self.consumed_cents)
        return f"session spend {spent}" + (
            f" of {usd(self.limit_cents)}" if self.limit_cents is not None else ""
        )

    def to_json(self) -> dict[str, int | None]:
        return {"consumed_cents": self.consumed_cents, "limit_cents": self.limit_cents}


def usd(cents: int) -> str:
    return f"${cents / 100:.2f}"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One executed call: the exact argument and output strings exchanged with the model."""

    id: str
    name: str
    arguments: str
    output: str
    ok: bool
    duration_ms: int
    error_type: str | None = None
    error_message: str | None = None
    printed: str = ""  # what the handler wrote to stdout/stderr (redacted, bounded); shown on stderr

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "arguments": self.arguments,
            "output": self.output,
            "ok": self.ok,
            "duration_ms": self.duration_ms,
        }
        if self.error_type is not None:
            data["error"] = self.error_type
        return data


@dataclass(frozen=True, slots=True)
class Reply:
    """The outcome of one completed turn."""

    text: str
    thread_id: str
    run_id: str
    model: str
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None
    rounds: int = 0
    spend: Spend | None = None  # agent sessions: the server's spend_control after the turn

    def to_json(self) -> dict[str, Any]:
        return _turn_json({"reply": self.text}, self)


class TurnFailed(OrchestratorError):
    """A turn that ended without a reply: failed, cancelled, expired, incomplete, timed out or looping;
    status `budget_reached` when an agent session reached its spend limit (spend says how far)."""

    def __init__(
        self,
        message: str,
        *,
        status: str,
        thread_id: str | None,
        run_id: str | None,
        model: str | None = None,
        tool_calls: Sequence[ToolCall] = (),
        usage: Usage | None = None,
        cost_usd: float | None = None,
        spend: Spend | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.thread_id = thread_id
        self.run_id = run_id
        self.model = model
        self.tool_calls = tuple(tool_calls)
        self.usage = usage or Usage()
        self.cost_usd = cost_usd
        self.spend = spend

    def to_json(self) -> dict[str, Any]:
        return _turn_json({"error": {"status": self.status, "message": self.message}}, self)


def _turn_json(outcome: dict[str, Any], turn: Reply | TurnFailed) -> dict[str, Any]:
    """A turn as `run -o json` shows it: its outcome (the reply or the error) first, then what both have."""
    data = {
        **outcome,
        "thread_id": turn.thread_id,
        "run_id": turn.run_id,
        "model": turn.model,
        "tool_calls": [call.to_json() for call in turn.tool_calls],
        "usage": turn.usage.to_json(),
        "cost_usd": turn.cost_usd,
    }
    if turn.spend is not None:
        data["spend_control"] = turn.spend.to_json()
    return data


@dataclass(frozen=True, slots=True)
class RequestedCall:
    """A function call the model asked for, whatever the API: its id, name and raw argument string."""

    id: str
    name: str
    arguments: str


ToolStarted = Callable[[str, str], None]  # (call id, function name)
ToolFinished = Callable[[ToolCall], None]


@dataclass
class _Turn:
    """Mutable bookkeeping of the turn in progress."""

    thread_id: str | None  # None until an agents session is created by the first turn
    started: float
    run_id: str | None = None
    model: str | None = None
    rounds: int = 0
    calls: list[ToolCall] = field(default_factory=list)


class ThreadsSession:
    """A conversation with one deployed assistant, on one thread; send() is one turn.

    Applications use runtime/conversation.py's Session (same interface), which opens an AgentsSession
    instead on an Agents API target. Close it, or use it as a context manager.
    """

    conversation_label = "thread"  # what thread_id names, in messages

    def __init__(
        self,
        sdk: Any,
        *,
        assistant_id: str,
        registry: FunctionRegistry,
        thread_id: str | None,
        spec_name: str = "",
        bus: EventBus | None = None,
        limits: Limits | None = None,
        debug: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        resources: contextlib.ExitStack | None = None,
    ) -> None:
        self.sdk = sdk
        self.assistant_id = assistant_id
        self.registry = registry
        self.thread_id = thread_id
        self.spec_name = spec_name
        self.bus = bus or EventBus()
        self.limits = limits or Limits()
        self.debug = debug
        self.usage = Usage()
        self.cost_usd: float | None = None
        self.spend: Spend | None = None  # agent sessions: the server's spend_control, as last seen
        self.turns = 0
        self.last_model: str | None = None
        self._clock = clock
        self._sleep = sleep
        self._resources = resources
        self._lock = threading.Lock()

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        project_dir: str | Path,
        spec_name: str,
        *,
        environment: str | None = None,
        target: str | None = None,
        thread_id: str | None = None,
        limits: Limits | None = None,
        bus: EventBus | None = None,
        debug: bool = False,
        environ: Mapping[str, str] | None = None,
        today: Any = None,
        spend_limit_cents: int | None = None,
    ) -> ThreadsSession:
        """Load the project in project_dir, connect to the environment's target and open a session."""
        from datetime import date

        from orchestrator.backends.connection import Connection
        from orchestrator.engine.building import build_desired
        from orchestrator.spec.project import find_project_root, load_project, selection_diagnostics

        root = find_project_root(Path(project_dir))
        if root is None:
            raise OrchestratorError(
                f"no orchestrator.yaml found in {Path(project_dir).resolve()} or any parent folder; "
                "create a project with `orchestrator init`"
            )
        project, diagnostics = load_project(root)
        if project is None:
            raise OrchestratorError(_summarise(diagnostics))
        env = project.environment(environment)
        chosen = project.target(target or env.target)
        if selection_diagnostics(diagnostics, chosen).has_errors:
            raise OrchestratorError(_summarise(selection_diagnostics(diagnostics, chosen)))
        state = build_desired(project, env, chosen, today=today or date.today())
        if state.diagnostics.has_errors:
            raise OrchestratorError(_summarise(state.diagnostics))
        stack = contextlib.ExitStack()
        try:
            connection = stack.enter_context(Connection(project, chosen, environ=environ))
            return cls.attach(
                state,
                spec_name,
                connection.sdk,
                thread_id=thread_id,
                limits=limits,
                bus=bus,
                debug=debug,
                resources=stack,
                spend_limit_cents=spend_limit_cents,
            )
        except BaseException:
            stack.close()
            raise

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
        """A session on the live assistant that `spec_name` owns on the state's target.

        spend_limit_cents (agents targets) overrides the spec's `session.spend_limit_usd`; threads
        have no spend limit, so assistants targets ignore both."""
        spec = state.specs.get(spec_name)
        if spec is None:
            raise OrchestratorError(unknown_spec(spec_name, state))
        assistant_id = find_assistant(state, spec_name, sdk)
        registry = FunctionRegistry.from_spec(spec, state.project)
        bus = bus or EventBus()
        continued = thread_id is not None
        if thread_id is None:
            thread_id = create_thread(sdk, Owner(state.project.name, state.environment.name, spec_name))
        else:
            check_thread(sdk, thread_id, state.target.name)
        session = cls(
            sdk,
            assistant_id=assistant_id,
            registry=registry,
            thread_id=thread_id,
            spec_name=spec_name,
            bus=bus,
            limits=limits,
            debug=debug,
            resources=resources,
        )
        bus.publish(
            "session_created",
            project=state.project.name,
            environment=state.environment.name,
            target=state.target.name,
            spec=spec_name,
            assistant_id=assistant_id,
            thread_id=thread_id,
            continued=continued,
        )
        return session

    def close(self) -> None:
        if self._resources is not None:
            self._resources.close()
            self._resources = None

    def __enter__(self) -> ThreadsSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one turn ------------------------------------------------------------------------------

    def send(
        self, text: str, *, on_tool_start: ToolStarted | None = None, on_tool_done: ToolFinished | None = None
    ) -> Reply:
        """Send one message and return the assistant's reply; raises TurnFailed when the run ends otherwise."""
        with self._lock:
            turn = _Turn(self.thread_id, self._clock())
            try:
                reply = self._turn(text, turn, on_tool_start, on_tool_done)
            except TurnFailed as failed:
                self._count(failed.usage, failed.cost_usd, failed.model, failed.spend)
                self.bus.publish(
                    "run_failed",
                    spec=self.spec_name,
                    thread_id=self.thread_id,
                    run_id=failed.run_id,
                    status=failed.status,
                    message=failed.message,
                    usage=failed.usage.to_json(),
                    cost_usd=failed.cost_usd,
                    duration_ms=self._elapsed_ms(turn),
                )
                raise
            except KeyboardInterrupt:
                if turn.run_id is not None:
                    self._cancel(turn)  # leave the thread usable for the next session
                raise
            self._count(reply.usage, reply.cost_usd, reply.model, reply.spend)
            extra = {"message": text, "reply": reply.text} if self.debug else {}
            self.bus.publish(
                "run_completed",
                spec=self.spec_name,
                thread_id=self.thread_id,
                run_id=reply.run_id,
                model=reply.model,
                rounds=reply.rounds,
                tool_calls=len(reply.tool_calls),
                usage=reply.usage.to_json(),
                cost_usd=reply.cost_usd,
                duration_ms=self._elapsed_ms(turn),
                **extra,
            )
            return reply

    async def asend(
        self, text: str, *, on_tool_start: ToolStarted | None = None, on_tool_done: ToolFinished | None = None
    ) -> Reply:
        """send() for async code: the turn runs in a worker thread, the event loop stays free."""
        return await asyncio.to_thread(
            self.send, text, on_tool_start=on_tool_start, on_tool_done=on_tool_done
        )

    def _count(self, usage: Usage, cost: float | None, model: str | None, spend: Spend | None = None) -> None:
        self.spend = spend or self.spend
        self.turns += 1
        self.last_model = model or self.last_model
        self.usage = self.usage + usage
        if cost is not None:
            self.cost_usd = round((self.cost_usd or 0.0) + cost, 6)

    def _elapsed_ms(self, turn: _Turn) -> int:
        return int((self._clock() - turn.started) * 1000)

    def _turn(
        self, text: str, turn: _Turn, on_start: ToolStarted | None, on_done: ToolFinished | None
    ) -> Reply:
        threads = self.sdk.beta.threads
        self._api(turn, lambda: threads.messages.create(turn.thread_id, role="user", content=text))
        raw = self._api(
            turn,
            lambda: threads.runs.with_raw_response.create(turn.thread_id, assistant_id=self.assistant_id),
        )
        run = raw.parse()
        turn.run_id, turn.model = run.id, run.model
        attempt = 0
        while True:
            if run.status in WAITING_STATUSES:
                remaining = self.limits.turn_timeout_s - (self._clock() - turn.started)
                if remaining <= 0:
                    self._cancel(turn)
                    raise self._failed(
                        turn,
                        "timeout",
                        f"no reply within {self.limits.turn_timeout_s:g} s "
                        f"(turn timeout); run {turn.run_id} was cancelled",
                        None,
                    )
                self._sleep(min(self._poll_delay(raw.headers, attempt), remaining))
                attempt += 1
                raw = self._api(
                    turn,
                    lambda: threads.runs.with_raw_response.retrieve(turn.run_id, thread_id=turn.thread_id),
                )
                run = raw.parse()
                continue
            if run.status == "requires_action":
                if turn.rounds >= self.limits.max_tool_rounds:
                    self._cancel(turn)
                    raise self._failed(
                        turn,
                        "max_tool_rounds",
                        f"stopped after {turn.rounds} tool round{'s' if turn.rounds != 1 else ''} "
                        f"without a reply (max_tool_rounds={self.limits.max_tool_rounds}); "
                        f"run {turn.run_id} was cancelled",
                        None,
                    )
                requested = [
                    RequestedCall(call.id, call.function.name, call.function.arguments)
                    for call in run.required_action.submit_tool_outputs.tool_calls
                ]
                executed = self._execute(turn, requested, on_start, on_done)
                outputs = [{"tool_call_id": call.id, "output": call.output} for call in executed]
                turn.rounds += 1
                attempt = 0
                raw = self._api(
                    turn,
                    lambda outputs=outputs: threads.runs.with_raw_response.submit_tool_outputs(
                        turn.run_id, thread_id=turn.thread_id, tool_outputs=outputs
                    ),
                )
                run = raw.parse()
                continue
            break
        usage = _usage(run)
        cost = estimate_cost(run.model, usage.prompt_tokens, usage.completion_tokens) if run.usage else None
        if run.status != "completed":
            raise self._failed(turn, run.status, describe_status(run), run, usage=usage, cost=cost)
        return Reply(
            self._reply_text(turn),
            turn.thread_id,
            run.id,
            run.model,
            tuple(turn.calls),
            usage,
            cost,
            turn.rounds,
        )

    def _reply_text(self, turn: _Turn) -> str:
        threads = self.sdk.beta.threads
        page = self._api(
            turn, lambda: threads.messages.list(turn.thread_id, run_id=turn.run_id, order="asc", limit=100)
        )
        texts = []
        for message in page.data:
            if message.role != "assistant":
                continue
            texts.extend(part.text.value for part in message.content if part.type == "text")
        return "\n\n".join(texts)

    def _poll_delay(self, headers: Any, attempt: int) -> float:
        hinted = headers.get(POLL_HEADER) if headers is not None else None
        try:
            if hinted is not None:
                return max(int(hinted), 0) / 1000
        except ValueError:
            pass
        return min(self.limits.poll_initial_s * (1.6**attempt), self.limits.poll_max_s)

    # -- tool calls ----------------------------------------------------------------------------

    def _execute(
        self,
        turn: _Turn,
        requested: Sequence[RequestedCall],
        on_start: ToolStarted | None,
        on_done: ToolFinished | None,
    ) -> list[ToolCall]:
        """Run every call at once (one daemon thread each, so a hung handler never blocks exit). A call gets
        its tool timeout, never more than what is left of the turn's: past the turn's end the run is
        cancelled and the turn fails (a hung handler's thread cannot be killed; it is left behind)."""
        left = self.limits.turn_timeout_s - (self._clock() - turn.started)
        timeout = max(min(self.limits.tool_timeout_s, left), 0.0)
        bounded_by_turn = left < self.limits.tool_timeout_s
        futures: dict[Future[tuple[Invocation, int]], RequestedCall] = {}
        for call in requested:
            if on_start is not None:
                on_start(call.id, call.name)
            future: Future[tuple[Invocation, int]] = Future()
            worker = threading.Thread(
                target=_invoke,
                args=(future, self.registry, call.name, call.arguments),
                name=f"tool-{call.name}",
                daemon=True,
            )
            worker.start()
            futures[future] = call
        results: dict[str, ToolCall] = {}

        def record(call: RequestedCall, invocation: Invocation, duration_ms: int) -> None:
            done = ToolCall(
                call.id,
                call.name,
                call.arguments,
                invocation.output,
                invocation.ok,
                duration_ms,
                invocation.error_type,
                invocation.error_message,
                invocation.printed,
            )
            results[call.id] = done
            self._publish_tool(turn, done)
            if on_done is not None:
                on_done(done)

        try:
            for future in as_completed(futures, timeout=timeout):
                invocation, duration_ms = future.result()
                record(futures[future], invocation, duration_ms)
        except FutureTimeout:
            why = " (the turn's timeout)" if bounded_by_turn else ""
            for future, call in futures.items():
                if call.id not in results:
                    future.cancel()
                    record(
                        call,
                        failure(TIMEOUT, f"the handler did not return within {timeout:.3g} s{why}"),
                        int(timeout * 1000),
                    )
        ordered = [results[call.id] for call in requested]
        turn.calls.extend(ordered)
        if bounded_by_turn and self._clock() - turn.started >= self.limits.turn_timeout_s:
            late = [call.name for call in ordered if call.error_type == TIMEOUT]
            self._cancel(turn)
            raise self._failed(
                turn,
                "timeout",
                f"no reply within {self.limits.turn_timeout_s:g} s (turn timeout)"
                + (f": handler {', '.join(late)} still running" if late else "")
                + f"; the {self._run_label()} was cancelled",
                None,
            )
        return ordered

    def _run_label(self) -> str:
        return "run" if self.conversation_label == "thread" else "turn"

    def _publish_tool(self, turn: _Turn, call: ToolCall) -> None:
        extra: dict[str, Any] = {}
        if self.debug:
            extra = {"arguments": call.arguments, "output": call.output, "error_message": call.error_message}
        self.bus.publish(
            "tool_called",
            spec=self.spec_name,
            thread_id=turn.thread_id,
            run_id=turn.run_id,
            call_id=call.id,
            name=call.name,
            duration_ms=call.duration_ms,
            ok=call.ok,
            error=call.error_type,
            **extra,
        )

    # -- failures ------------------------------------------------------------------------------

    def _failed(
        self,
        turn: _Turn,
        status: str,
        message: str,
        run: Any,
        *,
        usage: Usage | None = None,
        cost: float | None = None,
    ) -> TurnFailed:
        return TurnFailed(
            message,
            status=status,
            thread_id=turn.thread_id,
            run_id=turn.run_id,
            model=turn.model,
            tool_calls=turn.calls,
            usage=usage,
            cost_usd=cost,
        )

    def _cancel(self, turn: _Turn) -> None:
        """Cancel the run and wait briefly until it is no longer active, so the thread stays usable."""
        runs = self.sdk.beta.threads.runs
        try:
            with _quiet():
                run = runs.cancel(turn.run_id, thread_id=turn.thread_id)
                deadline = self._clock() + CANCEL_GRACE_S
                while run.status in ("cancelling", "queued", "in_progress") and self._clock() < deadline:
                    self._sleep(0.05)
                    run = runs.retrieve(turn.run_id, thread_id=turn.thread_id)
        except Exception:  # the turn already failed; cancelling is best effort
            pass

    def _api(self, turn: _Turn, request: Callable[[], Any]) -> Any:
        """One API request; errors end the turn as a TurnFailed with a secret-free message."""
        try:
            with _quiet():
                return request()
        except Exception as exc:
            import openai

            if not isinstance(exc, openai.OpenAIError):
                raise
            from orchestrator.engine.applying import describe_error

            message = f"API request failed: {describe_error(exc)}"
            if turn.run_id is not None:  # e.g. tool outputs refused (413): never leave the run active
                self._cancel(turn)
                message += f"; {self._run_label()} {turn.run_id} was cancelled"
            raise self._failed(turn, "api_error", message, None) from None


def _invoke(
    future: Future[tuple[Invocation, int]], registry: FunctionRegistry, name: str, arguments: str
) -> None:
    if not future.set_running_or_notify_cancel():
        return
    started = time.perf_counter()
    invocation = registry.invoke(name, arguments)
    with contextlib.suppress(Exception):  # the caller may have given up (timeout) and cancelled
        future.set_result((invocation, int((time.perf_counter() - started) * 1000)))


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The SDK marks the Assistants API deprecated on every call; known, and not the user's concern."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def _usage(run: Any) -> Usage:
    usage = getattr(run, "usage", None)
    if usage is None:
        return Usage()
    return Usage(usage.prompt_tokens or 0, usage.completion_tokens or 0, usage.total_tokens or 0)


def describe_status(run: Any) -> str:
    """A clear one-line message for a run that ended without completing."""
    if run.status == "failed":
        error = run.last_error
        detail = f"{error.code}: {error.message}" if error is not None else "no error details"
        return f"run {run.id} failed ({detail})"
    if run.status == "expired":
        return f"run {run.id} expired before it completed"
    if run.status == "incomplete":
        reason = run.incomplete_details.reason if run.incomplete_details is not None else "unknown reason"
        return f"run {run.id} ended incomplete ({reason})"
    if run.status == "cancelled":
        return f"run {run.id} was cancelled"
    return f"run {run.id} ended with status {run.status}"


# -- live lookups ------------------------------------------------------------------------------


def find_assistant(state: DesiredState, spec_name: str, sdk: Any) -> str:
    """The id of the live assistant (or agent, on an Agents API target) this spec owns; the oldest
    if several claim it."""
    from orchestrator.backends import client_for

    owner = Owner(state.project.name, state.environment.name, spec_name)
    client = client_for(state.target.backend, sdk)
    try:
        objects = client.list_all()
    except Exception as exc:
        import openai

        if not isinstance(exc, openai.OpenAIError):
            raise
        from orchestrator.engine.applying import describe_error

        raise OrchestratorError(
            f"cannot read live state of target `{state.target.name}`: {describe_error(exc)}"
        ) from None
    owned = sorted((o for o in objects if o.owner == owner), key=lambda o: (o.created_at, o.id))
    if not owned:
        env = state.environment.name
        raise OrchestratorError(
            f"spec `{spec_name}` is not deployed to target `{state.target.name}` (environment {env}); "
            f"run `{apply_hint(env)}` first"
        )
    return owned[0].id


def create_thread(sdk: Any, owner: Owner) -> str:
    try:
        with _quiet():
            return str(sdk.beta.threads.create(metadata={"orchestrator.session": owner.label()[:512]}).id)
    except Exception as exc:
        import openai

        if not isinstance(exc, openai.OpenAIError):
            raise
        from orchestrator.engine.applying import describe_error

        raise OrchestratorError(f"cannot create a thread: {describe_error(exc)}") from None


def check_thread(sdk: Any, thread_id: str, target: str) -> None:
    import openai

    try:
        with _quiet():
            sdk.beta.threads.retrieve(thread_id)
    except openai.NotFoundError:
        raise OrchestratorError(f"thread `{thread_id}` not found on target `{target}`") from None
    except openai.OpenAIError as exc:
        from orchestrator.engine.applying import describe_error

        raise OrchestratorError(f"cannot read thread `{thread_id}`: {describe_error(exc)}") from None


def unknown_spec(name: str, state: DesiredState) -> str:
    return state.unknown_spec(name)


def _summarise(diagnostics: Any) -> str:
    errors = diagnostics.errors
    lines = [f"{d.location()}: {d.message}" for d in errors[:10]]
    more = f"\n... and {len(errors) - 10} more" if len(errors) > 10 else ""
    return "the project is invalid (run `orchestrator validate`):\n" + "\n".join(lines) + more
