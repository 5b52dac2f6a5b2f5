"""The reasons an unmet expectation gives read as plain sentences (runtime/behaviour.check)."""

from __future__ import annotations

from orchestrator.runtime.behaviour import check
from orchestrator.runtime.thread_sessions import Reply
from orchestrator.spec.test_kind import Expectation


def _reason(options: dict[str, str]) -> str | None:
    expectation = Expectation("tool_output", {"contains": "ok"}, options, "/cases/0/expect/0")
    reply = Reply(text="hi", thread_id="thread_1", run_id="run_1", model="gpt-5.4")
    return check(expectation, reply, 0.1, lambda: None)


def test_a_tool_output_check_with_no_call_says_what_was_not_called() -> None:
    assert _reason({}) == "no tool output to check: no function was called"
    assert _reason({"tool": "lookup"}) == "no tool output to check: `lookup` was not called"
