"""watch records the git revision of every write, dirty per spec like apply."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import openai
import pytest

from orchestrator.engine.ownership import parse_revision
from tests.support.projects import write
from tests.watch.conftest import live_by_spec, three_specs


def test_watch_stamps_the_commit_and_marks_edited_specs_dirty(
    project: Path, sdk: openai.OpenAI, start_watch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(project.parent / "gitconfig"))
    env = {
        **os.environ,
        **{
            f"GIT_{r}_{k}": v
            for r in ("AUTHOR", "COMMITTER")
            for k, v in (("NAME", "Ana Ruiz"), ("EMAIL", "ana@example.com"))
        },
    }
    three_specs(project)
    write(project / ".gitignore", ".orchestrator/\n")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "Three specs"]):
        subprocess.run(
            ["git", "-C", str(project), *args], check=True, capture_output=True, env=env, timeout=60
        )
    head = subprocess.run(
        ["git", "-C", str(project), "rev-parse", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    watch = start_watch("--resync", "0")
    watch.wait_for_cycles(1)
    assert {n: parse_revision(o.metadata) for n, o in live_by_spec(sdk).items()} == dict.fromkeys(
        ("alpha", "beta", "gamma"), head
    )
    write(project / "templates" / "_rules.md.j2", "Rules: be very kind.\n")
    watch.wait_for_cycles(2)
    assert {n: parse_revision(o.metadata) for n, o in live_by_spec(sdk).items()} == {
        "alpha": f"{head}+dirty",
        "beta": f"{head}+dirty",
        "gamma": head,
    }
    assert watch.stop() == 0


def test_watch_stamps_the_commit_of_a_skill_and_writes_templates_in_a_git_work_tree(
    project: Path, served: Any, start_watch: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The graph's other kinds in git: a skill records its revision (it has versions: rollback takes it), and
    a template, which records none, is written all the same."""
    from tests.support.projects import make_project, run_cli

    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(project.parent / "gitconfig"))
    env = {
        **os.environ,
        **{
            f"GIT_{r}_{k}": v
            for r in ("AUTHOR", "COMMITTER")
            for k, v in (("NAME", "Ana Ruiz"), ("EMAIL", "ana@example.com"))
        },
    }
    root = make_project(tmp_path / "agents-project", base_url=served.base_url, backend="agents")
    write(root / ".gitignore", ".orchestrator/\n")
    write(
        root / "specs" / "grammar.yaml", "version: 1\nkind: skill\nname: grammar\nfolder: ../skills/grammar\n"
    )
    write(root / "skills" / "grammar" / "SKILL.md", "---\nname: grammar\ndescription: Grammar\n---\nOne.\n")
    write(
        root / "specs" / "tutor-env.yaml",
        "version: 1\nkind: environment\nname: tutor-env\nskills: [grammar]\n",
    )
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "A skill"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env, timeout=60)
    watch = start_watch("--resync", "0", root=root)
    watch.wait_for_cycles(1)
    assert watch.stop() == 0, watch.output
    listed = run_cli(["-C", str(root), "list"])
    assert listed.exit_code == 0, listed.output
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[1:]}
    assert "in sync" in rows["grammar"] and "at HEAD" in rows["grammar"], listed.stdout
    assert "in sync" in rows["tutor-env"], listed.stdout
