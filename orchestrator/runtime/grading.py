"""The grader: a model that judges a turn's reply against a `graded:` rubric (promptfoo's llm-rubric).

The grader runs on the same target as the test, through the same SDK client: one thread-and-run on the
assistant under test (its short-lived copy) with the grader's model, instructions and prompt as overrides,
no tools, and a JSON-schema response format named "grade"; the thread is deleted afterwards. The grader
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
INSTRUCTIONS = ("You grade the output of an AI assistant against a rubric. Judge only what the output says. "
                "Answer with JSON only: {\"pass\": true or false, \"score\": a number from 0 to 1, "
                "\"reason\": one sentence}.")
DEFAULT_PROMPT = ("Does the output meet the rubric?\n\n<rubric>\n{{rubric}}\n</rubric>\n\n"
                  "<output>\n{{output}}\n</output>")
RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": GRADE_FORMAT,
        "strict": True,
        "schema": {
            "type": "object", "additionalProperties": False, "required": ["pass", "score", "reason"],
            "properties": {"pass": {"type": "boolean"}, "score": {"type": "number"}, "reason": {"type": "string"}},
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


def grade(sdk: Any, assistant_id: str, *, rubric: str, output: str, model: str, prompt: str | None = None,
          line: int | None = None, timeout_s: float = 120.0) -> Grade:
    """Ask the grader model whether output meets rubric: a one-off thread run, deleted afterwards."""
    from orchestrator.runtime.conversation import _quiet
    from orchestrator.runtime.pricing import estimate_cost

    message = render_prompt(prompt, rubric, output)
    with _quiet():
        run = sdk.beta.threads.create_and_run(
            assistant_id=assistant_id, model=model, instructions=INSTRUCTIONS, tools=[],
            response_format=RESPONSE_FORMAT, thread={"messages": [{"role": "user", "content": message}]})
        try:
            deadline, pause = time.monotonic() + timeout_s, 0.05
            while run.status in ("queued", "in_progress", "cancelling"):
                if time.monotonic() > deadline:
                    raise OrchestratorError(f"the grader did not answer within {timeout_s:.0f} s")
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
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
    ok, score, reason = parse_verdict(text)
    return Grade(rubric, ok, score, reason, line, model, tokens, cost)
