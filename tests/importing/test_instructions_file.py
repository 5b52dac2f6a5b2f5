"""`instructions: {file: ...}`: a file under templates/ used verbatim (what import writes for long text)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.projects import make_project, run_cli, write_spec

TEXT = "Keep {{ this }}, {% this %} and {# this #}\r\nexactly.\n\n"


def test_a_verbatim_file_is_sent_byte_for_byte_without_jinja(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    (root / "templates" / "notes.md").write_bytes(TEXT.encode("utf-8"))
    write_spec(root, "helper", instructions={"file": "notes.md"})
    rendered = run_cli(["-C", str(root), "render", "helper", "--output", "json"])
    assert rendered.exit_code == 0, rendered.output
    assert json.loads(rendered.stdout)["instructions"] == TEXT


def test_a_missing_verbatim_file_is_diagnosed_at_the_spec(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    write_spec(root, "helper", instructions={"file": "nowhere.md"})
    result = run_cli(["-C", str(root), "validate"])
    assert result.exit_code == 1
    assert "template `nowhere.md` not found in `templates`" in result.stderr
    assert "[/instructions/file]" in result.stderr


def test_a_verbatim_file_cannot_leave_the_templates_folder(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    (root / "secret.txt").write_text("s", encoding="utf-8")
    write_spec(root, "helper", instructions={"file": "../secret.txt"})
    result = run_cli(["-C", str(root), "validate"])
    assert result.exit_code == 1 and "is outside the templates folder" in result.stderr


def test_a_verbatim_file_must_be_utf8(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    (root / "templates" / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    write_spec(root, "helper", instructions={"file": "latin1.md"})
    result = run_cli(["-C", str(root), "validate"])
    assert result.exit_code == 1 and "`templates/latin1.md` is not valid UTF-8" in result.stderr


def test_vars_are_not_accepted_beside_a_verbatim_file(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    (root / "templates" / "notes.md").write_text("x", encoding="utf-8")
    write_spec(root, "helper", instructions={"file": "notes.md", "vars": {"a": 1}})
    assert run_cli(["-C", str(root), "validate"]).exit_code == 1
