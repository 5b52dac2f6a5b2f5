"""Migration without edits: this repository's own tutor (knowledge files, code files, code_interpreter,
file_search, description, temperature, strict functions) deploys to an Agents API target by changing
only the target, through the CLI, on the embedded emulator the repository's orchestrator.yaml names.
The live objects are read back with the openai SDK over HTTP from a server on the same database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.projects import run_in, write

LINE = (
    "Reference files are in /workspace/knowledge/ and data files in /workspace/data/; "
    "read them with shell commands."
)
CALL = (
    '/call generate_exercise {"topic": "subjuntivo", "level": "B1", "kind": "fill_in_the_blank", "count": 2}'
)
ON_AGENTS = ["-e", "dev", "-t", "local-agents"]
TEMPLATE_FILES = [
    "/workspace/data/verbs.csv",
    "/workspace/knowledge/subjuntivo.md",
    "/workspace/knowledge/vocabulario.md",
]


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)  # never needed by the local targets; must never be printed
    monkeypatch.setenv("ORCHESTRATOR_TODAY", "2026-11-26")


cli = partial(run_in, hidden=(TEST_KEY,))


@contextmanager
def live(root: Path) -> Iterator[openai.OpenAI]:
    """The SDK on a server over the clone's embedded database (what `local` and `local-agents` use)."""
    with (
        EmulatorServer(root / ".orchestrator" / "local.db") as server,
        openai.OpenAI(base_url=server.base_url, api_key=TEST_KEY, max_retries=0) as sdk,
    ):
        yield sdk


def templates(sdk: openai.OpenAI) -> list[Any]:
    return list(sdk.beta.agents.environments.templates.list(limit=100).data)


def template_uploads(sdk: openai.OpenAI) -> list[Any]:
    return [f for f in sdk.files.list().data if f.filename.startswith("orchestrator--")]


def set_project(root: Path, **changes: Any) -> None:
    path = root / "orchestrator.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def edit_tutor(root: Path, **changes: Any) -> None:
    path = root / "specs" / "spanish-tutor.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def test_the_repo_tutor_validates_on_an_agents_target_with_a_warning_per_undeployed_field(
    clone: Path,
) -> None:
    result = cli(clone, "validate", *ON_AGENTS, "--output", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert {d["severity"] for d in found} == {"warning"}
    assert sorted((d["pointer"], d["line"]) for d in found) == [
        ("/functions/0/strict", 16),
        ("/functions/1/strict", 21),
        ("/temperature", 23),
    ]
    [temperature] = [d for d in found if d["pointer"] == "/temperature"]
    assert temperature["message"] == (
        "`temperature` is not deployed to target `local-agents` (backend: agents): "
        "the Agents API has no sampling temperature"
    )
    text = cli(clone, "validate", "-e", "agents")
    assert text.exit_code == 0, text.output
    assert (
        "2 specs valid (environment agents, target local-agents, backend agents), and 2 behaviour tests; "
        "environment templates synthesised for: spanish-tutor"
    ) in text.stderr


def test_the_repo_tutor_migrates_by_changing_only_the_target(clone: Path) -> None:
    plan = cli(clone, "diff", *ON_AGENTS)
    assert plan.exit_code == 2, plan.output
    out = plan.stdout
    assert out.index("+ environment spanish-tutor will be created") < out.index(
        "+ agent spanish-tutor will be created"
    )
    for line in (
        "+ file /workspace/knowledge/subjuntivo.md from specs/knowledge/tutor/subjuntivo.md (1,473 bytes)",
        "+ file /workspace/data/verbs.csv from specs/data/verbs.csv (323 bytes)",
        "note: synthesised for agent spanish-tutor from its knowledge and code files (owned, deleted with it)",
        f"+ {LINE}",
        "uses environment spanish-tutor (created in this plan)",
        "note: knowledge files -> environment spanish-tutor at /workspace/knowledge/ (file_search becomes command search)",
        "note: code files -> environment spanish-tutor at /workspace/data/",
        "note: code_interpreter -> command execution in environment spanish-tutor",
        "note: description -> metadata.description (agents.description_to_metadata)",
        "+ file specs/knowledge/tutor/subjuntivo.md will be created",  # uploads are file nodes the template uses
        "uses file specs/data/verbs.csv (created in this plan)",
        "Plan: 6 to create, 0 to update, 0 to delete, 0 unchanged.",  # 3 files, the template, 2 agents
    ):
        assert line in out, line
    assert "warning: `temperature` is not deployed to target `local-agents`" in plan.stderr

    applied = cli(clone, "apply", *ON_AGENTS, "--yes")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 6 created, 0 updated, 0 deleted, 0 failed." in applied.stdout
    again = cli(clone, "diff", *ON_AGENTS)
    assert again.exit_code == 0, again.output
    assert "No changes. 6 objects in sync." in again.stdout

    ran = cli(clone, "run", "spanish-tutor", *ON_AGENTS, "-m", CALL, "-o", "json")
    assert ran.exit_code == 0, ran.output
    reply = json.loads(ran.stdout)
    [call] = reply["tool_calls"]
    assert call["ok"] is True
    assert [e["answer"] for e in json.loads(call["output"])["exercises"]] == ["vengas", "lleguemos"]

    with live(clone) as sdk:
        [template] = templates(sdk)
        assert template.name.startswith("language-platform/dev/spanish-tutor#")
        assert sorted(f.path for f in template.files) == TEMPLATE_FILES
        uploads = {f.id: f for f in template_uploads(sdk)}
        sizes = {f.path: uploads[f.file_id].bytes for f in template.files}
        assert sizes == {
            "/workspace/data/verbs.csv": 323,
            "/workspace/knowledge/subjuntivo.md": 1473,
            "/workspace/knowledge/vocabulario.md": 759,
        }
        [agent] = [a for a in sdk.beta.agents.list().data if a.name == "Spanish Language Tutor"]
        assert agent.instructions.endswith("\n\n" + LINE)
        assert agent.metadata["description"] == "Specialised tutor for Spanish learners"
        assert agent.metadata["orchestrator.environment"] == "spanish-tutor"
        assert [t.type for t in agent.tools] == ["function", "function"]  # no tool entry for code_interpreter
        session = sdk.beta.agents.sessions.retrieve(reply["thread_id"])
        assert session.agent.id == agent.id
        assert session.environment.type == "openai_hosted"
        assert sorted((f.path, f.file_id) for f in session.environment.files) == sorted(
            (f.path, f.file_id) for f in template.files
        )  # made from the synthesised template

    # the `agents` environment of this repository deploys the tutor too; the assistants `dev` is unchanged
    other = cli(clone, "apply", "-e", "agents", "--yes")
    assert other.exit_code == 0, other.output
    assert cli(clone, "run", "spanish-tutor", "-e", "agents", "-m", CALL).exit_code == 0
    dev = cli(clone, "apply", "-e", "dev", "--yes")
    assert dev.exit_code == 0, dev.output
    assert "assistant spanish-tutor: created" in dev.stdout
    with live(clone) as sdk:
        [assistant] = [a for a in sdk.beta.assistants.list().data if a.name == "Spanish Language Tutor"]
        assert sorted(t.type for t in assistant.tools) == [
            "code_interpreter",
            "file_search",
            "function",
            "function",
        ]
        assert (
            assistant.description == "Specialised tutor for Spanish learners" and assistant.temperature == 0.7
        )
        assert LINE not in (assistant.instructions or "")
        assert len(templates(sdk)) == 2  # dev's and agents' templates, each owned by its environment
    assert (
        cli(clone, "diff", *ON_AGENTS).exit_code == 0
    )  # the assistants apply left the templates' files alone


def test_render_on_the_agents_target_shows_the_instructions_line_and_the_description(clone: Path) -> None:
    result = cli(clone, "render", "spanish-tutor", *ON_AGENTS, "-o", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["instructions"].endswith("\n\n" + LINE)
    assert payload["metadata"]["description"] == "Specialised tutor for Spanish learners"
    assert payload["metadata"]["orchestrator.environment"] == "spanish-tutor"
    assert [t["name"] for t in payload["tools"]] == ["assess_pronunciation", "generate_exercise"]
    assert all("strict" not in t for t in payload["tools"])
    assert "temperature" not in payload and "description" not in payload
    on_assistants = json.loads(cli(clone, "render", "spanish-tutor", "-o", "json").stdout)
    assert LINE not in on_assistants["instructions"] and on_assistants["description"]


def test_description_is_an_error_naming_the_setting_unless_the_project_asks_for_metadata(clone: Path) -> None:
    set_project(clone, agents=None)
    result = cli(clone, "validate", *ON_AGENTS, "--output", "json")
    assert result.exit_code == 1
    [problem] = [d for d in json.loads(result.stdout) if d["severity"] == "error"]
    assert (problem["pointer"], problem["line"]) == ("/description", 6)
    assert "`agents: {description_to_metadata: true}`" in problem["hint"]
    assert cli(clone, "validate", "-e", "dev").exit_code == 0  # the assistants target takes it as it is
    set_project(clone, agents={"description_to_metadata": False})
    assert cli(clone, "validate", *ON_AGENTS).exit_code == 1
    set_project(clone, agents={"description_to_metadata": "yes"})
    bad = cli(clone, "validate")
    assert (
        bad.exit_code == 1
        and "orchestrator.yaml" in bad.stderr
        and "/agents/description_to_metadata" in bad.stderr
    )


def test_description_in_metadata_counts_against_the_metadata_limit(clone: Path) -> None:
    edit_tutor(clone, metadata={f"k{i}": "v" for i in range(13)})
    result = cli(clone, "validate", *ON_AGENTS)
    assert result.exit_code == 1
    assert "17 metadata keys on target `local-agents`; the API allows 16" in result.stderr
    edit_tutor(clone, metadata={"description": "mine"})
    clash = cli(clone, "validate", *ON_AGENTS)
    assert clash.exit_code == 1 and "metadata key `description` is set" in clash.stderr


def test_an_explicit_environment_beside_knowledge_files_is_an_error_with_a_merge_hint(clone: Path) -> None:
    write(clone / "specs" / "tutor-env.yaml", "version: 1\nkind: environment\nname: tutor-env\n")
    edit_tutor(clone, environment="tutor-env")
    result = cli(clone, "validate", *ON_AGENTS, "--output", "json")
    assert result.exit_code == 1
    [problem] = [d for d in json.loads(result.stdout) if d["severity"] == "error"]
    assert problem["pointer"] == "/environment" and problem["line"] is not None
    assert problem["message"].startswith("`environment: tutor-env` and knowledge or code files")
    assert "merge the files into environment `tutor-env`" in problem["hint"]


def test_plan_json_carries_the_notes_and_the_warnings(clone: Path, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    result = cli(clone, "diff", *ON_AGENTS, "--output", "json", "--out", str(saved))
    assert result.exit_code == 2, result.output
    data = json.loads(result.stdout)
    [agent] = [c for c in data["changes"] if (c["kind"], c["name"]) == ("agent", "spanish-tutor")]
    assert "code_interpreter -> command execution in environment spanish-tutor" in agent["notes"]
    assert sorted(d["pointer"] for d in data["diagnostics"]) == [
        "/functions/0/strict",
        "/functions/1/strict",
        "/temperature",
    ]
    applied = cli(clone, "apply", *ON_AGENTS, str(saved), "--yes")
    assert applied.exit_code == 0, applied.output
    assert "note: code files -> environment spanish-tutor at /workspace/data/" in applied.stdout


def test_one_edited_knowledge_file_is_one_upload_and_one_template_update(clone: Path) -> None:
    assert cli(clone, "apply", *ON_AGENTS, "--yes").exit_code == 0
    with live(clone) as sdk:
        before = {f.id for f in template_uploads(sdk)}
        [template] = templates(sdk)
    assert len(before) == 3
    note = clone / "specs" / "knowledge" / "tutor" / "vocabulario.md"
    note.write_text(note.read_text(encoding="utf-8") + "- la playa: the beach\n", encoding="utf-8")
    plan = cli(clone, "diff", *ON_AGENTS)
    assert plan.exit_code == 2 and "Plan: 1 to create, 1 to update, 0 to delete, 4 unchanged." in plan.stdout
    assert "~ environment spanish-tutor" in plan.stdout and "~ agent" not in plan.stdout
    assert (
        "+ file specs/knowledge/tutor/vocabulario.md will be created" in plan.stdout
    )  # the new bytes' upload
    assert (
        "~ file /workspace/knowledge/vocabulario.md from specs/knowledge/tutor/vocabulario.md "
        "(759 bytes -> 781 bytes, content changed)"
    ) in plan.stdout
    applied = cli(clone, "apply", *ON_AGENTS, "--yes")
    assert applied.exit_code == 0, applied.output
    assert f"environment spanish-tutor: updated ({template.id})" in applied.stdout
    with live(clone) as sdk:
        added = [f for f in template_uploads(sdk) if f.id not in before]
        [changed] = added
        assert changed.filename.endswith("specs__knowledge__tutor__vocabulario.md")
        [after] = templates(sdk)
        assert {f.path: f.file_id for f in after.files}["/workspace/knowledge/vocabulario.md"] == changed.id
    assert cli(clone, "diff", *ON_AGENTS).exit_code == 0


def test_destroy_deletes_the_agent_before_its_synthesised_template(clone: Path) -> None:
    assert cli(clone, "apply", *ON_AGENTS, "--yes").exit_code == 0
    result = cli(clone, "destroy", *ON_AGENTS, "--yes")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("agent spanish-tutor: deleted") < out.index("environment spanish-tutor: deleted")
    with live(clone) as sdk:
        assert templates(sdk) == [] and sdk.beta.agents.list().data == []


def test_destroy_removes_the_uploads_it_made_for_the_template_and_no_other_file(clone: Path) -> None:
    assert cli(clone, "apply", *ON_AGENTS, "--yes").exit_code == 0
    with live(clone) as sdk:
        assert len(template_uploads(sdk)) == 3
        foreign = [
            sdk.files.create(file=(name, b"not ours\n"), purpose="assistants").id
            for name in ("notes.md", "orchestrator--other-project--0123456789abcdef--specs__data__verbs.csv")
        ]
    result = cli(clone, "destroy", *ON_AGENTS, "--yes")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "- file specs/data/verbs.csv (file-" in out and "will be deleted [destroy]" in out
    assert out.index("environment spanish-tutor: deleted") < out.index("file specs/data/verbs.csv: deleted")
    assert "Destroy complete: 6 deleted, 0 failed." in out  # 2 agents, the template, its 3 uploads
    with live(clone) as sdk:
        assert [f.id for f in template_uploads(sdk) if "language-platform" in f.filename] == []
        assert sorted(f.id for f in sdk.files.list().data) == sorted(foreign)
    plan = cli(clone, "diff", *ON_AGENTS)
    assert plan.exit_code == 2 and "Plan: 6 to create, 0 to update, 0 to delete, 0 unchanged." in plan.stdout
    again = cli(clone, "destroy", *ON_AGENTS, "--yes")
    assert again.exit_code == 0 and "Nothing to destroy" in again.stdout, again.output


@pytest.mark.parametrize("first", ["assistants", "agents"])
def test_destroy_on_one_protocol_keeps_the_uploads_the_other_still_uses(clone: Path, first: str) -> None:
    """`local` and `local-agents` share one database and one upload per (path, bytes): destroying either side
    leaves the files the other side's store, assistant or template uses; the second destroy removes them."""
    assistants, agents = ["-e", "dev"], ON_AGENTS
    assert cli(clone, "apply", *agents, "--yes").exit_code == 0
    assert cli(clone, "apply", *assistants, "--yes").exit_code == 0
    with live(clone) as sdk:
        uploads = {f.id for f in template_uploads(sdk)}
    assert len(uploads) == 3  # shared by the vector store, the assistant's code files and the template
    gone, kept = (assistants, agents) if first == "assistants" else (agents, assistants)
    result = cli(clone, "destroy", *gone, "--yes")
    assert result.exit_code == 0, result.output
    assert "file specs/" not in result.stdout
    assert cli(clone, "diff", *kept).exit_code == 0  # the other side is whole
    with live(clone) as sdk:
        assert {f.id for f in template_uploads(sdk)} == uploads
    result = cli(clone, "destroy", *kept, "--yes")
    assert result.exit_code == 0, result.output
    assert (
        result.stdout.count("will be deleted [destroy]") == 6
    )  # 2 agents or assistants, template or store, 3 files
    with live(clone) as sdk:
        assert template_uploads(sdk) == []


def test_destroy_keeps_an_upload_someone_attached_to_a_store_of_their_own(clone: Path) -> None:
    assert cli(clone, "apply", *ON_AGENTS, "--yes").exit_code == 0
    with live(clone) as sdk:
        [csv] = [f for f in template_uploads(sdk) if f.filename.endswith("verbs.csv")]
        store = sdk.vector_stores.create(name="someone else's", file_ids=[csv.id])
    result = cli(clone, "destroy", *ON_AGENTS, "--yes")
    assert result.exit_code == 0, result.output
    assert "file specs/data/verbs.csv" not in result.stdout and "Destroy complete: 5 deleted" in result.stdout
    with live(clone) as sdk:
        assert [f.id for f in template_uploads(sdk)] == [csv.id]
        assert [f.id for f in sdk.vector_stores.files.list(store.id).data] == [csv.id]


def test_destroy_keeps_the_uploads_another_environment_uses(clone: Path) -> None:
    """Two environments on the agents target share the uploads of the same bytes: destroying one keeps them."""
    assert cli(clone, "apply", *ON_AGENTS, "--yes").exit_code == 0
    assert cli(clone, "apply", "-e", "agents", "--yes").exit_code == 0
    result = cli(clone, "destroy", *ON_AGENTS, "--yes")
    assert result.exit_code == 0 and "file specs/" not in result.stdout, result.output
    assert cli(clone, "diff", "-e", "agents").exit_code == 0
    with live(clone) as sdk:
        assert len(template_uploads(sdk)) == 3
    result = cli(clone, "destroy", "-e", "agents", "--yes")
    assert result.exit_code == 0 and result.stdout.count("file specs/") == 6, (
        result.output
    )  # planned, deleted
    with live(clone) as sdk:
        assert template_uploads(sdk) == []


def test_dropping_the_files_leaves_an_orphan_template_that_prune_deletes_after_the_agent_update(
    clone: Path,
) -> None:
    assert cli(clone, "apply", *ON_AGENTS, "--yes").exit_code == 0
    path = clone / "specs" / "spanish-tutor.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key in ("knowledge", "code_files"):
        data.pop(key)
    data["tools"] = ["file_search"]  # nothing to search and no environment: a plain agent
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    plan = cli(clone, "diff", *ON_AGENTS, "--prune")
    assert plan.exit_code == 2, plan.output
    assert "- environment spanish-tutor" in plan.stdout and f"-{LINE}" in plan.stdout
    assert "warning: the `file_search` tool is not deployed to target `local-agents`" in plan.stderr
    applied = cli(clone, "apply", *ON_AGENTS, "--prune", "--yes")
    assert applied.exit_code == 0, applied.output
    assert applied.stdout.index("agent spanish-tutor: updated") < applied.stdout.index(
        "environment spanish-tutor: deleted"
    )
    assert cli(clone, "diff", *ON_AGENTS).exit_code == 0


def test_the_assistants_file_cleanup_on_a_shared_database_never_takes_a_templates_files(clone: Path) -> None:
    """`local` and `local-agents` share one database: an assistants apply that garbage-collects knowledge
    files leaves the files of the agents' templates alone (they are uploaded under a prefix of their own)."""
    assert cli(clone, "apply", *ON_AGENTS, "--yes").exit_code == 0
    assert cli(clone, "apply", "-e", "dev", "--yes").exit_code == 0
    note = clone / "specs" / "knowledge" / "tutor" / "vocabulario.md"
    note.write_text(note.read_text(encoding="utf-8") + "- el mar: the sea\n", encoding="utf-8")
    assert (
        cli(clone, "apply", "-e", "dev", "--yes").exit_code == 0
    )  # replaces the old file in its store, deletes it
    plan = cli(clone, "diff", *ON_AGENTS, "--output", "json")
    assert plan.exit_code == 2, plan.output
    [change] = [c for c in json.loads(plan.stdout)["changes"] if c["action"] != "noop"]
    assert (change["kind"], change["reason"], change["drift"]) == ("environment", "spec_changed", False)


def test_an_automation_runs_the_migrated_tutor_in_its_synthesised_template(clone: Path) -> None:
    write(
        clone / "specs" / "daily-practice.yaml",
        'version: 1\nkind: automation\nname: daily-practice\ntype: periodic\nexpression: "0 7 * * *"\n'
        "timezone: Europe/Madrid\n"
        'target: {agent: spanish-tutor, environment: spanish-tutor, input: "Set today\'s exercise."}\n',
    )
    assert cli(clone, "validate", *ON_AGENTS).exit_code == 0
    applied = cli(clone, "apply", *ON_AGENTS, "--yes")
    assert applied.exit_code == 0, applied.output
    out = applied.stdout
    assert (
        out.index("environment spanish-tutor: created")
        < out.index("agent spanish-tutor: created")
        < out.index("automation daily-practice: created")
    )
    assert cli(clone, "diff", *ON_AGENTS).exit_code == 0
    with live(clone) as sdk:
        [template] = templates(sdk)
        [agent] = [a for a in sdk.beta.agents.list().data if a.name == "Spanish Language Tutor"]
        [automation] = sdk.beta.agents.automations.list().data
        assert automation.target.agent_id == agent.id
        assert automation.target.environment.environment_template_id == template.id
    result = cli(clone, "destroy", *ON_AGENTS, "--yes")
    assert result.exit_code == 0, result.output
    assert (
        result.stdout.index("automation daily-practice: deleted")
        < result.stdout.index("agent spanish-tutor: deleted")
        < result.stdout.index("environment spanish-tutor: deleted")
    )
