"""kind: vault / skill / automation end to end through the CLI, on a served emulator (agents target).

A project with an agent, a vault whose secret comes from the environment, a skill folder and a daily
automation of the agent: apply, diff clean, rotate by revision, skill change and rollback by revert,
drift, prune, destroy (automation before agent, vault after), and the secret nowhere.
"""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path

import openai
import pytest

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.agent_kinds import SKILL, VAULT, write_skill
from tests.support.projects import make_project, run_cli, run_in, write, write_spec

SENTINEL = "s3cr3t-SENTINEL-value-7f1d"
AUTOMATION = """\
version: 1
kind: automation
name: daily-digest
type: periodic
expression: "0 7 * * *"
timezone: Europe/Madrid
paused: false
target: {agent: analyst, vaults: [crm], input: "Summarise yesterday's KPIs."}
"""


@pytest.fixture
def kinds_project(agents_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CRM_TOKEN", SENTINEL)
    root = agents_project
    write_spec(root, "analyst")
    write(root / "specs" / "crm.yaml", VAULT)
    write(root / "specs" / "grammar.yaml", SKILL)
    write(root / "specs" / "daily-digest.yaml", AUTOMATION)
    write_skill(root, "Use the subjunctive.")
    return root


cli = partial(run_in, hidden=(SENTINEL,))


def everything_written(root: Path, tmp_path: Path) -> str:
    texts = []
    for path in [*root.rglob("*"), *tmp_path.glob("*.json*")]:
        if path.is_file() and path.suffix != ".db":
            texts.append(path.read_text("utf-8", "replace"))
    return "\n".join(texts)


def test_vault_skill_automation_lifecycle(
    kinds_project: Path, sdk: openai.OpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = kinds_project
    code, out = cli(root, "validate")
    assert code == 0 and "4 specs valid" in out, out
    monkeypatch.delenv("CRM_TOKEN")  # diff needs no secret
    code, out = cli(root, "diff")
    assert code == 2, out
    for line in ("vault crm", "skill grammar", "automation daily-digest", "analyst"):
        assert line in out
    monkeypatch.setenv("CRM_TOKEN", SENTINEL)
    events = tmp_path / "events.jsonl"
    code, out = cli(root, "apply", "--yes", "--events", str(events))
    assert code == 0, out
    code, out = cli(root, "diff")
    assert code == 0, out

    automation = sdk.beta.agents.automations.list().data[0]
    agent = sdk.beta.agents.list().data[0]
    vault = sdk.beta.agents.vaults.list().data[0]
    assert automation.target.agent_id == agent.id and automation.target.vault_ids == [vault.id]
    assert automation.status == "active" and sdk.skills.list().data[0].latest_version == "1"

    # a no-change apply writes nothing and makes no skill version
    code, out = cli(root, "apply", "--yes")
    assert code == 0 and sdk.skills.list().data[0].latest_version == "1"

    # rotation: one edit of `revision`; the plan says (secret changed), the value is sent write-only
    write(root / "specs" / "crm.yaml", VAULT.replace("revision: 1", "revision: 2"))
    monkeypatch.setenv("CRM_TOKEN", SENTINEL + "-rotated")
    code, out = cli(root, "diff")
    assert code == 2 and "secret changed" in out and "vault crm" in out, out
    assert cli(root, "apply", "--yes").exit_code == 0
    assert cli(root, "diff").exit_code == 0
    credential = sdk.beta.agents.vaults.credentials.list(vault.id).data[0]
    assert credential.metadata["orchestrator.secret"].startswith("2:")

    # a skill change makes version 2; reverting the folder makes version 1 the default again (no upload)
    write_skill(root, "Use the subjunctive, always.")
    code, out = cli(root, "diff")
    assert code == 2 and "SKILL.md" in out, out
    assert cli(root, "apply", "--yes").exit_code == 0
    assert sdk.skills.list().data[0].default_version == "2"
    write_skill(root, "Use the subjunctive.")
    assert cli(root, "apply", "--yes").exit_code == 0
    skill = sdk.skills.list().data[0]
    assert (skill.default_version, skill.latest_version) == ("1", "2")
    assert cli(root, "diff").exit_code == 0

    # pause through the spec; drift (resumed by hand) is seen and repaired
    write(root / "specs" / "daily-digest.yaml", AUTOMATION.replace("paused: false", "paused: true"))
    assert cli(root, "apply", "--yes").exit_code == 0
    assert sdk.beta.agents.automations.retrieve(automation.id).status == "paused"
    sdk.beta.agents.automations.resume(automation.id)
    code, out = cli(root, "diff")
    assert code == 2 and "paused" in out, out
    assert cli(root, "apply", "--yes").exit_code == 0
    assert sdk.beta.agents.automations.retrieve(automation.id).status == "paused"

    # prune: the automation's spec removed
    (root / "specs" / "daily-digest.yaml").unlink()
    code, out = cli(root, "apply", "--yes", "--prune")
    assert code == 0, out
    assert sdk.beta.agents.automations.list().data == []

    # destroy: everything owned, nothing else
    write(root / "specs" / "daily-digest.yaml", AUTOMATION)
    assert cli(root, "apply", "--yes").exit_code == 0
    foreign = sdk.beta.agents.vaults.create(name="not-ours")
    code, out = cli(root, "destroy", "--yes", "--events", str(events))
    assert code == 0, out
    assert [v.id for v in sdk.beta.agents.vaults.list().data] == [foreign.id]
    assert sdk.skills.list().data == [] and sdk.beta.agents.automations.list().data == []
    assert sdk.beta.agents.list().data == []
    # reverse dependency order: the automation before the agent and the vault it uses
    deleted = [json.loads(line)["type"] for line in events.read_text().splitlines() if "_deleted" in line]
    assert deleted.index("automation_deleted") < deleted.index("agent_deleted")
    assert deleted.index("automation_deleted") < deleted.index("vault_deleted")
    assert "skill_deleted" in deleted and "vault_created" in events.read_text()

    written = everything_written(root, tmp_path)
    assert SENTINEL not in written and TEST_KEY not in written


def test_bad_references_and_written_secrets_fail_validation(kinds_project: Path, sdk: openai.OpenAI) -> None:
    root = kinds_project
    write(root / "specs" / "daily-digest.yaml", AUTOMATION.replace("agent: analyst", "agent: analyts"))
    write(root / "specs" / "crm.yaml", VAULT.replace("{from_env: CRM_TOKEN}", SENTINEL))
    for command in ("validate", "diff", "apply"):
        code, out = cli(root, command, *(("--yes",) if command == "apply" else ()))
        assert code == 1, out
        assert "specs/daily-digest.yaml:8" in out and "`analyts` is not a spec of this project" in out
        assert "specs/crm.yaml:7" in out and "a secret is never written in a spec" in out
    assert sdk.beta.agents.list().data == [] and sdk.beta.agents.vaults.list().data == []


def test_a_second_vault_or_automation_claiming_a_spec_is_a_duplicate_pruned(
    kinds_project: Path, sdk: openai.OpenAI
) -> None:
    root = kinds_project
    assert cli(root, "apply", "--yes").exit_code == 0
    [vault] = sdk.beta.agents.vaults.list().data
    [automation] = sdk.beta.agents.automations.list().data
    extra_vault = sdk.beta.agents.vaults.create(name=vault.name, metadata=dict(vault.metadata))
    target = automation.target
    extra_automation = sdk.beta.agents.automations.create(
        name=automation.name,
        type="periodic",
        expression="0 7 * * *",
        timezone="Europe/Madrid",
        metadata=dict(automation.metadata),
        target={
            "type": "new_session",
            "agent_id": target.agent_id,
            "vault_ids": list(target.vault_ids),
            "environment": target.environment.model_dump(exclude_none=True),
            "input": [
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "Summarise yesterday's KPIs."}],
                }
            ],
        },
    )
    code, out = cli(root, "diff")
    assert code == 2, out
    assert f"duplicate: vault `crm` is claimed by {extra_vault.id}" in out
    assert f"duplicate: automation `daily-digest` is claimed by {extra_automation.id}" in out
    assert "~ automation" not in out  # the kept vault is still the one it names: no drift
    code, out = cli(root, "apply", "--prune", "--yes")
    assert code == 0, out
    assert [v.id for v in sdk.beta.agents.vaults.list().data] == [vault.id]
    assert [a.id for a in sdk.beta.agents.automations.list().data] == [automation.id]
    code, out = cli(root, "diff")
    assert code == 0, out


def test_a_second_skill_claiming_a_spec_is_a_duplicate_pruned_and_templates_pin_the_kept_one(
    kinds_project: Path, sdk: openai.OpenAI
) -> None:
    """A skill's ownership rides in its archive: a second skill uploaded with the same archive (a retried create,
    two concurrent applies) claims the same spec. The oldest is kept; a template pinning the newer one is
    re-pinned to the kept one in the same apply that deletes the duplicate under --prune."""
    root = kinds_project
    write(
        root / "specs" / "tutor-env.yaml",
        "version: 1\nkind: environment\nname: tutor-env\nskills: [grammar]\n",
    )
    assert cli(root, "apply", "--yes").exit_code == 0
    [skill] = sdk.skills.list().data
    [template] = sdk.beta.agents.environments.templates.list().data
    archive = sdk.skills.content.retrieve(skill.id).read()
    extra = sdk.skills.create(files=("skill.zip", archive, "application/zip"))
    code, out = cli(root, "diff")
    assert code == 2, out  # a duplicate is never "no changes" (exit 2, like the other kinds)
    assert (
        f"duplicate: skill `grammar` is claimed by {extra.id} as well as by {skill.id} (the oldest is kept); "
        "run with --prune to delete the newer ones"
    ) in out
    assert "~ environment" not in out and "~ skill" not in out  # the template pins the kept skill: in sync
    code, out = cli(root, "list")
    assert f"grammar       skill        {extra.id}   duplicate" in out, out

    # the template moved to the duplicate (the other apply of a concurrent pair wrote it last)
    sdk.beta.agents.environments.templates.update(
        template.id, skills=[{"type": "skill_reference", "skill_id": extra.id, "version": "1"}]
    )
    code, out = cli(root, "diff")
    assert code == 2, out
    assert "~ environment tutor-env" in out and f'"{extra.id}": "content ' in out, out
    code, out = cli(root, "apply", "--prune", "--yes")
    assert code == 0, out
    assert f"skill grammar: deleted ({extra.id})" in out and "environment tutor-env: updated" in out
    assert out.index("environment tutor-env: updated") < out.index(f"skill grammar: deleted ({extra.id})")
    assert [s.id for s in sdk.skills.list().data] == [skill.id]
    [template] = sdk.beta.agents.environments.templates.list().data
    assert [(s.skill_id, s.version) for s in template.skills] == [(skill.id, "1")]  # type: ignore[union-attr]
    code, out = cli(root, "diff")
    assert code == 0, out


def test_faulty_skill_creates_converge_to_one_skill_per_spec_that_the_template_pins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retried creates whose responses were lost (the emulator's injected faults) never leave two skills claiming
    a spec, and the template pins the skill that stays."""
    from collections import Counter

    from tests.support.live import request_counts, set_faults

    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    names = [f"skill-{i}" for i in range(6)]
    with EmulatorServer(tmp_path / "faulty" / "local.db", fault_rate=0.25, seed=20261207) as server:
        root = make_project(tmp_path / "project", base_url=server.base_url, backend="agents")
        for name in names:
            write(
                root / "specs" / f"{name}.yaml",
                f"version: 1\nkind: skill\nname: {name}\nfolder: ../skills/{name}\n",
            )
            write(
                root / "skills" / name / "SKILL.md",
                f"---\nname: {name}\ndescription: Skill {name}\n---\nBody.\n",
            )
        write(
            root / "specs" / "tutor-env.yaml",
            f"version: 1\nkind: environment\nname: tutor-env\nskills: [{', '.join(names)}]\n",
        )
        for _ in range(10):
            if run_cli(["-C", str(root), "apply", "--yes"]).exit_code == 0:
                break
        else:
            raise AssertionError("apply did not converge in 10 rounds")
        counts = request_counts(server.root_url)["by_route"]
        assert counts["POST /v1/skills"] > len(names), counts  # some creates failed or lost their response
        set_faults(server.root_url, fault_rate=0.0)
        with openai.OpenAI(base_url=server.base_url, api_key=TEST_KEY, max_retries=0) as sdk:
            skills = list(sdk.skills.list(limit=100).data)
            assert Counter(s.name for s in skills) == Counter(names)
            [template] = sdk.beta.agents.environments.templates.list().data
            assert {s.skill_id for s in template.skills} == {s.id for s in skills}  # type: ignore[union-attr]
        result = run_cli(["-C", str(root), "diff"])
        assert result.exit_code == 0, result.output


def test_a_cron_expression_out_of_range_fails_validate_and_the_plan_shows_next_runs(
    kinds_project: Path, sdk: openai.OpenAI
) -> None:
    """`99 25 * * *` passed validate, diff and apply (issue 29, 4): now an error at its line, nothing sent."""
    root = kinds_project
    write(root / "specs" / "daily-digest.yaml", AUTOMATION.replace("0 7 * * *", "99 25 * * *"))
    for command in (["validate"], ["diff"], ["apply", "--yes"]):
        code, out = cli(root, *command)
        assert code == 1, out
        assert (
            "specs/daily-digest.yaml:5:13: error: `99 25 * * *` is not a valid cron expression: "
            "minute `99` is not valid (expected 0-59"
        ) in out, out
    assert sdk.beta.agents.automations.list().data == []
    write(root / "specs" / "daily-digest.yaml", AUTOMATION)
    code, out = cli(root, "diff")
    assert code == 2, out
    runs = [line.strip() for line in out.splitlines() if "next runs" in line]
    assert len(runs) == 1, out
    assert re.fullmatch(
        r"note: next runs \(Europe/Madrid\): (\w{3} \d{4}-\d\d-\d\d 07:00(, )?){3}", runs[0]
    ), runs
