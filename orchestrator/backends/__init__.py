"""Live APIs behind one small interface: the Assistants API and OpenAI's Agents API.

Each backend implements the seam of orchestrator.engine.live; callers outside the engine pick one here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.backends.listings import Listings
from orchestrator.engine.live import Kind, Mapping_


def mapping_for(backend: str) -> Mapping_:
    """The pure mapping of a backend ("assistants" or "agents"), imported only when asked for."""
    if backend == "agents":
        from orchestrator.backends.agents import AgentsMapping

        return AgentsMapping()
    from orchestrator.backends.assistants import AssistantsMapping

    return AssistantsMapping()


def kinds_for(
    backend: str,
    sdk: Any,
    project: Any,
    environment: str | None = None,
    environ: Mapping[str, str] | None = None,
    listings: Listings | None = None,
) -> tuple[Kind, ...]:
    """The resource graph's other kinds on a backend, referenced kinds first (the one place kinds are registered).

    `automation` refers to agents, so it comes after the target's own kind (AFTER_TARGET). environ is where
    vault secrets are read from, at the HTTP call that sends them (the CLI passes os.environ). listings: the
    run's SharedListings (its Connection's), through which the kinds that name others read them.
    """
    if backend != "agents":
        return ()
    from orchestrator.backends.automations import AutomationsClient, AutomationsMapping
    from orchestrator.backends.environments import EnvironmentsClient, EnvironmentsMapping
    from orchestrator.backends.knowledge import FilesClient, FilesMapping
    from orchestrator.backends.skills import SkillDirectory, SkillsClient, SkillsMapping
    from orchestrator.backends.vaults import VaultsClient, VaultsMapping
    from orchestrator.engine.knowledge_planning import plan_kept_files

    env = environment or project.default_environment
    skills = SkillsClient(sdk, project.root, SkillDirectory(project.name, env))  # templates pin its skills
    vaults = VaultsClient(sdk, environ or {}, listings)
    templates = EnvironmentsClient(sdk, project.name, project.root, skills=skills, listings=listings)
    return (  # uploads are read with the templates' files view: no listing of their own;
        # automations name the agents, vaults and templates these kinds list (the same listings)
        Kind(
            "file",
            FilesMapping("agents"),
            FilesClient(sdk, project.name, env, templates, owned=False),
            planner=plan_kept_files,
            in_view_of="environment",
        ),
        Kind(
            "vault", VaultsMapping(environ or {}), vaults, written_after=frozenset({"credentials"})
        ),  # a value changed at its source shows
        Kind("skill", SkillsMapping(), skills),
        Kind("environment", EnvironmentsMapping(skills.directory), templates),
        Kind("automation", AutomationsMapping(), AutomationsClient(sdk, project, env, listings=listings)),
    )


AFTER_TARGET = frozenset({"automation"})  # kinds that refer to the target's own objects (agents)


def kind_mappings(backend: str) -> dict[str, Mapping_]:
    """Every kind's pure mapping on a backend, by the kind name changes carry (saved plans need no client)."""
    primary = mapping_for(backend)
    found: dict[str, Mapping_] = {primary.object_kind: primary}
    if backend == "assistants":
        from orchestrator.backends.knowledge import FilesMapping, VectorStoresMapping

        found.update(file=FilesMapping(), vector_store=VectorStoresMapping())
    if backend == "agents":
        from orchestrator.backends.environments import EnvironmentsMapping

        found["environment"] = EnvironmentsMapping()
        from orchestrator.backends.knowledge import FilesMapping

        found["file"] = FilesMapping("agents")
        from orchestrator.backends.automations import AutomationsMapping
        from orchestrator.backends.skills import SkillsMapping
        from orchestrator.backends.vaults import VaultsMapping

        found.update(vault=VaultsMapping(), skill=SkillsMapping(), automation=AutomationsMapping())
    return found
