"""Issue 16's done-when, as one run of the real CLI against a served emulator (agents target).

A project with an agent whose MCP tool uses a vault credential, an environment template with a skill
and a daily automation: apply, diff clean, rotate the secret with one edit, change the skill through a
saved plan, roll the skill back to its previous version (no upload), destroy in reverse dependency
order; the secret sentinel is nowhere (stdout, stderr, plan files, events, .orchestrator/).
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import openai
import pytest

from tests.conftest import TEST_KEY
from tests.support.agent_kinds import SKILL, VAULT, write_skill
from tests.support.projects import run_in, write, write_spec

SENTINEL = "s3cr3t-SENTINEL-done-when-51c2"
ENVIRONMENT = "version: 1\nkind: environment\nname: tutor-env\nskills: [grammar]\n"
AUTOMATION = """\
version: 1
kind: automation
name: daily-digest
type: periodic
expression: "0 7 * * *"
timezone: Europe/Madrid
target: {agent: analyst, environment: tutor-env, vaults: [crm], input: "Summarise yesterday's KPIs."}
"""
MCP = [
    {"type": "mcp", "server_label": "crm", "server_url": "https://mcp.example.com", "credential": "crm-token"}
]


@pytest.fixture
def root(agents_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CRM_TOKEN", SENTINEL)
    root = agents_project
    write_spec(root, "analyst", environment="tutor-env", tools=MCP)
    write(root / "specs" / "crm.yaml", VAULT)
    write(root / "specs" / "grammar.yaml", SKILL)
    write(root / "specs" / "tutor-env.yaml", ENVIRONMENT)
    write(root / "specs" / "daily-digest.yaml", AUTOMATION)
    write_skill(root, "Use the subjunctive.")
    return root


cli = partial(run_in, hidden=(SENTINEL, TEST_KEY))


def pinned(sdk: openai.OpenAI) -> list[tuple[str, str | None]]:
    template = sdk.beta.agents.environments.templates.list().data[0]
    return [(s.skill_id, s.version) for s in template.skills]  # type: ignore[union-attr]


def test_agent_vault_skill_environment_automation_done_when(
    root: Path, sdk: openai.OpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = tmp_path / "events.jsonl"
    code, out = cli(root, "apply", "--yes", "--events", str(events))
    assert code == 0, out
    code, out = cli(root, "diff")
    assert code == 0 and "No changes" in out, out

    vault = sdk.beta.agents.vaults.list().data[0]
    credential = sdk.beta.agents.vaults.credentials.list(vault.id).data[0]
    agent = sdk.beta.agents.list().data[0]
    mcp = next(t for t in agent.tools if t.type == "mcp")
    assert mcp.credential_id == credential.id  # `credential: crm-token` resolved at apply
    skill = sdk.skills.list().data[0]
    assert pinned(sdk) == [(skill.id, "1")]  # the newest version this project made
    automation = sdk.beta.agents.automations.list().data[0]
    assert automation.target.agent_id == agent.id and automation.target.vault_ids == [vault.id]

    # rotation: one edit of `revision`; the plan says (secret changed) and nothing of the value
    write(root / "specs" / "crm.yaml", VAULT.replace("revision: 1", "revision: 2"))
    monkeypatch.setenv("CRM_TOKEN", SENTINEL + "-rotated")
    plan_file = tmp_path / "rotate.json"
    code, out = cli(root, "diff", "--out", str(plan_file))
    assert code == 2, out
    changed = [line.strip() for line in out.splitlines() if line.strip().startswith(("~", "+", "-"))]
    assert len(changed) == 2 and changed[0].startswith("~ vault crm ("), out
    assert changed[1] == "~ credential crm-token: (secret changed)", out
    assert cli(root, "apply", "--yes", str(plan_file)).exit_code == 0
    assert cli(root, "diff").exit_code == 0
    assert sdk.beta.agents.vaults.credentials.list(vault.id).data[0].id == credential.id  # rotated in place

    # a new skill version, through a saved plan: the environment is re-pinned in the same apply
    write_skill(root, "Use the subjunctive, always.")
    plan_file = tmp_path / "skill.json"
    code, out = cli(root, "diff", "--out", str(plan_file))
    assert code == 2 and "SKILL.md" in out and "environment tutor-env" in out, out
    saved = plan_file.read_text()
    assert "Use the subjunctive" not in saved  # digests, never the bytes
    code, out = cli(root, "apply", "--yes", str(plan_file))
    assert code == 0, out
    assert sdk.skills.retrieve(skill.id).default_version == "2" and pinned(sdk) == [(skill.id, "2")]
    assert cli(root, "diff").exit_code == 0

    # roll the skill back to its previous version (the folder reverted): instant, no upload
    write_skill(root, "Use the subjunctive.")
    code, out = cli(root, "apply", "--yes")
    assert code == 0, out
    rolled = sdk.skills.retrieve(skill.id)
    assert (rolled.default_version, rolled.latest_version) == ("1", "2") and pinned(sdk) == [(skill.id, "1")]
    assert cli(root, "diff").exit_code == 0

    # destroy: everything, in reverse dependency order
    code, out = cli(root, "destroy", "--yes", "--events", str(events))
    assert code == 0, out
    assert sdk.beta.agents.list().data == [] and sdk.beta.agents.vaults.list().data == []
    assert sdk.skills.list().data == [] and sdk.beta.agents.automations.list().data == []
    assert sdk.beta.agents.environments.templates.list().data == []
    deleted = [json.loads(line)["type"] for line in events.read_text().splitlines() if "_deleted" in line]
    order = {
        kind: deleted.index(f"{kind}_deleted")
        for kind in ("automation", "agent", "environment", "vault", "skill")
    }
    assert order["automation"] < order["agent"] < order["environment"] < order["skill"], deleted
    assert order["agent"] < order["vault"], deleted

    written = [events.read_text()]
    written += [p.read_text("utf-8", "replace") for p in tmp_path.glob("*.json")]
    written += [
        p.read_bytes().decode("utf-8", "replace") for p in (root / ".orchestrator").rglob("*") if p.is_file()
    ]
    for text in written:
        assert SENTINEL not in text and TEST_KEY not in text
