"""The grader: a model that judges a turn's reply against a `graded:` rubric (promptfoo's llm-rubric).

The grader runs on the same target as the test, through the same SDK client: on the Assistants API one
thread-and-run on the assistant under test (its short-lived copy) with the grader's model, instructions and
prompt as overrides, no tools, and a JSON-schema response format named "grade"; on the Agents API one
session with an inline agent (the grader's model and instructions, that text format, no tools, no
environment). The thread or session is deleted afterwards. The grader
sees the rubric and the reply, never the API key (the SDK sends that in a header), and secret values are
redacted from its prompt. It answers {"pass": bool, "score": 0..1, "reason": text}.
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

from orchestrator.engine.test_results import Grade
from orchestrator.errors import OrchestratorError

GRADE_FORMAT = "grade"  # the json_schema name; the emulator's model stand-in recognises grader requests by it
INSTRUCTIONS = (
    "You grade the output of an AI assistant against a rubric. Judge only what the output says. "
    'Answer with JSON only: {"pass": true or false, "score": a number from 0 to 1, '
    '"reason": one sentence}.'
)
DEFAULT_PROMPT = (
    "Does the output meet the rubric?\n\n<rubric>\n{{rubric}}\n</rubric>\n\n<output>\n{{output}}\n</output>"
)
RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": GRADE_FORMAT,
        "strict": True,
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "required": ["pass", "score", "reason"],
            "properties": {
                "pass": {"type": "boolean"},
                "score": {"type": "number"},
                "reason": {"type": "string"},
            },
        },
    },
}
MAX_OUTPUT_CHARS = 20_000  # of the graded reply, in the prompt


def render_prompt(template: str | None, rubric: str, output: str) -> str:
    """The grader's user message: the template with {{rubric}} and {{output}} (spaces allowed) replaced, the
    secret values redacted. Plain replacement, not a template engine: a reply cannot inject template code."""
    import re

    from orchestrator.secrets import redact

    values = {"rubric": rubric, "output": output[:MAX_OUTPUT_CHARS]}
    text = re.sub(r"\{\{\s*(rubric|output)\s*\}\}", lambda m: values[m.group(1)], template or DEFAULT_PROMPT)
    return redact(text)


def parse_verdict(text: str) -> tuple[bool, float | None, str]:
    """The grader's answer: (pass, score, reason); a reply that is not the JSON asked for is an error."""
    try:
        data = json.loads(text.strip().removeprefix("```json").removesuffix("```"))
    except ValueError:
        raise OrchestratorError(f"the grader did not answer JSON: {text[:120]!r}") from None
    if not isinstance(data, dict) or not isinstance(data.get("pass"), bool):
        raise OrchestratorError(f"the grader's answer has no boolean `pass`: {text[:120]!r}")
    score = data.get("score")
    score = float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None
    reason = data.get("reason") if isinstance(data.get("reason"), str) else ""
    return data["pass"], score, reason[:500]


def grade(
    sdk: Any,
    assistant_id: str,
    *,
    rubric: str,
    output: str,
    model: str,
    prompt: str | None = None,
    line: int | None = None,
    timeout_s: float = 120.0,
    protocol: str = "threads",
    spend_limit_cents: int | None = None,
) -> Grade:
    """Ask the grader model whether output meets rubric: a one-off thread run (protocol "threads") or agent
    session with an inline grader agent ("agents"), deleted afterwards."""
    import openai

    message = render_prompt(prompt, rubric, output)
    try:
        if protocol == "agents":
            text, tokens, cost = _ask_agent(sdk, message, model, timeout_s, spend_limit_cents)
        else:
            text, tokens, cost = _ask_thread(sdk, assistant_id, message, model, timeout_s)
    except openai.APIStatusError as error:
        said = str(getattr(error, "message", error)).removeprefix(f"Error code: {error.status_code} - ")
        raise OrchestratorError(
            f"the grader's request was refused ({error.status_code}): {said[:300]}"
        ) from None
    except openai.APIError as error:
        raise OrchestratorError(
            f"the grader's request failed: {str(getattr(error, 'message', error))[:300]}"
        ) from None
    ok, score, reason = parse_verdict(text)
    return Grade(rubric, ok, score, reason, line, model, tokens, cost)


def _wait(deadline: float, pause: float) -> float:
    if time.monotonic() > deadline:
        raise OrchestratorError("the grader did not answer in time")
    time.sleep(pause)
    return min(pause * 2, 1.0)


def _ask_agent(
    sdk: Any, message: str, model: str, timeout_s: float, spend_limit_cents: int | None
) -> tuple[str, int, float | None]:
    """One turn of a session with an inline agent (no tools, no environment), the session deleted after."""
    from orchestrator.runtime.conversation import _quiet
    from orchestrator.runtime.pricing import estimate_cost

    agent = {
        "model": model,
        "instructions": INSTRUCTIONS,
        "text": {"format": {"type": "json_schema", **RESPONSE_FORMAT["json_schema"]}},
    }
    extra = (
        {"extra_body": {"spend_control": {"limit": spend_limit_cents}}}
        if spend_limit_cents is not None
        else {}
    )
    sessions = sdk.beta.agents.sessions
    with _quiet():
        session = sessions.create(environment={"type": "none"}, agent=agent, input=message, **extra)
        try:
            deadline, pause = time.monotonic() + timeout_s, 0.05
            while session.status == "in_progress":
                pause = _wait(deadline, pause)
                session = sessions.retrieve(session.id)
            turn = next(iter(sessions.turns.list(session.id, order="desc", limit=1).data), None)
            if turn is None or turn.status != "completed":
                error = getattr(getattr(turn, "error", None), "message", None) or (
                    turn.status if turn else session.status
                )
                raise OrchestratorError(f"the grader's turn did not complete: {error}")
            usage = turn.usage
            tokens = (usage.total_tokens or 0) if usage else 0
            cost = estimate_cost(model, usage.input_tokens or 0, usage.output_tokens or 0) if usage else None
            items = sessions.turns.items.list(turn.id, session_id=session.id, order="asc", limit=100).data
            text = "".join(
                item.output_text for item in items if item.type == "message" and item.role == "assistant"
            )
        finally:
            with contextlib.suppress(Exception):  # best effort: the grader's own session
                sessions.delete(session.id)
    return text, tokens, cost


def _ask_thread(
    sdk: Any, assistant_id: str, message: str, model: str, timeout_s: float
) -> tuple[str, int, float | None]:
    """One run on a new thread of the assistant under test, with the grader's overrides; the thread deleted."""
    from orchestrator.runtime.conversation import _quiet
    from orchestrator.runtime.pricing import estimate_cost

    with _quiet():
        run = sdk.beta.threads.create_and_run(
            assistant_id=assistant_id,
            model=model,
            instructions=INSTRUCTIONS,
            tools=[],
            response_format=RESPONSE_FORMAT,
            thread={"messages": [{"role": "user", "content": message}]},
        )
        try:
            deadline, pause = time.monotonic() + timeout_s, 0.05
            while run.status in ("queued", "in_progress", "cancelling"):
                pause = _wait(deadline, pause)
                run = sdk.beta.threads.runs.retrieve(run.id, thread_id=run.thread_id)
            usage = run.usage
            tokens = usage.total_tokens if usage else 0
            cost = estimate_cost(model, usage.prompt_tokens, usage.completion_tokens) if usage else None
            if run.status != "completed":
                error = run.last_error.message if run.last_error else run.status
                raise OrchestratorError(f"the grader's run ended {run.status}: {error}")
            page = sdk.beta.threads.messages.list(run.thread_id, run_id=run.id, order="desc", limit=1)
            text = "".join(part.text.value for m in page.data for part in m.content if part.type == "text")
        finally:
            with contextlib.suppress(Exception):  # best effort: the grader's own thread
                sdk.beta.threads.delete(run.thread_id)
    return text, tokens, cost
