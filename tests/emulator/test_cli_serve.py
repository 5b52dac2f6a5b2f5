"""`orchestrator serve`: the announcement line, a clean exit on SIGTERM, and bad flags."""

from __future__ import annotations

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
