"""The low-level endpoints (backends/rest.py) send what the SDK's resource methods send, byte for byte.

A loopback server records each raw request (request line, headers, body); the same call is made once
through `client.beta.<resource>.with_raw_response` and once through rest.Endpoint, and the two records
must be equal but for the per-request idempotency key.
"""

from __future__ import annotations

import json
import socket
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest

from orchestrator.backends.rest import AGENTS, ASSISTANTS, Endpoint
from tests.conftest import TEST_KEY

CANNED = {"id": "asst_1", "object": "assistant", "deleted": True, "data": [], "has_more": False}
VARYING = ("idempotency-key",)


class Recorder:
    """A one-request-at-a-time HTTP/1.1 server that keeps each request's bytes and answers JSON 200."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.requests: list[tuple[str, list[tuple[str, str]], bytes]] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                buffer = b""
                while True:
                    while b"\r\n\r\n" not in buffer:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        buffer += chunk
                    if b"\r\n\r\n" not in buffer:
                        break
                    head, buffer = buffer.split(b"\r\n\r\n", 1)
                    lines = head.decode("latin-1").split("\r\n")
                    headers = [
                        (k.strip().lower(), v.strip()) for k, v in (line.split(":", 1) for line in lines[1:])
                    ]
                    length = int(dict(headers).get("content-length", "0"))
                    while len(buffer) < length:
                        buffer += conn.recv(65536)
                    body, buffer = buffer[:length], buffer[length:]
                    self.requests.append((lines[0], [h for h in headers if h[0] not in VARYING], body))
                    answer = json.dumps(CANNED).encode()
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                        + str(len(answer)).encode()
                        + b"\r\n\r\n"
                        + answer
                    )

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    yield server
    server.close()


def sent(
    recorder: Recorder, call: Callable[[openai.OpenAI], Any]
) -> tuple[str, list[tuple[str, str]], bytes]:
    with (
        openai.OpenAI(base_url=recorder.base_url, api_key=TEST_KEY, max_retries=0) as client,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", DeprecationWarning)
        call(client)
    return recorder.requests.pop()


ASSISTANT_PAYLOAD = {
    "top_p": 0.5,
    "tools": [{"type": "code_interpreter"}],
    "name": "n",
    "model": "gpt-5.4",
    "metadata": {"a": "b"},
    "instructions": "hi",
    "description": None,
    "temperature": 1.0,
    "response_format": "auto",
    "reasoning_effort": "low",
}
AGENT_PAYLOAD = {
    "tools": [{"type": "web_search"}],
    "text": {"format": {"type": "text"}, "verbosity": "low"},
    "name": "n",
    "model": "gpt-5.4",
    "metadata": {"a": "b"},
    "instructions": "hi",
    "reasoning": {"effort": "low"},
}


def cases(endpoint: Endpoint, resource: str, payload: dict[str, Any]) -> list[Any]:
    def res(client: openai.OpenAI) -> Any:
        return getattr(client.beta, resource).with_raw_response

    return [
        (
            lambda c: res(c).list(limit=100, order="asc"),
            lambda c: endpoint.list_page(c, {"limit": 100, "order": "asc"}),
        ),
        (
            lambda c: res(c).list(limit=100, order="asc", after="x_9"),
            lambda c: endpoint.list_page(c, {"limit": 100, "order": "asc", "after": "x_9"}),
        ),
        (lambda c: res(c).retrieve("x_1"), lambda c: endpoint.retrieve(c, "x_1")),
        (lambda c: res(c).create(**payload), lambda c: endpoint.create(c, payload)),
        (lambda c: res(c).update("x_1", **payload), lambda c: endpoint.update(c, "x_1", payload)),
        (
            lambda c: res(c).update("x_1", metadata={"k": "v"}),
            lambda c: endpoint.update(c, "x_1", {"metadata": {"k": "v"}}),
        ),
        (lambda c: res(c).delete("x_1"), lambda c: endpoint.delete(c, "x_1")),
    ]


@pytest.mark.parametrize("index", range(7))
@pytest.mark.parametrize(
    "endpoint,resource,payload",
    [(ASSISTANTS, "assistants", ASSISTANT_PAYLOAD), (AGENTS, "agents", AGENT_PAYLOAD)],
)
def test_low_level_requests_equal_the_resource_methods(
    recorder: Recorder, endpoint: Endpoint, resource: str, payload: dict[str, Any], index: int
) -> None:
    through_resource, through_endpoint = cases(endpoint, resource, payload)[index]
    expected = sent(recorder, through_resource)
    assert sent(recorder, through_endpoint) == expected


def test_the_response_is_the_http_response(recorder: Recorder) -> None:
    with openai.OpenAI(base_url=recorder.base_url, api_key=TEST_KEY, max_retries=0) as client:
        response = ASSISTANTS.retrieve(client, "asst_1")
    assert response.status_code == 200 and response.json()["id"] == "asst_1"
