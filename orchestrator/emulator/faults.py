"""Fault injection and request counting, both changeable at run time through the admin API."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any


class Fault(StrEnum):
    RATE_LIMITED = "429"
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    DROPPED = "dropped"  # connection closed before the handler ran: nothing changed
    LOST_RESPONSE = "lost_response"  # the handler ran and committed, then the connection closed


FAULT_MIX: tuple[Fault, ...] = (
    Fault.RATE_LIMITED,
    Fault.RATE_LIMITED,
    Fault.SERVER_ERROR,
    Fault.UNAVAILABLE,
    Fault.DROPPED,
    Fault.LOST_RESPONSE,
)


@dataclass(frozen=True, slots=True)
class FaultSettings:
    latency_ms: int = 0
    fault_rate: float = 0.0
    seed: int | None = None
    ingest_ms: int = 0
    attach_race_ms: int = 0
    model_stand_in: int | None = None  # seed of the model stand-in (stand_in.py); None: the built-in model

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def check_settings(settings: FaultSettings) -> list[str]:
    """Messages for out-of-range settings; empty when all are usable."""
    problems = []
    for name in ("latency_ms", "ingest_ms", "attach_race_ms"):
        value = getattr(settings, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(f"{name} must be an integer >= 0")
    rate = settings.fault_rate
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
        problems.append("fault_rate must be a number between 0 and 1")
    if settings.seed is not None and (isinstance(settings.seed, bool) or not isinstance(settings.seed, int)):
        problems.append("seed must be an integer or null")
    stand_in = settings.model_stand_in
    if stand_in is not None and (isinstance(stand_in, bool) or not isinstance(stand_in, int)):
        problems.append("model_stand_in must be an integer (the stand-in's seed) or null")
    return problems


class FaultInjector:
    """Decides per request, deterministically for a given seed, whether it fails and how."""

    def __init__(self, settings: FaultSettings) -> None:
        self._lock = threading.Lock()
        self._settings = settings
        self._random = random.Random(settings.seed)

    @property
    def settings(self) -> FaultSettings:
        with self._lock:
            return self._settings

    def update(self, changes: dict[str, Any]) -> FaultSettings:
        """Apply changes; a new seed restarts the pseudo-random sequence."""
        with self._lock:
            updated = replace(self._settings, **changes)
            problems = check_settings(updated)
            if problems:
                raise ValueError("; ".join(problems))
            self._settings = updated
            if "seed" in changes:
                self._random = random.Random(updated.seed)
            return updated

    def decide(self) -> Fault | None:
        with self._lock:
            rate = self._settings.fault_rate
            if rate <= 0:
                return None
            draw = self._random.random()
            pick = self._random.randrange(len(FAULT_MIX))
            return FAULT_MIX[pick] if draw < rate else None


class RequestCounter:
    """Counts /v1 requests per "METHOD /v1/path-template"."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, route: str) -> None:
        with self._lock:
            self._counts[route] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"total": sum(self._counts.values()), "by_route": dict(sorted(self._counts.items()))}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
