"""The one gate every reader uses: links followed, then the path must stay in the project."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from orchestrator.spec.confinement import MAX_GLOB_ENTRIES, Refused, confine, glob_confined, read_confined


def test_a_path_inside_the_root_resolves_to_itself(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    assert confine(tmp_path / "a.txt", tmp_path) == tmp_path / "a.txt"


def test_a_link_out_of_the_root_is_refused_and_named(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    os.symlink("/etc/hostname", root / "h")
    with pytest.raises(Refused) as caught:
        confine(root / "h", root)
    assert caught.value.message("h") == (
        "`h` is a link to `/etc/hostname`, outside the project folder; "
        "files a project reads must be inside it"
    )


def test_a_link_into_git_or_the_state_folder_is_refused(tmp_path: Path) -> None:
    for private in (".git", ".orchestrator"):
        (tmp_path / private).mkdir()
        (tmp_path / private / "config").write_text("secret")
        os.symlink(tmp_path / private / "config", tmp_path / f"{private}-link")
        with pytest.raises(Refused, match=f"resolves into `{private}/`"):
            confine(tmp_path / f"{private}-link", tmp_path)


def test_a_loop_of_links_is_refused(tmp_path: Path) -> None:
    os.symlink("loop", tmp_path / "loop")
    with pytest.raises(Refused, match="loop of links"):
        confine(tmp_path / "loop", tmp_path)


def test_reads_are_bounded_and_only_of_regular_files(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * 11)
    assert read_confined(tmp_path / "big", tmp_path, limit=11, what="a file") == b"x" * 11
    with pytest.raises(Refused, match="is 11 bytes; the limit for a file is 10"):
        read_confined(tmp_path / "big", tmp_path, limit=10, what="a file")
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(Refused, match="not a regular file"):
        read_confined(tmp_path / "fifo", tmp_path, limit=10, what="a file")


@pytest.mark.parametrize(
    "pattern",
    [
        "*.md",
        "kb/*.md",
        "kb/**/*.md",
        "**/*.md",
        "**",
        "kb/note?.md",
        "kb/[ab]*.md",
        "kb/[!a]*.md",
        "kb/sub/deep.md",
        "kb/*/*.md",
        ".hidden/*.md",
        "kb/**",
        "../root/kb/*.md",
    ],
)
def test_globs_match_what_python_glob_matches_on_a_tree_without_links(tmp_path: Path, pattern: str) -> None:
    root = tmp_path / "root"
    for name in (
        "top.md",
        "kb/a.md",
        "kb/b.md",
        "kb/note1.md",
        "kb/sub/deep.md",
        "kb/sub/x.txt",
        "kb/.secret.md",
        ".hidden/h.md",
        "kb/sub/.dot/y.md",
    ):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)
    expected = sorted(Path(p) for p in glob.glob(str(root / pattern), recursive=True) if Path(p).is_file())
    found = glob_confined(root, pattern, tmp_path)
    assert [p.resolve() for p in found] == [p.resolve() for p in expected]


def test_globs_do_not_walk_into_folder_links(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "a.md").write_text("a")
    for name in ("l1", "l2", "l3"):
        os.symlink(".", tmp_path / "kb" / name)
    assert glob_confined(tmp_path, "kb/**/*.md", tmp_path) == [tmp_path / "kb" / "a.md"]


def test_a_glob_visiting_too_many_entries_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("orchestrator.spec.confinement.MAX_GLOB_ENTRIES", 5)
    for index in range(10):
        (tmp_path / f"f{index}.md").write_text("x")
    with pytest.raises(Refused, match="visits more than 5 files"):
        glob_confined(tmp_path, "**/*.md", tmp_path)
    assert MAX_GLOB_ENTRIES == 100_000
