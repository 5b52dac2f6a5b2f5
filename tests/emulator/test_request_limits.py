"""Hostile request bodies: oversized (declared or streamed), nested too deep, or `null`.

The 500 MB bomb runs `orchestrator serve` in a subprocess and reads its peak RSS from /proc:
before the limit it held the whole body several times over (1.38 GB peak, 34 s, then 400).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import openai
import pytest

from orchestrator.emulator import EmulatorServer
from orchestrator.emulator.bodies import JSON_LIMIT_BYTES, MAX_JSON_DEPTH, BodyLimits

REPO_ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
BOMB_BYTES = 500 * MIB
PEAK_RSS_BOUND_KB = 500 * 1024
WALL_BOUND_S = 10.0


@pytest.fixture
def served_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`orchestrator serve` as its own process, so its memory can be measured alone."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "orchestrator", "serve", "--port", "0", "--db", str(tmp_path / "db")]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stderr is not None
    found = re.search(r"on (http://127\.0\.0\.1:\d+/v1)", process.stderr.readline())
    assert found is not None
    try:
        yield process, found.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)


def peak_rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    assert found is not None
    return int(found.group(1))


def chunks(total: int, size: int = MIB) -> Iterator[bytes]:
    block = b"x" * size
    for _ in range(total // size):
        yield block


def assert_too_large(response: httpx2.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "request_too_large" and error["type"] == "invalid_request_error"
    assert f"the limit for this endpoint is {limit} bytes" in error["message"]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak RSS is read from /proc")
def test_a_500_mb_streamed_body_is_refused_with_413_in_bounded_memory(
    served_process: tuple[subprocess.Popen[str], str],
) -> None:
    process, base_url = served_process
    started = time.monotonic()
    with httpx2.Client(timeout=60) as http:
        response = http.post(
            base_url + "/assistants",
            content=chunks(BOMB_BYTES),  # chunked transfer encoding: no length is declared
            headers={"Content-Type": "application/json", "Authorization": "Bearer x"},
        )
        elapsed = time.monotonic() - started
        assert_too_large(response, JSON_LIMIT_BYTES)
        # the connection stays usable: the rest of the body was drained, not parsed
        assert http.get(base_url + "/assistants").status_code == 200
    assert elapsed < WALL_BOUND_S
    assert peak_rss_kb(process.pid) < PEAK_RSS_BOUND_KB


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    served_process: tuple[subprocess.Popen[str], str],
) -> None:
    _process, base_url = served_process
    found = re.match(r"http://([\d.]+):(\d+)", base_url)
    assert found is not None
    with socket.create_connection((found.group(1), int(found.group(2))), timeout=10) as sock:
        head = (
            f"POST /v1/assistants HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {BOMB_BYTES}\r\n\r\n"
        )
        sock.sendall(head.encode())  # and not one byte of the body
        answer = b""
        while b"}}" not in answer:
            received = sock.recv(65536)
            assert received, answer
            answer += received
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b'"code":"request_too_large"' in answer


def test_json_limit_applies_to_every_json_endpoint_and_the_sdk_sees_413(tmp_path: Path) -> None:
    limits = BodyLimits(json_bytes=4096, file_bytes=64 * 1024)
    with EmulatorServer(tmp_path / "db", limits=limits) as server:
        sdk = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        with pytest.raises(openai.APIStatusError) as raised:
            sdk.beta.assistants.create(model="m", instructions="x" * 5000)
        assert raised.value.status_code == 413
        assert sdk.beta.assistants.create(model="m", instructions="x" * 3000).instructions == "x" * 3000
        thread = sdk.beta.threads.create()
        with pytest.raises(openai.APIStatusError) as raised:
            sdk.beta.threads.messages.create(thread.id, role="user", content="y" * 5000)
        assert raised.value.status_code == 413
        admin = httpx2.post(server.root_url + "/_emulator/faults", content=b" " * 5000)
        assert_too_large(admin, 4096)


def test_uploads_get_the_file_limit_whether_declared_or_streamed(tmp_path: Path) -> None:
    limits = BodyLimits(json_bytes=4096, file_bytes=64 * 1024)
    with EmulatorServer(tmp_path / "db", limits=limits) as server:
        sdk = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        kept = sdk.files.create(file=("fits.txt", b"z" * 60_000), purpose="assistants")
        assert kept.bytes == 60_000  # far above the JSON limit: uploads have their own
        with pytest.raises(openai.APIStatusError) as raised:
            sdk.files.create(file=("big.txt", b"z" * 70_000), purpose="assistants")
        assert raised.value.status_code == 413 and "File too large" in raised.value.message
        boundary = "b0undary"
        part = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="s.txt"\r\n\r\n'
        ).encode()
        streamed = httpx2.post(
            server.base_url + "/files",
            content=iter([part, *chunks(3 * MIB, 64 * 1024), f"\r\n--{boundary}--\r\n".encode()]),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert_too_large(streamed, limits.upload_bytes)
        assert [item.id for item in sdk.files.list()] == [kept.id]


def test_json_nested_100000_deep_answers_400_not_500(emulator: EmulatorServer) -> None:
    body = "[" * 100_000 + "]" * 100_000
    response = httpx2.post(
        emulator.base_url + "/assistants", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == {
        "message": f"Invalid body: JSON nested more than {MAX_JSON_DEPTH} levels deep.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_json",
    }


def nested_schema(depth: int) -> dict[str, object]:
    schema: dict[str, object] = {"type": "string"}
    for _ in range(depth):
        schema = {"type": "array", "items": schema}
    return schema


def test_nesting_below_the_interpreter_limit_is_capped_too(client: openai.OpenAI) -> None:
    deep = {"type": "function", "function": {"name": "f", "parameters": nested_schema(MAX_JSON_DEPTH)}}
    with pytest.raises(openai.BadRequestError) as raised:
        client.beta.assistants.create(model="m", tools=[deep])  # type: ignore[list-item]
    assert raised.value.code == "invalid_json"
    fine = {"type": "function", "function": {"name": "f", "parameters": nested_schema(30)}}
    created = client.beta.assistants.create(model="m", tools=[fine])  # type: ignore[list-item]
    assert json.dumps(created.tools[0].function.parameters).count("items") == 30  # type: ignore[union-attr]


@pytest.mark.parametrize("path", ["/threads", "/assistants", "/vector_stores"])
def test_a_json_null_body_is_refused(http: httpx2.Client, path: str) -> None:
    response = http.post(path, content=b"null", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert (
        response.json()["error"]["message"]
        == "Invalid type for body: expected an object, but got null instead."
    )
    assert http.post("/threads").status_code == 200  # no body at all is still an empty thread


def multipart(boundary: str, size: int) -> Iterator[bytes]:
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n'
    ).encode()
    yield from chunks(size)
    yield f"\r\n--{boundary}--\r\n".encode()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak RSS is read from /proc")
def test_an_upload_within_the_limit_is_stored_without_being_held_in_memory(
    served_process: tuple[subprocess.Popen[str], str],
) -> None:
    process, base_url = served_process
    size = 200 * MIB  # before: read whole, then copied into SQLite, 650 MB peak
    response = httpx2.post(
        base_url + "/files",
        content=multipart("b0undary", size),
        headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    assert response.json()["bytes"] == size
    assert peak_rss_kb(process.pid) < 250 * 1024


def test_a_streamed_upload_keeps_every_byte(client: openai.OpenAI) -> None:
    data = os.urandom(3 * MIB + 12345)  # several blob chunks and a ragged end
    uploaded = client.files.create(file=("r.bin", data), purpose="assistants")
    assert uploaded.bytes == len(data)
    assert client.files.content(uploaded.id).read() == data


@pytest.mark.parametrize(
    "body", [b'{"model": "gpt-4.1", "name": "\\ud800"}', b'{"model": "gpt-4.1", "\\udce9": 1}']
)
def test_a_lone_surrogate_is_refused_not_stored(tmp_path: Path, body: bytes) -> None:
    """`"\\ud800"` parses as JSON but is no text: stored, every later answer holding it failed (500)."""
    with EmulatorServer(tmp_path / "db") as server:
        answer = httpx2.post(
            server.base_url + "/assistants", content=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_json"
        assert httpx2.get(server.base_url + "/assistants").json()["data"] == []


def test_a_skill_whose_front_matter_escapes_a_lone_surrogate_is_refused(tmp_path: Path) -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("top/SKILL.md", '---\nname: "caf\\udce9"\ndescription: d\n---\nHi.\n')
    with EmulatorServer(tmp_path / "db") as server:
        sdk = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        with pytest.raises(openai.BadRequestError, match="surrogate"):
            sdk.skills.create(files=("skill.zip", buffer.getvalue(), "application/zip"))
        assert sdk.skills.list().data == []
