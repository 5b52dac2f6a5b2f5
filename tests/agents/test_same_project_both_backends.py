"""One project, two targets on one emulator: the shared-field spec deploys as an assistant and as an agent."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import yaml

from tests.agents.live_agents import agents, apply_clean, assistants, cli, only_agent, owned

ANALYST_DEV = "test-project/dev/retail-analyst"
ANALYST_NEXT = "test-project/next/retail-analyst"


def test_shared_spec_applies_cleanly_to_both_backends(both_project: Path, sdk: openai.OpenAI) -> None:
    assert cli(both_project, "diff", "-e", "dev").exit_code == 2
    assert cli(both_project, "diff", "-e", "next").exit_code == 2
    apply_clean(both_project, "-e", "dev")
    apply_clean(both_project, "-e", "next")
    [assistant] = owned(assistants(sdk), ANALYST_DEV)
    agent = only_agent(sdk, ANALYST_NEXT)
    assert agent.instructions == assistant.instructions
    assert "retail industry at Acme Learning" in (agent.instructions or "")
    assert agent.name == assistant.name == "Retail Business Analyst"
    assert agent.reasoning.effort == "low"
    assert [t.name for t in agent.tools if t.type == "function"] == ["fetch_kpis"]


def test_live_instructions_equal_the_rendered_instructions(both_project: Path, sdk: openai.OpenAI) -> None:
    rendered = cli(both_project, "render", "retail-analyst", "-e", "next", "--output", "json")
    assert rendered.exit_code == 0, rendered.output
    apply_clean(both_project, "-e", "next")
    assert only_agent(sdk, ANALYST_NEXT).instructions == json.loads(rendered.stdout)["instructions"]


def test_render_on_an_agents_environment_prints_the_agents_payload(both_project: Path) -> None:
    result = cli(both_project, "render", "retail-analyst", "-e", "next")
    assert result.exit_code == 0, result.output
    payload = yaml.safe_load(result.stdout)
    assert payload["reasoning"] == {"effort": "low"}
    assert "text" not in payload and "service_tier" not in payload  # defaults are left to the server
    assert payload["tools"][0]["type"] == "function" and "function" not in payload["tools"][0]
    assert payload["metadata"]["orchestrator.owner"] == ANALYST_NEXT
    assert "reasoning_effort" not in payload and "response_format" not in payload


def test_target_flag_picks_the_backend_for_an_environment(both_project: Path, sdk: openai.OpenAI) -> None:
    apply_clean(both_project, "-e", "dev", "-t", "agents")
    assert only_agent(sdk, ANALYST_DEV).name == "Retail Business Analyst"
    assert owned(assistants(sdk), ANALYST_DEV) == []


def test_migration_apply_agents_then_destroy_old_target(both_project: Path, sdk: openai.OpenAI) -> None:
    """docs/how-to/migrate-to-agents.md walk-through: apply the environment on the agents target, then destroy it on the old one."""
    apply_clean(both_project, "-e", "dev")
    apply_clean(both_project, "-e", "dev", "-t", "agents")
    destroyed = cli(both_project, "destroy", "-e", "dev", "-t", "main", "--yes")
    assert destroyed.exit_code == 0, destroyed.output
    assert owned(assistants(sdk), ANALYST_DEV) == []
    assert len(owned(agents(sdk), ANALYST_DEV)) == 1
    assert cli(both_project, "diff", "-e", "dev", "-t", "agents").exit_code == 0
