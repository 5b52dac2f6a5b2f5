"""Watch mode: reconcile once, then again on every file change, incrementally, until stopped.

A `Reconciler` keeps what a cycle needs from the one before: the built spec of every spec file
(so a change re-renders only the specs whose `dependencies` contain the changed path), the live
id of every spec, and the digest of what each spec last had applied (so an edit that renders the
same payload costs no request). A cycle touches the live API only for the specs whose payload
changed: one retrieve and one update per edited spec when its live id is known; a full read at
start, on `--resync`, after a change of orchestrator.yaml and whenever the cheap path cannot
prove it is enough (a create, a vanished object, knowledge files). While any file is invalid
nothing live is touched; failures of the API are retried with backoff, and their specs stay
pending until a later cycle gets them through.

`watch_loop` drives cycles from watchfiles batches, a retry timer and a resync timer; it stops
between cycles when `stop` is set, so a stop never lands in the middle of a write.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from orchestrator.diagnostics import Diagnostic, Diagnostics, error
from orchestrator.engine.applying import ApplyResult, Outcome
from orchestrator.engine.building import Builder
from orchestrator.engine.desired import (
    DesiredEnvironment,
    DesiredSpec,
    DesiredState,
)
from orchestrator.engine.live import Kind, LiveObject, LiveState, Mapping_
from orchestrator.engine.planning import Action, Change, Plan
from orchestrator.engine.spec_discovery import data_files, discover_specs
from orchestrator.errors import OrchestratorError
from orchestrator.events import EventBus
from orchestrator.spec.project import PROJECT_FILE, Environment, Project, Target, load_project

RETRY_FIRST_S = 0.5
RETRY_MAX_S = 10.0
TICK_MS = 200  # how often the loop wakes without file events (timers, orchestrator.yaml)
LIST_PAGE = 100  # objects per list request (the clients page at 100)
RETRIEVE_AT_MOST = 4  # more specs to read than this (and than list pages): one full list instead
IGNORED_DIRS = frozenset({".git", ".orchestrator", "__pycache__", "node_modules", ".venv"})


class LiveSession(Protocol):
    """One open target, as a cycle needs it (the CLI adapts its connection to this)."""

    mapping: Mapping_

    def read_all(self, state: DesiredState) -> LiveState: ...

    def read_one(self, object_id: str) -> LiveObject | None: ...

    def needs_full_read(self, specs: Iterable[DesiredSpec], raws: Iterable[Mapping[str, Any]]) -> bool: ...

    def apply(self, plan: Plan) -> ApplyResult: ...

    @property
    def kinds(self) -> Sequence[Kind]: ...  # the graph's other kinds on this target


OpenSession = Callable[[Project, Environment, Target], AbstractContextManager[LiveSession]]
Lock = Callable[[Project, Target], AbstractContextManager[Any]]


@dataclass(frozen=True, slots=True)
class Built:
    """One spec file as last built: its spec, or None with the errors that stopped it."""

    spec: DesiredSpec | None
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True, slots=True)
class CycleReport:
    """What one cycle saw and did; the CLI prints it as a line plus a plan, or as one JSON object."""

    number: int
    trigger: str  # start | change | reload | resync | retry
    started: float  # epoch seconds
    duration_ms: int
    files: tuple[str, ...] = ()  # changed files that triggered it, relative to the project root
    plan: Plan | None = None
    outcomes: tuple[Outcome, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    errors: tuple[str, ...] = ()
    dry_run: bool = False
    invalid: bool = False  # diagnostics had errors: nothing was read or written
    full_read: bool = False
    retry_in: float | None = None  # seconds until the failed part is tried again

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)


@dataclass
class Reconciler:
    """The state watch keeps between cycles, and the work of one cycle."""

    root: Path
    environment_name: str | None
    target_name: str | None
    today: date
    open_session: OpenSession
    lock: Lock
    bus: EventBus
    prune: bool = False
    dry_run: bool = False
    clock: Callable[[], float] = time.monotonic
    # loaded state
    project: Project | None = None
    environment: Environment | None = None
    target: Target | None = None
    builder: Builder | None = None
    project_diagnostics: tuple[Diagnostic, ...] = ()
    files: dict[Path, Built] = field(default_factory=dict)
    discovered: tuple[Diagnostic, ...] = ()  # YAML files under the specs folder that are not read, and why
    desired: Mapping[str, DesiredSpec] = field(default_factory=dict)
    # live bookkeeping
    live_ids: dict[str, str] = field(default_factory=dict)  # spec name -> id of the live object (the oldest)
    synced: dict[str, str] = field(default_factory=dict)  # spec name -> digest of the payload known live
    dirty: set[str] = field(default_factory=set)  # specs whose desired side changed since last reconciled
    need_full: bool = True
    failures: int = 0
    retry_at: float | None = None
    cycles: int = 0
    _session: LiveSession | None = None
    _stack: ExitStack | None = None
    _project_stamp: tuple[int, int, int] | None = None

    # -- the desired side --------------------------------------------------------------------

    def load(self) -> None:
        """(Re)load orchestrator.yaml and rebuild every spec; the live caches start over."""
        self._project_stamp = project_stamp(self.root)
        self.close_session()
        self.live_ids.clear()
        self.synced.clear()
        self.need_full = True
        previous = dict(self.desired)
        project, diagnostics = load_project(self.root)
        self.project_diagnostics = tuple(diagnostics)
        if project is None:
            self.project = self.environment = self.target = self.builder = None
            self.files = {}
            self.desired = MappingProxyType({})
            self.dirty |= set(previous)
            return
        try:
            environment = project.environment(self.environment_name)
            target = project.target(self.target_name or environment.target)
        except OrchestratorError as problem:
            self.project_diagnostics += (error(PROJECT_FILE, str(problem)),)
            self.project = self.environment = self.target = self.builder = None
            self.files = {}
            self.desired = MappingProxyType({})
            return
        self.project, self.environment, self.target = project, environment, target
        self.builder = Builder(project, environment, target, today=self.today)
        self.files = {path: self._build(path) for path in self._discover()}
        self._assemble(previous)

    def project_file_changed(self) -> bool:
        return project_stamp(self.root) != self._project_stamp

    def refresh(self, changed: Iterable[Path]) -> None:
        """Rebuild only the spec files a change can affect; mark the specs whose build changed dirty."""
        if self.project is None or self.builder is None:
            return
        changed = {p for p in changed if not _ignored(p, self.project)}
        templates = self.project.templates_dir
        if any(p.is_relative_to(templates) for p in changed):
            self.builder.renderer.forget()  # the include graph may have changed
            cache = self.builder.renderer.env.cache
            if cache is not None:  # recompile edited templates even within one mtime tick
                cache.clear()
        for path in changed:
            self.builder._json_cache.pop(path.resolve(), None)
        affected = {
            path for path, built in self.files.items() if built.spec is None
        }  # broken: any change may fix them
        resolved = {p.resolve() for p in changed}
        for path, built in self.files.items():
            spec = built.spec
            if spec is not None and (resolved & spec.dependencies or resolved & _data_files(spec)):
                affected.add(path)
        if any(p.is_relative_to(self.project.specs_dir) for p in changed):
            # specs live in any folder below: files added, moved or removed there are found again
            current = set(self._discover())
            affected |= (current - set(self.files)) | (set(self.files) - current)
            affected |= {p for p in changed if p in current}
            # a file under a spec's folder (knowledge globs may match new files)
            affected.update(p for p, b in self.files.items() if b.spec is not None and _data_files(b.spec))
        if not affected:
            return
        previous = dict(self.desired)
        discovered: set[Path] | None = None
        for path in affected:
            if not path.is_file():
                # gone only when discovery no longer finds it, as validate decides: a spec replaced by a FIFO,
                # a device or an unreadable file is a spec that fails to build (an error), never a deleted one
                if discovered is None:
                    discovered = set(self._discover())
                if path not in discovered:
                    self.files.pop(path, None)
                    continue
            self.files[path] = self._build(path)
        self._assemble(previous)

    def rebuild(self) -> None:
        """Rebuild every spec file with fresh template and schema caches; only changed payloads get written."""
        if self.project is None or self.builder is None:
            return
        self.builder.renderer.forget()
        if self.builder.renderer.env.cache is not None:
            self.builder.renderer.env.cache.clear()
        self.builder._json_cache.clear()
        previous = dict(self.desired)
        self.files = {path: self._build(path) for path in self._discover()}
        self._assemble(previous)

    def relevant(self, path: Path) -> bool:
        """Whether a changed path can matter: editors' short-lived temporary files do not."""
        if self.project is None or _ignored(path, self.project):
            return self.project is None
        if path.exists() or path in self.files:
            return True
        resolved = path.resolve()  # a deleted file matters if a spec was built from it
        return any(
            b.spec is not None and (resolved in b.spec.dependencies or resolved in _data_files(b.spec))
            for b in self.files.values()
        )

    def _discover(self) -> tuple[Path, ...]:
        """The spec files under the specs folder, as validate finds them; keeps why others are not read."""
        assert self.project is not None
        discovery = discover_specs(self.project)
        self.discovered = discovery.diagnostics
        return discovery.files

    def _data(self) -> set[Path]:
        """YAML files specs read as knowledge or code files: data, not specs (as Builder.build decides)."""
        return data_files([b.spec for b in self.files.values() if b.spec is not None])

    def _build(self, path: Path) -> Built:
        assert self.builder is not None
        spec, found = self.builder.build_one(path)
        return Built(spec, tuple(found))

    def _assemble(self, previous: Mapping[str, DesiredSpec]) -> None:
        """The desired specs by name, as Builder.build decides them (first file wins a duplicate name)."""
        specs: dict[str, DesiredSpec] = {}
        first_seen: dict[str, str] = {}
        data = self._data()
        for path in sorted(self.files):
            spec = self.files[path].spec
            if spec is None or path.resolve() in data:
                continue
            if spec.name in first_seen:
                continue
            first_seen[spec.name] = f"{spec.file}:{spec.name_line}:{spec.name_column}"
            specs[spec.name] = spec
        self.desired = MappingProxyType(specs)
        self.dirty |= {
            name for name in previous.keys() | specs.keys() if previous.get(name) is not specs.get(name)
        }

    def diagnostics(self) -> Diagnostics:
        found = Diagnostics(self.project_diagnostics)
        if self.project is None:
            return found
        if not self.project.specs_dir.is_dir():
            found.add(
                error(
                    PROJECT_FILE,
                    f"specs folder `{self.project.display(self.project.specs_dir)}` does not exist",
                )
            )
        found.extend(self.discovered)
        owners: dict[str, str] = {}
        data = self._data()
        for path in sorted(self.files):
            built = self.files[path]
            if path.resolve() in data:
                continue
            found.extend(built.diagnostics)
            spec = built.spec
            if spec is None:
                continue
            if spec.name in owners:
                found.add(
                    error(
                        spec.file,
                        f"spec name `{spec.name}` is already used by {owners[spec.name]}",
                        line=spec.name_line,
                        column=spec.name_column,
                        pointer="/name",
                        hint="spec names are identities and must be unique in the project",
                    )
                )
            else:
                owners[spec.name] = f"{spec.file}:{spec.name_line}:{spec.name_column}"
        if (
            self.builder is not None
        ):  # references between kinds (an agent's environment) resolve or are errors
            self.builder.split_kinds(self.desired, found)
            # the environment's accepted differences are not repeated on every cycle (validate reports stale ones)
            names = {b.spec.file: b.spec.name for b in self.files.values() if b.spec is not None}
            found, _ = self.builder.set_aside_accepted(found, every_spec=False, names=names)
        return found

    def state(self, names: Iterable[str] | None = None) -> DesiredState:
        assert self.project is not None and self.environment is not None and self.target is not None
        assert self.builder is not None
        assistants, resources = self.builder.split_kinds(self.desired, Diagnostics())
        specs = assistants if names is None else {n: assistants[n] for n in names if n in assistants}
        return DesiredState(
            self.project,
            self.environment,
            self.target,
            MappingProxyType(dict(specs)),
            Diagnostics(),
            resources=resources,
        )

    # -- what to watch -----------------------------------------------------------------------

    def watch_paths(self) -> tuple[Path, ...]:
        """Existing folders holding specs, templates and referenced files (orchestrator.yaml is polled)."""
        if self.project is None:
            return ()
        wanted = {self.project.specs_dir, self.project.templates_dir, self.root / "schemas"}
        for built in self.files.values():
            if built.spec is not None:
                wanted.update(p.parent for p in built.spec.dependencies)
        folders = sorted(p for p in wanted if p.is_dir() and not _ignored(p, self.project))
        return tuple(p for p in folders if not any(p != q and p.is_relative_to(q) for q in folders))

    # -- the live side -----------------------------------------------------------------------

    def session(self) -> LiveSession:
        if self._session is None:
            assert self.project is not None and self.environment is not None and self.target is not None
            stack = ExitStack()
            try:
                self._session = stack.enter_context(
                    self.open_session(self.project, self.environment, self.target)
                )
            except BaseException:
                stack.close()
                raise
            self._stack = stack
        return self._session

    def close_session(self) -> None:
        if self._stack is not None:
            self._stack.close()
        self._stack = None
        self._session = None

    def due(self, now: float) -> bool:
        return self.retry_at is not None and now >= self.retry_at

    def cycle(self, trigger: str, changed: Iterable[Path] = ()) -> CycleReport:
        """One reconciliation: refresh the desired side, then read and write only what it needs."""
        started, began = time.time(), self.clock()
        self.cycles += 1
        changed = set(changed)
        shown = tuple(sorted({_display(self.root, p) for p in changed}))
        if trigger in ("start", "reload"):
            self.load()
        elif trigger == "rescan":
            self.rebuild()
        else:
            self.refresh(changed)
        diagnostics = self.diagnostics()
        report = CycleReport(
            self.cycles, trigger, started, 0, shown, diagnostics=tuple(diagnostics), dry_run=self.dry_run
        )
        if diagnostics.has_errors:
            self.retry_at = None  # nothing is tried until the files are valid; the next change retries
            report = replace(report, invalid=True)
        elif trigger == "resync" or self.need_full:
            report = self._reconcile(report, full=True)
        elif self.dirty or self.retry_at is not None:
            report = self._reconcile(report, full=False)
        report = replace(report, duration_ms=int((self.clock() - began) * 1000))
        self.bus.publish(
            "watch_cycle",
            cycle=report.number,
            trigger=report.trigger,
            files=list(report.files),
            summary=report.plan.summary() if report.plan is not None else None,
            failed=len(report.failed),
            errors=list(report.errors),
            invalid=report.invalid,
            duration_ms=report.duration_ms,
        )
        return report

    def _reconcile(self, report: CycleReport, *, full: bool) -> CycleReport:
        attempt = self.failures
        try:
            session = self.session()
            if self.dry_run:
                return self._plan_and_apply(session, report, full=full)
            assert self.project is not None and self.target is not None
            with self.lock(self.project, self.target):
                return self._plan_and_apply(session, report, full=full)
        except Exception as exc:
            if not _retryable(exc):
                raise
            wait = _backoff(exc, attempt)
            self.failures += 1
            self.retry_at = self.clock() + wait
            return replace(report, errors=(*report.errors, _describe(exc)), retry_in=wait)

    def _plan_and_apply(self, session: LiveSession, report: CycleReport, *, full: bool) -> CycleReport:
        mapping = session.mapping
        names = sorted(self.dirty)
        from orchestrator.engine.sync import desired_items, make_plan

        items = desired_items(self.state(), mapping) if full else desired_items(self.state(names), mapping)
        objects: Sequence[LiveObject] | LiveState | None
        kinds = tuple(session.kinds)
        if kinds and (
            self.state().resources or any(name not in items and name not in self.live_ids for name in names)
        ):
            full = True  # the graph's other kinds are planned with a full read (one list per kind)
        if full:
            only: frozenset[str] | None = None
            objects = session.read_all(self.state())  # keeps the knowledge view
            self._remember_ids(objects)
        else:
            todo = [
                n
                for n in names
                if (n in items and items[n].digests.full != self.synced.get(n))
                or (n not in items and n in self.live_ids)
            ]
            if not todo:
                self._settled()
                return report
            only = frozenset(todo)
            specs = [self.desired[n] for n in todo if n in self.desired]
            objects = self._read_each(session, todo, specs)
            if objects is None:  # the cheap path cannot be trusted: read everything
                objects = session.read_all(self.state())  # keeps the knowledge view
                self._remember_ids(objects)
                items = desired_items(self.state(), mapping)
                report = replace(report, full_read=True)
        assert self.project is not None and self.environment is not None and self.target is not None
        # the one planning path (engine.sync.make_plan), as diff and apply plan: the graph's other kinds only
        # after a full read (planned from every spec: items may hold only the dirty ones), and only the specs
        # read one by one after a cheap one
        graph = full and bool(kinds)
        the_plan = make_plan(
            self.state(),
            objects,
            mapping,
            prune=self.prune,
            only=only,
            kinds=kinds if graph else (),
            desired=None if graph else items,
        )
        report = replace(report, plan=the_plan, full_read=report.full_read or full)
        outcomes: tuple[Outcome, ...] = ()
        if not self.dry_run and the_plan.has_changes:
            outcomes = session.apply(the_plan).outcomes
        self._record(the_plan, outcomes, {n: i.digests.full for n, i in items.items()})
        if full:
            self.need_full = False
        failed = [o.change.name for o in outcomes if not o.ok]
        self._settled(failed)
        if failed:
            wait = _backoff(None, self.failures)
            self.failures += 1
            self.retry_at = self.clock() + wait
            return replace(report, outcomes=outcomes, retry_in=wait)
        return replace(report, outcomes=outcomes)

    def _read_each(
        self, session: LiveSession, names: Sequence[str], specs: Sequence[DesiredSpec]
    ) -> list[LiveObject] | None:
        """One retrieve per spec with a known live id, or None when only a full read will do."""
        assert self.project is not None and self.environment is not None
        if any(n in self.desired and n not in self.live_ids for n in names):
            return None  # a create: make sure no live object claims the spec already
        if session.needs_full_read(specs, ()):
            return None
        if len(names) > max(RETRIEVE_AT_MOST, -(-len(self.live_ids) // LIST_PAGE)):
            return None  # a paged list is fewer requests (a partial used by many specs)
        objects: list[LiveObject] = []
        for name in names:
            obj = session.read_one(self.live_ids[name])
            owner = obj.owner if obj is not None else None
            if (
                obj is None
                or owner is None
                or (owner.project, owner.environment, owner.spec)
                != (self.project.name, self.environment.name, name)
            ):
                return None
            objects.append(obj)
        if session.needs_full_read((), (o.raw for o in objects)):
            return None
        return objects

    def _remember_ids(self, objects: Iterable[LiveObject]) -> None:
        """The live id of every spec, chosen as planning chooses: the oldest claim wins."""
        assert self.project is not None and self.environment is not None
        ids: dict[str, str] = {}
        for obj in sorted(objects, key=lambda o: o.created_at):
            owner = obj.owner
            if owner and owner.project == self.project.name and owner.environment == self.environment.name:
                ids.setdefault(owner.spec, obj.id)
        self.live_ids = ids
        self.synced = {n: d for n, d in self.synced.items() if n in ids}

    def _record(self, the_plan: Plan, outcomes: Sequence[Outcome], digests: Mapping[str, str]) -> None:
        """Update the caches from a plan and what applying it did."""
        result = {id(o.change): o for o in outcomes}
        for change in the_plan.changes:
            outcome = result.get(id(change))
            if change.action is Action.NOOP:
                self._mark_synced(change, digests)
                continue
            if outcome is None:  # dry run: nothing changed live
                self.synced.pop(change.name, None)
                continue
            if not outcome.ok:
                self.synced.pop(change.name, None)
                continue
            if change.action is Action.DELETE:
                if self.live_ids.get(change.name) == change.id:
                    self.live_ids.pop(change.name, None)
                    self.synced.pop(change.name, None)
                continue
            if outcome.id:
                self.live_ids[change.name] = outcome.id
            self._mark_synced(change, digests)

    def _mark_synced(self, change: Change, digests: Mapping[str, str]) -> None:
        if change.name in digests:
            self.synced[change.name] = digests[change.name]
        if change.id and change.action is Action.NOOP:
            self.live_ids.setdefault(change.name, change.id)

    def _settled(self, failed: Iterable[str] = ()) -> None:
        """Every dirty spec was reconciled, except those whose write failed (they stay pending)."""
        self.dirty = set(failed)
        if not self.dirty:
            self.failures = 0
            self.retry_at = None


def project_stamp(root: Path) -> tuple[int, int, int] | None:
    """Identity of orchestrator.yaml's content on disk; an atomic save changes the inode."""
    try:
        stat = (root / PROJECT_FILE).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


def _data_files(spec: Any) -> set[Path]:
    """The data files a spec reads: an environment's, an assistant's knowledge and code files; a vault, skill
    or automation has none beyond its dependencies (a skill's folder files are among them)."""
    if isinstance(spec, DesiredEnvironment):
        return {f.absolute for f in spec.local_files}
    if isinstance(spec, DesiredSpec):
        return {f.absolute for f in (*spec.knowledge_files, *spec.code_files)}
    return set()


def _ignored(path: Path, project: Project) -> bool:
    try:
        parts = path.relative_to(project.root).parts
    except ValueError:
        return False
    return bool(IGNORED_DIRS.intersection(parts))


def _display(root: Path, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _retryable(exc: BaseException) -> bool:
    """API and network failures are retried; anything else is a bug and stops watch."""
    if isinstance(exc, OrchestratorError | OSError):
        return True
    try:
        import openai
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, openai.APIError)


def _backoff(exc: BaseException | None, attempt: int) -> float:
    """Exponential with jitter, capped at RETRY_MAX_S; a longer Retry-After from the server wins."""
    wait = min(RETRY_FIRST_S * 2**attempt, RETRY_MAX_S) * (1 - 0.2 * random.random())
    if exc is not None:
        from orchestrator.engine.applying import classify

        retry, _, asked = classify(exc, attempt)
        if retry and asked > wait:
            wait = min(asked, 60.0)
    return wait


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OrchestratorError):
        return str(exc)
    from orchestrator.engine.applying import describe_error

    return describe_error(exc)


def watch_loop(
    reconciler: Reconciler,
    stop: threading.Event,
    report: Callable[[CycleReport], None],
    *,
    resync_s: float,
    debounce_ms: int,
) -> None:
    """Cycle at start, then on file changes, retries and resyncs, until stop is set (checked between cycles).

    Every cycle that reads files runs while a watcher is already registered, so an edit made while
    files are read or a cycle runs is delivered in the next batch, never lost.
    """
    import watchfiles

    reconciler.load()  # to know what to watch; read again once the watcher runs
    first = "start"
    next_resync: float | None = None
    pending: set[Path] = set()
    reloaded = False
    while not stop.is_set():
        paths = reconciler.watch_paths()
        batches: Iterable[set[tuple[Any, str]]]
        if paths:
            batches = watchfiles.watch(
                *paths,
                debounce=max(1000, 10 * debounce_ms),
                step=debounce_ms,
                stop_event=stop,
                rust_timeout=TICK_MS,
                yield_on_timeout=True,
                raise_interrupt=False,
            )
        else:
            batches = _ticks(stop)
        for batch in batches:
            pending.update(path for path in (Path(p) for _, p in batch) if reconciler.relevant(path))
            now = reconciler.clock()
            if first:  # start, or the watched folders changed: rebuild everything the watcher may have missed
                report(reconciler.cycle(first))
                first, pending = "", set()
                if next_resync is None and resync_s > 0:
                    next_resync = reconciler.clock() + resync_s
            elif reconciler.project_file_changed():
                pending.add(reconciler.root / PROJECT_FILE)
                report(reconciler.cycle("reload", pending))
                pending.clear()
                reloaded = True
                next_resync = reconciler.clock() + resync_s if resync_s > 0 else None
            elif pending:
                report(reconciler.cycle("change", pending))
                pending.clear()
            elif next_resync is not None and now >= next_resync:
                if not reconciler.diagnostics().has_errors:
                    report(reconciler.cycle("resync"))
                next_resync = reconciler.clock() + resync_s
            elif reconciler.due(now):
                report(reconciler.cycle("retry"))
            if stop.is_set():
                break
            if reconciler.watch_paths() != paths:
                # new folders to watch: restart the watcher; a reload just rebuilt everything, so
                # one save of orchestrator.yaml stays one cycle
                first = "" if reloaded else "rescan"
                break
            reloaded = False
    reconciler.close_session()


def _ticks(stop: threading.Event) -> Iterable[set[tuple[Any, str]]]:
    yield set()
    while not stop.wait(TICK_MS / 1000):
        yield set()
