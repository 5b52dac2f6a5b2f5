"""Short-lived copies of the specs under test: created for one `orchestrator test` run through the apply
machinery (plan + run_plan), under an ownership claim of their own, and deleted at its end.

A copy is owned by `<project>/<environment>~test/<spec>-test-<run>`: no environment name can contain `~`,
so diff, apply and list of the environment never see a copy (never an orphan of it), and the
environment's own objects are never touched. While a run goes on it holds the file lock
`.orchestrator/test-runs/<run>.lock`; copies whose run's lock is free (a killed run), or older than an
hour when no lock file says anything (another machine), are leftovers: the next run and `destroy`
remove them.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack, suppress
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from orchestrator.app.destroy import TEST_SUFFIX
from orchestrator.errors import OrchestratorError

COPY_NAME = re.compile(r"^(?P<spec>.+)-test-(?P<run>[0-9a-f]{8})(-(?P<n>\d+))?$")
STALE_AFTER_S = 3600  # a copy without a lock file here (another machine's run) is a leftover after this
PARALLELISM = 8


def test_environment(environment: Any) -> Any:
    """The environment the copies of a run in `environment` are owned by."""
    return replace(environment, name=environment.name + TEST_SUFFIX)


def runs_dir(project: Any) -> Path:
    return Path(project.state_dir) / "test-runs"


class Copies:
    """A context manager: the copies created on enter (one per tested spec and vars), deleted on exit."""

    def __init__(
        self,
        state: Any,
        tests: Sequence[Any],
        live: Any,
        *,
        bus: Any,
        say: Callable[[str], None],
        today: Any = None,
        home: Any = None,
        files_root: Path | None = None,
    ) -> None:
        self.source = state  # the specs copied: the working tree's, or a git revision's (--baseline)
        self.home = home or state.project  # the real project: its lock files, apply lock and ownership name
        self.files_root = (
            files_root  # where knowledge files are read from (a revision's tree), if not the project
        )
        self.tests = tests
        self.live = live
        self.bus = bus
        self.say = say
        self.today = today
        self.run_id = secrets.token_hex(4)
        self.environment = test_environment(state.environment)
        self._names: dict[str, str] = {}  # test name -> copy name
        self._dependency_names: set[str] = set()  # the copies of the specs the tested specs refer to
        self._stack = ExitStack()
        self.state: Any = None

    def name_of(self, test: Any) -> str:
        return self._names[test.name]

    def _copied(self) -> set[str]:
        return {*self._names.values(), *self._dependency_names}

    def __enter__(self) -> Copies:
        from filelock import FileLock

        folder = runs_dir(self.home)
        folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(folder / f"{self.run_id}.lock"))
        lock.acquire(timeout=0)
        self._stack.callback(lambda: (lock.release(), _unlink(folder / f"{self.run_id}.lock")))
        try:
            self.state = self._copy_state()
            if not self.tests:
                return self  # every case is skipped: nothing to deploy
            self._create()
        except BaseException:
            try:
                if self.state is not None:  # Ctrl-C or a failure half-way through the creates
                    self._delete(lambda name: name in self._copied(), "deleted what was created")
            finally:
                self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._names:
                self._delete(lambda name: name in self._copied(), "deleted the test copies")
        finally:
            self._stack.close()

    # -- building ------------------------------------------------------------------------------

    def _copy_state(self) -> Any:
        """The desired state of the copies: each tested spec rendered as deployed (with the test's vars over
        its own), renamed, owned by the test environment."""
        from orchestrator.app.project import today
        from orchestrator.diagnostics import Diagnostics
        from orchestrator.engine.building import Builder
        from orchestrator.engine.desired import DesiredState

        source = self.source
        copies: dict[str, Any] = {}
        by_variant: dict[tuple[str, str], str] = {}
        for test in self.tests:
            variant = (test.spec, json.dumps(dict(test.vars), sort_keys=True, default=str))
            name = by_variant.get(variant)
            if name is None:
                count = sum(1 for spec, _ in by_variant if spec == test.spec)
                name = f"{test.spec}-test-{self.run_id}" + (f"-{count}" if count else "")
                by_variant[variant] = name
                builder = Builder(
                    source.project,
                    source.environment,
                    source.target,
                    today=self.today or today(),
                    vars_over=test.vars,
                )
                spec, found = builder.build_one(source.specs[test.spec].path)
                problems = [d for d in found if d.severity == "error"]
                if spec is None or problems:
                    where = problems[0] if problems else None
                    raise OrchestratorError(
                        f"test `{test.name}`: spec `{test.spec}` does not build with the test's "
                        f"vars" + (f": {where.location()}: {where.message}" if where else "")
                    )
                copies[name] = replace(spec, name=name)
                copies.update(self._dependencies(copies[name], copies))
                copies[name] = self._referring_to_copies(copies[name])
            self._names[test.name] = name
        builder = Builder(source.project, source.environment, source.target, today=self.today or today())
        diagnostics = Diagnostics()
        builder.skipped = []
        specs, resources = builder.split_kinds(copies, diagnostics)
        if diagnostics.has_errors:
            first = diagnostics.errors[0]
            raise OrchestratorError(f"cannot make test copies: {first.location()}: {first.message}")
        return DesiredState(
            source.project,
            self.environment,
            source.target,
            MappingProxyType(specs),
            diagnostics,
            resources=resources,
        )

    def _copy_name(self, name: str) -> str:
        return f"{name}-test-{self.run_id}"

    def _dependencies(self, spec: Any, made: Mapping[str, Any]) -> dict[str, Any]:
        """Copies of the specs the tested spec refers to (agents targets): its `environment` and the skills
        that environment installs, the vaults its MCP tools' credentials are in; renamed as the tested spec
        is, referring to each other's copies. Each is copied once per run, whatever refers to it."""
        resources = getattr(self.source, "resources", None) or {}
        environments, skills, vaults = (resources.get(kind, {}) for kind in ("environment", "skill", "vault"))
        found: dict[str, Any] = {}

        def add(original: Any) -> None:
            name = self._copy_name(original.name)
            if name not in made and name not in found:
                self._dependency_names.add(name)
                found[name] = original

        environment = getattr(spec, "environment", None)
        if environment in environments:
            env_spec = environments[environment]
            for skill in env_spec.skills:
                if skill in skills:
                    add(skills[skill])
            pins = {self._copy_name(n): v for n, v in env_spec.skill_pins.items()}
            add(env_spec)
            name = self._copy_name(env_spec.name)
            if name in found:
                found[name] = replace(
                    env_spec,
                    name=name,
                    skills=tuple(self._copy_name(n) for n in env_spec.skills),
                    skill_pins=MappingProxyType(pins),
                    skill_specs=MappingProxyType({}),
                )
        for vault in self._vaults_of(spec, vaults):
            add(vault)
        return {
            name: replace(original, name=name) if original.name != name else original
            for name, original in found.items()
        }

    def _vaults_of(self, spec: Any, vaults: Mapping[str, Any]) -> list[Any]:
        used = []
        for tool in getattr(spec, "tools", ()):
            wanted = tool.get("credential") if tool.get("type") == "mcp" else None
            if not isinstance(wanted, str):
                continue
            vault_name, _, credential = wanted.rpartition("/")
            owners = [
                v
                for v in vaults.values()
                if (not vault_name or v.name == vault_name)
                and any(c.name == credential for c in v.credentials)
            ]
            if len(owners) == 1 and owners[0] not in used:
                used.append(owners[0])
        return used

    def _referring_to_copies(self, spec: Any) -> Any:
        """The tested spec's copy, its `environment` and MCP credentials naming the copies of their specs."""
        vaults = (getattr(self.source, "resources", None) or {}).get("vault", {})
        changes: dict[str, Any] = {}
        environment = getattr(spec, "environment", None)
        if environment is not None and self._copy_name(environment) in self._dependency_names:
            changes["environment"] = self._copy_name(environment)
        tools, renamed = [], False
        for tool in getattr(spec, "tools", ()):
            owners = self._vaults_of(replace(spec, tools=(tool,)), vaults) if tool.get("credential") else []
            if owners and self._copy_name(owners[0].name) in self._dependency_names:
                credential = str(tool["credential"]).rpartition("/")[2]
                tool = MappingProxyType(
                    {**tool, "credential": f"{self._copy_name(owners[0].name)}/{credential}"}
                )
                renamed = True
            tools.append(tool)
        if renamed:
            changes["tools"] = tuple(tools)
        return replace(spec, **changes) if changes else spec

    # -- writing -------------------------------------------------------------------------------

    def _create(self) -> None:
        from orchestrator.app.deploy import run_plan
        from orchestrator.app.live import apply_lock, read_live
        from orchestrator.engine.sync import make_plan

        live = self.live
        with apply_lock(self.home, self.source.target, self.live.reporter):
            objects = read_live(live, self.state)
            self._remove_leftovers(objects)
            plan = make_plan(
                self.state, objects, live.mapping, kinds=live.kinds, only=frozenset(self._copied())
            )
            knowledge = getattr(live, "knowledge", None)
            root = getattr(knowledge, "root", None)
            if knowledge is not None and self.files_root is not None:
                knowledge.root = self.files_root
            try:
                result = run_plan(plan, live, PARALLELISM, self.bus)
            finally:
                if knowledge is not None:
                    knowledge.root = root
        made = [o for o in result.outcomes if o.ok]
        failed = [o for o in result.outcomes if not o.ok]
        if failed:  # __enter__ deletes what was made
            raise OrchestratorError(
                "cannot create the test copies: "
                + "; ".join(f"{o.change.kind} {o.change.name}: {o.error}" for o in failed)
            )
        specs = len({o.change.name for o in made if o.change.kind == live.mapping.object_kind})
        self.say(
            f"Created {specs} short-lived cop{'y' if specs == 1 else 'ies'} for test run {self.run_id} "
            f"({len(made)} object{'s' if len(made) != 1 else ''})."
        )

    def _remove_leftovers(self, objects: Any) -> None:
        dead = dead_runs(self.home, objects, self.environment.name, exclude=self.run_id)
        if not dead:
            return
        removed = self._delete_in(objects, lambda name: _run_of(name) in dead)
        for run in dead:
            _unlink(runs_dir(self.home) / f"{run}.lock")
        if removed:
            self.say(
                f"Removed {removed} leftover object{'s' if removed != 1 else ''} of earlier test runs "
                f"({', '.join(sorted(dead))})."
            )

    def _delete(self, wanted: Callable[[str], bool], what: str) -> None:
        from orchestrator.app.live import read_live

        try:
            objects = read_live(self.live, self.state)
            removed = self._delete_in(objects, wanted)
            if removed:
                removed += self._collect_garbage()
        except Exception as exc:  # never hide the run's own outcome; the next run removes them
            self.say(
                f"warning: could not delete the test copies of run {self.run_id} ({exc}); the next "
                "`orchestrator test` or `destroy` removes them"
            )
            return
        if removed:
            self.say(f"{what.capitalize()} ({removed} object{'s' if removed != 1 else ''}).")

    def _collect_garbage(self) -> int:
        """The uploads the deleted copies used and nothing else uses (knowledge files are shared by content
        across the project's stores, so deleting a store leaves them): deleted as an apply does; how many."""
        from orchestrator.app.live import apply_lock

        knowledge = getattr(self.live, "knowledge", None)
        if knowledge is None:
            return 0
        with apply_lock(self.home, self.source.target, self.live.reporter):
            return len(knowledge.collect_garbage())

    def _delete_in(self, objects: Any, wanted: Callable[[str], bool]) -> int:
        from orchestrator.app.deploy import run_plan

        plan = delete_plan(self.home, self.environment.name, self.source.target, self.live, objects, wanted)
        if not plan.changes:
            return 0
        result = run_plan(plan, self.live, PARALLELISM, self.bus)
        failed = [o for o in result.outcomes if not o.ok]
        if failed:
            raise OrchestratorError("; ".join(f"{o.change.kind} {o.change.name}: {o.error}" for o in failed))
        return len(result.outcomes)


def delete_plan(
    project: Any, environment: str, target: Any, live: Any, objects: Any, wanted: Callable[[str], bool]
) -> Any:
    """A plan deleting the objects owned by (project, environment) whose spec name is wanted, in graph order."""
    from orchestrator.engine.planning import Action, Change, Plan, Reason

    def owned(found: Iterable[Any]) -> list[Any]:
        return [
            o
            for o in found
            if o.owner
            and o.owner.project == project.name
            and o.owner.environment == environment
            and wanted(o.owner.spec)
        ]

    changes = [
        Change(
            live.mapping.object_kind,
            o.owner.spec,
            Action.DELETE,
            Reason.DESTROY,
            id=o.id,
            fingerprint=objects.fingerprint(o),
        )
        for o in owned(objects)
    ]
    for kind in live.kinds:
        found = objects.kinds.get(kind.name)
        changes.extend(
            Change(
                kind.name,
                o.owner.spec,
                Action.DELETE,
                Reason.DESTROY,
                id=o.id,
                fingerprint=found.fingerprint(o),
            )
            for o in owned(found or ())
        )
    changes.sort(key=lambda c: (c.kind != live.mapping.object_kind, c.name, c.id or ""))
    return Plan(project.name, environment, target.name, target.backend, tuple(changes))


def dead_runs(
    project: Any, objects: Any, environment: str, *, exclude: str | None = None, now: float | None = None
) -> set[str]:
    """The runs whose copies are leftovers: their lock here is free, or (no lock file) they are stale."""
    from filelock import FileLock, Timeout

    now = time.time() if now is None else now
    runs: dict[str, int] = {}
    everything = [*objects, *(o for kind in getattr(objects, "kinds", {}).values() for o in kind)]
    for obj in everything:
        owner = obj.owner
        if owner is None or owner.project != project.name or owner.environment != environment:
            continue
        run = _run_of(owner.spec)
        if run is not None and run != exclude:
            runs[run] = min(runs.get(run, obj.created_at), obj.created_at)
    dead = set()
    for run, created in runs.items():
        path = runs_dir(project) / f"{run}.lock"
        if path.exists():
            lock = FileLock(str(path))
            try:
                lock.acquire(timeout=0)
            except Timeout:
                continue  # that run is still going on
            lock.release()
            dead.add(run)
        elif now - created > STALE_AFTER_S:
            dead.add(run)
    return dead


def _run_of(name: str) -> str | None:
    match = COPY_NAME.match(name)
    return match.group("run") if match else None


def _unlink(path: Path) -> None:
    with suppress(OSError):
        path.unlink()
