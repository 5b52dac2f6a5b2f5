"""A spec's `environments` list keeps it out of the other environments, validation included."""

from __future__ import annotations

import json
from pathlib import Path

import openai

from tests.support.projects import make_project, run_cli, write_spec


def test_a_spec_limited_to_some_environments_is_left_out_elsewhere(
    tmp_path: Path, served, sdk: openai.OpenAI, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", "sk-test-environments-0000")
    agents = {"type": "agents", "base_url": served.base_url, "api_key_env": "TEST_ORCHESTRATOR_KEY"}
    project = make_project(
        tmp_path / "p",
        base_url=served.base_url,
        extra_environments={"next": {"target": "agents"}},
        extra_targets={"agents": agents},
    )
    write_spec(project, "tutor", environments=["dev"], temperature=0.5, tools=["code_interpreter"])
    write_spec(project, "analyst")
    checked = run_cli(["-C", str(project), "validate", "-e", "next"])
    assert checked.exit_code == 0, checked.output
    assert "1 spec valid" in checked.stderr and "not deployed to this environment: tutor" in checked.stderr
    assert run_cli(["-C", str(project), "apply", "-e", "next", "--yes"]).exit_code == 0
    assert [a.name for a in sdk.beta.agents.list()] == ["analyst"]
    assert run_cli(["-C", str(project), "apply", "--yes"]).exit_code == 0
    assert sorted(a.name for a in sdk.beta.assistants.list()) == ["analyst", "tutor"]


def test_removing_an_environment_from_the_list_makes_the_live_object_an_orphan(
    project: Path, sdk: openai.OpenAI
) -> None:
    write_spec(project, "tutor")
    assert run_cli(["-C", str(project), "apply", "--yes"]).exit_code == 0
    write_spec(project, "tutor", environments=["prod"])
    (project / "orchestrator.yaml").write_text(
        (project / "orchestrator.yaml")
        .read_text()
        .replace("environments:\n  dev:", "environments:\n  prod:\n    target: main\n  dev:")
    )
    shown = run_cli(["-C", str(project), "diff", "--output", "json"])
    assert shown.exit_code == 0, shown.output
    assert any("orphan" in w and "tutor" in w for w in json.loads(shown.stdout)["warnings"])
    assert run_cli(["-C", str(project), "apply", "--prune", "--yes"]).exit_code == 0
    assert list(sdk.beta.assistants.list()) == []


def test_an_unknown_environment_in_the_list_is_an_error(project: Path) -> None:
    write_spec(project, "tutor", environments=["dev", "staging"])
    result = run_cli(["-C", str(project), "validate"])
    assert result.exit_code == 1
    assert "specs/tutor.yaml" in result.stderr and "unknown environment `staging`" in result.stderr
    assert "[/environments/1]" in result.stderr
