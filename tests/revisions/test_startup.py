"""Commands that do not use revisions never pay for them: no git, no revisions module at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.projects import REPO, make_project, write_spec


def test_help_and_validate_import_neither_revisions_nor_openai(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    write_spec(project, "helper")
    subprocess.run(["git", "init", "-q", str(project)], check=True, capture_output=True, timeout=60)
    code = textwrap.dedent("""\
        import sys
        from orchestrator.cli import main
        for args in (['--help'], ['validate'], ['history', '--help'], ['rollback', '--help']):
            try:
                main(args)
            except SystemExit:
                pass
        print('openai' in sys.modules, 'orchestrator.engine.revisions' in sys.modules, 'subprocess' in sys.modules)
        """)
    env = {**os.environ, "PYTHONPATH": str(REPO), "ORCHESTRATOR_TODAY": "2026-11-26"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    openai, revisions, _ = done.stdout.strip().splitlines()[-1].split()
    assert (openai, revisions) == ("False", "False")
