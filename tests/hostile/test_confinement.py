"""Every file a project reads stays inside it (issue 14, item 1): no link leaks a secret into a plan.

Each case plants the sentinel key outside the project (or in the process environment), links to
it from inside, and checks: exit 1, the diagnostic, the sentinel nowhere (stdout, stderr, saved
plan), and nothing live changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import openai
import pytest

from tests.conftest import TEST_KEY
from tests.support.live import snapshot
from tests.support.projects import REPO, run_cli, write, write_json, write_spec


def _secret_file(tmp_path: Path, name: str, text: str) -> Path:
    return write(tmp_path / "outside" / name, text)


def _assert_refused(
    project: Path, sdk: openai.OpenAI, expected: tuple[str, ...], *, spec: str = "helper"
) -> None:
    """validate, render, diff (three views, saved plan) and apply all refuse; nothing leaks, nothing changes."""
    before = snapshot(sdk)
    plan = project.parent / "plan.json"
    runs = [
        run_cli(["-C", str(project), "validate"]),
        run_cli(["-C", str(project), "render", spec]),
        run_cli(["-C", str(project), "diff"]),
        run_cli(["-C", str(project), "diff", "--output", "json", "--out", str(plan)]),
        run_cli(["-C", str(project), "diff", "--output", "markdown"]),
        run_cli(["-C", str(project), "apply", "--yes"]),
    ]
    for result in runs:
        assert result.exit_code == 1, result.output
        assert TEST_KEY not in result.output
        assert "Traceback" not in result.output and "This is a bug" not in result.output
    for text in expected:
        assert text in runs[0].stderr, runs[0].stderr
    assert not plan.exists() or TEST_KEY not in plan.read_text()
    assert snapshot(sdk) == before


def test_an_include_linked_to_proc_self_environ_is_refused_and_prints_no_environment(
    project: Path, sdk: openai.OpenAI
) -> None:
    """The reproduction as reported: a subprocess whose environment holds the key, so /proc/self/environ does."""
    write_spec(project, "helper", instructions={"template": "helper.md.j2"})
    write(project / "templates" / "helper.md.j2", "Hello\n{% include 'env.txt' %}\n")
    os.symlink("/proc/self/environ", project / "templates" / "env.txt")
    before = snapshot(sdk)
    plan = project.parent / "plan.json"
    env = {**os.environ, "TEST_ORCHESTRATOR_KEY": TEST_KEY, "PYTHONPATH": str(REPO)}
    for args in (
        ["validate"],
        ["render", "helper"],
        ["diff"],
        ["diff", "--output", "json", "--out", str(plan)],
        ["diff", "--output", "markdown"],
        ["apply", "--yes"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "orchestrator", "-C", str(project), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 1, done.stdout + done.stderr
        assert TEST_KEY not in done.stdout + done.stderr
        assert "templates/helper.md.j2:2: error: template `env.txt` is a link to `/proc/" in done.stderr
        assert "outside the project folder" in done.stderr
        assert "hint: copy it into the project instead of linking to it" in done.stderr
    assert not plan.exists() or TEST_KEY not in plan.read_text()
    assert snapshot(sdk) == before


def _include(project: Path, tmp_path: Path) -> None:
    write_spec(project, "helper", instructions={"template": "helper.md.j2"})
    write(project / "templates" / "helper.md.j2", "{% include 'partials/style.md.j2' %}\n")
    (project / "templates" / "partials").mkdir()
    os.symlink(
        _secret_file(tmp_path, "style.md", f"KEY={TEST_KEY}\n"),
        project / "templates" / "partials" / "style.md.j2",
    )


def _top_template(project: Path, tmp_path: Path) -> None:
    write_spec(project, "helper", instructions={"template": "helper.md.j2"})
    os.symlink(
        _secret_file(tmp_path, "helper.md", f"KEY={TEST_KEY}\n"), project / "templates" / "helper.md.j2"
    )


def _instructions_file(project: Path, tmp_path: Path) -> None:
    write_spec(project, "helper", instructions={"file": "helper.md"})
    os.symlink(_secret_file(tmp_path, "helper.md", f"KEY={TEST_KEY}\n"), project / "templates" / "helper.md")


def _parameters_file(project: Path, tmp_path: Path) -> None:
    secret = write_json(
        tmp_path / "outside" / "params.json", {"type": "object", "description": TEST_KEY, "properties": {}}
    )
    os.symlink(secret, project / "specs" / "params.json")
    write_spec(project, "helper", functions=[{"name": "lookup", "parameters": "params.json"}])


def _knowledge_file(project: Path, tmp_path: Path) -> None:
    (project / "specs" / "kb").mkdir()
    os.symlink(_secret_file(tmp_path, "notes.md", f"KEY={TEST_KEY}\n"), project / "specs" / "kb" / "notes.md")
    write_spec(project, "helper", tools=["file_search"], knowledge={"files": ["kb/*.md"]})


def _code_file(project: Path, tmp_path: Path) -> None:
    os.symlink(_secret_file(tmp_path, "data.csv", f"key\n{TEST_KEY}\n"), project / "specs" / "data.csv")
    write_spec(project, "helper", tools=["code_interpreter"], code_files=["data.csv"])


def _spec_file(project: Path, tmp_path: Path) -> None:
    secret = _secret_file(
        tmp_path, "helper.yaml", f"version: 1\nname: helper\nmodel: gpt-5.4\ninstructions: {TEST_KEY}\n"
    )
    os.symlink(secret, project / "specs" / "helper.yaml")


def _git_config(project: Path, tmp_path: Path) -> None:
    """Inside the project, yet private: a CI checkout keeps its token in .git/config."""
    write(project / ".git" / "config", f"[http]\n\textraheader = AUTHORIZATION: basic {TEST_KEY}\n")
    write_spec(project, "helper", instructions={"template": "helper.md.j2"})
    os.symlink(project / ".git" / "config", project / "templates" / "helper.md.j2")


def _templates_folder(project: Path, tmp_path: Path) -> None:
    write_spec(project, "helper", instructions={"template": "helper.md.j2"})
    _secret_file(tmp_path, "helper.md.j2", f"KEY={TEST_KEY}\n")
    (project / "templates").rmdir()
    os.symlink(tmp_path / "outside", project / "templates")


CASES: dict[str, tuple[Callable[[Path, Path], None], tuple[str, ...]]] = {
    "include": (
        _include,
        (
            "templates/helper.md.j2:1: error: template `partials/style.md.j2` is a link to",
            "outside the project folder",
        ),
    ),
    "top_level_template": (
        _top_template,
        ("specs/helper.yaml:5:13: error: template `helper.md.j2` is a link to", "[/instructions/template]"),
    ),
    "instructions_file": (
        _instructions_file,
        ("specs/helper.yaml:5:9: error: template `helper.md` is a link to", "[/instructions/file]"),
    ),
    "parameters_file": (
        _parameters_file,
        ("specs/helper.yaml:7:15: error: `params.json` is a link to", "[/functions/0/parameters]"),
    ),
    "knowledge_file": (
        _knowledge_file,
        ("`kb/*.md` matches `specs/kb/notes.md` is a link to", "[/knowledge/files/0]"),
    ),
    "code_file": (_code_file, ("`data.csv` matches `specs/data.csv` is a link to", "[/code_files/0]")),
    "spec_file": (
        _spec_file,
        ("specs/helper.yaml: error: spec file is a link to", "outside the project folder"),
    ),
    "git_config": (_git_config, ("resolves into `.git/`, which a project may not read",)),
    "templates_folder": (
        _templates_folder,
        ("orchestrator.yaml", "the templates folder `templates` is a link to", "[/templates]"),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_link_out_of_the_project_is_refused_everywhere(
    case: str, project: Path, sdk: openai.OpenAI, tmp_path: Path
) -> None:
    make, expected = CASES[case]
    make(project, tmp_path)
    _assert_refused(project, sdk, expected)


def test_a_link_inside_the_project_is_followed(project: Path) -> None:
    write(project / "shared" / "style.md", "Be brief.\n")
    write_spec(project, "helper", instructions={"template": "helper.md.j2"})
    write(project / "templates" / "helper.md.j2", "{% include 'style.md' %}")
    os.symlink(project / "shared" / "style.md", project / "templates" / "style.md")
    result = run_cli(["-C", str(project), "render", "helper", "--output", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["instructions"] == "Be brief.\n"


def test_a_dangling_spec_link_is_a_warning_and_the_rest_still_applies(
    project: Path, sdk: openai.OpenAI
) -> None:
    write_spec(project, "alpha")
    os.symlink(project / "nowhere.yaml", project / "specs" / "beta.yaml")
    result = run_cli(["-C", str(project), "apply", "--yes"])
    assert result.exit_code == 0, result.output
    assert (
        "specs/beta.yaml: warning: is a link to" in result.stderr
        and "does not exist; skipped" in result.stderr
    )
    assert len(snapshot(sdk)) == 1


def test_a_templates_folder_that_is_a_loop_of_links_is_a_diagnostic(project: Path) -> None:
    """Issue 14 item 7: a folder that cannot be read is a user error, not 'This is a bug'."""
    write_spec(project, "helper")
    (project / "templates").rmdir()
    os.symlink("templates", project / "templates")
    result = run_cli(["-C", str(project), "validate"])
    assert result.exit_code == 1
    assert "the templates folder `templates` cannot be resolved: it is a loop of links" in result.stderr
    assert "This is a bug" not in result.output


def test_a_specs_folder_that_is_a_loop_of_links_is_a_diagnostic(project: Path) -> None:
    (project / "specs").rmdir()
    os.symlink("specs", project / "specs")
    result = run_cli(["-C", str(project), "diff"])
    assert result.exit_code == 1
    assert "the specs folder `specs` cannot be resolved: it is a loop of links" in result.stderr
    assert "This is a bug" not in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their permissions")
def test_unreadable_specs_and_templates_folders_are_diagnostics(project: Path) -> None:
    write_spec(project, "helper", instructions={"template": "helper.md.j2"})
    write(project / "templates" / "helper.md.j2", "Hi")
    write_spec(project, "other")
    (project / "specs" / "team").mkdir()
    for folder in (project / "templates", project / "specs" / "team"):
        folder.chmod(0)
    try:
        result = run_cli(["-C", str(project), "validate"])
    finally:
        for folder in (project / "templates", project / "specs" / "team"):
            folder.chmod(0o755)
    assert result.exit_code == 1
    assert "cannot be read" in result.stderr
    assert "This is a bug" not in result.output


def test_knowledge_globs_do_not_follow_folder_links_for_ever(project: Path) -> None:
    """Two links to `.` made Python's glob walk 2**40 paths; the walk visits each folder once."""
    kb = project / "specs" / "kb"
    write(kb / "a.md", "A")
    os.symlink(".", kb / "l1")
    os.symlink(".", kb / "l2")
    write_spec(project, "helper", tools=["file_search"], knowledge={"files": ["kb/**/*.md"]})
    result = run_cli(["-C", str(project), "render", "helper", "--output", "json"])
    assert result.exit_code == 0, result.output
