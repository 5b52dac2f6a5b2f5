"""Live APIs behind one small interface: the Assistants API and OpenAI's Agents API.

Each backend implements the seam of orchestrator.engine.live; callers outside the engine pick one here.
"""

from __future__ import annotations

from typing import Any

from orchestrator.engine.live import Kind, Mapping_


def mapping_for(backend: str) -> Mapping_:
    """The pure mapping of a backend ("assistants" or "agents"), imported only when asked for."""
    if backend == "agents":
        from orchestrator.backends.agents import AgentsMapping

        return AgentsMapping()
    from orchestrator.backends.assistants import AssistantsMapping

    return AssistantsMapping()


def kinds_for(backend: str, sdk: Any, project: Any) -> tuple[Kind, ...]:
    """The resource graph's other kinds on a backend, referenced kinds first (the one place kinds are registered)."""
    if backend != "agents":
        return ()
    from orchestrator.backends.environments import EnvironmentsClient, EnvironmentsMapping

    return (Kind("environment", EnvironmentsMapping(), EnvironmentsClient(sdk, project.name, project.root)),)


def kind_mappings(backend: str) -> dict[str, Mapping_]:
    """Every kind's pure mapping on a backend, by the kind name changes carry (saved plans need no client)."""
    primary = mapping_for(backend)
    found: dict[str, Mapping_] = {primary.object_kind: primary}
    if backend == "agents":
        from orchestrator.backends.environments import EnvironmentsMapping

        found["environment"] = EnvironmentsMapping()
    return found
