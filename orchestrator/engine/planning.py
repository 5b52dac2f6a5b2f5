"""The plan as a value: a pure function from (desired, live) to typed changes. No I/O.

`action` drives apply; `drift` and `reason` only explain (as Terraform's ActionReason does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from orchestrator.diagnostics import Diagnostic
from orchestrator.engine.ownership import HASH_KEY, OWNER_KEY, Digests, Owner, digest


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    NOOP = "noop"


class Reason(StrEnum):
    NEW = "new"  # no live object yet
    SPEC_CHANGED = "spec_changed"
    DRIFT = "drift"  # the live object was edited outside orchestrator
    SPEC_CHANGED_AND_DRIFT = "spec_changed_and_drift"
    INCOMPLETE = (
        "incomplete"  # an earlier apply made the object but failed before its sub-resources were written
    )
    ADOPT = "adopt"  # an existing unmanaged object is taken over (import)
    ORPHAN = "orphan"  # the spec is gone
    DUPLICATE = "duplicate"  # a second live object claims the same spec
    DESTROY = "destroy"  # `orchestrator destroy`: everything the environment owns goes
    UNUSED = "unused"  # an upload or a store no spec uses any more (its spec is there, or it was replaced)
    IN_SYNC = "in_sync"


@dataclass(frozen=True, slots=True)
class FieldChange:
    path: str
    before: Any
    after: Any
    before_known: bool = True  # False for write-only fields the API does not return


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # "assistant" | "agent"
    name: str
    action: Action
    reason: Reason
    id: str | None = None
    drift: bool = False
    fields: tuple[FieldChange, ...] = ()
    # what apply needs, kept in saved plans so that apply PLAN sends exactly what was reviewed
    essence: Mapping[str, Any] | None = None
    metadata: Mapping[str, str] | None = None
    changed_keys: tuple[str, ...] = ()
    fingerprint: str | None = None  # digest of the live object when planned (staleness check)
    notes: tuple[str, ...] = ()  # how the spec maps onto this kind (shown in the plan; never steers apply)
    uses: tuple[tuple[str, str], ...] = ()  # (kind, spec name) of the resources its essence names


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A live object claiming a spec that an older live object claims too (the older one is kept)."""

    kind: str
    name: str
    id: str
    kept_id: str


@dataclass(frozen=True, slots=True)
class Plan:
    project: str
    environment: str
    target: str
    backend: str
    changes: tuple[Change, ...]
    warnings: tuple[str, ...] = ()
    diagnostics: tuple[
        Diagnostic, ...
    ] = ()  # validation warnings of the run, shown with the plan (never steer it)
    # every duplicate seen, pruned or not: diff exits 2 and apply 1 while any is left
    duplicates: tuple[Duplicate, ...] = ()

    @property
    def actionable(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action is not Action.NOOP)

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable)

    def shown(self, *, in_sync: bool = False) -> Plan:
        """The plan as far as a view shows it, so that redaction is settled on that part (a no-change plan of
        5,000 objects then costs no walk of 5,000 essences): the text and markdown views count in-sync changes
        and never print them; the JSON form and saved plans (in_sync) list them by name, id and reason, without
        what apply would send."""
        from dataclasses import replace

        if in_sync:
            return replace(
                self,
                changes=tuple(
                    c
                    if c.action is not Action.NOOP
                    else replace(c, essence=None, metadata=None, changed_keys=(), fingerprint=None, uses=())
                    for c in self.changes
                ),
            )
        return self if len(self.actionable) == len(self.changes) else replace(self, changes=self.actionable)

    def summary(self) -> dict[str, int]:
        counts = {action.value: 0 for action in (Action.CREATE, Action.UPDATE, Action.DELETE, Action.NOOP)}
        for change in self.changes:
            counts[change.action.value] += 1
        return counts


@dataclass(frozen=True, slots=True)
class DesiredItem:
    name: str
    essence: Mapping[str, Any]
    digests: Digests
    metadata: Mapping[str, str]  # user metadata plus the ownership stamp
    adopt_id: str | None = None
    notes: tuple[str, ...] = ()
    uses: tuple[tuple[str, str], ...] = ()  # resources of the graph the essence names (kind, spec name)


@dataclass(frozen=True, slots=True)
class LiveItem:
    id: str
    created_at: int
    owner: Owner | None
    digests: Digests | None
    essence: Mapping[str, Any]
    fingerprint: str


class Claimant(Protocol):
    @property
    def owner(self) -> Owner | None: ...

    @property
    def created_at(self) -> int: ...


ClaimantT = TypeVar("ClaimantT", bound=Claimant)


def group_claims(live: Iterable[ClaimantT], project: str, environment: str) -> dict[str, list[ClaimantT]]:
    """The live objects claiming each spec of this project and environment, the one to keep first.

    Oldest first; ties (same second) keep the order of `live`, which the API lists by creation, so
    every run that reads the same listing agrees on which object is kept.
    """
    owned: dict[str, list[ClaimantT]] = {}
    for item in live:
        if item.owner and item.owner.project == project and item.owner.environment == environment:
            owned.setdefault(item.owner.spec, []).append(item)
    for group in owned.values():
        group.sort(key=lambda item: item.created_at)
    return owned


def essence_digests(essence: Mapping[str, Any], write_only: Iterable[str]) -> Digests:
    hidden = set(write_only)
    full = digest(dict(essence))
    if hidden.isdisjoint(essence):  # nothing write-only in it: the readable part is the whole
        return Digests(full=full, readable=full)
    readable = {k: v for k, v in essence.items() if k not in hidden}
    return Digests(full=full, readable=digest(readable))


def plan(
    desired: Mapping[str, DesiredItem],
    live: Sequence[LiveItem],
    *,
    project: str,
    environment: str,
    target: str,
    backend: str,
    kind: str,
    write_only: frozenset[str] = frozenset(),
    prune: bool = False,
    only: frozenset[str] | None = None,
    written_after: frozenset[str] = frozenset(),
) -> Plan:
    """Decide every action up front so that diff and apply cannot disagree. written_after: the essence keys
    written after the object itself (a vault's credentials), which a failed apply can leave missing."""
    owned = group_claims(live, project, environment)
    by_id = {item.id: item for item in live}
    changes: list[Change] = []
    warnings: list[str] = []
    duplicates: list[Duplicate] = []
    for name in sorted(desired.keys() | owned.keys()):
        if only is not None and name not in only:
            continue
        want = desired.get(name)
        group = owned.get(name, [])
        have = group[0] if group else None
        if want is not None and have is None and want.adopt_id:
            candidate = by_id.get(want.adopt_id)
            if candidate is not None and candidate.owner is None:
                changes.append(_compare(kind, want, candidate, write_only, adopting=True))
                continue
            if candidate is not None:
                warnings.append(
                    f"{kind} `{name}`: cannot adopt {want.adopt_id}: it is owned by "
                    f"{candidate.owner.label() if candidate.owner else 'someone else'}"
                )
            elif want.adopt_id:
                warnings.append(
                    f"{kind} `{name}`: {want.adopt_id} to adopt was not found; it will be created"
                )
        if want is not None and have is None:
            changes.append(
                Change(
                    kind,
                    name,
                    Action.CREATE,
                    Reason.NEW,
                    fields=tuple(FieldChange(k, None, v) for k, v in sorted(want.essence.items())),
                    essence=want.essence,
                    metadata=want.metadata,
                    changed_keys=tuple(sorted(want.essence)),
                    notes=want.notes,
                    uses=want.uses,
                )
            )
        elif want is None and have is not None:
            if prune:
                changes.append(
                    Change(kind, name, Action.DELETE, Reason.ORPHAN, id=have.id, fingerprint=have.fingerprint)
                )
            else:
                warnings.append(
                    f"orphan: {kind} `{name}` ({have.id}) is owned by this project but has no spec; "
                    "run with --prune to delete it"
                )
        elif want is not None and have is not None:
            changes.append(_compare(kind, want, have, write_only, written_after=written_after))
        for extra in group[1:]:
            duplicates.append(Duplicate(kind, name, extra.id, group[0].id))
            if prune:
                changes.append(
                    Change(
                        kind,
                        name,
                        Action.DELETE,
                        Reason.DUPLICATE,
                        id=extra.id,
                        fingerprint=extra.fingerprint,
                    )
                )
            else:
                warnings.append(
                    f"duplicate: {kind} `{name}` is claimed by {extra.id} as well as by {group[0].id} "
                    "(the oldest is kept); run with --prune to delete the newer ones"
                )
    return Plan(
        project, environment, target, backend, tuple(changes), tuple(warnings), duplicates=tuple(duplicates)
    )


def _compare(
    kind: str,
    want: DesiredItem,
    have: LiveItem,
    write_only: frozenset[str],
    *,
    adopting: bool = False,
    written_after: frozenset[str] = frozenset(),
) -> Change:
    readable_want = {k: v for k, v in want.essence.items() if k not in write_only}
    readable_have = {k: v for k, v in have.essence.items() if k not in write_only}
    fields = diff_fields(readable_have, readable_want)
    spec_changed = have.digests is None or have.digests.full != want.digests.full
    drift = (not adopting) and (have.digests is None or digest(readable_have) != have.digests.readable)
    changed = sorted({f.path.split(".", 1)[0] for f in fields})
    if spec_changed and write_only:
        # write-only fields cannot be read back: always send them with a spec change, show them
        # as changes when nothing readable explains the new digest
        hidden = sorted(k for k in write_only if k in want.essence)
        if adopting:  # an imported spec could not read them: never reset the live values while adopting
            hidden = [k for k in hidden if want.essence[k] is not None]
        changed.extend(hidden)
        known = None if adopting else _hidden_changed(want, have, readable_have, hidden, drift)
        if known is not False:  # unknown: show the values that will be set, not the resets to default
            fields.extend(
                FieldChange(k, None, want.essence[k], before_known=False)
                for k in hidden
                if want.essence[k] is not None or known
            )
    if not fields and not spec_changed:
        return Change(
            kind,
            want.name,
            Action.NOOP,
            Reason.IN_SYNC,
            id=have.id,
            fingerprint=have.fingerprint,
            essence=want.essence,
            metadata=want.metadata,
            notes=want.notes,
            uses=want.uses,
        )
    if not fields and adopting:  # the exact import round trip: only the ownership stamp is added
        fields.append(FieldChange(f"metadata.{OWNER_KEY}", None, want.metadata.get(OWNER_KEY)))
    elif not fields:  # only the stamp differs (e.g. digest format), re-stamp
        fields.append(
            FieldChange(f"metadata.{HASH_KEY}", None, f"{want.digests.full}.{want.digests.readable}")
        )
    if adopting:
        reason = Reason.ADOPT
    elif spec_changed and drift:
        reason = Reason.SPEC_CHANGED_AND_DRIFT
    elif drift and _only_missing(fields, written_after):
        reason, drift = Reason.INCOMPLETE, False
    elif drift:
        reason = Reason.DRIFT
    else:
        reason = Reason.SPEC_CHANGED
    return Change(
        kind,
        want.name,
        Action.UPDATE,
        reason,
        id=have.id,
        drift=drift and not adopting,
        fields=tuple(fields),
        essence=want.essence,
        metadata=want.metadata,
        changed_keys=tuple(sorted(set(changed))),
        fingerprint=have.fingerprint,
        notes=want.notes,
        uses=want.uses,
    )


def _only_missing(fields: Sequence[FieldChange], written_after: frozenset[str]) -> bool:
    """The live object lacks entries of a part written after it (every entry it has is as last applied): what a
    failed apply leaves, told apart from a hand edit, which changes or adds what is there."""
    if not fields or not written_after:
        return False
    for change in fields:
        before, after = change.before, change.after
        if change.path not in written_after or not isinstance(after, Mapping):
            return False
        before = before if isinstance(before, Mapping) else {}
        if not set(before) < set(after) or any(before[k] != after[k] for k in before):
            return False
    return True


def _hidden_changed(
    want: DesiredItem, have: LiveItem, readable_have: Mapping[str, Any], hidden: Sequence[str], drift: bool
) -> bool | None:
    """Whether write-only values differ from those last applied (None: cannot tell). Without drift the live
    readable part plus the wanted write-only values rebuild the stored full digest exactly when unchanged."""
    if drift or have.digests is None:
        return None
    rebuilt = {**readable_have, **{k: want.essence[k] for k in hidden}}
    return digest(rebuilt) != have.digests.full


def diff_fields(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    """Field-level differences; mappings are walked key by key, everything else compared whole."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        found: list[FieldChange] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in before:
                if after[key] is not None:  # a missing key and an explicit null say the same
                    found.append(FieldChange(sub, None, after[key]))
            elif key not in after:
                if before[key] is not None:
                    found.append(FieldChange(sub, before[key], None))
            elif before[key] != after[key]:
                if isinstance(before[key], Mapping) and isinstance(after[key], Mapping) and _walk(sub):
                    found.extend(diff_fields(before[key], after[key], sub))
                else:
                    found.append(FieldChange(sub, before[key], after[key]))
        return found
    return [] if before == after else [FieldChange(path, before, after)]


def _walk(path: str) -> bool:
    """Walk into metadata, tools and functions (to name the item); show schemas and formats whole."""
    depth = path.count(".")
    head = path.split(".", 1)[0]
    if head in ("metadata", "tools", "code_files"):
        return depth == 0
    if head == "knowledge":
        return depth == 0 or path == "knowledge.files"
    if head == "functions":
        return depth <= 1
    return False


REFERENCE_PREFIX = (
    "orchestrator."  # metadata `orchestrator.<kind>: <spec name>` names a resource of the graph
)


def references(change: Change) -> list[tuple[str, str]]:
    """The (kind, spec name) resources a change refers to: named in the metadata it writes, or in its essence
    (`uses`: an assistant's vector store and code files, a vector store's files)."""
    named = [
        (key[len(REFERENCE_PREFIX) :], name)
        for key, value in sorted((change.metadata or {}).items())
        if key.startswith(REFERENCE_PREFIX) and key not in (OWNER_KEY, HASH_KEY) and isinstance(value, str)
        for name in value.split(",")
        if name
    ]  # several of a kind: `orchestrator.vault: a,b`
    return list(dict.fromkeys([*named, *change.uses]))


def describe_reference(plan: Plan, kind: str, name: str) -> str:
    """`environment tutor-env (created in this plan)`: a reference by spec name and what the plan does to it."""
    found = next(
        (c for c in plan.changes if c.kind == kind and c.name == name and c.action is not Action.DELETE), None
    )
    state = {Action.CREATE: "created in this plan", Action.UPDATE: "updated in this plan"}.get(
        found.action if found else Action.NOOP, "in sync" if found else "not planned"
    )
    ident = f"{found.id}, " if found is not None and found.id else ""
    return f"{kind} {name} ({ident}{state})"


GROUPED_USES = 3  # more references of one kind than this are summed up in one line


def describe_uses(plan: Plan, change: Change) -> list[str]:
    """What a change refers to, one line each (`vector_store tutor (created in this plan)`); many of one kind
    (a store's files) in one line: `file: 12 (1 updated in this plan, 11 in sync)`."""
    by_kind: dict[str, list[str]] = {}
    for kind, name in references(change):
        by_kind.setdefault(kind, []).append(name)
    lines: list[str] = []
    for kind, names in by_kind.items():
        if len(names) <= GROUPED_USES:
            lines.extend(describe_reference(plan, kind, name) for name in names)
            continue
        states: dict[str, int] = {}
        for name in names:
            state = describe_reference(plan, kind, name).rsplit("(", 1)[-1].rstrip(")").split(", ")[-1]
            states[state] = states.get(state, 0) + 1
        counted = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
        lines.append(f"{len(names)} {kind}s ({counted})")
    return lines
