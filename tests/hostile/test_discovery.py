"""Specs anywhere under the specs folder (issue 13, item 3): found recursively, never skipped in silence."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import openai
import pytest

from orchestrator.engine.ownership import OWNER_KEY
from tests.conftest import TEST_KEY
from tests.support.live import snapshot
from tests.support.projects import REPO, run_cli, run_in, spec, write, write_spec, write_yaml
from tests.watch.conftest import WatchProcess, wait_until


def _plan(root: Path, *args: str) -> tuple[int, dict]:
    result = run_in(root, "diff", "--output", "json", *args)
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}


def test_a_spec_moved_into_a_subfolder_is_still_found_and_never_pruned(
    project: Path, sdk: openai.OpenAI
) -> None:
    write_spec(project, "alpha")
    write_spec(project, "beta")
    assert run_cli(["-C", str(project), "apply", "--yes"]).exit_code == 0
    before = snapshot(sdk)

    (project / "specs" / "team").mkdir()
    (project / "specs" / "beta.yaml").rename(project / "specs" / "team" / "beta.yaml")

    code, plan = _plan(project, "--prune")
    assert code == 0, plan
    assert plan["summary"]["delete"] == 0
    assert all(change["action"] != "delete" for change in plan["changes"])
    applied = run_cli(["-C", str(project), "apply", "--prune", "--yes"])
    assert applied.exit_code == 0, applied.output
    assert snapshot(sdk) == before, "moving a spec file changes nothing live"


def test_diagnostics_name_the_spec_by_its_path_under_the_project(project: Path) -> None:
    write_yaml(project / "specs" / "team" / "deep" / "helper.yaml", spec("helper", temperature="hot"))
    result = run_cli(["-C", str(project), "validate"])
    assert result.exit_code == 1
    assert "specs/team/deep/helper.yaml:5:14: error: `temperature` must be a number" in result.stderr


@pytest.mark.parametrize("name", ["upper.YAML", "mixed.Yml", "plain.yml"])
def test_yaml_suffixes_are_matched_in_any_case(project: Path, name: str) -> None:
    write_yaml(project / "specs" / "sub" / name, spec("one"))
    result = run_cli(["-C", str(project), "validate"])
    assert result.exit_code == 0, result.output
    assert "1 spec valid" in result.stderr


def test_every_yaml_file_that_is_not_read_is_a_warning(project: Path, tmp_path: Path) -> None:
    write_spec(project, "alpha")
    specs = project / "specs"
    os.symlink(specs / "gone.yaml", specs / "dangling.yaml")
    os.symlink("loop.yaml", specs / "loop.yaml")
    write_yaml(specs / ".hidden.yaml", spec("hidden"))
    write_yaml(specs / ".drafts" / "draft.yaml", spec("draft"))
    write_yaml(specs / "node_modules" / "pkg.yaml", spec("pkg"))
    write_yaml(tmp_path / "elsewhere" / "linked.yaml", spec("linked"))
    (specs / "real").mkdir()
    write_yaml(specs / "real" / "inner.yaml", spec("inner"))
    os.symlink(specs / "real", specs / "folder-link")

    result = run_cli(["-C", str(project), "validate", "--output", "json"])
    assert result.exit_code == 0, result.output
    warnings = {
        item["file"]: item["message"] for item in json.loads(result.stdout) if item["severity"] == "warning"
    }
    assert "does not exist; skipped" in warnings["specs/dangling.yaml"]
    assert "specs/loop.yaml" in warnings
    assert "hidden file skipped" in warnings["specs/.hidden.yaml"]
    assert "1 YAML file in it is not read" in warnings["specs/.drafts"]
    assert "folder skipped (never holds specs)" in warnings["specs/node_modules"]
    assert "does not follow folder links" in warnings["specs/folder-link"]
    listed = run_cli(["-C", str(project), "validate"]).stderr
    assert "2 specs valid" in listed, listed  # alpha and real/inner, each once


def test_a_yaml_code_file_under_the_specs_folder_is_data_not_a_spec(project: Path) -> None:
    write(project / "specs" / "data" / "settings.yaml", "threshold: 3\nregions: [eu, us]\n")
    write_spec(project, "analyst", tools=["code_interpreter"], code_files=["data/settings.yaml"])
    result = run_cli(["-C", str(project), "validate"])
    assert result.exit_code == 0, result.output
    assert "1 spec valid" in result.stderr


def test_this_repository_validates_with_recursive_discovery(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    for name in ("orchestrator.yaml", "specs", "templates", "schemas", "examples"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, copy / name)
        elif source.exists():
            copy.mkdir(exist_ok=True)
            shutil.copy(source, copy / name)
    result = run_cli(["-C", str(copy), "validate"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr.replace("0 warnings", "")
    files = list((REPO / "specs").glob("*.yaml"))
    tests = [f for f in files if "\nkind: test\n" in f.read_text(encoding="utf-8")]
    assert f"{len(files) - len(tests)} specs valid" in result.stderr
    assert f"and {len(tests)} behaviour tests" in result.stderr


def test_watch_with_prune_keeps_a_spec_moved_into_a_new_subfolder(project: Path, sdk: openai.OpenAI) -> None:
    write_spec(project, "alpha")
    write_spec(project, "beta")
    watch = WatchProcess(["-C", str(project), "--resync", "0", "--prune"], cwd=project)
    try:
        wait_until(
            lambda: len([a for a in sdk.beta.assistants.list() if (a.metadata or {}).get(OWNER_KEY)]) == 2,
            what="both specs applied",
        )
        watch.wait_for_cycles(1)
        ids = {a.metadata[OWNER_KEY]: a.id for a in sdk.beta.assistants.list()}

        (project / "specs" / "team").mkdir()
        (project / "specs" / "beta.yaml").rename(project / "specs" / "team" / "beta.yaml")
        write_yaml(project / "specs" / "team" / "gamma.yaml", spec("gamma"))  # a new file in the new folder

        wait_until(
            lambda: len(list(sdk.beta.assistants.list())) == 3, what="gamma created from the new folder"
        )
        watch.wait_for_cycles(2)
        live = {a.metadata[OWNER_KEY]: a.id for a in sdk.beta.assistants.list()}
        assert {k: v for k, v in live.items() if k in ids} == ids, "beta kept its live assistant"
        assert all(" 0 deleted" in line for line in watch.cycles()), watch.cycles()
    finally:
        watch.stop()
    assert TEST_KEY not in watch.output
