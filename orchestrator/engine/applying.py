"""Execute a Plan through a backend client, changes in parallel; one failure never stops the others.

Every create carries this run's claim token (ownership.with_claim). After the changes, a verification
read finds live objects that claim one of this run's specs twice (a create whose response was lost
and that landed anyway, or another apply creating the same specs at the same time), removes the
newer ones this run made itself, and reports every duplicate it may not remove, so that no
duplicate is ever reported as success.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Protocol

from orchestrator.engine.graph import Graph, walk
from orchestrator.engine.live import Client, LiveObject, Mapping_, UsingClient, VersionedMapping
from orchestrator.engine.ownership import Owner, new_claim, parse_digests, with_claim
from orchestrator.engine.planning import Action, Change, Duplicate, Plan, Reason, group_claims, references
from orchestrator.events import EventBus
from orchestrator.kind_registry import graph_order

CREATE_ATTEMPTS = 6
# after the verification read finds a duplicate that another apply made during this run (and that
# it removes itself when it verifies), read again after these waits before calling it left
VERIFY_WAITS = (0.5, 1.0, 2.0, 4.0)


@dataclass(frozen=True, slots=True)
class Outcome:
    change: Change
    ok: bool
    id: str | None = None
    error: str | None = None
    note: str | None = None  # shown instead of "created": another apply's object was kept instead of ours


@dataclass(frozen=True, slots=True)
class Removal:
    """A duplicate this run made and removed: `id` was deleted, `kept_id` (the oldest) stays."""

    kind: str
    name: str
    id: str
    kept_id: str


@dataclass(frozen=True, slots=True)
class Verification:
    checked: bool = False  # whether live state was read again after the changes
    removed: tuple[Removal, ...] = ()
    remaining: tuple[Duplicate, ...] = ()  # duplicates this run may not remove: exit 1
    error: str | None = None  # the verification read failed: duplicates cannot be ruled out


@dataclass(frozen=True, slots=True)
class ApplyResult:
    outcomes: tuple[Outcome, ...]
    verification: Verification = field(default_factory=Verification)

    @property
    def failures(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.verification.remaining and self.verification.error is None


class Resources(Protocol):
    """The ids an object's payload names, resolved at the call: the assistant's store and code files, which the
    graph created or updated before it (the `vector_store` and `file` kinds)."""

    def tool_resources(self, spec_name: str, essence: Mapping[str, Any]) -> dict[str, Any]: ...


class Applier:
    """`garbage`, when given, runs after this kind's changes: it deletes what the changes left unused (the
    `file` kind: a second copy of an upload whose response was lost) and returns the ids it deleted."""

    def __init__(
        self,
        client: Client,
        mapping: Mapping_,
        bus: EventBus,
        *,
        parallelism: int = 8,
        sleep: Callable[[float], None] = time.sleep,
        resources: Resources | None = None,
        claim: str | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
        garbage: Callable[[], list[str]] | None = None,
    ) -> None:
        self.client = client
        self.on_outcome = on_outcome  # told of each change as it finishes (the CLI prints it at once)
        self.mapping = mapping
        self.bus = bus
        self.parallelism = max(1, parallelism)
        self.sleep = sleep
        self.resources = resources
        self.garbage = garbage
        self.claim = claim or new_claim()  # one token per run: with the owner key it names each create

    def apply(self, plan: Plan) -> ApplyResult:
        changes = plan.actionable
        if not changes:
            return ApplyResult((), Verification(remaining=plan.duplicates))
        execute = partial(self.apply_change, plan)
        if self.parallelism == 1 or len(changes) == 1:
            outcomes = [execute(c) for c in changes]
        else:
            with ThreadPoolExecutor(
                max_workers=min(self.parallelism, len(changes)), thread_name_prefix="apply"
            ) as pool:
                outcomes = list(pool.map(execute, changes))
        return self.settle(plan, outcomes)

    def settle(self, plan: Plan, outcomes: Sequence[Outcome]) -> ApplyResult:
        """After the changes: the duplicate check, then the garbage collection of this kind (if it has one)."""
        changes = plan.actionable
        if not changes:
            return ApplyResult(tuple(outcomes), Verification(remaining=plan.duplicates))
        outcomes, verification = self._verify(plan, outcomes)
        if self.garbage is not None:
            try:
                deleted = self.garbage()
                if deleted:
                    self.bus.publish("files_deleted", ids=sorted(deleted))
            except Exception as exc:
                self.bus.publish(
                    "apply_failed", name="(unused files)", id=None, action="delete", error=describe_error(exc)
                )
        return ApplyResult(tuple(outcomes), verification)

    def _verify(self, plan: Plan, outcomes: Sequence[Outcome]) -> tuple[list[Outcome], Verification]:
        """Read live state again when this run created something; remove the newer duplicates it made."""
        outcomes = list(outcomes)
        failed = {o.change.id for o in outcomes if not o.ok}
        pruned = {c.id for c in plan.changes if c.action is Action.DELETE and c.reason is Reason.DUPLICATE}
        versions = isinstance(self.mapping, VersionedMapping) and not self.mapping.claims_once
        if not any(o.ok and o.change.action is Action.CREATE for o in outcomes) or versions:
            # nothing new: the duplicates the plan saw are left unless pruned (and the delete worked)
            left = tuple(d for d in plan.duplicates if d.id not in pruned or d.id in failed)
            return outcomes, Verification(remaining=left)
        names = {c.name for c in plan.changes} | {d.name for d in plan.duplicates}
        known = {d.id for d in plan.duplicates}
        kind = self.mapping.object_kind
        removed: list[Removal] = []
        keepers: dict[str, LiveObject] = {}
        remaining: list[Duplicate] = []
        for wait in (0.0, *VERIFY_WAITS):
            if wait:
                self.sleep(wait)
            try:
                groups, used = keep_in_use_first(
                    group_claims(self.client.list_all(), plan.project, plan.environment),
                    self.client.in_use if isinstance(self.client, UsingClient) else None,
                )
            except Exception as exc:
                error = f"could not read live state again to check for duplicates: {describe_error(exc)}"
                self.bus.publish("apply_failed", name="(verification)", id=None, action="verify", error=error)
                return outcomes, Verification(True, tuple(removed), (), error)
            remaining = []
            for name in sorted(names):
                group = groups.get(name, [])
                if group:
                    keepers[name] = group[0]
                for extra in group[1:]:
                    if extra.claim == self.claim and extra.id not in used:
                        removal = self._remove_duplicate(name, extra.id, group[0].id)
                        if removal is not None:
                            removed.append(removal)
                            continue
                    remaining.append(Duplicate(kind, name, extra.id, group[0].id))
            # another apply's duplicate made during this run: that run removes it when it verifies
            if not any(d.id not in known for d in remaining):
                break
        return [self._settle(o, keepers) for o in outcomes], Verification(
            True, tuple(removed), tuple(remaining)
        )

    def _remove_duplicate(self, name: str, object_id: str, kept_id: str) -> Removal | None:
        kind = self.mapping.object_kind
        try:
            self.client.delete(object_id)
        except Exception as exc:
            self.bus.publish(
                "apply_failed", name=name, id=object_id, action="delete", error=describe_error(exc)
            )
            return None
        self.bus.publish(
            f"{kind}_deleted", name=name, id=object_id, reason=str(Reason.DUPLICATE), kept=kept_id
        )
        return Removal(kind, name, object_id, kept_id)

    def _settle(self, outcome: Outcome, keepers: Mapping[str, LiveObject]) -> Outcome:
        """A create whose object was removed as a duplicate reports the object kept instead."""
        keeper = keepers.get(outcome.change.name)
        if (
            not outcome.ok
            or outcome.change.action is not Action.CREATE
            or keeper is None
            or keeper.id == outcome.id
        ):
            return outcome
        if keeper.claim == self.claim:  # a retried create landed twice: the older copy is the one kept
            return replace(outcome, id=keeper.id)
        wanted = parse_digests(outcome.change.metadata or {})
        if keeper.digests is not None and wanted is not None and keeper.digests.full == wanted.full:
            return replace(
                outcome,
                id=keeper.id,
                note=f"in sync ({keeper.id}), created by another apply at the same time",
            )
        return replace(
            outcome,
            ok=False,
            id=keeper.id,
            error=(
                f"another apply created {keeper.id} for this spec at the same time from different content; it is "
                "kept (the oldest) and this apply's copy was removed; run `orchestrator diff` and apply again"
            ),
        )

    def apply_change(self, plan: Plan, change: Change) -> Outcome:
        """Carry out one change of `plan` and report its outcome (apply_graph calls it change by change)."""
        outcome = self._execute(plan, change)
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome

    def _execute(self, plan: Plan, change: Change) -> Outcome:
        kind = change.kind
        try:
            if change.action is Action.CREATE:
                assert change.essence is not None and change.metadata is not None
                created = self._create(Owner(plan.project, plan.environment, change.name), change)
                self.bus.publish(f"{kind}_created", name=change.name, id=created.id)
                return Outcome(change, True, created.id)
            if change.action is Action.UPDATE:
                assert change.essence is not None and change.metadata is not None and change.id
                payload = self.mapping.update_payload(change.essence, change.changed_keys, change.metadata)
                if self.resources is not None and self.mapping.needs_resources(
                    change.essence, change.changed_keys, False
                ):
                    payload["tool_resources"] = self.resources.tool_resources(change.name, change.essence)
                updated = self.client.update(change.id, payload)
                event = f"{kind}_adopted" if change.reason == "adopt" else f"{kind}_updated"
                self.bus.publish(
                    event,
                    name=change.name,
                    id=updated.id,
                    drift=change.drift,
                    fields=sorted({f.path for f in change.fields}),
                )
                return Outcome(change, True, updated.id)
            if change.action is Action.DELETE:
                assert change.id
                self.client.delete(change.id)
                self.bus.publish(f"{kind}_deleted", name=change.name, id=change.id, reason=str(change.reason))
                return Outcome(change, True, change.id)
            return Outcome(change, True, change.id)
        except Exception as exc:
            message = describe_error(exc)
            self.bus.publish(
                "apply_failed", name=change.name, id=change.id, action=str(change.action), error=message
            )
            return Outcome(change, False, change.id, message)

    def _create(self, owner: Owner, change: Change) -> LiveObject:
        """Create without blind retries: a create whose response was lost is found by its claim and adopted."""
        assert change.essence is not None and change.metadata is not None
        payload = self.mapping.create_payload(change.essence, with_claim(change.metadata, self.claim))
        if self.resources is not None and self.mapping.needs_resources(change.essence, (), True):
            payload["tool_resources"] = self.resources.tool_resources(change.name, change.essence)
        attempt = 0
        while True:
            try:
                return self.client.create(payload)
            except Exception as exc:
                retry, maybe_done, wait = classify(exc, attempt)
                if not retry or attempt + 1 >= CREATE_ATTEMPTS:
                    raise
                self.sleep(wait)
                if maybe_done:
                    found = self._find_claimed(owner)
                    if found is not None:
                        return found
                attempt += 1

    def _find_claimed(self, owner: Owner) -> LiveObject | None:
        """The object this run created for the spec, if a lost response hid it (never another run's)."""
        mine = [o for o in self.client.list_all() if o.owner == owner and o.claim == self.claim]
        return min(mine, key=lambda o: o.created_at) if mine else None


def keep_in_use_first(
    groups: dict[str, list[LiveObject]], in_use: Callable[[], set[str]] | None
) -> tuple[dict[str, list[LiveObject]], set[str]]:
    """Of objects claiming one spec, those another resource uses come first and are never removed (a vector
    store an assistant points at is the one kept, never pulled from under it); `in_use` is the kind client's."""
    if in_use is None or not any(len(group) > 1 for group in groups.values()):
        return groups, set()
    used = in_use()
    return {
        name: sorted(group, key=lambda o: o.id not in used) if len(group) > 1 else group
        for name, group in groups.items()
    }, used


def classify(exc: BaseException, attempt: int) -> tuple[bool, bool, float]:
    """(retryable, may have been applied, seconds to wait) for an SDK error."""
    import openai

    backoff = min(0.5 * 2**attempt, 8.0) * (1 - 0.25 * random.random())
    if isinstance(exc, openai.APIConnectionError):  # includes timeouts: the request may have landed
        return True, True, backoff
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        wait = _retry_after(exc) or backoff
        if status == 429:
            return True, False, wait
        if status in (408, 409) or status >= 500:
            return True, True, wait
    return False, False, 0.0


def _retry_after(exc: BaseException) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                seconds = float(value) * scale
            except ValueError:
                continue
            if 0 < seconds <= 60:
                return seconds
    return None


def describe_error(exc: BaseException) -> str:
    """A one-line, secret-free description of an API or network error."""
    from orchestrator.errors import OrchestratorError
    from orchestrator.secrets import clipped

    if isinstance(exc, OrchestratorError):  # already a user-facing message (e.g. an unexpected response)
        return clipped(str(exc))
    try:
        import openai
    except ImportError:  # pragma: no cover
        openai = None  # type: ignore[assignment]
    if openai is not None and isinstance(exc, openai.APIStatusError):
        body = getattr(exc, "body", None)
        message = body.get("message") if isinstance(body, dict) else None
        text = f"HTTP {exc.status_code}: {message or exc.message}"
    elif openai is not None and isinstance(exc, openai.APITimeoutError):
        cause = exc.__cause__  # the request budget's deadline says which request and which bound
        text = str(cause) if isinstance(cause, OrchestratorError) else "request timed out"
    elif openai is not None and isinstance(exc, openai.APIConnectionError):
        text = f"connection failed: {exc.__cause__ or exc}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return clipped(text)  # a hostile server's 5 MB message is quoted in part, with a note


def change_graph(plan: Plan, kind_order: Sequence[str] = ()) -> Graph[int]:
    """Nodes are the indexes of the plan's actionable changes. A create or update waits for what it refers
    to; a delete of a kind waits for every change of the kinds that may refer to it (later in `kind_order`,
    referenced kinds first), so nothing is deleted while something still points at it."""
    changes = plan.actionable
    index = {(c.kind, c.name, c.action is Action.DELETE): i for i, c in enumerate(changes)}
    rank = {kind: position for position, kind in enumerate(kind_order)}
    edges: list[tuple[int, int]] = []
    for i, change in enumerate(changes):
        if change.action is Action.DELETE:
            later = rank.get(change.kind)
            if later is not None:
                edges.extend((i, j) for j, other in enumerate(changes) if rank.get(other.kind, -1) > later)
            continue
        for target in references(change):
            needed = index.get((*target, False))
            if needed is not None:
                edges.append((i, needed))
    return Graph.build(range(len(changes)), edges)


def apply_graph(plan: Plan, appliers: Mapping[str, Applier], *, parallelism: int = 8) -> ApplyResult:
    """Apply a plan of several kinds: each change after the resources it refers to (deletes in reverse), at
    most `parallelism` at once; a change whose reference failed is not attempted. One kind: Applier.apply.
    The kinds are ordered by the graph's edges (kind_registry.graph_order), not by the order of `appliers`."""
    kinds = {c.kind for c in plan.changes} | {d.kind for d in plan.duplicates}
    if len(kinds) <= 1:
        only = next(iter(kinds), None)
        applier = appliers.get(only) if only is not None else next(iter(appliers.values()))
        assert applier is not None
        return applier.apply(plan)
    changes = plan.actionable
    kind_order = graph_order(appliers)
    graph = change_graph(plan, kind_order)
    parts = {
        kind: replace(
            plan,
            changes=tuple(c for c in plan.changes if c.kind == kind),
            duplicates=tuple(d for d in plan.duplicates if d.kind == kind),
        )
        for kind in kinds
    }

    def visit(i: int) -> Outcome:
        change = changes[i]
        return appliers[change.kind].apply_change(parts[change.kind], change)

    def skip(i: int, done: Mapping[int, Outcome]) -> Outcome | None:
        failed = [changes[j] for j in graph.depends[i] if j in done and not done[j].ok]
        if not failed or changes[i].action is Action.DELETE:
            return None
        first = failed[0]
        outcome = Outcome(
            changes[i],
            False,
            changes[i].id,
            f"not attempted: {first.kind} `{first.name}` it refers to failed",
        )
        appliers[changes[i].kind].bus.publish(
            "apply_failed",
            name=changes[i].name,
            id=changes[i].id,
            action=str(changes[i].action),
            error=outcome.error,
        )
        on_outcome = appliers[changes[i].kind].on_outcome
        if on_outcome is not None:
            on_outcome(outcome)
        return outcome

    results = walk(graph, visit, parallelism=parallelism, skip=skip)
    outcomes: list[Outcome] = []
    removed: list[Removal] = []
    remaining: list[Duplicate] = []
    checked, error = False, None
    shown = sorted(
        kinds, key=lambda k: min([i for i, c in enumerate(changes) if c.kind == k] or [len(changes)])
    )
    order = [k for k in reversed(kind_order) if k in kinds] + [k for k in shown if k not in appliers]
    settled = {}
    for kind in order:  # referring kinds first: an assistant's duplicates go before the stores it may free
        mine = [results[i] for i, c in enumerate(changes) if c.kind == kind]
        settled[kind] = appliers[kind].settle(parts[kind], mine)
    for kind in shown:
        result = settled[kind]
        outcomes.extend(result.outcomes)
        removed.extend(result.verification.removed)
        remaining.extend(result.verification.remaining)
        checked = checked or result.verification.checked
        error = error or result.verification.error
    return ApplyResult(tuple(outcomes), Verification(checked, tuple(removed), tuple(remaining), error))
