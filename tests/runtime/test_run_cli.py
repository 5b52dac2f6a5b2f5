"""`orchestrator run NAME -m TEXT`, end to end against the served emulator."""

from __future__ import annotations

import json
import time
from pathlib import Path

import openai
import pytest

from tests.conftest import TEST_KEY
from tests.runtime.conftest import Deployed
from tests.support.projects import run_cli, write_spec


def tool_error(call: dict) -> dict:
    return json.loads(call["output"])["error"]


def test_run_prints_the_plain_reply_on_stdout(deployed: Deployed) -> None:
    result = deployed.cli("run", "helper", "-m", "hello there")
    assert result.exit_code == 0, result.output
    assert result.stdout == "echo: hello there\n"
    assert "thread: thread_" in result.stderr
    assert "est. $" in result.stderr


def test_run_json_reports_reply_ids_usage_and_cost(deployed: Deployed) -> None:
    result = deployed.cli("run", "helper", "-m", "hello", "--output", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["reply"] == "echo: hello"
    assert data["thread_id"].startswith("thread_") and data["run_id"].startswith("run_")
    assert data["tool_calls"] == []
    usage = data["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    # gpt-5.4 is priced at $2.50 / $15.00 per 1M tokens in the table
    expected = round((usage["prompt_tokens"] * 2.5 + usage["completion_tokens"] * 15) / 1e6, 6)
    assert data["cost_usd"] == pytest.approx(expected)


def test_model_without_a_price_gets_usage_and_null_cost(project: Path) -> None:
    write_spec(project, "unpriced", model="gpt-5.6-luna")
    assert run_cli(["-C", str(project), "apply", "--yes"]).exit_code == 0
    result = run_cli(["-C", str(project), "run", "unpriced", "-m", "hi", "-o", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["cost_usd"] is None and data["usage"]["total_tokens"] > 0


def test_one_tool_call_runs_the_bound_handler(deployed: Deployed) -> None:
    result = deployed.cli("run", "helper", "-m", '/call add {"a": 2, "b": 40}', "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["reply"] == 'add returned {"sum": 42}'
    [call] = data["tool_calls"]
    assert call["name"] == "add" and call["ok"] is True
    assert json.loads(call["arguments"]) == {"a": 2, "b": 40}
    assert json.loads(call["output"]) == {"sum": 42}
    assert call["id"].startswith("call_") and call["duration_ms"] >= 0


def test_several_calls_in_one_run_all_run_and_answer_in_order(deployed: Deployed) -> None:
    message = '/call add {"a": 1, "b": 1}\n/call greet {"name": "Ana"}\n/call shout {"word": "ole"}'
    result = deployed.cli("run", "helper", "-m", message, "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [c["name"] for c in data["tool_calls"]] == ["add", "greet", "shout"]
    assert all(c["ok"] for c in data["tool_calls"])
    assert data["reply"].splitlines() == [
        'add returned {"sum": 2}',
        "greet returned hola, Ana",
        "shout returned OLE",
    ]


def test_text_output_shows_each_tool_call_on_stderr(deployed: Deployed) -> None:
    result = deployed.cli("run", "helper", "-m", '/call add {"a": 1, "b": 2}\n/call boom {"reason": "x"}')
    assert result.exit_code == 0, result.output
    assert "-> add ..." in result.stderr and "<- add ok (" in result.stderr
    assert "<- boom error: handler_error (" in result.stderr
    assert result.stdout.startswith('add returned {"sum": 3}')


@pytest.mark.parametrize(
    ("message", "error_type", "fragment"),
    [
        ("/call add {not json", "invalid_json", "not valid JSON"),
        ('/call add {"a": "two", "b": 1}', "invalid_arguments", "at /a: 'two' is not of type 'integer'"),
        ('/call add {"a": 1}', "invalid_arguments", "'b' is a required property"),
        ('/call add {"a": 1, "b": 2, "c": 3}', "invalid_arguments", "Additional properties"),
        ('/call nope {"a": 1}', "unknown_function", "unknown function `nope`"),
        ('/call boom {"reason": "disk on fire"}', "handler_error", "RuntimeError: disk on fire"),
        ("/call unbound {}", "handler_unavailable", "no handler is bound"),
    ],
    ids=[
        "bad-json",
        "wrong-type",
        "missing-required",
        "unknown-property",
        "unknown-function",
        "handler-exception",
        "no-handler",
    ],
)
def test_bad_calls_become_error_objects_for_the_model(
    deployed: Deployed, message: str, error_type: str, fragment: str
) -> None:
    result = deployed.cli("run", "helper", "-m", message, "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    [call] = data["tool_calls"]
    assert call["ok"] is False and call["error"] == error_type
    error = tool_error(call)
    assert error["type"] == error_type and fragment in error["message"]
    # the model saw the error object as the tool output and answered
    assert data["reply"].startswith(f'{call["name"]} returned {{"error"')


def test_a_hanging_handler_times_out_without_blocking_the_turn(deployed: Deployed) -> None:
    started = time.monotonic()
    result = deployed.cli(
        "run",
        "helper",
        "-m",
        '/call hang {"seconds": 20}\n/call add {"a": 1, "b": 1}',
        "--tool-timeout",
        "0.3",
        "-o",
        "json",
    )
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    hang, add = json.loads(result.stdout)["tool_calls"]
    assert hang["ok"] is False and tool_error(hang) == {
        "type": "timeout",
        "message": "the handler did not return within 0.3 s",
    }
    assert add["ok"] is True
    assert elapsed < 5


def test_a_run_the_server_fails_exits_1_with_the_reason(deployed: Deployed) -> None:
    result = deployed.cli("run", "helper", "-m", "/fail")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "failed (server_error: The built-in model failed as asked (/fail).)" in result.stderr
    assert "Traceback" not in result.output


def test_a_failed_run_in_json_still_reports_ids_and_usage(deployed: Deployed) -> None:
    result = deployed.cli("run", "helper", "-m", "/fail", "-o", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["error"]["status"] == "failed"
    assert data["run_id"].startswith("run_") and data["usage"]["prompt_tokens"] > 0


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("/expire", "expired before it completed"),
        ("/incomplete", "ended incomplete (max_completion_tokens)"),
    ],
)
def test_expired_and_incomplete_runs_exit_1(deployed: Deployed, command: str, message: str) -> None:
    result = deployed.cli("run", "helper", "-m", command)
    assert result.exit_code == 1
    assert message in result.stderr


def test_max_tool_rounds_cancels_the_run(deployed: Deployed, sdk: openai.OpenAI) -> None:
    result = deployed.cli(
        "run", "helper", "-m", '/call add {"a": 1, "b": 1}', "--max-tool-rounds", "0", "-o", "json"
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["error"]["status"] == "max_tool_rounds"
    assert "stopped after 0 tool rounds" in result.stderr
    run = sdk.beta.threads.runs.retrieve(data["run_id"], thread_id=data["thread_id"])
    assert run.status == "cancelled"


def test_a_turn_past_its_timeout_is_cancelled(deployed: Deployed, sdk: openai.OpenAI) -> None:
    result = deployed.cli("run", "helper", "-m", "/slow 3000", "--timeout", "0.3", "-o", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["error"]["status"] == "timeout" and "no reply within 0.3 s" in data["error"]["message"]
    assert sdk.beta.threads.runs.retrieve(data["run_id"], thread_id=data["thread_id"]).status == "cancelled"


def test_thread_option_continues_the_conversation(deployed: Deployed, sdk: openai.OpenAI) -> None:
    first = json.loads(deployed.cli("run", "helper", "-m", "uno", "-o", "json").stdout)
    second = deployed.cli("run", "helper", "-m", "dos", "--thread", first["thread_id"], "-o", "json")
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["thread_id"] == first["thread_id"]
    messages = sdk.beta.threads.messages.list(first["thread_id"], order="asc")
    texts = [m.content[0].text.value for m in messages.data]
    assert texts == ["uno", "echo: uno", "dos", "echo: dos"]


def test_unknown_thread_is_a_clear_error(deployed: Deployed) -> None:
    result = deployed.cli("run", "helper", "-m", "hi", "--thread", "thread_missing")
    assert result.exit_code == 1
    assert "thread `thread_missing` not found on target `main`" in result.stderr


def test_a_spec_that_is_not_deployed_suggests_apply(project: Path) -> None:
    write_spec(project, "fresh")
    result = run_cli(["-C", str(project), "run", "fresh", "-m", "hi"])
    assert result.exit_code == 1
    assert "spec `fresh` is not deployed to target `main`" in result.stderr
    assert "orchestrator apply -e dev" in result.stderr


def test_an_unknown_spec_name_suggests_the_closest(deployed: Deployed) -> None:
    result = deployed.cli("run", "helpr", "-m", "hi")
    assert result.exit_code == 1
    assert "unknown spec `helpr`; did you mean `helper`?" in result.stderr


def test_events_record_session_run_and_tool_calls_without_payloads(
    deployed: Deployed, tmp_path: Path
) -> None:
    events = tmp_path / "events.jsonl"
    result = deployed.cli("run", "helper", "-m", '/call add {"a": 5, "b": 6}', "--events", str(events))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in events.read_text().splitlines()]
    assert [r["type"] for r in records] == ["session_created", "tool_called", "run_completed"]
    session, tool, completed = records
    assert session["spec"] == "helper" and session["continued"] is False
    assert tool["name"] == "add" and tool["ok"] is True and isinstance(tool["duration_ms"], int)
    assert "arguments" not in tool and "output" not in tool
    assert completed["usage"]["total_tokens"] > 0 and completed["tool_calls"] == 1
    assert "message" not in completed and "reply" not in completed


@pytest.mark.parametrize("debug", [["--events-debug"], []], ids=["flag", "environment"])
def test_debug_events_carry_arguments_and_outputs(
    deployed: Deployed, tmp_path: Path, debug: list[str]
) -> None:
    events = tmp_path / "events.jsonl"
    env = {} if debug else {"ORCHESTRATOR_DEBUG": "1"}
    result = deployed.cli(
        "run", "helper", "-m", '/call add {"a": 5, "b": 6}', "--events", str(events), *debug, env=env
    )
    assert result.exit_code == 0, result.output
    tool = next(json.loads(line) for line in events.read_text().splitlines() if '"tool_called"' in line)
    assert json.loads(tool["arguments"]) == {"a": 5, "b": 6} and json.loads(tool["output"]) == {"sum": 11}


def test_failed_runs_publish_run_failed(deployed: Deployed, tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    assert deployed.cli("run", "helper", "-m", "/expire", "--events", str(events)).exit_code == 1
    last = json.loads(events.read_text().splitlines()[-1])
    assert last["type"] == "run_failed" and last["status"] == "expired" and last["run_id"].startswith("run_")


def test_the_api_key_is_never_printed(deployed: Deployed, tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    outputs = [
        deployed.cli(
            "run",
            "helper",
            "-m",
            '/call boom {"reason": "x"}',
            "-o",
            "json",
            "--events",
            str(events),
            "--events-debug",
        ),
        deployed.cli("run", "helper", "-m", "/fail", "-o", "json", "--events", str(events)),
        deployed.cli("chat", "helper", input="hi\n", env={"ORCHESTRATOR_DEBUG": "1"}),
        deployed.cli("run", "helper", "-m", "x", "--thread", "thread_nope"),
    ]
    for result in outputs:
        assert TEST_KEY not in result.output
    assert TEST_KEY not in events.read_text()


def test_a_model_that_keeps_calling_is_stopped_after_max_tool_rounds(
    deployed: Deployed, sdk: openai.OpenAI
) -> None:
    result = deployed.cli(
        "run", "helper", "-m", '/loop add {"a": 1, "b": 1}', "--max-tool-rounds", "3", "-o", "json"
    )
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["error"]["status"] == "max_tool_rounds"
    assert len(data["tool_calls"]) == 3 and all(call["ok"] for call in data["tool_calls"])
    assert "stopped after 3 tool rounds" in result.stderr
    run = sdk.beta.threads.runs.retrieve(data["run_id"], thread_id=data["thread_id"])
    assert run.status == "cancelled"


def test_an_empty_message_is_refused(deployed: Deployed) -> None:
    result = deployed.cli("run", "helper", "-m", "  ")
    assert result.exit_code == 1
    assert "needs some text" in result.stderr
