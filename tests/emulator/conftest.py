"""Fixtures of the emulator tests: a real server on 127.0.0.1, port 0, and clients for it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx2
import openai
import pytest

from orchestrator.emulator import EmulatorServer


@pytest.fixture(autouse=True)
def _quiet_sdk_deprecations() -> None:
    """The SDK marks the Assistants API deprecated on every call; that is known and not under test."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(tmp_path / "state" / "local.db") as server:
        yield server


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=emulator.base_url, api_key="x", max_retries=0) as sdk:
        yield sdk


@pytest.fixture
def http(emulator: EmulatorServer) -> Iterator[httpx2.Client]:
    headers = {"Authorization": "Bearer x", "OpenAI-Beta": "assistants=v2"}
    with httpx2.Client(base_url=emulator.base_url, headers=headers, timeout=10) as raw:
        yield raw
