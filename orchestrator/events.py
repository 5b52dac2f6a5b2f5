"""The in-process event bus and a JSON-lines sink for --events FILE."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    time: float
    fields: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        stamp = (
            time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.time))
            + f".{int(self.time * 1000) % 1000:03d}Z"
        )
        return {"type": self.type, "time": stamp, **self.fields}


Subscriber = Callable[[Event], None]


class EventBus:
    """Thread-safe publish/subscribe; a failing subscriber never breaks the publisher."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()
        self._clock = clock

    def subscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.append(subscriber)

    def publish(self, type_: str, **fields: Any) -> Event:
        event = Event(type_, self._clock(), fields)
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            with contextlib.suppress(Exception):  # a failing sink must not break an apply
                subscriber(event)
        return event


class JsonlSink:
    """Appends each event as one JSON object per line; secrets are redacted before writing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def __call__(self, event: Event) -> None:
        from orchestrator.secrets import shown

        line = shown(json.dumps(event.to_json(), ensure_ascii=False, sort_keys=False, default=str))
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


class Recorder:
    """Keeps events in memory (tests, and the apply summary)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)
