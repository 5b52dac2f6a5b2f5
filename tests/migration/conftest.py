"""Fixtures of the migration tests: a copy of this repository's own project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.projects import REPO


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """This repository's project as a fresh clone has it (orchestrator.yaml untouched)."""
    root = tmp_path / "clone"
    root.mkdir()
    shutil.copy(REPO / "orchestrator.yaml", root)
    for folder in ("specs", "templates", "schemas", "examples"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return root
