"""A held-out third-party server (issue 24, item 4): geki-apipi 0.15 answers lists as `{"data": [...]}` with no
`object` and no `has_more`, pages by fewer objects than asked and adds keys of its own. The SDK reads it;
so does the CLI, through every command, for both protocols: validate, diff, apply, a clean diff after
the apply, destroy with nothing left, and every listing ends (on an empty page).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

import openai
import pytest

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.agent_kinds import SKILL, write_work_kinds
from tests.support.loose import LooseServer
from tests.support.projects import make_project, run_in, write, write_spec

SECRET = "crm-secret-SENTINEL-4b1e"


@pytest.fixture
def loose(served: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[LooseServer]:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    monkeypatch.setenv("CRM_TOKEN", SECRET)
    with LooseServer(served.root_url, page_cap=2) as server:
        yield server


cli = partial(run_in, hidden=(TEST_KEY, SECRET))


def lifecycle(root: Path, specs: int) -> None:
    """validate, diff, apply, a clean diff, destroy: each exit code as on an OpenAI server."""
    result = cli(root, "validate")
    assert result.exit_code == 0 and f"{specs} specs valid" in result.output, result.output
    result = cli(root, "diff")
    assert result.exit_code == 2, result.output
    result = cli(root, "apply", "--yes")
    assert result.exit_code == 0, result.output
    result = cli(root, "diff")
    assert result.exit_code == 0, result.output
    result = cli(root, "destroy", "--yes")
    assert result.exit_code == 0, result.output
    result = cli(root, "diff")
    assert result.exit_code == 2, result.output  # everything would be created again


def test_an_agents_project_runs_its_whole_lifecycle_on_a_loose_server(
    tmp_path: Path, loose: LooseServer, sdk: openai.OpenAI
) -> None:
    root = make_project(tmp_path / "project", base_url=loose.base_url, backend="agents")
    write_work_kinds(root)
    write_spec(root, "helper")
    write_spec(root, "coach")  # three agents: more than a page of the loose server's two
    write(root / "specs" / "grammar.yaml", SKILL)
    write(
        root / "skills" / "grammar" / "SKILL.md",
        "---\nname: grammar\ndescription: Grammar\n---\nBe precise.\n",
    )

    lifecycle(root, specs=7)

    assert loose.lists["/v1/agents"] and loose.lists["/v1/vaults"] and loose.lists["/v1/agents/automations"]
    assert loose.lists["/v1/agents/environments/templates"]
    # nothing left: every object the project made is gone (the server's own lists, read by the SDK)
    assert sdk.beta.agents.list().data == []
    assert sdk.beta.agents.vaults.list().data == []
    assert sdk.beta.agents.automations.list().data == []
    assert sdk.beta.agents.environments.templates.list().data == []
    assert [skill for skill in sdk.skills.list().data if skill.name == "grammar"] == []


def test_an_assistants_project_runs_its_whole_lifecycle_on_a_loose_server(
    tmp_path: Path, loose: LooseServer, sdk: openai.OpenAI
) -> None:
    root = make_project(tmp_path / "project", base_url=loose.base_url)
    for name in ("tutor", "helper", "coach"):
        write_spec(root, name, tools=["file_search"], knowledge={"files": ["kb/*.md"]})
    for index in range(3):
        write(root / "specs" / "kb" / f"note{index}.md", f"Note {index}.\n")

    lifecycle(root, specs=3)

    assert loose.lists["/v1/assistants"] and loose.lists["/v1/vector_stores"] and loose.lists["/v1/files"]
    assert sdk.beta.assistants.list().data == []
    assert sdk.vector_stores.list().data == []
    assert sdk.files.list().data == []
