"""Assistants over the real SDK and raw HTTP: defaults, validation, modify semantics, pagination."""

from __future__ import annotations

import httpx2
import openai
import pytest
from openai.types.beta import Assistant, AssistantDeleted

from .sdk_checks import strict

FUNCTION = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}


def test_create_returns_server_defaults(client: openai.OpenAI, http: httpx2.Client) -> None:
    created = client.beta.assistants.create(model="gpt-4.1")
    body = http.get(f"/assistants/{created.id}").json()
    assistant = strict(Assistant, body)
    assert assistant.id.startswith("asst_")
    assert (body["name"], body["description"], body["instructions"]) == (None, None, None)
    assert body["tools"] == [] and body["metadata"] == {} and body["tool_resources"] == {}
    assert (body["temperature"], body["top_p"], body["response_format"]) == (1.0, 1.0, "auto")


def test_function_tool_gets_strict_false_and_parameters_echoed(
    client: openai.OpenAI, http: httpx2.Client
) -> None:
    body = http.post("/assistants", json={"model": "m", "tools": [FUNCTION]}).json()
    strict(Assistant, body)
    assert body["tools"][0]["function"] == {
        "name": "get_weather",
        "parameters": {"type": "object"},
        "strict": False,
    }


def test_file_search_tool_gets_default_ranking_options(http: httpx2.Client) -> None:
    body = http.post("/assistants", json={"model": "m", "tools": [{"type": "file_search"}]}).json()
    assert body["tools"][0]["file_search"]["ranking_options"] == {
        "ranker": "default_2024_08_21",
        "score_threshold": 0.0,
    }


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        ({}, "model"),
        ({"model": 5}, "model"),
        ({"model": "m", "bogus": 1}, "bogus"),
        ({"model": "m", "name": "x" * 257}, "name"),
        ({"model": "m", "description": "x" * 513}, "description"),
        ({"model": "m", "instructions": "x" * 256001}, "instructions"),
        ({"model": "m", "temperature": 2.5}, "temperature"),
        ({"model": "m", "top_p": -0.1}, "top_p"),
        ({"model": "m", "temperature": "hot"}, "temperature"),
        ({"model": "m", "reasoning_effort": "huge"}, "reasoning_effort"),
        ({"model": "m", "response_format": "json"}, "response_format"),
        ({"model": "m", "tools": [{"type": "browser"}]}, "tools[0].type"),
        ({"model": "m", "tools": [FUNCTION] * 129}, "tools"),
        (
            {"model": "m", "tools": [{"type": "function", "function": {"name": "bad name"}}]},
            "tools[0].function.name",
        ),
        (
            {"model": "m", "tools": [{"type": "function", "function": {"name": "x" * 65}}]},
            "tools[0].function.name",
        ),
        (
            {"model": "m", "tools": [{"type": "file_search", "file_search": {"max_num_results": 51}}]},
            "tools[0].file_search.max_num_results",
        ),
        ({"model": "m", "metadata": {f"k{i}": "v" for i in range(17)}}, "metadata"),
        ({"model": "m", "metadata": {"k" * 65: "v"}}, "metadata"),
        ({"model": "m", "metadata": {"k": "v" * 513}}, "metadata.k"),
        ({"model": "m", "metadata": {"k": 1}}, "metadata.k"),
        (
            {"model": "m", "tool_resources": {"file_search": {"vector_store_ids": ["a", "b"]}}},
            "tool_resources.file_search.vector_store_ids",
        ),
        (
            {"model": "m", "tool_resources": {"code_interpreter": {"file_ids": ["f"] * 21}}},
            "tool_resources.code_interpreter.file_ids",
        ),
        (
            {"model": "m", "tool_resources": {"file_search": {"vector_store_ids": ["vs_missing"]}}},
            "tool_resources.file_search.vector_store_ids[0]",
        ),
    ],
)
def test_invalid_create_is_400_with_param(http: httpx2.Client, payload: dict, param: str) -> None:
    response = http.post("/assistants", json=payload)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert set(error) == {"message", "type", "param", "code"}


def test_invalid_json_is_400(http: httpx2.Client) -> None:
    response = http.post("/assistants", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] is None


def test_sdk_raises_bad_request_with_param(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.beta.assistants.create(model="m", temperature=3)
    assert raised.value.param == "temperature"


def test_modify_replaces_given_fields_and_null_resets(client: openai.OpenAI, http: httpx2.Client) -> None:
    created = client.beta.assistants.create(
        model="m",
        name="a",
        instructions="i",
        metadata={"a": "1", "b": "2"},
        tools=[FUNCTION],
        temperature=0.5,
    )
    body = http.post(
        f"/assistants/{created.id}",
        json={"name": None, "metadata": {"c": "3"}, "tools": [], "temperature": None},
    ).json()
    strict(Assistant, body)
    assert body["name"] is None and body["instructions"] == "i"
    assert body["metadata"] == {"c": "3"} and body["tools"] == [] and body["temperature"] == 1.0
    assert http.get(f"/assistants/{created.id}").json() == body


def test_modify_rejects_null_tools_and_unknown_keys(client: openai.OpenAI, http: httpx2.Client) -> None:
    created = client.beta.assistants.create(model="m")
    assert http.post(f"/assistants/{created.id}", json={"tools": None}).json()["error"]["param"] == "tools"
    assert http.post(f"/assistants/{created.id}", json={"vector_store_ids": []}).status_code == 400


def test_tool_resources_replace_on_modify(client: openai.OpenAI) -> None:
    first = client.vector_stores.create(name="one")
    second = client.vector_stores.create(name="two")
    created = client.beta.assistants.create(
        model="m", tool_resources={"file_search": {"vector_store_ids": [first.id]}}
    )
    assert created.tool_resources.file_search.vector_store_ids == [first.id]
    updated = client.beta.assistants.update(
        created.id, tool_resources={"file_search": {"vector_store_ids": [second.id]}}
    )
    assert updated.tool_resources.file_search.vector_store_ids == [second.id]


def test_tool_resources_vector_stores_helper_creates_a_store(client: openai.OpenAI) -> None:
    uploaded = client.files.create(file=("a.txt", b"alpha"), purpose="assistants")
    created = client.beta.assistants.create(
        model="m",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_stores": [{"file_ids": [uploaded.id]}]}},
    )
    (store_id,) = created.tool_resources.file_search.vector_store_ids
    assert client.vector_stores.retrieve(store_id).file_counts.total == 1


def test_delete_then_404(client: openai.OpenAI, http: httpx2.Client) -> None:
    created = client.beta.assistants.create(model="m")
    deleted = http.delete(f"/assistants/{created.id}").json()
    assert strict(AssistantDeleted, deleted).deleted is True
    assert deleted == {"id": created.id, "object": "assistant.deleted", "deleted": True}
    response = http.get(f"/assistants/{created.id}")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "invalid_request_error"
    with pytest.raises(openai.NotFoundError):
        client.beta.assistants.retrieve(created.id)


def test_empty_list_envelope(http: httpx2.Client) -> None:
    assert http.get("/assistants").json() == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }


def test_pagination_with_exactly_100_objects(client: openai.OpenAI, http: httpx2.Client) -> None:
    ids = [client.beta.assistants.create(model="m", name=str(i)).id for i in range(100)]
    page = http.get("/assistants", params={"limit": 100}).json()
    assert [item["id"] for item in page["data"]] == ids[::-1]
    assert page["has_more"] is False
    assert (page["first_id"], page["last_id"]) == (ids[-1], ids[0])
    default = http.get("/assistants").json()
    assert len(default["data"]) == 20 and default["has_more"] is True
    assert [a.id for a in client.beta.assistants.list(order="asc", limit=7)] == ids


def test_after_and_before_cursors(client: openai.OpenAI, http: httpx2.Client) -> None:
    ids = [client.beta.assistants.create(model="m").id for _ in range(5)]
    after = http.get("/assistants", params={"order": "asc", "after": ids[1], "limit": 2}).json()
    assert [a["id"] for a in after["data"]] == ids[2:4] and after["has_more"] is True
    before = http.get("/assistants", params={"order": "asc", "before": ids[3], "limit": 2}).json()
    assert [a["id"] for a in before["data"]] == ids[1:3] and before["has_more"] is True
    desc = http.get("/assistants", params={"after": ids[2]}).json()
    assert [a["id"] for a in desc["data"]] == [ids[1], ids[0]] and desc["has_more"] is False


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"order": "up"}, "order"),
    ],
)
def test_bad_list_parameters_are_400(http: httpx2.Client, params: dict, param: str) -> None:
    response = http.get("/assistants", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_unknown_path_is_404_with_error_envelope(http: httpx2.Client) -> None:
    response = http.get("/nothing-here")
    assert response.status_code == 404
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}
