"""Shared fixtures: a real emulator on 127.0.0.1 (port 0), SDK clients, and throw-away projects.

This file is imported for every test, pure ones included: it imports neither the openai SDK nor the
emulator at module level (each fixture imports what it needs), so a unit-test run does not pay for
them. tests/test_conftest_imports.py keeps it so.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.projects import make_project

if TYPE_CHECKING:
    import openai

    from orchestrator.emulator import EmulatorServer

TEST_KEY = "sk-test-0123456789abcdefSENTINEL"


@pytest.fixture(autouse=True)
def _quiet_sdk_deprecations() -> None:
    """The SDK marks the Assistants API deprecated on every call; known and not under test."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[EmulatorServer]:
    """An emulator server for engine tests (its own db, separate from any project's)."""
    from orchestrator.emulator import EmulatorServer

    with EmulatorServer(tmp_path / "served" / "local.db") as server:
        yield server


@pytest.fixture
def sdk(served: EmulatorServer) -> Iterator[openai.OpenAI]:
    import openai

    with openai.OpenAI(base_url=served.base_url, api_key=TEST_KEY, max_retries=0) as client:
        yield client


@pytest.fixture(scope="module")
def served_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """One emulator server for all the tests of a module (the fuzz tests draw many examples against it)."""
    from orchestrator.emulator import EmulatorServer

    with EmulatorServer(tmp_path_factory.mktemp("served-once") / "local.db") as server:
        yield server


@pytest.fixture(scope="module")
def sdk_once(served_once: EmulatorServer) -> Iterator[openai.OpenAI]:
    import openai

    with openai.OpenAI(base_url=served_once.base_url, api_key=TEST_KEY, max_retries=0) as client:
        yield client


@pytest.fixture
def project(tmp_path: Path, served: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose dev environment targets the served emulator over the Assistants protocol."""
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    return make_project(tmp_path / "project", base_url=served.base_url)


@pytest.fixture
def agents_project(tmp_path: Path, served: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    return make_project(tmp_path / "project", base_url=served.base_url, backend="agents")
