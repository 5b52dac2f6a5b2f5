"""`orchestrator import` end to end against the served emulator: import, validate, diff, apply, edit, apply."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import yaml

from tests.support.projects import make_project, write_spec
from tests.support.projects import run_in as cli

STRICT_PARAMS = {
    "type": "object",
    "properties": {"verb": {"type": "string"}, "tense": {"type": "string"}},
    "required": ["verb", "tense"],
    "additionalProperties": False,
}
LOOSE_PARAMS = {"type": "object", "properties": {"query": {"type": "string", "description": "Búsqueda"}}}
ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
    "additionalProperties": False,
}
TRICKY = (
    "Hola {{ learner }}! {% if x %}{# a comment #}{% endraw %} {%- raw -%} {{{{ }}}}\n"
    "Ñandú, 日本語, emoji 🎉, \u2018quotes\u2019 — and a tab\tand CRLF\r\n\n\n"
)


def files_under(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".orchestrator" not in p.parts
    }


def make_assistants(sdk: openai.OpenAI) -> list[Any]:
    """Assistants with every field kind the spec language expresses."""
    made = [
        sdk.beta.assistants.create(
            model="gpt-5.4",
            name="Spanish Tutor",
            description="Tutor for Spanish learners",
            instructions=TRICKY,
            tools=[
                {"type": "code_interpreter"},
                {
                    "type": "file_search",
                    "file_search": {
                        "max_num_results": 8,
                        "ranking_options": {"ranker": "auto", "score_threshold": 0.4},
                    },
                },
                {
                    "type": "function",
                    "function": {
                        "name": "conjugate",
                        "description": "Conjugate a verb",
                        "parameters": STRICT_PARAMS,
                        "strict": True,
                    },
                },
                {"type": "function", "function": {"name": "search", "parameters": LOOSE_PARAMS}},
            ],
            temperature=0.3,
            metadata={"team": "lingua", "tier": "gold"},
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": ANSWER_SCHEMA, "strict": True},
            },
        ),
        sdk.beta.assistants.create(
            model="gpt-5.4",
            name="Retail Analyst",
            instructions="Short {{ literal }}.",
            top_p=0.5,
            response_format={"type": "json_object"},
            tools=[{"type": "file_search"}],
        ),
        sdk.beta.assistants.create(model="gpt-4.1", instructions="", name="bare"),
    ]
    return made


def test_imported_assistants_validate_diff_only_the_adoption_and_apply_keeps_ids(
    project: Path, sdk: openai.OpenAI
) -> None:
    made = make_assistants(sdk)
    imported = cli(project, "import", "--all-unmanaged")
    assert imported.exit_code == 0, imported.output
    assert "Imported 3 assistants" in imported.stdout and "orchestrator diff" in imported.stdout
    assert sorted(p.name for p in (project / "specs").iterdir()) == [
        "bare.yaml",
        "retail-analyst.yaml",
        "spanish-tutor.yaml",
    ]
    assert "round trip is not exact" not in imported.output and "validate will fail" not in imported.output
    assert "validate warns: model `gpt-4.1` is announced to shut down" in imported.stdout
    assert cli(project, "validate").exit_code == 0

    planned = cli(project, "diff", "--output", "json")
    assert planned.exit_code == 2, planned.output
    plan = json.loads(planned.stdout)
    assert {c["id"] for c in plan["changes"]} == {a.id for a in made}
    for change in plan["changes"]:
        assert (change["action"], change["reason"], change["drift"]) == ("update", "adopt", False)
        assert [f["path"] for f in change["fields"]] == ["metadata.orchestrator.owner"]
    assert plan["summary"] == {"create": 0, "update": 3, "delete": 0, "noop": 0}
    text = cli(project, "diff")
    assert "adopt: an existing object is taken over, keeping its id" in text.stdout

    applied = cli(project, "apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert "0 created" in applied.stdout and applied.stdout.count(": adopted (") == 3
    live = {a.id: a for a in sdk.beta.assistants.list(limit=100)}
    assert set(live) == {a.id for a in made}
    for before in made:
        after = live[before.id]
        assert after.metadata["orchestrator.owner"].startswith("test-project/dev/")
        assert after.model_dump(exclude={"metadata"}) == before.model_dump(exclude={"metadata"})
    assert cli(project, "diff").exit_code == 0

    spec_file = project / "specs" / "spanish-tutor.yaml"
    data = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    data["temperature"] = 0.9
    spec_file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    assert cli(project, "apply", "--yes").exit_code == 0
    tutor = next(a for a in made if a.name == "Spanish Tutor")
    assert sdk.beta.assistants.retrieve(tutor.id).temperature == 0.9
    assert len(sdk.beta.assistants.list(limit=100).data) == 3
    assert cli(project, "diff").exit_code == 0


def test_instructions_with_jinja_syntax_and_non_ascii_survive_byte_exactly(
    project: Path, sdk: openai.OpenAI
) -> None:
    short = "Use {{ x }}, {% y %}, {# z #} and {% endraw %} — ñ 日本"
    long_text = TRICKY * 20
    ids = [
        sdk.beta.assistants.create(model="gpt-5.4", name=f"t{i}", instructions=text).id
        for i, text in enumerate([short, long_text, TRICKY])
    ]
    assert cli(project, "import", *ids).exit_code == 0
    assert (
        yaml.safe_load((project / "specs" / "t0.yaml").read_text(encoding="utf-8"))["instructions"] == short
    )
    assert (project / "templates" / "imported" / "t1.md").read_bytes() == long_text.encode("utf-8")
    assert (project / "templates" / "imported" / "t2.md").read_bytes() == TRICKY.encode("utf-8")
    rendered = cli(project, "render", "t2", "--output", "json")
    assert json.loads(rendered.stdout)["instructions"] == TRICKY
    assert cli(project, "apply", "--yes").exit_code == 0
    assert [sdk.beta.assistants.retrieve(i).instructions for i in ids] == [short, long_text, TRICKY]
    assert cli(project, "diff").exit_code == 0


def test_name_collisions_pick_new_names_and_never_overwrite(project: Path, sdk: openai.OpenAI) -> None:
    existing = write_spec(project, "tutor", display_name="Our own tutor")
    before = existing.read_bytes()
    for _ in range(2):
        sdk.beta.assistants.create(model="gpt-5.4", name="Tutor", instructions="x")
    result = cli(project, "import", "--all-unmanaged")
    assert result.exit_code == 0, result.output
    assert existing.read_bytes() == before
    assert sorted(p.name for p in (project / "specs").iterdir()) == [
        "tutor-2.yaml",
        "tutor-3.yaml",
        "tutor.yaml",
    ]
    assert cli(project, "validate").exit_code == 0


def test_name_from_id_names_specs_after_the_ids(project: Path, sdk: openai.OpenAI) -> None:
    made = sdk.beta.assistants.create(model="gpt-5.4", name="Tutor", instructions="x")
    assert cli(project, "import", made.id, "--name-from", "id").exit_code == 0
    assert (project / "specs" / f"{made.id.lower().replace('_', '-')}.yaml").is_file()


def test_objects_of_another_project_or_environment_are_refused(project: Path, sdk: openai.OpenAI) -> None:
    other_project = sdk.beta.assistants.create(
        model="gpt-5.4",
        name="Theirs",
        instructions="x",
        metadata={"orchestrator.owner": "other-team/dev/theirs"},
    )
    other_env = sdk.beta.assistants.create(
        model="gpt-5.4",
        name="Prod",
        instructions="x",
        metadata={"orchestrator.owner": "test-project/prod/prod"},
    )
    for made, why in [
        (other_project, "another project (other-team/dev/theirs)"),
        (other_env, "another environment (test-project/prod/prod)"),
    ]:
        refused = cli(project, "import", made.id)
        assert refused.exit_code == 1
        assert f"{made.id}: refused: owned by {why}" in refused.stderr
        assert "Nothing was written." in refused.stderr
    assert list((project / "specs").iterdir()) == []
    swept = cli(project, "import", "--all-unmanaged")
    assert swept.exit_code == 0 and "Nothing to import" in swept.stdout
    assert list((project / "specs").iterdir()) == []


def test_one_refused_id_writes_nothing_for_the_others(project: Path, sdk: openai.OpenAI) -> None:
    mine = sdk.beta.assistants.create(model="gpt-5.4", name="Mine", instructions="x")
    theirs = sdk.beta.assistants.create(
        model="gpt-5.4",
        name="Theirs",
        instructions="x",
        metadata={"orchestrator.owner": "other-team/dev/theirs"},
    )
    result = cli(project, "import", mine.id, theirs.id)
    assert result.exit_code == 1
    assert list((project / "specs").iterdir()) == []


def test_unknown_ids_are_reported(project: Path) -> None:
    result = cli(project, "import", "asst_doesnotexist")
    assert result.exit_code == 1
    assert "asst_doesnotexist: no assistant with this id on target `main`" in result.stderr


def test_import_needs_ids_or_all_unmanaged(project: Path) -> None:
    result = cli(project, "import")
    assert result.exit_code == 1 and "--all-unmanaged" in result.stderr


def test_managed_and_already_imported_objects_are_skipped(project: Path, sdk: openai.OpenAI) -> None:
    made = sdk.beta.assistants.create(model="gpt-5.4", name="Tutor", instructions="x")
    assert cli(project, "import", made.id).exit_code == 0
    again = cli(project, "import", made.id)
    assert again.exit_code == 0 and "already imported into specs/tutor.yaml" in again.stdout
    assert cli(project, "apply", "--yes").exit_code == 0
    managed = cli(project, "import", "--all-unmanaged")
    assert managed.exit_code == 0 and "already managed by spec `tutor`" in managed.stdout
    assert [p.name for p in (project / "specs").iterdir()] == ["tutor.yaml"]


def test_dry_run_prints_the_files_and_writes_nothing(project: Path, sdk: openai.OpenAI) -> None:
    sdk.beta.assistants.create(
        model="gpt-5.4", name="Tutor", instructions=TRICKY * 10, metadata={"team": "a"}
    )
    before = files_under(project)
    result = cli(project, "import", "--all-unmanaged", "--dry-run")
    assert result.exit_code == 0, result.output
    assert files_under(project) == before
    assert "--- specs/tutor.yaml (new file)" in result.stdout
    assert "--- templates/imported/tutor.md (new file)" in result.stdout
    assert "adopt_id: asst_" in result.stdout and "Dry run: nothing was written." in result.stdout


def test_large_parameter_schemas_are_written_to_schema_files(project: Path, sdk: openai.OpenAI) -> None:
    big = {
        "type": "object",
        "properties": {f"p{i}": {"type": "string", "enum": ["a", "b"]} for i in range(15)},
        "required": [f"p{i}" for i in range(15)],
        "additionalProperties": False,
    }
    sdk.beta.assistants.create(
        model="gpt-5.4",
        name="Filer",
        instructions="x",
        tools=[{"type": "function", "function": {"name": "file_it", "parameters": big, "strict": True}}],
    )
    assert cli(project, "import", "--all-unmanaged").exit_code == 0
    assert json.loads((project / "schemas" / "functions" / "file_it.json").read_text(encoding="utf-8")) == big
    spec = yaml.safe_load((project / "specs" / "filer.yaml").read_text(encoding="utf-8"))
    assert spec["functions"][0]["parameters"] == "../schemas/functions/file_it.json"
    planned = json.loads(cli(project, "diff", "--output", "json").stdout)
    assert [f["path"] for f in planned["changes"][0]["fields"]] == ["metadata.orchestrator.owner"]


def test_a_vector_store_is_imported_as_a_knowledge_reference(project: Path, sdk: openai.OpenAI) -> None:
    store = sdk.vector_stores.create(name="docs")
    sdk.beta.assistants.create(
        model="gpt-5.4",
        name="Reader",
        instructions="x",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_store_ids": [store.id]}},
    )
    assert cli(project, "import", "--all-unmanaged").exit_code == 0
    spec = yaml.safe_load((project / "specs" / "reader.yaml").read_text(encoding="utf-8"))
    assert spec["knowledge"] == {"vector_store_id": store.id}
    assert cli(project, "validate").exit_code == 0
    planned = json.loads(cli(project, "diff", "--output", "json").stdout)
    assert [f["path"] for f in planned["changes"][0]["fields"]] == ["metadata.orchestrator.owner"]


def test_an_inexact_round_trip_is_reported_and_shown_by_diff(project: Path, sdk: openai.OpenAI) -> None:
    made = sdk.beta.assistants.create(
        model="gpt-5.4", instructions="x", metadata={"orchestrator.legacy": "1"}
    )
    result = cli(project, "import", made.id)
    assert result.exit_code == 0
    assert "has no name" in result.stdout and "`orchestrator.legacy`" in result.stdout
    assert "apply will change `metadata`" in result.stdout and "apply will change `name`" in result.stdout


def test_agents_are_imported_on_an_agents_target(agents_project: Path, sdk: openai.OpenAI) -> None:
    project = agents_project
    agents = sdk.beta.agents
    made = [
        agents.create(
            model="gpt-5.4",
            name="Support Agent",
            instructions=TRICKY * 5,
            metadata={"team": "care"},
            tools=[
                {"type": "web_search", "context_size": "high", "allowed_domains": ["example.com"]},
                {
                    "type": "mcp",
                    "server_label": "crm",
                    "allowed_tools": ["lookup"],
                    "required": True,
                    "transport": {
                        "type": "http",
                        "server_url": "https://crm.example.com/mcp",
                        "headers": {"X-Team": "care"},
                    },
                },
                {
                    "type": "function",
                    "name": "refund",
                    "description": "Refund an order",
                    "parameters": STRICT_PARAMS,
                },
            ],
            reasoning={"effort": "high"},
            text={"verbosity": "low", "format": {"type": "json_schema", "schema": ANSWER_SCHEMA}},
            service_tier="flex",
        ),
        agents.create(model="gpt-5.4", name="Plain", instructions="Be brief {{ here }}."),
    ]
    imported = cli(project, "import", "--all-unmanaged")
    assert imported.exit_code == 0, imported.output
    assert "Imported 2 agents" in imported.stdout and "warning" not in imported.stdout
    assert cli(project, "validate").exit_code == 0
    plan = json.loads(cli(project, "diff", "--output", "json").stdout)
    assert [(c["action"], c["reason"], [f["path"] for f in c["fields"]]) for c in plan["changes"]] == [
        ("update", "adopt", ["metadata.orchestrator.owner"])
    ] * 2
    assert cli(project, "apply", "--yes").exit_code == 0
    assert {a.id for a in agents.list(limit=100)} == {a.id for a in made}
    assert cli(project, "diff").exit_code == 0

    spec_file = project / "specs" / "plain.yaml"
    spec_file.write_text(spec_file.read_text(encoding="utf-8") + "verbosity: high\n", encoding="utf-8")
    assert cli(project, "apply", "--yes").exit_code == 0
    assert agents.retrieve(made[1].id).text.verbosity == "high"
    assert cli(project, "diff").exit_code == 0


def test_import_on_an_assistants_target_never_sees_agents(
    tmp_path: Path, served: Any, sdk: openai.OpenAI, monkeypatch: Any
) -> None:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", "sk-test")
    project = make_project(tmp_path / "p", base_url=served.base_url)
    sdk.beta.agents.create(model="gpt-5.4", name="Agent only", instructions="x")
    result = cli(project, "import", "--all-unmanaged")
    assert result.exit_code == 0 and "Nothing to import" in result.stdout


def test_code_interpreter_files_are_imported_by_id_and_stay_attached(
    project: Path, sdk: openai.OpenAI
) -> None:
    uploaded = sdk.files.create(file=("verbs.csv", b"hablar,comer\n"), purpose="assistants")
    made = sdk.beta.assistants.create(
        model="gpt-5.4",
        name="Coder",
        instructions="x",
        tools=[{"type": "code_interpreter"}],
        tool_resources={"code_interpreter": {"file_ids": [uploaded.id]}},
    )
    result = cli(project, "import", made.id)
    assert result.exit_code == 0, result.output
    assert f"file_id: {uploaded.id}" in (project / "specs" / "coder.yaml").read_text()
    plan = json.loads(cli(project, "diff", "--output", "json").stdout)
    (change,) = plan["changes"]
    assert change["reason"] == "adopt"
    assert {f["path"] for f in change["fields"]} == {"metadata.orchestrator.owner"}
    assert cli(project, "apply", "--yes").exit_code == 0
    after = sdk.beta.assistants.retrieve(made.id)
    assert after.tool_resources.code_interpreter.file_ids == [uploaded.id]
    assert sdk.files.retrieve(uploaded.id).id == uploaded.id, "a referenced file is never deleted"
    assert cli(project, "diff").exit_code == 0


def test_a_saved_adoption_plan_applies_and_keeps_the_id(
    project: Path, sdk: openai.OpenAI, tmp_path: Path
) -> None:
    made = sdk.beta.assistants.create(model="gpt-5.4", name="Tutor", instructions="x")
    assert cli(project, "import", made.id).exit_code == 0
    plan_file = tmp_path / "adopt.plan.json"
    assert cli(project, "diff", "--out", str(plan_file)).exit_code == 2
    applied = cli(project, "apply", str(plan_file), "--yes")
    assert applied.exit_code == 0, applied.output
    assert f"assistant tutor: adopted ({made.id})" in applied.stdout
    assert [a.id for a in sdk.beta.assistants.list(limit=100)] == [made.id]
    assert cli(project, "diff").exit_code == 0


def test_import_output_json_is_the_mcp_tools_answer(project: Path, sdk: openai.OpenAI) -> None:
    """Issue 29: JSON output of import (only --events before), the same object the MCP `import` tool returns."""
    made = sdk.beta.assistants.create(model="gpt-5.4", name="Json Import", instructions="Be brief.")
    before = files_under(project)
    dry = cli(project, "import", made.id, "--dry-run", "--output", "json")
    assert dry.exit_code == 0, dry.output
    data = json.loads(dry.stdout)
    assert data["dry_run"] is True and data["written"] is False and data["skipped"] == []
    [item] = data["imported"]
    assert item["id"] == made.id and item["spec_file"] == f"specs/{item['name']}.yaml"
    assert item["files"][0]["path"] == item["spec_file"] and "Be brief." in item["files"][0]["text"]
    assert files_under(project) == before
    real = json.loads(cli(project, "import", made.id, "-o", "json").stdout)
    assert real["written"] is True and (project / real["imported"][0]["spec_file"]).is_file()
