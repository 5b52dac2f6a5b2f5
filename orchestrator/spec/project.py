"""orchestrator.yaml to a Project: environments, targets and variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from orchestrator.constants import LOCAL_DB_NAME, STATE_DIR
from orchestrator.diagnostics import Diagnostic, Diagnostics
from orchestrator.spec.confinement import Refused, confine, resolved
from orchestrator.spec.loading import Document, LoadError, load_yaml_file
from orchestrator.spec.writing import name_problem, shown_name

PROJECT_FILE = "orchestrator.yaml"
DEFAULT_ENVIRONMENT = "dev"
DEFAULT_TARGET = "local"


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    type: str  # local | assistants | agents
    base_url: str | None = None
    api_key_env: str | None = None
    protocol: str = "assistants"  # the backend the engine speaks: assistants | agents
    db: str | None = None
    organization: str | None = None
    timeout: float | None = None
    max_retries: int | None = None

    @property
    def backend(self) -> str:
        """Which backend (wire protocol) this target is reconciled with."""
        return (
            "agents"
            if self.type == "agents"
            else ("assistants" if self.type == "assistants" else self.protocol)
        )


@dataclass(frozen=True, slots=True)
class Acceptance:
    """One entry of an environment's `accept:`: a known difference its target deploys without."""

    field: str  # JSON pointer pattern of the spec field, `*` for one segment
    spec: str | None  # None: every spec
    pointer: str  # where it is written in orchestrator.yaml, e.g. /environments/agents/accept/0
    line: int | None = None
    reason: str | None = None

    def covers(self, spec: str | None, pointer: str) -> bool:
        from orchestrator.spec.capabilities import pointer_matches

        return (self.spec is None or self.spec == spec) and pointer_matches(self.field, pointer)

    def describe(self) -> str:
        return f"`{self.field.strip('/')}`" + (f" of spec `{self.spec}`" if self.spec else "")


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    target: str
    vars: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    accept: tuple[Acceptance, ...] = ()
    accept_line: int | None = None  # line of `accept:` in orchestrator.yaml


@dataclass(frozen=True, slots=True)
class AgentsSettings:
    """The project file's `agents:` block: how specs written for the Assistants API map onto agents."""

    description_to_metadata: bool = False  # an assistant's `description` goes into the agent's metadata


@dataclass(frozen=True, slots=True)
class Project:
    root: Path
    name: str
    specs_dir: Path
    templates_dir: Path
    vars: MappingProxyType[str, Any]
    default_environment: str
    environments: MappingProxyType[str, Environment]
    targets: MappingProxyType[str, Target]
    document: Document | None = None
    python_path: tuple[Path, ...] = ()
    agents: AgentsSettings = AgentsSettings()

    @property
    def file(self) -> Path:
        return self.root / PROJECT_FILE

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    def local_db(self, target: Target) -> Path:
        """The local target's database: in the state folder (load_project refused any other `db:`)."""
        return self.root / (target.db or f"{STATE_DIR}/{LOCAL_DB_NAME}")

    def environment(self, name: str | None) -> Environment:
        from orchestrator.errors import OrchestratorError

        chosen = name or self.default_environment
        if chosen not in self.environments:
            raise OrchestratorError(_unknown("environment", chosen, self.environments))
        return self.environments[chosen]

    def target(self, name: str) -> Target:
        from orchestrator.errors import OrchestratorError

        if name not in self.targets:
            raise OrchestratorError(_unknown("target", name, self.targets))
        return self.targets[name]

    def display(self, path: Path) -> str:
        """A path as shown in messages: relative to the project root where possible."""
        real = str(resolved(path))
        base = str(self.root).rstrip("/") + "/"
        if real.startswith(base):
            return real[len(base) :]  # what relative_to gives, without building paths
        try:
            return str(Path(real).relative_to(self.root))
        except ValueError:
            return str(path)


def _unknown(kind: str, name: str, known: Mapping[str, Any]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    defined = ", ".join(f"`{k}`" for k in sorted(known)) or "none"
    return (
        f"unknown {kind} `{name}`"
        + (f"; did you mean `{close[0]}`?" if close else "")
        + f" ({PROJECT_FILE} defines: {defined})"
    )


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above start holding orchestrator.yaml."""
    current = start.resolve()
    for folder in (current, *current.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    return None


def load_project(root: Path) -> tuple[Project | None, Diagnostics]:
    """Load and check orchestrator.yaml; a Project only when it has no errors."""
    from orchestrator.spec.schema_errors import schema_diagnostics
    from orchestrator.spec.schemas import validator_for

    diagnostics = Diagnostics()
    path = root / PROJECT_FILE
    try:
        document = load_yaml_file(path, PROJECT_FILE, root=root.resolve(), what="the project file")
    except LoadError as exc:
        diagnostics.add(exc.diagnostic)
        return None, diagnostics
    if not isinstance(document.data, dict):
        from orchestrator.spec.schema_errors import describe_type

        diagnostics.add(
            document.error_at(
                "", f"expected a mapping at the top of {PROJECT_FILE}, got {describe_type(document.data)}"
            )
        )
        return None, diagnostics
    diagnostics.extend(schema_diagnostics(document, validator_for("project")))
    if diagnostics.has_errors:
        return None, diagnostics
    diagnostics.extend(_semantic_checks(document))
    if diagnostics.has_errors:
        return None, diagnostics
    diagnostics.extend(_folder_checks(root.resolve(), document))
    if diagnostics.has_errors:
        return None, diagnostics
    return _build(root, document), diagnostics


def _semantic_checks(doc: Document) -> list[Diagnostic]:
    data = doc.data
    found: list[Diagnostic] = []
    targets = data.get("targets") or {}
    environments = data.get("environments") or {}
    known_targets = set(targets) | ({DEFAULT_TARGET} if DEFAULT_TARGET not in targets else set())
    for env_name, env in environments.items():
        if env["target"] not in known_targets:
            found.append(
                doc.error_at(
                    f"/environments/{env_name}/target",
                    _unknown("target", env["target"], dict.fromkeys(known_targets)),
                    hint=f"define `{env['target']}` under `targets`, or use one of the defined targets",
                )
            )
    for env_name, env in environments.items():
        found.extend(_acceptance_checks(doc, env_name, env.get("accept") or []))
    for target_name, target in targets.items():
        db_problem = (
            local_db_problem(target["db"])
            if isinstance(target, dict) and isinstance(target.get("db"), str)
            else None
        )
        if db_problem is not None:
            found.append(
                doc.error_at(
                    f"/targets/{target_name}/db",
                    f"target `{target_name}`: the local database must be a file in `{STATE_DIR}/` (the git-ignored "
                    f"state folder), not `{shown_name(target['db'])}`: {db_problem}; a committed "
                    "project file cannot put it anywhere else",
                    hint=f"name a file such as `{STATE_DIR}/{target_name}.db`, or keep it elsewhere by setting "
                    f"{LOCAL_DB_ENV}=PATH in your own environment (not in the repository)",
                )
            )
        if isinstance(target, dict) and is_sunset(target.get("type"), target.get("base_url")):
            found.append(
                doc.warning_at(
                    f"/targets/{target_name}/base_url",
                    f"target `{target_name}`: the Assistants API was sunset on api.openai.com on {ASSISTANTS_SUNSET}; "
                    "an environment that uses this target cannot deploy",
                    hint="use `type: agents` for OpenAI (the same spec deploys as an agent), or point `base_url` "
                    "at a server that still speaks the Assistants protocol",
                )
            )
    default_env = data.get("default_environment")
    known_envs = set(environments) or {DEFAULT_ENVIRONMENT}
    if default_env is not None and default_env not in known_envs:
        found.append(
            doc.error_at(
                "/default_environment", _unknown("environment", default_env, dict.fromkeys(known_envs))
            )
        )
    for key in ("specs", "templates"):
        value = data.get(key)
        if isinstance(value, str) and (Path(value).is_absolute() or ".." in Path(value).parts):
            found.append(doc.error_at(f"/{key}", f"`{key}` must be a folder inside the project"))
    return found


def _acceptance_checks(doc: Document, env_name: str, entries: list[dict[str, Any]]) -> list[Diagnostic]:
    """Each accepted difference names a field some target deploys without; its spec is checked by the build."""
    import difflib

    from orchestrator.spec.capabilities import ACCEPTABLE_FIELDS, is_acceptable

    found: list[Diagnostic] = []
    for index, entry in enumerate(entries):
        pattern = entry["field"]
        if is_acceptable(pattern):
            continue
        close = difflib.get_close_matches(pattern.strip("/"), ACCEPTABLE_FIELDS, n=1, cutoff=0.6)
        found.append(
            doc.error_at(
                f"/environments/{env_name}/accept/{index}/field",
                f"`{pattern}` is not a field any target deploys without"
                + (f"; did you mean `{close[0]}`?" if close else ""),
                hint="fields that can be accepted: " + ", ".join(f"`{f}`" for f in ACCEPTABLE_FIELDS),
            )
        )
    return found


ASSISTANTS_SUNSET = "2026-08-26"
LOCAL_DB_ENV = (
    "ORCHESTRATOR_LOCAL_DB"  # the user's own override of every local target's database (cli reads it)
)


def local_db_problem(db: str) -> str | None:
    """Why a project file's `db:` is not a file in the state folder (None when it is)."""
    if db.startswith("/") or (len(db) > 1 and db[1] == ":"):
        return "it is an absolute path"
    parts = db.split("/")
    if parts[0] != STATE_DIR or len(parts) < 2:
        return f"it is not inside `{STATE_DIR}/`"
    for part in parts[1:]:
        problem = name_problem(part, portable=False)
        if problem is not None:
            return f"its part `{shown_name(part)}` {problem}"
    return None


def is_sunset(target_type: Any, base_url: Any) -> bool:
    """An `assistants` target on api.openai.com, where that API no longer answers."""
    if target_type != "assistants" or not isinstance(base_url, str):
        return False
    from urllib.parse import urlsplit

    try:
        host = urlsplit(base_url.strip()).hostname or ""
    except ValueError:
        return False
    return host.rstrip(".").lower() == "api.openai.com"


def selection_diagnostics(diagnostics: Diagnostics, target: Target) -> Diagnostics:
    """The project's diagnostics for a run on target: a sunset target warns until a run uses it."""
    from dataclasses import replace

    from orchestrator.diagnostics import Severity

    if not is_sunset(target.type, target.base_url):
        return diagnostics
    pointer = f"/targets/{target.name}/base_url"
    return Diagnostics(
        replace(d, severity=Severity.ERROR) if d.pointer == pointer and "sunset" in d.message else d
        for d in diagnostics
    )


def _folder_checks(root: Path, doc: Document) -> list[Diagnostic]:
    """The specs and templates folders resolve (after links) inside the project, and can be listed."""
    import os

    found: list[Diagnostic] = []
    for key in ("specs", "templates"):
        value = doc.data.get(key, key)
        folder = root / value
        try:
            real = confine(folder, root)
        except Refused as exc:
            found.append(doc.error_at(f"/{key}", f"the {key} folder `{value}` {exc.reason}", hint=exc.hint))
            continue
        try:
            if real.is_dir():
                os.scandir(real).close()
        except OSError as exc:
            found.append(
                doc.error_at(
                    f"/{key}",
                    f"the {key} folder `{value}` cannot be read: {exc.strerror or exc}",
                    hint="check its permissions",
                )
            )
    return found


def _build(root: Path, doc: Document) -> Project:
    data = doc.data
    targets = {name: _target(name, spec) for name, spec in (data.get("targets") or {}).items()}
    targets.setdefault(DEFAULT_TARGET, Target(name=DEFAULT_TARGET, type="local"))
    environments_data = data.get("environments") or {DEFAULT_ENVIRONMENT: {"target": DEFAULT_TARGET}}
    environments = {
        name: Environment(
            name,
            env["target"],
            MappingProxyType(dict(env.get("vars") or {})),
            _acceptances(doc, name, env.get("accept") or []),
            _line(doc, f"/environments/{name}/accept"),
        )
        for name, env in environments_data.items()
    }
    default_env = data.get("default_environment") or (
        DEFAULT_ENVIRONMENT if DEFAULT_ENVIRONMENT in environments else sorted(environments)[0]
    )
    return Project(
        root=root.resolve(),
        name=data["project"],
        specs_dir=(root / data.get("specs", "specs")).resolve(),
        templates_dir=(root / data.get("templates", "templates")).resolve(),
        vars=MappingProxyType(dict(data.get("vars") or {})),
        default_environment=default_env,
        environments=MappingProxyType(environments),
        targets=MappingProxyType(targets),
        document=doc,
        python_path=tuple((root / p).resolve() for p in data.get("python_path") or ()),
        agents=AgentsSettings(**(data.get("agents") or {})),
    )


def _line(doc: Document, pointer: str) -> int | None:
    where = doc.position(pointer)
    return where.line if where else None


def _acceptances(doc: Document, env_name: str, entries: list[dict[str, Any]]) -> tuple[Acceptance, ...]:
    return tuple(
        Acceptance(
            field=entry["field"],
            spec=entry.get("spec"),
            pointer=f"/environments/{env_name}/accept/{i}",
            line=_line(doc, f"/environments/{env_name}/accept/{i}"),
            reason=entry.get("reason"),
        )
        for i, entry in enumerate(entries)
    )


def _target(name: str, spec: dict[str, Any]) -> Target:
    return Target(
        name=name,
        type=spec["type"],
        base_url=spec.get("base_url"),
        api_key_env=spec.get("api_key_env"),
        protocol=spec.get("protocol", "assistants"),
        db=spec.get("db"),
        organization=spec.get("organization"),
        timeout=spec.get("timeout"),
        max_retries=spec.get("max_retries"),
    )
