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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from orchestrator.engine.desired import DesiredState
from orchestrator.engine.ownership import Digests, Owner, digest, parse_claim, parse_digests, parse_owner
from orchestrator.engine.planning import DesiredItem, Plan
from orchestrator.errors import OrchestratorError


@dataclass(frozen=True, slots=True)
class References:
    """Live ids of specs that objects of another kind refer to, keyed "<kind>:<name>" (an automation's agent,
    environment and vaults).

    Specs, essences and plans name what they refer to by spec name (no ids: a plan is readable before the
    referenced objects exist). A client resolves names to ids at the call through the References of its run;
    the live objects it reads carry the part they point at (LiveObject.references), and their mapping's
    live_essence reads those ids back as names.
    """

    ids: Mapping[str, str] = field(default_factory=dict)

    def id_of(self, kind: str, name: str) -> str:
        found = self.ids.get(f"{kind}:{name}")
        if found is None:
            raise OrchestratorError(f"the {kind} `{name}` an automation refers to has no live object yet")
        return found

    def name_of(self, kind: str, object_id: str | None) -> str | None:
        if object_id is None:
            return None
        for key, value in self.ids.items():
            if value == object_id and key.startswith(kind + ":"):
                return key.split(":", 1)[1]
        return object_id  # not one of ours: shown as the id, so the plan says what is there

    def among(self, pointed: Iterable[tuple[str, str | None]]) -> References:
        """Only the ids among pointed ((kind, live id) pairs): what one live object refers to."""
        wanted = set(pointed)
        return References(
            {key: value for key, value in self.ids.items() if (key.split(":")[0], value) in wanted}
        )

    def folded(self) -> tuple[str, dict[str, Any]]:
        """The key and value fingerprint() folds into the digested raw dict (see _digested)."""
        return "_names", dict(self.ids)


@dataclass(frozen=True, slots=True)
class CredentialRefs:
    """The vault credentials an agent's MCP tools may use, by live credential id: id -> (`vault/credential`
    spec name, digest of the credential's settings), over the vaults of the agent's own project and environment.

    A spec names a credential `vault/credential`; the agent client puts its id in at the call and reads the
    live agents with the credentials of their project's vaults (LiveObject.references), so the agent mapping's
    live_essence reads a credential_id back as that name (an id not among them stays an id: not one of ours).
    """

    by_id: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def name_of(self, credential_id: object) -> tuple[str, str] | None:
        """(`vault/credential`, settings digest) of a credential id (as a server sent it), None when it is not
        one of these."""
        return self.by_id.get(credential_id) if isinstance(credential_id, str) else None

    def folded(self) -> tuple[str, dict[str, Any]]:
        """The key and value fingerprint() folds into the digested raw dict (see _digested)."""
        return "_credentials", {key: [ref, settings] for key, (ref, settings) in self.by_id.items()}


# what a live object refers to, as its client resolved it: each kind's client gives its own mapping its own
# type (an automation's References, an agent's CredentialRefs)
ObjectReferences = References | CredentialRefs


@dataclass(frozen=True, slots=True)
class LiveObject:
    """One live object as read from the API (raw wire dict kept for essence and fingerprints).

    references: the spec names of the objects it refers to, as its client resolved them (None for kinds
    that refer to none: References for an automation, CredentialRefs for an agent whose MCP tools use a
    credential); its mapping's live_essence is given them.
    """

    id: str
    created_at: int
    raw: Mapping[str, Any]
    owner: Owner | None = None
    digests: Digests | None = None
    claim: str | None = None  # the claim token of the apply run that created it, if any
    references: ObjectReferences | None = None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any], references: ObjectReferences | None = None) -> LiveObject:
        metadata = raw.get("metadata") or {}
        return cls(
            id=str(raw["id"]),
            created_at=int(raw.get("created_at") or 0),
            raw=raw,
            owner=parse_owner(metadata),
            digests=parse_digests(metadata),
            claim=parse_claim(metadata),
            references=references,
        )


class Mapping_(Protocol):
    backend: str  # "assistants" | "agents"
    object_kind: str  # "assistant" | "agent"
    write_only: frozenset[str]

    def desired_essence(self, spec: Any) -> dict[str, Any]: ...  # spec: the kind's own desired value type

    # references: LiveObject.references (the spec names of the objects raw refers to), None when it has none
    def live_essence(
        self,
        raw: Mapping[str, Any],
        view: ResourceView | None = None,
        references: ObjectReferences | None = None,
    ) -> dict[str, Any]: ...

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
        return digest(_digested(obj))
    return digest({"object": _digested(obj), "knowledge": knowledge})


def _digested(obj: LiveObject) -> dict[str, Any]:
    """The raw object, with the references its client resolved folded in: an automation's under `_names` (ids
    keyed "<kind>:<name>"), an agent's credentials under `_credentials` (id -> [`vault/credential`, settings
    digest]). That is where they were once kept (in raw itself), and saved plans hold fingerprints of exactly
    that dict, so the same bytes keep those plans valid (a changed reference still makes one stale)."""
    if obj.references is None:
        return dict(obj.raw)
    key, value = obj.references.folded()
    return {**obj.raw, key: value}


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
