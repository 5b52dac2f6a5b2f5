"""The model stand-in: a seeded "real model" for testing live behaviour-test runs offline.

Switched on with `serve --model-stand-in SEED` (or `POST /_emulator/faults {"model_stand_in": SEED}`),
the emulator answers unscripted turns as a model would, not by reading commands from the user's message:

- its answers VARY from run to run: the n-th decision about the same message since the stand-in was
  switched on draws from random.Random(f"{seed}:{n}:{message}"), so a given seed and sequence of runs
  always gives the same answers;
- on a turn's first round it may call one of the assistant's (or agent's) functions, with arguments
  made from the function's JSON Schema; after the outputs it replies naming what they returned;
- usage is counted as for the built-in model (whitespace words), so cost follows from the price table;
- a grader request (a run whose `response_format`, or a session whose agent's `text.format`, is a JSON
  schema named "grade", see runtime/grading.py) is judged deterministically: the reply passes when every double-quoted phrase of
  the rubric (between <rubric> and </rubric>) occurs in the graded output (between <output> and
  </output>), case-insensitively; a rubric without quoted phrases passes.

The admin health endpoint reports `"model": "stand-in"`, so `orchestrator test` treats the target as
one with a real model and ignores the `model:` scripts.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from orchestrator.emulator import model

GRADE_FORMAT = "grade"  # the json_schema name of a grader request
OPENINGS = (
    "Sure.",
    "Certainly!",
    "I am not sure, but here is my answer.",
    "I don't know for certain.",
    "Good question.",
)
CALL_CHANCE = 0.5
QUOTED = re.compile(r'"([^"\n]{1,200})"')


MAX_KEYS = 10_000


class StandIn:
    """The stand-in's run counters: the n-th decision about the same message, with seed s, is always the same.
    Counting per message (not per server) keeps a case's runs the same set of draws when they run in
    parallel: which run gets which draw may change, how many runs pass does not."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._seed: int | None = None

    def draw(self, seed: int, key: str) -> random.Random:
        with self._lock:
            if seed != self._seed or len(self._counts) >= MAX_KEYS:  # a new seed restarts the sequences
                self._seed, self._counts = seed, {}
            index = self._counts.get(key, 0)
            self._counts[key] = index + 1
        return random.Random(f"{seed}:{index}:{key}")


def functions_of(tools: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The function tools, as {name, parameters} (threads nest them under `function`, agents do not)."""
    found = []
    for tool in tools or ():
        if tool.get("type") == "function":
            function = tool.get("function", tool)
            if isinstance(function.get("name"), str):
                found.append(function)
    return found


def example(schema: Any, rng: random.Random, depth: int = 0) -> Any:
    """A value that meets a (simple) JSON Schema: enums pick one, objects fill their required keys."""
    if not isinstance(schema, Mapping) or depth > 6:
        return "stand-in"
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return example(schema[key][0], rng, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        required = schema.get("required") or list(properties)
        return {
            name: example(properties.get(name), rng, depth + 1) for name in required if isinstance(name, str)
        }
    if kind == "array":
        return [example(schema.get("items"), rng, depth + 1)] * max(int(schema.get("minItems", 1) or 0), 0)
    if kind == "integer":
        return int(schema.get("minimum", rng.randint(1, 9)))
    if kind == "number":
        return float(schema.get("minimum", rng.randint(1, 9)))
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    return "stand-in " + rng.choice(("alpha", "beta", "gamma"))


def grade(text: str) -> str:
    """The grader's JSON verdict for a grader request whose message is text."""
    rubric = _between(text, "rubric") if "<rubric>" in text else text
    output = _between(text, "output") if "<output>" in text else text
    wanted = QUOTED.findall(rubric)
    missing = [phrase for phrase in wanted if phrase.lower() not in output.lower()]
    if missing:
        verdict = {
            "pass": False,
            "score": round(1 - len(missing) / len(wanted), 2),
            "reason": f'the output does not say "{missing[0]}"',
        }
    else:
        verdict = {
            "pass": True,
            "score": 1.0,
            "reason": "the output says " + ", ".join(f'"{p}"' for p in wanted)
            if wanted
            else "the rubric names nothing the output lacks",
        }
    return json.dumps(verdict)


def _between(text: str, tag: str) -> str:
    start = text.find(f"<{tag}>")
    end = text.find(f"</{tag}>", start)
    return text[start + len(tag) + 2 : end if end >= 0 else len(text)]


def is_grader_request(response_format: Any) -> bool:
    """A run's `response_format` (threads: {type: json_schema, json_schema: {name}}) or an agent's text format
    (agents: {type: json_schema, name}) that asks for a grade."""
    if not isinstance(response_format, Mapping) or response_format.get("type") != "json_schema":
        return False
    schema = response_format.get("json_schema", response_format)
    return isinstance(schema, Mapping) and schema.get("name") == GRADE_FORMAT


def decide(
    rng: random.Random, text: str, tools: Sequence[Mapping[str, Any]], *, response_format: Any = None
) -> model.Decision:
    """A turn's first decision: a grade, maybe a function call, else a reply that varies with the draw."""
    if is_grader_request(response_format):
        return model.Decision(model.Outcome.COMPLETED, reply=grade(text))
    functions = functions_of(tools)
    if functions and rng.random() < CALL_CHANCE:
        function = rng.choice(functions)
        arguments = example(function.get("parameters") or {"type": "object"}, rng)
        call = model.FunctionCall(
            function["name"], json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)
        )
        return model.Decision(model.Outcome.REQUIRES_ACTION, calls=(call,))
    topic = " ".join(text.split()[:40])
    return model.Decision(model.Outcome.COMPLETED, reply=f"{rng.choice(OPENINGS)} You asked: {topic}")


def reply_after_tools(rng: random.Random, lines: str) -> str:
    """The reply once the function outputs are in: a varying opening, then what each call returned."""
    return f"{rng.choice(OPENINGS)} {lines}"
