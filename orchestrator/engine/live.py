"""The backend seam, owned by the engine: what planning and applying need from a live API.

Backends implement these protocols and may import the engine; the engine never imports a backend.
The CLI (the composition root) picks one with `orchestrator.backends.mapping_for`.


A backend has two halves. Its Mapping is pure (no SDK, no I/O): it turns a DesiredSpec into a
canonical *essence* and a live object back into one, and builds wire payloads. Its Client talks
to the API through the openai SDK. Planning and the views only ever see essences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from orchestrator.engine.ownership import Digests, Owner, parse_claim, parse_digests, parse_owner


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

    def desired_essence(self, spec: Any) -> dict[str, Any]: ...

    def live_essence(self, raw: Mapping[str, Any], view: Any = None) -> dict[str, Any]: ...

    def needs_resources(self, essence: Mapping[str, Any], changed: Sequence[str], creating: bool) -> bool: ...

    def create_payload(self, essence: Mapping[str, Any], metadata: Mapping[str, str]) -> dict[str, Any]: ...

    def update_payload(
        self, essence: Mapping[str, Any], changed: Sequence[str], metadata: Mapping[str, str]
    ) -> dict[str, Any]: ...


class ResourceView(Protocol):
    """Sub-resources read beside the objects (knowledge files and vector stores on the assistants backend)."""

    def fingerprint_part(self, owner: Owner | None) -> Any: ...


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


class ReferringMapping(Protocol):
    """A mapping whose essences name other resources of the graph (an assistant its vector store and code
    files, a vector store its files): planning turns them into the change's `uses`, apply orders by them."""

    def uses(self, essence: Mapping[str, Any]) -> list[tuple[str, str]]: ...


# a kind that plans itself: (desired state, live state of the kind, options) -> Plan (engine.sync.KindPlanning)
Planner = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class Kind:
    """One more kind of the resource graph beside the target's assistants or agents: its mapping and client.

    Adding a kind = one kind module in backends/ (mapping + client), registered in backends.kinds_for,
    one emulator module, and its desired form in engine.desired.

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
