"""Server behaviour: start-up, persistence, auth, admin endpoints, latency, faults, indexes."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import httpx2
import openai
import pytest

from orchestrator.constants import ADMIN_FAULTS_PATH, ADMIN_HEALTH_PATH, ADMIN_REQUESTS_PATH
from orchestrator.emulator import EmulatorServer
from orchestrator.emulator.store import Store


def test_port_zero_gives_a_known_port_before_start(tmp_path: Path) -> None:
    server = EmulatorServer(tmp_path / "db")
    assert server.port > 0 and server.base_url == f"http://127.0.0.1:{server.port}/v1"
    started = time.monotonic()
    with server:
        assert time.monotonic() - started < 1.0
        assert httpx2.get(server.root_url + ADMIN_HEALTH_PATH).json() == {"status": "ok", "model": "scripted"}


def test_several_servers_in_one_process(tmp_path: Path) -> None:
    servers = [EmulatorServer(tmp_path / f"{i}.db").start() for i in range(3)]
    try:
        ids = [
            openai.OpenAI(base_url=s.base_url, api_key="x").beta.assistants.create(model="m").id
            for s in servers
        ]
        for server, assistant_id in zip(servers, ids, strict=True):
            listed = httpx2.get(server.base_url + "/assistants").json()["data"]
            assert [a["id"] for a in listed] == [assistant_id]
    finally:
        for server in servers:
            server.stop()


def test_state_survives_restart(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "dir" / "local.db"
    with EmulatorServer(db) as first:
        client = openai.OpenAI(base_url=first.base_url, api_key="x")
        assistant = client.beta.assistants.create(model="m", name="kept")
        file = client.files.create(file=("a.txt", b"data"), purpose="assistants")
    with EmulatorServer(db) as second:
        client = openai.OpenAI(base_url=second.base_url, api_key="x")
        assert client.beta.assistants.retrieve(assistant.id).name == "kept"
        assert client.files.content(file.id).read() == b"data"
        newer = client.beta.assistants.create(model="m")
        assert [a.id for a in client.beta.assistants.list()] == [newer.id, assistant.id]


def test_api_key_is_required_when_set(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "db", api_key="sk-secret") as server:
        bad = openai.OpenAI(base_url=server.base_url, api_key="wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError) as raised:
            bad.beta.assistants.list()
        assert raised.value.code == "invalid_api_key" and "wrong" not in raised.value.message
        assert "sk-secret" not in raised.value.message
        missing = httpx2.get(server.base_url + "/assistants")
        assert missing.status_code == 401 and missing.json()["error"]["type"] == "invalid_request_error"
        assert httpx2.get(server.root_url + ADMIN_REQUESTS_PATH).status_code == 401
        good = openai.OpenAI(base_url=server.base_url, api_key="sk-secret")
        assert good.beta.assistants.list().data == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ADMIN_HEALTH_PATH),
        ("GET", ADMIN_REQUESTS_PATH),
        ("DELETE", ADMIN_REQUESTS_PATH),
        ("GET", ADMIN_FAULTS_PATH),
        ("POST", ADMIN_FAULTS_PATH),
    ],
)
def test_admin_endpoints_need_the_key_too(tmp_path: Path, method: str, path: str) -> None:
    with EmulatorServer(tmp_path / "db", api_key="sk-secret") as server:
        body = {"fault_rate": 1.0} if method == "POST" else None
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            refused = httpx2.request(method, server.root_url + path, json=body, headers=headers)
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
        assert server.app is not None and server.app.faults.settings.fault_rate == 0.0
        ok = httpx2.request(
            method, server.root_url + path, json=body, headers={"Authorization": "Bearer sk-secret"}
        )
        assert ok.status_code == 200


def test_any_key_is_accepted_without_api_key(emulator: EmulatorServer) -> None:
    assert httpx2.get(emulator.base_url + "/assistants").status_code == 200


def test_request_counter_by_route_and_reset(emulator: EmulatorServer, client: openai.OpenAI) -> None:
    created = client.beta.assistants.create(model="m")
    client.beta.assistants.update(created.id, name="x")
    client.beta.assistants.list()
    counts = httpx2.get(emulator.root_url + ADMIN_REQUESTS_PATH).json()
    assert counts == {
        "total": 3,
        "by_route": {"GET /v1/assistants": 1, "POST /v1/assistants": 1, "POST /v1/assistants/{id}": 1},
    }
    assert httpx2.delete(emulator.root_url + ADMIN_REQUESTS_PATH).json()["total"] == 0


def test_fault_settings_change_at_run_time(emulator: EmulatorServer) -> None:
    url = emulator.root_url + ADMIN_FAULTS_PATH
    assert httpx2.get(url).json() == {
        "latency_ms": 0,
        "fault_rate": 0.0,
        "seed": None,
        "ingest_ms": 0,
        "attach_race_ms": 0,
        "model_stand_in": None,
    }
    assert httpx2.post(url, json={"fault_rate": 1.0, "seed": 3}).json()["fault_rate"] == 1.0
    for _ in range(3):
        with contextlib.suppress(httpx2.RemoteProtocolError):  # or a dropped connection
            assert httpx2.get(emulator.base_url + "/assistants").status_code in {429, 500, 503}
    assert httpx2.post(url, json={"fault_rate": 7}).status_code == 400
    assert httpx2.post(url, json={"nope": 1}).status_code == 400
    httpx2.post(url, json={"fault_rate": 0})
    assert httpx2.get(emulator.base_url + "/assistants").status_code == 200


def test_latency_delays_without_blocking_other_requests(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "db", latency_ms=200) as server:
        durations: list[float] = []

        def call() -> None:
            started = time.monotonic()
            httpx2.get(server.base_url + "/assistants")
            durations.append(time.monotonic() - started)

        threads = [threading.Thread(target=call) for _ in range(5)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert min(durations) >= 0.2 and time.monotonic() - started < 0.6
        assert httpx2.get(server.root_url + ADMIN_HEALTH_PATH).elapsed.total_seconds() < 0.15


def test_faults_are_deterministic_for_a_seed(tmp_path: Path) -> None:
    def statuses() -> list[int | str]:
        with EmulatorServer(tmp_path / "db", fault_rate=0.5, seed=42) as server, httpx2.Client() as raw:
            results: list[int | str] = []
            for _ in range(30):
                try:
                    results.append(raw.get(server.base_url + "/assistants").status_code)
                except httpx2.HTTPError:
                    results.append("dropped")
            return results

    first = statuses()
    assert first == statuses()
    assert {429, 500, 503, 200, "dropped"} <= set(first)


def test_sdk_retries_converge_under_faults(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "db", fault_rate=0.3, seed=7) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=8)
        names = [f"a{i}" for i in range(25)]
        for name in names:
            client.beta.assistants.create(model="m", name=name)
        httpx2.post(server.root_url + ADMIN_FAULTS_PATH, json={"fault_rate": 0})
        stored = [a.name for a in client.beta.assistants.list(limit=100, order="asc")]
        # A lost response commits the create although the client retries it: duplicates, never gaps.
        assert set(stored) == set(names) and len(stored) >= len(names)
        counts = httpx2.get(server.root_url + ADMIN_REQUESTS_PATH).json()["by_route"]
        assert counts["POST /v1/assistants"] > len(names)


def test_lost_response_commits_the_write(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "db") as server:
        from orchestrator.emulator.faults import Fault

        assert server.app is not None
        server.app.faults.decide = lambda: Fault.LOST_RESPONSE  # type: ignore[method-assign]
        with pytest.raises(httpx2.HTTPError):
            httpx2.post(server.base_url + "/assistants", json={"model": "m", "name": "lost"})
        server.app.faults.decide = lambda: Fault.DROPPED  # type: ignore[method-assign]
        with pytest.raises(httpx2.HTTPError):
            httpx2.post(server.base_url + "/assistants", json={"model": "m", "name": "dropped"})
        server.app.faults.decide = lambda: None  # type: ignore[method-assign]
        names = [a["name"] for a in httpx2.get(server.base_url + "/assistants").json()["data"]]
        assert names == ["lost"]


def test_rate_limit_fault_carries_retry_headers(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "db") as server:
        from orchestrator.emulator.faults import Fault

        assert server.app is not None
        server.app.faults.decide = lambda: Fault.RATE_LIMITED  # type: ignore[method-assign]
        response = httpx2.get(server.base_url + "/assistants")
        assert response.status_code == 429
        assert response.headers["retry-after"] == "1" and response.headers["retry-after-ms"] == "20"
        assert response.json()["error"]["code"] == "rate_limit_exceeded"


def test_pages_use_the_index(tmp_path: Path) -> None:
    store = Store(tmp_path / "db")
    try:
        for after, before in ((None, None), ("asst_x", None), (None, "asst_x")):
            sql, params = store.page_query(
                "assistant", parent="", limit=100, order="desc", after=after, before=before, tag=None
            )
            plan = " | ".join(store.explain(sql, params))
            assert "SCAN objects" not in plan.replace("SCAN objects USING", "") or "INDEX" in plan, plan
            assert "objects_page" in plan or "PRIMARY KEY" in plan or "sqlite_autoindex" in plan, plan
            assert "USE TEMP B-TREE" not in plan, plan
    finally:
        store.close()
