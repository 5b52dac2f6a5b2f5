"""Live APIs behind one small interface: the Assistants API and OpenAI's Agents API.

Each backend implements the seam of orchestrator.engine.live; callers outside the engine pick one here.
Which kinds a backend has, their order and their mappings and clients come from the kind definitions
(orchestrator.kind_registry); the functions here are views of that registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from orchestrator.backends.kind_context import KindContext
from orchestrator.backends.listings import Listings
from orchestrator.constants import AGENTS_BACKEND
from orchestrator.engine.live import Kind, Mapping_
from orchestrator.kind_registry import on_backend, primary_on, referrers

if TYPE_CHECKING:  # start-up imports no SDK: these name types only
    from openai import OpenAI

    from orchestrator.backends.agents import AgentsClient
    from orchestrator.backends.assistants import AssistantsClient
    from orchestrator.spec.project import Project


def mapping_for(backend: str) -> Mapping_:
    """The pure mapping of a backend ("assistants" or "agents"), imported only when asked for."""
    return primary_on(backend).mapping_for(backend)


def client_for(
    backend: str, sdk: OpenAI, listings: Listings | None = None
) -> AgentsClient | AssistantsClient:
    """The client of a backend's own kind (agents or assistants), imported only when asked for."""
    if backend == AGENTS_BACKEND:
        from orchestrator.backends.agents import AgentsClient

        return AgentsClient(sdk, listings)
    from orchestrator.backends.assistants import AssistantsClient

    return AssistantsClient(sdk)


def kinds_for(
    backend: str,
    sdk: OpenAI,
    project: Project,
    environment: str | None = None,
    environ: Mapping[str, str] | None = None,
    listings: Listings | None = None,
) -> tuple[Kind, ...]:
    """The resource graph's other kinds on a backend, referenced kinds first (the kind definitions' order).

    environ is where vault secrets are read from, at the HTTP call that sends them (the CLI passes
    os.environ). listings: the run's SharedListings (its Connection's), through which the kinds that name
    others read them (automations name the agents, vaults and templates these kinds list).
    """
    # on assistants the graph's other kinds (vector stores, their files) are KnowledgeSync's (app.live)
    if backend != AGENTS_BACKEND:
        return ()
    context = KindContext(sdk, project, environment or project.default_environment, environ or {}, listings)
    return tuple(context.kind(d.name) for d in on_backend(backend) if not d.primary and d.client)


def after_target(backend: str) -> frozenset[str]:
    """The kinds that refer to the target's own objects (automations to agents): applied after them."""
    return referrers(primary_on(backend).name)


AFTER_TARGET = after_target(AGENTS_BACKEND)  # kinds that refer to the target's own objects (agents)


def kind_mappings(backend: str) -> dict[str, Mapping_]:
    """Every kind's pure mapping on a backend, by the kind name changes carry (saved plans need no client)."""
    primary = mapping_for(backend)
    found: dict[str, Mapping_] = {primary.object_kind: primary}
    for defined in on_backend(backend):
        if not defined.primary:
            found[defined.name] = defined.mapping_for(backend)
    return found


def file_kind(context: KindContext) -> Kind:
    """Uploads on an agents target: read with the templates' files view, no listing of their own."""
    from orchestrator.backends.knowledge import FilesClient, FilesMapping
    from orchestrator.engine.knowledge_planning import plan_kept_files

    templates = context.kind("environment").client
    return Kind(
        "file",
        FilesMapping("agents"),
        FilesClient(context.sdk, context.project.name, context.environment, templates, owned=False),
        planner=plan_kept_files,
        in_view_of="environment",
    )
