"""The MCP `history` tool returns the very object of `history NAME -o json`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.mcp.conftest import Session, over_stdio
from tests.revisions.conftest import build_history, new_repo


def test_history_tool_returns_the_cli_json(
    tmp_path: Path, served: EmulatorServer, errlog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Ana Ruiz")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "ana@example.com")
    repo = new_repo(tmp_path / "repo", base_url=served.base_url)
    build_history(repo)
    assert repo.cli("apply", "--yes").exit_code == 0
    cli = json.loads(repo.cli("history", "tutor", "-o", "json").stdout)

    async def scenario(session: Session) -> tuple:
        return await session.ok("history", {"name": "tutor"}), await session.call(
            "history", {"name": "nobody"}
        )

    data, (failed, problem) = over_stdio(repo.project, scenario, errlog=errlog)
    assert data == cli
    assert data["revisions"][0]["live"] is True
    assert failed is True and "spec `nobody` is not in revision" in json.dumps(problem)
