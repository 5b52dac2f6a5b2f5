"""Payloads carry only what the spec sets (issue 15, item 2), every new agent field is drift when
changed live, and a third-party Agents server that lacks optional features still takes a plain spec."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from orchestrator.emulator import EmulatorServer
from tests.agents.live_agents import apply_clean, cli, only_agent, plan_json
from tests.conftest import TEST_KEY
from tests.support.projects import make_project, write_spec
from tests.support.proxy import FailingProxy

OWNER = "test-project/dev/helper"
PARAMS = {"type": "object", "properties": {"q": {"type": "string"}}}
LOOKUP = {"name": "lookup", "description": "Looks up", "parameters": PARAMS}
STDIO = {
    "type": "mcp",
    "server_label": "local",
    "transport": {"type": "stdio", "command": "docs-mcp", "cwd": "/w"},
}
AGENT_PATH = re.compile(r"^/v1/agents/(?!sessions$|environments$|automations$)[^/]+$")
PLAIN_KEYS = {"model", "name", "instructions", "metadata", "tools"}
PLAIN_FUNCTION_KEYS = {"type", "name", "description", "parameters"}


class Recorder:
    """Forwards every request, keeping the JSON bodies of agent creates and updates."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def __call__(self, method: str, path: str, body: Any, headers: dict[str, str]) -> None:
        if method == "POST" and (path == "/v1/agents" or AGENT_PATH.match(path)):
            with self.lock:
                self.bodies.append(("create" if path == "/v1/agents" else "update", body))
        return None

    def writes(self) -> list[tuple[str, dict[str, Any]]]:
        with self.lock:
            taken, self.bodies = self.bodies, []
        return taken


def strict_server(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any] | None:
    """A compatible server without text, reasoning, service tiers or the later settings and tools."""
    if method != "POST" or not (path == "/v1/agents" or AGENT_PATH.match(path)) or not isinstance(body, dict):
        return None
    unknown = sorted(set(body) - PLAIN_KEYS)
    for tool in body.get("tools") or []:
        if tool.get("type") != "function":
            unknown.append(f"tools.{tool.get('type')}")
        unknown.extend(
            f"tools.{key}"
            for key in sorted(set(tool) - PLAIN_FUNCTION_KEYS)
            if tool.get("type") == "function"
        )
    if unknown:
        return 400, {
            "error": {
                "message": f"{unknown[0]} is not implemented",
                "type": "invalid_request_error",
                "param": unknown[0],
                "code": "not_implemented",
            }
        }
    return None


@pytest.fixture
def through(tmp_path: Path, served: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """start(rule) -> a project on an agents target reached through a proxy applying rule."""
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    opened: list[FailingProxy] = []

    def start(rule: Any) -> Path:
        proxy = FailingProxy(served.root_url, rule).__enter__()
        opened.append(proxy)
        return make_project(tmp_path / f"project-{len(opened)}", base_url=proxy.base_url, backend="agents")

    yield start
    for proxy in opened:
        proxy.__exit__(None, None, None)


def test_a_plain_spec_creates_with_only_what_it_sets(through: Any) -> None:
    recorder = Recorder()
    root = through(recorder)
    write_spec(root, "helper", functions=[LOOKUP])
    apply_clean(root)
    [(kind, body)] = recorder.writes()
    assert kind == "create"
    assert set(body) == PLAIN_KEYS, body  # no text, service_tier, reasoning, compaction, ...
    assert body["tools"] == [{"type": "function", **LOOKUP}]  # no defer_loading: false


def test_a_server_without_optional_features_takes_a_plain_spec(through: Any) -> None:
    """Before: every create carried `text` and `service_tier`; such a server answered 400."""
    root = through(strict_server)
    write_spec(root, "helper", functions=[LOOKUP])
    apply_clean(root)
    write_spec(root, "helper", functions=[LOOKUP], instructions="Now different.")
    apply_clean(root)


def test_a_server_without_a_feature_the_spec_asks_for_fails_that_change_clearly(through: Any) -> None:
    root = through(strict_server)
    write_spec(root, "helper", verbosity="high")
    result = cli(root, "apply", "--yes")
    assert result.exit_code == 1, result.output
    assert "text is not implemented" in result.output and "Traceback" not in result.output
    assert TEST_KEY not in result.output


# (case id, spec fields before, spec fields after, top-level keys the update must carry besides metadata)
UPDATES: list[tuple[str, dict[str, Any], dict[str, Any], set[str]]] = [
    (
        "instructions",
        {"compaction": {"async": True}},
        {"compaction": {"async": True}, "instructions": "x"},
        {"instructions"},
    ),
    ("reasoning_summary", {}, {"reasoning_summary": "auto"}, {"reasoning"}),
    (
        "multi_agent",
        {"verbosity": "low"},
        {"verbosity": "low", "multi_agent": {"enabled": True}},
        {"multi_agent"},
    ),
    ("experimental", {}, {"experimental": {"time_awareness": True}}, {"experimental"}),
    (
        "a_tool",
        {"multi_agent": {"enabled": True}},
        {"multi_agent": {"enabled": True}, "tools": ["automations"]},
        {"tools"},
    ),
    ("function_flag", {"functions": [LOOKUP]}, {"functions": [{**LOOKUP, "async": True}]}, {"tools"}),
    (
        "verbosity",
        {"experimental": {"time_awareness": True}},
        {"experimental": {"time_awareness": True}, "verbosity": "high"},
        {"text"},
    ),
]


@pytest.mark.parametrize(("before", "after", "keys"), [c[1:] for c in UPDATES], ids=[c[0] for c in UPDATES])
def test_an_update_sends_only_the_changed_fields(
    through: Any, before: dict[str, Any], after: dict[str, Any], keys: set[str]
) -> None:
    recorder = Recorder()
    root = through(recorder)
    write_spec(root, "helper", **before)
    apply_clean(root)
    recorder.writes()
    write_spec(root, "helper", **after)
    apply_clean(root)
    [(kind, body)] = recorder.writes()
    assert kind == "update" and set(body) == keys | {"metadata"}, body


def test_create_sends_each_set_field_in_the_sdk_shape(through: Any) -> None:
    recorder = Recorder()
    root = through(recorder)
    write_spec(
        root,
        "helper",
        reasoning_summary="concise",
        compaction={"async": True},
        multi_agent={"enabled": True, "max_concurrent_subagents": 3},
        experimental={"time_awareness": True},
        tools=[
            "tool_search",
            {"type": "computer_use", "include_screenshots": True},
            STDIO,
            {"type": "web_search", "location": {"country": "ES"}},
        ],
        functions=[{**LOOKUP, "defer_loading": True, "async": True}],
    )
    apply_clean(root)
    [(_, body)] = recorder.writes()
    assert body["reasoning"] == {"summary": "concise"}
    assert body["experimental"] == {"time_awareness": True} and "compaction" not in body  # ignored since 3.63
    assert body["multi_agent"] == {"enabled": True, "max_concurrent_subagents": 3}
    assert body["tools"] == [
        {"type": "computer_use", "include_screenshots": True},
        {"type": "mcp", "server_label": "local", "transport": STDIO["transport"]},
        {"type": "tool_search"},
        {"type": "web_search", "location": {"country": "ES"}},
        {"type": "function", **LOOKUP, "defer_loading": True, "async": True},
    ]


# (case id, spec fields, live change through the SDK, field paths the plan must show)
DRIFTS: list[tuple[str, dict[str, Any], dict[str, Any], set[str]]] = [
    (
        "reasoning_summary",
        {"reasoning_summary": "concise"},
        {"reasoning": {"summary": "detailed"}},
        {"reasoning_summary"},
    ),
    (
        "multi_agent",
        {"multi_agent": {"enabled": True, "max_concurrent_subagents": 2}},
        {"multi_agent": {"enabled": True, "max_concurrent_subagents": 5}},
        {"multi_agent"},
    ),
    (
        "experimental",
        {"experimental": {"time_awareness": True}},
        {"experimental": {"time_awareness": False}},
        {"experimental"},
    ),
    (
        "function_flags",
        {"tools": ["tool_search"], "functions": [{**LOOKUP, "defer_loading": True}]},
        {"tools": [{"type": "tool_search"}, {"type": "function", **LOOKUP, "async": True}]},
        {"functions.lookup.defer_loading", "functions.lookup.async"},
    ),
    (
        "computer_use",
        {"tools": [{"type": "computer_use", "include_screenshots": True}]},
        {"tools": [{"type": "computer_use"}]},
        {"tools.computer_use"},
    ),
    (
        "programmatic_tool_calling",
        {"tools": ["programmatic_tool_calling"]},
        {"tools": [{"type": "programmatic_tool_calling", "enabled": False}]},
        {"tools.programmatic_tool_calling"},
    ),
    (
        "tool_search_removed",
        {"tools": ["tool_search", "automations"]},
        {"tools": [{"type": "automations"}]},
        {"tools.tool_search"},
    ),
    (
        "web_search_location",
        {"tools": [{"type": "web_search", "location": {"city": "Madrid"}}]},
        {"tools": [{"type": "web_search", "location": {"city": "Paris"}}]},
        {"tools.web_search"},
    ),
    (
        "mcp_stdio",
        {"tools": [STDIO]},
        {"tools": [{**STDIO, "transport": {**STDIO["transport"], "args": ["--debug"]}}]},
        {"tools.mcp:local"},
    ),
    (
        "mcp_fields_a_spec_never_writes",
        {"tools": [STDIO]},
        {
            "tools": [
                {
                    **STDIO,
                    "connection_origin": "environment",
                    "credential_id": "cred_1",
                    "request_metadata": {"team": "a"},
                }
            ]
        },
        {"tools.mcp:local"},
    ),
]


@pytest.mark.parametrize(("fields", "live", "paths"), [c[1:] for c in DRIFTS], ids=[c[0] for c in DRIFTS])
def test_a_field_changed_live_is_drift_and_apply_restores_it(
    agents_project: Path, sdk: openai.OpenAI, fields: dict[str, Any], live: dict[str, Any], paths: set[str]
) -> None:
    write_spec(agents_project, "helper", **fields)
    apply_clean(agents_project)
    agent = only_agent(sdk, OWNER)
    applied = agent.model_dump(mode="json", exclude={"updated_at", "metadata"})
    sdk.beta.agents.update(agent.id, **live)
    [change] = plan_json(agents_project)["changes"]
    assert (change["action"], change["drift"]) == ("update", True)
    assert {f["path"] for f in change["fields"]} == paths, json.dumps(change["fields"])
    apply_clean(agents_project)
    assert only_agent(sdk, OWNER).model_dump(mode="json", exclude={"updated_at", "metadata"}) == applied
