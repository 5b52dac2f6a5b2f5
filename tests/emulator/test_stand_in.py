"""The emulator's model stand-in: its grades and its function calls (the live path of `orchestrator test`)."""

from __future__ import annotations

import json
import random

from orchestrator.emulator import stand_in
from orchestrator.runtime.grading import render_prompt


def test_the_stand_in_grades_by_the_quoted_phrases_of_the_rubric() -> None:
    message = render_prompt(None, 'Names "Paris" and "France".', "Paris is in France.")
    assert json.loads(stand_in.grade(message))["pass"] is True
    failed = json.loads(
        stand_in.grade(render_prompt(None, 'Names "Paris" and "Spain".', "Paris is in France."))
    )
    assert failed == {"pass": False, "score": 0.5, "reason": 'the output does not say "Spain"'}


def test_the_stand_in_calls_functions_with_arguments_their_schema_accepts() -> None:
    from jsonschema import Draft202012Validator

    schema = {
        "type": "object",
        "required": ["store_id", "period", "n", "tags"],
        "additionalProperties": False,
        "properties": {
            "store_id": {"type": "string"},
            "period": {"enum": ["week", "month"]},
            "n": {"type": "integer", "minimum": 3},
            "tags": {"type": "array", "items": {"type": "string"}},
            "note": {"type": "string"},
        },
    }
    tools = [{"type": "function", "function": {"name": "f", "parameters": schema}}]
    calls = [d for d in (stand_in.decide(random.Random(i), "hi", tools) for i in range(20)) if d.calls]
    assert calls and len(calls) < 20  # sometimes a call, sometimes a reply
    for decision in calls:
        Draft202012Validator(schema).validate(json.loads(decision.calls[0].arguments))
