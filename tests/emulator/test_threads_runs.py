"""Threads, messages and runs driven by every command of the built-in model."""

from __future__ import annotations

import json
import time

import httpx2
import openai
import pytest
from openai.types.beta import Thread, ThreadDeleted
from openai.types.beta.threads import Message, Run
from openai.types.beta.threads.runs import RunStep

from .sdk_checks import strict, upload

WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}


@pytest.fixture
def assistant_id(client: openai.OpenAI) -> str:
    return client.beta.assistants.create(model="gpt-4.1", instructions="Be brief.", tools=[WEATHER]).id


def run_message(client: openai.OpenAI, assistant_id: str, text: str) -> tuple[Run, str]:
    thread = client.beta.threads.create(messages=[{"role": "user", "content": text}])
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant_id, poll_interval_ms=10
    )
    return run, thread.id


def last_reply(client: openai.OpenAI, thread_id: str) -> Message:
    return client.beta.threads.messages.list(thread_id, limit=1).data[0]


def test_thread_and_message_crud(client: openai.OpenAI, http: httpx2.Client) -> None:
    thread = http.post(
        "/threads", json={"messages": [{"role": "user", "content": "hi"}], "metadata": {"a": "b"}}
    ).json()
    assert strict(Thread, thread).metadata == {"a": "b"}
    message = http.post(
        f"/threads/{thread['id']}/messages",
        json={"role": "user", "content": [{"type": "text", "text": "part one"}], "metadata": {"x": "1"}},
    ).json()
    strict(Message, message)
    assert message["content"] == [{"type": "text", "text": {"value": "part one", "annotations": []}}]
    assert message["run_id"] is None and message["assistant_id"] is None
    listed = http.get(f"/threads/{thread['id']}/messages").json()
    assert listed["data"][0]["id"] == message["id"] and len(listed["data"]) == 2
    modified = http.post(f"/threads/{thread['id']}", json={"metadata": {"c": "d"}}).json()
    assert modified["metadata"] == {"c": "d"}
    assert (
        http.post(f"/threads/{thread['id']}/messages", json={"role": "system", "content": "x"}).json()[
            "error"
        ]["param"]
        == "role"
    )
    assert (
        http.post(f"/threads/{thread['id']}/messages", json={"role": "user", "content": []}).json()["error"][
            "param"
        ]
        == "content"
    )
    deleted = http.delete(f"/threads/{thread['id']}").json()
    assert strict(ThreadDeleted, deleted).deleted
    assert http.get(f"/threads/{thread['id']}/messages").status_code == 404


def test_echo_run_progression_and_usage(
    client: openai.OpenAI, http: httpx2.Client, assistant_id: str
) -> None:
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hello there"}])
    created = http.post(f"/threads/{thread.id}/runs", json={"assistant_id": assistant_id})
    assert created.headers["openai-poll-after-ms"] == "0"  # the echo model's run is due at once
    body = created.json()
    run = strict(Run, body)
    assert run.status == "queued" and run.usage is None and run.required_action is None
    assert run.instructions == "Be brief." and run.model == "gpt-4.1" and run.expires_at is not None
    done = strict(Run, http.get(f"/threads/{thread.id}/runs/{run.id}").json())
    assert done.status == "completed" and done.completed_at is not None and done.expires_at is None
    assert done.usage.prompt_tokens == 2 + 2 and done.usage.completion_tokens == 3
    reply = http.get(f"/threads/{thread.id}/messages", params={"run_id": run.id}).json()["data"]
    assert len(reply) == 1 and strict(Message, reply[0]).content[0].text.value == "echo: hello there"
    assert reply[0]["role"] == "assistant" and reply[0]["assistant_id"] == assistant_id
    steps = http.get(f"/threads/{thread.id}/runs/{run.id}/steps").json()["data"]
    assert strict(RunStep, steps[0]).step_details.type == "message_creation"
    runs = http.get(f"/threads/{thread.id}/runs").json()
    assert [strict(Run, r).id for r in runs["data"]] == [run.id]


def test_function_calls_then_tool_outputs(client: openai.OpenAI, assistant_id: str) -> None:
    text = '/call get_weather {"city": "Paris",\n "unit": "c"}\n/call unknown_fn {}'
    text = text.replace(',\n "unit"', ', "unit"')
    run, thread_id = run_message(client, assistant_id, text)
    assert run.status == "requires_action" and run.usage is None
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert [(c.function.name, c.function.arguments) for c in calls] == [
        ("get_weather", json.dumps({"city": "Paris", "unit": "c"}, separators=(",", ":"))),
        ("unknown_fn", "{}"),
    ]
    assert all(c.id.startswith("call_") for c in calls)
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.runs.submit_tool_outputs(
            run.id, thread_id=thread_id, tool_outputs=[{"tool_call_id": calls[0].id, "output": "x"}]
        )
    resumed = client.beta.threads.runs.submit_tool_outputs(
        run.id,
        thread_id=thread_id,
        tool_outputs=[
            {"tool_call_id": calls[1].id, "output": "nope"},
            {"tool_call_id": calls[0].id, "output": "21C"},
        ],
    )
    assert resumed.status == "queued"
    final = client.beta.threads.runs.poll(run.id, thread_id=thread_id, poll_interval_ms=10)
    assert final.status == "completed" and final.usage is not None
    assert (
        last_reply(client, thread_id).content[0].text.value
        == "get_weather returned 21C\nunknown_fn returned nope"
    )
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.runs.submit_tool_outputs(run.id, thread_id=thread_id, tool_outputs=[])


def test_non_json_call_arguments_pass_through(client: openai.OpenAI, assistant_id: str) -> None:
    run, _ = run_message(client, assistant_id, "/call get_weather not json")
    assert run.required_action.submit_tool_outputs.tool_calls[0].function.arguments == "not json"


@pytest.mark.parametrize(
    ("command", "status"), [("/fail", "failed"), ("/expire", "expired"), ("/incomplete", "incomplete")]
)
def test_terminal_commands(
    client: openai.OpenAI, http: httpx2.Client, assistant_id: str, command: str, status: str
) -> None:
    run, thread_id = run_message(client, assistant_id, command)
    body = strict(Run, http.get(f"/threads/{thread_id}/runs/{run.id}").json())
    assert body.status == status and body.usage is not None
    if status == "failed":
        assert body.last_error.code == "server_error" and body.failed_at is not None
    if status == "incomplete":
        assert body.incomplete_details.reason == "max_completion_tokens"


def test_slow_run_stays_in_progress(client: openai.OpenAI, assistant_id: str) -> None:
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "/slow 300"}])
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant_id)
    assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "in_progress"
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.messages.create(thread.id, role="user", content="while running")
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant_id)
    time.sleep(0.32)
    assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "completed"
    assert last_reply(client, thread.id).content[0].text.value == "slow: waited 300 ms"


def test_cancel_run(client: openai.OpenAI, assistant_id: str) -> None:
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "/slow 5000"}])
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant_id)
    assert client.beta.threads.runs.cancel(run.id, thread_id=thread.id).status == "cancelling"
    final = client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
    assert final.status == "cancelled" and final.cancelled_at is not None
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.runs.cancel(run.id, thread_id=thread.id)


def test_search_with_file_search_cites_the_best_chunk(client: openai.OpenAI) -> None:
    notes = upload(client, "notes.txt", b"The capital of France is Paris.")
    fruit = upload(client, "fruit.txt", b"Bananas are yellow, France or not.")
    store = client.vector_stores.create(file_ids=[notes.id, fruit.id])
    assistant = client.beta.assistants.create(
        model="m",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_store_ids": [store.id]}},
    )
    run, thread_id = run_message(client, assistant.id, "/search capital of France")
    assert run.status == "completed"
    text = last_reply(client, thread_id).content[0].text
    assert text.value == "The capital of France is Paris.【0†source】"
    (annotation,) = text.annotations
    assert annotation.type == "file_citation" and annotation.file_citation.file_id == notes.id
    assert text.value[annotation.start_index : annotation.end_index] == annotation.text == "【0†source】"


def test_search_without_file_search_says_no_knowledge(client: openai.OpenAI, assistant_id: str) -> None:
    _, thread_id = run_message(client, assistant_id, "/search anything")
    assert (
        last_reply(client, thread_id).content[0].text.value == "No knowledge is attached to this assistant."
    )


def test_create_thread_and_run_with_overrides(
    client: openai.OpenAI, http: httpx2.Client, assistant_id: str
) -> None:
    body = http.post(
        "/threads/runs",
        json={
            "assistant_id": assistant_id,
            "thread": {"messages": [{"role": "user", "content": "hey"}]},
            "instructions": "Override.",
            "temperature": 0.2,
            "metadata": {"k": "v"},
            "truncation_strategy": {"type": "last_messages", "last_messages": 3},
            "tool_choice": "required",
        },
    ).json()
    run = strict(Run, body)
    assert (run.instructions, run.temperature, run.metadata, run.tool_choice) == (
        "Override.",
        0.2,
        {"k": "v"},
        "required",
    )
    assert run.truncation_strategy.last_messages == 3
    updated = client.beta.threads.runs.update(run.id, thread_id=run.thread_id, metadata={"z": "1"})
    assert updated.metadata == {"z": "1"} and updated.status == "completed"


def test_run_errors(http: httpx2.Client, assistant_id: str) -> None:
    thread = http.post("/threads", json={}).json()
    assert http.post(f"/threads/{thread['id']}/runs", json={}).json()["error"]["param"] == "assistant_id"
    assert http.post(f"/threads/{thread['id']}/runs", json={"assistant_id": "asst_nope"}).status_code == 404
    assert (
        http.post(
            f"/threads/{thread['id']}/runs", json={"assistant_id": assistant_id, "max_completion_tokens": 10}
        ).status_code
        == 400
    )
    assert (
        http.post(
            f"/threads/{thread['id']}/runs", json={"assistant_id": assistant_id, "stream": True}
        ).json()["error"]["param"]
        == "stream"
    )
    assert http.get(f"/threads/{thread['id']}/runs/run_nope").status_code == 404
    assert http.get("/threads/thread_nope/runs").status_code == 404


def test_additional_instructions_and_messages(client: openai.OpenAI, assistant_id: str) -> None:
    thread = client.beta.threads.create()
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id,
        assistant_id=assistant_id,
        additional_instructions="Extra.",
        additional_messages=[{"role": "user", "content": "added"}],
        poll_interval_ms=10,
    )
    assert run.instructions == "Be brief.\n\nExtra."
    assert last_reply(client, thread.id).content[0].text.value == "echo: added"


@pytest.mark.parametrize("url", ["", "not a url", "http://x/a b", "http://x/%zz", "//no-scheme/x.png"])
def test_an_image_url_that_is_not_a_url_is_refused_not_echoed(http: httpx2.Client, url: str) -> None:
    thread = http.post("/threads").json()["id"]
    part = {"type": "image_url", "image_url": {"url": url}}
    for path, body in (
        (f"/threads/{thread}/messages", {"role": "user", "content": [part]}),
        ("/threads", {"messages": [{"role": "user", "content": [part]}]}),
    ):
        refused = http.post(path, json=body)
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["param"].endswith("content[0].image_url.url")
    assert http.get(f"/threads/{thread}/messages").json()["data"] == []


def test_a_valid_image_url_is_kept(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create()
    url = "https://example.com/cat.png?size=2#top"
    message = client.beta.threads.messages.create(
        thread.id, role="user", content=[{"type": "image_url", "image_url": {"url": url}}]
    )
    assert strict(Message, message).content[0].image_url.url == url  # type: ignore[union-attr]


def test_include_accepts_only_file_search_result_content(
    client: openai.OpenAI, http: httpx2.Client, assistant_id: str
) -> None:
    run, thread_id = run_message(client, assistant_id, "hello")
    steps = f"/threads/{thread_id}/runs/{run.id}/steps"
    good = {"include[]": "step_details.tool_calls[*].file_search.results[*].content"}
    assert http.get(steps, params=good).status_code == 200
    for path in (steps, f"{steps}/{http.get(steps).json()['data'][0]['id']}"):
        refused = http.get(path, params=[("include[]", good["include[]"]), ("include[]", "nope")])
        assert refused.status_code == 400
        assert refused.json()["error"]["param"] == "include"
    refused = http.post(
        f"/threads/{thread_id}/runs", params={"include[]": "x"}, json={"assistant_id": assistant_id}
    )
    assert refused.status_code == 400


def test_the_poll_hint_is_the_time_until_the_run_moves_on(
    client: openai.OpenAI, http: httpx2.Client, assistant_id: str
) -> None:
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "/slow 300"}])
    created = http.post(f"/threads/{thread.id}/runs", json={"assistant_id": assistant_id})
    assert 200 <= int(created.headers["openai-poll-after-ms"]) <= 300  # due in 300 ms, not polled before
    slow = client.beta.threads.create(messages=[{"role": "user", "content": "/slow 60000"}])
    later = http.post(f"/threads/{slow.id}/runs", json={"assistant_id": assistant_id})
    assert later.headers["openai-poll-after-ms"] == "1000"  # a run due much later is looked at every second
