"""`orchestrator chat NAME`, driven through stdin; end of input is Ctrl-D."""

from __future__ import annotations

import re

import openai

from tests.runtime.conftest import Deployed


def test_chat_keeps_one_thread_and_prints_usage_at_end_of_input(
    deployed: Deployed, sdk: openai.OpenAI
) -> None:
    result = deployed.cli("chat", "helper", input='hola\n\n/call add {"a": 2, "b": 3}\n')
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["helper> echo: hola", 'helper> add returned {"sum": 5}']
    assert "-> add ..." in result.stderr and "<- add ok (" in result.stderr
    summary = result.stderr.strip().splitlines()[-1]
    assert re.match(
        r"Session: 2 turns on thread thread_\w+ · \d+ tokens \(\d+ prompt \+ \d+ completion\) · "
        r"est\. \$\d+\.\d{6} \(gpt-5\.4, prices as of 2026-11-01\)$",
        summary,
    ), summary
    thread_id = re.search(r"thread (thread_\w+)", summary).group(1)  # type: ignore[union-attr]
    roles = [m.role for m in sdk.beta.threads.messages.list(thread_id, order="asc").data]
    assert roles == ["user", "assistant", "user", "assistant"]


def test_chat_reports_a_failed_turn_and_carries_on(deployed: Deployed) -> None:
    result = deployed.cli("chat", "helper", input="/fail\nstill here?\n")
    assert result.exit_code == 1
    assert "error: run run_" in result.stderr and "failed (server_error" in result.stderr
    assert result.stdout == "helper> echo: still here?\n"
    assert "Session: 2 turns" in result.stderr


def test_chat_with_no_input_exits_cleanly(deployed: Deployed) -> None:
    result = deployed.cli("chat", "helper", input="")
    assert result.exit_code == 0, result.output
    assert "Session: 0 turns" in result.stderr and "0 tokens" in result.stderr


def test_chat_continues_an_existing_thread(deployed: Deployed) -> None:
    first = deployed.cli("chat", "helper", input="uno\n")
    thread_id = re.search(r"on thread (thread_\w+)", first.stderr).group(1)  # type: ignore[union-attr]
    again = deployed.cli("chat", "helper", "--thread", thread_id, input="dos\n")
    assert again.exit_code == 0, again.output
    assert f"on thread {thread_id}" in again.stderr


def test_a_cancelled_turn_of_a_priced_model_still_shows_a_price(deployed: Deployed) -> None:
    result = deployed.cli("chat", "helper", "--timeout", "0.5", input='/call nap {"ms": 1500}\n')
    assert result.exit_code == 1, result.output
    assert "turn timeout" in result.stderr
    summary = result.stderr.strip().splitlines()[-1]
    assert "no price known" not in summary, summary
    assert re.search(r"est\. \$\d+\.\d{6} \(gpt-5\.4", summary), summary
