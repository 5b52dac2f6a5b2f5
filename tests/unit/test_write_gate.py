"""The write gate itself (orchestrator/spec/writing.py), on real files: what a race past a command's
checks would meet (a link made after the check), and the name rules servers' names go through."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestrator.spec.writing import (
    WriteRefused,
    append_file,
    create_file,
    name_problem,
    portable_name,
    user_output_path,
)


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    (tmp_path / "project").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "VICTIM").write_bytes(b"untouched")
    return tmp_path


def test_a_link_met_while_writing_is_never_followed(sandbox: Path) -> None:
    """No check ran before: the descriptors themselves refuse (O_NOFOLLOW on each folder and the file)."""
    project = sandbox / "project"
    os.symlink(sandbox / "outside", project / "templates")
    os.symlink(sandbox / "VICTIM", project / "notes.md")
    with pytest.raises(WriteRefused, match=r"`templates` in .* is a link"):
        create_file(project, "templates/imported/x.md", b"x")
    with pytest.raises(WriteRefused, match=r"`notes\.md` in .* is a link"):
        create_file(project, "notes.md", b"x", exclusive=False)
    with pytest.raises(WriteRefused, match="is a link"):
        append_file(project, "notes.md", b"x")
    assert list((sandbox / "outside").iterdir()) == [] and (sandbox / "VICTIM").read_bytes() == b"untouched"


def test_new_files_are_created_exclusively_and_steps_out_are_refused(sandbox: Path) -> None:
    project = sandbox / "project"
    create_file(project, "specs/a.yaml", b"one")
    with pytest.raises(FileExistsError):
        create_file(project, "specs/a.yaml", b"two")
    assert (project / "specs" / "a.yaml").read_bytes() == b"one"
    for relative in ("../VICTIM", "specs/../../VICTIM", "/etc/x", "x\n/../../VICTIM", "", "a//b"):
        with pytest.raises(WriteRefused):
            create_file(project, relative, b"x")
    assert (sandbox / "VICTIM").read_bytes() == b"untouched"


def test_a_fifo_is_never_opened_for_writing(sandbox: Path) -> None:
    project = sandbox / "project"
    os.mkfifo(project / "pipe")
    with pytest.raises(WriteRefused, match="not a regular file"):
        create_file(project, "pipe", b"x", exclusive=False)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("..", "step out"),
        ("a/b", "separator"),
        ("a\\b", "separator"),
        ("x\n", "U+000A"),
        ("\u202ex", "U+202E"),
        ("con", "reserved device"),
        ("AUX.yaml", "reserved device"),
        ("com1.txt", "reserved device"),
        (".hidden", "starts with a dot"),
        ("name.", "ends with a dot"),
        ("name ", "ends with a dot or a space"),
        ("a:b", "Windows forbids"),
        ("x" * 201, "longer than"),
        ("caf\udce9", "not UTF-8"),
    ],
)
def test_unportable_names_are_named(name: str, problem: str) -> None:
    found = name_problem(name)
    assert found is not None and problem in found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lookup_order", "lookup_order"),
        ("../../x/VICTIM", "x-VICTIM"),
        ("con", "con-function"),
        ("", "function"),
        ("Caf\u00e9 Men\u00fa", "Cafe-Menu"),
        ("\u65e5\u672c", "function"),
        ("a" * 100, "a" * 64),
    ],
)
def test_portable_names_come_from_server_text(text: str, expected: str) -> None:
    name = portable_name(text, fallback="function")
    assert name == expected and name_problem(name) is None


def test_user_outputs_go_anywhere_but_through_a_project_link(sandbox: Path) -> None:
    project = sandbox / "project"
    os.symlink(sandbox / "outside", project / "plans")
    with pytest.raises(WriteRefused, match=r"`plans` in .* is a link"):
        user_output_path(project / "plans" / "plan.json", project.resolve())
    assert (
        user_output_path(sandbox / "outside" / "plan.json", project.resolve())
        == sandbox / "outside" / "plan.json"
    )
    os.symlink(project, sandbox / "via")  # the user's own link to the project: its links are still refused
    with pytest.raises(WriteRefused):
        user_output_path(sandbox / "via" / "plans" / "plan.json", project.resolve())
