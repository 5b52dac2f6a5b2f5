"""Create, then update each field kind the spec language supports; apply then diff is always clean."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest

from orchestrator.engine.ownership import OWNER_KEY
from tests.support.live import owned_by
from tests.support.projects import Result, write, write_json, write_spec

OWNER = "test-project/dev/helper"
PARAMS = {"type": "object", "properties": {"topic": {"type": "string"}}, "required": ["topic"]}
STRICT_PARAMS = {
    "type": "object",
    "properties": {"topic": {"type": "string"}},
    "required": ["topic"],
    "additionalProperties": False,
}
JSON_SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "answer",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"text": {"type": "string"}},
            "required": ["text"],
            "additionalProperties": False,
        },
    },
}


def fn(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": f"Does {name}", "parameters": PARAMS, **extra}


# (case id, spec fields before, spec fields after, field paths the plan must show)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], set[str]]] = [
    ("display_name", {}, {"display_name": "Helpful Helper"}, {"name"}),
    ("description_added", {}, {"description": "Helps"}, {"description"}),
    ("description_changed", {"description": "Helps"}, {"description": "Helps more"}, {"description"}),
    ("model", {}, {"model": "gpt-4.1"}, {"model"}),
    ("instructions_inline_text", {}, {"instructions": "You help.\nAlways."}, {"instructions"}),
    (
        "instructions_inline_template",
        {"instructions": {"inline": "Hi {{ who }}", "vars": {"who": "A"}}},
        {"instructions": {"inline": "Hi {{ who }}", "vars": {"who": "B"}}},
        {"instructions"},
    ),
    (
        "instructions_template_file",
        {"instructions": {"template": "t.md.j2", "vars": {"who": "A"}}},
        {"instructions": {"template": "t.md.j2", "vars": {"who": "B"}}},
        {"instructions"},
    ),
    ("tool_code_interpreter_added", {}, {"tools": ["code_interpreter"]}, {"tools.code_interpreter"}),
    (
        "tool_removed",
        {"tools": ["code_interpreter", "file_search"]},
        {"tools": ["file_search"]},
        {"tools.code_interpreter"},
    ),
    (
        "file_search_default_to_options",
        {"tools": ["file_search"]},
        {
            "tools": [
                {
                    "type": "file_search",
                    "max_num_results": 7,
                    "ranking_options": {"ranker": "auto", "score_threshold": 0.4},
                }
            ]
        },
        {"tools.file_search"},
    ),
    (
        "file_search_options_changed",
        {"tools": [{"type": "file_search", "max_num_results": 7}]},
        {"tools": [{"type": "file_search", "max_num_results": 9}]},
        {"tools.file_search"},
    ),
    ("function_added", {}, {"functions": [fn("lookup")]}, {"functions.lookup"}),
    (
        "function_removed",
        {"functions": [fn("lookup"), fn("other")]},
        {"functions": [fn("other")]},
        {"functions.lookup"},
    ),
    (
        "function_parameters",
        {"functions": [fn("lookup")]},
        {
            "functions": [
                {**fn("lookup"), "parameters": {"type": "object", "properties": {"q": {"type": "integer"}}}}
            ]
        },
        {"functions.lookup.parameters"},
    ),
    (
        "function_parameters_file",
        {"functions": [fn("lookup", parameters="params.json")]},
        {"functions": [fn("lookup", parameters="params2.json")]},
        {"functions.lookup.parameters"},
    ),
    (
        "function_strict",
        {"functions": [fn("lookup", parameters=STRICT_PARAMS)]},
        {"functions": [fn("lookup", parameters=STRICT_PARAMS, strict=True)]},
        {"functions.lookup.strict"},
    ),
    (
        "function_description",
        {"functions": [fn("lookup")]},
        {"functions": [{**fn("lookup"), "description": "Looks up"}]},
        {"functions.lookup.description"},
    ),
    ("temperature", {}, {"temperature": 0.2}, {"temperature"}),
    ("temperature_removed", {"temperature": 0.2}, {}, {"temperature"}),
    ("top_p", {}, {"top_p": 0.5}, {"top_p"}),
    ("response_format_text", {}, {"response_format": "text"}, {"response_format"}),
    (
        "response_format_json_object",
        {"response_format": "text"},
        {"response_format": {"type": "json_object"}},
        {"response_format"},
    ),
    ("response_format_json_schema", {}, {"response_format": JSON_SCHEMA}, {"response_format"}),
    (
        "response_format_back_to_auto",
        {"response_format": JSON_SCHEMA},
        {"response_format": "auto"},
        {"response_format"},
    ),
    ("reasoning_effort", {"reasoning_effort": "low"}, {"reasoning_effort": "high"}, {"reasoning_effort"}),
    ("reasoning_effort_added", {}, {"reasoning_effort": "minimal"}, {"reasoning_effort"}),
    ("reasoning_effort_removed", {"reasoning_effort": "low"}, {}, {"reasoning_effort"}),
    (
        "reasoning_effort_with_model",
        {"reasoning_effort": "low"},
        {"reasoning_effort": "high", "model": "gpt-4.1"},
        {"model", "reasoning_effort"},
    ),
    (
        "model_with_reasoning_effort_kept",
        {"reasoning_effort": "low"},
        {"reasoning_effort": "low", "model": "gpt-4.1"},
        {"model"},
    ),
    ("metadata_added", {}, {"metadata": {"team": "a"}}, {"metadata.team"}),
    (
        "metadata_changed",
        {"metadata": {"team": "a", "tier": "1"}},
        {"metadata": {"team": "b", "tier": "1"}},
        {"metadata.team"},
    ),
    (
        "metadata_removed",
        {"metadata": {"team": "a", "tier": "1"}},
        {"metadata": {"tier": "1"}},
        {"metadata.team"},
    ),
]


def prepare_files(project: Path) -> None:
    write(project / "templates" / "t.md.j2", "Hello {{ who }} from {{ company }}.\n")
    write_json(project / "specs" / "params.json", PARAMS)
    write_json(
        project / "specs" / "params2.json", {"type": "object", "properties": {"n": {"type": "number"}}}
    )


@pytest.mark.parametrize(("before", "after", "paths"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_field_kind_updates_and_then_diffs_clean(
    project: Path,
    cli: Callable[..., Result],
    sdk: openai.OpenAI,
    before: dict[str, Any],
    after: dict[str, Any],
    paths: set[str],
) -> None:
    prepare_files(project)
    write_spec(project, "helper", **before)
    created = cli("apply", "--yes")
    assert created.exit_code == 0, created.output
    assert cli("diff").exit_code == 0, cli("diff").output
    [live] = owned_by(sdk, OWNER)

    write_spec(project, "helper", **after)
    planned = cli("diff", "--output", "json")
    assert planned.exit_code == 2, planned.output
    [change] = json.loads(planned.stdout)["changes"]
    assert (change["action"], change["id"], change["drift"]) == ("update", live.id, False)
    assert {f["path"] for f in change["fields"]} == paths

    updated = cli("apply", "--yes")
    assert updated.exit_code == 0, updated.output
    clean = cli("diff")
    assert clean.exit_code == 0, clean.output
    [again] = owned_by(sdk, OWNER)
    assert again.id == live.id


def test_create_sends_every_field(project: Path, cli: Callable[..., Result], sdk: openai.OpenAI) -> None:
    prepare_files(project)
    write_spec(
        project,
        "helper",
        display_name="Helper",
        description="Helps",
        temperature=0.3,
        top_p=0.9,
        tools=["code_interpreter", {"type": "file_search", "max_num_results": 3}],
        functions=[fn("lookup", parameters="params.json")],
        response_format=JSON_SCHEMA,
        reasoning_effort="low",
        metadata={"team": "a"},
        instructions={"template": "t.md.j2", "vars": {"who": "you"}},
    )
    result = cli("apply", "--yes")
    assert result.exit_code == 0, result.output
    [live] = owned_by(sdk, OWNER)
    assert (live.name, live.description, live.model) == ("Helper", "Helps", "gpt-5.4")
    assert live.instructions == "Hello you from Acme.\n"
    assert (live.temperature, live.top_p) == (0.3, 0.9)
    assert [t.type for t in live.tools] == ["code_interpreter", "file_search", "function"]
    assert live.tools[1].file_search.max_num_results == 3
    assert live.tools[2].function.parameters == PARAMS
    assert live.response_format.type == "json_schema"
    assert live.metadata["team"] == "a" and live.metadata[OWNER_KEY] == OWNER
    assert len(live.metadata) == 3
    assert cli("diff").exit_code == 0


def test_reasoning_effort_is_shown_as_not_readable(project: Path, cli: Callable[..., Result]) -> None:
    write_spec(project, "helper", reasoning_effort="low")
    assert cli("apply", "--yes").exit_code == 0
    write_spec(project, "helper", reasoning_effort="high")
    text = cli("diff")
    assert text.exit_code == 2
    assert "reasoning_effort: (not readable" in text.stdout
    markdown = cli("diff", "--output", "markdown")
    assert "(not readable)" in markdown.stdout
    [change] = json.loads(cli("diff", "--output", "json").stdout)["changes"]
    assert change["fields"] == [
        {"path": "reasoning_effort", "before": None, "after": "high", "before_unknown": True}
    ]
