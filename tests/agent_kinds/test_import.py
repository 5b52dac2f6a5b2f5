"""`orchestrator import` of vaults, skills and automations made outside the project, through the CLI.

The round trip: import, then diff plans only adoptions (the ownership stamp), and the import lists the
secret placeholders to set; apply adopts, keeping every id; diff is then clean. No secret is readable,
so none is written.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openai
import pytest
import yaml

from tests.support.projects import run_cli

SENTINEL = "s3cr3t-SENTINEL-import-90ab"


def skill_zip(body: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "grammar/SKILL.md", f"---\nname: Grammar Helper\ndescription: Spanish grammar\n---\n{body}\n"
        )
        archive.writestr("grammar/tables/verbs.csv", "ser,estar\n")
    return buffer.getvalue()


@pytest.fixture
def root(agents_project: Path) -> Path:
    return agents_project


def test_import_vault_skill_automation_round_trip(
    root: Path, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = sdk.beta.agents.vaults.create(name="CRM", metadata={"team": "retail"})
    credential = sdk.beta.agents.vaults.credentials.create(
        vault.id,
        name="crm-token",
        auth={"type": "static_bearer", "mcp_server_url": "https://mcp.example.com", "token": SENTINEL},
    )
    skill = sdk.skills.create(files=("skill.zip", skill_zip("Use the subjunctive."), "application/zip"))
    agent = sdk.beta.agents.create(
        model="gpt-5.4",
        name="Analyst",
        instructions="You analyse.",
        tools=[
            {
                "type": "mcp",
                "server_label": "crm",
                "transport": {"type": "http", "server_url": "https://mcp.example.com"},
                "credential_id": credential.id,
            }
        ],
    )
    automation = sdk.beta.agents.automations.create(
        type="periodic",
        name="Daily digest",
        expression="0 7 * * *",
        timezone="Europe/Madrid",
        target={
            "type": "new_session",
            "agent_id": agent.id,
            "environment": {"type": "none"},
            "vault_ids": [vault.id],
            "input": [
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Go."}]}
            ],
        },
    )

    result = run_cli(["-C", str(root), "import", "--all-unmanaged"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "secret placeholder: set CRM_CRM_TOKEN" in out and "round trip is not exact" not in out, out
    vault_spec = yaml.safe_load((root / "specs" / "crm.yaml").read_text())
    assert vault_spec["credentials"][0]["auth"]["token"] == {"from_env": "CRM_CRM_TOKEN"}
    assert vault_spec["adopt_id"] == vault.id and vault_spec["display_name"] == "CRM"
    skill_spec = yaml.safe_load((root / "specs" / "grammar-helper.yaml").read_text())
    assert skill_spec["folder"] == "../skills/grammar-helper"
    assert (root / "skills" / "grammar-helper" / "tables" / "verbs.csv").read_text() == "ser,estar\n"
    agent_spec = yaml.safe_load((root / "specs" / "analyst.yaml").read_text())
    assert agent_spec["tools"][0]["credential"] == "crm/crm-token"  # by name, not lost
    automation_spec = yaml.safe_load((root / "specs" / "daily-digest.yaml").read_text())
    assert automation_spec["target"] == {"agent": "analyst", "vaults": ["crm"], "input": "Go."}

    result = run_cli(["-C", str(root), "diff"])  # no secret needed to plan
    assert result.exit_code == 2, result.output
    changes = [
        line.strip()
        for line in result.stdout.splitlines()
        if line.startswith("  ~ ") or line.startswith("  + ")
    ]
    assert all("adopted" in line or "adopt" in line for line in changes), result.stdout
    assert "(secret changed)" in result.stdout  # the placeholder's value is written by the adopting apply

    monkeypatch.setenv("CRM_CRM_TOKEN", SENTINEL + "-set")
    result = run_cli(["-C", str(root), "apply", "--yes"])
    assert result.exit_code == 0, result.output
    assert [v.id for v in sdk.beta.agents.vaults.list().data] == [vault.id]
    assert [c.id for c in sdk.beta.agents.vaults.credentials.list(vault.id).data] == [credential.id]
    assert [s.id for s in sdk.skills.list().data] == [skill.id]
    assert [a.id for a in sdk.beta.agents.automations.list().data] == [automation.id]
    tool = next(t for t in sdk.beta.agents.retrieve(agent.id).tools if t.type == "mcp")
    assert tool.credential_id == credential.id
    result = run_cli(["-C", str(root), "diff"])
    assert result.exit_code == 0, result.output
    written = "".join(
        p.read_text("utf-8", "replace") for p in root.rglob("*") if p.is_file() and p.suffix != ".db"
    )
    assert SENTINEL not in written and SENTINEL not in out


def test_an_automation_whose_agent_has_no_spec_is_refused(root: Path, sdk: openai.OpenAI) -> None:
    agent = sdk.beta.agents.create(model="gpt-5.4", metadata={"orchestrator.owner": "other/dev/analyst"})
    automation = sdk.beta.agents.automations.create(
        type="once",
        name="once",
        run_at=1_900_000_000,
        target={
            "type": "new_session",
            "agent_id": agent.id,
            "environment": {"type": "none"},
            "input": [
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Go."}]}
            ],
        },
    )
    result = run_cli(["-C", str(root), "import", automation.id])
    assert result.exit_code == 1, result.output
    assert (
        f"the automation targets agent {agent.id}, which is neither a spec of this project" in result.output
    )
    assert "Nothing was written." in result.output and not list((root / "specs").iterdir())
