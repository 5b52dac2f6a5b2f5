"""run on an Agents API target opens the session in the environment template the agent's spec names,
and the bound handler answers there."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import yaml

from tests.runtime.conftest import deploy_helper
from tests.support.projects import run_cli, write, write_yaml


def test_run_opens_the_session_in_the_owned_environment_and_calls_the_handler(
    agents_project: Path, package: str, sdk: openai.OpenAI
) -> None:
    write(agents_project / "specs" / "data" / "verbs.csv", "ser,to be\n")
    write_yaml(
        agents_project / "specs" / "helper-env.yaml",
        {
            "version": 1,
            "kind": "environment",
            "name": "helper-env",
            "files": [{"from": "data/verbs.csv", "to": "/workspace/data/verbs.csv"}],
        },
    )
    deployed = deploy_helper(agents_project, package, kind="agent")
    spec_file = agents_project / "specs" / "helper.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    spec["environment"] = "helper-env"
    write_yaml(spec_file, spec)
    assert run_cli(["-C", str(agents_project), "apply", "--yes"]).exit_code == 0
    result = deployed.cli("run", "helper", "-m", '/call add {"a": 2, "b": 3}', "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["tool_calls"][0]["name"] == "add" and json.loads(data["tool_calls"][0]["output"]) == {
        "sum": 5
    }
    session = sdk.beta.agents.sessions.retrieve(data["thread_id"])
    assert session.environment.type == "openai_hosted"
    assert [f.path for f in session.environment.files] == ["/workspace/data/verbs.csv"]


def test_run_says_so_when_the_environment_is_not_deployed(
    agents_project: Path, package: str, sdk: openai.OpenAI
) -> None:
    write_yaml(
        agents_project / "specs" / "helper-env.yaml",
        {"version": 1, "kind": "environment", "name": "helper-env"},
    )
    deployed = deploy_helper(agents_project, package, kind="agent")
    spec_file = agents_project / "specs" / "helper.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    spec["environment"] = "helper-env"
    write_yaml(spec_file, spec)
    assert run_cli(["-C", str(agents_project), "apply", "--yes"]).exit_code == 0
    for template in sdk.beta.agents.environments.templates.list().data:
        sdk.beta.agents.environments.templates.delete(template.id)
    result = deployed.cli("run", "helper", "-m", "hello")
    assert result.exit_code == 1
    assert "environment `helper-env` is not deployed" in result.stderr and "Traceback" not in result.output
