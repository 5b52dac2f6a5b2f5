"""`validate -e ENV` names every field a spec uses that its target's backend lacks: the field, the
target and the backend, with file, line and pointer; offline (no server exists, no socket may connect)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.support.projects import make_project, run_in, write, write_spec

DEAD_URL = "http://127.0.0.1:9/v1"  # nothing listens here; nothing must try
STRICT_PARAMS = {
    "type": "object",
    "properties": {"q": {"type": "string"}},
    "required": ["q"],
    "additionalProperties": False,
}
MCP = {"type": "mcp", "server_label": "docs", "server_url": "https://mcp.example.com"}

# (case id, environment, spec fields, pointer, what the message names)
CASES: list[tuple[str, str, dict[str, Any], str, str]] = [
    ("description", "next", {"description": "Helps"}, "/description", "`description`"),
    (
        "knowledge_store_id",
        "next",
        {"tools": ["file_search"], "knowledge": {"vector_store_id": "vs_abc"}},
        "/knowledge/vector_store_id",
        "`knowledge.vector_store_id` (an existing vector store)",
    ),
    (
        "code_file_id",
        "next",
        {"tools": ["code_interpreter"], "code_files": [{"file_id": "file-abc"}]},
        "/code_files/0",
        "a code file given by `file_id`",
    ),
    (
        "json_object",
        "next",
        {"response_format": "json_object"},
        "/response_format",
        "`response_format: json_object`",
    ),
    (
        "json_object_mapping",
        "next",
        {"response_format": {"type": "json_object"}},
        "/response_format",
        "`response_format: json_object`",
    ),
    ("verbosity", "dev", {"verbosity": "low"}, "/verbosity", "`verbosity`"),
    ("service_tier", "dev", {"service_tier": "flex"}, "/service_tier", "`service_tier`"),
    ("web_search", "dev", {"tools": ["web_search"]}, "/tools/0", "the `web_search` tool"),
    (
        "web_search_object",
        "dev",
        {"tools": [{"type": "web_search", "context_size": "low"}]},
        "/tools/0",
        "the `web_search` tool",
    ),
    ("mcp", "dev", {"tools": [MCP]}, "/tools/0", "the `mcp` tool"),
    ("reasoning_summary", "dev", {"reasoning_summary": "auto"}, "/reasoning_summary", "`reasoning_summary`"),
    ("compaction", "dev", {"compaction": {"async": True}}, "/compaction", "`compaction`"),
    ("multi_agent", "dev", {"multi_agent": {"enabled": True}}, "/multi_agent", "`multi_agent`"),
    ("experimental", "dev", {"experimental": {"time_awareness": True}}, "/experimental", "`experimental`"),
    ("tool_search", "dev", {"tools": ["tool_search"]}, "/tools/0", "the `tool_search` tool"),
    (
        "programmatic_tool_calling",
        "dev",
        {"tools": [{"type": "programmatic_tool_calling", "enabled": False}]},
        "/tools/0",
        "the `programmatic_tool_calling` tool",
    ),
    ("computer_use", "dev", {"tools": ["computer_use"]}, "/tools/0", "the `computer_use` tool"),
    ("automations", "dev", {"tools": [{"type": "automations"}]}, "/tools/0", "the `automations` tool"),
    (
        "defer_loading",
        "dev",
        {"functions": [{"name": "f", "defer_loading": False}]},
        "/functions/0/defer_loading",
        "`defer_loading` on a function",
    ),
    (
        "async",
        "dev",
        {"functions": [{"name": "f", "async": False}]},
        "/functions/0/async",
        "`async` on a function",
    ),
]
TARGETS = {"dev": ("main", "assistants"), "next": ("agents", "agents")}


@pytest.fixture
def offline_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Both kinds of remote target pointing at a dead port, and any socket connection refused."""

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("validate tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", "sk-unused")
    root = make_project(
        tmp_path / "project",
        base_url=DEAD_URL,
        extra_environments={"next": {"target": "agents"}},
        extra_targets={
            "agents": {"type": "agents", "base_url": DEAD_URL, "api_key_env": "TEST_ORCHESTRATOR_KEY"}
        },
    )
    write(root / "specs" / "data.csv", "verb,tense\nser,present\n")
    return root


def diagnostics(root: Path, environment: str) -> tuple[int, list[dict[str, Any]]]:
    result = run_in(root, "validate", "-e", environment, "--output", "json")
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize(
    ("environment", "fields", "pointer", "what"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_field_the_backend_lacks_is_an_error_naming_field_target_and_backend(
    offline_project: Path, environment: str, fields: dict[str, Any], pointer: str, what: str
) -> None:
    write_spec(offline_project, "helper", **fields)
    code, found = diagnostics(offline_project, environment)
    assert code == 1
    target, backend = TARGETS[environment]
    [problem] = [d for d in found if d["pointer"] == pointer]
    assert problem["message"] == f"{what} is not supported by target `{target}` (backend: {backend})"
    assert (problem["file"], problem["severity"]) == ("specs/helper.yaml", "error")
    assert problem["line"] is not None and problem["column"] is not None
    other = "dev" if environment == "next" else "next"
    assert [d for d in diagnostics(offline_project, other)[1] if d["pointer"] == pointer] == []


def test_every_mismatch_of_a_spec_is_reported_in_one_run(offline_project: Path) -> None:
    write_spec(
        offline_project,
        "helper",
        description="Helps",
        temperature=0.3,
        top_p=0.9,
        tools=["code_interpreter", "file_search"],
        response_format="json_object",
    )
    code, found = diagnostics(offline_project, "next")
    assert code == 1
    assert {d["pointer"] for d in found if "not supported" in d["message"]} == {
        "/description",
        "/response_format",
    }
    assert {d["pointer"] for d in found if "not deployed" in d["message"]} == {"/temperature", "/top_p"}


def test_shared_fields_validate_on_both_backends(offline_project: Path) -> None:
    write_spec(
        offline_project,
        "helper",
        display_name="Helper",
        reasoning_effort="low",
        metadata={"team": "a"},
        functions=[{"name": "f", "description": "F", "parameters": {"type": "object", "properties": {}}}],
        response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": STRICT_PARAMS}},
    )
    for environment in ("dev", "next"):
        assert diagnostics(offline_project, environment) == (0, [])


def test_json_schema_name_only_format_keeps_strict_and_description_as_warnings(offline_project: Path) -> None:
    write_spec(
        offline_project,
        "helper",
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "a", "description": "An answer", "strict": True, "schema": STRICT_PARAMS},
        },
    )
    code, found = diagnostics(offline_project, "next")
    assert code == 0
    [warning] = found
    assert warning["severity"] == "warning" and warning["pointer"] == "/response_format/json_schema"
    assert "`description`, `strict`" in warning["message"] and "`agents`" in warning["message"]


def test_a_deferred_function_without_tool_search_is_a_warning(offline_project: Path) -> None:
    write_spec(offline_project, "helper", functions=[{"name": "f", "defer_loading": True}])
    code, found = diagnostics(offline_project, "next")
    assert code == 0
    [problem] = found
    assert (problem["pointer"], problem["severity"]) == ("/functions/0/defer_loading", "warning")
    assert "`tool_search`" in problem["message"]
    write_spec(
        offline_project, "helper", tools=["tool_search"], functions=[{"name": "f", "defer_loading": True}]
    )
    assert diagnostics(offline_project, "next") == (0, [])


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        ({**MCP, "transport": {"type": "stdio", "command": "x", "cwd": "/"}}, "/tools/0"),
        ({"type": "mcp", "server_label": "docs"}, "/tools/0"),
        ({"type": "mcp", "server_label": "docs", "transport": {"type": "stdio", "command": "x"}}, "/tools/0"),
        ({"type": "web_search", "location": {"country": "Spain"}}, "/tools/0/location/country"),
        ({"type": "computer_use", "screenshots": True}, "/tools/0"),
    ],
)
def test_a_malformed_new_tool_is_a_schema_error(
    offline_project: Path, tool: dict[str, Any], expected: str
) -> None:
    write_spec(offline_project, "helper", tools=[tool])
    code, found = diagnostics(offline_project, "next")
    assert code == 1 and found, found
    assert all(d["severity"] == "error" and d["line"] is not None for d in found)
    assert any(d["pointer"].startswith(expected) for d in found), found
