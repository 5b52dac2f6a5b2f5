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
    env = {**os.environ, **{f"GIT_{r}_{k}": v for r in ("AUTHOR", "COMMITTER")
                            for k, v in (("NAME", "Ana Ruiz"), ("EMAIL", "ana@example.com"))}}
    three_specs(project)
    write(project / ".gitignore", ".orchestrator/\n")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "Three specs"]):
        subprocess.run(["git", "-C", str(project), *args], check=True, capture_output=True, env=env, timeout=60)
    head = subprocess.run(["git", "-C", str(project), "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True, timeout=60).stdout.strip()
    watch = start_watch("--resync", "0")
    watch.wait_for_cycles(1)
    assert {n: parse_revision(o.metadata) for n, o in live_by_spec(sdk).items()} == dict.fromkeys(
        ("alpha", "beta", "gamma"), head)
    write(project / "templates" / "_rules.md.j2", "Rules: be very kind.\n")
    watch.wait_for_cycles(2)
    assert {n: parse_revision(o.metadata) for n, o in live_by_spec(sdk).items()} == {
        "alpha": f"{head}+dirty", "beta": f"{head}+dirty", "gamma": head}
    assert watch.stop() == 0
