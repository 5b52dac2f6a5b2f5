"""The scripted model: steps posted to /_emulator/script drive runs, the user's message is kept as written."""

from __future__ import annotations

import time

import httpx2
import openai

from orchestrator.constants import ADMIN_SCRIPT_PATH
from orchestrator.emulator import EmulatorServer

TOOL = {"type": "function", "function": {"name": "kpis", "parameters": {"type": "object", "properties": {}}}}


def settle(client: openai.OpenAI, thread_id: str, run_id: str) -> object:
    run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
    deadline = time.monotonic() + 5
    while run.status in ("queued", "in_progress") and time.monotonic() < deadline:
        time.sleep(0.02)
        run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
    return run


def test_a_script_keyed_by_assistant_drives_parallel_calls_then_a_reply(
    emulator: EmulatorServer, client: openai.OpenAI
) -> None:
    assistant = client.beta.assistants.create(model="gpt-5.4", tools=[TOOL])
    steps = [
        {
            "calls": [
                {"name": "kpis", "arguments": {"store": "1"}},
                {"name": "kpis", "arguments": {"store": "2"}},
            ]
        },
        {"reply": "Store 2 wins."},
    ]
    posted = httpx2.post(emulator.root_url + ADMIN_SCRIPT_PATH, json={"key": assistant.id, "steps": steps})
    assert posted.status_code == 200 and posted.json() == {"key": assistant.id, "steps": 2}
    thread = client.beta.threads.create()
    client.beta.threads.messages.create(thread.id, role="user", content="/fail is just text here")
    run = settle(client, thread.id, client.beta.threads.runs.create(thread.id, assistant_id=assistant.id).id)
    assert run.status == "requires_action"
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert [(c.function.name, c.function.arguments) for c in calls] == [
        ("kpis", '{"store":"1"}'),
        ("kpis", '{"store":"2"}'),
    ]
    client.beta.threads.runs.submit_tool_outputs(
        run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": c.id, "output": "ok"} for c in calls]
    )
    run = settle(client, thread.id, run.id)
    assert run.status == "completed"
    texts = [m.content[0].text.value for m in client.beta.threads.messages.list(thread.id, order="asc").data]
    assert texts == ["/fail is just text here", "Store 2 wins."]
    assert httpx2.get(emulator.root_url + ADMIN_SCRIPT_PATH).json() == {"scripts": {assistant.id: 0}}


def test_a_scripted_failure_fails_the_run_with_its_message(
    emulator: EmulatorServer, client: openai.OpenAI
) -> None:
    assistant = client.beta.assistants.create(model="gpt-5.4")
    thread = client.beta.threads.create()
    httpx2.post(
        emulator.root_url + ADMIN_SCRIPT_PATH, json={"key": thread.id, "steps": [{"fail": "model down"}]}
    )
    client.beta.threads.messages.create(thread.id, role="user", content="hi")
    run = settle(client, thread.id, client.beta.threads.runs.create(thread.id, assistant_id=assistant.id).id)
    assert run.status == "failed" and run.last_error.message == "model down"
    httpx2.delete(emulator.root_url + ADMIN_SCRIPT_PATH, params={"key": thread.id})
    client.beta.threads.messages.create(thread.id, role="user", content="hi")
    again = settle(
        client, thread.id, client.beta.threads.runs.create(thread.id, assistant_id=assistant.id).id
    )
    assert again.status == "completed"  # without a script, the built-in model as before


def test_a_malformed_script_is_refused_with_the_reason(emulator: EmulatorServer) -> None:
    url = emulator.root_url + ADMIN_SCRIPT_PATH
    assert httpx2.post(url, json={"steps": [{"reply": "x"}]}).status_code == 400
    refused = httpx2.post(url, json={"key": "asst_1", "steps": [{"reply": "x", "fail": "y"}]})
    assert refused.status_code == 400 and "one key" in refused.json()["error"]["message"]
    assert httpx2.post(url, json={"key": "asst_1", "steps": []}).status_code == 400
