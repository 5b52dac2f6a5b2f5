"""A saved plan is untrusted input: `apply PLAN` re-checks ownership live, recomputes the metadata it
writes, validates the file against the saved plan's schema and refuses a plan made for another
project, environment or target. Each crafted file: exit 1, a diagnostic, no secret, no live change."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest

from orchestrator.backends.assistants import AssistantsClient
from orchestrator.engine.live import fingerprint
from orchestrator.engine.ownership import HASH_KEY, OWNER_KEY
from tests.conftest import TEST_KEY
from tests.support.live import owned_by, request_counts, reset_counts, snapshot, writes
from tests.support.projects import Result, make_project, write_spec


def secret_free(*texts: str) -> None:
    for text in texts:
        assert TEST_KEY not in text and "SENTINEL" not in text


def no_crash(result: Result) -> None:
    assert "Traceback" not in result.output and "This is a bug" not in result.output
    assert "KeyError" not in result.output
    secret_free(result.stdout, result.stderr)


def saved_plan(cli: Callable[..., Result], path: Path, *args: str) -> dict[str, Any]:
    made = cli("diff", "--out", str(path), *args)
    assert made.exit_code in (0, 2), made.output
    return json.loads(path.read_text(encoding="utf-8"))


def write_plan(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def create_assistant(sdk: openai.OpenAI, **fields: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return sdk.beta.assistants.create(model="gpt-5.4", **fields)


def live_fingerprint(sdk: openai.OpenAI, object_id: str) -> str:
    """What anyone can compute for any object: the fingerprint is a plain digest of what the API returns."""
    [obj] = [o for o in AssistantsClient(sdk).list_all() if o.id == object_id]
    return fingerprint(obj)


def delete_change(name: str, object_id: str, fp: str, reason: str = "orphan") -> dict[str, Any]:
    return {
        "kind": "assistant",
        "name": name,
        "action": "delete",
        "id": object_id,
        "drift": False,
        "reason": reason,
        "fields": [],
        "apply": {"essence": None, "metadata": None, "changed_keys": [], "fingerprint": fp},
    }


def refused_without_change(
    cli: Callable[..., Result], sdk: openai.OpenAI, root_url: str, plan_file: Path, *args: str
) -> Result:
    before = snapshot(sdk)
    reset_counts(root_url)
    result = cli("apply", str(plan_file), "--yes", *args)
    assert result.exit_code == 1, result.output
    no_crash(result)
    assert "nothing was changed" in result.stderr
    assert writes(request_counts(root_url)) == 0
    assert snapshot(sdk) == before
    secret_free(plan_file.read_text(encoding="utf-8"))
    return result


# -- ownership is re-checked live ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "owner",
    [
        None,
        "other-project/dev/victim",
        "test-project/prod/victim",
        "test-project/dev/someone-else",
        "test-project/dev/victim/extra",
    ],
)
def test_crafted_plan_cannot_delete_an_object_the_project_does_not_own(
    project: Path,
    cli: Callable[..., Result],
    sdk: openai.OpenAI,
    tmp_path: Path,
    root_url: str,
    owner: str | None,
) -> None:
    victim = create_assistant(sdk, name="victim", metadata={OWNER_KEY: owner} if owner else {})
    write_spec(project, "helper")
    data = saved_plan(cli, tmp_path / "plan.json")
    data["changes"].append(delete_change("victim", victim.id, live_fingerprint(sdk, victim.id)))
    plan_file = write_plan(tmp_path / "plan.json", data)

    refused = refused_without_change(cli, sdk, root_url, plan_file)
    assert "would change objects this project does not own" in refused.stderr
    shown = (
        owner if owner and owner.count("/") == 2 else "nobody (unmanaged)"
    )  # a malformed stamp owns nothing
    assert f"would delete {victim.id}, which is owned by {shown}" in refused.stderr
    assert "not by test-project/dev/victim" in refused.stderr
    assert owned_by(sdk, "test-project/dev/helper") == []  # the honest part of the plan did not run either


def test_crafted_plan_cannot_update_an_object_of_another_project(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, tmp_path: Path, root_url: str
) -> None:
    victim = create_assistant(
        sdk, name="victim", instructions="theirs", metadata={OWNER_KEY: "other-project/dev/helper"}
    )
    write_spec(project, "helper", instructions="ours")
    data = saved_plan(cli, tmp_path / "plan.json")
    [create] = data["changes"]
    create.update(action="update", reason="spec_changed", id=victim.id)
    create["apply"]["fingerprint"] = live_fingerprint(sdk, victim.id)
    plan_file = write_plan(tmp_path / "plan.json", data)

    refused = refused_without_change(cli, sdk, root_url, plan_file)
    assert f"would update {victim.id}, which is owned by other-project/dev/helper" in refused.stderr


def test_crafted_adoption_of_an_unmanaged_object_is_refused_unless_the_spec_names_it(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, tmp_path: Path, root_url: str
) -> None:
    target = create_assistant(sdk, name="helper", instructions="You are helper.")
    write_spec(project, "helper", adopt_id=target.id)
    data = saved_plan(cli, tmp_path / "plan.json")
    assert [c["reason"] for c in data["changes"]] == ["adopt"]
    write_spec(project, "helper")  # the spec in git no longer names the object: the file alone must not do it
    plan_file = write_plan(tmp_path / "plan.json", data)
    refused = refused_without_change(cli, sdk, root_url, plan_file)
    assert (
        f"would adopt {target.id}, an unmanaged object, but the project's spec `helper` does not name it"
        in refused.stderr
    )

    write_spec(project, "helper", adopt_id=target.id)
    adopted = cli("apply", str(plan_file), "--yes")
    assert adopted.exit_code == 0, adopted.output
    assert [a.id for a in owned_by(sdk, "test-project/dev/helper")] == [target.id]


def test_edited_ownership_metadata_in_a_plan_is_ignored_and_recomputed(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, tmp_path: Path
) -> None:
    write_spec(project, "helper", metadata={"team": "a"})
    data = saved_plan(cli, tmp_path / "plan.json")
    stamp = data["changes"][0]["apply"]["metadata"]
    stamp[OWNER_KEY] = "other-project/prod/helper"
    stamp[HASH_KEY] = "000000000000000000000000.000000000000000000000000"
    stamp["team"] = "b"
    plan_file = write_plan(tmp_path / "plan.json", data)

    applied = cli("apply", str(plan_file), "--yes")
    assert applied.exit_code == 0, applied.output
    no_crash(applied)
    assert owned_by(sdk, "other-project/prod/helper") == []
    [live] = owned_by(sdk, "test-project/dev/helper")
    assert live.metadata["team"] == "a"  # user metadata comes from the reviewed essence, not the stamp
    assert cli("diff").exit_code == 0  # the recomputed hash is the one a fresh plan expects


def test_reserved_metadata_keys_in_a_plan_essence_are_a_diagnostic(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, tmp_path: Path, root_url: str
) -> None:
    write_spec(project, "helper")
    data = saved_plan(cli, tmp_path / "plan.json")
    data["changes"][0]["apply"]["essence"]["metadata"][OWNER_KEY] = "other-project/dev/helper"
    plan_file = write_plan(tmp_path / "plan.json", data)
    refused = refused_without_change(cli, sdk, root_url, plan_file)
    assert "/changes/0/apply/essence/metadata" in refused.stderr
    assert "reserved prefix `orchestrator.`" in refused.stderr


# -- a plan for another project, environment or target -------------------------------------------------


@pytest.fixture
def two_environments(project: Path, served: Any) -> Path:
    return make_project(
        project,
        base_url=served.base_url,
        extra_environments={"prod": {"target": "other"}},
        extra_targets={
            "other": {
                "type": "assistants",
                "base_url": served.base_url,
                "api_key_env": "TEST_ORCHESTRATOR_KEY",
            }
        },
    )


@pytest.mark.parametrize(
    ("edit", "args", "made_for", "run_for"),
    [
        (
            {"project": "other-project"},
            (),
            "project other-project, environment dev, target main (assistants)",
            "project test-project, environment dev, target main (assistants)",
        ),
        ({"environment": "prod"}, (), "environment prod, target main", "environment dev, target main"),
        ({"target": "other"}, (), "environment dev, target other", "environment dev, target main"),
        ({"backend": "agents"}, (), "target main (agents)", "target main (assistants)"),
        (
            {},
            ("-e", "prod"),
            "environment dev, target main (assistants)",
            "environment prod, target other (assistants)",
        ),
        ({}, ("-t", "other"), "environment dev, target main", "environment dev, target other"),
    ],
)
def test_plan_for_another_project_environment_or_target_is_refused_naming_both(
    two_environments: Path,
    cli: Callable[..., Result],
    sdk: openai.OpenAI,
    tmp_path: Path,
    root_url: str,
    edit: dict[str, str],
    args: tuple[str, ...],
    made_for: str,
    run_for: str,
) -> None:
    write_spec(two_environments, "helper")
    data = saved_plan(cli, tmp_path / "plan.json")
    data.update(edit)
    if edit.get("backend") == "agents":
        data["changes"][0]["kind"] = "agent"
    plan_file = write_plan(tmp_path / "plan.json", data)
    refused = refused_without_change(cli, sdk, root_url, plan_file, *args)
    plan_part, _, run_part = refused.stderr.partition("this run is for")
    assert f"was made for project {data['project']}, " in plan_part and made_for in plan_part
    assert run_part.startswith(" project test-project, ") and run_for in run_part


def test_plan_made_for_another_environment_says_how_to_apply_it(
    two_environments: Path, cli: Callable[..., Result], sdk: openai.OpenAI, tmp_path: Path, root_url: str
) -> None:
    write_spec(two_environments, "helper")
    plan_file = tmp_path / "plan.json"
    saved_plan(cli, plan_file, "-e", "prod")
    refused = refused_without_change(cli, sdk, root_url, plan_file)  # the file does not pick the environment
    assert "made for project test-project, environment prod, target other" in refused.stderr
    assert "this run is for project test-project, environment dev, target main" in refused.stderr
    assert f"orchestrator apply -e prod {plan_file}" in refused.stderr
    applied = cli("apply", str(plan_file), "--yes", "-e", "prod")
    assert applied.exit_code == 0, applied.output


# -- malformed files: a diagnostic with the pointer, exit 1 ------------------------------------------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    def edit(data: dict[str, Any]) -> Any:
        *parents, last = path.split("/")
        node: Any = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key: Any = int(last) if isinstance(node, list) else last
        if value is KeyError:
            del node[key]
        else:
            node[key] = value
        return data

    return edit


def _deep(data: dict[str, Any]) -> str:
    return '{"format_version": 1, "changes": ' + "[" * 100_000 + "]" * 100_000 + "}"


MALFORMED: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "changes_not_a_list": (_set("changes", {"0": {}}), "`changes` must be a list, got a mapping [/changes]"),
    "changes_missing": (_set("changes", KeyError), "missing required key `changes`"),
    "change_not_a_mapping": (_set("changes/0", "create helper"), "[/changes/0]"),
    "action_unknown": (_set("changes/0/action", "destroy-all"), "must be one of `create`, `update`"),
    "action_missing": (_set("changes/0/action", KeyError), "`action`"),
    "id_escapes_the_api_path": (_set("changes/0/id", "../files/file-abc"), "[/changes/0/id]"),
    "create_with_an_id": (_set("changes/0/id", "asst_abc"), "[/changes/0/id]"),
    "essence_missing": (_set("changes/0/apply/essence", None), "[/changes/0/apply/essence]"),
    "essence_without_model": (_set("changes/0/apply/essence/model", KeyError), "`model`"),
    "metadata_not_strings": (
        _set("changes/0/apply/essence/metadata", {"n": 1}),
        "[/changes/0/apply/essence/metadata/n]",
    ),
    "knowledge_path_outside": (
        _set(
            "changes/0/apply/essence/knowledge",
            {"files": {"../../etc/passwd": {"sha256": "0" * 64, "bytes": 1}}},
        ),
        "files key `../../etc/passwd` is not valid; expected a path relative to the "
        "project folder, without `..` [/changes/0/apply/essence/knowledge/files/",
    ),
    "code_file_absolute": (
        _set("changes/0/apply/essence/code_files", {"/etc/passwd": {"sha256": "0" * 16}}),
        "code_files key `/etc/passwd` is not valid; expected a path relative to the project "
        "folder, without `..` [/changes/0/apply/essence/code_files/",
    ),
    "kind_of_the_other_backend": (_set("changes/0/kind", "agent"), "[/changes/0/kind]"),
    "name_not_a_spec_name": (_set("changes/0/name", "a/b"), "[/changes/0/name]"),
    "unknown_key": (_set("changes/0/acton", "create"), "`acton`"),
    "format_version_2": (_set("format_version", 2), "not a plan file of format_version 1"),
    "top_level_list": (lambda data: [data], "not a plan file: expected a JSON object"),
    "not_json": (lambda data: "{not json", "not a plan file: invalid JSON"),
    "nested_100000_deep": (_deep, "not a plan file"),
    "empty_file": (lambda data: "", "not a plan file: invalid JSON"),
    "same_spec_twice": (lambda data: {**data, "changes": data["changes"] * 2}, "created or updated twice"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_plan_file_is_a_diagnostic_not_a_crash(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, tmp_path: Path, root_url: str, case: str
) -> None:
    write_spec(project, "helper")
    data = saved_plan(cli, tmp_path / "plan.json")
    edit, expected = MALFORMED[case]
    edited = edit(data)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(
        edited if isinstance(edited, str) else json.dumps(edited, indent=2), encoding="utf-8"
    )
    refused = refused_without_change(cli, sdk, root_url, plan_file)
    assert expected in refused.stderr, refused.stderr
    assert str(plan_file) in refused.stderr


def test_diagnostics_of_a_plan_file_name_its_line(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, tmp_path: Path, root_url: str
) -> None:
    write_spec(project, "helper")
    data = saved_plan(cli, tmp_path / "plan.json")
    data["changes"][0]["action"] = "obliterate"
    plan_file = write_plan(tmp_path / "plan.json", data)
    line = next(n for n, text in enumerate(plan_file.read_text().splitlines(), 1) if "obliterate" in text)
    refused = refused_without_change(cli, sdk, root_url, plan_file)
    assert f"{plan_file}:{line}:" in refused.stderr and "[/changes/0/action]" in refused.stderr


def test_plan_that_does_not_fit_the_backend_fails_whole_before_anything_is_sent(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, tmp_path: Path, root_url: str
) -> None:
    write_spec(project, "first")
    write_spec(project, "second")
    data = saved_plan(cli, tmp_path / "plan.json")
    del data["changes"][1]["apply"]["essence"]["tools"]
    plan_file = write_plan(tmp_path / "plan.json", data)
    refused = refused_without_change(cli, sdk, root_url, plan_file)
    assert (
        "assistant `second` [/changes/1/apply/essence]: does not fit the assistants backend" in refused.stderr
    )
    assert owned_by(sdk, "test-project/dev/first") == []


def test_missing_or_unreadable_plan_file_is_a_diagnostic(
    project: Path, cli: Callable[..., Result], tmp_path: Path
) -> None:
    write_spec(project, "helper")
    missing = cli("apply", str(tmp_path / "nope.json"), "--yes")
    assert missing.exit_code == 1 and "plan file not found" in missing.stderr
    (tmp_path / "folder.json").mkdir()
    folder = cli("apply", str(tmp_path / "folder.json"), "--yes")
    assert folder.exit_code == 1 and "is a directory" in folder.stderr
    (tmp_path / "latin1.json").write_bytes(b'{"project": "caf\xe9"}')
    latin = cli("apply", str(tmp_path / "latin1.json"), "--yes")
    assert latin.exit_code == 1 and "not UTF-8" in latin.stderr
    for result in (missing, folder, latin):
        no_crash(result)


# -- applied twice, partially applied ------------------------------------------------------------------


def test_update_and_delete_plan_applied_twice_says_already_applied(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, tmp_path: Path, root_url: str
) -> None:
    write_spec(project, "helper")
    write_spec(project, "gone")
    assert cli("apply", "--yes").exit_code == 0
    write_spec(project, "helper", temperature=0.2)
    (project / "specs" / "gone.yaml").unlink()
    plan_file = tmp_path / "plan.json"
    assert [c["action"] for c in saved_plan(cli, plan_file, "--prune")["changes"]] == ["delete", "update"]
    first = cli("apply", str(plan_file), "--yes")
    assert first.exit_code == 0, first.output
    before = snapshot(sdk)
    reset_counts(root_url)
    again = cli("apply", str(plan_file), "--yes")
    assert again.exit_code == 0, again.output
    assert "already applied" in again.stderr and "2 changes" in again.stderr and "stale" not in again.output
    assert writes(request_counts(root_url)) == 0 and snapshot(sdk) == before

    [live] = owned_by(sdk, "test-project/dev/helper")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sdk.beta.assistants.update(
            live.id, temperature=0.9
        )  # edited after the apply: no longer what it produced
    stale = cli("apply", str(plan_file), "--yes")
    assert stale.exit_code == 1 and "stale" in stale.stderr and live.id in stale.stderr


def test_partly_applied_plan_applies_the_rest(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, tmp_path: Path
) -> None:
    write_spec(project, "first")
    write_spec(project, "second")
    plan_file = tmp_path / "plan.json"
    saved_plan(cli, plan_file)
    assert cli("apply", "--yes", "--only", "first").exit_code == 0  # e.g. a run that failed half way
    rest = cli("apply", str(plan_file), "--yes")
    assert rest.exit_code == 0, rest.output
    assert "1 of 2 changes of the saved plan were already applied" in rest.stderr
    assert "1 created" in rest.stdout
    assert (
        len(owned_by(sdk, "test-project/dev/first")) == 1
        and len(owned_by(sdk, "test-project/dev/second")) == 1
    )


def test_saved_plan_json_validates_against_the_shipped_schema(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, tmp_path: Path
) -> None:
    from jsonschema import Draft202012Validator

    from orchestrator.spec.schemas import load_schema

    schema = load_schema("plan")  # schemas/plan.schema.json completed with the kinds' parts
    Draft202012Validator.check_schema(schema)
    write_spec(project, "helper", metadata={"team": "a"})
    write_spec(project, "gone")
    assert cli("apply", "--yes").exit_code == 0
    write_spec(project, "helper", temperature=0.3)
    (project / "specs" / "gone.yaml").unlink()
    write_spec(project, "new")
    data = saved_plan(cli, tmp_path / "plan.json", "--prune")
    assert sorted(c["action"] for c in data["changes"]) == ["create", "delete", "update"]
    assert list(Draft202012Validator(schema).iter_errors(data)) == []
