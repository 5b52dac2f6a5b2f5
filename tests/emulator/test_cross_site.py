"""A browser page must not reach the emulator: cross-site requests and DNS rebinding are refused.

Reproductions (issue 25, 22 and 20): a `text/plain` POST from a foreign `Origin` created an
assistant; a foreign `Host:` was served, `/_emulator/faults` included; a client disconnecting
mid-body (what kill -9 of an apply does) was logged as "emulator bug" with a traceback.
"""

from __future__ import annotations

import logging
import socket
import time

import httpx2
import openai
import pytest

from orchestrator.emulator import EmulatorServer
from orchestrator.emulator.origin import OriginGuard

ASSISTANT = b'{"model": "gpt-4.1", "name": "from-a-web-page"}'


def count_assistants(client: openai.OpenAI) -> int:
    return len(client.beta.assistants.list().data)


def test_a_text_plain_post_from_a_foreign_origin_creates_nothing(
    emulator: EmulatorServer, client: openai.OpenAI
) -> None:
    headers = {"Content-Type": "text/plain", "Origin": "https://evil.example", "OpenAI-Beta": "assistants=v2"}
    answer = httpx2.post(emulator.base_url + "/assistants", content=ASSISTANT, headers=headers)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "invalid_origin"
    assert count_assistants(client) == 0


@pytest.mark.parametrize(
    "origin", ["null", "file://", "https://127.0.0.1.evil.example", "http://localhost.evil.example:1"]
)
def test_origins_that_are_not_loopback_are_refused(emulator: EmulatorServer, origin: str) -> None:
    answer = httpx2.get(emulator.root_url + "/_emulator/health", headers={"Origin": origin})
    assert answer.status_code == 403


@pytest.mark.parametrize("path", ["/v1/assistants", "/_emulator/faults", "/_emulator/requests"])
def test_a_foreign_host_is_not_served(emulator: EmulatorServer, path: str) -> None:
    """DNS rebinding: the page's own name, now resolving to 127.0.0.1, arrives as `Host`."""
    headers = {"Host": f"evil.example:{emulator.port}", "OpenAI-Beta": "assistants=v2"}
    answer = httpx2.get(emulator.root_url + path, headers=headers)
    assert answer.status_code == 421
    assert answer.json()["error"]["code"] == "invalid_host"
    assert "fault_rate" not in answer.text and "data" not in answer.json()


def test_faults_cannot_be_set_from_a_rebound_name(emulator: EmulatorServer) -> None:
    headers = {"Host": "evil.example", "Content-Type": "text/plain"}
    answer = httpx2.post(
        emulator.root_url + "/_emulator/faults", content=b'{"fault_rate": 1}', headers=headers
    )
    assert answer.status_code == 421
    assert httpx2.get(emulator.root_url + "/_emulator/faults").json()["fault_rate"] == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Host": "localhost"},
        {"Origin": "http://localhost:3000"},
        {"Origin": "http://127.0.0.1:9"},
        {"Origin": "http://[::1]:9"},
    ],
)
def test_clients_on_this_machine_are_served(emulator: EmulatorServer, headers: dict[str, str]) -> None:
    answer = httpx2.get(emulator.root_url + "/_emulator/health", headers=headers)
    assert answer.status_code == 200, answer.text


def test_the_sdk_is_served(client: openai.OpenAI) -> None:
    client.beta.assistants.create(model="gpt-4.1", name="sdk")
    assert count_assistants(client) == 1


def test_off_loopback_the_listening_address_and_same_origin_are_served() -> None:
    guard = OriginGuard("10.1.2.3")
    guard.check({"host": "10.1.2.3:8765"})
    guard.check({"host": "10.1.2.3:8765", "origin": "http://10.1.2.3:8765"})
    guard.check({"host": "127.0.0.1:8765"})
    with pytest.raises(Exception, match="Host"):
        guard.check({"host": "evil.example:8765"})
    with pytest.raises(Exception, match="Cross-origin"):
        guard.check({"host": "10.1.2.3:8765", "origin": "http://evil.example"})
    every = OriginGuard("0.0.0.0")
    every.check({"host": "build-box.internal:8765"})


def test_a_client_that_disconnects_mid_body_is_not_an_emulator_bug(
    emulator: EmulatorServer, client: openai.OpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="orchestrator.emulator")
    with socket.create_connection(("127.0.0.1", emulator.port)) as sock:
        sock.sendall(
            b"POST /v1/assistants HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"OpenAI-Beta: assistants=v2\r\nContent-Length: 1000\r\n\r\n" + ASSISTANT[:20]
        )
        time.sleep(0.2)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any("disconnected" in r.getMessage() for r in caplog.records):
        time.sleep(0.05)
    messages = [record.getMessage() for record in caplog.records]
    assert not [m for m in messages if "bug" in m], messages
    assert not [r for r in caplog.records if r.exc_info], messages
    assert any("disconnected" in m for m in messages), messages
    assert count_assistants(client) == 0
