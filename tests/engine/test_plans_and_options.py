"""Saved plans, confirmation, --only, --parallelism, list statuses, exit codes and the JSON plan format."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

import openai

from tests.support.live import owned_by, request_counts, reset_counts, snapshot, writes
from tests.support.projects import Result, write_spec


def test_diff_exit_codes_are_0_2_and_1(project: Path, cli: Callable[..., Result]) -> None:
    assert cli("diff").exit_code == 0  # no specs, nothing live
    write_spec(project, "helper")
    changes = cli("diff")
    assert changes.exit_code == 2 and "+ assistant helper" in changes.stdout
    assert cli("apply", "--yes").exit_code == 0
    assert cli("diff").exit_code == 0
    (project / "specs" / "broken.yaml").write_text("version: 1\nname: broken\n", encoding="utf-8")
    invalid = cli("diff")
    assert invalid.exit_code == 1 and "broken.yaml" in invalid.stderr
    bad_flag = cli("diff", "--output", "yaml")
    assert bad_flag.exit_code == 1


def test_json_plan_has_the_documented_shape_and_stable_order(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI
) -> None:
    for name in ("zeta", "alpha", "mid"):
        write_spec(project, name)
    assert cli("apply", "--yes", "--only", "mid").exit_code == 0
    write_spec(project, "mid", temperature=0.5)
    first = cli("diff", "--output", "json")
    second = cli("diff", "--output", "json")
    assert first.exit_code == 2
    assert first.stdout == second.stdout  # byte-stable between runs
    data = json.loads(first.stdout)
    assert list(data)[:4] == ["format_version", "project", "environment", "target"]
    assert {"format_version", "project", "environment", "target", "changes", "summary", "warnings"} <= set(
        data
    )
    assert (data["format_version"], data["project"], data["environment"], data["target"]) == (
        1,
        "test-project",
        "dev",
        "main",
    )
    assert [c["name"] for c in data["changes"]] == ["alpha", "mid", "zeta"]
    for change in data["changes"]:
        assert list(change)[:6] == ["kind", "name", "action", "id", "drift", "reason"] or list(change)[
            :5
        ] == ["kind", "name", "action", "id", "drift"]
        assert {"kind", "name", "action", "id", "drift", "fields"} <= set(change)
        for item in change["fields"]:
            assert list(item)[:3] == ["path", "before", "after"]
    [mid] = owned_by(sdk, "test-project/dev/mid")
    update = data["changes"][1]
    assert (update["action"], update["id"], update["drift"]) == ("update", mid.id, False)
    assert update["fields"] == [{"path": "temperature", "before": 1.0, "after": 0.5}]
    assert data["changes"][0]["action"] == "create" and data["changes"][0]["id"] is None
    assert data["summary"] == {"create": 2, "update": 1, "delete": 0, "noop": 0}
    assert data["warnings"] == []


def test_saved_plan_applies_exactly_that_plan(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, tmp_path: Path
) -> None:
    write_spec(project, "helper", temperature=0.4)
    plan_file = tmp_path / "plan.json"
    saved = cli("diff", "--out", str(plan_file))
    assert saved.exit_code == 2 and plan_file.exists()
    # the spec moves on after review: the saved plan still applies what was reviewed
    write_spec(project, "helper", temperature=0.9)
    write_spec(project, "other")
    applied = cli("apply", str(plan_file), "--yes")
    assert applied.exit_code == 0, applied.output
    [live] = owned_by(sdk, "test-project/dev/helper")
    assert live.temperature == 0.4
    assert owned_by(sdk, "test-project/dev/other") == []
    before = snapshot(sdk)
    again = cli("apply", str(plan_file), "--yes")  # the create already happened: nothing to do, not "stale"
    assert again.exit_code == 0, again.output
    assert "already applied" in again.stderr and "stale" not in again.output
    assert snapshot(sdk) == before


def test_stale_saved_plan_is_refused_and_changes_nothing(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, tmp_path: Path, root_url: str
) -> None:
    write_spec(project, "helper")
    write_spec(project, "other")
    assert cli("apply", "--yes").exit_code == 0
    write_spec(project, "helper", temperature=0.4)
    write_spec(project, "other", temperature=0.6)
    plan_file = tmp_path / "plan.json"
    assert cli("diff", "--out", str(plan_file)).exit_code == 2
    [live] = owned_by(sdk, "test-project/dev/helper")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sdk.beta.assistants.update(live.id, description="edited after the review")
    before = snapshot(sdk)
    reset_counts(root_url)
    refused = cli("apply", str(plan_file), "--yes")
    assert refused.exit_code == 1
    assert "stale" in refused.stderr and live.id in refused.stderr
    assert writes(request_counts(root_url)) == 0
    assert snapshot(sdk) == before


def test_saved_plan_for_another_environment_is_refused(
    project: Path, cli: Callable[..., Result], tmp_path: Path
) -> None:
    write_spec(project, "helper")
    plan_file = tmp_path / "plan.json"
    assert cli("diff", "--out", str(plan_file)).exit_code == 2
    data = json.loads(plan_file.read_text())
    data["environment"] = "prod"
    plan_file.write_text(json.dumps(data))
    result = cli("apply", str(plan_file), "--yes")
    assert result.exit_code == 1 and "error" in result.stderr
    assert "Traceback" not in result.output
    plan_file.write_text("{not json")
    broken = cli("apply", str(plan_file), "--yes")
    assert broken.exit_code == 1 and "not a plan file" in broken.stderr


def test_apply_without_yes_and_without_terminal_is_refused(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, root_url: str
) -> None:
    write_spec(project, "helper")
    reset_counts(root_url)
    result = cli("apply", input="y\n")
    assert result.exit_code == 1
    assert "--yes" in result.stderr and "nothing was changed" in result.stderr
    assert writes(request_counts(root_url)) == 0
    assert owned_by(sdk, "test-project/dev/helper") == []


def test_only_limits_the_plan_and_rejects_unknown_names(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI
) -> None:
    for name in ("one", "two", "three"):
        write_spec(project, name)
    data = json.loads(cli("diff", "--only", "one", "--only", "three", "--output", "json").stdout)
    assert [c["name"] for c in data["changes"]] == ["one", "three"]
    assert cli("apply", "--yes", "--only", "two").exit_code == 0
    assert len(owned_by(sdk, "test-project/dev/two")) == 1
    assert owned_by(sdk, "test-project/dev/one") == []
    unknown = cli("diff", "--only", "nope")
    assert unknown.exit_code == 1 and "nope" in unknown.stderr
    assert cli("apply", "--yes", "--only", "nope").exit_code == 1
    assert owned_by(sdk, "test-project/dev/one") == []


def test_parallelism_applies_every_change(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI
) -> None:
    for index in range(12):
        write_spec(project, f"spec-{index:02d}")
    for parallelism in ("1", "4"):
        result = cli("apply", "--yes", "--parallelism", parallelism)
        assert result.exit_code == 0, result.output
        for index in range(12):
            write_spec(project, f"spec-{index:02d}", temperature=0.1 * (1 + int(parallelism)))
    assert cli("apply", "--yes", "--parallelism", "16").exit_code == 0
    assert cli("diff").exit_code == 0
    assert cli("apply", "--yes", "--parallelism", "0").exit_code == 1


def test_list_shows_every_status(project: Path, cli: Callable[..., Result], sdk: openai.OpenAI) -> None:
    for name in ("synced", "changed", "drifted", "orphan", "duped"):
        write_spec(project, name)
    assert cli("apply", "--yes").exit_code == 0
    write_spec(project, "changed", temperature=0.2)
    write_spec(project, "missing")
    (project / "specs" / "orphan.yaml").unlink()
    [drifted] = owned_by(sdk, "test-project/dev/drifted")
    [duped] = owned_by(sdk, "test-project/dev/duped")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sdk.beta.assistants.update(drifted.id, instructions="edited")
        copy = sdk.beta.assistants.create(model=duped.model, metadata=duped.metadata).id
    rows = json.loads(cli("list", "--output", "json").stdout)
    statuses = {(r["name"], r["status"]) for r in rows}
    assert statuses == {
        ("synced", "in sync"),
        ("changed", "changed"),
        ("drifted", "drifted"),
        ("missing", "missing"),
        ("orphan", "orphaned"),
        ("duped", "in sync"),
        ("duped", "duplicate"),
    }
    assert {r["id"] for r in rows if r["status"] == "duplicate"} == {copy}
    text = cli("list")
    assert text.exit_code == 0
    assert text.stdout.splitlines()[0].split() == ["NAME", "ID", "STATUS"]
    assert "missing" in text.stdout and "orphaned" in text.stdout


def test_invalid_spec_changes_nothing_live(project: Path, cli: Callable[..., Result], root_url: str) -> None:
    write_spec(project, "helper")
    write_spec(project, "bad", temprature=0.3)
    reset_counts(root_url)
    result = cli("apply", "--yes")
    assert result.exit_code == 1
    assert "temperature" in result.stderr
    counts = request_counts(root_url)  # live state is read on the side while the specs load: never a write
    assert writes(counts) == 0 and counts["by_route"] == {"GET /v1/assistants": 1}


def test_apply_twice_changes_nothing_the_second_time(
    project: Path, cli: Callable[..., Result], root_url: str
) -> None:
    for index in range(5):
        write_spec(project, f"spec-{index}", tools=["file_search"], temperature=0.5)
    assert cli("apply", "--yes").exit_code == 0
    reset_counts(root_url)
    second = cli("apply", "--yes")
    assert second.exit_code == 0
    assert "No changes" in second.stdout
    counts = request_counts(root_url)
    assert writes(counts) == 0 and counts["total"] == 1


def test_reading_live_state_costs_one_request_per_100_objects(
    project: Path, cli: Callable[..., Result], sdk: openai.OpenAI, root_url: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def create(index: int) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            sdk.beta.assistants.create(model="gpt-5.4", name=f"unmanaged-{index}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(250)))
    write_spec(project, "helper")
    assert cli("apply", "--yes").exit_code == 0
    reset_counts(root_url)
    assert cli("diff").exit_code == 0
    assert request_counts(root_url) == {"total": 3, "by_route": {"GET /v1/assistants": 3}}
