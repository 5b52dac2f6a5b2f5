"""Desired state + live objects -> Plan, for one project, environment and target."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from orchestrator.backends.base import LiveObject, Mapping_
from orchestrator.desired import DesiredState
from orchestrator.ownership import Owner, digest, stamp
from orchestrator.planning import DesiredItem, LiveItem, Plan, essence_digests, plan


def desired_items(state: DesiredState, mapping: Mapping_, adopt: Mapping[str, str] | None = None) -> dict[str, DesiredItem]:
    items: dict[str, DesiredItem] = {}
    for name, spec in state.specs.items():
        essence = mapping.desired_essence(spec)
        digests = essence_digests(essence, mapping.write_only)
        owner = Owner(state.project.name, state.environment.name, name)
        items[name] = DesiredItem(name, essence, digests, stamp(spec.metadata, owner, digests),
                                  adopt_id=(adopt or {}).get(name) or spec.adopt_id)
    return items


def live_items(objects: Iterable[LiveObject], mapping: Mapping_) -> list[LiveItem]:
    return [
        LiveItem(obj.id, obj.created_at, obj.owner, obj.digests, mapping.live_essence(obj.raw), fingerprint(obj))
        for obj in objects
    ]


def fingerprint(obj: LiveObject) -> str:
    return digest(dict(obj.raw))


def make_plan(state: DesiredState, objects: Sequence[LiveObject], mapping: Mapping_, *, prune: bool = False,
              only: frozenset[str] | None = None) -> Plan:
    return plan(
        desired_items(state, mapping),
        live_items(objects, mapping),
        project=state.project.name,
        environment=state.environment.name,
        target=state.target.name,
        backend=mapping.backend,
        kind=mapping.object_kind,
        write_only=mapping.write_only,
        prune=prune,
        only=only,
    )
