"""Drift made through the SDK's agents API is detected and repaired; unmanaged and foreign agents
are never touched; orphans and duplicates are reported, and deleted only with --prune."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest

from orchestrator.engine.ownership import HASH_KEY, OWNER_KEY
from tests.agents.live_agents import agents, apply_clean, cli, only_agent, owned, plan_json, snapshot
from tests.support.projects import write_spec

OWNER = "test-project/dev/helper"
PARAMS = {"type": "object", "properties": {"q": {"type": "string"}}}
FUNCTION = {"name": "lookup", "description": "Looks up", "parameters": PARAMS}


def _drift_tools(sdk: openai.OpenAI, agent: Any) -> None:
    sdk.beta.agents.update(
        agent.id,
        tools=[
            {
                "type": "function",
                "name": "lookup",
                "description": "Looks up",
                "parameters": PARAMS,
                "defer_loading": True,
            }
        ],
    )


def _drift_metadata(sdk: openai.OpenAI, agent: Any) -> None:
    sdk.beta.agents.update(agent.id, metadata={**agent.metadata, "team": "edited"})


# (case id, edit made through the SDK, field paths the plan must show)
DRIFTS: list[tuple[str, Callable[[openai.OpenAI, Any], None], set[str]]] = [
    (
        "instructions",
        lambda sdk, a: sdk.beta.agents.update(a.id, instructions="Edited in the console."),
        {"instructions"},
    ),
    ("name_cleared", lambda sdk, a: sdk.beta.agents.update(a.id, name=None), {"name"}),
    ("model", lambda sdk, a: sdk.beta.agents.update(a.id, model="gpt-5.4-nano"), {"model"}),
    (
        "reasoning",
        lambda sdk, a: sdk.beta.agents.update(a.id, reasoning={"effort": "xhigh"}),
        {"reasoning_effort"},
    ),
    ("verbosity", lambda sdk, a: sdk.beta.agents.update(a.id, text={"verbosity": "high"}), {"verbosity"}),
    ("service_tier", lambda sdk, a: sdk.beta.agents.update(a.id, service_tier="priority"), {"service_tier"}),
    ("tools_cleared", lambda sdk, a: sdk.beta.agents.update(a.id, tools=None), {"functions.lookup"}),
    ("function_deferred", _drift_tools, {"functions.lookup.defer_loading"}),
    ("metadata_user_key", _drift_metadata, {"metadata.team"}),
]


@pytest.mark.parametrize(("edit", "paths"), [d[1:] for d in DRIFTS], ids=[d[0] for d in DRIFTS])
def test_drift_made_through_the_sdk_is_detected_and_repaired(
    agents_project: Path, sdk: openai.OpenAI, edit: Callable[[openai.OpenAI, Any], None], paths: set[str]
) -> None:
    write_spec(agents_project, "helper", reasoning_effort="low", functions=[FUNCTION], metadata={"team": "a"})
    apply_clean(agents_project)
    agent = only_agent(sdk, OWNER)
    edit(sdk, agent)
    [change] = plan_json(agents_project)["changes"]
    assert (change["action"], change["drift"]) == ("update", True)
    assert {f["path"] for f in change["fields"]} == paths
    assert cli(agents_project, "diff").exit_code == 2
    apply_clean(agents_project)
    repaired = only_agent(sdk, OWNER)
    assert repaired.id == agent.id
    assert repaired.reasoning.effort == "low" and repaired.metadata["team"] == "a"
    assert [(t.name, t.defer_loading) for t in repaired.tools if t.type == "function"] == [("lookup", False)]


def test_unmanaged_and_foreign_agents_are_never_touched(agents_project: Path, sdk: openai.OpenAI) -> None:
    sdk.beta.agents.create(model="gpt-5.4", name="helper", instructions="Hand made.", metadata={"team": "a"})
    sdk.beta.agents.create(
        model="gpt-5.4", name="helper", metadata={OWNER_KEY: "other-project/dev/helper", HASH_KEY: "a.b"}
    )
    sdk.beta.agents.create(
        model="gpt-5.4", name="helper", metadata={OWNER_KEY: "test-project/prod/helper", HASH_KEY: "a.b"}
    )
    before = snapshot(agents(sdk))
    write_spec(agents_project, "helper")
    apply_clean(agents_project, "--prune")
    assert cli(agents_project, "destroy", "--yes").exit_code == 0
    assert snapshot(agents(sdk)) == before


def test_orphan_is_reported_and_deleted_only_with_prune(agents_project: Path, sdk: openai.OpenAI) -> None:
    write_spec(agents_project, "helper")
    write_spec(agents_project, "gone")
    apply_clean(agents_project)
    (agents_project / "specs" / "gone.yaml").unlink()
    plan = plan_json(agents_project)
    assert plan["changes"] == [] or all(c["action"] == "noop" for c in plan["changes"])
    assert any("orphan" in w and "`gone`" in w for w in plan["warnings"])
    assert cli(agents_project, "apply", "--yes").exit_code == 0
    assert len(owned(agents(sdk), "test-project/dev/gone")) == 1
    pruned = plan_json(agents_project, "--prune")
    assert [(c["name"], c["action"]) for c in pruned["changes"] if c["action"] != "noop"] == [
        ("gone", "delete")
    ]
    apply_clean(agents_project, "--prune")
    assert owned(agents(sdk), "test-project/dev/gone") == []
    assert len(owned(agents(sdk), OWNER)) == 1


def test_duplicate_claim_keeps_the_oldest_and_prune_deletes_the_rest(
    agents_project: Path, sdk: openai.OpenAI
) -> None:
    write_spec(agents_project, "helper")
    apply_clean(agents_project)
    original = only_agent(sdk, OWNER)
    copy = sdk.beta.agents.create(
        model=original.model,
        name=original.name,
        instructions=original.instructions,
        metadata=original.metadata,
    )
    plan = plan_json(agents_project)
    assert any("duplicate" in w and copy.id in w and original.id in w for w in plan["warnings"])
    pruned = plan_json(agents_project, "--prune")
    assert [(c["action"], c["id"]) for c in pruned["changes"] if c["action"] != "noop"] == [
        ("delete", copy.id)
    ]
    apply_clean(agents_project, "--prune")
    assert only_agent(sdk, OWNER).id == original.id
