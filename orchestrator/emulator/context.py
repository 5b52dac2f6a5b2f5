"""What every handler receives and returns, plus the list-envelope and query helpers they share."""

from __future__ import annotations

import random
import secrets
import string
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from orchestrator.emulator.errors import invalid
from orchestrator.emulator.faults import FaultInjector
from orchestrator.emulator.scripts import ScriptBook
from orchestrator.emulator.stand_in import StandIn
from orchestrator.emulator.store import Page, Store

ALPHANUMERIC = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(ALPHANUMERIC) for _ in range(length))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class Context:
    store: Store
    faults: FaultInjector
    clock_ms: Callable[[], int] = now_ms
    scripts: ScriptBook = field(default_factory=ScriptBook)  # scripted model steps (admin API)
    stand_in: StandIn = field(default_factory=StandIn)  # the model stand-in's run counter

    def stand_in_draw(self, key: str) -> random.Random | None:
        """The model stand-in's next draw about key (a message) when it is on (`model_stand_in` set), else None."""
        seed = self.faults.settings.model_stand_in
        return None if seed is None else self.stand_in.draw(seed, key)

    def now(self) -> int:
        """Unix seconds, the unit of every `created_at`."""
        return self.clock_ms() // 1000


@dataclass(frozen=True, slots=True)
class ApiRequest:
    method: str
    path_params: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: Any = None
    form: Mapping[str, Any] = field(default_factory=dict)
    query_items: tuple[tuple[str, str], ...] = ()  # every (key, value), repeated keys included

    def query_values(self, key: str) -> list[str]:
        return [value for name, value in self.query_items if name == key]


@dataclass(frozen=True, slots=True)
class Reply:
    body: Any
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    media_type: str = "application/json"


Handler = Callable[[Context, ApiRequest], Reply]


class Endpoint(NamedTuple):  # not a dataclass: a NamedTuple class costs less start-up time to define
    """One endpoint a module serves. A module lists its own in `ENDPOINTS`; routes.py finds every such
    module and assembles the route table, so a new kind's module is the only file its endpoints need."""

    method: str
    template: str  # "/v1/things/{thing_id}": a {parameter} is one path segment (routes.py says which)
    handler: Handler
    uploads: bool = False  # a multipart file upload: the file size limit applies, not the JSON one


@dataclass(frozen=True, slots=True)
class ListQuery:
    limit: int
    order: str
    after: str | None
    before: str | None


def parse_list_query(
    query: Mapping[str, str], *, max_limit: int = 100, default_limit: int = 20, allow_before: bool = True
) -> ListQuery:
    """Read `limit`, `order`, `after`, `before` with the API's ranges and messages."""
    raw_limit = query.get("limit")
    limit = default_limit
    if raw_limit is not None:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise invalid(
                "Invalid type for 'limit': expected an integer, but got a string instead.", "limit"
            ) from None
        if not 1 <= limit <= max_limit:
            raise invalid(
                f"Invalid 'limit': integer out of range. Expected a value between 1 and {max_limit}, "
                f"but got {limit} instead.",
                "limit",
                "integer_out_of_range",
            )
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid(
            f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.", "order", "invalid_value"
        )
    before = query.get("before") if allow_before else None
    return ListQuery(limit, order, query.get("after"), before)


def list_envelope(
    page: Page, render: Callable[[dict[str, Any]], dict[str, Any]] | None = None
) -> dict[str, Any]:
    data = [render(item) for item in page.items] if render else list(page.items)
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": page.has_more,
    }


def public(body: Mapping[str, Any]) -> dict[str, Any]:
    """The object without the emulator's private `_`-prefixed bookkeeping keys."""
    return {key: value for key, value in body.items() if not key.startswith("_")}


def pick(body: Mapping[str, Any], key: str, default: Any) -> Any:
    """A field's value, with the default also for an explicit null."""
    value = body.get(key)
    return default if value is None else value
