"""watch on an Agents API target with a `kind: environment` spec: the template is created before the agent
that uses it, and an edited environment file is uploaded and the template updated by the next cycle."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from tests.support.projects import write, write_spec, write_yaml
from tests.watch.conftest import WatchProcess, wait_until

pytestmark = pytest.mark.slow


def test_watch_creates_and_updates_an_environment_with_its_agent(
    agents_project: Path, sdk: openai.OpenAI
) -> None:
    write(agents_project / "specs" / "data" / "verbs.csv", "ser,to be\n")
    write_yaml(
        agents_project / "specs" / "tutor-env.yaml",
        {
            "version": 1,
            "kind": "environment",
            "name": "tutor-env",
            "files": [{"from": "data/verbs.csv", "to": "/workspace/data/verbs.csv"}],
        },
    )
    write_spec(agents_project, "tutor", environment="tutor-env")
    watch = WatchProcess(["-C", str(agents_project), "--resync", "0"], cwd=agents_project)
    watch.wait_for_cycles(1)
    templates = sdk.beta.agents.environments.templates
    [template] = wait_until(lambda: templates.list().data or None, what="template created")
    agent = wait_until(lambda: sdk.beta.agents.list().data or None, what="agent created")[0]
    assert agent.metadata["orchestrator.environment"] == "tutor-env"
    write(agents_project / "specs" / "data" / "verbs.csv", "ser,to be\nestar,to be\n")
    wait_until(
        lambda: templates.retrieve(template.id).updated_at > template.updated_at, what="template updated"
    )
    assert len(sdk.files.list().data) == 2
    watch.stop()
