"""Desired state + live objects -> Plan, for one project, environment and target."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from orchestrator.engine.desired import DesiredState
from orchestrator.engine.live import (
    Kind,
    KindPlanning,
    LiveObject,
    LiveState,
    Mapping_,
    NotingMapping,
    ReferringMapping,
    ResourceView,
    fingerprint,
)
from orchestrator.engine.ownership import Owner, stamp
from orchestrator.engine.planning import (
    Action,
    Change,
    DesiredItem,
    Duplicate,
    LiveItem,
    Plan,
    Reason,
    essence_digests,
    group_claims,
    plan,
    references,
)


def desired_items(
    state: DesiredState, mapping: Mapping_, adopt: Mapping[str, str] | None = None, kind: str | None = None
) -> dict[str, DesiredItem]:
    items: dict[str, DesiredItem] = {}
    # the optional capabilities, checked once (an isinstance on a protocol costs more than a spec's item)
    notes = mapping.plan_notes if isinstance(mapping, NotingMapping) else None
    refer = mapping.uses if isinstance(mapping, ReferringMapping) else None
    for name, spec in (state.specs if kind is None else state.of_kind(kind)).items():
        essence = mapping.desired_essence(spec)
        digests = essence_digests(essence, mapping.write_only)
        owner = Owner(state.project.name, state.environment.name, name)
        items[name] = DesiredItem(
            name,
            essence,
            digests,
            stamp(spec.metadata, owner, digests),
            adopt_id=(adopt or {}).get(name) or getattr(spec, "adopt_id", None),
            notes=notes(spec) if notes is not None else (),
            uses=tuple(refer(essence)) if refer is not None else (),
        )
    return items


def uses_of(mapping: Mapping_, essence: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The resources of the graph an essence names (ReferringMapping), none for a mapping that names none."""
    return tuple(mapping.uses(essence)) if isinstance(mapping, ReferringMapping) else ()


def live_items(
    objects: Iterable[LiveObject] | LiveState, mapping: Mapping_, prepared: PreparedItems | None = None
) -> list[LiveItem]:
    view = objects.view if isinstance(objects, LiveState) else None
    if view is not None or prepared is None:
        return [live_item(obj, mapping, view) for obj in objects]
    return [prepared.get(obj) or live_item(obj, mapping) for obj in objects]


def live_item(obj: LiveObject, mapping: Mapping_, view: ResourceView | None = None) -> LiveItem:
    return LiveItem(
        obj.id,
        obj.created_at,
        obj.owner,
        obj.digests,
        mapping.live_essence(obj.raw, view, obj.references),
        fingerprint(obj, view),
    )


class PreparedItems:
    """Live items made while the listing is still being read, for objects that planning then reads with no
    view (a knowledge view changes the essence and fingerprint: those are made again).

    The reader only queues each page (add): the next request goes out at once. The thread that waits for the
    read makes the items meanwhile (make_while), once its own work (loading the specs) is done: the making
    then never competes with either for the interpreter."""

    def __init__(self, mapping: Mapping_) -> None:
        import queue

        self.mapping = mapping
        self._items: dict[str, tuple[LiveObject, LiveItem]] = {}
        self._pages: queue.SimpleQueue[list[LiveObject] | None] = queue.SimpleQueue()
        self._made = False

    def add(self, objects: list[LiveObject]) -> None:
        self._pages.put(objects)

    def finish(self) -> None:
        """The reader is done (or failed): nothing more comes. It must say so, whatever happened."""
        self._pages.put(None)

    def make_all(self) -> None:
        """Make the queued pages' items, waiting for the next page meanwhile, until the reader finished
        (at once when called again)."""
        while not self._made:
            objects = self._pages.get()
            if objects is None:
                self._made = True
                return
            for obj in objects:
                self._items[obj.id] = (obj, live_item(obj, self.mapping))

    def get(self, obj: LiveObject) -> LiveItem | None:
        entry = self._items.get(obj.id)
        return entry[1] if entry is not None and entry[0] is obj else None


def make_plan(
    state: DesiredState,
    objects: Sequence[LiveObject] | LiveState,
    mapping: Mapping_,
    *,
    prune: bool = False,
    only: frozenset[str] | None = None,
    kinds: Sequence[Kind] = (),
    desired: Mapping[str, DesiredItem] | None = None,
    prepared: PreparedItems | None = None,
) -> Plan:
    """One plan over the graph: the other kinds' changes first (they are referenced), then the target's own.

    With `only`, the resources the selected specs refer to are planned too (a spec is never applied without
    the files and stores it names). desired: desired_items(state, mapping), when made already (while live
    state was being read); prepared: the live items made so, page by page."""
    if only is not None and kinds:
        only = with_referenced(state, mapping, kinds, only)
    main = plan(
        desired if desired is not None else desired_items(state, mapping),
        live_items(objects, mapping, prepared),
        project=state.project.name,
        environment=state.environment.name,
        target=state.target.name,
        backend=mapping.backend,
        kind=mapping.object_kind,
        write_only=mapping.write_only,
        prune=prune,
        only=only,
    )
    if not kinds:
        return main
    live_kinds = objects.kinds if isinstance(objects, LiveState) else {}
    parts = []
    for kind in kinds:
        desired = desired_items(state, kind.mapping, kind=kind.name)
        found = live_kinds.get(kind.name, LiveState(()))
        if kind.planner is not None:
            parts.append(
                kind.planner(
                    desired,
                    found,
                    KindPlanning(
                        state,
                        state.project.name,
                        state.environment.name,
                        state.target.name,
                        mapping.backend,
                        prune,
                        only,
                        kind.mapping,
                        {
                            mapping.object_kind: frozenset(state.specs),
                            **{k.name: frozenset(state.of_kind(k.name)) for k in kinds},
                        },
                    ),
                )
            )
            continue
        parts.append(
            plan(
                desired,
                live_items(found, kind.mapping),
                project=state.project.name,
                environment=state.environment.name,
                target=state.target.name,
                backend=mapping.backend,
                kind=kind.name,
                write_only=kind.mapping.write_only,
                prune=prune,
                only=only,
                written_after=kind.written_after,
            )
        )
    parts.append(main)
    return replace(
        main,
        changes=tuple(c for p in parts for c in p.changes),
        warnings=tuple(w for p in parts for w in p.warnings),
        duplicates=tuple(d for p in parts for d in p.duplicates),
    )


def with_referenced(
    state: DesiredState, mapping: Mapping_, kinds: Sequence[Kind], only: frozenset[str]
) -> frozenset[str]:
    """`only` and every resource the selected specs refer to, transitively (an assistant's store, its files)."""
    mappings = {kind.name: kind.mapping for kind in kinds}
    chosen = set(only)
    pending = [(mapping.object_kind, name) for name in only if name in state.specs]
    pending += [(kind.name, name) for kind in kinds for name in only if name in state.of_kind(kind.name)]
    seen: set[tuple[str, str]] = set()
    while pending:
        kind, name = pending.pop()
        if (kind, name) in seen:
            continue
        seen.add((kind, name))
        spec = state.specs.get(name) if kind == mapping.object_kind else state.of_kind(kind).get(name)
        kind_mapping = mapping if kind == mapping.object_kind else mappings.get(kind)
        if spec is None or kind_mapping is None:
            continue
        named = Change(
            kind,
            name,
            Action.NOOP,
            Reason.IN_SYNC,
            metadata=getattr(spec, "metadata", None),
            uses=uses_of(kind_mapping, kind_mapping.desired_essence(spec)),
        )
        for used_kind, used in references(named):  # in its essence, or in the metadata it writes
            chosen.add(used)
            pending.append((used_kind, used))
    return frozenset(chosen)


def live_duplicates(objects: Iterable[LiveObject], saved: Plan, kind: str) -> tuple[Duplicate, ...]:
    """The duplicates live now among a (saved) plan's specs: apply PLAN reports them as a fresh plan would."""
    groups = group_claims(objects, saved.project, saved.environment)
    return tuple(
        Duplicate(kind, name, extra.id, group[0].id)
        for name in sorted({c.name for c in saved.changes})
        for group in [groups.get(name, [])]
        for extra in group[1:]
    )
