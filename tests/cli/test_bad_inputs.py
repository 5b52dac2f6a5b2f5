"""One malformed input per folder of tests/bad_inputs: a positioned diagnostic and exit 1, never a traceback."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.projects import run_cli

BAD_INPUTS = Path(__file__).resolve().parents[1] / "bad_inputs"
TODAY = "2026-11-26"  # pins the model shutdown table: gpt-4-turbo is gone, gpt-4.1 is announced


@dataclass(frozen=True)
class Case:
    folder: str
    expected: tuple[str, ...]  # substrings of stderr: location, pointer, what was expected
    args: tuple[str, ...] = ()
    exit_code: int = 1


def case(folder: str, *expected: str, args: tuple[str, ...] = (), exit_code: int = 1) -> Case:
    return Case(folder, expected, args, exit_code)


def in_spec(folder: str, position: str, *expected: str, **options: Any) -> Case:
    """A case whose first expectation is a LINE:COLUMN in specs/helper.yaml, the spec most folders hold."""
    return case(folder, f"specs/helper.yaml:{position}:", *expected, **options)


CASES = [
    # YAML itself
    in_spec(
        "yaml_syntax_error",
        "6:1",
        "did not find expected ',' or ']'",
        "flow sequence started at line 5, column 8",
    ),
    in_spec("yaml_tab_indentation", "6:1", "tab character in indentation", "spaces"),
    in_spec("yaml_duplicate_key", "6:1", "duplicate key `temperature`", "first defined at line 5, column 1"),
    in_spec("yaml_python_tag", "4:15", "tag `!!python/object/apply:os.system` is not allowed"),
    in_spec("yaml_non_utf8_bytes", "5:17", "not valid UTF-8 (byte 0xe9)", "save the file as UTF-8"),
    in_spec("yaml_empty_file", "1:1", "file is empty; expected a YAML mapping"),
    in_spec("yaml_comment_only_file", "1:1", "only comments; expected a YAML mapping"),
    in_spec("yaml_two_documents", "5:1", "second YAML document", "holds exactly one"),
    in_spec("yaml_top_level_list", "1:1", "expected a mapping at the top of the spec, got a list"),
    in_spec("yaml_recursive_alias", "5:11", "recursive alias"),
    in_spec("yaml_alias_bomb", "6:21", "excessive aliasing", "as kubectl's YAML parser does"),
    # the spec schema
    in_spec(
        "schema_list_where_mapping_belongs", "5:11", "`metadata` must be a mapping, got a list", "[/metadata]"
    ),
    in_spec(
        "schema_wrong_type_temperature",
        "5:14",
        "`temperature` must be a number, got a string",
        "[/temperature]",
    ),
    in_spec("schema_wrong_version", "1:10", "`version` must be `1`, got `2`", "[/version]"),
    in_spec("schema_missing_model", "1:1", "missing required key `model`", "[/model]"),
    in_spec(
        "schema_temperature_out_of_range", "5:14", "`temperature` must be at most 2, got 3", "[/temperature]"
    ),
    in_spec(
        "schema_spend_limit_not_positive",
        "6:20",
        "`spend_limit_usd` must be greater than 0, got -2.5",
        "[/session/spend_limit_usd]",
    ),
    in_spec(
        "schema_spend_limit_unknown_key",
        "6:3",
        "unknown key `spend_limit` in `session`; did you mean `spend_limit_usd`?",
        "[/session/spend_limit]",
    ),
    in_spec("schema_top_p_negative", "5:8", "`top_p` must be at least 0, got -1", "[/top_p]"),
    in_spec(
        "schema_max_num_results_zero",
        "7:22",
        "`max_num_results` must be at least 1, got 0",
        "[/tools/0/max_num_results]",
    ),
    in_spec(
        "schema_unknown_key_did_you_mean",
        "5:1",
        "unknown key `temprature`; did you mean `temperature`?",
        "[/temprature]",
    ),
    in_spec(
        "schema_unknown_key_in_instructions",
        "6:3",
        "unknown key `varz` in `instructions`; did you mean `vars`?",
        "[/instructions/varz]",
    ),
    in_spec(
        "schema_instructions_wrong_type",
        "4:15",
        "`instructions` must be a string or a mapping, got a list",
        "[/instructions]",
    ),
    in_spec("schema_unknown_tool", "5:9", "got `file_serch`; did you mean `file_search`?", "[/tools/0]"),
    in_spec(
        "schema_bad_spec_name",
        "2:7",
        "invalid `name` `Customer_Helper`; expected lowercase letters",
        "[/name]",
    ),
    in_spec(
        "schema_bad_function_name",
        "6:11",
        "invalid `name` `get weather`; expected letters, digits",
        "[/functions/0/name]",
    ),
    in_spec(
        "schema_display_name_too_long",
        "5:15",
        "`display_name` is 257 characters long; the limit is 256",
        "[/display_name]",
    ),
    in_spec(
        "schema_metadata_too_many_keys",
        "6:3",
        "`metadata` has 15 keys; the limit is 14",
        "reserves 2 for ownership",
        "[/metadata]",
    ),
    in_spec(
        "schema_metadata_key_too_long",
        "6:3",
        "metadata key `kkk",
        "is 65 characters long; the limit is 64",
        "[/metadata/kkk",
    ),
    in_spec(
        "schema_metadata_value_too_long",
        "6:11",
        "`domain` is 513 characters long; the limit is 512",
        "[/metadata/domain]",
    ),
    in_spec(
        "schema_metadata_reserved_prefix",
        "6:3",
        "`orchestrator.project` uses the reserved prefix",
        "[/metadata/orchestrator.project]",
    ),
    in_spec(
        "schema_metadata_value_not_string",
        "6:13",
        "`priority` must be a string, got an integer",
        "[/metadata/priority]",
    ),
    # checks across fields and files
    case(
        "duplicate_spec_names",
        "specs/b.yaml:2:7:",
        "spec name `helper` is already used by specs/a.yaml:2:7",
        "[/name]",
    ),
    in_spec("duplicate_function_names", "7:11", "function `lookup` is defined twice", "[/functions/1/name]"),
    in_spec(
        "parameters_file_missing",
        "7:17",
        "file `schemas/lookup.json` not found",
        "relative to the spec file",
        "[/functions/0/parameters]",
    ),
    case(
        "parameters_file_invalid_json",
        "schemas/lookup.json:3:42:",
        "invalid JSON: Expecting property name",
        "used by specs/helper.yaml:7:17 [/functions/0/parameters]",
    ),
    case(
        "parameters_not_a_json_schema",
        "schemas/lookup.json:4:19:",
        "parameters of function `lookup`",
        "`type` must be one of `array`",
        "got `text`",
        "[/properties/q/type]",
        "used by specs/helper.yaml:7:17 [/functions/0/parameters]",
    ),
    in_spec(
        "parameters_inline_not_a_json_schema",
        "9:17",
        "`required` must be a list, got a string",
        "[/functions/0/parameters/required]",
    ),
    in_spec(
        "strict_missing_additional_properties",
        "9:7",
        "strict mode needs `additionalProperties: false`",
        "[/functions/0/parameters]",
    ),
    in_spec(
        "strict_property_not_required",
        "9:7",
        "strict mode needs every property listed in `required`",
        "missing: `limit`",
        "[/functions/0/parameters]",
    ),
    case(
        "strict_nested_object_not_closed",
        "schemas/lookup.json:4:15:",
        "strict mode needs `additionalProperties: false`",
        "property `filter`",
        "[/properties/filter]",
        "used by specs/helper.yaml:8:17 [/functions/0/parameters]",
    ),
    # templates
    in_spec(
        "template_missing",
        "5:13",
        "template `helper.md.j2` not found in `templates`",
        "[/instructions/template]",
    ),
    in_spec(
        "template_path_escapes_folder",
        "5:13",
        "template `../secrets.txt` is outside the templates folder",
        "[/instructions/template]",
    ),
    case(
        "template_syntax_error",
        "templates/helper.md.j2:4:",
        "template syntax error: Unexpected end of template",
        "rendering the instructions of specs/helper.yaml:5:13 [/instructions/template]",
    ),
    case(
        "template_syntax_error_in_partial",
        "templates/partials/style.md.j2:2:",
        "template syntax error",
        "specs/helper.yaml:5:13 [/instructions/template]",
    ),
    case(
        "template_undefined_variable",
        "templates/helper.md.j2:1:13:",
        "undefined variable `company`",
        "specs/helper.yaml:5:13 [/instructions/template]",
    ),
    in_spec(
        "template_undefined_variable_inline",
        "5:11",
        "undefined variable `customer`",
        "[/instructions/inline]",
    ),
    case(
        "sandbox_class_mro",
        "templates/helper.md.j2:2:7:",
        "the sandbox blocked access to `__class__`",
        "specs/helper.yaml:5:13 [/instructions/template]",
    ),
    case(
        "sandbox_cycler_globals",
        "templates/helper.md.j2:2:11:",
        "the sandbox blocked access to `__init__`",
        "specs/helper.yaml:5:13 [/instructions/template]",
    ),
    case(
        "template_filter_width_bomb",
        "templates/helper.md.j2:1:",
        "template refused: `center` with a width of 2,000,000,000; the limit is 1,000,000",
        "specs/helper.yaml:5:13",
    ),
    case(
        "template_format_width_bomb",
        "templates/helper.md.j2:1:",
        "template refused: a format width of 2,000,000,000",
    ),
    case(
        "template_concat_doubling",
        "templates/helper.md.j2:3:",
        "text joined with `~` would be longer than 1,000,000",
    ),
    in_spec(
        "instructions_too_long",
        "5:3",
        "rendered instructions are 260,000 characters long",
        "the API allows 256,000",
        "[/instructions]",
    ),
    # models
    in_spec("model_shut_down", "3:8", "model `gpt-4-turbo` was shut down on 2026-10-23", "[/model]"),
    case(
        "model_announced_shutdown_warns",
        "specs/helper.yaml:3:8: warning:",
        "`gpt-4.1` is announced to shut down on 2027-01-14",
        "[/model]",
        "0 errors, 1 warning",
        "1 spec valid",
        exit_code=0,
    ),
    case(
        "model_typo_did_you_mean",
        "specs/helper.yaml:3:8: warning: model `gtp-5` is not in this version's table",
        "did you mean `gpt-5`?",
        "[/model]",
        exit_code=0,
    ),
    case(
        "every_problem_in_one_run",
        "specs/helper.yaml:3:8: warning: model `gpt-4.l`",
        "did you mean `gpt-4.1`",
        "specs/helper.yaml:5:9: error: the `web_search` tool is not supported by target `local`",
        "[/tools/0]",
        "specs/helper.yaml:6:14: error: `temperature` must be at most 2, got 3",
        "[/temperature]",
        "2 errors, 1 warning",
    ),
    case(
        "warnings_only",
        "warning: model `gpt-4.1`",
        "warning: both `temperature` and `top_p`",
        "0 errors, 2 warnings",
        exit_code=0,
    ),
    # what the environment's backend cannot take
    case(
        "agents_backend_unsupported_fields",
        "specs/helper.yaml:5:14: error: `description` is not supported by target `local-agents` (backend: agents) [/description]",
        "hint: the Agents API has no description; set `agents: {description_to_metadata: true}`",
        "specs/helper.yaml:6:14: warning: `temperature` is not deployed to target `local-agents`",
        "[/temperature]",
        "specs/helper.yaml:10:13: warning: `strict: true` on a function is not deployed",
        "[/functions/0/strict]",
        "specs/helper.yaml:12:18: error: `response_format: json_object` is not supported",
        "[/response_format]",
        "2 errors, 2 warnings",
        args=("-e", "agents"),
    ),
    case(
        "agents_backend_ignored_field",
        "specs/helper.yaml:6:10: warning: `compaction.async` is not deployed to target `local-agents` (backend: agents): the Agents API ignores it since openai 3.63.0",
        "[/compaction/async]",
        "hint: remove it to silence this warning",
        "0 errors, 1 warning",
        args=("-e", "agents"),
        exit_code=0,
    ),
    # an environment's accepted differences (`accept:` in orchestrator.yaml)
    case(
        "accept_unknown_field",
        "orchestrator.yaml:7:17: error: `temprature` is not a field any target deploys without; did you mean `temperature`?",
        "[/environments/agents/accept/0/field]",
        args=("-e", "agents"),
    ),
    case(
        "accept_unknown_spec",
        "orchestrator.yaml:7:16: error: unknown spec `helpr`; did you mean `helper`?",
        "[/environments/agents/accept/0/spec]",
        args=("-e", "agents"),
    ),
    case(
        "accept_unknown_key",
        "orchestrator.yaml:7:10: error: unknown key `feild` in item 1 of `accept`; did you mean `field`?",
        "[/environments/agents/accept/0/feild]",
        args=("-e", "agents"),
    ),
    case(
        "accept_matches_nothing_warns",
        "orchestrator.yaml:8:9: warning: accepted difference `functions/*/strict` matches no warning in environment `agents` (target `local-agents`) [/environments/agents/accept/1]",
        "hint: remove it from `accept:`",
        "0 errors, 1 warning",
        "1 accepted difference in environment agents (see orchestrator.yaml:7",
        args=("-e", "agents"),
        exit_code=0,
    ),
    # knowledge files
    in_spec(
        "knowledge_glob_matches_nothing", "7:11", "`knowledge/*.md` matches no file", "[/knowledge/files/0]"
    ),
    in_spec(
        "knowledge_without_file_search", "6:3", "`knowledge` needs the `file_search` tool", "[/knowledge]"
    ),
    in_spec(
        "knowledge_unsupported_file_type",
        "7:11",
        "file type `.png` is not supported by file_search",
        "[/knowledge/files/0]",
    ),
    # the project file and the command line
    case(
        "project_unknown_target",
        "orchestrator.yaml:4:17:",
        "unknown target `staging`",
        "defines: `local`",
        "[/environments/dev/target]",
    ),
    case(
        "project_unknown_key",
        "orchestrator.yaml:3:1:",
        "unknown key `enviroments`; did you mean `environments`?",
        "[/enviroments]",
    ),
    case("project_missing_name", "orchestrator.yaml:1:1:", "missing required key `project`", "[/project]"),
    case(
        "project_remote_target_without_api_key_env",
        "orchestrator.yaml:6:11:",
        "missing required key `api_key_env`",
        "required when `type` is `assistants`",
        "[/targets/openai/api_key_env]",
    ),
    case(
        "project_assistants_target_on_openai",
        "orchestrator.yaml:6:40: error: target `openai`: the Assistants API was sunset on api.openai.com on 2026-08-26",
        "[/targets/openai/base_url]",
        "use `type: agents`",
        args=("-e", "prod"),
    ),
    case(
        "project_assistants_target_on_openai_unused_warns",
        "orchestrator.yaml:7:40: warning: target `openai`: the Assistants API was sunset",
        "1 spec valid",
        exit_code=0,
    ),
    case(
        "project_yaml_syntax_error",
        "orchestrator.yaml:4:1:",
        "invalid YAML",
        "flow mapping started at line 3, column 7",
    ),
    case(
        "unknown_environment_flag",
        "unknown environment `staging`",
        "orchestrator.yaml defines: `dev`",
        args=("-e", "staging"),
    ),
    case("no_project_file", "no orchestrator.yaml found in", "or any parent folder", "pass -C DIR"),
    # behaviour tests (kind: test)
    case(
        "test_unknown_tool_did_you_mean",
        "specs/helper-test.yaml:10:26:",
        "spec `helper` has no function `lookpu`; did you mean `lookup`?",
        "[/cases/0/turns/0/expect/0/tool_called]",
    ),
    case(
        "test_unknown_spec_did_you_mean",
        "specs/helper-test.yaml:4:7:",
        "unknown spec `helpr`; did you mean `helper`?",
        "[/spec]",
    ),
    case(
        "test_unknown_expectation_key",
        "specs/helper-test.yaml:10:13:",
        "unknown key `tool_caled`",
        "did you mean `tool_called`?",
    ),
    case(
        "test_step_after_reply",
        "specs/helper-test.yaml:10:13:",
        "`reply` ends the turn",
        "[/cases/0/turns/0/model/0/reply]",
    ),
]


def test_every_bad_input_folder_has_a_case() -> None:
    folders = {p.name for p in BAD_INPUTS.iterdir() if p.is_dir()}
    assert folders == {case.folder for case in CASES}
    assert len(CASES) >= 35


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORCHESTRATOR_TODAY", TODAY)


def copy_case(folder: str, tmp_path: Path) -> Path:
    """A copy outside the repository, so no parent orchestrator.yaml is found and nothing is written here."""
    target = tmp_path / folder
    shutil.copytree(BAD_INPUTS / folder, target)
    return target


@pytest.mark.parametrize("case", CASES, ids=[case.folder for case in CASES])
def test_bad_input_gets_a_positioned_diagnostic(case: Case, tmp_path: Path) -> None:
    project = copy_case(case.folder, tmp_path)
    result = run_cli(["validate", "-C", str(project), *case.args])
    assert result.exit_code == case.exit_code, result.output
    for expected in case.expected:
        assert expected in result.stderr, f"{expected!r} not in:\n{result.stderr}"
    assert "Traceback" not in result.output
    assert "unexpected" not in result.stderr  # the crash handler's wording


@pytest.mark.parametrize("case", CASES, ids=[case.folder for case in CASES])
def test_bad_input_as_json_is_the_documented_list(case: Case, tmp_path: Path) -> None:
    project = copy_case(case.folder, tmp_path)
    result = run_cli(["validate", "-C", str(project), *case.args, "--output", "json"])
    assert result.exit_code == case.exit_code, result.output
    items = json.loads(result.stdout)
    assert items, "a failing or warning run lists at least one diagnostic"
    for item in items:
        assert {"file", "line", "column", "pointer", "message", "severity"} <= set(item)
        assert set(item) <= {"file", "line", "column", "pointer", "message", "severity", "hint", "code"}
        assert item["severity"] in ("error", "warning")
    assert any(item["severity"] == "error" for item in items) == (case.exit_code == 1)
    assert "Traceback" not in result.output
