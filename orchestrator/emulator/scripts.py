"""Scripted model steps, set through the admin API: what the built-in model does next, step by step.

A behaviour test (`orchestrator test`) posts each turn's script to `POST /_emulator/script` keyed by a
conversation (thread or agent session id) or by an assistant or agent id; the model takes the next step
of the first key that has one, instead of reading commands from the user's message. Steps, on the wire:

  {"calls": [{"name": NAME, "arguments": OBJECT-OR-STRING}, ...]}   function calls (several = parallel)
  {"reply": TEXT}                                                     the reply; the turn completes
  {"fail": MESSAGE}                                                   the run (turn) fails with MESSAGE
  {"search": QUERY}                                                   file_search: the best chunk, cited

When a key's steps run out, the model goes back to its usual behaviour (model.decide, and "NAME returned
OUTPUT" after tool outputs).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from orchestrator.emulator import model

MAX_STEPS = 100
MAX_KEYS = 1000


def check_steps(steps: Any) -> list[str]:
    """Why steps is not a script (empty when it is one)."""
    if not isinstance(steps, list) or not steps:
        return ["'steps' must be a non-empty list"]
    if len(steps) > MAX_STEPS:
        return [f"at most {MAX_STEPS} steps"]
    problems = []
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        if (
            not isinstance(step, dict)
            or len(step) != 1
            or next(iter(step)) not in ("calls", "reply", "fail", "search")
        ):
            problems.append(f"{where} must be an object with one key: 'calls', 'reply', 'fail' or 'search'")
            continue
        if "calls" in step:
            calls = step["calls"]
            if not isinstance(calls, list) or not calls:
                problems.append(f"{where}.calls must be a non-empty list")
                continue
            for i, call in enumerate(calls):
                if not isinstance(call, dict) or not isinstance(call.get("name"), str) or not call["name"]:
                    problems.append(f"{where}.calls[{i}] needs a 'name'")
                elif not isinstance(call.get("arguments", {}), dict | str):
                    problems.append(f"{where}.calls[{i}].arguments must be an object or a string")
        elif not isinstance(next(iter(step.values())), str):
            problems.append(f"{where}.{next(iter(step))} must be a string")
    return problems


def decision_of(step: Mapping[str, Any]) -> model.Decision:
    """The model's decision for one scripted step."""
    if "calls" in step:
        calls = tuple(
            model.FunctionCall(
                call["name"],
                call.get("arguments")
                if isinstance(call.get("arguments"), str)
                else json.dumps(call.get("arguments") or {}, separators=(",", ":"), ensure_ascii=False),
            )
            for call in step["calls"]
        )
        return model.Decision(model.Outcome.REQUIRES_ACTION, calls=calls)
    if "fail" in step:
        return model.Decision(model.Outcome.FAILED, reply=step["fail"])
    if "search" in step:
        return model.Decision(model.Outcome.SEARCH, query=step["search"])
    return model.Decision(model.Outcome.COMPLETED, reply=step["reply"])


class ScriptBook:
    """The scripts of this emulator instance, by key; in memory (a restart forgets them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steps: dict[str, list[dict[str, Any]]] = {}

    def set(self, key: str, steps: list[dict[str, Any]]) -> None:
        with self._lock:
            if key not in self._steps and len(self._steps) >= MAX_KEYS:
                raise ValueError(f"at most {MAX_KEYS} scripts at once; delete some first")
            self._steps[key] = [dict(step) for step in steps]

    def clear(self, key: str | None = None) -> None:
        with self._lock:
            if key is None:
                self._steps.clear()
            else:
                self._steps.pop(key, None)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {key: len(steps) for key, steps in sorted(self._steps.items())}

    def next_decision(self, keys: Iterable[str | None]) -> model.Decision | None:
        """The next step of the first key that has one (taken), as a decision; None when none has."""
        with self._lock:
            for key in keys:
                steps = self._steps.get(key) if key else None
                if steps:
                    return decision_of(steps.pop(0))
        return None
