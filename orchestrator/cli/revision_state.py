"""Where a run's desired state comes from: the working tree, or the tree of a git commit (`--rev REV`).

A state built from a commit reads that commit's specs, templates, schemas, knowledge files and vars
from git objects in a temporary folder; the target stays the one the project defines now, and its
state (`.orchestrator/`, the local database, the apply lock) stays the real project's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.common import print_diagnostics, today, use_project_redactor
from orchestrator.cli.engine import Invalid, load_selection, load_state
from orchestrator.cli.output import echo
from orchestrator.engine.desired import DesiredState
from orchestrator.engine.planning import Plan
from orchestrator.spec.project import Project

REV_HELP = (
    "Build the desired state from git revision REV (a commit, tag or branch; HEAD~1 is the previous "
    "commit) instead of the working tree. Nothing is checked out."
)


def rev_option(func: Any) -> Any:
    return click.option("--rev", "rev", default=None, metavar="REV", help=REV_HELP)(func)


@dataclass(frozen=True, slots=True)
class Source:
    """A desired state and where it came from."""

    state: DesiredState  # its project root is a temporary folder when built from a commit
    project: Project  # the real project: connections, the local database and the apply lock use it
    revision: Any = None  # revisions.Revision of the commit; None for the working tree

    @property
    def files_root(self) -> Path:
        """Where knowledge and code files are read from for upload."""
        return self.state.project.root


@contextmanager
def desired_source(
    directory: Path | None, environment: str | None, target: str | None, rev: str | None
) -> Iterator[Source]:
    """The validated desired state of the working tree, or of git revision rev. Raises Invalid (diagnostics
    printed) when it does not validate."""
    if rev is None:
        state = load_state(directory, environment, target)
        yield Source(state, state.project)
        return
    from orchestrator.engine.git import require_repository, resolve_commit
    from orchestrator.engine.revisions import Revision, Snapshots

    selection = load_selection(directory, environment, target)
    repo = require_repository(selection.project.root, "--rev")
    commit = resolve_commit(repo, rev)
    with Snapshots(repo) as snapshots:
        state = build_revision(snapshots, commit, selection, announce=True)
        yield Source(state, selection.project, Revision(commit))


def build_revision(
    snapshots: Any, commit: str, selection: Any, *, names: Any = None, announce: bool = False
) -> DesiredState:
    """The desired state at commit for the selection's environment and target; Invalid when it does not validate."""
    from orchestrator.engine.git import describe_commits
    from orchestrator.engine.revisions import build_at

    built = build_at(
        snapshots,
        commit,
        environment=selection.environment.name,
        target=selection.target,
        today=today(),
        names=names,
    )
    if announce:
        echo(
            f"Desired state from revision {describe(describe_commits(snapshots.repo, [commit])[commit])}",
            err=True,
        )
    if built.state is not None:
        use_project_redactor(built.state.project)
    if built.diagnostics:
        print_diagnostics(built.diagnostics, summary=built.diagnostics.has_errors)
    if snapshots.problems(commit):  # a partial read: never planned from, so nothing is pruned for it
        echo(
            f"error: revision {commit[:7]} cannot be read as a checkout would give it (see above); "
            "nothing was changed",
            err=True,
        )
        raise Invalid
    if built.state is None or built.diagnostics.has_errors:
        echo(f"error: the project at revision {commit[:7]} does not validate; nothing was changed", err=True)
        raise Invalid
    return built.state


def describe(commit: Any) -> str:
    """`abc1234 (Subject, Author, 2026-11-02)`."""
    return f"{commit.id[:7]} ({commit.subject}, {commit.author}, {commit.date[:10]})"


def stamp(plan: Plan, source: Source) -> Plan:
    """The plan's ownership stamps carrying the revision each spec was built from (unknown outside git)."""
    from orchestrator.engine.revisions import revisioned_specs, stamp_revisions, working_tree_revisions

    specs = revisioned_specs(source.state)  # the target's own kind and the kinds with versions (skills)
    if source.revision is not None:
        return stamp_revisions(plan, dict.fromkeys(specs, source.revision))
    return stamp_revisions(plan, working_tree_revisions(source.state.project.root, specs))
