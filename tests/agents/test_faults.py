"""Injected faults (429, 5xx, dropped connections, responses lost after commit) never leave duplicates:
repeated applies converge to exactly one agent per spec."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from orchestrator.emulator import EmulatorServer
from orchestrator.engine.ownership import OWNER_KEY
from tests.agents.live_agents import agents, cli
from tests.conftest import TEST_KEY
from tests.support.live import request_counts, reset_counts, set_faults
from tests.support.projects import make_project, write_spec

SPECS = [f"helper-{i:02d}" for i in range(12)]
MAX_ROUNDS = 8


@pytest.fixture
def faulty(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(tmp_path / "faulty" / "local.db", fault_rate=0.2, seed=20261101) as server:
        yield server


@pytest.fixture
def faulty_project(tmp_path: Path, faulty: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    return make_project(tmp_path / "project", base_url=faulty.base_url, backend="agents")


def converge(project: Path, *args: str) -> int:
    """Apply until it succeeds; return how many rounds it took."""
    for round_number in range(1, MAX_ROUNDS + 1):
        if cli(project, "apply", "--yes", *args).exit_code == 0:
            return round_number
    raise AssertionError(f"apply did not converge in {MAX_ROUNDS} rounds")


def owners(server: EmulatorServer) -> Counter[str]:
    set_faults(server.root_url, fault_rate=0.0)
    try:
        with openai.OpenAI(base_url=server.base_url, api_key=TEST_KEY, max_retries=0) as sdk:
            return Counter(a.metadata.get(OWNER_KEY, "") for a in agents(sdk))
    finally:
        set_faults(server.root_url, fault_rate=0.2)


def test_faulty_creates_updates_and_deletes_converge_without_duplicates(
    faulty_project: Path, faulty: EmulatorServer
) -> None:
    for name in SPECS:
        write_spec(faulty_project, name, metadata={"round": "1"})
    reset_counts(faulty.root_url)
    converge(faulty_project)
    counts = request_counts(faulty.root_url)["by_route"]
    assert counts["POST /v1/agents"] > len(SPECS), counts  # some creates failed or lost their response
    assert owners(faulty) == Counter({f"test-project/dev/{name}": 1 for name in SPECS})
    for name in SPECS[:6]:
        write_spec(faulty_project, name, metadata={"round": "2"}, verbosity="low")
    for name in SPECS[9:]:
        (faulty_project / "specs" / f"{name}.yaml").unlink()
    converge(faulty_project, "--prune")
    assert owners(faulty) == Counter({f"test-project/dev/{name}": 1 for name in SPECS[:9]})
    set_faults(faulty.root_url, fault_rate=0.0)
    assert cli(faulty_project, "diff", "--prune").exit_code == 0
