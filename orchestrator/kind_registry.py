"""The resource kinds, one definition each: the registry every kind-specific list is a view of.

A kind is one module of the `orchestrator.kinds` package holding a `DEFINITION` (a `KindDefinition`):
its name, the JSON Schema its spec files are checked against, the spec checks, its step of the desired
state, what it refers to (the graph's edges between kinds), its importer, its plan-line details and, by
dotted path, its backend mapping and client (imported only when a run needs them, so `--help` and
`validate` stay light). The registry finds the modules with pkgutil: adding a kind edits no list here.

This module sits below the engine and the spec layer (both ask it which kinds exist); the definitions sit
above the engine (an importer builds on engine.importing) and are found by name, never imported here.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:  # types only (the registry sits below the engine: it names no engine type, even here)
    from pathlib import Path

    from orchestrator.diagnostics import Diagnostic
    from orchestrator.spec.loading import Document

PACKAGE = "orchestrator.kinds"

# A kind's spec value (VaultSpec, SkillSpec, AutomationSpec, ...): each kind has its own frozen dataclass,
# which the registry passes between a definition's `read` and `resolve` without looking inside.
KindSpec: TypeAlias = Any
# engine.planning's Change and FieldChange, engine.live's Mapping_: the engine imports the registry, never back
Change: TypeAlias = Any
FieldChange: TypeAlias = Any
MappingOfKind: TypeAlias = Any


@dataclass(frozen=True, slots=True)
class KindDefinition:
    """One kind of the resource graph, every part of it in one place.

    refers_to: the kinds whose objects this kind's objects name (an automation its agent, environment
    and vaults): the graph creates those first and deletes them last. plan_rank breaks ties between kinds
    of the same depth of that graph, so the plan lists them in a stable order.
    """

    name: str
    backends: frozenset[str] = frozenset({"agents"})
    refers_to: frozenset[str] = frozenset()
    schema: str | None = None  # schemas/<file> its spec files are checked against (None: no spec files)
    # the spec checks: (document, its data, project root, diagnostics found) -> the frozen spec value
    read: Callable[[Document, dict[str, Any], Path, list[Diagnostic]], KindSpec] | None = None
    # checks before the schema's: (document) -> diagnostics that refuse it (a vault's secret written as a value,
    # refused without the schema's messages quoting it)
    before_schema: Callable[[Document], list[Diagnostic]] | None = None
    # its step of the desired state: (spec, doc of the spec, spec name -> kinds known) -> (spec | None, problems)
    resolve: (
        Callable[[KindSpec, Document, Mapping[str, frozenset[str]]], tuple[KindSpec | None, list[Diagnostic]]]
        | None
    ) = None
    importer: str | None = None  # "module:callable", a live object -> its spec files (engine.importing)
    # a changed field shown its own way in a plan: (change, field, before, after) -> lines (None: generic)
    plan_details: Callable[[Change, FieldChange, dict[str, Any], dict[str, Any]], list[str] | None] | None = (
        None
    )
    mapping: str | None = None  # "module:callable", (backend) -> its pure mapping
    client: str | None = None  # "module:callable", (context) -> its engine.live.Kind (mapping and client)
    primary: bool = False  # the target's own kind (assistant, agent), not one of the graph's other kinds
    plan_rank: int = 0

    def resolved(self, dotted: str | None) -> Callable[..., Any]:
        """The callable a dotted "module:name" path names (imported now)."""
        assert dotted is not None, f"kind {self.name} has no such part"
        module, _, attribute = dotted.partition(":")
        return getattr(importlib.import_module(module), attribute)

    def mapping_for(self, backend: str) -> MappingOfKind:
        """Its pure mapping on backend (a kind on several backends is told which)."""
        make = self.resolved(self.mapping)
        return make(backend) if len(self.backends) > 1 else make()


@cache
def definitions() -> tuple[KindDefinition, ...]:
    """Every kind, referenced kinds first (the order of the graph's edges; ties by plan_rank, then name)."""
    package = importlib.import_module(PACKAGE)
    found: dict[str, KindDefinition] = {}
    for module in pkgutil.iter_modules(package.__path__):
        definition = getattr(importlib.import_module(f"{PACKAGE}.{module.name}"), "DEFINITION", None)
        if isinstance(definition, KindDefinition):
            found[definition.name] = definition
    return tuple(found[name] for name in dependency_order({n: d.refers_to for n, d in found.items()}, found))


def dependency_order(
    refers_to: Mapping[str, frozenset[str]], definitions: Mapping[str, KindDefinition] | None = None
) -> list[str]:
    """The kinds with every kind after the kinds it refers to (references to unknown kinds are ignored);
    among the kinds ready at once, the lower plan_rank (then name) first. A cycle is a programming error."""
    rank = {n: (d.plan_rank, n) for n, d in (definitions or {}).items()}
    waiting = {name: {r for r in refs if r in refers_to and r != name} for name, refs in refers_to.items()}
    order: list[str] = []
    while waiting:
        ready = sorted((n for n, refs in waiting.items() if not refs), key=lambda n: rank.get(n, (0, n)))
        if not ready:
            raise ValueError(f"kinds refer to each other in a cycle: {sorted(waiting)}")
        order.append(ready[0])
        del waiting[ready[0]]
        for refs in waiting.values():
            refs.discard(ready[0])
    return order


def definition(name: str) -> KindDefinition | None:
    return _by_name().get(name)


@cache
def _by_name() -> dict[str, KindDefinition]:
    return {d.name: d for d in definitions()}


def on_backend(backend: str) -> tuple[KindDefinition, ...]:
    """The kinds that exist on a backend ("assistants" or "agents"), referenced kinds first."""
    return tuple(d for d in definitions() if backend in d.backends)


def primary_on(backend: str) -> KindDefinition:
    """The target's own kind on a backend: `agent` on agents, `assistant` on assistants."""
    return next(d for d in on_backend(backend) if d.primary)


def deploys(backend: str, kind: str) -> bool:
    """Whether objects of `kind` exist on a backend (vector stores only on assistants, vaults only on agents)."""
    found = definition(kind)
    return found is not None and backend in found.backends


@cache
def spec_kinds() -> tuple[str, ...]:
    """The kinds read from spec files by their definition's checks (`kind: vault`, ...), in graph order."""
    return tuple(d.name for d in definitions() if d.read is not None)


def referrers(kind: str, among: Mapping[str, frozenset[str]] | None = None) -> frozenset[str]:
    """The kinds that refer to `kind`, directly or through others (deleted before it, created after it)."""
    edges = among if among is not None else {d.name: d.refers_to for d in definitions()}
    found: set[str] = set()
    pending = [kind]
    while pending:
        current = pending.pop()
        for name, refs in edges.items():
            if current in refs and name not in found:
                found.add(name)
                pending.append(name)
    return frozenset(found)


def graph_order(kinds: Iterable[str]) -> tuple[str, ...]:
    """kinds in the order of the graph's edges, referenced kinds first (creates in this order, deletes in
    reverse), whatever order they were given in; a kind without a definition keeps its place after them."""
    given = tuple(dict.fromkeys(kinds))
    known = [d.name for d in definitions() if d.name in given]
    return (*known, *(k for k in given if k not in known))


def schema_files() -> dict[str, str]:
    """The kinds' schema files by kind (those with spec files of their own)."""
    return {d.name: d.schema for d in definitions() if d.schema is not None}
