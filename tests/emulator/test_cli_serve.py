"""`orchestrator serve`: the announcement line, a clean exit on SIGTERM, and bad flags."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from orchestrator.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_serve_announces_url_serves_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    db = tmp_path / "state" / "local.db"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "serve", "--port", "0", "--db", str(db), "--api-key", "sk-k"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.fullmatch(
            r"Serving OpenAI-compatible API on (http://127\.0\.0\.1:\d+/v1) \(db: (.+)\)\n", line
        )
        assert found is not None, line
        assert found.group(2) == str(db)
        assert httpx2.get(found.group(1) + "/assistants").status_code == 401
        ok = httpx2.get(found.group(1) + "/assistants", headers={"Authorization": "Bearer sk-k"})
        assert ok.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


@pytest.mark.parametrize("flags", [["--fault-rate", "2"], ["--port", "70000"], ["--latency-ms", "-1"]])
def test_bad_flags_exit_1(flags: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", *flags]) == 1
    assert "Invalid value" in capsys.readouterr().err


def run_serve(*flags: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`orchestrator serve` expected to refuse to start (a timeout here means it served instead)."""
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", "serve", "--port", "0", *flags],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})},
        check=False,
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "emulator.example"])
def test_serve_refuses_a_host_beyond_loopback_without_a_key(tmp_path: Path, host: str) -> None:
    db = tmp_path / "local.db"
    result = run_serve("--host", host, "--db", str(db), env={"ORCHESTRATOR_EMULATOR_API_KEY": ""})
    assert result.returncode == 1
    assert f"refusing to serve on {host} without an API key" in result.stderr
    assert "--insecure" in result.stderr and "Traceback" not in result.stderr
    assert not db.exists()  # refused before anything was created or bound


@pytest.mark.parametrize(
    ("host", "api_key", "insecure", "allowed"),
    [
        ("127.0.0.1", None, False, True),
        ("127.0.0.2", None, False, True),
        ("::1", None, False, True),
        ("localhost", None, False, True),
        ("0.0.0.0", None, False, False),
        ("", None, False, False),
        ("0.0.0.0", "sk-k", False, True),
        ("0.0.0.0", None, True, True),
    ],
)
def test_exposure_rule(host: str, api_key: str | None, insecure: bool, allowed: bool) -> None:
    from orchestrator.emulator.server import check_exposure

    if allowed:
        check_exposure(host, api_key, insecure=insecure)
    else:
        with pytest.raises(ValueError, match="without an API key"):
            check_exposure(host, api_key, insecure=insecure)


def test_serve_reads_the_key_from_the_variable_api_key_env_names(tmp_path: Path) -> None:
    key = "sk-from-env-SENTINEL"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "MY_EMULATOR_KEY": key + "\n"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orchestrator",
            "serve",
            "--port",
            "0",
            "--db",
            str(tmp_path / "db"),
            "--api-key-env",
            "MY_EMULATOR_KEY",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.search(r"on (http://127\.0\.0\.1:\d+/v1)", line)
        assert found is not None, line
        base_url = found.group(1)
        assert key not in Path(f"/proc/{process.pid}/cmdline").read_text(encoding="utf-8", errors="replace")
        assert httpx2.get(base_url + "/assistants").status_code == 401
        ok = httpx2.get(base_url + "/assistants", headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=10)
    assert process.returncode == 0
    assert key not in line + rest


@pytest.mark.parametrize(
    ("flags", "env", "message"),
    [
        (["--api-key-env", "NOT_SET_ANYWHERE"], {}, "the environment variable NOT_SET_ANYWHERE is not set"),
        (["--api-key-env", "EMPTY_KEY"], {"EMPTY_KEY": " "}, "the environment variable EMPTY_KEY is not set"),
        (["--api-key", "a", "--api-key-env", "EMPTY_KEY"], {"EMPTY_KEY": "b"}, "not both"),
    ],
)
def test_bad_key_sources_exit_1(tmp_path: Path, flags: list[str], env: dict[str, str], message: str) -> None:
    result = run_serve("--db", str(tmp_path / "db"), *flags, env=env)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_serve_on_a_file_that_is_not_sqlite_is_a_diagnostic(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("my notes, not a database\n" * 50, encoding="utf-8")
    before = notes.read_bytes()
    result = run_serve("--db", str(notes))
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: cannot open the emulator database {notes}: file is not a database "
        "(--db names the database file)\n"
    )
    assert notes.read_bytes() == before


def test_serve_refuses_another_programs_sqlite_database(tmp_path: Path) -> None:
    import sqlite3

    other = tmp_path / "app.sqlite"
    with contextlib.closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE users (name TEXT)")
        connection.commit()
    result = run_serve("--db", str(other))
    assert result.returncode == 1
    assert "is an SQLite database but not the emulator's (its tables: users)" in result.stderr
    assert "This is a bug" not in result.stderr
    with contextlib.closing(sqlite3.connect(other)) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert tables == ["users"]
