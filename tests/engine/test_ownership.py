"""Ownership: drift is detected and repaired; unmanaged and foreign objects are never touched;
orphans and duplicates are reported, and deleted only under --prune (the oldest duplicate kept)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

import openai

from orchestrator.engine.ownership import CLAIM_MARK, HASH_KEY, OWNER_KEY
from tests.support.live import assistants, owned_by, snapshot
from tests.support.projects import Result, run_cli, write_spec

OWNER = "test-project/dev/helper"


def sdk_update(sdk: openai.OpenAI, assistant_id: str, **fields: object) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sdk.beta.assistants.update(assistant_id, **fields)


def sdk_create(sdk: openai.OpenAI, **fields: object) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return sdk.beta.assistants.create(model="gpt-5.4", **fields).id


def foreign_objects(sdk: openai.OpenAI) -> list[str]:
    """An unmanaged object, one of another project, one of another environment and a fake-looking one."""
    return [
        sdk_create(sdk, name="hand-made", metadata={"team": "x"}),
        sdk_create(sdk, name="other", metadata={OWNER_KEY: "other-project/dev/helper", HASH_KEY: "a.b"}),
        sdk_create(sdk, name="prod", metadata={OWNER_KEY: "test-project/prod/helper", HASH_KEY: "a.b"}),
        sdk_create(sdk, name="broken", metadata={OWNER_KEY: "test-project/dev"}),
    ]


def test_drift_is_detected_flagged_and_repaired(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI
) -> None:
    write_spec(project, "helper", instructions="Be brief.", temperature=0.5, metadata={"team": "a"})
    assert cli("apply", "--yes").exit_code == 0
    [live] = owned_by(sdk, OWNER)
    sdk_update(
        sdk,
        live.id,
        instructions="Be verbose.",
        temperature=1.5,
        metadata={**live.metadata, "team": "b", "extra": "x"},
    )

    text = cli("diff")
    assert text.exit_code == 2
    assert "drift" in text.stdout
    [change] = json.loads(cli("diff", "--output", "json").stdout)["changes"]
    assert change["action"] == "update" and change["drift"] is True and change["id"] == live.id
    assert {f["path"] for f in change["fields"]} == {
        "instructions",
        "temperature",
        "metadata.team",
        "metadata.extra",
    }
    listing = cli("list")
    assert "drifted" in listing.stdout

    assert cli("apply", "--yes").exit_code == 0
    [repaired] = owned_by(sdk, OWNER)
    assert (repaired.id, repaired.instructions, repaired.temperature) == (live.id, "Be brief.", 0.5)
    # the same stamp; the create's claim token is not written again by an update
    assert repaired.metadata == {**live.metadata, HASH_KEY: live.metadata[HASH_KEY].split(CLAIM_MARK)[0]}
    assert cli("diff").exit_code == 0


def test_spec_change_on_top_of_drift_is_both(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI
) -> None:
    write_spec(project, "helper", instructions="Be brief.")
    assert cli("apply", "--yes").exit_code == 0
    [live] = owned_by(sdk, OWNER)
    sdk_update(sdk, live.id, description="edited by hand")
    write_spec(project, "helper", instructions="Be precise.")
    [change] = json.loads(cli("diff", "--output", "json").stdout)["changes"]
    assert change["drift"] is True
    assert {f["path"] for f in change["fields"]} == {"description", "instructions"}
    assert "changed, drifted" in cli("list").stdout
    assert cli("apply", "--yes").exit_code == 0
    assert cli("diff").exit_code == 0


def test_unmanaged_and_foreign_objects_are_left_alone(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI
) -> None:
    others = foreign_objects(sdk)
    before = [a for a in snapshot(sdk) if a["id"] in others]
    write_spec(project, "helper")
    for args in (("apply", "--yes"), ("apply", "--yes", "--prune"), ("diff", "--prune")):
        result = cli(*args)
        assert result.exit_code in (0, 2), result.output
        assert not any(other in result.stdout for other in others), result.stdout
    (project / "specs" / "helper.yaml").unlink()
    assert cli("apply", "--yes", "--prune").exit_code == 0
    assert cli("destroy", "--yes").exit_code == 0
    assert [a for a in snapshot(sdk) if a["id"] in others] == before
    assert owned_by(sdk, OWNER) == []


def test_orphan_is_a_warning_and_deleted_only_with_prune(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI
) -> None:
    write_spec(project, "helper")
    write_spec(project, "keeper")
    assert cli("apply", "--yes").exit_code == 0
    [orphan] = owned_by(sdk, OWNER)
    (project / "specs" / "helper.yaml").unlink()

    diff = cli("diff")
    assert diff.exit_code == 0, diff.output  # a warning, not a change
    assert "orphan" in diff.stdout and orphan.id in diff.stdout
    data = json.loads(cli("diff", "--output", "json").stdout)
    assert [c["action"] for c in data["changes"]] == ["noop"]
    assert len(data["warnings"]) == 1 and orphan.id in data["warnings"][0]
    assert "orphaned" in cli("list").stdout

    assert cli("apply", "--yes").exit_code == 0
    assert owned_by(sdk, OWNER) != []

    pruned = cli("diff", "--prune", "--output", "json")
    assert pruned.exit_code == 2
    [delete] = [c for c in json.loads(pruned.stdout)["changes"] if c["action"] == "delete"]
    assert (delete["name"], delete["id"]) == ("helper", orphan.id)
    assert cli("apply", "--yes", "--prune").exit_code == 0
    assert owned_by(sdk, OWNER) == []
    assert len(owned_by(sdk, "test-project/dev/keeper")) == 1


def test_duplicates_are_reported_and_the_newest_deleted_under_prune(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI
) -> None:
    write_spec(project, "helper")
    assert cli("apply", "--yes").exit_code == 0
    [original] = owned_by(sdk, OWNER)
    duplicate = sdk_create(
        sdk, name=original.name, instructions=original.instructions, metadata=original.metadata
    )

    diff = cli("diff")
    assert diff.exit_code == 2, diff.output  # a duplicate is a difference from the specs, never "no changes"
    assert "duplicate" in diff.stdout and duplicate in diff.stdout
    data = json.loads(cli("diff", "--output", "json").stdout)
    assert [(c["action"], c["id"]) for c in data["changes"]] == [("noop", original.id)]
    assert any(duplicate in w for w in data["warnings"])
    listing = json.loads(cli("list", "--output", "json").stdout)
    assert {(r["id"], r["status"]) for r in listing} == {(original.id, "in sync"), (duplicate, "duplicate")}

    kept = cli("apply", "--yes")
    assert kept.exit_code == 1, kept.output  # not pruned: the duplicate is left, and that is no success
    assert f"DUPLICATE {duplicate} claims it as well as {original.id}" in kept.stderr
    assert "apply --prune" in kept.stderr
    assert len(owned_by(sdk, OWNER)) == 2
    pruned = json.loads(cli("diff", "--prune", "--output", "json").stdout)
    assert [(c["action"], c["id"]) for c in pruned["changes"]] == [
        ("noop", original.id),
        ("delete", duplicate),
    ]
    assert cli("apply", "--yes", "--prune").exit_code == 0
    assert [a.id for a in owned_by(sdk, OWNER)] == [original.id]
    assert cli("diff").exit_code == 0


def test_destroy_deletes_only_what_the_environment_owns(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI
) -> None:
    others = foreign_objects(sdk)
    write_spec(project, "one")
    write_spec(project, "two")
    assert cli("apply", "--yes").exit_code == 0
    refused = cli("destroy")
    assert refused.exit_code == 1 and "--yes" in refused.stderr
    assert len(assistants(sdk)) == 6
    result = cli("destroy", "--yes")
    assert result.exit_code == 0, result.output
    assert sorted(a.id for a in assistants(sdk)) == sorted(others)


def test_other_environment_of_the_same_project_is_independent(
    project: Path, sdk: openai.OpenAI, served: object
) -> None:
    from tests.support.projects import make_project

    base_url = owned_base_url(project)
    make_project(project, base_url=base_url, extra_environments={"prod": {"target": "main"}})
    write_spec(project, "helper")
    assert run_cli(["-C", str(project), "apply", "--yes"]).exit_code == 0
    assert run_cli(["-C", str(project), "apply", "--yes", "-e", "prod"]).exit_code == 0
    assert len(owned_by(sdk, "test-project/dev/helper")) == 1
    assert len(owned_by(sdk, "test-project/prod/helper")) == 1
    assert run_cli(["-C", str(project), "destroy", "--yes", "-e", "prod"]).exit_code == 0
    assert len(owned_by(sdk, "test-project/dev/helper")) == 1
    assert owned_by(sdk, "test-project/prod/helper") == []


def owned_base_url(project: Path) -> str:
    import yaml

    data = yaml.safe_load((project / "orchestrator.yaml").read_text())
    return data["targets"]["main"]["base_url"]
