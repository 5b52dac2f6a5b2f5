"""Live APIs behind one small interface: the Assistants API and OpenAI's Agents API.

Each backend implements the seam of orchestrator.engine.live; callers outside the engine pick one here.
"""

from __future__ import annotations

from orchestrator.engine.live import Mapping_


def mapping_for(backend: str) -> Mapping_:
    """The pure mapping of a backend ("assistants" or "agents"), imported only when asked for."""
    if backend == "agents":
        from orchestrator.backends.agents import AgentsMapping

        return AgentsMapping()
    from orchestrator.backends.assistants import AssistantsMapping

    return AssistantsMapping()
