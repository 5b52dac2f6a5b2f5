"""Update each mapped field on an agents target: the plan names it, apply sends it, diff is clean after."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.agents.live_agents import apply_clean, only_agent, plan_json
from tests.support.projects import write_spec

OWNER = "test-project/dev/helper"
PARAMS = {"type": "object", "properties": {"topic": {"type": "string"}}, "required": ["topic"]}
SCHEMA = {
    "type": "object",
    "properties": {"text": {"type": "string"}},
    "required": ["text"],
    "additionalProperties": False,
}
JSON_FORMAT = {"type": "json_schema", "json_schema": {"name": "answer", "schema": SCHEMA}}
MCP = {"type": "mcp", "server_label": "docs", "server_url": "https://mcp.example.com/sse"}
STDIO = {
    "type": "mcp",
    "server_label": "local",
    "transport": {"type": "stdio", "command": "docs-mcp", "cwd": "/workspace"},
}


def fn(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": f"Does {name}", "parameters": PARAMS, **extra}


def tool(agent: Any, kind: str) -> Any:
    [found] = [t for t in agent.tools if t.type == kind]
    return found


Check = Callable[[Any], bool]

# (case id, spec fields before, spec fields after, field paths the plan must show, check on the live agent)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], set[str], Check]] = [
    ("display_name", {}, {"display_name": "Helpful Helper"}, {"name"}, lambda a: a.name == "Helpful Helper"),
    ("model", {}, {"model": "gpt-5.4-mini"}, {"model"}, lambda a: a.model == "gpt-5.4-mini"),
    (
        "instructions",
        {},
        {"instructions": "You help.\nAlways."},
        {"instructions"},
        lambda a: a.instructions == "You help.\nAlways.",
    ),
    (
        "instructions_template",
        {"instructions": {"inline": "Hi {{ who }}", "vars": {"who": "A"}}},
        {"instructions": {"inline": "Hi {{ who }}", "vars": {"who": "B"}}},
        {"instructions"},
        lambda a: a.instructions == "Hi B",
    ),
    (
        "metadata_added",
        {},
        {"metadata": {"team": "a"}},
        {"metadata.team"},
        lambda a: a.metadata["team"] == "a",
    ),
    (
        "metadata_changed",
        {"metadata": {"team": "a"}},
        {"metadata": {"team": "b"}},
        {"metadata.team"},
        lambda a: a.metadata["team"] == "b",
    ),
    (
        "metadata_removed",
        {"metadata": {"team": "a", "x": "y"}},
        {"metadata": {"x": "y"}},
        {"metadata.team"},
        lambda a: "team" not in a.metadata and a.metadata["x"] == "y",
    ),
    (
        "reasoning_effort_set",
        {},
        {"reasoning_effort": "high"},
        {"reasoning_effort"},
        lambda a: a.reasoning.effort == "high",
    ),
    (
        "reasoning_effort_changed",
        {"reasoning_effort": "low"},
        {"reasoning_effort": "minimal"},
        {"reasoning_effort"},
        lambda a: a.reasoning.effort == "minimal",
    ),
    (
        "reasoning_effort_removed",
        {"reasoning_effort": "low"},
        {},
        {"reasoning_effort"},
        lambda a: a.reasoning.effort is None,
    ),
    (
        "response_format_json_schema",
        {},
        {"response_format": JSON_FORMAT},
        {"response_format"},
        lambda a: a.text.format.type == "json_schema" and a.text.format.schema_ == SCHEMA,
    ),
    (
        "response_format_schema_changed",
        {"response_format": JSON_FORMAT},
        {
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "answer",
                    "schema": {**SCHEMA, "properties": {"text": {"type": "string", "maxLength": 80}}},
                },
            }
        },
        {"response_format"},
        lambda a: a.text.format.schema_["properties"]["text"]["maxLength"] == 80,
    ),
    (
        "response_format_back_to_text",
        {"response_format": JSON_FORMAT},
        {"response_format": "auto"},
        {"response_format"},
        lambda a: a.text.format.type == "text",
    ),
    ("verbosity", {}, {"verbosity": "low"}, {"verbosity"}, lambda a: a.text.verbosity == "low"),
    (
        "verbosity_keeps_format",
        {"response_format": JSON_FORMAT},
        {"response_format": JSON_FORMAT, "verbosity": "high"},
        {"verbosity"},
        lambda a: a.text.verbosity == "high" and a.text.format.type == "json_schema",
    ),
    ("service_tier", {}, {"service_tier": "flex"}, {"service_tier"}, lambda a: a.service_tier == "flex"),
    (
        "service_tier_back_to_auto",
        {"service_tier": "priority"},
        {},
        {"service_tier"},
        lambda a: a.service_tier == "auto",
    ),
    (
        "function_added",
        {},
        {"functions": [fn("lookup")]},
        {"functions.lookup"},
        lambda a: tool(a, "function").name == "lookup" and tool(a, "function").parameters == PARAMS,
    ),
    (
        "function_without_description_or_parameters",
        {},
        {"functions": [{"name": "bare"}]},
        {"functions.bare"},
        lambda a: (
            (tool(a, "function").description, tool(a, "function").parameters)
            == ("", {"type": "object", "properties": {}})
        ),
    ),
    (
        "function_removed",
        {"functions": [fn("lookup"), fn("other")]},
        {"functions": [fn("other")]},
        {"functions.lookup"},
        lambda a: [t.name for t in a.tools] == ["other"],
    ),
    (
        "function_description",
        {"functions": [fn("lookup")]},
        {"functions": [{**fn("lookup"), "description": "Looks up"}]},
        {"functions.lookup.description"},
        lambda a: tool(a, "function").description == "Looks up",
    ),
    (
        "function_parameters",
        {"functions": [fn("lookup")]},
        {
            "functions": [
                fn("lookup", parameters={"type": "object", "properties": {"q": {"type": "integer"}}})
            ]
        },
        {"functions.lookup.parameters"},
        lambda a: tool(a, "function").parameters["properties"] == {"q": {"type": "integer"}},
    ),
    (
        "web_search_added",
        {},
        {"tools": ["web_search"]},
        {"tools.web_search"},
        lambda a: tool(a, "web_search").mode == "live",
    ),
    (
        "web_search_options",
        {"tools": ["web_search"]},
        {"tools": [{"type": "web_search", "context_size": "high", "allowed_domains": ["example.com"]}]},
        {"tools.web_search"},
        lambda a: (
            tool(a, "web_search").context_size == "high"
            and tool(a, "web_search").allowed_domains == ["example.com"]
        ),
    ),
    (
        "web_search_back_to_defaults",
        {"tools": [{"type": "web_search", "mode": "cached"}]},
        {"tools": ["web_search"]},
        {"tools.web_search"},
        lambda a: tool(a, "web_search").mode == "live",
    ),
    (
        "mcp_added",
        {},
        {"tools": [MCP]},
        {"tools.mcp:docs"},
        lambda a: (
            tool(a, "mcp").transport.server_url == MCP["server_url"] and tool(a, "mcp").allowed_tools is None
        ),
    ),
    (
        "mcp_options",
        {"tools": [MCP]},
        {"tools": [{**MCP, "allowed_tools": ["search"], "required": True, "headers": {"X-Team": "a"}}]},
        {"tools.mcp:docs"},
        lambda a: (
            tool(a, "mcp").allowed_tools == ["search"]
            and tool(a, "mcp").required
            and tool(a, "mcp").transport.headers == {"X-Team": "a"}
        ),
    ),
    (
        "mcp_removed_function_kept",
        {"tools": [MCP], "functions": [fn("lookup")]},
        {"functions": [fn("lookup")]},
        {"tools.mcp:docs"},
        lambda a: [t.type for t in a.tools] == ["function"],
    ),
    # the settings and tools added with every SDK field (issue 15)
    (
        "reasoning_summary",
        {},
        {"reasoning_summary": "concise"},
        {"reasoning_summary"},
        lambda a: (a.reasoning.summary, a.reasoning.effort) == ("concise", None),
    ),
    (
        "reasoning_summary_keeps_effort",
        {"reasoning_effort": "low"},
        {"reasoning_effort": "low", "reasoning_summary": "detailed"},
        {"reasoning_summary"},
        lambda a: (a.reasoning.summary, a.reasoning.effort) == ("detailed", "low"),
    ),
    (
        "reasoning_summary_removed",
        {"reasoning_summary": "auto", "reasoning_effort": "high"},
        {"reasoning_effort": "high"},
        {"reasoning_summary"},
        lambda a: (a.reasoning.summary, a.reasoning.effort) == (None, "high"),
    ),
    # compaction.async: ignored by the API since openai 3.63, never deployed (tests/agents/test_ignored_fields.py)
    (
        "multi_agent_enabled",
        {},
        {"multi_agent": {"enabled": True}},
        {"multi_agent"},
        lambda a: a.multi_agent.enabled and a.multi_agent.max_concurrent_subagents == 6,
    ),
    (
        "multi_agent_limit",
        {"multi_agent": {"enabled": True}},
        {"multi_agent": {"enabled": True, "max_concurrent_subagents": 2}},
        {"multi_agent"},
        lambda a: a.multi_agent.max_concurrent_subagents == 2,
    ),
    (
        "multi_agent_disabled",
        {"multi_agent": {"enabled": True, "max_concurrent_subagents": 2}},
        {"multi_agent": {"enabled": False}},
        {"multi_agent"},
        lambda a: not a.multi_agent.enabled and a.multi_agent.max_concurrent_subagents is None,
    ),
    (
        "experimental_time_awareness",
        {},
        {"experimental": {"time_awareness": True}},
        {"experimental"},
        lambda a: a.experimental.time_awareness,
    ),
    (
        "experimental_removed",
        {"experimental": {"time_awareness": True}},
        {},
        {"experimental"},
        lambda a: not a.experimental.time_awareness,
    ),
    (
        "function_defer_loading",
        {"tools": ["tool_search"], "functions": [fn("lookup")]},
        {"tools": ["tool_search"], "functions": [fn("lookup", defer_loading=True)]},
        {"functions.lookup.defer_loading"},
        lambda a: tool(a, "function").defer_loading,
    ),
    (
        "function_async",
        {"functions": [fn("lookup")]},
        {"functions": [fn("lookup", **{"async": True})]},
        {"functions.lookup.async"},
        lambda a: tool(a, "function").async_ is True,
    ),
    (
        "function_async_removed",
        {"functions": [fn("lookup", **{"async": True})]},
        {"functions": [fn("lookup")]},
        {"functions.lookup.async"},
        lambda a: not tool(a, "function").async_,
    ),
    (
        "tool_search_added",
        {},
        {"tools": ["tool_search"]},
        {"tools.tool_search"},
        lambda a: tool(a, "tool_search"),
    ),
    (
        "programmatic_tool_calling_added",
        {},
        {"tools": ["programmatic_tool_calling"]},
        {"tools.programmatic_tool_calling"},
        lambda a: tool(a, "programmatic_tool_calling").enabled,
    ),
    (
        "programmatic_tool_calling_disabled",
        {"tools": ["programmatic_tool_calling"]},
        {"tools": [{"type": "programmatic_tool_calling", "enabled": False}]},
        {"tools.programmatic_tool_calling"},
        lambda a: not tool(a, "programmatic_tool_calling").enabled,
    ),
    (
        "computer_use_added",
        {},
        {"tools": ["computer_use"]},
        {"tools.computer_use"},
        lambda a: not tool(a, "computer_use").include_screenshots,
    ),
    (
        "computer_use_screenshots",
        {"tools": ["computer_use"]},
        {"tools": [{"type": "computer_use", "include_screenshots": True}]},
        {"tools.computer_use"},
        lambda a: tool(a, "computer_use").include_screenshots,
    ),
    (
        "automations_added",
        {},
        {"tools": ["automations"]},
        {"tools.automations"},
        lambda a: tool(a, "automations"),
    ),
    (
        "web_search_location",
        {"tools": ["web_search"]},
        {"tools": [{"type": "web_search", "location": {"city": "Madrid", "country": "ES"}}]},
        {"tools.web_search"},
        lambda a: (
            (tool(a, "web_search").location.city, tool(a, "web_search").location.timezone) == ("Madrid", None)
        ),
    ),
    (
        "mcp_stdio_added",
        {},
        {"tools": [STDIO]},
        {"tools.mcp:local"},
        lambda a: (tool(a, "mcp").transport.type, tool(a, "mcp").transport.args) == ("stdio", []),
    ),
    (
        "mcp_stdio_args",
        {"tools": [STDIO]},
        {
            "tools": [
                {**STDIO, "transport": {**STDIO["transport"], "args": ["--port", "0"], "env_vars": ["HOME"]}}
            ]
        },
        {"tools.mcp:local"},
        lambda a: (
            (tool(a, "mcp").transport.args, tool(a, "mcp").transport.env_vars) == (["--port", "0"], ["HOME"])
        ),
    ),
    (
        "mcp_http_transport_form_is_the_short_form",
        {"tools": [MCP]},
        {
            "tools": [
                {
                    "type": "mcp",
                    "server_label": "docs",
                    "transport": {
                        "type": "http",
                        "server_url": MCP["server_url"],
                        "headers": {"X-Team": "b"},
                    },
                }
            ]
        },
        {"tools.mcp:docs"},
        lambda a: tool(a, "mcp").transport.headers == {"X-Team": "b"},
    ),
]


@pytest.mark.parametrize(
    ("before", "after", "paths", "check"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_changing_a_field_updates_only_that_agent_field(
    agents_project: Path,
    sdk: openai.OpenAI,
    before: dict[str, Any],
    after: dict[str, Any],
    paths: set[str],
    check: Check,
) -> None:
    write_spec(agents_project, "helper", **before)
    apply_clean(agents_project)
    original = only_agent(sdk, OWNER)
    write_spec(agents_project, "helper", **after)
    [change] = plan_json(agents_project)["changes"]
    assert (change["action"], change["drift"], change["id"]) == ("update", False, original.id)
    assert {f["path"] for f in change["fields"]} == paths
    apply_clean(agents_project)
    updated = only_agent(sdk, OWNER)
    assert updated.id == original.id
    assert check(updated), updated.model_dump(mode="json")
