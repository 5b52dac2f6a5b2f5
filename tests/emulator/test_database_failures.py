"""A database that goes away or fills up fails loudly: a 5xx naming the file, one log line, no 200.

Before, a deleted database kept answering 200 (the writes went to the unlinked file and were
gone at restart) and a full disk was a 500 "failed on this request" with a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx2
import openai
import pytest

from orchestrator.constants import ADMIN_REQUESTS_PATH
from orchestrator.emulator import EmulatorServer
from orchestrator.emulator.store import Store

REPO_ROOT = Path(__file__).resolve().parents[2]


def remove_database(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{db}{suffix}")


def assert_moved(response: httpx2.Response, db: Path) -> None:
    assert response.status_code == 500, response.text
    assert response.headers["x-should-retry"] == "false"
    error = response.json()["error"]
    assert error["code"] == "database_moved" and error["type"] == "server_error"
    assert error["message"] == (
        f"The emulator database {db} was deleted or replaced while the server was running "
        "(restart the server to use the file there now). Nothing was saved."
    )


def test_a_database_deleted_while_serving_fails_every_request_loudly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "local.db"
    with EmulatorServer(db) as server:
        sdk = openai.OpenAI(base_url=server.base_url, api_key="x")  # default retries
        sdk.beta.assistants.create(model="m", name="gone with the file")
        remove_database(db)
        httpx2.delete(server.root_url + ADMIN_REQUESTS_PATH)
        with caplog.at_level(logging.ERROR, logger="orchestrator.emulator"):
            with pytest.raises(openai.InternalServerError) as raised:
                sdk.beta.assistants.create(model="m", name="lost")
            assert_moved(httpx2.get(server.base_url + "/assistants"), db)
        assert raised.value.code == "database_moved"
        assert httpx2.get(server.root_url + ADMIN_REQUESTS_PATH).json()["total"] == 2  # not retried
    assert [record.getMessage() for record in caplog.records] == [
        f"{method} /v1/assistants: the emulator database {db} was deleted or replaced while the server "
        "was running (restart the server to use the file there now)"
        for method in ("POST", "GET")
    ]
    assert "Traceback" not in caplog.text
    with EmulatorServer(db) as restarted:  # a new database: no write was answered 200 after the delete
        assert httpx2.get(restarted.base_url + "/assistants").json()["data"] == []


def test_a_database_replaced_while_serving_fails_loudly(tmp_path: Path) -> None:
    db = tmp_path / "local.db"
    with EmulatorServer(db) as server:
        httpx2.post(server.base_url + "/assistants", json={"model": "m"})
        Store(tmp_path / "other.db").close()
        os.replace(tmp_path / "other.db", db)
        assert_moved(httpx2.post(server.base_url + "/assistants", json={"model": "m"}), db)


def fill(base_url: str) -> httpx2.Response:
    """Create assistants until the database refuses one."""
    for _ in range(200):
        response = httpx2.post(base_url + "/assistants", json={"model": "m", "instructions": "x" * 100_000})
        if response.status_code != 200:
            return response
    raise AssertionError("the database never filled up")


def test_a_full_database_answers_507_and_the_sdk_does_not_retry(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "local.db"
    with EmulatorServer(db, max_db_bytes=512 * 1024) as server:
        with caplog.at_level(logging.ERROR, logger="orchestrator.emulator"):
            full = fill(server.base_url)
        assert full.status_code == 507 and full.headers["x-should-retry"] == "false"
        assert full.json()["error"] == {
            "message": f"Cannot write the emulator database {db}: database or disk is full. Nothing was saved.",
            "type": "server_error",
            "param": None,
            "code": "database_full",
        }
        assert caplog.messages == [
            f"POST /v1/assistants: cannot write the emulator database {db}: database or disk is full"
        ]
        listed = httpx2.get(server.base_url + "/assistants", params={"limit": 100}).json()["data"]
        httpx2.delete(server.root_url + ADMIN_REQUESTS_PATH)
        sdk = openai.OpenAI(base_url=server.base_url, api_key="x")  # default retries
        with pytest.raises(openai.APIStatusError) as raised:
            sdk.beta.assistants.create(model="m", instructions="y" * 100_000)
        assert raised.value.status_code == 507
        assert httpx2.get(server.root_url + ADMIN_REQUESTS_PATH).json()["total"] == 1
    with contextlib.closing(sqlite3.connect(db)) as connection:  # what was answered 200 is there
        count = connection.execute("SELECT COUNT(*) FROM objects WHERE kind = 'assistant'").fetchone()[0]
    assert count == len(listed) > 0


def test_serve_logs_a_full_database_without_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "local.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "serve", "--port", "0", "--db", str(db), "--max-db-mb", "1"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert process.stderr is not None
        found = re.search(r"on (http://127\.0\.0\.1:\d+/v1)", process.stderr.readline())
        assert found is not None
        assert fill(found.group(1)).status_code == 507
    finally:
        process.terminate()
        _, log = process.communicate(timeout=10)
    assert log == f"POST /v1/assistants: cannot write the emulator database {db}: database or disk is full\n"


def test_a_lock_held_elsewhere_answers_503_which_may_be_retried(tmp_path: Path) -> None:
    db = tmp_path / "local.db"
    with EmulatorServer(db) as server, contextlib.closing(sqlite3.connect(db, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # another process writing, for longer than the 5 s busy timeout
        try:
            busy = httpx2.post(server.base_url + "/assistants", json={"model": "m"}, timeout=30)
        finally:
            other.execute("ROLLBACK")
        assert busy.status_code == 503 and "x-should-retry" not in busy.headers
        assert busy.json()["error"]["code"] == "database_busy"
        assert "database is locked" in busy.json()["error"]["message"]
        assert httpx2.post(server.base_url + "/assistants", json={"model": "m"}).status_code == 200
