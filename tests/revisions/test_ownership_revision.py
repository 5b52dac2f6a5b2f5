"""The revision inside the ownership hash value: parsed, written, and never part of the digests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from orchestrator.engine.git import find_repository
from orchestrator.engine.ownership import (
    HASH_KEY,
    MAX_VALUE_LENGTH,
    OWNER_KEY,
    Digests,
    Owner,
    parse_claim,
    parse_digests,
    parse_revision,
    stamp,
    with_claim,
    with_revision,
)
from orchestrator.engine.revisions import Revision, Snapshots

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def stamped() -> dict[str, str]:
    return stamp({"team": "a"}, Owner("p", "dev", "tutor"), Digests("f" * 24, "r" * 24))


def test_revision_and_claim_live_together_in_the_hash_value() -> None:
    metadata = with_claim(with_revision(stamped(), f"{COMMIT}+dirty"), "abcdef0123456789")
    assert metadata[HASH_KEY] == f"{'f' * 24}.{'r' * 24};claim=abcdef0123456789;rev={COMMIT}+dirty"
    assert parse_digests(metadata) == Digests("f" * 24, "r" * 24)
    assert parse_claim(metadata) == "abcdef0123456789"
    assert parse_revision(metadata) == f"{COMMIT}+dirty"
    assert Revision.parse(parse_revision(metadata)) == Revision(COMMIT, dirty=True)
    assert metadata[OWNER_KEY] == "p/dev/tutor" and metadata["team"] == "a"


def test_the_longest_stamp_fits_the_metadata_limit() -> None:
    sha256 = "a" * 64
    value = with_claim(with_revision(stamped(), sha256 + "+dirty"), "b" * 64)[HASH_KEY]
    assert len(value) <= MAX_VALUE_LENGTH


def test_older_stamps_still_parse_and_a_stamp_without_revision_has_none() -> None:
    old = {HASH_KEY: f"{'f' * 24}.{'r' * 24};claim=abcdef0123456789"}
    assert parse_digests(old) == Digests("f" * 24, "r" * 24) and parse_claim(old) == "abcdef0123456789"
    assert parse_revision(old) is None
    assert parse_revision(stamped()) is None
    assert with_revision(with_revision(stamped(), COMMIT), None)[HASH_KEY] == stamped()[HASH_KEY]


@pytest.mark.parametrize("value", ["xyz", "0123", COMMIT + "+wip", COMMIT.upper(), "../" + COMMIT])
def test_a_malformed_revision_is_ignored_when_read_and_refused_when_written(value: str) -> None:
    assert parse_revision({HASH_KEY: f"a.b;rev={value}"}) is None
    with pytest.raises(ValueError):
        with_revision(stamped(), value)


def test_a_snapshot_keeps_no_link_that_leaves_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    top = tmp_path / "repo"
    (top / "project" / "specs").mkdir(parents=True)
    (top / "project" / "orchestrator.yaml").write_text("version: 1\nproject: p\n", encoding="utf-8")
    (top / "secret.txt").write_text("outside\n", encoding="utf-8")
    (top / "project" / "specs" / "up.md").symlink_to("../../secret.txt")
    (top / "project" / "specs" / "abs.md").symlink_to("/etc/hostname")
    (top / "project" / "specs" / "in.md").symlink_to("../orchestrator.yaml")
    env = {
        "GIT_AUTHOR_NAME": "a",
        "GIT_AUTHOR_EMAIL": "a@b",
        "GIT_COMMITTER_NAME": "a",
        "GIT_COMMITTER_EMAIL": "a@b",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "links"]):
        subprocess.run(
            ["git", "-C", str(top), *args],
            check=True,
            capture_output=True,
            env={**env, "PATH": "/usr/bin:/bin"},
        )
    repo = find_repository(top / "project")
    assert repo is not None and repo.prefix == "project"
    with Snapshots(repo) as snapshots:
        root = snapshots.root("HEAD")
        assert root is not None
        assert sorted(p.name for p in (root / "specs").iterdir()) == ["in.md"]
        assert (root / "specs" / "in.md").read_text(encoding="utf-8").startswith("version: 1")
        base = snapshots.base
    assert not base.exists()  # removed on close
