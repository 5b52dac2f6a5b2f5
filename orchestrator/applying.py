"""Execute a Plan through a backend client, changes in parallel; one failure never stops the others."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from orchestrator.backends.base import Client, LiveObject, Mapping_
from orchestrator.events import EventBus
from orchestrator.planning import Action, Change, Plan

CREATE_ATTEMPTS = 6


@dataclass(frozen=True, slots=True)
class Outcome:
    change: Change
    ok: bool
    id: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ApplyResult:
    outcomes: tuple[Outcome, ...]

    @property
    def failures(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    @property
    def ok(self) -> bool:
        return not self.failures


Recover = Callable[[Change], LiveObject | None]


class Resources(Protocol):
    """Sub-resources of an object that apply must sync first (knowledge files and vector stores)."""

    def tool_resources(self, spec_name: str, essence: Mapping[str, Any]) -> dict[str, Any]: ...

    def remove_store(self, spec_name: str) -> None: ...

    def collect_garbage(self, objects: Iterable[Mapping[str, Any]]) -> list[str]: ...


class Applier:
    def __init__(self, client: Client, mapping: Mapping_, bus: EventBus, *, parallelism: int = 8,
                 recover: Recover | None = None, sleep: Callable[[float], None] = time.sleep,
                 resources: Resources | None = None, on_outcome: Callable[[Outcome], None] | None = None) -> None:
        self.client = client
        self.on_outcome = on_outcome  # told of each change as it finishes (the CLI prints it at once)
        self.mapping = mapping
        self.bus = bus
        self.parallelism = max(1, parallelism)
        self.recover = recover
        self.sleep = sleep
        self.resources = resources

    def apply(self, plan: Plan) -> ApplyResult:
        changes = plan.actionable
        if not changes:
            return ApplyResult(())
        if self.parallelism == 1 or len(changes) == 1:
            outcomes = [self._finish(c) for c in changes]
        else:
            with ThreadPoolExecutor(max_workers=min(self.parallelism, len(changes)),
                                    thread_name_prefix="apply") as pool:
                outcomes = list(pool.map(self._finish, changes))
        if self.resources is not None and any(self._touches_files(c) for c in changes):
            try:
                deleted = self.resources.collect_garbage(o.raw for o in self.client.list_all())
                if deleted:
                    self.bus.publish("files_deleted", ids=sorted(deleted))
            except Exception as exc:
                self.bus.publish("apply_failed", name="(knowledge files)", id=None, action="delete",
                                 error=describe_error(exc))
        return ApplyResult(tuple(outcomes))

    def _touches_files(self, change: Change) -> bool:
        if change.action is Action.DELETE:
            return True
        if change.action is Action.CREATE:  # a create lists every key as changed: ask the essence
            return self.mapping.needs_resources(change.essence or {}, (), True)
        return bool(set(change.changed_keys) & {"knowledge", "code_files"})

    def _finish(self, change: Change) -> Outcome:
        outcome = self._execute(change)
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome

    def _execute(self, change: Change) -> Outcome:
        kind = change.kind
        try:
            if change.action is Action.CREATE:
                assert change.essence is not None and change.metadata is not None
                created = self._create(change)
                self.bus.publish(f"{kind}_created", name=change.name, id=created.id)
                return Outcome(change, True, created.id)
            if change.action is Action.UPDATE:
                assert change.essence is not None and change.metadata is not None and change.id
                payload = self.mapping.update_payload(change.essence, change.changed_keys, change.metadata)
                if self.resources is not None and self.mapping.needs_resources(change.essence, change.changed_keys, False):
                    payload["tool_resources"] = self.resources.tool_resources(change.name, change.essence)
                updated = self.client.update(change.id, payload)
                knowledge = change.essence.get("knowledge")
                if self.resources is not None and "knowledge" in change.changed_keys and \
                        (not knowledge or "vector_store_id" in knowledge):
                    self.resources.remove_store(change.name)
                event = f"{kind}_adopted" if change.reason == "adopt" else f"{kind}_updated"
                self.bus.publish(event, name=change.name, id=updated.id, drift=change.drift,
                                 fields=sorted({f.path for f in change.fields}))
                return Outcome(change, True, updated.id)
            if change.action is Action.DELETE:
                assert change.id
                self.client.delete(change.id)
                if self.resources is not None and change.reason != "duplicate":
                    self.resources.remove_store(change.name)
                self.bus.publish(f"{kind}_deleted", name=change.name, id=change.id, reason=str(change.reason))
                return Outcome(change, True, change.id)
            return Outcome(change, True, change.id)
        except Exception as exc:
            message = describe_error(exc)
            self.bus.publish("apply_failed", name=change.name, id=change.id, action=str(change.action), error=message)
            return Outcome(change, False, change.id, message)

    def _create(self, change: Change) -> LiveObject:
        """Create without blind retries: a create whose response was lost is found and adopted."""
        assert change.essence is not None and change.metadata is not None
        payload = self.mapping.create_payload(change.essence, change.metadata)
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
                if maybe_done and self.recover is not None:
                    found = self.recover(change)
                    if found is not None:
                        return found
                attempt += 1


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
    from orchestrator.secrets import redact

    try:
        import openai
    except ImportError:  # pragma: no cover
        openai = None  # type: ignore[assignment]
    if openai is not None and isinstance(exc, openai.APIStatusError):
        body = getattr(exc, "body", None)
        message = body.get("message") if isinstance(body, dict) else None
        text = f"HTTP {exc.status_code}: {message or exc.message}"
    elif openai is not None and isinstance(exc, openai.APITimeoutError):
        text = "request timed out"
    elif openai is not None and isinstance(exc, openai.APIConnectionError):
        text = f"connection failed: {exc.__cause__ or exc}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return redact(text)
