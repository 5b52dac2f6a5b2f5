"""Updates send only what changed (omitted = unchanged, null = cleared, tools and metadata whole);
values the server resolves by itself never show as changes."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import openai

from orchestrator.backends.agents import AgentsMapping
from orchestrator.engine.desired import DesiredSpec, FunctionSpec
from orchestrator.engine.ownership import Owner, stamp
from orchestrator.engine.planning import essence_digests
from tests.agents.live_agents import apply_clean, only_agent, plan_json
from tests.support.projects import write_spec

OWNER = "test-project/dev/helper"
MAPPING = AgentsMapping()


def desired(**fields: Any) -> DesiredSpec:
    base: dict[str, Any] = {
        "name": "helper",
        "file": "specs/helper.yaml",
        "path": Path("specs/helper.yaml"),
        "display_name": "helper",
        "model": "gpt-5.4",
        "instructions": "You help.",
    }
    base.update(fields)
    return DesiredSpec(**base)


def created_raw(spec: DesiredSpec, **resolved: Any) -> dict[str, Any]:
    """What a server returns for the create payload of spec, with its own resolutions applied."""
    essence = MAPPING.desired_essence(spec)
    metadata = stamp(spec.metadata, Owner("p", "e", spec.name), essence_digests(essence, MAPPING.write_only))
    payload = MAPPING.create_payload(essence, metadata)
    raw: dict[str, Any] = {
        "id": "agent_1",
        "object": "agent",
        "created_at": 1,
        "updated_at": 1,
        "multi_agent": {"enabled": False},
        "reasoning": {"effort": None, "summary": None},
        **payload,
        "tools": [
            {**t, "defer_loading": False} if t["type"] == "function" else t for t in payload.get("tools", [])
        ],
    }
    raw.update(resolved)
    return raw


def test_update_payload_sends_only_changed_fields_and_metadata() -> None:
    essence = MAPPING.desired_essence(desired(verbosity="low", metadata=MappingProxyType({"team": "a"})))
    payload = MAPPING.update_payload(essence, ["instructions"], {"team": "a", "orchestrator.hash": "x"})
    assert payload == {"instructions": "You help.", "metadata": {"team": "a", "orchestrator.hash": "x"}}


def test_update_payload_clears_reasoning_with_null() -> None:
    essence = MAPPING.desired_essence(desired())
    assert MAPPING.update_payload(essence, ["reasoning_effort"], {})["reasoning"] is None


def test_update_payload_sends_tools_and_text_whole() -> None:
    function = FunctionSpec(
        "lookup", "Looks up", {"type": "object", "properties": {}}, False, None, "/functions/0", 1
    )
    essence = MAPPING.desired_essence(
        desired(functions=(function,), tools=(MappingProxyType({"type": "web_search"}),), verbosity="high")
    )
    payload = MAPPING.update_payload(essence, ["functions", "verbosity"], {})
    assert [t["type"] for t in payload["tools"]] == ["web_search", "function"]
    assert payload["text"] == {"format": {"type": "text"}, "verbosity": "high"}


def test_model_default_effort_filled_in_by_the_server_is_not_a_change() -> None:
    spec = desired()
    raw = created_raw(spec, reasoning={"effort": "medium", "summary": None})
    assert MAPPING.live_essence(raw) == MAPPING.desired_essence(spec)


def test_default_compaction_resolved_by_the_server_is_not_a_change() -> None:
    """Servers of the 3.51 era compact in the background when compaction is left out."""
    spec = desired()
    raw = created_raw(spec, compaction={"async": True})
    assert MAPPING.live_essence(raw) == MAPPING.desired_essence(spec)


def test_effort_filled_in_with_another_change_shows_both() -> None:
    spec = desired()
    raw = created_raw(spec, reasoning={"effort": "medium", "summary": None}, service_tier="flex")
    live = MAPPING.live_essence(raw)
    assert (live["reasoning_effort"], live["service_tier"]) == ("medium", "flex")


def test_requested_effort_changed_on_the_server_is_a_change() -> None:
    spec = desired(reasoning_effort="low")
    raw = created_raw(spec, reasoning={"effort": "high", "summary": None})
    assert MAPPING.live_essence(raw)["reasoning_effort"] == "high"


def test_server_tool_defaults_are_not_changes() -> None:
    spec = desired(
        tools=(
            MappingProxyType({"type": "web_search"}),
            MappingProxyType({"type": "mcp", "server_label": "d", "server_url": "https://m.example"}),
        )
    )
    raw = created_raw(spec)
    raw["tools"] = [
        {
            "type": "mcp",
            "server_label": "d",
            "transport": {"type": "http", "server_url": "https://m.example", "headers": {}},
            "allowed_tools": None,
            "connection_origin": "service",
            "credential_id": None,
            "request_metadata": {},
            "required": False,
        },
        {
            "type": "web_search",
            "allowed_domains": None,
            "context_size": "medium",
            "location": None,
            "mode": "live",
        },
    ]
    assert MAPPING.live_essence(raw) == MAPPING.desired_essence(spec)


def test_settings_changed_elsewhere_are_drift_and_apply_resets_them(
    agents_project: Path, sdk: openai.OpenAI
) -> None:
    """A spec that leaves multi_agent, experimental and reasoning.summary out wants the server defaults."""
    write_spec(agents_project, "helper", reasoning_effort="low")
    apply_clean(agents_project)
    agent = only_agent(sdk, OWNER)
    sdk.beta.agents.update(
        agent.id,
        multi_agent={"enabled": True},
        experimental={"time_awareness": True},
        reasoning={"effort": "low", "summary": "concise"},
    )
    [change] = plan_json(agents_project)["changes"]
    assert (change["action"], change["drift"]) == ("update", True)
    assert {f["path"] for f in change["fields"]} == {"multi_agent", "experimental", "reasoning_summary"}
    apply_clean(agents_project)
    updated = only_agent(sdk, OWNER)
    assert not updated.multi_agent.enabled and updated.multi_agent.max_concurrent_subagents is None
    assert updated.experimental is not None and not updated.experimental.time_awareness
    assert (updated.reasoning.effort, updated.reasoning.summary) == ("low", None)
