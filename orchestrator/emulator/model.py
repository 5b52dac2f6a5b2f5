"""The built-in deterministic model: what a run does, decided from the thread's last user message.

Commands (each at the start of a line of the last user message):
  /call NAME {json}   requires_action with one function call per /call line (parallel calls);
                      the arguments are the JSON compacted, or the text verbatim if not JSON
  /loop NAME {json}   like /call, but the model asks for the same call again after every tool
                      output (to test a client's limit on tool rounds)
  /fail               failed, last_error {code: server_error}
  /expire             expired
  /incomplete         incomplete, incomplete_details {reason: max_completion_tokens}
  /words N            completed with a reply of N words (N output tokens; to reach a spend limit)
  /slow MS            in_progress for MS milliseconds, then completed
  /search TEXT        the best chunk of the attached vector stores, with one file_citation
  /skills             completed with the reply "skills: NAME (DESCRIPTION), ..." naming the skills
                      installed in the session's environment, or "skills: none"
anything else         completed with the reply "echo: TEXT"
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    COMPLETED = "completed"
    REQUIRES_ACTION = "requires_action"
    FAILED = "failed"
    EXPIRED = "expired"
    INCOMPLETE = "incomplete"
    SEARCH = "search"


@dataclass(frozen=True, slots=True)
class FunctionCall:
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    reply: str = ""
    calls: tuple[FunctionCall, ...] = ()
    delay_ms: int = 0
    query: str = ""
    loop: bool = False


CALL_LINE = re.compile(r"^/call\s+(\S+)\s*(.*)$")
LOOP_LINE = re.compile(r"^/loop\s+(\S+)\s*(.*)$")
SLOW_LINE = re.compile(r"^/slow\s+(\d+)\s*$")
WORDS_LINE = re.compile(r"^/words\s+(\d{1,6})\s*$")


def compact_arguments(text: str) -> str:
    """The JSON text compacted; text that is not JSON passes through, to test client handling."""
    if not text.strip():
        return "{}"
    try:
        return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        return text


def describe_skills(skills: Sequence[Mapping[str, Any]]) -> str:
    """The reply to /skills: each installed skill as "NAME (DESCRIPTION)", with its id@version if it has one."""
    named = []
    for skill in skills:
        source = f" [{skill['skill_id']}@{skill['version']}]" if skill.get("skill_id") else ""
        named.append(f"{skill['name']} ({skill['description']}){source}")
    return "skills: " + (", ".join(named) or "none")


def decide(text: str, skills: Sequence[Mapping[str, Any]] = ()) -> Decision:
    """The outcome of a run whose last user message is `text`, in an environment with `skills` installed."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    calls = tuple(
        FunctionCall(match.group(1), compact_arguments(match.group(2)))
        for match in (CALL_LINE.match(line) for line in lines)
        if match
    )
    if calls:
        return Decision(Outcome.REQUIRES_ACTION, calls=calls)
    first = lines[0] if lines else ""
    loop = LOOP_LINE.match(first)
    if loop:
        call = FunctionCall(loop.group(1), compact_arguments(loop.group(2)))
        return Decision(Outcome.REQUIRES_ACTION, calls=(call,), loop=True)
    if first == "/fail":
        return Decision(Outcome.FAILED)
    if first == "/expire":
        return Decision(Outcome.EXPIRED)
    if first == "/incomplete":
        return Decision(Outcome.INCOMPLETE)
    words = WORDS_LINE.match(first)
    if words:
        return Decision(Outcome.COMPLETED, reply=" ".join(["word"] * int(words.group(1))))
    slow = SLOW_LINE.match(first)
    if slow:
        milliseconds = int(slow.group(1))
        return Decision(Outcome.COMPLETED, reply=f"slow: waited {milliseconds} ms", delay_ms=milliseconds)
    if first == "/skills":
        return Decision(Outcome.COMPLETED, reply=describe_skills(skills))
    if first.startswith("/search"):
        return Decision(Outcome.SEARCH, query=text.strip()[len("/search") :].strip())
    return Decision(Outcome.COMPLETED, reply=f"echo: {text}")


def reply_to_tool_outputs(calls: list[tuple[str, str]]) -> str:
    """After submit_tool_outputs: one "NAME returned OUTPUT" line per call, in call order."""
    return "\n".join(f"{name} returned {output}" for name, output in calls)


def reply_to_function_results(results: list[tuple[str, str, bool]]) -> str:
    """After agent-session function results: "NAME returned OUTPUT", or "NAME failed: ERROR" for
    a result sent with `success: false`; one line per call, in call order."""
    return "\n".join(
        f"{name} returned {text}" if ok else f"{name} failed: {text}" for name, text, ok in results
    )


def count_tokens(*texts: str | None) -> int:
    """Whitespace word count: the deterministic stand-in for tokens in `usage`."""
    return sum(len(text.split()) for text in texts if text)
