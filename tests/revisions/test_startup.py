"""Commands that do not use revisions never pay for them: no git, no revisions module at start-up."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from tests.support.processes import run_python
from tests.support.projects import make_project, write_spec


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
    done = run_python(code, project, env={"ORCHESTRATOR_TODAY": "2026-11-26"})
    assert done.returncode == 0, done.stderr
    openai, revisions, _ = done.stdout.strip().splitlines()[-1].split()
    assert (openai, revisions) == ("False", "False")
