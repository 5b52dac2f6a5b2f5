"""Live state: the target opened, its objects read (on the side while the specs load), the apply lock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.app.project import Invalid, Selection, select
from orchestrator.app.report import Reporter
from orchestrator.app.state import build_state
from orchestrator.diagnostics import Diagnostics
from orchestrator.engine.desired import DesiredState
from orchestrator.errors import OrchestratorError
from orchestrator.kind_registry import deploys

if TYPE_CHECKING:  # start-up imports no SDK: these name types only
    from orchestrator.backends.agents import AgentsClient
    from orchestrator.backends.assistants import AssistantsClient
    from orchestrator.backends.connection import Connection
    from orchestrator.backends.knowledge import KnowledgeSync
    from orchestrator.engine.live import Kind, LiveObject, LiveState, Mapping_, ResourceView
    from orchestrator.engine.planning import DesiredItem
    from orchestrator.engine.sync import PreparedItems
    from orchestrator.spec.project import Environment, Project, Target


@dataclass
class Live:
    connection: Connection
    client: AgentsClient | AssistantsClient  # the target's own kind's (backends.client_for)
    mapping: Mapping_
    knowledge: KnowledgeSync | None = None  # on the assistants backend (vector stores and their files)
    kinds: tuple[Kind, ...] = ()  # the resource graph's other kinds on this target
    reporter: Reporter | None = None  # told of the reads (None: nobody is)


@contextmanager
def connect(
    project: Project,
    target: Target,
    environment: Environment | str | None = None,
    *,
    reporter: Reporter | None = None,
    files_root: Path | None = None,
) -> Iterator[Live]:
    """Open the target; environment (a name or Environment) enables knowledge-file sync, reading the files
    under files_root (default: the project's root; a temporary tree for a state built from a git revision)."""
    from orchestrator.backends import mapping_for
    from orchestrator.backends.connection import Connection

    with Connection(project, target) as connection:
        import os

        from orchestrator.backends import kinds_for

        client = connection.client()
        chosen_env = str(getattr(environment, "name", environment) or project.default_environment)
        kinds = kinds_for(
            target.backend, connection.sdk, project, chosen_env, os.environ, connection.listings
        )
        knowledge = None
        if deploys(target.backend, "vector_store"):  # knowledge: vector stores and their files
            from orchestrator.backends.knowledge import KnowledgeSync, knowledge_kinds

            knowledge = KnowledgeSync(
                connection.sdk,
                project.name,
                chosen_env,
                root=files_root or project.root,
                templates=target.type == "local",
            )  # local serves both protocols
            knowledge.assistants = client  # garbage collection reads which files the assistants use
            kinds = (*knowledge_kinds(knowledge), *kinds)
        yield Live(connection, client, mapping_for(target.backend), knowledge, kinds, reporter)


def read_live(
    live: Live,
    state: DesiredState | None = None,
    *,
    with_knowledge: bool | None = None,
    objects: tuple[LiveObject, ...] | None = None,
) -> LiveState:
    """Every live object (ceil(N/100) requests; or `objects`, read already), plus knowledge stores when specs
    or objects use them."""
    if objects is None:  # objects: read in this same read (EarlyRead), whose listings the kinds share
        live.connection.begin_read()
    message = f"reading live state of target {live.connection.target.name}"
    with _activity(live.reporter, message), _read_errors(live):
        return _read_live(live, state, with_knowledge, objects)


def _activity(reporter: Reporter | None, message: str) -> AbstractContextManager[object]:
    from contextlib import nullcontext

    return nullcontext() if reporter is None else reporter.activity(message)


@contextmanager
def _read_errors(live: Live) -> Iterator[None]:
    try:
        yield
    except OrchestratorError:
        raise
    except Exception as exc:
        from orchestrator.engine.applying import describe_error

        where = f"target {live.connection.target.name}"
        if live.connection.target.type != "local":
            where += f" ({live.connection.sdk.base_url})"
        raise OrchestratorError(f"cannot read live state of {where}: {describe_error(exc)}") from None


READ_THREADS = 8  # listings of the graph's kinds read at once (the SDK client is thread-safe)


def _read_live(
    live: Live,
    state: DesiredState | None,
    with_knowledge: bool | None,
    objects: tuple[LiveObject, ...] | None,
) -> LiveState:
    """Each kind's listing (and its view) on a thread of its own: a no-change diff of N kinds costs about the
    latency of the slowest listing, not the sum of them."""
    from concurrent.futures import ThreadPoolExecutor

    from orchestrator.engine.live import LiveState, ViewedClient

    def read_kind(kind: Kind) -> LiveState:
        found = tuple(kind.client.list_all())
        wanted = bool(state is not None and state.of_kind(kind.name))
        return LiveState(found, kind.client.read_view(found, wanted))

    def read_primary() -> tuple[tuple[LiveObject, ...], ResourceView | None]:
        found = objects if objects is not None else tuple(live.client.list_all())
        view = None
        if live.knowledge is not None:
            from orchestrator.backends.knowledge import needs_view

            wanted = (
                with_knowledge
                if with_knowledge is not None
                else needs_view(state.specs.values() if state is not None else (), (o.raw for o in found))
            )
            if wanted:
                view = live.knowledge.read(o.raw for o in found)
        return found, view

    listed = [kind for kind in live.kinds if kind.in_view_of is None]
    if not listed:
        found, view = read_primary()
        kinds = {}
    else:
        with ThreadPoolExecutor(
            max_workers=min(READ_THREADS, len(listed) + 1), thread_name_prefix="read"
        ) as pool:
            primary = pool.submit(read_primary)
            others = [(kind.name, pool.submit(read_kind, kind)) for kind in listed]
            found, view = primary.result()
            kinds = {name: future.result() for name, future in others}
    for kind in live.kinds:  # read with another kind's view (knowledge files and vector stores, uploads)
        if kind.in_view_of is not None:
            host = kinds.get(kind.in_view_of)
            shared = view if host is None else host.view
            assert isinstance(kind.client, ViewedClient), f"kind {kind.name} is read in a view: objects_in"
            kinds[kind.name] = LiveState(
                kind.client.objects_in(shared, found if host is None else host.objects), shared
            )
    return LiveState(found, view, kinds)


CONNECT_HEAD_START_S = 2.0  # at most this long do the specs wait for the early read's import and connect


class EarlyRead:
    """The target opened and its objects listed on a thread while the specs load and render (they are
    independent until planning: a remote list read then costs no wall time of its own).

    Only for remote targets: the embedded `local` emulator is not started (nor its state created) for a
    project that turns out invalid. Whatever the thread met (a missing key, a network fault) is raised by
    `result()` only, so a project's own diagnostics still come first, as when the read came after them.
    """

    def __init__(self, selection: Selection, *, reporter: Reporter, start: bool = True) -> None:
        import threading
        from contextlib import ExitStack

        self.selection = selection
        self.reporter = reporter
        self._stack = ExitStack()
        self._live: Live | None = None
        self._objects: tuple[LiveObject, ...] | None = None
        self.prepared: PreparedItems | None = None  # live items made while the pages arrived
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._connected = threading.Event()
        if start and selection.target.type != "local":
            self._thread = threading.Thread(target=self._read, name="early-read", daemon=True)
            self._thread.start()

    def wait_connected(self, timeout: float = CONNECT_HEAD_START_S) -> None:
        """Let the thread import the client and open the target before the specs load: the read is the
        longer road at any size (ceil(N/100) requests one after another), and the import is CPU the
        loading would otherwise share with it; after it the thread mostly waits for the network."""
        if self._thread is not None:
            self._connected.wait(timeout)

    def _read(self) -> None:
        try:
            try:
                self._live = self._stack.enter_context(
                    connect(
                        self.selection.project,
                        self.selection.target,
                        self.selection.environment,
                        reporter=self.reporter,
                    )
                )
            finally:
                self._connected.set()
            from orchestrator.engine.sync import PreparedItems

            self.prepared = PreparedItems(self._live.mapping)
            try:
                with _read_errors(self._live):
                    self._objects = tuple(self._live.client.list_all(on_page=self.prepared.add))
            finally:
                self.prepared.finish()
        except BaseException as exc:  # handed to the main thread by result()
            self._error = exc

    def desired(self, state: DesiredState) -> dict[str, DesiredItem] | None:
        """The target kind's desired items (engine.sync.desired_items), made while the read is still under way
        (it needs no live state): planning then starts from them. None when nothing is being read on the side."""
        if self._thread is None or not self._thread.is_alive():
            return None
        from orchestrator.backends import mapping_for
        from orchestrator.engine.sync import desired_items

        return desired_items(state, mapping_for(state.target.backend))

    def result(self, state: DesiredState) -> tuple[Live, LiveState]:
        """The open target and its live state for state (its knowledge stores read now, if needed)."""
        if self._thread is None:  # local (or another apply held the lock): read now, as before
            live = self._stack.enter_context(
                connect(state.project, state.target, state.environment, reporter=self.reporter)
            )
            return live, read_live(live, state)
        if self._thread.is_alive():
            with self.reporter.activity(f"reading live state of target {state.target.name}"):
                if self.prepared is not None:  # the live items of the pages read so far, while the rest come
                    self.prepared.make_all()
                self._thread.join()
        if self._error is not None:
            raise self._error.with_traceback(None)
        if self.prepared is not None:
            self.prepared.make_all()
        assert self._live is not None
        return self._live, read_live(self._live, state, objects=self._objects)

    def close(self) -> None:
        if self._thread is not None:
            self._thread.join()
        self._stack.close()


@contextmanager
def state_and_live(
    root: Path,
    environment: str | None,
    target: str | None,
    *,
    reporter: Reporter,
    lock: bool = False,
    preview: str | None = None,
) -> Iterator[tuple[DesiredState, EarlyRead]]:
    """load_state, with the live read started on the side as soon as the target is known (EarlyRead).

    lock (apply): the apply lock is held before live state is read, so a plan is never made from a read
    that another apply's writes could overtake. When another apply holds it, the specs load first, then
    the lock is waited for and live state read after it, as without the early read.
    """
    selection = select(root, environment, target)
    if isinstance(selection, Diagnostics):
        reporter.diagnostics(selection, summary=selection.has_errors)
        raise Invalid
    if preview is not None:  # checked before anything is read; the early read lists the preview's kinds
        from orchestrator.app.previews import preview_environment

        owner = replace(selection, environment=preview_environment(selection.environment, preview))
    held = ApplyLock(selection.project, selection.target, reporter) if lock else None
    early = EarlyRead(
        owner if preview is not None else selection,
        reporter=reporter,
        start=held is None or held.try_acquire(),
    )
    try:
        early.wait_connected()
        state, diagnostics = build_state(root, environment, target, selection=selection, preview=preview)
        if diagnostics:
            reporter.diagnostics(diagnostics, summary=diagnostics.has_errors)
        if state is None:
            raise Invalid
        if held is not None:
            held.acquire()  # at once when taken above
        yield state, early
    finally:
        early.close()
        if held is not None:
            held.release()


class ApplyLock:
    """The lock that serialises applies against one target from this project folder (held before any read
    that a write is planned from, and so before any write)."""

    def __init__(self, project: Project, target: Target, reporter: Reporter | None = None) -> None:
        from filelock import FileLock

        from orchestrator.spec.writing import check_state_file

        lock = check_state_file(
            project.root, project.state_dir / f"apply-{target.name}.lock"
        )  # no link on the way
        self.target = target
        self.reporter = reporter
        self._lock = FileLock(str(lock))

    @property
    def held(self) -> bool:
        return bool(self._lock.is_locked)

    def try_acquire(self) -> bool:
        """Take the lock if no other apply holds it; never waits."""
        from filelock import Timeout

        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def acquire(self) -> None:
        """Take the lock, waiting (and saying so) while another apply holds it, 10 minutes at most."""
        from filelock import Timeout

        if self.held or self.try_acquire():
            return
        name = self.target.name
        if self.reporter is None:
            from orchestrator.app.report import Collector

            self.reporter = Collector()
        waiting = self.reporter.activity(
            f"waiting for another apply against target {name} to finish (it holds the lock)"
        )
        if not waiting.enabled:
            self.reporter.note(f"Waiting for another apply against target {name} to finish...")
        try:
            with waiting:
                self._lock.acquire(timeout=600)
        except Timeout:
            raise OrchestratorError(
                "another apply holds the lock for more than 10 minutes; giving up"
            ) from None

    def release(self) -> None:
        if self.held:
            self._lock.release()


@contextmanager
def apply_lock(project: Project, target: Target, reporter: Reporter | None = None) -> Iterator[None]:
    """Serialise applies against one target from this project folder."""
    lock = ApplyLock(project, target, reporter)
    lock.acquire()
    try:
        yield
    finally:
        lock.release()
