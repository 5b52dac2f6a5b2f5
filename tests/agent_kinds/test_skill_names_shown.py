"""A skill file whose name holds a newline or terminal escapes is shown escaped, on one plan line (issue 25)."""

from __future__ import annotations

from pathlib import Path

from tests.support.agent_kinds import SKILL
from tests.support.projects import run_cli, write


def test_a_skill_file_name_with_a_newline_is_refused_and_shown_escaped_on_one_line(
    agents_project: Path,
) -> None:
    """Such a name was uploaded and shown raw (a forged `+ file` plan line); now validate, diff and apply
    refuse it at the spec's `folder:` line, the name escaped on that one line, and nothing is sent."""
    root = agents_project
    write(root / "specs" / "grammar.yaml", SKILL)
    folder = root / "skills" / "grammar"
    write(folder / "SKILL.md", "---\nname: grammar\ndescription: Spanish grammar\n---\nUse it.\n")
    write(folder / "notes\n+ file fake.md\x1b[2J", "hidden\n")
    for command in (["validate"], ["diff"], ["apply", "--yes"]):
        result = run_cli(["-C", str(root), *command])
        assert result.exit_code == 1, result.output
        assert "holds `notes\\n+ file fake.md\\u001b[2J`" in result.stderr, result.stderr
        assert "\x1b" not in result.output
        assert not any(line.lstrip().startswith("+ file fake.md") for line in result.output.splitlines())
