"""watch on an Agents API target with a vault, a skill and an automation: the first cycle creates them in
dependency order with the agent; an edited skill file is a new skill version, and `paused: true` pauses the
automation, each in the next cycle; the vault's secret never appears in what watch prints."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from tests.agent_kinds.test_cli import AUTOMATION, SKILL, VAULT, write_skill
from tests.support.projects import write, write_spec
from tests.watch.conftest import WatchProcess, wait_until

pytestmark = pytest.mark.slow

SENTINEL = "sk-watch-secret-4f1d9c"


def test_watch_reconciles_a_vault_a_skill_and_an_automation(
    agents_project: Path, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_TOKEN", SENTINEL)  # the watch process reads it from its environment at apply
    write_spec(agents_project, "analyst")
    write(agents_project / "specs" / "crm.yaml", VAULT)
    write(agents_project / "specs" / "grammar.yaml", SKILL)
    write(agents_project / "specs" / "daily-digest.yaml", AUTOMATION)
    write_skill(agents_project, "Use the subjunctive.")
    watch = WatchProcess(["-C", str(agents_project), "--resync", "0"], cwd=agents_project)
    try:
        automations = sdk.beta.agents.automations
        [automation] = wait_until(lambda: automations.list().data or None, what="automation created")
        [vault] = sdk.beta.agents.vaults.list().data
        [agent] = sdk.beta.agents.list().data
        assert automation.target.agent_id == agent.id and automation.target.vault_ids == [vault.id]
        [skill] = sdk.skills.list().data
        assert skill.latest_version == "1" and automation.status == "active"

        write_skill(agents_project, "Use the subjunctive after `espero que`.")
        wait_until(lambda: sdk.skills.retrieve(skill.id).latest_version == "2", what="skill version 2")

        write(
            agents_project / "specs" / "daily-digest.yaml",
            AUTOMATION.replace("paused: false", "paused: true"),
        )
        wait_until(lambda: automations.retrieve(automation.id).status == "paused", what="automation paused")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nwatch output:\n{watch.output}") from None
    finally:
        watch.stop()
    assert SENTINEL not in watch.output
    assert len(sdk.beta.agents.vaults.list().data) == 1 and len(automations.list().data) == 1
