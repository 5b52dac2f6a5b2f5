"""Engine tests drive the real CLI against a served emulator over HTTP (no mocks)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from orchestrator.emulator import EmulatorServer
from tests.support.projects import Result, run_in


@pytest.fixture
def root_url(served: EmulatorServer) -> str:
    return served.root_url


@pytest.fixture
def cli(project: Path) -> Callable[..., Result]:
    """`orchestrator -C PROJECT ARGS...`, plain output: the shared run_in, bound to the project."""
    return partial(run_in, project)
