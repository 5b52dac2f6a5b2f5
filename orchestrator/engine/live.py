"""The backend seam, owned by the engine: what planning and applying need from a live API.

Backends implement these protocols and may import the engine; the engine never imports a backend.
The CLI (the composition root) picks one with `orchestrator.backends.mapping_for`.


A backend has two halves. Its Mapping is pure (no SDK, no I/O): it turns a DesiredSpec into a
canonical *essence* and a live object back into one, and builds wire payloads. Its Client talks
to the API through the openai SDK. Planning and the views only ever see essences. Optional capabilities
(a client's `in_use`, a mapping's `uses`, `plan_notes`, `claims_once`) are protocols of their own, checked
with isinstance. The live state a plan is made from (LiveState) and what a kind's own planner is given
(KindPlanning) are values of this seam too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from orchestrator.engine.desired import DesiredState
from orchestrator.engine.ownership import Digests, Owner, digest, parse_claim, parse_digests, parse_owner
from orchestrator.engine.planning import DesiredItem, Plan


@dataclass(frozen=True, slots=True)
class LiveObject:
    """One live object as read from the API (raw wire dict kept for essence and fingerprints)."""

    id: str
    created_at: int
    raw: Mapping[str, Any]
    owner: Owner | None = None
    digests: Digests | None = None
    claim: str | None = None  # the claim token of the apply run that created it, if any

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> LiveObject:
        metadata = raw.get("metadata") or {}
        return cls(
            id=str(raw["id"]),
            created_at=int(raw.get("created_at") or 0),
            raw=raw,
            owner=parse_owner(metadata),
            digests=parse_digests(metadata),
            claim=parse_claim(metadata),
        )


class Mapping_(Protocol):
    backend: str  # "assistants" | "agents"
    object_kind: str  # "assistant" | "agent"
    write_only: frozenset[str]

    def desired_essence(self, spec: Any) -> dict[str, Any]: ...  # spec: the kind's own desired value type

    def live_essence(self, raw: Mapping[str, Any], view: ResourceView | None = None) -> dict[str, Any]: ...

    def needs_resources(self, essence: Mapping[str, Any], changed: Sequence[str], creating: bool) -> bool: ...

    def create_payload(self, essence: Mapping[str, Any], metadata: Mapping[str, str]) -> dict[str, Any]: ...

    def update_payload(
        self, essence: Mapping[str, Any], changed: Sequence[str], metadata: Mapping[str, str]
    ) -> dict[str, Any]: ...


class ResourceView(Protocol):
    """Sub-resources read beside the objects (knowledge files and vector stores on the assistants backend)."""

    def fingerprint_part(self, owner: Owner | None) -> object: ...  # JSON-able, or None: nothing to add


@runtime_checkable
class ReferencingView(ResourceView, Protocol):
    """A view that knows which of its kind's objects a live object of the target's kind points at (the
    stores live assistants use): planning keeps those among duplicates."""

    @property
    def referenced(self) -> frozenset[str]: ...


class Client(Protocol):
    def list_all(self) -> list[LiveObject]: ...

    def retrieve(self, object_id: str) -> LiveObject | None: ...

    def create(self, payload: Mapping[str, Any]) -> LiveObject: ...

    def update(self, object_id: str, payload: Mapping[str, Any]) -> LiveObject: ...

    def delete(self, object_id: str) -> None: ...


class KindClient(Client, Protocol):
    def read_view(self, objects: Sequence[LiveObject], wanted: bool) -> ResourceView | None: ...


# -- optional capabilities: a mapping or client that has one says so by its methods (checked with isinstance)


@runtime_checkable
class UsingClient(Protocol):
    """A client whose objects other live objects point at: apply's duplicate check never removes those (a
    vector store an assistant uses)."""

    def in_use(self) -> set[str]: ...


@runtime_checkable
class ViewedClient(Protocol):
    """The client of a kind read with another kind's view (Kind.in_view_of: knowledge files and vector stores,
    uploads): its live objects are found in that view (view: the host kind's own, as its read_view made it)."""

    def objects_in(self, view: Any, objects: Sequence[LiveObject] = ()) -> tuple[LiveObject, ...]: ...


@runtime_checkable
class NotingMapping(Protocol):
    """A mapping that says how a spec's fields map onto its kind (plan lines under the change)."""

    def plan_notes(self, spec: Any) -> tuple[str, ...]: ...


@runtime_checkable
class VersionedMapping(Protocol):
    """A mapping whose objects are versions of one name (uploads), never duplicates of each other when
    claims_once is False: apply's duplicate check skips the kind."""

    claims_once: bool


@runtime_checkable
class ReferringMapping(Protocol):
    """A mapping whose essences name other resources of the graph (an assistant its vector store and code
    files, a vector store its files): planning turns them into the change's `uses`, apply orders by them."""

    def uses(self, essence: Mapping[str, Any]) -> list[tuple[str, str]]: ...


class Planner(Protocol):
    """A kind that plans itself: (its desired items, its live state, what else the run plans) -> its Plan."""

    def __call__(
        self, desired: Mapping[str, DesiredItem], found: LiveState, context: KindPlanning
    ) -> Plan: ...


@dataclass(frozen=True, slots=True)
class Kind:
    """One more kind of the resource graph beside the target's assistants or agents: its mapping and client.

    A kind is defined once, in orchestrator/kinds/ (docs/adding-a-kind.md); backends.kinds_for makes its
    Kind through the client factory its definition names.

    `planner` replaces the generic plan for kinds whose objects are not one per spec (uploaded files are
    immutable versions of a path, shared by environments). `in_view_of` names the kind whose read also reads
    this one's objects (the target's own kind: knowledge files and vector stores with the assistants' view;
    `environment`: uploads with the templates' files view), so it costs no listing of its own: its client's
    `objects_in(view, objects)` gives its live objects.
    """

    name: str
    mapping: Mapping_
    client: KindClient
    planner: Planner | None = None
    in_view_of: str | None = None
    written_after: frozenset[str] = (
        frozenset()
    )  # essence keys written after the object (a vault's credentials)


@dataclass(frozen=True, slots=True)
class LiveState:
    """Every live object of the backend's kind, plus knowledge files and stores when they matter."""

    objects: tuple[LiveObject, ...]
    view: ResourceView | None = None
    kinds: Mapping[str, LiveState] = field(
        default_factory=lambda: MappingProxyType({})
    )  # the graph's other kinds

    def __iter__(self) -> Iterator[LiveObject]:
        return iter(self.objects)

    def __len__(self) -> int:
        return len(self.objects)

    def fingerprint(self, obj: LiveObject) -> str:
        return fingerprint(obj, self.view)


def fingerprint(obj: LiveObject, view: ResourceView | None = None) -> str:
    """Digest of the live object as planned (and of its knowledge store): saved plans check it."""
    knowledge = view.fingerprint_part(obj.owner) if view is not None else None
    if knowledge is None:
        return digest(dict(obj.raw))
    return digest({"object": dict(obj.raw), "knowledge": knowledge})


@dataclass(frozen=True, slots=True)
class KindPlanning:
    """What a kind's own planner (Kind.planner) is given beside its desired items and live state."""

    state: DesiredState
    project: str
    environment: str
    target: str
    backend: str
    prune: bool
    only: frozenset[str] | None
    mapping: Mapping_  # the kind's own (Kind.mapping)
    # every spec name of the run's other kinds that a live object of this kind may serve (kind -> names)
    planned: Mapping[str, frozenset[str]] = field(default_factory=dict)
