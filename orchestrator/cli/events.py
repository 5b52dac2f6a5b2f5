"""`--events FILE`: the engine's events appended to a file as JSON lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from orchestrator.errors import OrchestratorError
from orchestrator.events import EventBus, JsonlSink


def make_bus(events: Path | None) -> EventBus:
    bus = EventBus()
    if events is not None:
        from orchestrator.cli.common import user_output

        events = user_output(events)
        try:
            events.parent.mkdir(parents=True, exist_ok=True)
            events.open("a", encoding="utf-8").close()
        except OSError as exc:
            raise OrchestratorError(f"cannot write events to {events}: {exc.strerror or exc}") from None
        bus.subscribe(JsonlSink(events))
    return bus


def events_option(func: Any) -> Any:
    return click.option(
        "--events",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Append engine events to FILE as JSON lines.",
    )(func)
