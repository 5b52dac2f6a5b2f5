"""What a kind's client is made from: the run's SDK, project, environment, secrets and listings.

Its own module so that the kinds' clients (backends/vaults.py, skills.py, environments.py) name it without
importing the backends package, which names their clients in turn."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from orchestrator.backends.listings import Listings
from orchestrator.engine.live import Kind

if TYPE_CHECKING:  # start-up imports no SDK: these name types only
    from openai import OpenAI

    from orchestrator.spec.project import Project


@dataclass
class KindContext:
    """What a kind's client is made from (its definition's `client(context)`): the SDK, the project and
    environment, where secrets are read (environ) and the run's listings; `kind(name)` gives another kind
    of the same run (one client each: templates pin the skills the skill kind uploads)."""

    sdk: OpenAI
    project: Project
    environment: str
    environ: Mapping[str, str]
    listings: Listings | None
    made: dict[str, Kind] = field(default_factory=dict)

    def kind(self, name: str) -> Kind:
        if name not in self.made:
            from orchestrator.kind_registry import definition

            found = definition(name)
            assert found is not None and found.client is not None, f"no kind `{name}` with a client"
            self.made[name] = found.resolved(found.client)(self)
        return self.made[name]
