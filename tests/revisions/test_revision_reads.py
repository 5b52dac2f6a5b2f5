"""What a revision reads from git: one commit, only the blobs the desired state needs, the repository's filters
applied as a checkout would, submodules refused by name; and prune never acting on a partial read."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import openai
import pytest

from orchestrator.engine.git import find_repository, resolve_commit
from orchestrator.engine.ownership import OWNER_KEY
from orchestrator.engine.revisions import Snapshots
from tests.revisions.conftest import Repo, seed
from tests.support.live import assistants, snapshot
from tests.support.projects import spec, write, write_spec, write_yaml

ONE_COMMIT = "--rev takes one commit"


def test_a_revision_is_one_commit_never_a_range(history_repo: Repo) -> None:
    repo = history_repo
    for rev in ("^HEAD", "^HEAD~1", "^@", "HEAD~2..HEAD", "HEAD...HEAD~1"):
        for args in (
            ["diff", "--rev", rev],
            ["apply", "--rev", rev, "--yes"],
            ["history", "tutor", "--diff", rev],
        ):
            result = repo.cli(*args)
            assert result.exit_code == 1, (args, result.output)
            assert f"`{rev}`" in result.stderr and ONE_COMMIT in result.stderr, (args, result.stderr)
            assert "Traceback" not in result.output and "bug" not in result.output
    for rev, message in (
        ("--output=/tmp/x", "is not a git revision"),
        ("-c core.pager=sh", "is not a git revision"),
        ("HEAD:../..", "unknown git revision"),
    ):
        result = repo.cli("diff", "--rev", rev)
        assert result.exit_code == 1 and message in result.stderr, (rev, result.stderr)
        assert "Traceback" not in result.output


# -- only what the desired state needs (reproduction 15) -------------------------------------------


def _junk(root: Path, files: int, big_bytes: int) -> None:
    """Files no spec reaches: many small ones in many folders, and one big blob."""
    for index in range(files):
        path = root / "junk" / f"d{index // 500}" / f"f{index}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"junk {index}\n", encoding="utf-8")
    with open(root / "junk" / "big.bin", "wb") as out:
        out.write(os.urandom(1 << 20) * (big_bytes >> 20))


def test_a_revision_reads_only_the_blobs_its_desired_state_needs(repo: Repo, sdk: openai.OpenAI) -> None:
    root = repo.project
    seed(root)
    write(root / "docs" / "faq" / "returns.md", "# Returns\nThirty days.\n")
    write(root / "docs" / "faq" / "notes.txt", "Not matched by the glob.\n")
    write(root / "docs" / "shipping.md", "# Shipping\nTwo days.\n")
    write(root / "data" / "prices.csv", "sku,price\na,1\n")
    write_spec(
        root,
        "support",
        instructions="You help.",
        tools=["file_search", "code_interpreter"],
        knowledge={"files": ["../docs/**/*.md"]},
        code_files=["../data/prices.csv"],
    )
    _junk(root, 5_000, 20 << 20)
    repo.commit("c1", "Specs, their files, and junk")
    working = repo.cli("diff")
    assert working.exit_code == 2, working.output

    at_head = repo.cli("diff", "--rev", "HEAD")
    assert at_head.exit_code == 2, at_head.output
    assert at_head.stdout == working.stdout  # the same plan as the working tree's, files and all

    git = find_repository(root)
    assert git is not None
    with Snapshots(git) as snapshots:
        built = snapshots.root(resolve_commit(git, "HEAD"))
        assert built is not None
        written = sorted(p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file())
        assert not any(p.startswith("junk/") for p in written), "junk is never written"
        assert "docs/faq/notes.txt" not in written, "a glob writes only what it matches"
        assert {
            "docs/faq/returns.md",
            "docs/shipping.md",
            "data/prices.csv",
            "orchestrator.yaml",
            "schemas/exercise.json",
            "templates/partials/tone.md.j2",
        } <= set(written)
        assert snapshots.blobs_read == len(written) < 30  # of 5,000 junk files, none was read
    assert repo.cli("apply", "--rev", "HEAD", "--yes").exit_code == 0
    assert repo.cli("diff", "--rev", "HEAD").exit_code == 0
    assert repo.cli("diff").exit_code == 0


def test_a_revision_leaves_no_scratch_files(
    history_repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where this process's temporary folders go
    result = history_repo.cli("diff", "--rev", "HEAD~2")
    assert result.exit_code in (0, 2), result.output
    assert list(scratch.iterdir()) == []


# -- submodules (reproduction 10) ---------------------------------------------------------------------


def test_a_submodule_in_the_specs_folder_is_refused_by_name_and_nothing_is_pruned(
    repo: Repo, sdk: openai.OpenAI, tmp_path: Path
) -> None:
    vendor = Repo(tmp_path / "vendor", tmp_path / "vendor")  # a repository of spec files only
    vendor.top.mkdir()
    vendor.git("init", "-q", "-b", "main")
    write_yaml(vendor.top / "vendored.yaml", spec("vendored", instructions="From the vendor."))
    vendor.commit("v1", "A vendored spec")
    seed(repo.project)
    repo.commit("c1", "Specs")
    repo.git(
        "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(vendor.top), "deploy/specs/vendor"
    )
    repo.commit("c2", "Vendor specs as a submodule")
    assert repo.cli("validate").exit_code == 0
    assert repo.cli("apply", "--yes").exit_code == 0  # the working tree has the submodule's files
    before = set(_live_names(sdk))
    assert "vendored" in before

    for args in (["diff", "--rev", "HEAD"], ["apply", "--rev", "HEAD", "--prune", "--yes"]):
        result = repo.cli(*args)
        assert result.exit_code == 1, (args, result.output)
        assert "specs/vendor" in result.stderr and "is a git submodule" in result.stderr, result.stderr
        assert "nothing was changed" in result.stderr and "Traceback" not in result.output
    assert set(_live_names(sdk)) == before, "a partial read deletes nothing"
    assert (
        repo.cli("apply", "--rev", "HEAD~1", "--prune", "--yes").exit_code == 0
    )  # before the submodule: fine


def _live_names(sdk: openai.OpenAI) -> list[str]:
    return [str((a.metadata or {}).get(OWNER_KEY, "")).rpartition("/")[2] for a in assistants(sdk)]


# -- filters, as a checkout applies them (reproduction 21) ----------------------------------------------


def test_a_revision_applies_the_repositorys_filters_as_a_checkout_would(
    repo: Repo, sdk: openai.OpenAI
) -> None:
    """The blob holds `@@COMPANY@@`, the checkout (and so the live object) `Acme`: diff --rev HEAD is clean."""
    repo.git("config", "filter.company.clean", "sed s/Acme/@@COMPANY@@/")
    repo.git("config", "filter.company.smudge", "sed s/@@COMPANY@@/Acme/")
    seed(repo.project)
    write(repo.project / ".gitattributes", "templates/*.j2 filter=company\n")
    write(repo.project / "templates" / "analyst.md.j2", "You analyse sales for Acme.\n")
    repo.commit("c1", "A filtered template")
    assert "@@COMPANY@@" in repo.git("cat-file", "-p", "HEAD:deploy/templates/analyst.md.j2")
    assert repo.cli("apply", "--yes").exit_code == 0
    result = repo.cli("diff", "--rev", "HEAD")
    assert result.exit_code == 0, result.output  # in sync, as list says
    assert "@@COMPANY@@" not in result.output


def test_a_filter_that_cannot_be_applied_refuses_the_revision_by_path(repo: Repo, sdk: openai.OpenAI) -> None:
    """LFS with no git-lfs here (no driver configured), and a driver whose program is missing."""
    root = repo.project
    seed(root)
    write(root / "docs" / "guide.md", "version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 9\n")
    write_spec(
        root, "guide", instructions="You guide.", tools=["file_search"], knowledge={"files": ["../docs/*.md"]}
    )
    write(root / ".gitattributes", "docs/*.md filter=lfs diff=lfs merge=lfs -text\n")
    repo.commit("c1", "An LFS file")
    assert repo.cli("apply", "--yes").exit_code == 0
    before = snapshot(sdk)
    for args in (["diff", "--rev", "HEAD"], ["apply", "--rev", "HEAD", "--prune", "--yes"]):
        result = repo.cli(*args)
        assert result.exit_code == 1, (args, result.output)
        assert "docs/guide.md" in result.stderr and "needs the git filter `lfs`" in result.stderr, (
            result.stderr
        )
        assert "git-lfs" in result.stderr and "Traceback" not in result.output

    repo.git("config", "filter.lfs.smudge", "no-such-filter-driver %f")
    result = repo.cli("apply", "--rev", "HEAD", "--prune", "--yes")
    assert result.exit_code == 1, result.output
    assert "docs/guide.md" in result.stderr and "git could not apply `filter=lfs`" in result.stderr, (
        result.stderr
    )
    assert snapshot(sdk) == before, "nothing was changed, nothing deleted"
    assert (
        repo.cli("validate").exit_code == 0
    )  # the working tree itself is fine: only the revision is refused


def test_rollback_to_a_revision_with_a_submodule_changes_nothing(
    repo: Repo, sdk: openai.OpenAI, tmp_path: Path
) -> None:
    vendor = Repo(tmp_path / "vendor", tmp_path / "vendor")
    vendor.top.mkdir()
    vendor.git("init", "-q", "-b", "main")
    write_yaml(vendor.top / "vendored.yaml", spec("vendored", instructions="From the vendor."))
    vendor.commit("v1", "A vendored spec")
    seed(repo.project)
    repo.git(
        "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(vendor.top), "deploy/specs/vendor"
    )
    repo.commit("c1", "Specs, and vendor specs as a submodule")
    repo.git("rm", "-q", "-r", "deploy/specs/vendor")
    write_spec(repo.project, "helper", instructions="You help, briefly.")
    repo.commit("c2", "No more vendor specs; a shorter helper")
    assert repo.cli("apply", "--yes").exit_code == 0
    before = snapshot(sdk)
    result = repo.cli("rollback", "helper", "--yes")  # c1 cannot be read whole, so it is no rollback target
    assert result.exit_code == 1, result.output
    assert "nothing was changed" in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(sdk) == before


def test_links_a_spec_reaches_are_followed_inside_the_project(repo: Repo, sdk: openai.OpenAI) -> None:
    """A spec file linked from another folder, and a glob through a link to a folder: as in the working tree."""
    root = repo.project
    seed(root)
    write(root / "realdocs" / "a.md", "# A\n")
    write(root / "realdocs" / "other.txt", "Not matched.\n")
    (root / "docs").symlink_to("realdocs")
    write_yaml(
        root / "shared" / "kb.yaml",
        spec("kb", instructions="KB.", tools=["file_search"], knowledge={"files": ["../docs/*.md"]}),
    )
    (root / "specs" / "kb.yaml").symlink_to("../shared/kb.yaml")
    repo.commit("c1", "Links")
    working = repo.cli("diff")
    assert working.exit_code == 2 and "realdocs/a.md" in working.stdout, working.output
    at_head = repo.cli("diff", "--rev", "HEAD")
    assert at_head.exit_code == 2, at_head.output
    assert at_head.stdout == working.stdout
    git = find_repository(root)
    assert git is not None
    with Snapshots(git) as snapshots:
        built = snapshots.root(resolve_commit(git, "HEAD"))
        assert built is not None
        assert (built / "realdocs" / "a.md").is_file() and not (built / "realdocs" / "other.txt").exists()
