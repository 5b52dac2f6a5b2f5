"""`orchestrator run NAME -m TEXT` and `orchestrator chat NAME`: talk to a deployed assistant.

Bound function handlers are imported and executed here (never by validate or diff). The reply goes
to stdout; tool-call progress, usage and errors go to stderr. run exits 0 on a reply, 3 when an agent
session reached its spend limit (BUDGET_EXIT), 1 otherwise.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import click

from orchestrator.app.project import Invalid
from orchestrator.app.state import load_state
from orchestrator.cli.common import (
    directory_option,
    environment_option,
    output_option,
    resolve_root,
    spec_argument,
    target_option,
    tool_timeout_option,
    turn_timeout_option,
)
from orchestrator.cli.events import events_option, make_bus
from orchestrator.cli.output import echo
from orchestrator.cli.previews import preview_option
from orchestrator.cli.report import TERMINAL
from orchestrator.errors import OrchestratorError
from orchestrator.spec.capabilities import has_spend_limit

F = TypeVar("F", bound=Callable[..., Any])

DEBUG_ENV = "ORCHESTRATOR_DEBUG"
BUDGET_EXIT = (
    3  # run: the agent session reached its spend limit (docs/how-to/run-and-chat.md: Options and exit codes)
)
BUDGET_HINT = "raise it with --spend-limit or session.spend_limit_usd"


class SpendLimit(click.ParamType):
    """--spend-limit USD: a positive number of US dollars, as whole cents rounded up."""

    name = "usd"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value  # already cents (a default)
        from orchestrator.spec.capabilities import spend_limit_cents

        text = str(value).strip().removeprefix("$")
        try:
            return spend_limit_cents(float(text))
        except ValueError:
            self.fail(
                f"expected a positive number of US dollars up to 1,000,000 (e.g. 2.50), got {value!r}",
                param,
                ctx,
            )


def session_options(func: F) -> F:
    """Options run and chat share: where to talk, how long to wait, what to record."""
    options = [
        directory_option,
        environment_option,
        target_option,
        preview_option,
        click.option("--thread", "thread_id", default=None, metavar="ID", help="Continue this thread."),
        turn_timeout_option("Give up on a turn after S seconds (the run is cancelled)."),
        tool_timeout_option("Per tool call; a late handler's output becomes a timeout error."),
        click.option(
            "--max-tool-rounds",
            type=click.IntRange(0, 100),
            default=8,
            show_default=True,
            metavar="N",
            help="Tool rounds per turn before the run is cancelled (stops loops).",
        ),
        click.option(
            "--spend-limit",
            "spend_limit_cents",
            type=SpendLimit(),
            default=None,
            metavar="USD",
            help="Agents targets: the session's spend limit in USD, rounded up to whole cents "
            "(overrides the spec's session.spend_limit_usd; with --thread it updates the session).",
        ),
        events_option,
        click.option(
            "--events-debug",
            is_flag=True,
            help=f"Include messages, tool arguments and outputs in events (or {DEBUG_ENV}=1).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.command()
@spec_argument
@click.option("-m", "--message", required=True, metavar="TEXT", help="The message to send.")
@output_option("text", "json", help=None)
@session_options
def run(name: str, message: str, output: str, **options: Any) -> int:
    """Send one message to the live assistant of spec NAME and print its reply.

    \b
    Examples:
      orchestrator run spanish-tutor -m '¿Qué es el subjuntivo?'
      orchestrator run retail-analyst -m 'KPIs of store 12' --thread thread_abc
    """
    from orchestrator.runtime.conversation import TurnFailed

    if not message.strip():
        raise click.UsageError("-m/--message needs some text to send")

    try:
        with open_session(name, **options) as session:
            try:
                reply = send_showing_progress(session, name, message, tool_starts=output == "text")
            except TurnFailed as failed:
                if output == "json":
                    echo(json.dumps(failed.to_json(), indent=2, ensure_ascii=False))
                echo(f"error: {failure_text(failed)}", err=True)
                if failed.thread_id is not None:
                    label, conversation = session.conversation_label, failed.thread_id
                    echo(f"{label}: {conversation} (continue with --thread {conversation})", err=True)
                return BUDGET_EXIT if failed.status == "budget_reached" else 1
    except Invalid:
        return 1
    if output == "json":
        echo(json.dumps(reply.to_json(), indent=2, ensure_ascii=False))
    else:
        echo(reply.text)
        echo(
            f"{session.conversation_label}: {reply.thread_id} · "
            f"{describe_usage(reply.usage, reply.cost_usd, reply.model, reply.spend)}",
            err=True,
        )
    return 0


@click.command()
@spec_argument
@session_options
def chat(name: str, **options: Any) -> int:
    """Talk to the live assistant of spec NAME; one thread for the session, Ctrl-D to exit.

    Ctrl-C during a turn cancels that turn (on the server too) and gives the prompt back; Ctrl-C at
    the prompt leaves (exit 130).

    \b
    Examples:
      orchestrator chat spanish-tutor
      orchestrator chat retail-analyst -e agents
    """
    from orchestrator.runtime.conversation import TurnFailed

    failures = 0
    interrupted = False
    try:
        with open_session(name, **options) as session:
            where = (
                f"{session.conversation_label} {session.thread_id}"
                if session.thread_id is not None
                else f"a new {session.conversation_label} (created by the first message)"
            )
            echo(f"Chatting with {name} ({session.assistant_id}) on {where}. Ctrl-D to exit.", err=True)
            prompt = sys.stdin.isatty()
            read_line = line_reader(history_file(options.get("directory")) if prompt else None)
            try:
                while True:
                    try:
                        text = read_line("you> " if prompt else "")
                    except EOFError:
                        if prompt:
                            echo("", err=True)
                        break
                    if not text.strip():
                        continue
                    try:
                        reply = send_showing_progress(session, name, text)
                    except TurnFailed as failed:
                        failures += 1
                        echo(f"error: {failure_text(failed)}", err=True)
                        continue
                    except KeyboardInterrupt:
                        # as a REPL does: Ctrl-C stops the turn (send() cancelled it on the server) and
                        # gives the prompt back; Ctrl-C at the prompt, or Ctrl-D, leaves
                        echo("", err=True)
                        echo(
                            f"Turn cancelled; the {session.conversation_label} goes on. "
                            "Ctrl-C again or Ctrl-D to leave.",
                            err=True,
                        )
                        continue
                    echo(f"{name}> {reply.text}")
            except KeyboardInterrupt:
                echo("", err=True)
                interrupted = True
            model = session.last_model
            turns = f"{session.turns} turn{'s' if session.turns != 1 else ''}"
            where = (
                f" on {session.conversation_label} {session.thread_id}"
                if session.thread_id is not None
                else ""
            )
            echo(
                f"Session: {turns}{where} · "
                f"{describe_usage(session.usage, session.cost_usd, model, session.spend)}",
                err=True,
            )
    except Invalid:
        return 1
    return 130 if interrupted else (1 if failures else 0)


@contextmanager
def open_session(
    name: str,
    *,
    directory: Path | None,
    environment: str | None,
    target: str | None,
    thread_id: str | None,
    turn_timeout: float,
    tool_timeout: float,
    max_tool_rounds: int,
    events: Path | None,
    events_debug: bool,
    spend_limit_cents: int | None = None,
    preview: str | None = None,
) -> Iterator[Any]:
    """Load and validate the project, connect to the target and open a session on the spec's assistant."""
    from orchestrator.app.conversation import session_on
    from orchestrator.runtime.conversation import Limits, unknown_spec

    state = load_state(
        resolve_root(directory), environment, target, reporter=TERMINAL, preview=preview
    )  # preview: talk to its copy
    if name not in state.specs:
        raise OrchestratorError(unknown_spec(name, state))
    debug = events_debug or os.environ.get(DEBUG_ENV, "") not in ("", "0", "false")
    limits = Limits(turn_timeout_s=turn_timeout, tool_timeout_s=tool_timeout, max_tool_rounds=max_tool_rounds)
    if spend_limit_cents is not None and not has_spend_limit(state.target.backend):
        echo(
            f"warning: --spend-limit has no effect on target `{state.target.name}` (backend: "
            f"{state.target.backend}): threads and runs have no spend limit",
            err=True,
        )
    with session_on(
        state,
        name,
        thread_id=thread_id,
        limits=limits,
        bus=make_bus(events),
        debug=debug,
        spend_limit_cents=spend_limit_cents,
    ) as session:
        for function, problem in session.registry.problems().items():
            echo(f"warning: function `{function}`: {problem}; its calls will return an error", err=True)
        yield session


HISTORY_LINES = 1000


def history_file(directory: Path | None) -> Path | None:
    """chat's line history, kept in the project's git-ignored state folder."""
    from orchestrator.constants import STATE_DIR

    try:
        return resolve_root(directory) / STATE_DIR / "chat-history"
    except OrchestratorError:
        return None


def line_reader(history: Path | None) -> Callable[[str], str]:
    """input() with line editing and history (readline) when both ends are a terminal; plain otherwise."""
    if history is None or not sys.stdout.isatty():

        def plain(prompt: str) -> str:
            if prompt:
                echo(prompt, nl=False, err=True)
            return input()

        return plain
    try:
        import readline
    except ImportError:  # Windows without pyreadline: still a prompt, without editing
        return line_reader(None)
    import atexit

    readline.set_history_length(HISTORY_LINES)
    with suppress(OSError):  # no history yet, or unreadable: start empty
        readline.read_history_file(history)

    def save() -> None:
        from orchestrator.spec.writing import WriteRefused, check_state_file

        try:
            check_state_file(history.parent.parent, history)  # the state folder made, no link on the way
            readline.write_history_file(history)
            history.chmod(0o600)  # what users type can be private
        except (OSError, WriteRefused):
            pass

    atexit.register(save)
    return input


def send_showing_progress(session: Any, name: str, text: str, *, tool_starts: bool = True) -> Any:
    """One turn, with a status line on a terminal while it runs; tool calls print above it."""
    from orchestrator.cli.progress import Activity

    with Activity(f"{name} is replying", delay=0.2) as activity:

        def say(line: str) -> None:
            if activity.enabled:
                activity.say(line)
            else:
                echo(line, err=True)

        def started(call_id: str, function: str) -> None:
            activity.update(f"{name} is replying: running {function}")
            say(f"  -> {function} ...")

        def finished(call: Any) -> None:
            activity.update(f"{name} is replying")
            status = "ok" if call.ok else f"error: {call.error_type}"
            say(f"  <- {call.name} {status} ({call.duration_ms} ms)")
            for line in call.printed.splitlines():  # what the handler printed: never on stdout
                say(f"     {call.name}| {line}")

        return session.send(text, on_tool_start=started if tool_starts else None, on_tool_done=finished)


def failure_text(failed: Any) -> str:
    """The turn's failure, with how to go on when an agent session reached its spend limit."""
    if failed.status == "budget_reached":
        return f"{failed.message}; {BUDGET_HINT}"
    return str(failed.message)


def describe_usage(usage: Any, cost: float | None, model: str | None, spend: Any = None) -> str:
    """Tokens and the estimated cost, then the server's session spend when it reports one (agent
    sessions: `· session spend $0.02 of $2.50`, the whole session's, where the estimate is this turn's
    or this chat's)."""
    from orchestrator.runtime.pricing import PRICES_AS_OF

    line = (
        f"{usage.total_tokens} tokens ({usage.prompt_tokens} prompt + {usage.completion_tokens} completion)"
    )
    if cost is None and model:
        from orchestrator.runtime.pricing import estimate_cost

        # a turn cancelled before the server counted tokens has no cost, which is not "no price"
        cost = estimate_cost(model, usage.prompt_tokens, usage.completion_tokens)
    if cost is None:
        line += f" · no price known for {model}" if model else ""
    else:
        line += f" · est. ${cost:.6f} ({model}, prices as of {PRICES_AS_OF.isoformat()})"
    if spend is not None and spend.consumed_cents is not None:
        line += f" · {spend.describe()}"
    return line
