"""Git revisions: which commit each live object was applied from, the desired state at any commit, and
the history of what one spec deploys.

Git is run through its command-line tool (a subprocess), only by the commands that use revisions.
Of the tree of a commit, only what its desired state needs is written from git objects into a private
temporary folder (orchestrator.engine.revision_trees), never by checking out: the working tree, the
index and the project's `.orchestrator/` are never touched. Filtered files are read through git's
filters as a checkout writes them; what cannot be read so (a submodule, a filter with no driver) is
refused by name, and a build from such a partial read gives no desired state.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from orchestrator.diagnostics import Diagnostic, Diagnostics, error
from orchestrator.engine.desired import DesiredSpec, DesiredState
from orchestrator.engine.git import (
    Commit,
    Distance,
    GitError,
    Repository,
    changed_files,
    distance,
    find_repository,
    git_environment,
    has_commit,
    head_commit,
    is_ancestor,
    project_log,
    resolve_commit,
)
from orchestrator.engine.live import LiveObject, Mapping_
from orchestrator.engine.ownership import DIRTY_SUFFIX, REVISION_PATTERN, parse_revision, with_revision
from orchestrator.engine.planning import Action, Plan
from orchestrator.engine.spec_discovery import discover_spec_files
from orchestrator.errors import OrchestratorError
from orchestrator.spec.project import PROJECT_FILE, Project, Target, load_project, selection_diagnostics

GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class Revision:
    """The commit a payload was built from; dirty when the working tree differed from it for the spec's files."""

    commit: str
    dirty: bool = False

    @property
    def label(self) -> str:
        """As recorded in the ownership metadata: `<commit>` or `<commit>+dirty`."""
        return self.commit + (DIRTY_SUFFIX if self.dirty else "")

    @property
    def short(self) -> str:
        return self.commit[:7]

    @classmethod
    def parse(cls, label: str | None) -> Revision | None:
        if not label or not REVISION_PATTERN.match(label):
            return None
        return cls(label.removesuffix(DIRTY_SUFFIX), label.endswith(DIRTY_SUFFIX))


def live_revision(metadata: Mapping[str, Any] | None) -> Revision | None:
    """The revision a live object's ownership metadata records, if any."""
    return Revision.parse(parse_revision(metadata))


# -- the working tree ----------------------------------------------------------------------------


# the kinds besides the target's own whose live objects record the revision they were applied from, so that
# `list`, `history` and `rollback` cover them: the kinds with versions (a skill's new content is a new version)
REVISIONED_KINDS = ("skill",)


def revisioned_specs(state: DesiredState) -> dict[str, Any]:
    """The specs whose applies record a git revision: the target's own kind and REVISIONED_KINDS, by name."""
    found: dict[str, Any] = dict(state.specs)
    for kind in REVISIONED_KINDS:
        found.update(state.of_kind(kind))
    return found


def spec_files(spec: Any, root: Path) -> frozenset[str]:
    """The project-relative paths of every file spec was built from: its spec file, templates and
    partials, schema files, knowledge and code files, a skill's folder files (and orchestrator.yaml, whose
    vars it renders with)."""
    found = {PROJECT_FILE}
    for path in spec.dependencies:
        relative = _relative(path, root)
        found.add(relative if relative is not None else str(path))
    if isinstance(spec, DesiredSpec):
        found.update(item.path for item in (*spec.knowledge_files, *spec.code_files))
    return frozenset(found)


def _relative(path: Path, root: Path) -> str | None:
    normal = Path(os.path.normpath(path))
    try:
        return normal.relative_to(root).as_posix()
    except ValueError:
        try:
            return normal.resolve().relative_to(root).as_posix()
        except (OSError, ValueError):
            return None


def working_revisions(repo: Repository, specs: Mapping[str, DesiredSpec]) -> dict[str, Revision]:
    """Each spec's revision when built from the working tree: HEAD, dirty when any of its files differs
    from HEAD (modified, staged, untracked or ignored). Empty before the first commit."""
    files = {name: spec_files(spec, repo.root) for name, spec in specs.items()}
    paths = sorted(set().union(*files.values())) if files else [PROJECT_FILE]
    head, changed = changed_files(repo, paths)
    if head is None:
        return {}
    outside = {p for p in paths if p.startswith("/")}  # not in the project folder: git cannot vouch for it
    result = {}
    for name, names in files.items():
        dirty = any(repo.to_repo(p) in changed or p in outside for p in names)
        result[name] = Revision(head, dirty)
    return result


def stamp_revisions(plan: Plan, revisions: Mapping[str, Revision]) -> Plan:
    """The plan with each create's and update's ownership stamp carrying the revision it was built from."""
    changes = []
    for change in plan.changes:
        revision = revisions.get(change.name)
        if change.action in (Action.CREATE, Action.UPDATE) and change.metadata is not None:
            change = replace(
                change, metadata=with_revision(change.metadata, revision.label if revision else None)
            )
        changes.append(change)
    return replace(plan, changes=tuple(changes))


def working_tree_revisions(root: Path, specs: Mapping[str, DesiredSpec]) -> dict[str, Revision]:
    """The revisions of specs built from the working tree of the project in root; empty outside git."""
    repo = find_repository(root)
    if repo is None:
        return {}
    try:
        return working_revisions(repo, specs)
    except GitError:  # e.g. a repository git refuses to read (another owner): the revision is unknown
        return {}


def describe_revision(revision: Revision | None, far: Distance | None, *, known: bool = True) -> str:
    """How a live revision stands against HEAD, for people: "abc1234, 3 commits behind", "unknown"."""
    if revision is None:
        return "unknown"
    parts = [revision.short]
    if revision.dirty:
        parts.append("dirty")
    if not known:
        parts.append("not in this repository")
    elif far is not None:
        if far.ahead and far.behind:
            parts.append(f"{far.ahead} ahead, {far.behind} behind")
        elif far.behind:
            parts.append(f"{far.behind} commit{'s' if far.behind != 1 else ''} behind")
        elif far.ahead:
            parts.append(f"{far.ahead} commit{'s' if far.ahead != 1 else ''} ahead")
        else:
            parts.append("at HEAD")
    return ", ".join(parts)


# -- trees of commits, written from git objects ---------------------------------------------------


class Snapshots:
    """Project folders as they were at given commits (what their desired state needs of them), written into
    one temporary folder from git objects.

    Folders are kept per tree id (commits with the same project tree share one); blobs are written once
    and hard-linked into each folder. Everything is removed on close.
    """

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self._base: Path | None = None
        self._roots: dict[str, Path] = {}
        self._trees: dict[str, str | None] = {}
        self._blobs: set[str] = set()
        self._problems: dict[str, tuple[Diagnostic, ...]] = {}
        self.blobs_read = 0  # blobs read from git and written (what the tests count)

    def __enter__(self) -> Snapshots:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._base is not None:
            shutil.rmtree(self._base, ignore_errors=True)
        self._base = None
        self._roots.clear()
        self._blobs.clear()

    @property
    def base(self) -> Path:
        if self._base is None:
            self._base = Path(tempfile.mkdtemp(prefix="orchestrator-rev-")).resolve()
            (self._base / "blobs").mkdir()
        return self._base

    def trees(self, commits: Iterable[str]) -> dict[str, str | None]:
        """The tree id of the project folder at each commit (None where the folder does not exist)."""
        commits = list(commits)
        wanted = [c for c in dict.fromkeys(commits) if c not in self._trees]
        if wanted:
            spec = (lambda c: f"{c}:{self.repo.prefix}") if self.repo.prefix else (lambda c: f"{c}^{{tree}}")
            output = self.repo.run(
                "cat-file",
                "--batch-check=%(objectname) %(objecttype)",
                input="".join(spec(c) + "\n" for c in wanted).encode(),
            )
            for commit, line in zip(wanted, output.decode().splitlines(), strict=True):
                parts = line.split()
                self._trees[commit] = parts[0] if len(parts) == 2 and parts[1] == "tree" else None
        return {c: self._trees[c] for c in commits}

    def root(self, commit: str) -> Path | None:
        """The project folder as of commit (None when the commit has no such folder)."""
        tree = self.trees([commit])[commit]
        if tree is None:
            return None
        found = self._roots.get(tree)
        if found is None:
            found = self._roots[tree] = self._write(tree)
        return found

    def problems(self, commit: str) -> tuple[Diagnostic, ...]:
        """What the tree at commit holds that could not be read as a checkout gives it (a submodule, a filter
        with no driver here): a build from it would be partial, so it is refused."""
        tree = self.trees([commit])[commit]
        return self._problems.get(tree, ()) if tree is not None else ()

    def _write(self, tree: str) -> Path:
        """Only what the desired state needs: see orchestrator.engine.revision_trees."""
        from orchestrator.engine.revision_trees import TreeWriter

        writer = TreeWriter(
            self.repo.git,
            self.repo.root,
            git_environment(),
            tree,
            self.base / "trees" / tree,
            self.base / "blobs",
            self._blobs,
            self.repo.prefix,
        )
        writer.write()
        self._problems[tree] = tuple(writer.problems)
        self.blobs_read += writer.written
        return writer.root


# -- desired state at a commit --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Built:
    """The desired state at one commit, built from its tree (or why it could not be)."""

    commit: str
    root: Path | None
    state: DesiredState | None
    diagnostics: Diagnostics
    complete: bool = True  # every spec file was read (a spec missing from state is really absent)


def build_at(
    snapshots: Snapshots,
    commit: str,
    *,
    environment: str,
    target: Target,
    today: date,
    names: Iterable[str] | None = None,
) -> Built:
    """Build the desired state from the project as it was at commit (its specs, templates, files and vars),
    for target as the project defines it now (where live objects are); names limits it to those specs."""
    from orchestrator.engine.building import Builder

    root = snapshots.root(commit)
    problems = snapshots.problems(commit)
    if problems:  # a partial read: never a desired state (prune would delete what it could not see)
        return Built(commit, root, None, Diagnostics(problems), complete=False)
    if root is None or not (root / PROJECT_FILE).is_file():
        return Built(
            commit,
            root,
            None,
            Diagnostics([error(PROJECT_FILE, f"no {PROJECT_FILE} at this revision")]),
            complete=True,
        )
    project, diagnostics = load_project(root)
    if project is None:
        return Built(commit, root, None, diagnostics, complete=False)
    if environment not in project.environments:
        return Built(
            commit,
            root,
            None,
            Diagnostics(
                [error(PROJECT_FILE, f"environment `{environment}` is not defined at this revision")]
            ),
            complete=False,
        )
    files, complete = None, True
    if names is not None:  # those specs and the specs they refer to, at this revision
        files, complete = spec_files_named(project, set(names), referred=True)
    state = Builder(project, project.environments[environment], target, today=today).build(files)
    found = Diagnostics(selection_diagnostics(diagnostics, target))
    found.extend(state.diagnostics)
    return Built(commit, root, replace(state, diagnostics=found), found, complete)


def spec_files_named(project: Project, names: set[str], *, referred: bool = False) -> tuple[list[Path], bool]:
    """The spec files whose `name` is one of names, read without building; and whether every file was read.
    referred: with the spec files of the specs they refer to, at any depth (a vault an MCP credential names,
    the environment an agent runs in, its skills, an automation's agent, environment and vaults), so that
    they build as in the whole project; a spec that refers to nothing costs no more than its own file."""
    from orchestrator.spec.loading import LoadError, load_yaml_file

    read: list[tuple[Path, dict[str, Any]]] = []
    complete = True
    for path in discover_spec_files(project):
        try:
            data = load_yaml_file(path, project.display(path)).data
        except LoadError:
            complete = False
            continue
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            complete = False
        else:
            read.append((path, data))
    wanted = set(names)
    if referred:
        by_name: dict[str, list[dict[str, Any]]] = {}
        for _, data in read:
            by_name.setdefault(data["name"], []).append(data)
        pending, whole = list(wanted), set()
        while pending:
            for data in by_name.get(pending.pop(), ()):
                named, kinds = spec_references(data)
                for kind in kinds - whole:  # a bare credential name: any vault may hold it
                    whole.add(kind)
                    named |= {d["name"] for _, d in read if d.get("kind") == kind}
                pending.extend(named - wanted)
                wanted |= named
    return [path for path, data in read if data["name"] in wanted], complete


def spec_references(data: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """What a spec file's data refers to, as read (unchecked: the build reports what is wrong): (spec names,
    kinds whose every spec it may need). The build resolves these in engine.building (`_resolve_references`,
    `_resolve_credentials`, `_pin_skills`) and in the kinds' `resolve` (an automation's target)."""
    names: set[str] = set()
    kinds: set[str] = set()
    if isinstance(data.get("environment"), str):  # an agent's environment
        names.add(data["environment"])
    for tool in data.get("tools") or () if isinstance(data.get("tools"), list) else ():
        credential = tool.get("credential") if isinstance(tool, dict) else None
        if isinstance(credential, str):  # `vault/name`, or a bare name any vault may hold
            vault, _, _ = credential.rpartition("/")
            if vault:
                names.add(vault)
            else:
                kinds.add("vault")
    for skill in data.get("skills") or () if isinstance(data.get("skills"), list) else ():
        name = skill.get("name") if isinstance(skill, dict) else skill
        if isinstance(name, str):  # an environment's skills
            names.add(name)
    target = data.get("target")
    if isinstance(target, dict):  # an automation's agent, environment and vaults
        names.update(v for v in (target.get("agent"), target.get("environment")) if isinstance(v, str))
        vaults = target.get("vaults") if isinstance(target.get("vaults"), list) else ()
        names.update(v for v in vaults if isinstance(v, str))
    if isinstance(data.get("spec"), str):  # a test's spec
        names.add(data["spec"])
    return names, kinds


# -- the history of one spec ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpecView:
    """What one spec is at one commit, as far as history needs: its files, glob folders and payload digest."""

    present: bool | None  # None: cannot tell (the project or a spec file did not load)
    files: frozenset[str] | None = None
    folders: tuple[str, ...] = ()  # the fixed folders of its knowledge and code globs
    digest: str | None = None
    valid: bool = False
    uploads: tuple[
        tuple[str, str], ...
    ] = ()  # (project path, sha256) of the knowledge and code files it uploads


@dataclass(frozen=True, slots=True)
class Comparison:
    """What one commit did to what a spec deploys, against its first parent: the one definition `history` and
    `history --diff` share. What it deploys is the payload apply sends (the rendered object, as its essence
    digest) and the content of the files it uploads; not the files it is rendered from."""

    before: SpecView
    after: SpecView
    files: tuple[str, ...]  # the spec's files the commit touched (project-relative)

    @property
    def created(self) -> bool:
        return self.before.present is False and self.after.present is True

    @property
    def changed(self) -> bool:
        """The commit changed what the spec deploys (a revision that stops validating counts: it cannot apply)."""
        after, before = self.after, self.before
        return after.present is True and (
            after.digest != before.digest or after.uploads != before.uploads or after.valid != before.valid
        )

    def changed_uploads(self) -> list[tuple[str, str | None, str | None]]:
        """(path, sha256 before or None, sha256 after or None) of every uploaded file added, removed or changed."""
        before, after = dict(self.before.uploads), dict(self.after.uploads)
        return [
            (path, before.get(path), after.get(path))
            for path in sorted(before.keys() | after.keys())
            if before.get(path) != after.get(path)
        ]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    commit: Commit
    files: tuple[str, ...]  # the spec's files this commit changed (project-relative)
    created: bool = False  # the spec first appears here
    valid: bool = True  # the spec builds at this commit (an invalid revision cannot have been applied)
    deploys: bool = True  # it changed what the spec deploys (Comparison.changed); False: its files only


@dataclass
class History:
    """Walks a project's log once per spec, building the spec only at commits that may have changed it."""

    repo: Repository
    snapshots: Snapshots
    environment: str
    target: Target
    today: date
    mapping: Mapping_  # the backend mapping: the payload digest follows the target's backend
    kinds: Mapping[str, Mapping_] = field(
        default_factory=dict
    )  # the mappings of REVISIONED_KINDS on that backend
    found_kinds: dict[str, str] = field(default_factory=dict)  # spec name -> its kind, as the views found it
    _views: dict[tuple[str, str], SpecView] = field(default_factory=dict)
    _log: dict[str, list[Commit]] = field(default_factory=dict)

    def log(self, start: str) -> list[Commit]:
        if start not in self._log:
            self._log[start] = project_log(self.repo, start)
        return self._log[start]

    def view(self, commit: str | None, name: str) -> SpecView:
        if commit is None:
            return SpecView(present=False)
        tree = self.snapshots.trees([commit])[commit]
        if tree is None:
            return SpecView(present=False)
        key = (tree, name)
        if key not in self._views:
            self._views[key] = self._view(commit, name)
        return self._views[key]

    def _view(self, commit: str, name: str) -> SpecView:
        from orchestrator.engine.planning import essence_digests

        built = build_at(
            self.snapshots,
            commit,
            environment=self.environment,
            target=self.target,
            today=self.today,
            names=[name],
        )
        if built.state is None:
            return SpecView(present=None if not built.complete else False)
        spec, mapping = built.state.specs.get(name), self.mapping
        for kind in REVISIONED_KINDS:
            if spec is None and kind in self.kinds and name in built.state.of_kind(kind):
                spec, mapping = built.state.of_kind(kind)[name], self.kinds[kind]
                self.found_kinds.setdefault(name, kind)
        if spec is None and name in built.state.skipped:
            return SpecView(present=False)  # not deployed to this environment at that commit
        if spec is None:
            files = _claimed_files(built, name)
            if files is not None:  # the spec file is there but does not build: its own file is known
                return SpecView(present=True, files=files, folders=(), valid=False)
            return SpecView(present=False if built.complete else None)
        assert built.root is not None
        essence = mapping.desired_essence(spec)
        folders = (
            _glob_folders(spec, built.root)
            if isinstance(spec, DesiredSpec)
            else _skill_folder(spec, built.root)
        )
        uploads = (
            tuple(sorted({(f.path, f.sha256) for f in (*spec.knowledge_files, *spec.code_files)}))
            if isinstance(spec, DesiredSpec)
            else ()
        )
        # with the spec files of the specs it refers to (a vault's credential settings are in the agent's payload)
        referred = (_relative(path, built.root) for path in built.state.spec_files)
        return SpecView(
            present=True,
            files=spec_files(spec, built.root) | {path for path in referred if path is not None},
            folders=folders,
            digest=essence_digests(essence, mapping.write_only).full,
            valid=True,
            uploads=uploads,
        )

    def compare(self, commit: Commit, name: str, watched: Iterable[str] = ()) -> Comparison:
        """What commit did to what spec name deploys; watched: the spec's files known from later commits."""
        after = self.view(commit.id, name)
        before = self.view(commit.parents[0] if commit.parents else None, name)
        known = (after.files if after.files is not None else frozenset(watched)) | (
            before.files or frozenset()
        )
        return Comparison(before, after, tuple(sorted(set(commit.files) & known)))

    def entries(self, name: str, start: str = "HEAD") -> tuple[HistoryEntry, ...]:
        """The commits from start back that changed what spec name deploys or one of its files (`deploys`
        False: same payload), newest first, down to the one that created it. Raises OrchestratorError when
        start has no such spec."""
        head = resolve_commit(self.repo, start)
        current = self.view(head, name)
        if not current.present:
            raise OrchestratorError(
                f"spec `{name}` is not in revision {head[:7]} ({start})"
                + (" or does not load there" if current.present is None else "")
            )
        watched = set(current.files or ())
        folders = set(current.folders)
        found: list[HistoryEntry] = []
        log = self.log(head)
        self.snapshots.trees([c.id for c in log] + [c.parents[0] for c in log if c.parents])  # one git call
        for commit in log:
            touched = set(commit.files)
            if not (
                touched & watched
                or PROJECT_FILE in touched
                or any(path.startswith(f + "/") for path in touched for f in folders)
            ):
                continue
            comparison = self.compare(commit, name, watched)
            before, created = comparison.before, comparison.created
            if created or comparison.changed or comparison.files:  # `history` shows the ones that deploy
                found.append(
                    HistoryEntry(
                        commit,
                        comparison.files,
                        created,
                        comparison.after.valid,
                        deploys=created or comparison.changed,
                    )
                )
            watched |= before.files or set()
            folders |= set(before.folders)
            if created:
                break
        return tuple(found)


def _claimed_files(built: Built, name: str) -> frozenset[str] | None:
    """The spec file(s) named name in a build that failed for it: at least that file is the spec's."""
    assert built.root is not None
    project, _ = load_project(built.root)
    if project is None:
        return None
    paths, _ = spec_files_named(project, {name})
    if not paths:
        return None
    return frozenset({PROJECT_FILE, *(p.relative_to(built.root).as_posix() for p in paths)})


def _skill_folder(spec: Any, root: Path) -> tuple[str, ...]:
    """A skill's folder (project-relative): a file added below it changes what the skill deploys."""
    relative = _relative(spec.folder, root)
    return () if relative is None else ("" if relative == "." else relative,)


def _glob_folders(spec: DesiredSpec, root: Path) -> tuple[str, ...]:
    """The folders (project-relative) below which a new file may match one of the spec's globs."""
    from orchestrator.spec.loading import LoadError, load_yaml_file

    try:
        data = load_yaml_file(spec.path).data
    except LoadError:
        return ()
    patterns = [
        *((data.get("knowledge") or {}).get("files") or []),
        *(p for p in data.get("code_files") or [] if isinstance(p, str)),
    ]
    folders = []
    for pattern in patterns:
        if not isinstance(pattern, str):
            continue
        fixed = []
        for part in pattern.split("/"):
            if GLOB_CHARS & set(part):
                break
            fixed.append(part)
        else:
            continue  # no glob: the file itself is among the spec's files
        relative = _relative(spec.path.parent.joinpath(*fixed), root)
        if relative is not None:
            folders.append("" if relative == "." else relative)
    return tuple(sorted(set(folders)))


def live_entry(
    repo: Repository, entries: Sequence[HistoryEntry], live: Revision | None, head: str
) -> int | None:
    """The index of the entry whose content is live: the newest one the live commit contains. None when
    unknown, or when the live commit is not in head's history (applied from another branch)."""
    if live is None or not has_commit(repo, live.commit):
        return None
    if not is_ancestor(repo, live.commit, head):
        return None
    for index, entry in enumerate(entries):
        if is_ancestor(repo, entry.commit.id, live.commit):
            return index
    return None


# -- live revisions, as `list` shows them ---------------------------------------------------------


def describe_live_revisions(
    state: DesiredState, plan: Plan, objects: Iterable[LiveObject]
) -> tuple[dict[str, dict[str, Any]], bool]:
    """For each live object of the plan, by id: the revision it was applied from and how far it is from HEAD
    (`list -o json`'s `revision`); and whether the project is in a git work tree."""
    from orchestrator.engine.planning import Reason

    by_id = {obj.id: obj for obj in objects}
    repo = find_repository(state.project.root)
    head = head_commit(repo) if repo is not None else None
    distances: dict[str, tuple[Distance | None, bool]] = {}
    working: dict[str, Revision] | None = None
    result: dict[str, dict[str, Any]] = {}
    for change in plan.changes:
        if not change.id or change.id not in by_id:
            continue
        revision = live_revision(by_id[change.id].raw.get("metadata"))
        far, known = None, True
        if revision is not None and repo is not None and head is not None:
            if revision.commit not in distances:
                found = distance(repo, revision.commit, head)
                distances[revision.commit] = (found, found is not None)
            far, known = distances[revision.commit]
        summary = describe_revision(revision, far, known=known or repo is None or head is None)
        if (
            revision is not None
            and far is not None
            and far.behind
            and change.reason is Reason.IN_SYNC
            and change.name in revisioned_specs(state)
            and repo is not None
        ):
            if working is None:
                working = working_tree_revisions(state.project.root, revisioned_specs(state))
            current = working.get(change.name)
            if current is not None and not current.dirty:
                summary += " (same content as HEAD)"
        result[change.id] = {
            "commit": revision.commit if revision else None,
            "dirty": revision.dirty if revision else False,
            "ahead": far.ahead if far else None,
            "behind": far.behind if far else None,
            "summary": summary,
        }
    return result, repo is not None
