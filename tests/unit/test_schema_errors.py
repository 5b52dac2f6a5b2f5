"""Schema errors in words: did-you-mean, the oneOf branch the user meant, and the same answers with or without the fast path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from orchestrator.diagnostics import Diagnostic
from orchestrator.spec import schema_errors
from orchestrator.spec.loading import load_yaml_bytes
from orchestrator.spec.schema_errors import did_you_mean, schema_diagnostics, subject
from orchestrator.spec.schemas import validator_for

BASE = "version: 1\nname: helper\nmodel: gpt-5.4\ninstructions: Be helpful.\n"


def check(extra: str, *, kind: str = "spec", base: str = BASE) -> list[Diagnostic]:
    doc = load_yaml_bytes((base + extra).encode(), Path("spec.yaml"), "spec.yaml")
    return schema_diagnostics(doc, validator_for(kind))


def only(extra: str) -> Diagnostic:
    found = check(extra)
    assert len(found) == 1, found
    return found[0]


def test_a_valid_spec_has_no_diagnostics() -> None:
    assert check("tools: [file_search]\ntemperature: 0.2\nmetadata: {team: a}\n") == []


def test_unknown_key_suggests_the_closest_known_key() -> None:
    problem = only("temprature: 0.5\n")
    assert problem.message == "unknown key `temprature`; did you mean `temperature`?"
    assert problem.hint == "rename it to `temperature`"
    assert (problem.line, problem.column, problem.pointer) == (5, 1, "/temprature")


def test_unknown_key_without_a_close_match_lists_the_known_keys() -> None:
    problem = only("tools:\n  - type: file_search\n    zzz: 1\n")
    assert problem.message.startswith(
        "unknown key `zzz` in item 1 of `tools`; expected one of `max_num_results`"
    )
    assert problem.hint is None


def test_did_you_mean_ignores_words_too_far_apart() -> None:
    assert did_you_mean("modle", ["model", "metadata"]) == "model"
    assert did_you_mean("colour", ["model", "metadata"]) is None


def test_every_unknown_key_is_reported() -> None:
    found = check("temprature: 0.5\ntop-p: 1\n")
    assert [d.pointer for d in found] == ["/temprature", "/top-p"]


def test_missing_keys_point_where_the_key_belongs() -> None:
    doc = load_yaml_bytes(b"version: 1\nname: x\n", Path("s.yaml"), "s.yaml")
    found = schema_diagnostics(doc, validator_for("spec"))
    assert sorted(d.pointer for d in found) == ["/instructions", "/model"]
    assert all((d.line, d.column) == (1, 1) for d in found)


def test_one_of_chooses_the_branch_named_by_the_type_key() -> None:
    problem = only("tools:\n  - type: file_search\n    max_num_results: 0\n")
    assert problem.message == "`max_num_results` must be at least 1, got 0"
    assert problem.pointer == "/tools/0/max_num_results"


def test_one_of_chooses_the_mcp_branch_for_a_missing_key() -> None:
    problem = only("tools:\n  - {type: mcp, server_label: docs}\n")
    assert problem.message == "item 1 of `tools` needs `server_url` or `transport`"


def test_an_mcp_tool_with_both_transports_names_the_conflicting_keys() -> None:
    both = only(
        "tools:\n  - {type: mcp, server_label: a, server_url: 'https://x', transport: {type: stdio, command: c, cwd: /}}\n"
    )
    assert both.message == "item 1 of `tools`: `server_url` cannot be used together with `transport`"
    headers = only(
        "tools:\n  - {type: mcp, server_label: a, headers: {a: b}, transport: {type: stdio, command: c, cwd: /}}\n"
    )
    assert headers.message == "item 1 of `tools`: `headers` cannot be used together with `transport`"


def test_one_of_explains_a_value_of_no_accepted_type() -> None:
    problem = only("functions:\n  - {name: f, parameters: 5}\n")
    assert problem.message == "`parameters` must be a mapping or a string, got an integer (5)"


def test_one_of_keeps_the_enum_suggestion_for_a_misspelt_name() -> None:
    assert only("tools: [code_interpeter]\n").message.endswith("did you mean `code_interpreter`?")


def test_one_of_asks_for_one_of_the_keys_when_none_is_given() -> None:
    base = "version: 1\nname: helper\nmodel: gpt-5.4\n"
    (problem,) = check("instructions: {vars: {tone: calm}}\n", base=base)
    assert problem.message.startswith("`instructions` needs `template`, `inline` or")


def test_not_required_explains_which_keys_conflict() -> None:
    problem = only("tools: [file_search]\nknowledge: {files: [a.md], vector_store_id: vs_123}\n")
    assert problem.message == "`knowledge`: `vector_store_id` cannot be used together with `files`"


def test_property_names_errors_point_at_the_key() -> None:
    problem = only("metadata:\n  team: a\n  orchestrator.spec: b\n")
    assert problem.pointer == "/metadata/orchestrator.spec"
    assert (problem.line, problem.column) == (7, 3)
    assert "reserved prefix `orchestrator.`" in problem.message


def test_project_schema_required_by_target_type_says_why() -> None:
    base = "version: 1\nproject: p\n"
    (problem,) = check(
        "targets:\n  remote: {type: agents, base_url: 'https://x.test/v1'}\n", kind="project", base=base
    )
    assert (
        problem.message == "missing required key `api_key_env` in `remote` (required when `type` is `agents`)"
    )
    assert problem.pointer == "/targets/remote/api_key_env"


@pytest.mark.parametrize(
    ("pointer", "words"),
    [
        ("", "the document"),
        ("/temperature", "`temperature`"),
        ("/tools/2", "item 3 of `tools`"),
        ("/vars/a~1b", "`a/b`"),
    ],
)
def test_subject_names_a_value_for_a_sentence(pointer: str, words: str) -> None:
    assert subject(pointer) == words


BAD_SPECS = [
    "temperature: 3\ntop_p: -1\n",
    "tools: [file_serch, {type: mcp}]\nfunctions: [{name: 'a b', parameters: 1}]\n",
    "metadata: {" + ", ".join(f"k{i}: v" for i in range(15)) + "}\n",
    "response_format: {type: json_schema, json_schema: {name: x}}\n",
]


@pytest.mark.parametrize("extra", BAD_SPECS)
def test_the_fast_path_never_changes_the_diagnostics(extra: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with_fast_path = check(extra)
    monkeypatch.setitem(sys.modules, "jsonschema_rs", None)  # `import jsonschema_rs` now fails
    monkeypatch.setattr(schema_errors, "_compiled", {})
    assert check(extra) == with_fast_path
    assert with_fast_path


def test_values_the_fast_path_cannot_convert_fall_back_to_jsonschema() -> None:
    problem = only("metadata: {1: one}\n")
    assert problem.pointer == "/metadata/1"
