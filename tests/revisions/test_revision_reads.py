"""What a revision reads from git: one commit, only the blobs the desired state needs, the repository's filters
applied as a checkout would, submodules refused by name; and prune never acting on a partial read."""

from __future__ import annotations

from tests.revisions.conftest import Repo

ONE_COMMIT = "--rev takes one commit"


def test_a_revision_is_one_commit_never_a_range(history_repo: Repo) -> None:
    repo = history_repo
    for rev in ("^HEAD", "^HEAD~1", "^@", "HEAD~2..HEAD", "HEAD...HEAD~1"):
        for args in (["diff", "--rev", rev], ["apply", "--rev", rev, "--yes"], ["history", "tutor", "--diff", rev]):
            result = repo.cli(*args)
            assert result.exit_code == 1, (args, result.output)
            assert f"`{rev}`" in result.stderr and ONE_COMMIT in result.stderr, (args, result.stderr)
            assert "Traceback" not in result.output and "bug" not in result.output
    for rev, message in (("--output=/tmp/x", "is not a git revision"), ("-c core.pager=sh", "is not a git revision"),
                         ("HEAD:../..", "unknown git revision")):
        result = repo.cli("diff", "--rev", rev)
        assert result.exit_code == 1 and message in result.stderr, (rev, result.stderr)
        assert "Traceback" not in result.output
