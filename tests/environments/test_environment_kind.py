"""`kind: environment` through the CLI against a served emulator (Agents API): one plan over the graph,
references by spec name, files by content hash, write-only fields, ownership, drift, prune, duplicates,
saved plans and destroy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest

from orchestrator.engine.ownership import HASH_KEY, OWNER_KEY
from tests.conftest import TEST_KEY
from tests.support.projects import run_cli, write, write_spec, write_yaml

BETA_LIST = {"limit": 100}


def write_environment(root: Path, name: str = "tutor-env", **fields: Any) -> Path:
    data: dict[str, Any] = {"version": 1, "kind": "environment", "name": name}
    data.update(fields)
    return write_yaml(root / "specs" / f"{name}.yaml", data)


def templates(sdk: openai.OpenAI) -> list[Any]:
    return list(sdk.beta.agents.environments.templates.list(**BETA_LIST).data)


def uploads(sdk: openai.OpenAI) -> list[Any]:
    return list(sdk.files.list().data)


def setup_tutor(root: Path) -> None:
    write(root / "specs" / "knowledge" / "a.md", "# A\nuno\n")
    write(root / "specs" / "knowledge" / "b.md", "# B\ndos\n")
    write(root / "specs" / "data" / "verbs.csv", "ser,to be\n")
    write_environment(
        root,
        files=[
            {"from": "knowledge/*.md", "to": "/workspace/knowledge/"},
            {"from": "data/verbs.csv", "to": "/workspace/data/verbs.csv"},
            {"inline": "hola\n", "to": "/workspace/hello.txt"},
        ],
        packages={"python": ["pandas"]},
        network={"access": "restricted", "allowed_domains": ["api.example.com"]},
        env={"LANG": "es_ES.UTF-8"},
        setup_commands=[{"command": "echo confidential-setup"}],
    )
    write_spec(root, "tutor", environment="tutor-env")


def test_plan_orders_the_environment_first_and_shows_the_reference_by_name(agents_project: Path) -> None:
    setup_tutor(agents_project)
    result = run_cli(["-C", str(agents_project), "diff"])
    assert result.exit_code == 2, result.output
    out = result.stdout
    assert out.index("+ environment tutor-env will be created") < out.index("+ agent tutor will be created")
    assert "uses environment tutor-env (created in this plan)" in out
    assert "+ file /workspace/data/verbs.csv from specs/data/verbs.csv (10 bytes)" in out
    # the template's project files are `file` nodes of the graph, uploaded before it
    assert out.index("+ file specs/data/verbs.csv will be created") < out.index("+ environment tutor-env")
    assert "uses file specs/data/verbs.csv (created in this plan)" in out
    assert "Plan: 5 to create" in out and TEST_KEY not in result.output  # 3 files, the template, the agent


def test_markdown_plan_shows_the_reference_by_name_as_the_text_plan_does(agents_project: Path) -> None:
    setup_tutor(agents_project)
    result = run_cli(["-C", str(agents_project), "diff", "--output", "markdown"])
    assert result.exit_code == 2, result.output
    assert "`agent tutor` uses environment tutor-env (created in this plan)" in result.stdout


def test_apply_then_diff_exits_0_and_the_template_holds_the_files(
    agents_project: Path, sdk: openai.OpenAI
) -> None:
    setup_tutor(agents_project)
    result = run_cli(["-C", str(agents_project), "apply", "--yes"])
    assert result.exit_code == 0, result.output
    assert result.stdout.index("environment tutor-env: created") < result.stdout.index("agent tutor: created")
    [template] = templates(sdk)
    assert template.name.startswith("test-project/dev/tutor-env#")
    assert sorted(f.path for f in template.files) == [
        "/workspace/data/verbs.csv",
        "/workspace/hello.txt",
        "/workspace/knowledge/a.md",
        "/workspace/knowledge/b.md",
    ]
    assert template.packages.python == ["pandas"] and template.network.access == "restricted"
    [agent] = sdk.beta.agents.list().data
    assert agent.metadata["orchestrator.environment"] == "tutor-env"
    assert len(uploads(sdk)) == 3
    again = run_cli(["-C", str(agents_project), "diff"])
    assert again.exit_code == 0, again.output
    assert "No changes. 5 objects in sync." in again.stdout  # 3 files, the template, the agent
    quiet = run_cli(["-C", str(agents_project), "apply", "--yes"])
    assert quiet.exit_code == 0 and len(uploads(sdk)) == 3  # no-change apply: no upload, no write


def test_one_edited_file_uploads_once_and_updates_only_the_template(
    agents_project: Path, sdk: openai.OpenAI
) -> None:
    setup_tutor(agents_project)
    assert run_cli(["-C", str(agents_project), "apply", "--yes"]).exit_code == 0
    before = templates(sdk)[0]
    write(agents_project / "specs" / "data" / "verbs.csv", "ser,to be\nestar,to be\n")
    result = run_cli(["-C", str(agents_project), "apply", "--yes"])
    assert result.exit_code == 0, result.output
    assert "environment tutor-env: updated" in result.stdout and "agent tutor" not in result.stdout
    assert len(uploads(sdk)) == 4
    after = templates(sdk)[0]
    assert after.id == before.id and after.updated_at > before.updated_at
    assert run_cli(["-C", str(agents_project), "diff"]).exit_code == 0


def test_setup_commands_are_write_only_and_a_change_is_seen_by_the_hash(agents_project: Path) -> None:
    setup_tutor(agents_project)
    assert run_cli(["-C", str(agents_project), "apply", "--yes"]).exit_code == 0
    spec = agents_project / "specs" / "tutor-env.yaml"
    spec.write_text(spec.read_text().replace("echo confidential-setup", "echo other-setup"))
    result = run_cli(["-C", str(agents_project), "diff"])
    assert result.exit_code == 2, result.output
    assert "setup_commands: (not readable from the API)" in result.stdout
    assert run_cli(["-C", str(agents_project), "apply", "--yes"]).exit_code == 0
    assert run_cli(["-C", str(agents_project), "diff"]).exit_code == 0


def test_drift_on_a_template_is_detected_and_repaired(agents_project: Path, sdk: openai.OpenAI) -> None:
    setup_tutor(agents_project)
    assert run_cli(["-C", str(agents_project), "apply", "--yes"]).exit_code == 0
    [template] = templates(sdk)
    sdk.beta.agents.environments.templates.update(template.id, packages={"python": ["numpy"]})
    result = run_cli(["-C", str(agents_project), "diff"])
    assert result.exit_code == 2 and "drift" in result.stdout and "numpy" in result.stdout
    assert run_cli(["-C", str(agents_project), "apply", "--yes"]).exit_code == 0
    assert templates(sdk)[0].packages.python == ["pandas"]


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("tutor-envv", "unknown environment `tutor-envv`; did you mean `tutor-env`?"),
        ("tutor", "`tutor` is a spec of kind assistant, not an environment"),
    ],
)
def test_a_reference_to_an_unknown_name_is_a_validation_error(
    agents_project: Path, reference: str, message: str
) -> None:
    setup_tutor(agents_project)
    write_spec(agents_project, "tutor", environment=reference)
    result = run_cli(["-C", str(agents_project), "validate"])
    assert result.exit_code == 1
    assert (
        "specs/tutor.yaml:" in result.stderr
        and message in result.stderr
        and "[/environment]" in result.stderr
    )


def test_a_reference_to_an_environment_not_deployed_here_is_a_validation_error(agents_project: Path) -> None:
    setup_tutor(agents_project)
    spec = agents_project / "specs" / "tutor-env.yaml"
    spec.write_text(spec.read_text() + "environments: [prod]\n")
    config = agents_project / "orchestrator.yaml"
    config.write_text(
        config.read_text().replace("environments:\n", "environments:\n  prod: {target: main}\n")
    )
    result = run_cli(["-C", str(agents_project), "diff"])
    assert result.exit_code == 1, result.output
    assert "environment `tutor-env` is not deployed to environment `dev`" in result.stderr


def test_bad_environment_specs_are_diagnostics(agents_project: Path) -> None:
    write_environment(
        agents_project,
        network={"access": "enabled", "allowed_domains": ["a.example"]},
        files=[{"from": "nothing/*.md", "to": "/workspace/k/"}],
    )
    result = run_cli(["-C", str(agents_project), "validate"])
    assert result.exit_code == 1
    assert "domain lists need `access: restricted`" in result.stderr
    assert "matches no file" in result.stderr and "Traceback" not in result.output


def test_orphan_environment_is_pruned_after_the_agent_stops_using_it(
    agents_project: Path, sdk: openai.OpenAI
) -> None:
    setup_tutor(agents_project)
    assert run_cli(["-C", str(agents_project), "apply", "--yes"]).exit_code == 0
    (agents_project / "specs" / "tutor-env.yaml").unlink()
    write_spec(agents_project, "tutor")
    result = run_cli(["-C", str(agents_project), "diff"])
    assert result.exit_code == 2 and "orphan: environment `tutor-env`" in result.stdout
    pruned = run_cli(["-C", str(agents_project), "apply", "--prune", "--yes"])
    assert pruned.exit_code == 0, pruned.output
    assert pruned.stdout.index("agent tutor: updated") < pruned.stdout.index("environment tutor-env: deleted")
    assert templates(sdk) == []


def test_unowned_and_foreign_templates_are_never_touched(agents_project: Path, sdk: openai.OpenAI) -> None:
    sdk.beta.agents.environments.templates.create(name="hand-made")
    sdk.beta.agents.environments.templates.create(name="other-project/dev/tutor-env#a.b")
    setup_tutor(agents_project)
    assert run_cli(["-C", str(agents_project), "apply", "--prune", "--yes"]).exit_code == 0
    assert run_cli(["-C", str(agents_project), "destroy", "--yes"]).exit_code == 0
    assert sorted(t.name for t in templates(sdk)) == ["hand-made", "other-project/dev/tutor-env#a.b"]


def test_duplicate_template_is_reported_and_pruned(agents_project: Path, sdk: openai.OpenAI) -> None:
    setup_tutor(agents_project)
    assert run_cli(["-C", str(agents_project), "apply", "--yes"]).exit_code == 0
    [kept] = templates(sdk)
    extra = sdk.beta.agents.environments.templates.create(name=kept.name)
    result = run_cli(["-C", str(agents_project), "diff"])
    assert (
        result.exit_code == 2
        and f"duplicate: environment `tutor-env` is claimed by {extra.id}" in result.stdout
    )
    assert run_cli(["-C", str(agents_project), "apply", "--prune", "--yes"]).exit_code == 0
    assert [t.id for t in templates(sdk)] == [kept.id]


def test_saved_plan_of_both_kinds_applies_and_is_then_already_applied(
    agents_project: Path, tmp_path: Path
) -> None:
    setup_tutor(agents_project)
    plan = tmp_path / "plan.json"
    assert run_cli(["-C", str(agents_project), "diff", "--out", str(plan)]).exit_code == 2
    assert "confidential-setup" in plan.read_text()  # from git, as the plan showed it; never the API key
    assert TEST_KEY not in plan.read_text()
    applied = run_cli(["-C", str(agents_project), "apply", str(plan), "--yes"])
    assert applied.exit_code == 0, applied.output
    again = run_cli(["-C", str(agents_project), "apply", str(plan), "--yes"])
    assert again.exit_code == 0 and "already applied" in again.stderr
    assert run_cli(["-C", str(agents_project), "diff"]).exit_code == 0


def test_destroy_deletes_the_agent_before_its_environment(agents_project: Path, sdk: openai.OpenAI) -> None:
    setup_tutor(agents_project)
    assert run_cli(["-C", str(agents_project), "apply", "--yes"]).exit_code == 0
    result = run_cli(["-C", str(agents_project), "destroy", "--yes"])
    assert result.exit_code == 0, result.output
    assert result.stdout.index("agent tutor: deleted") < result.stdout.index("environment tutor-env: deleted")
    assert templates(sdk) == [] and sdk.beta.agents.list().data == []


def test_environment_specs_are_left_out_of_an_assistants_target_with_a_warning(project: Path) -> None:
    write_environment(project)
    write_spec(project, "tutor", environment="tutor-env")
    result = run_cli(["-C", str(project), "validate"])
    assert result.exit_code == 0, result.output
    assert "environment templates exist only on Agents API targets" in result.stderr


def test_owner_key_constants_are_what_the_name_stamp_carries() -> None:
    from orchestrator.engine.ownership import name_stamp, parse_name_stamp

    stamped = name_stamp({OWNER_KEY: "p/e/s", HASH_KEY: "a.b;claim=0123456789abcdef"})
    assert parse_name_stamp(stamped) == {OWNER_KEY: "p/e/s", HASH_KEY: "a.b;claim=0123456789abcdef"}
    assert parse_name_stamp("hand-made") == {} and parse_name_stamp("x#y") == {}


def test_a_graph_kind_is_left_out_of_an_assistants_target_with_a_warning_naming_it(project: Path) -> None:
    """The kind definitions say which backend has a kind (engine/desired Builder.deploys): a skill spec on
    an Assistants target is left out with a warning at its name, the other specs still valid."""
    write(
        project / "skills" / "grammar" / "SKILL.md",
        "---\nname: grammar\ndescription: Grammar\n---\nBe brief.\n",
    )
    write(
        project / "specs" / "grammar.yaml",
        "version: 1\nkind: skill\nname: grammar\nfolder: ../skills/grammar\n",
    )
    write_spec(project, "tutor")
    result = run_cli(["-C", str(project), "validate"])
    assert result.exit_code == 0, result.output
    assert (
        "specs/grammar.yaml:3:7: warning: skill `grammar` is left out of target `main`: "
        "it exists only on Agents API targets"
    ) in result.stderr, result.stderr
