"""A project with two targets on one served emulator: `dev` on assistants, `next` on agents."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.projects import REPO, make_project


@pytest.fixture
def both_project(tmp_path: Path, served: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Environments `dev` (target main: assistants) and `next` (target agents), one emulator."""
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    agents_target = {"type": "agents", "base_url": served.base_url, "api_key_env": "TEST_ORCHESTRATOR_KEY"}
    root = make_project(
        tmp_path / "project",
        base_url=served.base_url,
        vars={"company": "Acme Learning", "tone": "formal"},
        extra_environments={"next": {"target": "agents"}},
        extra_targets={"agents": agents_target},
    )
    shutil.copytree(REPO / "templates", root / "templates", dirs_exist_ok=True)
    shutil.copy(REPO / "specs" / "retail-analyst.yaml", root / "specs" / "retail-analyst.yaml")
    return root
