"""kind: vault / skill / automation end to end through the CLI, on a served emulator (agents target).

A project with an agent, a vault whose secret comes from the environment, a skill folder and a daily
automation of the agent: apply, diff clean, rotate by revision, skill change and rollback by revert,
drift, prune, destroy (automation before agent, vault after), and the secret nowhere.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import openai
import pytest

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.projects import make_project, run_cli, write, write_spec

SENTINEL = "s3cr3t-SENTINEL-value-7f1d"
VAULT = """\
version: 1
kind: vault
name: crm
credentials:
  - name: crm-token
    revision: 1
    auth: {type: static_bearer, mcp_server_url: "https://mcp.example.com", token: {from_env: CRM_TOKEN}}
"""
SKILL = "version: 1\nkind: skill\nname: grammar\nfolder: ../skills/grammar\nkeep_versions: 3\n"
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
def kinds_project(tmp_path: Path, served: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    monkeypatch.setenv("CRM_TOKEN", SENTINEL)
    root = make_project(tmp_path / "project", base_url=served.base_url, backend="agents")
    write_spec(root, "analyst")
    write(root / "specs" / "crm.yaml", VAULT)
    write(root / "specs" / "grammar.yaml", SKILL)
    write(root / "specs" / "daily-digest.yaml", AUTOMATION)
    write_skill(root, "Use the subjunctive.")
    return root


def write_skill(root: Path, body: str) -> None:
    write(root / "skills" / "grammar" / "SKILL.md", f"---\nname: grammar\ndescription: Spanish grammar\n---\n{body}\n")


def cli(root: Path, *args: str) -> tuple[int, str]:
    result = run_cli(["-C", str(root), *args])
    assert SENTINEL not in result.output
    return result.exit_code, result.output


def everything_written(root: Path, tmp_path: Path) -> str:
    texts = []
    for path in [*root.rglob("*"), *tmp_path.glob("*.json*")]:
        if path.is_file() and path.suffix != ".db":
            texts.append(path.read_text("utf-8", "replace"))
    return "\n".join(texts)


def test_vault_skill_automation_lifecycle(kinds_project: Path, sdk: openai.OpenAI, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
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
    assert cli(root, "apply", "--yes")[0] == 0
    assert cli(root, "diff")[0] == 0
    credential = sdk.beta.agents.vaults.credentials.list(vault.id).data[0]
    assert credential.metadata["orchestrator.secret"].startswith("2:")

    # a skill change makes version 2; reverting the folder makes version 1 the default again (no upload)
    write_skill(root, "Use the subjunctive, always.")
    code, out = cli(root, "diff")
    assert code == 2 and "SKILL.md" in out, out
    assert cli(root, "apply", "--yes")[0] == 0
    assert sdk.skills.list().data[0].default_version == "2"
    write_skill(root, "Use the subjunctive.")
    assert cli(root, "apply", "--yes")[0] == 0
    skill = sdk.skills.list().data[0]
    assert (skill.default_version, skill.latest_version) == ("1", "2")
    assert cli(root, "diff")[0] == 0

    # pause through the spec; drift (resumed by hand) is seen and repaired
    write(root / "specs" / "daily-digest.yaml", AUTOMATION.replace("paused: false", "paused: true"))
    assert cli(root, "apply", "--yes")[0] == 0
    assert sdk.beta.agents.automations.retrieve(automation.id).status == "paused"
    sdk.beta.agents.automations.resume(automation.id)
    code, out = cli(root, "diff")
    assert code == 2 and "paused" in out, out
    assert cli(root, "apply", "--yes")[0] == 0
    assert sdk.beta.agents.automations.retrieve(automation.id).status == "paused"

    # prune: the automation's spec removed
    (root / "specs" / "daily-digest.yaml").unlink()
    code, out = cli(root, "apply", "--yes", "--prune")
    assert code == 0, out
    assert sdk.beta.agents.automations.list().data == []

    # destroy: everything owned, nothing else
    write(root / "specs" / "daily-digest.yaml", AUTOMATION)
    assert cli(root, "apply", "--yes")[0] == 0
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


def test_a_second_vault_or_automation_claiming_a_spec_is_a_duplicate_pruned(kinds_project: Path,
                                                                             sdk: openai.OpenAI) -> None:
    root = kinds_project
    assert cli(root, "apply", "--yes")[0] == 0
    [vault] = sdk.beta.agents.vaults.list().data
    [automation] = sdk.beta.agents.automations.list().data
    extra_vault = sdk.beta.agents.vaults.create(name=vault.name, metadata=dict(vault.metadata))
    target = automation.target
    extra_automation = sdk.beta.agents.automations.create(
        name=automation.name, type="periodic", expression="0 7 * * *", timezone="Europe/Madrid",
        metadata=dict(automation.metadata),
        target={"type": "new_session", "agent_id": target.agent_id, "vault_ids": list(target.vault_ids),
                "environment": target.environment.model_dump(exclude_none=True),
                "input": [{"type": "message", "role": "user",
                           "content": [{"type": "input_text", "text": "Summarise yesterday's KPIs."}]}]})
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


def test_a_cron_expression_out_of_range_fails_validate_and_the_plan_shows_next_runs(
    kinds_project: Path, sdk: openai.OpenAI
) -> None:
    """`99 25 * * *` passed validate, diff and apply (issue 29, 4): now an error at its line, nothing sent."""
    root = kinds_project
    write(root / "specs" / "daily-digest.yaml", AUTOMATION.replace("0 7 * * *", "99 25 * * *"))
    for command in (["validate"], ["diff"], ["apply", "--yes"]):
        code, out = cli(root, *command)
        assert code == 1, out
        assert ("specs/daily-digest.yaml:5:13: error: `99 25 * * *` is not a valid cron expression: "
                "minute `99` is not valid (expected 0-59") in out, out
    assert sdk.beta.agents.automations.list().data == []
    write(root / "specs" / "daily-digest.yaml", AUTOMATION)
    code, out = cli(root, "diff")
    assert code == 2, out
    runs = [line.strip() for line in out.splitlines() if "next runs" in line]
    assert len(runs) == 1, out
    assert re.fullmatch(r"note: next runs \(Europe/Madrid\): (\w{3} \d{4}-\d\d-\d\d 07:00(, )?){3}", runs[0]), runs
