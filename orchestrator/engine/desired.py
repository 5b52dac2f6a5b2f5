"""The desired state as values: one frozen DesiredSpec per spec, the graph's other kinds, plus diagnostics.

Built by orchestrator.engine.building from the spec files spec_discovery finds (one assistant or agent spec
read by spec_reading, an environment spec by environment_reading); pure values, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from orchestrator.diagnostics import Diagnostic, Diagnostics
from orchestrator.engine.knowledge_files import EnvironmentFile, LocalFile
from orchestrator.spec.project import Environment, Project, Target


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    description: str
    parameters: Mapping[str, Any]
    strict: bool
    handler: str | None
    pointer: str
    line: int | None
    defer_loading: bool = False  # agents: discovered through tool_search
    run_async: bool = False  # agents: the spec's `async`, the agent goes on without waiting for the result


@dataclass(frozen=True, slots=True)
class DesiredSpec:
    """Everything resolved for one spec: rendered, with files read; backend-neutral."""

    name: str
    file: str  # as shown in messages (relative to the project root)
    path: Path
    display_name: str
    model: str
    instructions: str
    description: str | None = None
    tools: tuple[Mapping[str, Any], ...] = ()
    functions: tuple[FunctionSpec, ...] = ()
    temperature: float | None = None
    top_p: float | None = None
    response_format: Any = None
    reasoning_effort: str | None = None
    verbosity: str | None = None
    service_tier: str | None = None
    reasoning_summary: str | None = None  # agents: reasoning.summary
    agent_settings: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({})
    )  # agents: compaction, multi_agent, experimental as written
    metadata: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    knowledge_files: tuple[LocalFile, ...] = ()
    knowledge_chunking: Mapping[str, int] | None = None
    knowledge_vector_store: str | None = None
    code_files: tuple[LocalFile, ...] = ()
    code_file_ids: tuple[str, ...] = ()  # existing files referenced by id
    dependencies: frozenset[Path] = frozenset()  # every file this spec was built from
    name_line: int | None = None
    adopt_id: str | None = None
    name_column: int | None = None
    environment: str | None = None  # the `kind: environment` spec it runs in (agents targets)
    environment_position: tuple[int | None, int | None] | None = None
    # agents targets: the knowledge and code files as files of the environment synthesised for this spec
    workspace_files: tuple[EnvironmentFile, ...] = ()
    # `session.spend_limit_usd` in whole cents: a setting of the sessions run and chat open, never of the agent
    spend_limit_cents: int | None = None


@dataclass(frozen=True, slots=True)
class DesiredEnvironment:
    """A `kind: environment` spec: an environment template of the Agents API, files read."""

    name: str
    file: str
    path: Path
    files: tuple[EnvironmentFile, ...] = ()
    packages: Mapping[str, tuple[str, ...]] | None = None
    network: Mapping[str, Any] | None = None
    env: Mapping[str, str] | None = None
    setup_commands: tuple[Mapping[str, str], ...] | None = None
    skills: tuple[str, ...] = ()
    skill_pins: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({})
    )  # name -> `version N` written
    skill_specs: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({})
    )  # the others: their skill specs
    capability_directories: tuple[str, ...] | None = None
    desktop: Mapping[str, bool] | None = None
    dependencies: frozenset[Path] = frozenset()
    name_line: int | None = None
    name_column: int | None = None
    adopt_id: str | None = None
    metadata: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    origin: str | None = None  # the assistant spec it was synthesised from (its knowledge and code files)

    @property
    def local_files(self) -> tuple[LocalFile, ...]:
        return tuple(f.local for f in self.files if f.local is not None)


@dataclass(frozen=True, slots=True)
class DesiredVectorStore:
    """`vector_store <spec>`: the owned vector store of an assistant spec's knowledge files (assistants backend)."""

    name: str  # the assistant spec's name
    file: str
    path: Path
    files: tuple[LocalFile, ...]
    chunking: Mapping[str, int] | None = None
    metadata: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class DesiredFile:
    """`file <path>`: a project file uploaded by content hash, for the stores, assistants and environment
    templates that name it (one node however many use it)."""

    name: str  # the project-relative path
    local: LocalFile
    file: str  # the first spec that names it, for messages
    metadata: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def knowledge_resources(
    specs: Mapping[str, DesiredSpec],
    environments: Mapping[str, DesiredEnvironment] = MappingProxyType({}),
    *,
    stores: bool = True,
) -> dict[str, Mapping[str, Any]]:
    """The graph's `vector_store` (one per spec with knowledge files; assistants backend) and `file` nodes (each
    project file a store, an assistant's code files or an environment template names)."""
    found_stores: dict[str, DesiredVectorStore] = {}
    files: dict[str, DesiredFile] = {}
    for name, spec in sorted(specs.items()):
        if stores and spec.knowledge_files and not spec.knowledge_vector_store:
            found_stores[name] = DesiredVectorStore(
                name, spec.file, spec.path, spec.knowledge_files, spec.knowledge_chunking
            )
        for local in (*(spec.knowledge_files if stores else ()), *(spec.code_files if stores else ())):
            files.setdefault(local.path, DesiredFile(local.path, local, spec.file))
    for environment in environments.values():
        for local in environment.local_files:
            files.setdefault(local.path, DesiredFile(local.path, local, environment.file))
    result: dict[str, Mapping[str, Any]] = {}
    if files:
        result[FILE_KIND] = MappingProxyType(dict(sorted(files.items())))
    if found_stores:
        result[VECTOR_STORE_KIND] = MappingProxyType(found_stores)
    return result


ENVIRONMENT_KIND = "environment"
VECTOR_STORE_KIND = "vector_store"
FILE_KIND = "file"
DERIVED_KINDS = frozenset({VECTOR_STORE_KIND, FILE_KIND})  # nodes the graph derives from specs: no spec files
TEST_KIND = "test"  # orchestrator.spec.test_kind: checked with the specs, never deployed
ENVIRONMENT_REFERENCE_KEY = "orchestrator.environment"  # an agent's metadata names its environment spec


@dataclass(frozen=True, slots=True)
class DesiredState:
    project: Project
    environment: Environment
    target: Target
    specs: Mapping[str, DesiredSpec]
    diagnostics: Diagnostics
    spec_files: tuple[Path, ...] = ()
    skipped: tuple[str, ...] = ()  # specs whose `environments` leave this environment out
    # the other kinds of the resource graph: kind -> spec name -> desired resource
    resources: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    # warnings the environment's `accept:` covers: kept out of `diagnostics`, shown by validate and in the plan
    accepted: tuple[Diagnostic, ...] = ()
    # behaviour tests (`kind: test`) of the specs deployed here: checked like every spec, never deployed
    tests: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def of_kind(self, kind: str) -> Mapping[str, Any]:
        return self.resources.get(kind, MappingProxyType({}))

    @property
    def ok(self) -> bool:
        return not self.diagnostics.has_errors

    def unknown_spec(self, name: str) -> str:
        """Why NAME is not a spec of this run: not deployed to this environment, or a typo."""
        if name in self.tests:
            return (
                f"`{name}` is a behaviour test (kind: test), never deployed; run it with "
                f"`orchestrator test {name}`"
            )
        if name in self.skipped:
            return (
                f"spec `{name}` is not deployed to environment `{self.environment.name}` "
                f"(its `environments` list leaves it out)"
            )
        import difflib

        close = difflib.get_close_matches(name, list(self.specs), n=1, cutoff=0.6)
        known = ", ".join(f"`{s}`" for s in sorted(self.specs)) or "none"
        return (
            f"unknown spec `{name}`"
            + (f"; did you mean `{close[0]}`?" if close else "")
            + f" (specs: {known})"
        )
