"""The plans of the knowledge kinds (`file <path>`, `vector_store <spec>`): their own rules beside the generic
plan of owned objects. Pure: they read the live state the backend's knowledge read gave (live objects, and a
view naming the stores live assistants use) and never the API.

Uploads are immutable versions of a path, shared by environments: a wanted (path, hash) already uploaded is
in sync, an upload no live object keeps using is deleted without --prune. A store whose spec no longer has
knowledge files is deleted without --prune too. The backend registers these planners on its kinds
(orchestrator.backends.knowledge, orchestrator.backends.kinds_for).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from orchestrator.engine.live import KindPlanning, LiveObject, LiveState, ReferencingView
from orchestrator.engine.planning import Action, Change, DesiredItem, FieldChange, Plan, Reason, plan
from orchestrator.engine.sync import live_items

VECTOR_STORE_KIND = "vector_store"
FILE_KIND = "file"


def plan_files(
    desired: Mapping[str, DesiredItem], found: LiveState, context: KindPlanning, *, collect: bool = True
) -> Plan:
    """The `file` kind's plan: a wanted (path, hash) already uploaded is in sync (however many use it), new bytes
    of a known path are an update (a new upload), and an upload no live object keeps using after this plan is
    deleted, without --prune (uploads are what specs name, never resources of their own). Pure.

    collect=False (agents targets): uploads are only ever added (new bytes are a create) and never deleted, as
    the same /files may hold the Assistants protocol's vector-store files on a server that speaks both."""
    objects = [o for o in found if o.raw.get("path")]
    fingerprint = found.fingerprint
    versions: dict[tuple[str, str], list[LiveObject]] = {}
    for obj in objects:
        versions.setdefault((obj.raw["path"], obj.raw.get("sha16") or ""), []).append(obj)
    wanted = {(item.essence["path"], item.essence["sha256"]) for item in desired.values()}
    kept: set[str] = set()
    changes: list[Change] = []
    for name in sorted(desired):
        if context.only is not None and name not in context.only:
            continue
        want = desired[name]
        existing = versions.get((name, want.essence["sha256"]))
        if existing:
            kept.add(existing[0].id)
            changes.append(
                Change(
                    FILE_KIND,
                    name,
                    Action.NOOP,
                    Reason.IN_SYNC,
                    id=existing[0].id,
                    fingerprint=fingerprint(existing[0]),
                    essence=want.essence,
                    metadata=want.metadata,
                )
            )
            continue
        before = (
            [
                o
                for o in objects
                if o.raw["path"] == name and o.owner and o.owner.environment == context.environment
            ]
            if collect
            else []
        )
        if before:
            old = before[-1]
            have = {"sha256": old.raw.get("sha16"), "bytes": old.raw.get("bytes")}
            fields = tuple(
                FieldChange(key, have[key], want.essence[key])
                for key in ("sha256", "bytes")
                if have[key] != want.essence[key]
            )
            changes.append(
                Change(
                    FILE_KIND,
                    name,
                    Action.UPDATE,
                    Reason.SPEC_CHANGED,
                    id=old.id,
                    fields=fields,
                    essence=want.essence,
                    metadata=want.metadata,
                    changed_keys=("sha256",),
                    fingerprint=fingerprint(old),
                )
            )
            continue
        changes.append(
            Change(
                FILE_KIND,
                name,
                Action.CREATE,
                Reason.NEW,
                fields=tuple(FieldChange(k, None, v) for k, v in sorted(want.essence.items())),
                essence=want.essence,
                metadata=want.metadata,
                changed_keys=tuple(sorted(want.essence)),
            )
        )
    for obj in objects:
        name = obj.raw["path"]
        if obj.id in kept or (context.only is not None and name not in context.only):
            continue
        if collect and _frees(obj, (name, obj.raw.get("sha16") or "") in wanted, context):
            changes.append(
                Change(FILE_KIND, name, Action.DELETE, Reason.UNUSED, id=obj.id, fingerprint=fingerprint(obj))
            )
    changes.sort(key=lambda c: (c.name, c.action is Action.DELETE, c.id or ""))
    return Plan(context.project, context.environment, context.target, context.backend, tuple(changes))


def _frees(obj: LiveObject, twin: bool, context: KindPlanning) -> bool:
    """Whether no live object keeps using this upload once the plan is applied: each user is one this plan
    changes to what its spec wants (which names other bytes), or an orphan that --prune deletes."""
    users = [tuple(u) for u in obj.raw.get("users") or ()]
    if twin:  # a second copy of bytes a spec wants: free only when nothing is attached to it
        return not users
    for environment, kind, spec in users:
        if environment != context.environment or kind not in context.planned:
            return False  # another environment's, or a kind this plan does not plan (a template)
        planned = context.planned.get(kind, frozenset())
        selected = context.only is None or spec in context.only
        if spec in planned and selected:  # changed to what its spec wants
            continue
        if kind == VECTOR_STORE_KIND and spec in context.planned.get("assistant", ()) and selected:
            continue  # the store of a spec without knowledge files any more: deleted by this plan
        if spec not in planned and context.prune and selected:  # an orphan --prune deletes
            continue
        return False
    return True


def plan_stores(desired: Mapping[str, DesiredItem], found: LiveState, context: KindPlanning) -> Plan:
    """The generic plan of owned objects (ownership, drift, duplicates), and one rule more: the store of a spec
    that no longer has knowledge files is deleted without --prune (its spec is there: it is no orphan)."""
    view = found.view
    used = view.referenced if isinstance(view, ReferencingView) else frozenset()
    # a store an assistant uses ranks first among stores claiming one spec (kept; the others are duplicates)
    live = [
        replace(item, created_at=-1) if item.id in used else item
        for item in live_items(found, context.mapping)
    ]
    common = dict(
        project=context.project,
        environment=context.environment,
        target=context.target,
        backend=context.backend,
        kind=VECTOR_STORE_KIND,
        only=context.only,
    )
    result = plan(desired, live, prune=context.prune, **common)
    if context.prune:
        return result
    assistants = context.planned.get("assistant", frozenset())
    unused = [
        c
        for c in plan(desired, live, prune=True, **common).changes
        if c.action is Action.DELETE and c.reason is Reason.ORPHAN and c.name in assistants
    ]
    if not unused:
        return result
    names = {c.name for c in unused}
    return replace(
        result,
        changes=tuple(
            sorted(
                (*result.changes, *(replace(c, reason=Reason.UNUSED) for c in unused)), key=lambda c: c.name
            )
        ),
        warnings=tuple(
            w
            for w in result.warnings
            if not any(w.startswith(f"orphan: {VECTOR_STORE_KIND} `{n}`") for n in names)
        ),
    )


def plan_kept_files(desired: Mapping[str, DesiredItem], found: LiveState, context: KindPlanning) -> Plan:
    """plan_files for agents targets: uploads added, never deleted."""
    return plan_files(desired, found, context, collect=False)
