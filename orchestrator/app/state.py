"""Desired state: built from the working tree or from the tree of a git commit (`--rev REV`).

A state built from a commit reads that commit's specs, templates, schemas, knowledge files and vars
from git objects in a temporary folder; the target stays the one the project defines now, and its
state (`.orchestrator/`, the local database, the apply lock) stays the real project's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.app.project import Invalid, Selection, select, today, use_project_redactor
from orchestrator.app.report import Reporter
from orchestrator.diagnostics import Diagnostics
from orchestrator.engine.building import build_desired
from orchestrator.engine.desired import DesiredState
from orchestrator.engine.planning import Plan
from orchestrator.errors import OrchestratorError
from orchestrator.spec.project import Project

if TYPE_CHECKING:
    from orchestrator.engine.git import Commit
    from orchestrator.engine.revisions import Revision, Snapshots


def build_state(
    root: Path,
    environment: str | None,
    target: str | None,
    *,
    selection: Selection | Diagnostics | None = None,
    preview: str | None = None,
) -> tuple[DesiredState | None, Diagnostics]:
    """The validated desired state and every diagnostic found; no state when any diagnostic is an error.
    preview: the state of that preview of the environment (app/previews.py)."""
    if selection is None:
        selection = select(root, environment, target)
    if isinstance(selection, Diagnostics):
        return None, selection
    state = build_desired(selection.project, selection.environment, selection.target, today=today())
    all_diagnostics = Diagnostics(selection.diagnostics)
    all_diagnostics.extend(state.diagnostics)
    if all_diagnostics.has_errors:
        return None, all_diagnostics
    state = replace(state, diagnostics=all_diagnostics)  # the state carries the whole run's
    if preview is not None:
        from orchestrator.app.previews import preview_state

        state = preview_state(state, preview)
    return state, all_diagnostics


def load_state(
    root: Path, environment: str | None, target: str | None, *, reporter: Reporter, preview: str | None = None
) -> DesiredState:
    """build_state, its diagnostics reported; Invalid when it does not validate."""
    state, diagnostics = build_state(root, environment, target, preview=preview)
    if diagnostics:
        reporter.diagnostics(diagnostics, summary=diagnostics.has_errors)
    if state is None:
        raise Invalid
    return state


def load_selection(
    root: Path, environment: str | None, target: str | None, *, reporter: Reporter, preview: str | None = None
) -> Selection:
    """The project, environment and target; with preview, the environment is that preview's owner."""
    selection = select(root, environment, target)
    if isinstance(selection, Diagnostics):
        reporter.diagnostics(selection)
        raise Invalid
    if preview is not None:
        from orchestrator.app.previews import preview_environment

        selection = replace(selection, environment=preview_environment(selection.environment, preview))
    return selection


def parse_only(only: tuple[str, ...], state: DesiredState) -> frozenset[str] | None:
    if not only:
        return None
    known = set(state.specs).union(*(set(names) for names in state.resources.values()))
    unknown = sorted(set(only) - known)
    if unknown:
        raise OrchestratorError("; ".join(state.unknown_spec(name) for name in unknown) + " (in --only)")
    return frozenset(only)


@dataclass(frozen=True, slots=True)
class Source:
    """A desired state and where it came from."""

    state: DesiredState  # its project root is a temporary folder when built from a commit
    project: Project  # the real project: connections, the local database and the apply lock use it
    revision: Revision | None = None  # of the commit; None for the working tree

    @property
    def files_root(self) -> Path:
        """Where knowledge and code files are read from for upload."""
        return self.state.project.root


@contextmanager
def desired_source(
    root: Path, environment: str | None, target: str | None, rev: str | None, *, reporter: Reporter
) -> Iterator[Source]:
    """The validated desired state of the working tree, or of git revision rev. Raises Invalid (diagnostics
    reported) when it does not validate."""
    if rev is None:
        state = load_state(root, environment, target, reporter=reporter)
        yield Source(state, state.project)
        return
    from orchestrator.engine.git import require_repository, resolve_commit
    from orchestrator.engine.revisions import Revision, Snapshots

    selection = load_selection(root, environment, target, reporter=reporter)
    repo = require_repository(selection.project.root, "--rev")
    commit = resolve_commit(repo, rev)
    with Snapshots(repo) as snapshots:
        state = build_revision(snapshots, commit, selection, reporter=reporter, announce=True)
        yield Source(state, selection.project, Revision(commit))


def build_revision(
    snapshots: Snapshots,
    commit: str,
    selection: Selection,
    *,
    reporter: Reporter,
    names: Iterable[str] | None = None,
    announce: bool = False,
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
        reporter.note(
            f"Desired state from revision {describe(describe_commits(snapshots.repo, [commit])[commit])}"
        )
    if built.state is not None:
        use_project_redactor(built.state.project)
    if built.diagnostics:
        reporter.diagnostics(built.diagnostics, summary=built.diagnostics.has_errors)
    if snapshots.problems(commit):  # a partial read: never planned from, so nothing is pruned for it
        reporter.note(
            f"error: revision {commit[:7]} cannot be read as a checkout would give it (see above); "
            "nothing was changed"
        )
        raise Invalid
    if built.state is None or built.diagnostics.has_errors:
        reporter.note(f"error: the project at revision {commit[:7]} does not validate; nothing was changed")
        raise Invalid
    return built.state


def describe(commit: Commit) -> str:
    """`abc1234 (Subject, Author, 2026-11-02)`."""
    return f"{commit.id[:7]} ({commit.subject}, {commit.author}, {commit.date[:10]})"


def stamp(plan: Plan, source: Source) -> Plan:
    """The plan's ownership stamps carrying the revision each spec was built from (unknown outside git)."""
    from orchestrator.engine.revisions import revisioned_specs, stamp_revisions, working_tree_revisions

    specs = revisioned_specs(source.state)  # the target's own kind and the kinds with versions (skills)
    if source.revision is not None:
        return stamp_revisions(plan, dict.fromkeys(specs, source.revision))
    return stamp_revisions(plan, working_tree_revisions(source.state.project.root, specs))
